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


def write_status(state: dict[str, Any]) -> None:
    """Write this server's status atomically, if it changed (``updated``: when it
    last did); errors are ignored (it is advisory)."""
    global _written
    path = status_file()
    if state == _written and path.exists():
        return  # a server at rest, or busy recording, rewrites nothing every 2 s
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        if isinstance(state.get("url"), str):
            state = {**state, "url": masked_url(state["url"])}
        tmp.write_text(json.dumps({**state, "pid": os.getpid(), "updated": time.time()}))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        _written = dict(state)
    except OSError:
        pass


def remove_status() -> None:
    with contextlib.suppress(OSError):
        status_file().unlink()


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
