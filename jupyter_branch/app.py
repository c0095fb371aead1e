"""The jupyter_server extension: settings, and wiring the pieces together.

``BranchApp`` opens the store, starts the writer and the recorder (our iopub
subscriptions, fed the browser's cell ids through a wrapper of the kernel
websocket connection class), the file watcher and the REST handlers. The
writer and the recorder run in the recording process (recording.py), which
the server reaches through the stand-ins of remote.py; with
``recording_process`` off, in this process. If the
store cannot be opened, Jupyter keeps working: the API answers 503 with the
reason in plain words, and the writer keeps retrying (holding what it was
given, up to ``max_backlog``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Float, Int, Unicode

from .capture import wrap_connection_class
from .coverage import Coverage, log_coverage, survey
from .handlers import handlers
from .identity import default_owner
from .kernel_notebooks import follow_sessions
from .live import Watchers
from .paths import PathOutsideRoot, RootPaths
from .recorder import Recorder
from .remote import RecorderLink, RecordingProcess, WriterLink
from .server_documents import ServerDocuments
from .service import HistoryService
from .status import (
    ShownBacklog,
    masked_url,
    remove_status,
    status_file,
    store_key,
    write_status,
)
from .store.engine import StoreEngines, default_db_url, open_store, sqlite_path
from .store.files import read_notebook_file
from .store.history import History
from .store.writer import Writer
from .watcher import NotebookWatcher

KERNEL_ACTIONS = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"
CONTENTS = "https://events.jupyter.org/jupyter_server/contents_service/v1"
STATUS_SECONDS = 2  # how often the status file is looked at


class BranchApp(ExtensionApp):
    name = "jupyter_branch"
    load_other_extensions = True

    db_url = Unicode(
        "",
        config=True,
        help="""SQLAlchemy URL of the history store. Empty (the default) means a SQLite
        database at <jupyter data dir>/jupyter_branch/history.sqlite, the store the
        `jupyter branch` command reads by default.""",
    )
    owner = Unicode(
        "",
        config=True,
        help="""Whose history this server records and shows. Empty (the default) means the
        JupyterHub user ($JUPYTERHUB_USER), else the operating system's user. On a team's
        PostgreSQL store with a role per user, it is the user's role name.""",
    )
    db_pool_size = Int(
        2,
        min=1,
        config=True,
        help="""Database connections this server keeps for reading history (PostgreSQL;
        up to twice as many under load), besides the one its writer uses.""",
    )
    max_output_bytes = Int(
        5_000_000,
        min=1000,
        config=True,
        help="""Largest output kept whole, counted in characters as the kernel sent them:
        a stream's text; a rich output's mime types, values (JSON text for non-strings)
        and metadata; an error's name, value and traceback. For ASCII (base64 images,
        most text) a character is a byte. Past it a stream keeps its head and tail with
        a visible marker between them, a traceback its first and last lines, and a rich
        output is replaced by a visible marker; the original size is recorded.""",
    )
    progress_interval = Float(
        1.0,
        min=0.05,
        max=2.0,
        config=True,
        help="""Seconds between saves of a running cell's outputs so far, at most 2
        (SPEC: a crash loses at most 2 s). A crash loses at most this window, plus the
        time to commit.""",
    )
    record_executions = Bool(
        True,
        config=True,
        help="""Record cell executions. When off, history stays browsable but nothing new
        is recorded from kernels.""",
    )
    watch_files = Bool(
        True,
        config=True,
        help="""Watch the folders of notebooks with history for changes made outside
        Jupyter (git checkout, another editor) and record them as `external` states.""",
    )
    recording_process = Bool(
        True,
        config=True,
        help="""Read, replay, encode and write the kernels' outputs in a process of its
        own (the default), so that recording costs the server's event loop next to
        nothing. Off: in the server's own process (a writer thread).""",
    )
    max_backlog = Int(
        200_000,
        min=1,
        config=True,
        help="""Most history writes kept in memory while the store is failing (locked, full,
        read-only). Past it, new writes are refused and logged.""",
    )

    writer: Writer | WriterLink
    service: HistoryService
    recorder: Recorder | RecorderLink | None = None
    process: RecordingProcess | None = None
    coverage: Coverage | None = None
    watchers: Watchers
    _status_backlog: ShownBacklog
    _status_path: Path | None = None
    _status_seen: tuple[Any, ...] | None = None
    _status: asyncio.TimerHandle | None = None

    def initialize_settings(self) -> None:
        server = self.serverapp
        assert server is not None
        self.paths = RootPaths(server.root_dir)
        self.watchers = Watchers()
        self._status_backlog = ShownBacklog()
        loop = getattr(getattr(server, "io_loop", None), "asyncio_loop", None)
        self.watcher = NotebookWatcher(self._file_changed, enabled=self.watch_files, loop=loop)
        url = self.db_url or default_db_url()
        owner = self.owner or default_owner()
        pool = self.db_pool_size
        try:  # open now, so the API answers from the first request
            opener: Any = open_store(url, pool_size=pool)
        except Exception as err:  # the writer keeps trying, and says why in plain words
            self.log.error("jupyter-branch: cannot open the history store yet: %s", err)
            opener = lambda: open_store(url, pool_size=pool)  # noqa: E731
        self._loop = loop
        if self.recording_process:
            self._start_process(url, owner, opener)
        else:
            history = History(
                read_notebook=read_notebook_file,
                max_output_bytes=self.max_output_bytes,
                on_notebook=self.watcher.watch,
                owner=owner,
            )
            self.writer = Writer(opener, history, max_backlog=self.max_backlog)
            self.writer.submit(History.recover_running)
        # a writer thread's commits are handed to the loop; the process's arrive on it
        self.writer.on_changes = (
            self._tell_panels if self.process is not None else self._changes_committed
        )
        self.service = HistoryService(writer=self.writer, owner=owner)
        shown = masked_url(url)
        self.log.info("jupyter-branch: recording %s's notebook history in %s", owner, shown)
        events = server.event_logger
        assert events is not None
        if self.record_executions:
            base = self.settings.get("kernel_websocket_connection_class") or getattr(
                server, "kernel_websocket_connection_class", None
            )
            if self.recorder is None:  # in this process
                self.recorder = Recorder(
                    server.kernel_manager,
                    server.session_manager,
                    self.writer,  # type: ignore[arg-type]
                    self.paths,
                    max_output_bytes=self.max_output_bytes,
                    progress_interval=self.progress_interval,
                )
            if base is not None:
                self.settings["kernel_websocket_connection_class"] = wrap_connection_class(
                    base, self.recorder
                )
            events.add_listener(schema_id=KERNEL_ACTIONS, listener=self.recorder.on_kernel_action)
            follow_sessions(server.session_manager, self.recorder.sessions_changed)
        events.add_listener(schema_id=CONTENTS, listener=self._on_contents_event)
        self.documents = ServerDocuments(
            server.web_app.settings, self.paths.to_abs, self.service.report_document, loop=loop
        )
        if self.recorder is not None:
            self.recorder.on_began = self.documents.flush_pending
        # once every extension is loaded: the loop runs this before the first request
        server.io_loop.add_callback(self.take_survey)

    def _start_process(self, url: str, owner: str, opened: Any) -> None:
        """Record in a process of its own (remote.py), standing in for its writer and recorder."""
        server = self.serverapp
        assert server is not None
        engines = opened if isinstance(opened, StoreEngines) else None
        self.writer = WriterLink(url, engines, self.db_pool_size)
        link = RecorderLink(server.kernel_manager, self.paths) if self.record_executions else None
        self.recorder = link
        settings = {
            "url": url,
            "owner": owner,
            "root_dir": self.paths.root,
            "max_output_bytes": self.max_output_bytes,
            "progress_interval": self.progress_interval,
            "max_backlog": self.max_backlog,
            "record_executions": self.record_executions,
            "log_level": logging.getLogger("jupyter_branch").getEffectiveLevel(),
        }
        self.process = RecordingProcess(
            settings,
            self._loop or asyncio.get_event_loop_policy().get_event_loop(),
            self.writer,
            link,
            server.session_manager,
            self.watcher.watch,
        )
        self.process.start()
        assert self.process.proc is not None
        self.log.info(
            "jupyter-branch: recording in a process of its own (pid %d)", self.process.proc.pid
        )

    def take_survey(self) -> Coverage:
        """Find (once) what this server lets us see; hook execute routes and documents."""
        if self.coverage is None:
            self.coverage = survey(self.serverapp, self.recorder, self.documents)
            log_coverage(self.coverage, self.log)
            if self.process is not None and self.documents.provider is not None:
                self.process.hold_documents()
        return self.coverage

    def initialize_handlers(self) -> None:
        self.handlers.extend(handlers("/"))  # the server prepends its base_url

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        self.take_survey()
        self.watcher.start()
        if self.recorder is not None:
            self.recorder.start()
        self._status_path = status_file()  # its folder cost 0.07 ms to work out, each time
        self._status_tick(asyncio.get_running_loop())

    def _status_tick(self, loop: asyncio.AbstractEventLoop) -> None:
        """Look at the status now and again in ``STATUS_SECONDS``: a plain timer of the
        loop (a tornado PeriodicCallback runs each tick as a task: 0.15 to 0.25 ms here,
        while the look itself takes 0.01)."""
        self._write_status()
        self._status = loop.call_later(STATUS_SECONDS, self._status_tick, loop)

    def _changes_committed(self, changes: list[dict[str, Any]]) -> None:
        """The writer committed changes (on its thread): tell the open panels, on the loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is closing: nobody listens
                loop.call_soon_threadsafe(self._tell_panels, changes)

    def _tell_panels(self, changes: list[dict[str, Any]]) -> None:
        """Tell the open history panels (live.py); with none open this costs nothing."""
        try:
            self.watchers.announce(changes, self.paths.to_api)
        except Exception as err:
            self.log.debug("jupyter-branch: could not announce a history change: %s", err)

    def refused_writes(self) -> int:
        """Writes lost to the store: refused by it, or dropped while it was unavailable."""
        dropped = self.recorder.dropped if self.recorder is not None else 0
        return int(self.writer.refused_ops + dropped)

    def _write_status(self) -> None:
        """Tell `jupyter branch info` how the writer is doing (backlog, problem).

        Looked at every few seconds; a look that finds nothing new returns at once,
        before building anything. What counts every commit (``GET info``'s
        ``committed``) is left out and the backlog is shown as ``ShownBacklog`` says,
        so that a server busy recording does not rewrite the file every few seconds
        (a write cost the loop 0.3 to 0.8 ms here, a look that wrote nothing 0.2).
        """
        writer = self.writer
        backlog = self._status_backlog.show(writer.backlog, time.monotonic())
        refused = self.refused_writes()
        seen = (backlog, refused, writer.problem, writer.problem_since, self.coverage)
        if seen == self._status_seen:
            return  # the usual look, at rest or busy: nothing new to tell
        self._status_seen = seen
        url = self.db_url or default_db_url()
        path = sqlite_path(url)
        write_status(
            {
                "url": masked_url(url),
                "owner": self.service.owner,
                "store": store_key(url, str(path) if path else None),
                "path": str(path) if path else None,
                "backlog": backlog,
                "refused": refused,
                "problem": writer.problem,
                "problem_since": writer.problem_since,
                "coverage": self.coverage.as_dict() if self.coverage else None,
            },
            self._status_path,
        )

    async def stop_extension(self) -> None:
        if self._status is not None:
            self._status.cancel()
        remove_status(self._status_path)
        self.documents.stop()
        if self.process is not None:
            await self.process.stop()
        elif self.recorder is not None:
            await self.recorder.stop()  # type: ignore[union-attr]
        self.watcher.stop()
        if isinstance(self.writer, Writer):
            await asyncio.get_running_loop().run_in_executor(None, self.writer.stop)
        if self.writer.engines is not None:
            self.writer.engines.dispose()

    # -- files --------------------------------------------------------------------

    async def _on_contents_event(
        self, logger: Any = None, schema_id: str = "", data: dict[str, Any] | None = None
    ) -> None:
        data = data or {}
        action, path = data.get("action"), data.get("path") or ""
        try:
            if action == "save" and path.endswith(".ipynb"):
                abs_path = self.paths.to_abs(path)
                self.watcher.saved(abs_path)
                self.documents.flush_pending(abs_path)  # the edit first, then the save
                self.writer.submit(History.record_file, abs_path, "save")
            elif action == "rename" and data.get("source_path"):
                old = self.paths.to_abs(data["source_path"])
                new = self.paths.to_abs(path)
                self.watcher.renamed(old, new)
                self.documents.renamed(old, new)
                if self.recorder is not None:
                    self.recorder.note_rename(old, new)
                self.writer.submit(History.rename, old, new)
            elif action == "delete" and path.endswith(".ipynb"):
                self.writer.submit(History.mark_deleted, self.paths.to_abs(path))
        except PathOutsideRoot:
            return
        except Exception as err:
            self.log.warning("jupyter-branch: could not follow a %s of %s: %s", action, path, err)

    def _file_changed(self, abs_path: str, event: str) -> None:
        try:
            self.writer.submit(History.record_file, abs_path, event)
        except Exception as err:
            self.log.warning("jupyter-branch: could not record a change of %s: %s", abs_path, err)
