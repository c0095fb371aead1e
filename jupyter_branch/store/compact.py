"""The same store in fewer pages: migration 0008, and ``shrink``.

Every table and index costs a page (2 KiB) even when nearly empty, and another
for every few hundred rows; on the size bench's research session the store's
structure weighed a third of its content. So:

- ``state_cells``, ``shares`` and ``running`` become ``WITHOUT ROWID`` tables
  (SQLite): the primary key is the table, not a second b-tree beside it;
- ``ix_notebooks_abs_path`` goes: every query by path names the owner too, which
  ``ix_notebooks_owner_path`` serves;
- on SQLite, ``ix_blobs_notebook`` and ``ix_cell_versions_notebook`` go: they
  serve a team's PostgreSQL store (row-level security, per-owner counts), where
  they stay as migration 0003 made them; a SQLite store counts its blobs in one
  scan, which the index made no shorter;
- on SQLite, ``ix_states_parent`` goes: only ``gc`` looks states up by parent,
  and it makes the index for its own transaction (PostgreSQL keeps it: its
  foreign key checks and concurrent servers);
- the search index writes leaves that fit in a page (``search.LEAF_BYTES``):
  a 4 KB leaf took three pages of 2 KiB. It applies to leaves written from now
  on (as FTS5 merges segments, the old ones too).

``shrink`` (when the writer stops, after migrations and after a prune) merges
the search index's segments, at most ``MERGE_LEAVES`` leaves' worth (each
write transaction adds a small segment, half a page apiece), and gives the
free pages back to the file system. A store made with ``auto_vacuum``
incremental (every store made since 0008, ``engine``) can; an older one would
need a ``VACUUM``, and keeps its free pages for its next writes, as before.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, MetaData, Table

log = logging.getLogger("jupyter_branch")

NAME = "0008_fewer_pages"
NO_ROWID = ("state_cells", "shares", "running")
SQLITE_DROPPED = {
    "blobs": "ix_blobs_notebook",
    "cell_versions": "ix_cell_versions_notebook",
    "states": "ix_states_parent",
}


MERGE_LEAVES = 200  # FTS5 leaves merged at most per shrink: a few ms


def shrink(conn: Connection | None) -> None:
    """Merge the search index's segments and give free pages back (SQLite, outside
    a transaction; nothing otherwise). Never raises: the file is only bigger."""
    if conn is None or conn.dialect.name != "sqlite" or conn.in_transaction():
        return
    from . import search

    db: Any = conn.connection.driver_connection  # autocommit: a transaction per statement
    try:
        index = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        if db.execute(index, (search.TABLE,)).fetchone() is not None:
            merge = f"INSERT INTO {search.TABLE} ({search.TABLE}, rank) VALUES ('merge', ?)"
            db.execute(merge, (-MERGE_LEAVES,))
        # as a script: sqlite3's execute stops after the first page or two
        db.executescript("PRAGMA incremental_vacuum;")
    except Exception as err:
        log.debug("jupyter-branch: the store was not shrunk: %s", err)


def _drop_index(table: Table, name: str) -> None:
    for index in list(table.indexes):
        if index.name == name:
            table.indexes.discard(index)


def declare(md: MetaData) -> None:
    """The schema as SQLite has it after 0008 (PostgreSQL keeps ``SQLITE_DROPPED``)."""
    for name in NO_ROWID:
        md.tables[name].dialect_options["sqlite"]["with_rowid"] = False
    _drop_index(md.tables["notebooks"], "ix_notebooks_abs_path")
    for table, index in SQLITE_DROPPED.items():
        _drop_index(md.tables[table], index)


def _without_rowid(conn: Connection, table: Table) -> None:
    """Rebuild ``table`` as declared (``WITHOUT ROWID``), keeping its rows."""
    name = table.name
    staged = table.to_metadata(table.metadata, name=f"{name}_0008")
    staged.create(conn)
    columns = ", ".join(f'"{c.name}"' for c in table.columns)
    conn.exec_driver_sql(f"INSERT INTO {staged.name} ({columns}) SELECT {columns} FROM {name}")
    conn.exec_driver_sql(f"DROP TABLE {name}")
    conn.exec_driver_sql(f"ALTER TABLE {staged.name} RENAME TO {name}")


def run(conn: Connection) -> None:
    """Migration 0008's changes to an existing database, in its transaction."""
    from . import search
    from .schema import MIGRATIONS, build_metadata

    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_notebooks_abs_path")
    if conn.dialect.name != "sqlite":
        return
    for index in SQLITE_DROPPED.values():
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")
    upto = tuple(m for m in MIGRATIONS if m.name <= NAME)
    md = build_metadata(upto)
    for name in NO_ROWID:
        _without_rowid(conn, md.tables[name])
    if search.available(conn):
        search.set_leaf_size(conn)
