"""The server's side of the recording process: starting it, and standing in for its parts.

``RecordingProcess`` starts ``python -m jupyter_branch.recording`` (recording.py)
with one end of a socket pair, sends it the settings, answers what it asks,
and starts it again if it dies. Two stand-ins keep the rest of the server
unchanged:

- ``WriterLink`` is the writer as the server's code uses it: ``submit`` sends
  the operation (an unbound ``History`` method, by name, and its arguments)
  and returns a future of its result; ``backlog``, ``problem`` and the counts
  are as the process last told. It opens the store for the server's reads.
- ``RecorderLink`` is the recorder as the websocket wrapper, the execute
  routes and the kernel events use it: it passes on what they see, and keeps
  per kernel whether our subscription has joined (a browser's run is held
  until it has), by generation, so that an old "joined" cannot release a run
  sent after a restart.

Everything here runs on the event loop, except ``submit`` and ``send``, which
any thread may call.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from .channel import Channel, Notes
from .execute_request import Frame
from .paths import RootPaths
from .recorder import KernelActions, absolute_expectations
from .server_execution import Expectation
from .store.engine import StoreEngines, open_store
from .store.writer import StoreUnavailable
from .tap import RequestInfo

log = logging.getLogger("jupyter_branch")

RESTARTS = 5  # the most restarts of the process in RESTART_WINDOW seconds
RESTART_WINDOW = 60.0
STOP_WAIT = 30.0  # seconds the process may take to write what it holds at shutdown


class WriterLink:
    """The writer, in the recording process; the store's reader, here."""

    def __init__(self, url: str, engines: StoreEngines | None, pool_size: int) -> None:
        self.url = url
        self.engines = engines
        self.pool_size = pool_size
        self.process: RecordingProcess | None = None
        self.on_changes: Callable[[list[dict[str, Any]]], None] = lambda _changes: None
        self.backlog = 0
        self.committed_ops = 0
        self.refused_ops = 0
        self.problem: str | None = None
        self.problem_since: float | None = None
        self._opened: int | None = None  # stores the process has opened, as last told
        self._futures: dict[int, Future[Any]] = {}
        self._ids = itertools.count()

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        coalesce_key: str | None = None,
        urgent: bool = False,
    ) -> Future[Any]:
        """Queue ``fn(history, conn, *args)`` (a ``History`` method) in the process."""
        assert self.process is not None
        future: Future[Any] = Future()
        op_id = next(self._ids)
        self._futures[op_id] = future
        self.process.send("submit", op_id, fn.__name__, args, urgent, coalesce_key)
        return future

    def answered(self, op_id: int, ok: bool, value: Any) -> None:
        future = self._futures.pop(op_id, None)
        if future is None or future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def told(self, stats: dict[str, Any]) -> None:
        for name in ("backlog", "committed_ops", "refused_ops", "problem", "problem_since"):
            setattr(self, name, stats[name])
        opened = stats["opened"]
        if self._opened and opened != self._opened and self.engines is not None:
            self.engines.dispose()  # the process opened the store anew (moved, replaced)
            self.engines = None
        self._opened = opened

    def lost(self, why: str) -> None:
        """The process stopped: what it was given and did not answer has failed."""
        futures, self._futures = self._futures, {}
        for future in futures.values():
            if not future.done():
                future.set_exception(StoreUnavailable(why))

    def require_engines(self) -> StoreEngines:
        """Return the open store. Raises StoreUnavailable with the reason."""
        if self.engines is None:
            if not self._opened:  # the process migrates it first: wait for it
                raise StoreUnavailable(self.problem or "The history database is being opened.")
            try:
                self.engines = open_store(self.url, migrate_schema=False, pool_size=self.pool_size)
            except Exception as err:
                raise StoreUnavailable(
                    self.problem or "The history database cannot be opened."
                ) from err
        return self.engines


class RecorderLink(KernelActions):
    """The recorder, in the recording process; which kernels it has joined, here."""

    def __init__(self, kernel_manager: Any, paths: RootPaths) -> None:
        self.kernel_manager = kernel_manager
        self.paths = paths
        self.process: RecordingProcess | None = None
        self.joined: dict[str, asyncio.Event] = {}
        self.generation: dict[str, int] = {}
        self.dropped = 0
        self.on_began: Any = lambda _abs_path=None: None

    def _send(self, *message: Any) -> None:
        assert self.process is not None
        self.process.send(*message)

    def _next_generation(self, kernel_id: str) -> int:
        generation = self.generation.get(kernel_id, 0) + 1
        self.generation[kernel_id] = generation
        self.joined.setdefault(kernel_id, asyncio.Event()).clear()
        return generation

    def start(self) -> None:
        for kernel_id in list(self.kernel_manager.list_kernel_ids()):
            if kernel_id not in self.joined:
                self.watch(kernel_id)

    def watch(self, kernel_id: str) -> None:
        try:
            info = self.kernel_manager.get_kernel(kernel_id).get_connection_info()
        except Exception as err:
            log.warning("jupyter-branch: cannot watch kernel %s: %s", kernel_id, err)
            return
        self._send("watch", kernel_id, info, self._next_generation(kernel_id))

    def rewatch(self) -> None:
        """A new process: it watches every kernel this one knew."""
        for kernel_id in list(self.joined):
            self.watch(kernel_id)

    def ensure_watched(self, kernel_id: str) -> None:
        if kernel_id not in self.joined:
            self.watch(kernel_id)

    def restarting(self, kernel_id: str) -> None:
        if kernel_id in self.joined:
            self._send("restart", kernel_id, self._next_generation(kernel_id))

    def unwatch(self, kernel_id: str) -> None:
        self.joined.pop(kernel_id, None)
        self.generation.pop(kernel_id, None)
        self._send("unwatch", kernel_id)

    def heard(self, kernel_id: str, generation: int) -> None:
        if self.generation.get(kernel_id) == generation:
            self.joined[kernel_id].set()

    def joining(self, kernel_id: str) -> bool:
        joined = self.joined.get(kernel_id)
        return joined is not None and not joined.is_set()

    async def wait_joined(self, kernel_id: str, timeout: float) -> bool:
        joined = self.joined.get(kernel_id)
        if joined is None:
            return True
        try:
            await asyncio.wait_for(joined.wait(), timeout)
            return True
        except TimeoutError:
            return False

    def note_request(self, msg_id: str, info: RequestInfo) -> None:
        self._note("request", msg_id, info)

    def note_frame(self, frame: Frame, kernel_id: str, user: str | None) -> None:
        """A frame that may be an execute request: the process reads it, not this loop."""
        self._note("frame", frame, kernel_id, user)

    def _note(self, *message: Any) -> None:
        # read with the run's messages (a note wakes nobody); by the channel if it cannot
        assert self.process is not None
        if self.process.notes is None or not self.process.notes.send(*message):
            self._send(*message)

    def note_server_request(self, kernel_id: str, found: list[Expectation]) -> None:
        self._send("expect", kernel_id, absolute_expectations(self.paths, found))

    def note_rename(self, old: str, new: str) -> None:
        self._send("rename", old, new)

    def sessions_changed(self) -> None:
        self._send("sessions")


class RecordingProcess:
    """The recording process, seen from the server; started again if it dies."""

    def __init__(
        self,
        settings: dict[str, Any],
        loop: asyncio.AbstractEventLoop,
        writer: WriterLink,
        recorder: RecorderLink | None,
        session_manager: Any,
        on_notebook: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.loop = loop
        self.writer = writer
        self.recorder = recorder
        self.session_manager = session_manager
        self.on_notebook = on_notebook
        self.documents = False
        self.proc: subprocess.Popen[bytes] | None = None
        self.channel: Channel | None = None
        self.notes: Notes | None = None
        self.stopping = False
        self.stopped = asyncio.Event()
        self._starts: list[float] = []
        writer.process = self
        if recorder is not None:
            recorder.process = self

    def start(self) -> None:
        parent, child = socket.socketpair()
        notes, child_notes = Notes.pair()
        with child, child_notes:
            fds = (child.fileno(), child_notes.fileno())
            # -P: the server's working directory (often the notebooks' folder) is not
            # put on the path, so a notebook folder's socket.py or sqlalchemy/ cannot
            # stand in for what this process imports
            self.proc = subprocess.Popen(
                [sys.executable, "-P", "-m", "jupyter_branch.recording", *map(str, fds)],
                pass_fds=fds,
                stdin=subprocess.DEVNULL,
            )
        self._starts.append(time.monotonic())
        if self.notes is not None:
            self.notes.close()
        self.notes = Notes(notes)
        self.channel = Channel(parent, self.loop, self.on_message, self.on_closed)
        self.channel.send("setup", self.settings)
        if self.documents:
            self.channel.send("documents", True)

    def send(self, *message: Any) -> None:
        assert self.channel is not None
        self.channel.send(*message)

    def hold_documents(self) -> None:
        """The server holds documents: a run's pending edits are written before it."""
        self.documents = True
        self.send("documents", True)

    # -- from the process ---------------------------------------------------------

    def on_message(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "result":
            self.writer.answered(*message[1:])
        elif kind == "changes":
            self.writer.on_changes(message[1])
        elif kind == "joined" and self.recorder is not None:
            self.recorder.heard(*message[1:])
        elif kind == "stats":
            self.writer.told(message[1])
            if self.recorder is not None:
                self.recorder.dropped = message[1]["dropped"]
        elif kind == "notebook":
            self.on_notebook(message[1])
        elif kind == "ask":
            self.loop.create_task(self._answer(message[1], message[2], *message[3:]))
        elif kind == "stopped":
            self.stopped.set()

    async def _answer(self, ask_id: int, question: str, *args: Any) -> None:
        value: Any = None
        try:
            if question == "sessions":
                value = await self.session_manager.list_sessions()
            elif question == "began" and self.recorder is not None:
                self.recorder.on_began(*args)  # its reports are sent before this reply
        except Exception as err:
            log.warning("jupyter-branch: could not answer the recording process: %s", err)
            value = [] if question == "sessions" else None
        self.send("reply", ask_id, value)

    def on_closed(self) -> None:
        code = self.proc.poll() if self.proc is not None else None
        if self.stopping:
            self.stopped.set()
            return
        why = f"The recording process stopped (exit code {code}); it is started again."
        if self.proc is not None and code is None:  # its socket closed first: reap it
            self.loop.run_in_executor(None, self.proc.wait)
        self.writer.lost(why)
        now = time.monotonic()
        self._starts = [t for t in self._starts if now - t < RESTART_WINDOW]
        if len(self._starts) >= RESTARTS:
            self.writer.problem = (
                "The recording process keeps stopping; history is paused. "
                "The server's log says why."
            )
            self.writer.problem_since = time.time()
            log.error("jupyter-branch: %s", self.writer.problem)
            return
        log.error("jupyter-branch: %s", why)
        self.start()
        if self.recorder is not None:
            self.recorder.rewatch()

    # -- control ----------------------------------------------------------------------

    async def stop(self, timeout: float = STOP_WAIT) -> None:
        """Ask the process to write what it holds and exit; end it if it does not."""
        self.stopping = True
        if self.channel is not None and not self.channel.closed:
            self.send("stop")
            try:
                await asyncio.wait_for(self.stopped.wait(), timeout)
            except TimeoutError:
                log.error("jupyter-branch: the recording process did not stop in time")
            self.channel.close()
        if self.notes is not None:
            self.notes.close()
        proc = self.proc
        if proc is not None:
            try:
                await self.loop.run_in_executor(None, proc.wait, 5)
            except subprocess.TimeoutExpired:
                proc.kill()
                await self.loop.run_in_executor(None, proc.wait)
        self.writer.lost("The server is stopping.")
