"""Jupyter servers for the benchmarks: started in a temp folder, stopped by process id.

Each ``Server`` is a real ``jupyter server`` from the project's venv, listening
on 127.0.0.1 only, on a free port away from the ones other work uses (8888,
8899, 8900), with a random token, its own root dir and its own Jupyter data,
config and runtime dirs, so the history store starts empty unless a store is
given (``db_url``). ``branch=False`` starts the same server with the extension
disabled: the "off" side of the overhead ratio. ``launcher`` runs the server
under another program (instructions.py: valgrind).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import nbformat
import psutil

VENV_BIN = Path(sys.executable).parent
PORT_RANGE = range(18_700, 18_990)
TAKEN = {8888, 8899, 8900}


def free_port() -> int:
    """Return a port in ``PORT_RANGE`` nobody listens on."""
    for port in PORT_RANGE:
        if port in TAKEN:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        TAKEN.add(port)
        return port
    raise RuntimeError("no free port for a benchmark server")


def is_recording(pid: int) -> bool | None:
    """Whether ``pid`` is jupyter-branch's recording process (None: it is gone)."""
    try:
        return "jupyter_branch.recording" in " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return None


def sched_times(pid: int) -> dict[int, float]:
    """CPU seconds of each live thread, to the nanosecond (``/proc/<pid>/task/*/schedstat``).

    Finer than ``/proc/<pid>/stat``'s 10 ms ticks; a thread that ends
    takes its time with it, so a window compares the threads it saw at both ends.
    """
    out: dict[int, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            out[int(tid)] = int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
    return {tid: ns / 1e9 for tid, ns in out.items()}


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds the processes ``pids`` have spent so far, every thread (schedstat)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):  # gone: it counts for nothing
            total += sum(sched_times(pid).values())
    return total


class Server:
    """One Jupyter server process and its private folders."""

    def __init__(
        self,
        name: str,
        *,
        branch: bool = True,
        db_url: str | None = None,
        root: Path | None = None,
        extra_args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        base: Path | None = None,
    ) -> None:
        self.name = name
        # a program to run the server under (valgrind, say): set before ``start``
        self.launcher: tuple[str, ...] = ()
        self.branch = branch
        self.base = Path(tempfile.mkdtemp(prefix=f"jb-bench-{name}-", dir=base))
        self.root = root or self.base / "root"
        self.root.mkdir(parents=True, exist_ok=True)
        self.data = self.base / "data"
        self.db_url = db_url
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_args = extra_args
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.base / "server.log"

    @property
    def store_path(self) -> Path:
        """The SQLite file this server records into."""
        if self.db_url:
            return Path(self.db_url.removeprefix("sqlite:///"))
        return self.data / "jupyter_branch" / "history.sqlite"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for key in ("JUPYTER_BRANCH_DB", "JUPYTER_TOKEN", "JUPYTER_PATH"):
            env.pop(key, None)
        env.update(
            JUPYTER_DATA_DIR=str(self.data),
            JUPYTER_CONFIG_DIR=str(self.base / "config"),
            JUPYTER_RUNTIME_DIR=str(self.base / "runtime"),
            IPYTHONDIR=str(self.base / "ipython"),
            MPLCONFIGDIR=str(self.base / "mpl"),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def command(self) -> list[str]:
        """The server's command line: ``jupyter server``, or run by ``launcher`` (valgrind,
        say), then as ``python jupyter-server`` so that the launcher holds the server itself,
        not a ``jupyter`` that execs it."""
        if self.launcher:
            return [*self.launcher, sys.executable, str(VENV_BIN / "jupyter-server")]
        return [str(VENV_BIN / "jupyter"), "server"]

    def start(self, timeout: float = 90) -> Server:
        enabled = "True" if self.branch else "False"
        args = [
            *self.command(),
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--ServerApp.jpserver_extensions={{'jupyter_branch': {enabled}}}",
            "--LabApp.workspaces_dir=" + str(self.base / "workspaces"),
            *self.extra_args,
        ]
        if self.db_url:
            args.append(f"--BranchApp.db_url={self.db_url}")
        if os.geteuid() == 0:
            args.append("--allow-root")
        log = open(self.log_path, "wb")  # noqa: SIM115 (the child keeps writing to it)
        self.proc = subprocess.Popen(
            args, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server {self.name} exited: see {self.log_path}")
            try:
                self.get("api/status")
                if self.branch:
                    self._wait_branch(deadline)
                return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server {self.name} did not start: see {self.log_path}")

    def _wait_branch(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            info = self.get("jupyter-branch/api/info")
            if info.get("store") is not None:
                return
            time.sleep(0.2)
        raise RuntimeError(f"jupyter-branch did not open its store: see {self.log_path}")

    def request(
        self, method: str, path: str, body: Any = None, raw: bool = False, timeout: float = 120
    ) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}/{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            payload = resp.read()
        return payload if raw else json.loads(payload or b"null")

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def write_notebook(self, name: str, cells: dict[str, str]) -> None:
        """Write ``name`` into the root: a Python 3 notebook of code cells ``{id: source}``."""
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.cells = [nbformat.v4.new_code_cell(code, id=cell_id) for cell_id, code in cells.items()]
        nbformat.write(nb, str(self.root / name))

    def rss(self) -> int:
        """Resident memory of the server process (kernels not included), in bytes."""
        assert self.proc is not None
        return int(psutil.Process(self.proc.pid).memory_info().rss)

    def child_pids(self) -> list[int]:
        """Every process the server started: its kernels and its recording process."""
        if self.proc is None:
            return []
        try:
            return [c.pid for c in psutil.Process(self.proc.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kernel_pids(self) -> list[int]:
        """The server's kernels (not jupyter-branch's recording process)."""
        return [pid for pid in self.child_pids() if is_recording(pid) is False]

    def recording_pids(self) -> list[int]:
        """jupyter-branch's recording process, if the server has one."""
        return [pid for pid in self.child_pids() if is_recording(pid)]

    def stop(self, keep: bool = False) -> None:
        """Stop the server (SIGTERM: it shuts its kernels down), then whatever it left.

        Only processes this server started are signalled, each by its id.
        """
        if self.proc is not None and self.proc.poll() is None:
            children = self.child_pids()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.proc = None
        if not keep:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
