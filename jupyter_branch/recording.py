"""The recording process: the writer, the recorder and our iopub subscriptions.

The server starts one (``remote.RecordingProcess``) so that reading, replaying,
encoding and writing the kernels' outputs costs its event loop nothing. It runs
the same ``Recorder`` and ``Writer`` the server would run in process; the
server tells it, over a socket pair (``channel.py``), what only the server sees:

- ``setup``: the store and the settings, once, first;
- ``watch`` / ``restart`` / ``unwatch``: a kernel's connection info and life;
- ``frame`` / ``request`` / ``expect``: what a browser or a server-side request
  said of a run (a browser's comes as a note, on a second socket pair this
  process reads only before it reads the kernels' messages:
  ``Recorder.catch_up``; as a ``frame``, the websocket message unread, which
  this process reads, so that the server's loop parses nothing);
- ``rename``: a notebook was renamed; ``sessions``: the sessions changed;
- ``documents``: the server holds Y documents, so a run's pending edits are
  reported (``ask`` "began") before the run is written;
- ``submit``: a write of the server's (a report, a restore, a label, a file event);
- ``reply``: the answer to something this process asked;
- ``stop``: write what is queued, then exit.

It tells the server ``result`` (of a submit), ``changes`` (what a commit
changed), ``joined`` (our subscription hears a kernel), ``notebook`` (a
notebook to watch on disk), ``stats`` (the writer's health), ``ask`` (the
kernel's sessions; a run began) and ``stopped``. When the server goes away
(the socket closes) it writes what it holds and exits; it ignores the
terminal's Ctrl-C and a group's SIGTERM, which the server answers for it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import pickle
import signal
import socket
import sys
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import zmq
from jupyter_client.ioloop import IOLoopKernelManager

from .channel import Channel, Notes
from .execute_request import Frame, read_noted
from .paths import RootPaths
from .recorder import Recorder
from .store.engine import open_store
from .store.files import read_notebook_file
from .store.history import History
from .store.writer import Writer

log = logging.getLogger("jupyter_branch")

STATS_EVERY = 1.0  # seconds between checks of the writer's health (and after each commit)


class Kernels:
    """The kernel manager, as the recorder uses it: kernels known by connection info."""

    def __init__(self) -> None:
        self.kernels: dict[str, IOLoopKernelManager] = {}
        # what the kernels publish waits on our side until the tap reads it, however
        # long that takes (ZeroMQ's default keeps 1,000 messages, then drops): only
        # our iopub subscriptions and shell sockets come from this context
        self.context: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        self.context.setsockopt(zmq.RCVHWM, 0)

    def add(self, kernel_id: str, info: dict[str, Any]) -> None:
        km = IOLoopKernelManager(context=self.context)
        km.load_connection_info(info)  # type: ignore[arg-type]  # a dict of its keys
        self.kernels[kernel_id] = km

    def get_kernel(self, kernel_id: str) -> IOLoopKernelManager:
        return self.kernels[kernel_id]

    def list_kernel_ids(self) -> list[str]:
        return list(self.kernels)

    def __contains__(self, kernel_id: object) -> bool:
        return kernel_id in self.kernels


class Sessions:
    """The session manager, as the recorder uses it: the server answers."""

    def __init__(self, ask: Callable[..., asyncio.Future[Any]]) -> None:
        self.ask = ask

    async def list_sessions(self) -> list[dict[str, Any]]:
        return list(await self.ask("sessions"))


def _portable(err: BaseException) -> BaseException:
    """``err`` if it survives a pickle round trip, else a RuntimeError saying the same."""
    try:
        pickle.loads(pickle.dumps(err))
        return err
    except Exception:
        return RuntimeError(f"{type(err).__name__}: {err}")


class Recording:
    """This process's side: follows the server's messages, tells it what happened."""

    def __init__(
        self, sock: socket.socket, notes: socket.socket, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.loop = loop
        self.channel = Channel(sock, loop, self.on_message, self.on_closed)
        self.notes = Notes(notes)
        self.kernels = Kernels()
        self.generation: dict[str, int] = {}
        self.writer: Writer | None = None
        self.recorder: Recorder | None = None
        self.asked: dict[int, asyncio.Future[Any]] = {}
        self.ids = itertools.count()
        self.await_began = False
        self.done = asyncio.Event()
        self._stats: dict[str, Any] = {}
        self._engines_seen: Any = None
        self._opened = 0  # stores opened: the server opens its reader anew when it grows
        self._stopping = False

    # -- from the server --------------------------------------------------------

    def on_message(self, message: tuple[Any, ...]) -> None:
        getattr(self, "do_" + message[0])(*message[1:])

    def do_setup(self, settings: dict[str, Any]) -> None:
        logging.getLogger("jupyter_branch").setLevel(settings["log_level"])
        url = settings["url"]
        history = History(
            read_notebook=read_notebook_file,
            max_output_bytes=settings["max_output_bytes"],
            on_notebook=lambda path: self.channel.send("notebook", path),
            owner=settings["owner"],
        )
        self.writer = Writer(
            lambda: open_store(url, pool_size=1), history, max_backlog=settings["max_backlog"]
        )
        self.writer.on_changes = self._on_commit
        self.writer.submit(History.recover_running)
        if settings["record_executions"]:
            self.recorder = Recorder(
                self.kernels,
                Sessions(self.ask),
                self.writer,
                RootPaths(settings["root_dir"]),
                max_output_bytes=settings["max_output_bytes"],
                progress_interval=settings["progress_interval"],
            )
            self.recorder.on_joined = self._joined
            self.recorder.on_began = self._began
            self.recorder.catch_up = self._read_notes
            self.recorder.start()
        self.loop.create_task(self._watch_stats())

    def do_documents(self, held: bool) -> None:
        """The server holds documents: a run's pending edits are written before it."""
        self.await_began = held

    def do_watch(self, kernel_id: str, info: dict[str, Any], generation: int) -> None:
        self.generation[kernel_id] = generation
        self.kernels.add(kernel_id, info)
        if self.recorder is not None:
            self.recorder.watch(kernel_id)

    def do_restart(self, kernel_id: str, generation: int) -> None:
        self.generation[kernel_id] = generation
        if self.recorder is not None:
            self.recorder.restarting(kernel_id)

    def do_unwatch(self, kernel_id: str) -> None:
        if self.recorder is not None:
            self.recorder.unwatch(kernel_id)
        self.kernels.kernels.pop(kernel_id, None)
        self.generation.pop(kernel_id, None)

    def do_request(self, msg_id: str, info: Any) -> None:
        if self.recorder is not None:
            self.recorder.note_request(msg_id, info)

    def do_frame(self, frame: Frame, kernel_id: str, user: str | None) -> None:
        if self.recorder is not None:
            self.recorder.note_frame(frame, kernel_id, user)

    def _read_notes(self) -> None:
        """The browser's requests the server noted since the last read: read, or as
        frames to read here (``note_frame``)."""
        if self.recorder is None:
            return
        for kind, *args in self.notes.read():
            found = read_noted(*args) if kind == "frame" else tuple(args)
            if found:
                self.recorder.remember_request(*found)

    def do_expect(self, kernel_id: str, found: list[Any]) -> None:
        if self.recorder is not None:
            for expectation in found:
                self.recorder.expect(kernel_id, expectation)

    def do_rename(self, old: str, new: str) -> None:
        if self.recorder is not None:
            self.recorder.note_rename(old, new)

    def do_sessions(self) -> None:
        if self.recorder is not None:
            self.recorder.sessions_changed()

    def do_submit(
        self, op_id: int, name: str, args: tuple[Any, ...], urgent: bool, key: str | None
    ) -> None:
        assert self.writer is not None
        try:
            future = self.writer.submit(
                getattr(History, name), *args, urgent=urgent, coalesce_key=key
            )
        except Exception as err:
            self.channel.send("result", op_id, False, _portable(err))
            return
        future.add_done_callback(
            lambda done: self.loop.call_soon_threadsafe(self._answer, op_id, done)
        )

    def _answer(self, op_id: int, done: Future[Any]) -> None:
        self._send_stats()  # first: whoever awaits the result may read the counts next
        if done.cancelled():
            self.channel.send("result", op_id, True, None)
        elif done.exception() is not None:
            self.channel.send("result", op_id, False, _portable(done.exception()))  # type: ignore[arg-type]
        else:
            self.channel.send("result", op_id, True, done.result())

    def do_reply(self, ask_id: int, value: Any) -> None:
        waiting = self.asked.pop(ask_id, None)
        if waiting is not None and not waiting.done():
            waiting.set_result(value)

    def do_stop(self) -> None:
        self.loop.create_task(self.stop())

    def on_closed(self) -> None:
        for waiting in self.asked.values():  # the server will not answer: go on without
            if not waiting.done():
                waiting.set_result([])
        self.asked.clear()
        if not self._stopping:
            log.warning("jupyter-branch: the server went away; writing what was recorded")
            self.loop.create_task(self.stop())

    async def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        try:
            if self.recorder is not None:
                await self.recorder.stop()
            if self.writer is not None:
                await self.loop.run_in_executor(None, self.writer.stop)
                self._send_stats()
                if self.writer.engines is not None:
                    self.writer.engines.dispose()
        finally:
            if not self.channel.closed:
                self.channel.send("stopped")
            self.done.set()

    # -- to the server ------------------------------------------------------------

    def ask(self, *question: Any) -> asyncio.Future[Any]:
        ask_id = next(self.ids)
        self.asked[ask_id] = self.loop.create_future()
        self.channel.send("ask", ask_id, *question)
        return self.asked[ask_id]

    def _joined(self, kernel_id: str) -> None:
        self.channel.send("joined", kernel_id, self.generation.get(kernel_id, 0))

    def _began(self, abs_path: str | None) -> asyncio.Future[Any] | None:
        if not self.await_began:
            return None
        return self.ask("began", abs_path)

    def _on_commit(self, changes: list[dict[str, Any]]) -> None:
        """The writer committed (on its thread): tell the server, from the loop."""
        self.loop.call_soon_threadsafe(self._committed, changes)

    def _committed(self, changes: list[dict[str, Any]]) -> None:
        self.channel.send("changes", changes)
        self._send_stats()  # the backlog as the commit left it

    def _send_stats(self) -> None:
        writer, recorder = self.writer, self.recorder
        if writer is None:
            return
        if writer.engines is not None and writer.engines is not self._engines_seen:
            self._engines_seen = writer.engines
            self._opened += 1
        stats = {
            "backlog": writer.backlog,
            "committed_ops": writer.committed_ops,
            "refused_ops": writer.refused_ops,
            "problem": writer.problem,
            "problem_since": writer.problem_since,
            "dropped": recorder.dropped if recorder is not None else 0,
            "opened": self._opened,
        }
        if stats != self._stats:
            self._stats = stats
            self.channel.send("stats", stats)

    async def _watch_stats(self) -> None:
        while not self._stopping:
            self._send_stats()
            self._read_notes()  # requests no kernel answered must not fill the socket
            await asyncio.sleep(STATS_EVERY)


def main() -> None:
    """Run the recording process on the socket pairs whose descriptors are ``argv[1:3]``
    (the channel, the notes)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when this stops
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(
        format="[jupyter-branch recording %(levelname)s] %(message)s", stream=sys.stderr
    )
    sock, notes = (socket.socket(fileno=int(fd)) for fd in sys.argv[1:3])

    async def run() -> None:
        process = Recording(sock, notes, asyncio.get_running_loop())
        await process.done.wait()
        await asyncio.sleep(0)  # let the last message go out

    asyncio.run(run())


if __name__ == "__main__":
    main()
