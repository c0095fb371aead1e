"""Capturing executions: kernel messages in, state-making calls to the writer out.

The source of truth is an iopub subscription of our own on every kernel
(``KernelTap``, tap.py), made when the kernel starts and again after each
restart, so outputs are recorded whether or not a browser is connected. What
iopub lacks, the cell and the notebook, comes, in order of trust, from:

1. the browser's ``execute_request`` (``metadata.cellId``, ``deletedCells``),
   which the kernel websocket wrapper (capture.py) hands over unread
   (``note_frame``; read by execute_request.py);
2. a server-side execute request (server_execution.py), reported through
   ``expect`` and matched to the execution by its code when it begins;
3. the writer, which gives a cell-less execution to the one code cell of the
   notebook holding exactly that code (``History.record_execution``).

The notebook is the request's document if it named one, else the kernel's
notebook session; a kernel with none (a console, a bare API kernel) records
under ``kernel:<kernel id>``, never nowhere.

Nothing here waits on I/O: messages are parsed and replayed in memory, and
finished executions and running outputs go, in order, through one queue to a
task that finds the notebook (from the kernel's sessions: kernel_notebooks.py)
and hands them to the writer thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from tornado.ioloop import PeriodicCallback

from .execute_request import Frame, read_noted
from .kernel_notebooks import KernelNotebooks
from .model import kernel_history_path
from .outputs import OutputReplay
from .paths import PathOutsideRoot, RootPaths
from .server_execution import Expectation
from .store.history import History
from .store.writer import BacklogFull, StoreUnavailable, Writer
from .tap import Capture, KernelTap, RequestInfo

log = logging.getLogger("jupyter_branch")

REQUEST_MEMORY = 10_000
EXPECT_MEMORY = 1_000  # server-side requests per kernel waiting to run
EXPECT_FOR = 3600.0  # seconds a server-side request may wait in its queue
BEFORE_AT_MOST = 2.0  # seconds an execution waits for what must be written before it


async def kernel_ready(kernel_manager: Any, kernel_id: str) -> bool:
    """Wait until a kernel that just (re)started is registered and ready; False if never."""
    for _ in range(200):  # the manager registers a kernel after its start event
        if kernel_id in kernel_manager:
            break
        await asyncio.sleep(0.05)
    else:
        log.warning("jupyter-branch: kernel %s never became available", kernel_id)
        return False
    ready = getattr(kernel_manager.get_kernel(kernel_id), "ready", None)
    if ready is not None:
        if not isinstance(ready, asyncio.Future):
            ready = asyncio.wrap_future(ready)
        try:
            await ready
        except Exception:
            return False
    return True


class KernelActions:
    """Follows the server's kernel_actions events: a kernel's start, restart, shutdown.

    ``Recorder`` and the recording process's stand-in (remote.RecorderLink) say
    what each means to them (``watch``, ``restarting``, ``unwatch``).
    """

    kernel_manager: Any

    def watch(self, kernel_id: str) -> None:
        raise NotImplementedError

    def restarting(self, kernel_id: str) -> None:
        raise NotImplementedError

    def unwatch(self, kernel_id: str) -> None:
        raise NotImplementedError

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
        if action == "restart":  # before yielding: the browser may send its next run at once
            self.restarting(kernel_id)
        if action in ("start", "restart"):
            if await kernel_ready(self.kernel_manager, kernel_id):
                self.watch(kernel_id)
        elif action == "shutdown":
            self.unwatch(kernel_id)


def absolute_expectations(paths: RootPaths, found: list[Expectation]) -> list[Expectation]:
    """``found`` with each request's notebook as an absolute path (None if outside the root)."""
    for expectation in found:
        if expectation.api_path is not None:
            try:
                expectation.api_path = paths.to_abs(expectation.api_path)
            except PathOutsideRoot:
                expectation.api_path = None
    return found


class Recorder(KernelActions):
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
        # told when an execution begins, with its notebook if known (documents flush);
        # what it returns, if not None, is awaited before the execution is written
        self.on_began: Any = lambda _abs_path=None: None
        # told when our subscription to a kernel hears it (again)
        self.on_joined: Any = lambda _kernel_id: None
        # called before a kernel's messages are read: requests noted elsewhere come in
        self.catch_up: Callable[[], None] = lambda: None
        self.expected: dict[str, deque[Expectation]] = {}
        self._queue: asyncio.Queue[tuple[str, Capture, str | None]] = asyncio.Queue()
        self.notebooks = KernelNotebooks(session_manager, paths)
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
        for tap in self.taps.values():
            tap.drain()
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
        # its notebook is forgotten once what it ran last (queued just now) is handed over
        self.notebooks.gone(kernel_id)

    def restarting(self, kernel_id: str) -> None:
        """The kernel restarts: what ran died, and our subscription must join again."""
        tap = self.taps.get(kernel_id)
        if tap is not None:
            tap.abandon("died")
            tap.joined.clear()

    # -- requests and captures -----------------------------------------------

    def note_request(self, msg_id: str, info: RequestInfo) -> None:
        """Remember what the browser said about an execute_request (called on the message path)."""
        self.remember_request(msg_id, info)
        tap = self.taps.get(info.kernel_id or "")
        if tap is not None:
            tap.expect_messages()  # its messages are read together, after it

    def note_frame(self, frame: Frame, kernel_id: str, user: str | None) -> None:
        """A websocket frame that may be an execute request (capture.py): read it, note it."""
        found = read_noted(frame, kernel_id, user)
        if found is not None:
            self.note_request(*found)

    def remember_request(self, msg_id: str, info: RequestInfo) -> None:
        """Remember what the browser said about an execute_request (read by ``catch_up``)."""
        self.requests[msg_id] = info
        if len(self.requests) > REQUEST_MEMORY:
            self.requests.popitem(last=False)

    def expect(self, kernel_id: str, expectation: Expectation) -> None:
        """Remember a server-side request to run a cell on a kernel (on the message path)."""
        queue = self.expected.setdefault(kernel_id, deque(maxlen=EXPECT_MEMORY))
        queue.append(expectation)

    def note_server_request(self, kernel_id: str, found: list[Expectation]) -> None:
        for expectation in absolute_expectations(self.paths, found):
            self.expect(kernel_id, expectation)

    def new_capture(self, kernel_id: str, msg_id: str) -> Capture:
        capture = Capture(kernel_id, msg_id, time.time(), OutputReplay(self.max_output_bytes))
        info = self.requests.pop(msg_id, None)
        if info is not None:
            capture.from_browser = True
            capture.cell_id = info.cell_id
            capture.code = info.code
            capture.deleted_cells = info.deleted_cells
            capture.by_user = info.user
            # a notebook's cells name themselves; a client naming none is not a notebook
            capture.by_client = "browser" if info.cell_id else "kernel client"
        return capture

    def began(self, capture: Capture) -> None:
        """An execution began (``execute_input``): match it to a server-side request."""
        self._attribute(capture)
        try:
            capture.before = self.on_began(capture.abs_path)
        except Exception as err:
            log.debug("jupyter-branch: could not note the start of an execution: %s", err)

    def _attribute(self, capture: Capture) -> None:
        if capture.from_browser and capture.cell_id:
            return
        queue = self.expected.get(capture.kernel_id)
        if not queue:
            return
        now = time.monotonic()
        while queue and now - queue[0].at > EXPECT_FOR:
            queue.popleft()
        for i, expectation in enumerate(queue):
            if expectation.matches(capture.code):
                del queue[i]
                capture.cell_id = capture.cell_id or expectation.cell_id
                capture.abs_path = expectation.api_path
                capture.by_user = expectation.user
                capture.by_client = "server"
                return

    def finish(self, capture: Capture, status: str) -> None:
        self.finished += 1
        self._queue.put_nowait(("finish", capture, status))

    def flush_progress(self, force: bool = False) -> None:
        """Hand the outputs so far of running executions to the writer (every second).

        Only executions running for a ``progress_interval`` already: a cell that
        ends sooner is written once, when it ends, never as running."""
        young = time.monotonic() - self.progress_interval
        for tap in self.taps.values():
            for capture in tap.captures.values():
                if force or (capture.replay.changed and capture.created <= young):
                    capture.replay.changed = False
                    self._queue.put_nowait(("progress", capture, None))

    def note_rename(self, old: str, new: str) -> None:
        """A notebook or folder was renamed: attribute to the new path from now on."""
        self.notebooks.note_rename(old, new)

    def sessions_changed(self) -> None:
        """The server's sessions changed: find each kernel's notebooks again."""
        self.notebooks.sessions_changed()

    def prefetch_paths(self, kernel_id: str) -> None:
        """A run is under way: find its notebook now, while its session surely exists.

        Its messages are read a little later (tap.py), by which time an API
        client may have deleted the session; what was found last is then what
        the run is recorded under."""
        self.notebooks.prefetch(kernel_id)

    async def _consume(self) -> None:
        while True:
            kind, capture, status = await self._queue.get()
            try:
                if capture.before is not None:  # what must be written first
                    before, capture.before = capture.before, None
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(before, BEFORE_AT_MOST)
                paths = [capture.abs_path] if capture.abs_path else []
                if not paths:
                    paths = await self.notebooks.of(capture.kernel_id)
                if not paths:  # a console or bare kernel: recorded under the kernel
                    paths = [kernel_history_path(capture.kernel_id)]
                if kind == "finish":
                    ex = capture.execution(paths, status or "ok", time.time())
                    self.writer.submit(History.record_execution, ex, supersedes=ex.key)
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
                if self._queue.empty():
                    self.notebooks.prune(self.taps)
