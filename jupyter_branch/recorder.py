"""Capturing executions: kernel messages in, state-making calls to the writer out.

The source of truth is an iopub subscription of our own on every kernel
(``KernelTap``), made when the kernel starts and again after each restart, so
outputs are recorded whether or not a browser is connected. What iopub lacks
(the cell id, the cells deleted since the last run) comes from the browser's
``execute_request``, which ``capture.py`` reports through ``note_request``.

Nothing here waits on I/O: messages are parsed and replayed in memory, and
finished executions and running outputs go, in order, through one queue to a
task that finds the notebook (from the kernel's sessions) and hands them to the
writer thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.session import Session
from tornado.ioloop import PeriodicCallback

from .model import Execution, status_of
from .outputs import OUTPUT_MSG_TYPES, OutputReplay
from .paths import PathOutsideRoot, RootPaths
from .store.history import History
from .store.writer import BacklogFull, StoreUnavailable, Writer

log = logging.getLogger("jupyter_branch")

REQUEST_MEMORY = 10_000
SESSION_TTL = 2.0
RENAME_MEMORY = 30.0  # seconds a rename is applied to sessions that lag behind it


@dataclass
class RequestInfo:
    """What the browser said about one execute_request."""

    cell_id: str | None
    code: str
    deleted_cells: tuple[str, ...] = ()


@dataclass
class Capture:
    """One execution being recorded."""

    kernel_id: str
    msg_id: str
    started: float
    replay: OutputReplay
    code: str = ""
    execution_count: int | None = None
    cell_id: str | None = None
    deleted_cells: tuple[str, ...] = ()
    began: bool = False  # execute_input seen: the code ran (else it was aborted)
    flushed_at: float = field(default_factory=time.monotonic)

    def execution(self, paths: list[str], status: str, ended: float | None) -> Execution:
        return Execution(
            abs_path=paths[0] if paths else None,
            kernel_id=self.kernel_id,
            msg_id=self.msg_id,
            cell_id=self.cell_id,
            code=self.code,
            outputs=self.replay.outputs(),
            execution_count=self.execution_count,
            status=status,
            started=self.started,
            ended=ended,
            display_updates=dict(self.replay.display_updates),
            deleted_cells=self.deleted_cells,
        )


class KernelTap:
    """Our own iopub subscription on one kernel.

    A new subscription misses what the kernel publishes before it has joined
    (ZeroMQ's slow joiner), so the tap "nudges" the kernel with
    ``kernel_info_request``s on a shell socket of its own until the first iopub
    message arrives, as jupyter_server does for its websockets. ``joined`` is
    awaited before a browser's execute requests are passed on (``capture.py``).
    """

    NUDGE_EVERY = 0.05
    NUDGE_FOR = 60.0

    def __init__(self, recorder: Recorder, kernel_id: str, km: Any) -> None:
        self.recorder = recorder
        self.kernel_id = kernel_id
        self.km = km
        self.session = Session(config=km.session.config, key=km.session.key)
        self.port = getattr(km, "iopub_port", None)
        self.stream = km.connect_iopub()
        self.stream.on_recv(self.on_recv)
        self.captures: dict[str, Capture] = {}
        self.bad_messages = 0
        self.joined = asyncio.Event()
        self._shell: Any = None
        self._nudger: asyncio.Task[None] | None = None
        self.rejoin()

    def rejoin(self) -> None:
        """Forget that we joined (the kernel restarted) and nudge until iopub speaks again."""
        self.joined.clear()
        if self._nudger is None or self._nudger.done():
            self._nudger = asyncio.ensure_future(self._nudge())

    async def _nudge(self) -> None:
        deadline = time.monotonic() + self.NUDGE_FOR
        try:
            self._shell = self.km.connect_shell()
            self._shell.on_recv(lambda _msg: None)  # drain our kernel_info replies
            while not self.joined.is_set() and time.monotonic() < deadline:
                self.session.send(self._shell, "kernel_info_request")
                try:
                    await asyncio.wait_for(self.joined.wait(), self.NUDGE_EVERY)
                except TimeoutError:
                    continue
        except Exception as err:
            log.warning("jupyter-branch: could not nudge kernel %s: %s", self.kernel_id, err)
        finally:
            if self._shell is not None and not self._shell.closed():
                self._shell.close()
            self._shell = None

    async def wait_joined(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.joined.wait(), timeout)
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        if self._nudger is not None:
            self._nudger.cancel()
        if not self.stream.closed():
            self.stream.close()

    def on_recv(self, msg_list: list[bytes]) -> None:
        self.joined.set()
        try:
            # [signature, header, parent_header, metadata, content, buffers...]. Only
            # what answers an execute_request matters, so the parent header is read
            # first and nothing else is parsed for the rest. Signatures are not
            # checked: this socket is subscribed to the kernel's own publisher, and
            # only the kernel can send on it.
            _, fed = self.session.feed_identities(msg_list)
            parent = self.session.unpack(fed[2])
            if not isinstance(parent, dict) or parent.get("msg_type") != "execute_request":
                return
            msg = {
                "header": self.session.unpack(fed[1]),
                "parent_header": parent,
                "content": self.session.unpack(fed[4]),
            }
            self.handle(msg)
        except Exception as err:  # malformed or unexpected: never let it reach the kernel path
            self.bad_messages += 1
            if self.bad_messages in (1, 10, 100, 1000):
                log.warning(
                    "jupyter-branch: ignored a malformed message from kernel %s (%d so far): %s",
                    self.kernel_id,
                    self.bad_messages,
                    err,
                )

    def handle(self, msg: dict[str, Any]) -> None:
        parent = msg.get("parent_header") or {}
        if parent.get("msg_type") != "execute_request":
            return
        parent_id = str(parent.get("msg_id"))
        msg_type = msg["header"].get("msg_type")
        content = msg.get("content") or {}
        capture = self.captures.get(parent_id)
        if capture is None:
            if msg_type == "status" and content.get("execution_state") == "idle":
                return
            capture = self.recorder.new_capture(self.kernel_id, parent_id)
            self.captures[parent_id] = capture
        if msg_type == "execute_input":
            capture.began = True
            code = content.get("code")
            if isinstance(code, str):
                capture.code = code
            count = content.get("execution_count")
            capture.execution_count = count if isinstance(count, int) else None
        elif msg_type in OUTPUT_MSG_TYPES:
            capture.replay.add(msg_type, content)
            if msg_type == "execute_result" and capture.execution_count is None:
                count = content.get("execution_count")
                capture.execution_count = count if isinstance(count, int) else None
        elif msg_type == "status" and content.get("execution_state") == "idle":
            del self.captures[parent_id]
            status = status_of(capture.replay.error, capture.began)
            self.recorder.finish(capture, status)

    def abandon(self, status: str = "died") -> None:
        """Finish every running execution (the kernel restarted, died or shut down)."""
        for capture in list(self.captures.values()):
            self.recorder.finish(capture, status)
        self.captures.clear()


class Recorder:
    """Keeps a ``KernelTap`` per kernel and feeds the writer."""

    def __init__(
        self,
        kernel_manager: Any,
        session_manager: Any,
        writer: Writer,
        paths: RootPaths,
        *,
        max_output_bytes: int = 5_000_000,
        progress_interval: float = 1.0,
    ) -> None:
        self.kernel_manager = kernel_manager
        self.session_manager = session_manager
        self.writer = writer
        self.paths = paths
        self.max_output_bytes = max_output_bytes
        self.progress_interval = progress_interval
        self.taps: dict[str, KernelTap] = {}
        self.requests: OrderedDict[str, RequestInfo] = OrderedDict()
        self._queue: asyncio.Queue[tuple[str, Capture, str | None]] = asyncio.Queue()
        self._session_cache: dict[str, tuple[float, list[str]]] = {}
        self._renames: list[tuple[float, str, str]] = []
        self._task: asyncio.Task[None] | None = None
        self._progress: PeriodicCallback | None = None
        self.finished = 0
        self.dropped = 0

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> None:
        """Start the hand-over task and the progress timer (once; needs the running loop).

        The server calls this after its loop starts; the first kernel seen calls
        it too, for servers that never run the extension start hooks.
        """
        if self._task is not None:
            return
        self._task = asyncio.ensure_future(self._consume())
        self._progress = PeriodicCallback(self.flush_progress, self.progress_interval * 1000)
        self._progress.start()
        for kernel_id in list(self.kernel_manager.list_kernel_ids()):
            if kernel_id not in self.taps:
                self.watch(kernel_id)

    async def stop(self) -> None:
        if self._progress:
            self._progress.stop()
        self.flush_progress(force=True)
        for tap in list(self.taps.values()):
            tap.close()
        self.taps.clear()
        await self.drain()
        if self._task:
            self._task.cancel()

    async def drain(self, timeout: float = 10.0) -> bool:
        """Wait until everything captured so far is handed to the writer; False on timeout."""
        try:
            await asyncio.wait_for(self._queue.join(), timeout)
            return True
        except TimeoutError:
            log.warning(
                "jupyter-branch: %d captured executions were not handed over in time",
                self._queue.qsize(),
            )
            return False

    # -- kernels --------------------------------------------------------------

    def watch(self, kernel_id: str) -> None:
        """Subscribe to a kernel's iopub; after a restart, finish what was running.

        A restarted kernel usually keeps its ports, and then the subscription
        simply reconnects (no gap); only new ports need a new subscription.
        """
        self.start()
        try:
            km = self.kernel_manager.get_kernel(kernel_id)
        except Exception as err:
            log.warning("jupyter-branch: cannot watch kernel %s: %s", kernel_id, err)
            return
        old = self.taps.get(kernel_id)
        if old is not None:
            old.abandon("died")
            if old.port == getattr(km, "iopub_port", None):
                old.rejoin()
                return
            old.close()
        try:
            self.taps[kernel_id] = KernelTap(self, kernel_id, km)
        except Exception as err:
            self.taps.pop(kernel_id, None)
            log.warning("jupyter-branch: cannot watch kernel %s: %s", kernel_id, err)

    def ensure_watched(self, kernel_id: str) -> None:
        """Watch a kernel now if it is not watched yet (a browser is about to connect)."""
        if kernel_id not in self.taps:
            self.watch(kernel_id)

    def joining(self, kernel_id: str) -> bool:
        """Return True while our subscription to the kernel is (re)joining.

        An execution sent now would run before we hear its first outputs: the
        websocket wrapper holds it until ``wait_joined``.
        """
        tap = self.taps.get(kernel_id)
        return tap is not None and not tap.joined.is_set()

    async def wait_joined(self, kernel_id: str, timeout: float) -> bool:
        """Wait until our subscription to the kernel hears it; False on timeout."""
        tap = self.taps.get(kernel_id)
        return True if tap is None else await tap.wait_joined(timeout)

    def unwatch(self, kernel_id: str) -> None:
        tap = self.taps.pop(kernel_id, None)
        if tap is not None:
            tap.abandon("died")
            tap.close()
        self._session_cache.pop(kernel_id, None)

    async def on_kernel_action(
        self, logger: Any = None, schema_id: str = "", data: dict[str, Any] | None = None
    ) -> None:
        """Listener of the server's kernel_actions events: start, restart, shutdown."""
        try:
            await self._kernel_action(data or {})
        except Exception:  # a listener must never disturb the kernel manager
            log.exception("jupyter-branch: could not follow a kernel action")

    async def _kernel_action(self, data: dict[str, Any]) -> None:
        kernel_id = data.get("kernel_id")
        if not kernel_id or data.get("status") != "success":
            return
        action = data.get("action")
        tap = self.taps.get(kernel_id)
        if action == "restart" and tap is not None:
            # before yielding: the browser may send its next execution right after
            tap.abandon("died")
            tap.joined.clear()
        if action in ("start", "restart"):
            for _ in range(200):  # the manager registers a kernel after its start event
                if kernel_id in self.kernel_manager:
                    break
                await asyncio.sleep(0.05)
            else:
                log.warning("jupyter-branch: kernel %s never became available", kernel_id)
                return
            km = self.kernel_manager.get_kernel(kernel_id)
            ready = getattr(km, "ready", None)
            if ready is not None:
                if not isinstance(ready, asyncio.Future):
                    ready = asyncio.wrap_future(ready)
                try:
                    await ready
                except Exception:
                    return
            self.watch(kernel_id)
        elif action == "shutdown":
            self.unwatch(kernel_id)

    # -- requests and captures -----------------------------------------------

    def note_request(self, msg_id: str, info: RequestInfo) -> None:
        """Remember what the browser said about an execute_request (called on the message path)."""
        self.requests[msg_id] = info
        if len(self.requests) > REQUEST_MEMORY:
            self.requests.popitem(last=False)

    def new_capture(self, kernel_id: str, msg_id: str) -> Capture:
        capture = Capture(kernel_id, msg_id, time.time(), OutputReplay(self.max_output_bytes))
        info = self.requests.pop(msg_id, None)
        if info is not None:
            capture.cell_id = info.cell_id
            capture.code = info.code
            capture.deleted_cells = info.deleted_cells
        return capture

    def finish(self, capture: Capture, status: str) -> None:
        self.finished += 1
        self._queue.put_nowait(("finish", capture, status))

    def flush_progress(self, force: bool = False) -> None:
        """Hand the outputs so far of running executions to the writer (every second)."""
        for tap in self.taps.values():
            for capture in tap.captures.values():
                if capture.replay.changed or force:
                    capture.replay.changed = False
                    self._queue.put_nowait(("progress", capture, None))

    def note_rename(self, old: str, new: str) -> None:
        """A notebook or folder was renamed: attribute to the new path from now on.

        JupyterLab renames the file first and updates the kernel's session a
        moment later; an execution ending in between must not bring the old
        name back to life as a second, separate history.
        """
        self._renames.append((time.monotonic(), old, new))
        self._session_cache.clear()

    def _renamed(self, path: str) -> str:
        now = time.monotonic()
        self._renames = [r for r in self._renames if now - r[0] < RENAME_MEMORY]
        for _, old, new in self._renames:
            if path == old or path.startswith(old + "/"):
                path = new + path[len(old) :]
        return path

    async def kernel_paths(self, kernel_id: str) -> list[str]:
        """Return the absolute paths of the notebooks using a kernel (cached for 2 s)."""
        cached = self._session_cache.get(kernel_id)
        if cached and time.monotonic() - cached[0] < SESSION_TTL:
            return [self._renamed(p) for p in cached[1]]
        paths = []
        try:
            sessions = await self.session_manager.list_sessions()
        except Exception as err:
            log.warning("jupyter-branch: cannot list sessions: %s", err)
            sessions = []
        for s in sessions:
            if (s.get("kernel") or {}).get("id") != kernel_id:
                continue
            path = s.get("path") or ""
            if s.get("type") not in (None, "notebook") and not path.endswith(".ipynb"):
                continue
            try:
                paths.append(self.paths.to_abs(path))
            except PathOutsideRoot:
                continue
        self._session_cache[kernel_id] = (time.monotonic(), paths)
        return [self._renamed(p) for p in paths]

    async def _consume(self) -> None:
        while True:
            kind, capture, status = await self._queue.get()
            try:
                paths = await self.kernel_paths(capture.kernel_id)
                if kind == "finish":
                    ex = capture.execution(paths, status or "ok", time.time())
                    self.writer.submit(History.record_execution, ex)
                else:
                    ex = capture.execution(paths, "running", None)
                    self.writer.submit(History.record_progress, ex, coalesce_key=ex.key)
            except (BacklogFull, StoreUnavailable) as err:
                self.dropped += 1
                log.error("jupyter-branch: %s", err)
            except Exception:
                log.exception("jupyter-branch: could not hand an execution to the writer")
            finally:
                self._queue.task_done()
