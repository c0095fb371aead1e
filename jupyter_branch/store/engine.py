"""Opening the store: where it lives, its engines, SQLite settings, file privacy.

The default store is one SQLite database in WAL mode in the user's Jupyter data
directory; any SQLAlchemy URL can replace it. Two engines share one database:
``writer`` (used by a single thread, every transaction ``BEGIN IMMEDIATE`` so
it never has to upgrade a read lock) and ``reader`` (pooled, for the REST API
and the CLI, which under WAL never waits on the writer).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from ..paths import DB_FILENAME, default_db_path, default_db_url
from .compact import shrink
from .migrations import StoreMissing, check_schema, migrate

__all__ = [
    "DB_FILENAME",
    "StoreEngines",
    "StoreMissing",
    "default_db_path",
    "default_db_url",
    "open_reader",
    "open_store",
]

BUSY_TIMEOUT_MS = 10_000
PAGE_SIZE = 2048
# SQLite's page cache of each pooled reader, in KiB: the default (2 MB) fills as a
# long history is read and is never given back; the OS's file cache keeps the
# file's hot pages anyway, so a small one reads no slower (docs/notes.md)
READ_CACHE_KIB = 256


def sqlite_path(url: str) -> Path | None:
    """Return the file of a SQLite URL, or None for another database or in-memory."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database).expanduser()


def ensure_private_file(path: Path) -> None:
    """Create ``path`` (and its folder) readable by the user only, if missing.

    SQLite creates its -wal and -shm files with the database file's mode, so a
    0600 database keeps the whole store private.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    os.chmod(path, 0o600)


def _sqlite_pragmas(
    engine: Engine, immediate: bool, read_only: bool = False, cache_kib: int | None = None
) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy's "begin" event own transactions (pysqlite's are broken)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if read_only:  # the file as it is: no journal mode or page size to set
            cursor.execute("PRAGMA query_only=ON")
            cursor.close()
            return
        # for a new database only (a no-op later): half the empty-schema cost
        # of 4 KiB pages, no slower to read (docs/benchmarks.md)
        cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")
        # new databases too: free pages can go back to the file system (compact.shrink)
        cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        if cache_kib is not None:
            cursor.execute(f"PRAGMA cache_size=-{cache_kib}")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # on the driver's connection: SQLAlchemy's statement machinery is most of
        # the cost of a small transaction
        conn.connection.driver_connection.execute(begin)


@dataclass
class StoreEngines:
    """The engines of one opened store."""

    url: str
    path: Path | None
    writer: Engine
    reader: Engine
    identity: tuple[int, int] | None = None  # (device, inode) of the file when opened

    def moved(self) -> bool:
        """Return True if the database file is gone or was replaced since it was opened.

        SQLite keeps writing to a deleted file's inode, so without this check a
        deleted store would silently swallow everything recorded after it.
        """
        if self.path is None or self.identity is None:
            return False
        try:
            st = os.stat(self.path)
        except OSError:
            return True
        return (st.st_dev, st.st_ino) != self.identity

    def damaged(self) -> bool:
        """Return True if the file no longer reads as a SQLite database.

        SQLite works from cached pages and the WAL, so an overwritten header can
        go unnoticed while everything written after it is lost. The probe is a
        fresh SQLite connection: never a plain ``open()`` of the file, since
        closing any other descriptor of it would drop this process's locks.
        """
        if self.path is None:
            return False
        try:
            probe = sqlite3.connect(str(self.path), timeout=0.1)
            try:
                probe.execute("PRAGMA schema_version").fetchone()
            finally:
                probe.close()
        except sqlite3.DatabaseError as err:
            text = str(err).lower()
            return "not a database" in text or "malformed" in text
        return False

    def dispose(self) -> None:
        self.writer.dispose()
        self.reader.dispose()

    def size_bytes(self) -> int:
        """Return the bytes the store takes on disk (database, WAL and shared memory)."""
        if self.path is None:
            return 0
        total = 0
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                total += p.stat().st_size
        return total


def open_reader(url: str | None = None) -> StoreEngines:
    """Open the store at ``url`` to read it as it is: never created, migrated or written.

    A SQLite file is opened read-only (``mode=ro``, ``query_only``); PostgreSQL
    sessions are read-only transactions. Both engines of the result are the one
    read engine. Raises ``StoreMissing`` (no file, or no history in it),
    ``SchemaTooNew``/``SchemaTooOld`` (see ``check_schema``), or sqlalchemy errors.
    """
    url = url or default_db_url()
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            raise StoreMissing(f"there is no history store at {path}: nothing was recorded there")
        # a SQLite URI filename: mode=ro opens it read-only, and never creates it
        ro_url = make_url(url).set(
            database=f"file:{quote(str(path.resolve()))}", query={"uri": "true", "mode": "ro"}
        )
        reader = create_engine(ro_url, pool_size=1, max_overflow=4)
        _sqlite_pragmas(reader, immediate=False, read_only=True)
    elif make_url(url).get_backend_name() == "postgresql":
        reader = create_engine(
            url,
            pool_size=1,
            max_overflow=2,
            connect_args={"options": "-c default_transaction_read_only=on"},
        )
    else:
        reader = create_engine(url, pool_size=1, max_overflow=2)
    engines = StoreEngines(url=url, path=path, writer=reader, reader=reader)
    try:
        with reader.connect() as conn:
            check_schema(conn)
    except StoreMissing:
        engines.dispose()
        shown = path or make_url(url).render_as_string()
        raise StoreMissing(f"the history store at {shown} holds no history yet") from None
    except Exception:
        engines.dispose()
        raise
    return engines


def open_store(
    url: str | None = None, *, migrate_schema: bool = True, pool_size: int = 2
) -> StoreEngines:
    """Open (creating and migrating if needed) the store at ``url``, to write it.

    With ``migrate_schema=False`` nothing is migrated (the caller checks the
    schema). Raises sqlalchemy errors if the database cannot be opened, and
    ``SchemaTooNew`` if a newer jupyter-branch wrote it.
    """
    url = url or default_db_url()
    path = sqlite_path(url)
    if path is not None:
        ensure_private_file(path)
        # the writer thread keeps one connection; one more for an admin task (a test)
        writer = create_engine(url, pool_size=1, max_overflow=1, pool_pre_ping=False)
        reader = create_engine(url, pool_size=4, max_overflow=4)
        _sqlite_pragmas(writer, immediate=True)
        _sqlite_pragmas(reader, immediate=False, cache_kib=READ_CACHE_KIB)
    elif make_url(url).get_backend_name() == "sqlite":  # in-memory: one shared connection
        from sqlalchemy.pool import StaticPool

        writer = create_engine(url, poolclass=StaticPool)
        reader = writer
        _sqlite_pragmas(writer, immediate=False)
    else:  # a database server: one connection writes, a few read (``pool_size``)
        writer = create_engine(url, pool_pre_ping=True, pool_size=1, max_overflow=1)
        reader = create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)
    engines = StoreEngines(url=url, path=path, writer=writer, reader=reader)
    if path is not None:
        st = os.stat(path)
        engines.identity = (st.st_dev, st.st_ino)
    if migrate_schema:
        try:
            if migrate(writer, check=reader if reader is not writer else None):
                with writer.connect() as conn:
                    shrink(conn)  # what the migrations dropped
        except Exception:
            engines.dispose()
            raise
    return engines
