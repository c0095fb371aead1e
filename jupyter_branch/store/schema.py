"""The database schema, defined once as an ordered list of named migrations.

Each migration declares what it adds (tables, columns, indexes) into a
SQLAlchemy ``MetaData``; ``metadata`` below is the result of declaring all of
them in order, and is what queries use. ``migrations.py`` applies to a database
the ones it has not recorded yet. Never edit a migration that has shipped: add a
new one.

Layout (see docs/architecture.md):
- ``blobs``: content-addressed, compressed sources, outputs and metadata;
- ``cell_versions``: one row per distinct cell content (id, type, blob refs);
- ``states``: the tree; each state's cell list is a ``layout`` blob of
  cell-version ids, so a state costs a row plus what changed;
- ``state_cells``: the cells each state changed, for a cell's history;
- ``running``: outputs of executions still running, rewritten as they arrive;
- ``search_index`` (0002, SQLite only): full-text index of sources and outputs,
  an FTS5 virtual table made by raw SQL (see ``search.py``), so it is not in
  ``metadata``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from . import search

ID = String(32)


def _initial(md: MetaData) -> None:
    Table(
        "notebooks",
        md,
        Column("id", Integer, primary_key=True),
        Column("uid", ID, nullable=False, unique=True),
        # the notebook's identity: its absolute path (renames through Jupyter update it);
        # the API path is this relative to whichever server root serves it
        Column("abs_path", Text, nullable=False),
        Column("created", Float, nullable=False),
        Column("head_id", ID),
        Column("deleted", Float),
        Index("ix_notebooks_abs_path", "abs_path"),
    )
    Table(
        "blobs",
        md,
        Column("id", Integer, primary_key=True),
        Column("hash", LargeBinary(16), nullable=False, unique=True),
        Column("size", Integer, nullable=False),  # bytes before compression
        Column("codec", Integer, nullable=False),  # 0 raw, 1 zlib
        Column("data", LargeBinary, nullable=False),
    )
    Table(
        "cell_versions",
        md,
        Column("id", Integer, primary_key=True),
        Column("hash", LargeBinary(16), nullable=False, unique=True),
        Column("cell_id", Text, nullable=False),
        Column("cell_type", String(16), nullable=False),
        Column("source_blob", Integer, ForeignKey("blobs.id"), nullable=False),
        Column("outputs_blob", Integer, ForeignKey("blobs.id")),
        Column("execution_count", Integer),
        Column("metadata_blob", Integer, ForeignKey("blobs.id")),
    )
    Table(
        "states",
        md,
        Column("id", ID, primary_key=True),
        Column("notebook_id", Integer, ForeignKey("notebooks.id"), nullable=False),
        Column("parent_id", ID, ForeignKey("states.id")),
        Column("seq", Integer, nullable=False),  # order of making, per notebook
        Column("created", Float, nullable=False),
        Column("event", String(16), nullable=False),
        Column("cell_id", Text),
        Column("execution_count", Integer),
        Column("status", String(16)),
        Column("started", Float),
        Column("ended", Float),
        Column("code_blob", Integer, ForeignKey("blobs.id")),
        Column("outputs_blob", Integer, ForeignKey("blobs.id")),
        Column("layout_blob", Integer, ForeignKey("blobs.id"), nullable=False),
        Column("metadata_blob", Integer, ForeignKey("blobs.id")),
        Column("sources_key", LargeBinary(16), nullable=False),
        Column("restored_from", ID),
        Column("kernel_id", String(64)),
        Column("preview", Text),
        Column("label", Text),
        Index("ix_states_seq", "notebook_id", "seq", unique=True),
        Index("ix_states_sources", "notebook_id", "sources_key", "seq"),
        Index("ix_states_parent", "parent_id"),
    )
    Table(
        "state_cells",
        md,
        Column("notebook_id", Integer, primary_key=True),
        Column("cell_id", Text, primary_key=True),
        Column("seq", Integer, primary_key=True),
        Column("state_id", ID, ForeignKey("states.id"), nullable=False),
        Column("version_id", Integer, ForeignKey("cell_versions.id"), nullable=False),
    )
    Table(
        "running",
        md,
        Column("key", String(128), primary_key=True),  # kernel_id/msg_id
        Column("notebook_id", Integer, ForeignKey("notebooks.id")),
        Column("kernel_id", String(64)),
        Column("cell_id", Text),
        Column("code", Text),
        Column("execution_count", Integer),
        Column("started", Float, nullable=False),
        Column("updated", Float, nullable=False),
        Column("outputs", LargeBinary),  # zlib-compressed JSON list
    )


def _search(md: MetaData) -> None:
    """Nothing to declare: the search index is made by ``search.create_index``."""


@dataclass(frozen=True)
class Migration:
    """A named schema step: ``declare`` adds its objects to a MetaData.

    ``run``, if given, does what declarations cannot: dialect-specific SQL
    (it reads ``conn.dialect.name``) and filling in data. It runs after the
    declared objects are made, in the same transaction.
    """

    name: str
    declare: Callable[[MetaData], None]
    new_tables: tuple[str, ...] = ()
    new_columns: tuple[tuple[str, str], ...] = field(default=())  # (table, column)
    new_indexes: tuple[str, ...] = ()
    run: Callable[[Connection], None] | None = None
    # a store without it cannot be read (False: readers do without, as search
    # does without its index)
    needed_to_read: bool = True


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_initial",
        _initial,
        new_tables=("notebooks", "blobs", "cell_versions", "states", "state_cells", "running"),
    ),
    Migration("0002_search", _search, run=search.create_index, needed_to_read=False),
)


def build_metadata(migrations: tuple[Migration, ...] = MIGRATIONS) -> MetaData:
    """Return the schema as declared by ``migrations`` in order."""
    md = MetaData()
    for migration in migrations:
        migration.declare(md)
    return md


metadata = build_metadata()
notebooks = metadata.tables["notebooks"]
blobs = metadata.tables["blobs"]
cell_versions = metadata.tables["cell_versions"]
states = metadata.tables["states"]
state_cells = metadata.tables["state_cells"]
running = metadata.tables["running"]
