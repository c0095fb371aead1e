"""A client that drives a kernel the way JupyterLab does, for integration tests.

It creates a notebook session over REST, opens the kernel websocket with the
``v1.kernel.websocket.jupyter.org`` subprotocol (binary frames), and sends
``execute_request``s whose metadata carries ``cellId`` as JupyterLab's cell
executor does. Like JupyterLab's document reporter, it tells the server its
cells (ids, types, sources) right before it runs one (``run``). Nothing here
is mocked: the server and the kernel are real.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import nbformat
from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)

V1 = "v1.kernel.websocket.jupyter.org"
KEYS = ("header", "parent_header", "metadata", "content")


def pack_v1(channel: str, msg: dict[str, Any]) -> bytes:
    """Encode a message as the v1 subprotocol frame, as JupyterLab sends it."""
    return serialize_msg_to_ws_v1(msg, channel, pack=lambda part: json.dumps(part).encode())


def unpack_v1(frame: bytes) -> tuple[str, dict[str, Any]]:
    """Decode a v1 frame into its channel and message (buffers are ignored)."""
    channel, parts = deserialize_msg_from_ws_v1(frame)
    return channel, {key: json.loads(parts[i]) for i, key in enumerate(KEYS)}


def execute_request(
    code: str, cell_id: str | None, session: str, stop_on_error: bool = True
) -> dict[str, Any]:
    """An execute_request as JupyterLab's notebook sends it (``cellId`` metadata).

    JupyterLab sends ``stop_on_error: false`` for a cell tagged ``raises-exception``.
    """
    header = {
        "msg_id": uuid.uuid4().hex,
        "msg_type": "execute_request",
        "username": "test",
        "session": session,
        "date": "",
        "version": "5.3",
    }
    content = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": stop_on_error,
    }
    metadata = {"cellId": cell_id} if cell_id else {}
    return {"header": header, "parent_header": {}, "metadata": metadata, "content": content}


def write_notebook(root: Any, name: str, sources: list[str] | None = None) -> str:
    """Write a small notebook file under ``root``; return its API path."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for src in sources or []:
        nb.cells.append(nbformat.v4.new_code_cell(src))
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return name


class LabLikeClient:
    """One notebook's session and kernel websocket."""

    def __init__(self, jp_fetch: Any, jp_ws_fetch: Any, path: str) -> None:
        self.jp_fetch = jp_fetch
        self.jp_ws_fetch = jp_ws_fetch
        self.path = path
        self.session_id = ""
        self.kernel_id = ""
        self.client_session = uuid.uuid4().hex
        self.ws: Any = None
        self._pending: Any = None  # a read kept across timeouts, so no frame is lost
        self.cells: list[dict[str, str]] = []  # the document as this "browser" holds it

    async def start(self) -> LabLikeClient:
        """Open the notebook (its cells, if the file exists) and its session and kernel."""
        found = await self.jp_fetch("api", "contents", self.path, raise_error=False)
        if found.code == 200:
            content = json.loads(found.body)["content"]
            self.cells = [
                {"id": c["id"], "cell_type": c["cell_type"], "source": c["source"]}
                for c in content["cells"]
                if "id" in c
            ]
        body = {"path": self.path, "type": "notebook", "name": "", "kernel": {"name": "python3"}}
        r = await self.jp_fetch("api", "sessions", method="POST", body=json.dumps(body))
        session = json.loads(r.body)
        self.session_id, self.kernel_id = session["id"], session["kernel"]["id"]
        await self.connect()
        return self

    async def connect(self) -> None:
        self.ws = await self.jp_ws_fetch(
            "api",
            "kernels",
            self.kernel_id,
            "channels",
            params={"session_id": self.client_session},
            subprotocols=[V1],
        )

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None

    async def report(self) -> None:
        """Tell the server the document's cells, as JupyterLab's reporter does."""
        body = {"path": self.path, "cells": self.cells}
        await self.jp_fetch(
            "jupyter-branch", "api", "document", method="POST", body=json.dumps(body)
        )

    def edit(self, cell_id: str, source: str) -> None:
        """Change a cell's source in this browser's document (reported with the next run)."""
        next(c for c in self.cells if c["id"] == cell_id)["source"] = source

    async def run(self, code: str, cell_id: str | None, stop_on_error: bool = True) -> str:
        """Set the cell's source to ``code`` (adding the cell at the end if new), report
        the document, then send the execution, as JupyterLab does; return its msg_id."""
        if cell_id is not None:
            cell = next((c for c in self.cells if c["id"] == cell_id), None)
            if cell is None:
                self.cells.append({"id": cell_id, "cell_type": "code", "source": code})
            else:
                cell["source"] = code
            await self.report()
        return self.send_execute(code, cell_id, stop_on_error)

    def send_execute(self, code: str, cell_id: str | None, stop_on_error: bool = True) -> str:
        """Send an execution without reporting the document first (an API client)."""
        msg = execute_request(code, cell_id, self.client_session, stop_on_error)
        self.ws.write_message(pack_v1("shell", msg), binary=True)
        return str(msg["header"]["msg_id"])

    async def wait_idle(self, msg_id: str, timeout: float = 60) -> list[dict[str, Any]]:
        """Collect iopub messages of ``msg_id`` until the kernel goes idle for it."""
        seen = []

        async def loop() -> None:
            while True:
                frame = await asyncio.shield(self._next())
                if frame is None:
                    raise ConnectionError("websocket closed")
                channel, msg = unpack_v1(frame)
                if channel != "iopub" or msg["parent_header"].get("msg_id") != msg_id:
                    continue
                seen.append(msg)
                content = msg["content"]
                if msg["header"]["msg_type"] == "status" and content["execution_state"] == "idle":
                    return

        await asyncio.wait_for(loop(), timeout)
        return seen

    async def wait_ready(self, timeout: float = 60) -> None:
        """Ask for kernel_info until its iopub status arrives, as the server's nudge does.

        Both the shell reply and an iopub message must come back: after a restart
        the server's iopub subscription needs a moment to join again.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            msg_id = uuid.uuid4().hex
            header = {
                "msg_id": msg_id,
                "msg_type": "kernel_info_request",
                "username": "test",
                "session": self.client_session,
                "date": "",
                "version": "5.3",
            }
            msg = {"header": header, "parent_header": {}, "metadata": {}, "content": {}}
            self.ws.write_message(pack_v1("shell", msg), binary=True)
            seen: set[str] = set()
            end = asyncio.get_running_loop().time() + 1.0
            while "shell" not in seen or "iopub" not in seen:
                left = end - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                try:
                    frame = await asyncio.wait_for(asyncio.shield(self._next()), left)
                except TimeoutError:
                    break
                channel, got = unpack_v1(frame)
                if got["parent_header"].get("msg_id") == msg_id:
                    seen.add(channel)
            if "shell" in seen and "iopub" in seen:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("the kernel did not answer")

    def _next(self) -> Any:
        if self._pending is None or self._pending.done():
            self._pending = asyncio.ensure_future(self.ws.read_message())
        return self._pending

    async def restart(self) -> None:
        """Restart the kernel over REST and wait until it answers again."""
        await self.jp_fetch("api", "kernels", self.kernel_id, "restart", method="POST", body="{}")
        await self.wait_ready()

    async def execute(
        self, code: str, cell_id: str | None = None, stop_on_error: bool = True
    ) -> list[dict[str, Any]]:
        """Run a cell as JupyterLab does and wait until the kernel is idle for it."""
        return await self.wait_idle(await self.run(code, cell_id, stop_on_error))
