"""A real Jupyter server in a subprocess, and a blocking kernel client for it.

Reliability tests need what pytest-jupyter's in-process server cannot give:
a server they can kill -9, restart on the same store, and load from threads.
The server listens on 127.0.0.1 only, with a token, in its own process group
(so kill -9 takes its kernels down too, as a crash of the machine would).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import websocket  # websocket-client

from tests.kernel_client import V1, execute_request, pack_v1, unpack_v1

TOKEN = "reliability-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """``jupyter server`` with jupyter-branch on a given root, data dir and store."""

    def __init__(
        self,
        root: Path,
        data_dir: Path,
        db_url: str | None = None,
        extra: list[str] | None = None,
        log: Path | None = None,
        extension: bool = True,
    ) -> None:
        self.extension = extension
        self.root = root
        self.data_dir = data_dir
        self.db_url = db_url
        self.extra = extra or []
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = log or root.parent / "server.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ServerProcess:
        self.port = free_port()
        args = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.open_browser=False",
            f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={self.root}",
            f"--ServerApp.jpserver_extensions={{'jupyter_branch': {self.extension}}}",
            "--BranchApp.progress_interval=0.5",
            *self.extra,
        ]
        if self.db_url:
            args.append(f"--BranchApp.db_url={self.db_url}")
        if os.getuid() == 0:
            args.append("--allow-root")
        env = {
            **os.environ,
            "JUPYTER_DATA_DIR": str(self.data_dir),
            "JUPYTER_RUNTIME_DIR": str(self.data_dir / "runtime"),
        }
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                args, stdout=log, stderr=log, env=env, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                self.get("api/status")
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        raise TimeoutError("server did not start")

    def kill9(self) -> None:
        """Kill the server and its kernels at once, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()

    def request(
        self, path: str, method: str = "GET", body: Any = None, token: str | None = TOKEN
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base}/{path}", data=data, method=method)
        if token:
            req.add_header("Authorization", f"token {token}")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                return err.code, json.loads(raw)
            except ValueError:
                return err.code, raw.decode(errors="replace")

    def get(self, path: str) -> Any:
        status, body = self.request(path)
        if status >= 400:
            raise urllib.error.URLError(f"{status}: {body}")
        return body

    def tree(self, nb_path: str) -> dict[str, Any]:
        status, body = self.request(f"jupyter-branch/api/tree?path={nb_path}")
        assert status == 200, body
        return body


class BlockingKernel:
    """A notebook session driven over the kernel websocket like JupyterLab (v1, cellId)."""

    def __init__(self, server: ServerProcess, path: str) -> None:
        self.server = server
        self.path = path
        status, session = server.request(
            "api/sessions",
            "POST",
            {"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}},
        )
        assert status == 201, session
        self.kernel_id = session["kernel"]["id"]
        self.client = uuid.uuid4().hex
        url = (
            f"ws://127.0.0.1:{server.port}/api/kernels/{self.kernel_id}/channels"
            f"?session_id={self.client}"
        )
        self.ws = websocket.create_connection(
            url, subprotocols=[V1], header=[f"Authorization: token {TOKEN}"], timeout=120
        )

    def send(self, code: str, cell_id: str | None) -> str:
        """Send an execution without waiting; return its msg_id (for ``wait``)."""
        msg = execute_request(code, cell_id, self.client)
        self.ws.send_binary(pack_v1("shell", msg))
        return str(msg["header"]["msg_id"])

    def execute(self, code: str, cell_id: str | None, timeout: float = 120) -> list[dict]:
        return self.wait(self.send(code, cell_id), code, timeout)

    def wait(self, msg_id: str, code: str = "", timeout: float = 120) -> list[dict]:
        """Read until the kernel is idle for ``msg_id``; return its iopub messages."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self.ws.recv()
            if not isinstance(frame, bytes):
                continue
            channel, got = unpack_v1(frame)
            if channel != "iopub" or got["parent_header"].get("msg_id") != msg_id:
                continue
            seen.append(got)
            content = got["content"]
            if got["header"]["msg_type"] == "status" and content["execution_state"] == "idle":
                return seen
        raise TimeoutError(f"no idle for {code!r}")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


def recorded_codes(db_path: Path, nb_abs: str) -> dict[str, str]:
    """Return {code: status} of the execute states of a notebook, read without a server."""
    from jupyter_branch.service import HistoryService
    from jupyter_branch.store.engine import open_store

    engines = open_store(f"sqlite:///{db_path}")
    try:
        service = HistoryService(engines)
        result = {}
        for s in service.log(nb_abs)["states"]:
            if s["event"] == "execute":
                result[service.state(nb_abs, s["id"])["code"]] = s["status"]
        return result
    finally:
        engines.dispose()
