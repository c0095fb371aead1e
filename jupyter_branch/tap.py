"""Our own iopub subscription on one kernel, and the executions it is recording.

``KernelTap`` subscribes to a kernel's iopub (every output, whether or not a
browser is connected), reads only what answers an ``execute_request`` and
replays it into a ``Capture`` per execution; a finished one goes back to the
``Recorder``. What iopub lacks (the cell, the notebook) the recorder adds when
the execution begins (``Recorder.new_capture``, ``Recorder.began``). Nothing
here does I/O: a message is parsed and replayed in memory.

Messages are read in batches: once a run is under way (its request seen, or
its first message arrived), the socket is left alone for ``BATCH`` seconds and
then drained. A run's four or more messages (and a flood's hundreds) then cost
one wake-up of this process instead of one each, and the reading happens
after a short run has ended, not while the kernel and the server are busy with
it. While runs keep coming, the socket is looked at every ``BUSY_POLL``
seconds instead of waking this process when a run's first message arrives,
which is when the kernel and the server are busiest; after ``QUIET_POLLS``
looks find nothing, the socket wakes it again. Runs a browser makes 45 ms
apart (see bench/overhead.py) then cost this process about 1.0 ms of CPU
each instead of 1.5. Recording is not in a hurry: the writer pauses longer than
that anyway, and what the kernel says meanwhile waits in ZeroMQ's queue,
which the recording process leaves unbounded (``recording.Kernels``; with
ZeroMQ's default a 30,000-message burst lost 5,520 to a look every 6 s).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import zmq
import zmq.asyncio
from jupyter_client.connect import ConnectionFileMixin
from jupyter_client.session import Session

from .model import Execution, status_of
from .outputs import OUTPUT_MSG_TYPES, OutputReplay

if TYPE_CHECKING:
    from .recorder import Recorder

log = logging.getLogger("jupyter_branch")


@dataclass
class RequestInfo:
    """What the browser said about one execute_request."""

    cell_id: str | None
    code: str
    deleted_cells: tuple[str, ...] = ()
    user: str | None = None  # the websocket's authenticated user
    kernel_id: str | None = None  # the kernel it was sent to


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
    abs_path: str | None = None  # the notebook, when the request named it
    from_browser: bool = False  # the websocket showed us its execute_request
    by_user: str | None = None
    by_client: str | None = None
    deleted_cells: tuple[str, ...] = ()
    began: bool = False  # execute_input seen: the code ran (else it was aborted)
    before: Any = None  # awaited before it is written (``Recorder.on_began``)
    created: float = field(default_factory=time.monotonic)

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
            from_browser=self.from_browser,
            by_user=self.by_user,
            by_client=self.by_client,
        )


def _plain_iopub(km: Any) -> tuple[zmq.Socket[bytes], Any]:
    """Our subscription to ``km``'s kernel, as a plain ZeroMQ socket that reads at once.

    An IOLoop kernel manager's own ``connect_iopub`` wraps the socket in a
    ZMQStream, which reads each message on a turn of the loop of its own; the
    server's manager makes sockets of an asyncio context, whose reads return
    futures. Returns the socket to read and the one to close (its owner).
    """
    sock = ConnectionFileMixin.connect_iopub(km)
    if isinstance(sock, zmq.asyncio.Socket):
        return zmq.Socket.shadow(sock.underlying), sock
    return sock, sock


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
    BATCH = 0.03  # seconds a run's messages wait to be read together
    BUSY_POLL = 0.1  # seconds between looks while runs keep coming
    QUIET_POLLS = 3  # looks that find nothing before the socket wakes this process again
    DRAIN_AT_MOST = 1_000  # messages read in one go before the loop gets a turn

    def __init__(self, recorder: Recorder, kernel_id: str, km: Any) -> None:
        self.recorder = recorder
        self.kernel_id = kernel_id
        self.km = km
        self.session = Session(config=km.session.config, key=km.session.key)
        self.port = getattr(km, "iopub_port", None)
        self.socket, self._owner = _plain_iopub(km)
        self._loop = asyncio.get_running_loop()
        self._fd = int(self.socket.getsockopt(zmq.FD))
        self._drain_later: asyncio.Handle | None = None
        self._quiet = 0  # looks in a row that found nothing
        self._read_total = 0  # messages read since the tap began
        self._loop.add_reader(self._fd, self._readable)
        self._loop.call_soon(self._readable)  # what arrived before the reader was added
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
        if self._owner.closed:
            return
        self.drain()  # what the kernel said last is recorded too
        if self._drain_later is not None:
            self._drain_later.cancel()
            self._drain_later = None
        self._loop.remove_reader(self._fd)
        self._owner.close(linger=0)

    # -- reading ----------------------------------------------------------------

    def _readable(self) -> None:
        """The socket's descriptor fired: ZeroMQ's says "look", not "a message is here"."""
        if self._owner.closed or not int(self.socket.getsockopt(zmq.EVENTS)) & zmq.POLLIN:
            return
        if self.joined.is_set():
            self.expect_messages()
        else:
            self.drain()  # joining: the browser's run waits for the first message

    def expect_messages(self) -> None:
        """A run is under way: read its messages together, ``BATCH`` seconds from now."""
        if self._drain_later is None and not self._owner.closed:
            self._loop.remove_reader(self._fd)
            self._drain_later = self._loop.call_later(self.BATCH, self._drain_batch)
            self.recorder.prefetch_paths(self.kernel_id)

    def _drain_batch(self) -> None:
        self._drain_later = None
        if self._owner.closed:
            return
        read_before = self._read_total
        if not self.drain(self.DRAIN_AT_MOST):  # more waiting: after the loop's other work
            self._drain_later = self._loop.call_soon(self._drain_batch)
            return
        self._quiet = 0 if self._read_total != read_before else self._quiet + 1
        if self._quiet < self.QUIET_POLLS:  # runs keep coming: look again, unwoken
            self._drain_later = self._loop.call_later(self.BUSY_POLL, self._drain_batch)
            return
        self._quiet = 0
        self._loop.add_reader(self._fd, self._readable)
        self._readable()  # a message that came as the reader was added

    def drain(self, at_most: int = 0) -> bool:
        """Read what has arrived (``at_most`` messages, 0: all); True if nothing is left."""
        self.recorder.catch_up()  # the requests of what is read, noted before they ran
        read = 0
        while not self._owner.closed:
            try:
                msg_list = self.socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return True
            self.on_recv(msg_list)
            read += 1
            self._read_total += 1
            if read == at_most:
                return False
        return True

    def on_recv(self, msg_list: list[bytes]) -> None:
        if not self.joined.is_set():
            self.joined.set()
            self.recorder.on_joined(self.kernel_id)
        try:
            # [signature, header, parent_header, metadata, content, buffers...]. Only
            # what answers an execute_request matters, so the parent header is read
            # first and nothing else is parsed for the rest. Signatures are not
            # checked: this socket is subscribed to the kernel's own publisher, and
            # only the kernel can send on it.
            _, fed = self.session.feed_identities(msg_list)
            if b"execute_request" not in fed[2]:  # type: ignore[operator]  # before any parsing
                return
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
            self.recorder.began(capture)
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
        if not self._owner.closed:
            self.drain()  # what it said before it went
        for capture in list(self.captures.values()):
            self.recorder.finish(capture, status)
        self.captures.clear()
