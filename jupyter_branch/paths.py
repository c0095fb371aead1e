"""Where things are: API paths (relative to the server root) <-> absolute paths, and
the default store.

The store knows a notebook by its absolute path, so the server (whatever its
root) and the CLI (whatever its current directory) name the same history. An
API path that would leave the root is refused with ``PathOutsideRoot``.
"""

from __future__ import annotations

import os
import posixpath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

DB_FILENAME = "history.sqlite"


def default_db_path() -> Path:
    """Return the default store's path, in the user's Jupyter data directory."""
    from pathlib import Path

    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "jupyter_branch" / DB_FILENAME


def default_db_url() -> str:
    """Return the default store's SQLAlchemy URL (SQLite)."""
    return f"sqlite:///{default_db_path()}"


class PathOutsideRoot(ValueError):
    """The path names something outside the server root."""


class RootPaths:
    """Converts between API paths and absolute paths under one server root."""

    def __init__(self, root_dir: str) -> None:
        self.root = os.path.realpath(os.path.expanduser(root_dir))
        self._api: dict[str, str | None] = {}  # to_api's answers (a pure function of the path)

    def to_abs(self, api_path: str) -> str:
        """Return the absolute path of ``api_path``. Raises PathOutsideRoot."""
        if not isinstance(api_path, str) or not api_path.strip() or "\x00" in api_path:
            raise PathOutsideRoot("a notebook path is required")
        try:
            api_path.encode("utf-8")
        except UnicodeEncodeError:
            raise PathOutsideRoot("the notebook path is not valid text") from None
        parts = api_path.replace("\\", "/").strip("/")
        normalized = posixpath.normpath(parts)
        if normalized.startswith("..") or posixpath.isabs(normalized) or normalized == ".":
            raise PathOutsideRoot(f"{api_path!r} is outside the server root")
        full = os.path.join(self.root, *normalized.split("/"))
        if os.path.commonpath([self.root, full]) != self.root:
            raise PathOutsideRoot(f"{api_path!r} is outside the server root")
        return full

    def to_api(self, abs_path: str) -> str | None:
        """Return the API path of ``abs_path``, or None if it is outside the root."""
        known = self._api.get(abs_path, self)
        if known is not self:
            return known  # type: ignore[return-value]
        found = self._to_api(abs_path)
        if len(self._api) > 4096:
            self._api.clear()
        self._api[abs_path] = found
        return found

    def _to_api(self, abs_path: str) -> str | None:
        try:
            rel = os.path.relpath(abs_path, self.root)
        except ValueError:
            return None
        if rel.startswith(".."):
            return None
        return rel.replace(os.sep, "/")


def shell_abs_path(path: str) -> str:
    """Return the absolute path of a notebook named on the command line."""
    return os.path.realpath(os.path.expanduser(path))
