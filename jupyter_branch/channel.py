"""Messages between the server and its recording process: pickled tuples over socket pairs.

``Channel``: each message is a tuple whose first item names it; it travels as
a 4-byte length and its pickle. Both ends are this package, parent and child
over a socket pair no one else holds, so pickle is safe here. ``send`` never
blocks (the transport buffers) and may be called from any thread: the loop
writes what was sent at the end of its current turn, in one write. Messages
arrive in the order they were sent.

``Notes``: one way, one datagram per message, for what the receiver needs
only when it next reads (a run's request, read with the run's messages). The
receiver's loop does not watch this socket, so a send wakes nobody: on this
machine waking a sleeping process costs its sender more than the message.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger("jupyter_branch")

HEADER = 4
NOTE_AT_MOST = 65_536  # bytes of one note; a longer one goes by the channel


class _Framed(asyncio.Protocol):
    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        start = 0
        while len(buffer) - start >= HEADER:
            size = int.from_bytes(buffer[start : start + HEADER], "big")
            end = start + HEADER + size
            if len(buffer) < end:
                break
            message = pickle.loads(buffer[start + HEADER : end])
            start = end
            try:
                self.channel.on_message(message)
            except Exception:  # one bad message must not stop the others
                log.exception("jupyter-branch: could not handle %r", message[0])
        if start:
            del buffer[:start]

    def connection_lost(self, exc: Exception | None) -> None:
        self.channel._lost()


class Channel:
    """One end of the socket pair, read and written on ``loop``; made on the thread
    that runs ``loop`` (the loop need not run yet)."""

    def __init__(
        self,
        sock: socket.socket,
        loop: asyncio.AbstractEventLoop,
        on_message: Callable[[tuple[Any, ...]], None],
        on_closed: Callable[[], None] = lambda: None,
    ) -> None:
        self.loop = loop
        self.on_message = on_message
        self.on_closed = on_closed
        self.closed = False
        self._transport: asyncio.Transport | None = None
        self._pending: list[bytes] = []  # sent, not yet handed to the transport
        self._lock = threading.Lock()
        self._thread = threading.get_ident()
        sock.setblocking(False)
        loop.call_soon(self._connect, sock)

    def _connect(self, sock: socket.socket) -> None:
        task = self.loop.create_task(
            self.loop.create_unix_connection(lambda: _Framed(self), sock=sock)
        )
        task.add_done_callback(self._connected)

    def _connected(self, task: asyncio.Task[Any]) -> None:
        if task.exception() is not None:
            log.error("jupyter-branch: the recording channel failed: %s", task.exception())
            self._lost()
            return
        self._transport = task.result()[0]
        self._write()  # what was sent before the transport was made

    def send(self, *message: Any) -> None:
        """Send ``message`` (a tuple, its first item its name); from any thread.

        Frames wait in one list, in the order their ``send`` calls were made,
        until the loop writes them: a send from another thread that returned
        before this thread's send is written first."""
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._pending.append(len(data).to_bytes(HEADER, "big"))
            self._pending.append(data)
            if len(self._pending) > 2:  # a write of those before is already due
                return
        # written after the loop's current callbacks: what they send goes out in one
        # write, and wakes the other end once
        if threading.get_ident() == self._thread:
            self.loop.call_soon(self._write)
        else:
            self.loop.call_soon_threadsafe(self._write)

    def _write(self) -> None:
        if self._transport is None and not self.closed:  # kept until ``_connected``
            return
        with self._lock:
            frames, self._pending = self._pending, []
        if not self.closed and frames:
            assert self._transport is not None
            self._transport.writelines(frames)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        else:
            self._lost()

    def _lost(self) -> None:
        if not self.closed:
            self.closed = True
            self.on_closed()


class Notes:
    """One end of a datagram socket pair: notes sent without waking the other end.

    ``send`` returns False when a note cannot go this way (too long, or the
    receiver has left a full buffer unread): the sender then uses its
    ``Channel``. ``read`` returns what has arrived, in order, without waiting.
    """

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self.sock = sock

    @staticmethod
    def pair() -> tuple[socket.socket, socket.socket]:
        return socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)

    def send(self, *message: Any) -> bool:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        if len(data) > NOTE_AT_MOST:
            return False
        try:
            self.sock.send(data)
        except OSError:  # full (BlockingIOError), or the other end is gone
            return False
        return True

    def read(self) -> Iterator[tuple[Any, ...]]:
        while True:
            try:
                data = self.sock.recv(NOTE_AT_MOST)
            except OSError:  # nothing more (BlockingIOError), or closed
                return
            if not data:
                return
            yield pickle.loads(data)

    def close(self) -> None:
        self.sock.close()
