"""The running server's writer state, shared with `jupyter branch info` through a file.

Each server writes ``jupyter_branch-<pid>.json`` in the Jupyter runtime
directory (not next to the store: when the store's disk is full or read-only,
this is exactly what must still be visible) when it changes (looked at every
few seconds), and removes it when it stops. The CLI lists the files of live
servers using the same store.
A database URL is only ever written with its password masked (``masked_url``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_runtime_dir

PREFIX = "jupyter_branch-"
_PASSWORD = re.compile(r"^([A-Za-z][\w+.-]*://[^:/@?#]*):[^@/?#]*@")
_PASSWORD_PARAM = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def masked_url(url: str) -> str:
    """Return a database URL with its password replaced by ``***`` (as SQLAlchemy shows
    it), in the user part and in a ``password=`` query parameter alike."""
    return _PASSWORD_PARAM.sub(r"\1***", _PASSWORD.sub(r"\1:***@", url))


def store_key(url: str, sqlite_file: str | None) -> str:
    """Return how status files name a store: its SQLite file, else its masked URL."""
    return sqlite_file or masked_url(url)


def status_file(pid: int | None = None) -> Path:
    return Path(jupyter_runtime_dir()) / f"{PREFIX}{pid or os.getpid()}.json"


_written: dict[str, Any] | None = None  # what this process wrote last

BACKLOG_SECONDS = 10.0  # how old a shown backlog may be while writes keep waiting


class ShownBacklog:
    """The number of writes waiting that a status file shows, at most ``BACKLOG_SECONDS`` old.

    While runs are being recorded the backlog changes with every commit (from 0
    and back to it), and a file showing each new number would be rewritten every
    time it is looked at. What a reader needs is whether writes keep waiting and
    roughly how many; a store that fails says so at once (its ``problem``).
    """

    def __init__(self) -> None:
        self.shown = 0
        self.since = -BACKLOG_SECONDS

    def show(self, backlog: int, now: float) -> int:
        """Return the number to show for ``backlog`` at ``now`` (monotonic seconds)."""
        if backlog != self.shown and now - self.since >= BACKLOG_SECONDS:
            self.shown, self.since = backlog, now
        return self.shown


def write_status(state: dict[str, Any], path: Path | None = None) -> None:
    """Write this server's status atomically to ``path`` (``status_file()`` if None: a
    server passes it, worked out once), if it changed (``updated``: when it last
    did); errors are ignored (it is advisory)."""
    global _written
    path = path or status_file()
    if state == _written and path.exists():
        return  # a server at rest, or busy recording, rewrites nothing every 2 s
    shown = state
    if isinstance(state.get("url"), str):
        shown = {**state, "url": masked_url(state["url"])}
    data = json.dumps({**shown, "pid": os.getpid(), "updated": time.time()}).encode()
    tmp = path.with_suffix(".tmp")
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except FileNotFoundError:  # the first write: no runtime folder yet
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            os.fchmod(fd, 0o600)  # a leftover file keeps its mode through O_CREAT
            f.write(data)
        os.replace(tmp, path)
        _written = dict(state)
    except OSError:
        pass


def remove_status(path: Path | None = None) -> None:
    with contextlib.suppress(OSError):
        (path or status_file()).unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def servers_using(store: str | None) -> list[dict[str, Any]]:
    """Return the status of live servers recording into ``store`` (a ``store_key``;
    any store if None). URLs come masked, even from an older server's file."""
    found = []
    folder = Path(jupyter_runtime_dir())
    for path in sorted(folder.glob(f"{PREFIX}*.json")):
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(state, dict) or not _alive(int(state.get("pid", 0))):
            continue
        if isinstance(state.get("url"), str):
            state["url"] = masked_url(state["url"])
        key = state.get("store") or state.get("path")  # older servers wrote only the path
        if store is None or key == store:
            found.append(state)
    return found
