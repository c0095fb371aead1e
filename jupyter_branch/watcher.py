"""Saves and outside changes of notebook files: ``save`` and ``external`` states.

A save through Jupyter arrives as a contents_service ``save`` event; a change
made by anything else (git checkout, another editor, papermill) is seen by a
watchdog observer on the folders of the notebooks that have history in this
server run. Each file's last known (mtime, size) tells a save we already
recorded from a change made outside. File reading happens on the writer
thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

log = logging.getLogger("jupyter_branch")

SETTLE_SECONDS = 0.5


def file_stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


class _Events(FileSystemEventHandler):
    def __init__(self, notify: Callable[[str], None]) -> None:
        self.notify = notify

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type in ("opened", "closed_no_write"):
            return
        for attr in ("src_path", "dest_path"):
            path = getattr(event, attr, None)
            if isinstance(path, bytes):
                path = os.fsdecode(path)
            if path and path.endswith(".ipynb"):
                self.notify(path)


class NotebookWatcher:
    """Calls ``on_change(abs_path, event)`` once a watched notebook settles after a write."""

    def __init__(
        self,
        on_change: Callable[[str, str], None],
        enabled: bool = True,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.on_change = on_change
        self.enabled = enabled
        self.home = loop  # the server's loop, for ``watch`` before the observer starts
        self.loop: asyncio.AbstractEventLoop | None = None
        self.observer: Any = None
        self.folders: dict[str, Any] = {}
        self.notebooks: set[str] = set()
        self.known: dict[str, tuple[int, int] | None] = {}
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.pending: set[str] = set()  # asked to watch before the loop ran
        self.stopped = False

    def start(self) -> None:
        """Start the observer thread (once; needs the running loop)."""
        if not self.enabled or self.observer is not None or self.stopped:
            return
        self.loop = asyncio.get_running_loop()
        self.observer = Observer()
        self.observer.daemon = True
        self.observer.start()
        for path in sorted(self.pending):
            self.track(path)
        self.pending.clear()

    def stop(self) -> None:
        self.stopped = True
        for timer in self.timers.values():
            timer.cancel()
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=5)
            self.observer = None

    def watch(self, abs_path: str) -> None:
        """Watch a notebook that has history now; callable from any thread.

        The history writer calls this for every notebook it writes to, so every
        notebook with history in this server run is watched, whoever made it.
        """
        if not self.enabled or self.stopped:
            return
        loop = self.loop or self.home
        if loop is None:
            self.pending.add(abs_path)
            return
        with contextlib.suppress(RuntimeError):  # the loop closed: the server is stopping
            loop.call_soon_threadsafe(self.track, abs_path)

    def track(self, abs_path: str) -> None:
        """Watch a notebook's folder (once) and remember the file as it is now (on the loop)."""
        self.start()
        if self.observer is None or abs_path in self.notebooks:
            return
        self.notebooks.add(abs_path)
        self.known[abs_path] = file_stamp(abs_path)
        folder = os.path.dirname(abs_path)
        if folder not in self.folders and os.path.isdir(folder):
            try:
                self.folders[folder] = self.observer.schedule(
                    _Events(self._from_thread), folder, recursive=False
                )
            except OSError as err:  # inotify watch limit, permissions
                log.warning("jupyter-branch: cannot watch %s for outside changes: %s", folder, err)

    def saved(self, abs_path: str) -> None:
        """A save through Jupyter: the file as it is now is not an outside change."""
        self.known[abs_path] = file_stamp(abs_path)

    def renamed(self, old: str, new: str) -> None:
        for path in [p for p in self.notebooks if p == old or p.startswith(old + os.sep)]:
            self.notebooks.discard(path)
            moved = new + path[len(old) :]
            self.known[moved] = self.known.pop(path, None)
            self.track(moved)
            self.known[moved] = file_stamp(moved)

    def _from_thread(self, path: str) -> None:
        if self.loop is not None and not self.loop.is_closed():
            # the loop may close meanwhile (the server stopping): nothing to do then
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self._schedule, path)

    def _schedule(self, path: str) -> None:
        if path not in self.notebooks:
            return
        timer = self.timers.pop(path, None)
        if timer is not None:
            timer.cancel()
        assert self.loop is not None
        self.timers[path] = self.loop.call_later(SETTLE_SECONDS, self._settled, path)

    def _settled(self, path: str) -> None:
        self.timers.pop(path, None)
        stamp = file_stamp(path)
        if stamp is None or stamp == self.known.get(path):
            return
        self.known[path] = stamp
        self.on_change(path, "external")
