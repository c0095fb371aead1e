"""The running server's writer state, shared with `jupyter branch info` through a file.

Each server writes ``jupyter_branch-<pid>.json`` in the Jupyter runtime
directory (not next to the store: when the store's disk is full or read-only,
this is exactly what must still be visible) every few seconds, and removes it
when it stops. The CLI lists the files of live servers using the same store.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_runtime_dir

PREFIX = "jupyter_branch-"


def status_file(pid: int | None = None) -> Path:
    return Path(jupyter_runtime_dir()) / f"{PREFIX}{pid or os.getpid()}.json"


def write_status(state: dict[str, Any]) -> None:
    """Write this server's status atomically; errors are ignored (it is advisory)."""
    path = status_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({**state, "pid": os.getpid(), "updated": time.time()}))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
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


def servers_using(db_path: str | None) -> list[dict[str, Any]]:
    """Return the status of live servers recording into ``db_path`` (any store if None)."""
    found = []
    folder = Path(jupyter_runtime_dir())
    for path in sorted(folder.glob(f"{PREFIX}*.json")):
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(state, dict) or not _alive(int(state.get("pid", 0))):
            continue
        if db_path is None or state.get("path") == db_path:
            found.append(state)
    return found
