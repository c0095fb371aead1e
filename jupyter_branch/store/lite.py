"""Reading a SQLite store with the standard library only: the command line's fast path.

``LiteRunner`` runs the shared statements (``statements.py``) with the SQL text
compiled from them (``sql_sqlite.py``, checked by a test) on a ``sqlite3``
connection, so reading needs no SQLAlchemy import: ``jupyter branch log`` starts
at once. The server uses the same runner on its own SQLite connections, whose
row handling costs half as much as SQLAlchemy's. ``open_lite`` opens a store
read-only (``mode=ro``, ``query_only``): never created, migrated or written.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any

from .errors import StoreMissing, check_migrations
from .sql_sqlite import MIGRATIONS, SQL

BUSY_TIMEOUT_MS = 10_000


class LiteRunner:
    """Runs the shared statements on a ``sqlite3`` connection; rows as dicts."""

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, name: str, **params: Any) -> list[Mapping[str, Any]]:
        sql, order, constants = SQL[name]
        assert isinstance(sql, str) and isinstance(constants, dict)
        args: list[Any] = []
        for key in order:
            value = params[key] if key in params else constants[key]
            if isinstance(value, (list, tuple)):  # an expanding IN (...) parameter
                sql = sql.replace(
                    f"(__[POSTCOMPILE_{key}])", "(" + ", ".join("?" * len(value)) + ")", 1
                )
                args.extend(value)
            else:
                args.append(value)
        cursor = self.conn.execute(sql, args)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def first(self, name: str, **params: Any) -> Mapping[str, Any] | None:
        found = self.rows(name, **params)
        return found[0] if found else None


def sqlite_file(url: str) -> str | None:
    """The file of a ``sqlite:///...`` URL (None for another database or in-memory).

    Paths stay strings (``os.path``): ``pathlib`` and ``urllib.parse`` would add
    a few milliseconds to every command's start; the latter is imported only
    for a URL with percent-escapes in it.
    """
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///") :].split("?", 1)[0]
    if "%" in path:
        from urllib.parse import unquote

        path = unquote(path)
    if not path or path == ":memory:":
        return None
    return os.path.expanduser(path)


def _uri_path(path: str) -> str:
    """``path`` as the path of a ``file:`` URI (SQLite's rules: escape ``%``, ``?``, ``#``)."""
    return path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")


@contextlib.contextmanager
def open_lite(path: str) -> Iterator[LiteRunner]:
    """Open the SQLite store at ``path`` read-only, check its schema; close on exit.

    Raises StoreMissing (no file, no history), SchemaTooNew or SchemaTooOld.
    """
    if not os.path.exists(path):
        raise StoreMissing(f"there is no history store at {path}: nothing was recorded there")
    conn = sqlite3.connect(
        f"file:{_uri_path(os.path.realpath(path))}?mode=ro", uri=True, isolation_level=None
    )
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only=ON")
        conn.execute("BEGIN")  # one snapshot for the whole command
        runner = LiteRunner(conn)
        present: list[str] = []
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' "
            "AND name = 'jupyter_branch_migrations'"
        ).fetchone()
        if has_table:
            present = [r["name"] for r in runner.rows("migrations")]
        try:
            check_migrations(present, list(MIGRATIONS))
        except StoreMissing:
            raise StoreMissing(f"the history store at {path} holds no history yet") from None
        yield runner
    finally:
        conn.close()


def file_size(path: str) -> int:
    """Bytes the store takes on disk (database, WAL and shared memory)."""
    total = 0
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            total += os.stat(path + suffix).st_size
    return total
