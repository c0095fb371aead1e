"""Driving a kernel as JupyterLab does: a notebook session, the v1 websocket, cellId.

The same protocol as ``tests/kernel_client.py`` (kept separate so the
benchmarks don't depend on the test suite): a session is made over REST, the
kernel websocket is opened with the ``v1.kernel.websocket.jupyter.org``
subprotocol, ``execute_request``s carry ``metadata.cellId``, and a cell is done
when both its ``execute_reply`` and its iopub ``idle`` status have arrived (when
JupyterLab shows it as finished). ``OutputModel`` keeps the outputs as
JupyterLab's output area does, to write the notebook a user would save.

Like JupyterLab (its ``EventManager``, open from the start), the client also
subscribes to the server's event stream (``/api/events/subscribe``) and reads
every event, so the server pays for the events it emits as it does for a real
user. No history panel is open: the extension tells new states only to open
panels, on a websocket of its own (``jupyter_branch/live.py``); until December
2026 it announced each commit on this event stream.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from jupyter_server.services.kernels.connection.base import (
    deserialize_msg_from_ws_v1,
    serialize_msg_to_ws_v1,
)
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from .servers import Server

V1 = "v1.kernel.websocket.jupyter.org"
KEYS = ("header", "parent_header", "metadata", "content")


def pack_v1(channel: str, msg: dict[str, Any]) -> bytes:
    """Encode a message as a v1 subprotocol frame, as JupyterLab sends it."""
    return serialize_msg_to_ws_v1(msg, channel, pack=lambda part: json.dumps(part).encode())


def unpack_v1(frame: bytes) -> tuple[str, dict[str, Any]]:
    """Decode a v1 frame into its channel and message (buffers are ignored)."""
    channel, parts = deserialize_msg_from_ws_v1(frame)
    return channel, {key: json.loads(parts[i]) for i, key in enumerate(KEYS)}


class OutputModel:
    """The outputs of one cell as JupyterLab keeps them (stream merging, clear_output)."""

    def __init__(self) -> None:
        self.outputs: list[dict[str, Any]] = []
        self.execution_count: int | None = None
        self._clear_on_next = False

    def add(self, msg_type: str, content: dict[str, Any]) -> None:
        if msg_type == "clear_output":
            if content.get("wait"):
                self._clear_on_next = True
            else:
                self.outputs = []
            return
        if msg_type not in ("stream", "display_data", "execute_result", "error"):
            return
        if self._clear_on_next:
            self.outputs, self._clear_on_next = [], False
        if msg_type == "stream":
            last = self.outputs[-1] if self.outputs else None
            if last and last["output_type"] == "stream" and last["name"] == content["name"]:
                last["text"] += content["text"]
            else:
                self.outputs.append(
                    {"output_type": "stream", "name": content["name"], "text": content["text"]}
                )
            return
        out: dict[str, Any] = {"output_type": msg_type}
        if msg_type == "error":
            out.update(
                ename=content["ename"], evalue=content["evalue"], traceback=content["traceback"]
            )
        else:
            out.update(data=content.get("data", {}), metadata=content.get("metadata", {}))
            if msg_type == "execute_result":
                out["execution_count"] = content.get("execution_count")
        self.outputs.append(out)


class Kernel:
    """One notebook's session and its kernel websocket."""

    def __init__(self, server: Server, path: str) -> None:
        self.server = server
        self.path = path
        self.client_session = uuid.uuid4().hex
        self.kernel_id = ""
        self.session_id = ""
        self.ws: WebSocketClientConnection | None = None
        self.received_bytes = 0
        self.events: WebSocketClientConnection | None = None
        self._events_task: asyncio.Task[None] | None = None

    async def start(self, kernel_name: str = "python3") -> Kernel:
        body = {"path": self.path, "type": "notebook", "name": "", "kernel": {"name": kernel_name}}
        session = await asyncio.to_thread(self.server.request, "POST", "api/sessions", body)
        self.session_id, self.kernel_id = session["id"], session["kernel"]["id"]
        ws_url = self.server.url.replace("http", "ws", 1)
        request = HTTPRequest(
            f"{ws_url}/api/kernels/{self.kernel_id}/channels?session_id={self.client_session}",
            headers={"Authorization": f"token {self.server.token}"},
        )
        self.ws = await websocket_connect(request, subprotocols=[V1], max_message_size=1 << 30)
        assert self.ws.protocol is not None
        self.ws.protocol.set_nodelay(True)  # as browsers do: no Nagle delay on small frames
        events = HTTPRequest(
            f"{ws_url}/api/events/subscribe",
            headers={"Authorization": f"token {self.server.token}"},
        )
        self.events = await websocket_connect(events)
        self._events_task = asyncio.ensure_future(self._read_events(self.events))
        await self.wait_ready()
        return self

    async def _read_events(self, events: WebSocketClientConnection) -> None:
        while await events.read_message() is not None:
            pass  # read, as JupyterLab's EventManager does; nothing here needs them

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None
        if self.events is not None:
            self.events.close()
            self.events = None
        if self._events_task is not None:
            self._events_task.cancel()
            self._events_task = None

    async def shutdown(self) -> None:
        self.close()
        await asyncio.to_thread(self.server.request, "DELETE", f"api/sessions/{self.session_id}")

    def _send(self, msg_type: str, content: dict[str, Any], metadata: dict[str, Any]) -> str:
        assert self.ws is not None
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "username": "bench",
            "session": self.client_session,
            "date": "",
            "version": "5.3",
        }
        msg = {"header": header, "parent_header": {}, "metadata": metadata, "content": content}
        self.ws.write_message(pack_v1("shell", msg), binary=True)
        return msg_id

    async def _read(self) -> tuple[str, dict[str, Any]]:
        assert self.ws is not None
        frame = await self.ws.read_message()
        if frame is None:
            raise ConnectionError("the kernel websocket closed")
        assert isinstance(frame, bytes)
        self.received_bytes += len(frame)
        return unpack_v1(frame)

    async def wait_ready(self, timeout: float = 60) -> None:
        """Send kernel_info requests until one is answered on shell and iopub."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg_id = self._send("kernel_info_request", {}, {})
            seen: set[str] = set()
            try:
                async with asyncio.timeout(1.0):
                    while seen != {"shell", "iopub"}:
                        channel, msg = await self._read()
                        if msg["parent_header"].get("msg_id") == msg_id:
                            seen.add(channel)
                return
            except TimeoutError:
                continue
        raise TimeoutError("the kernel did not answer")

    def send_execute(self, code: str, cell_id: str | None) -> str:
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        return self._send("execute_request", content, {"cellId": cell_id} if cell_id else {})

    async def wait_done(self, msg_id: str, outputs: OutputModel | None = None) -> str:
        """Read until ``msg_id`` has its execute_reply and idle status; return the reply status."""
        return (await self.wait_all({msg_id}, outputs))[msg_id]

    async def wait_all(
        self, msg_ids: set[str], outputs: OutputModel | None = None
    ) -> dict[str, str]:
        """Read until every one of ``msg_ids`` has its execute_reply and idle status (their
        outputs into ``outputs``); return each reply's status."""
        status: dict[str, str] = {}
        idle: set[str] = set()
        while len(status) < len(msg_ids) or len(idle) < len(msg_ids):
            channel, msg = await self._read()
            parent = msg["parent_header"].get("msg_id")
            if parent not in msg_ids:
                continue
            msg_type = msg["header"]["msg_type"]
            if channel == "shell" and msg_type == "execute_reply":
                status[parent] = msg["content"].get("status", "ok")
            elif channel == "iopub":
                if msg_type == "status":
                    if msg["content"]["execution_state"] == "idle":
                        idle.add(parent)
                elif outputs is not None:
                    if msg_type == "execute_input":
                        outputs.execution_count = msg["content"].get("execution_count")
                    outputs.add(msg_type, msg["content"])
        return status

    async def execute(
        self, code: str, cell_id: str | None = None, outputs: OutputModel | None = None
    ) -> float:
        """Run ``code`` as cell ``cell_id``; return the round trip in seconds."""
        start = time.perf_counter()
        msg_id = self.send_execute(code, cell_id)
        await self.wait_done(msg_id, outputs)
        return time.perf_counter() - start
