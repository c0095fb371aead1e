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
- ``log_pages`` (0009): each full page of a notebook's log as its JSON,
  compressed, so a long log is read without encoding it again (``log_pages.py``);
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
    text,
)

from . import compact, search

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


def _owners(md: MetaData) -> None:
    """Owners, per-notebook content, sharing (0003): a team's store on one database."""
    notebooks = md.tables["notebooks"]
    # who the history belongs to (identity.py); a notebook is (owner, abs_path)
    notebooks.append_column(Column("owner", Text, nullable=False, server_default=""))
    Index("ix_notebooks_owner_path", notebooks.c.owner, notebooks.c.abs_path)
    Index(
        "ux_notebooks_live",
        notebooks.c.owner,
        notebooks.c.abs_path,
        unique=True,
        sqlite_where=notebooks.c.deleted.is_(None),
        postgresql_where=notebooks.c.deleted.is_(None),
    )
    # Content is stored once per notebook, so every row of it belongs to one
    # owner (row-level security can hide it) and one user's store never says
    # whether another holds some text: ``hash`` is the notebook-scoped key
    # (model.scoped_key), ``digest`` the content's own hash (what rules compare).
    blobs = md.tables["blobs"]
    blobs.append_column(Column("notebook_id", Integer, ForeignKey("notebooks.id")))
    blobs.append_column(Column("digest", LargeBinary(16)))
    Index("ix_blobs_notebook", blobs.c.notebook_id)
    versions = md.tables["cell_versions"]
    versions.append_column(Column("notebook_id", Integer, ForeignKey("notebooks.id")))
    Index("ix_cell_versions_notebook", versions.c.notebook_id)
    running = md.tables["running"]
    running.append_column(Column("owner", Text))
    running.append_column(Column("server", Text))
    Table(
        "shares",
        md,
        Column("notebook_id", Integer, ForeignKey("notebooks.id"), primary_key=True),
        Column("grantee", Text, primary_key=True),
        Column("created", Float, nullable=False),
    )


def _fill_owners(conn: Connection) -> None:
    """Migration 0003's data: the store's history belongs to whoever upgrades it, and
    each content row to the first notebook that uses it, keyed for that notebook."""
    from ..identity import default_owner
    from ..model import scoped_key
    from .blobs import decode, unpack_ids

    owner = default_owner()
    conn.execute(text("UPDATE notebooks SET owner = :o"), {"o": owner})
    conn.execute(text("UPDATE running SET owner = :o WHERE notebook_id IS NOT NULL"), {"o": owner})
    # two live rows for one path (never made by this code, but possible by hand):
    # the newest stays live, so (owner, path) can be unique among live notebooks
    live: dict[str, int] = {}
    rows = conn.execute(
        text("SELECT id, abs_path FROM notebooks WHERE deleted IS NULL ORDER BY id")
    )
    for nb_id, path in rows.all():
        if path in live:
            conn.execute(
                text("UPDATE notebooks SET deleted = created WHERE id = :i"), {"i": live[path]}
            )
        live[path] = nb_id
    metadata = build_metadata(MIGRATIONS[:3])
    for index in metadata.tables["notebooks"].indexes:
        if index.name == "ux_notebooks_live":
            index.create(conn)
    blob_owner: dict[int, int] = {}
    version_owner: dict[int, int] = {}

    def claim(found: dict[int, int], row_id: int | None, nb_id: int) -> None:
        if row_id is not None:
            found[row_id] = min(nb_id, found.get(row_id, nb_id))

    states_rows = conn.execute(
        text("SELECT notebook_id, layout_blob, code_blob, outputs_blob, metadata_blob FROM states")
    ).all()
    layouts: dict[int, int] = {}
    for nb_id, layout, code, outputs, meta in states_rows:
        for blob_id in (layout, code, outputs, meta):
            claim(blob_owner, blob_id, nb_id)
        claim(layouts, layout, nb_id)
    for layout, nb_id in layouts.items():
        row = conn.execute(
            text("SELECT codec, data FROM blobs WHERE id = :i"), {"i": layout}
        ).first()
        if row is not None:
            for version_id in unpack_ids(decode(row[0], row[1])):
                claim(version_owner, version_id, nb_id)
    for nb_id, version_id in conn.execute(text("SELECT notebook_id, version_id FROM state_cells")):
        claim(version_owner, version_id, nb_id)
    versions = conn.execute(
        text("SELECT id, hash, source_blob, outputs_blob, metadata_blob FROM cell_versions")
    ).all()
    for version_id, _key, source, outputs, meta in versions:
        nb_id = version_owner.get(version_id)
        if nb_id is not None:
            for blob_id in (source, outputs, meta):
                claim(blob_owner, blob_id, nb_id)
    conn.execute(text("UPDATE blobs SET digest = hash"))
    move_blob = text("UPDATE blobs SET notebook_id = :n, hash = :h WHERE id = :i")
    for blob_id, digest in conn.execute(text("SELECT id, hash FROM blobs")).all():
        if blob_id in blob_owner:
            nb_id = blob_owner[blob_id]
            conn.execute(
                move_blob, {"n": nb_id, "h": scoped_key(nb_id, bytes(digest)), "i": blob_id}
            )
    move_version = text("UPDATE cell_versions SET notebook_id = :n, hash = :h WHERE id = :i")
    for version_id, key, *_ in versions:
        if version_id in version_owner:
            nb_id = version_owner[version_id]
            conn.execute(
                move_version, {"n": nb_id, "h": scoped_key(nb_id, bytes(key)), "i": version_id}
            )


def _actors(md: MetaData) -> None:
    """Who made a state (0005): the user, and through what (``model.CLIENTS``)."""
    states = md.tables["states"]
    states.append_column(Column("by_user", Text))
    states.append_column(Column("by_client", String(16)))


def _cell_index(md: MetaData) -> None:
    """Where the cell a state names sits in its cells (0006), as people name cells."""
    md.tables["states"].append_column(Column("cell_index", Integer))


def _fill_cell_index(conn: Connection) -> None:
    """Migration 0006's data: the position of each state's cell in the state's layout."""
    from sqlalchemy import bindparam

    from .blobs import decode, unpack_ids

    rows = conn.execute(
        text("SELECT id, layout_blob, cell_id FROM states WHERE cell_id IS NOT NULL")
    ).all()
    layouts: dict[int, list[int]] = {}
    cell_of: dict[int, str] = {}
    versions = text("SELECT id, cell_id FROM cell_versions WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    update = text("UPDATE states SET cell_index = :n WHERE id = :i")
    for state_id, layout, cell_id in rows:
        ids = layouts.get(layout)
        if ids is None:
            blob = conn.execute(
                text("SELECT codec, data FROM blobs WHERE id = :i"), {"i": layout}
            ).first()
            ids = layouts[layout] = unpack_ids(decode(blob[0], blob[1])) if blob else []
            unknown = [v for v in set(ids) if v not in cell_of]
            for start in range(0, len(unknown), 500):
                chunk = unknown[start : start + 500]
                cell_of.update((int(v), str(c)) for v, c in conn.execute(versions, {"ids": chunk}))
        index = next((i for i, v in enumerate(ids) if cell_of.get(v) == cell_id), None)
        if index is not None:
            conn.execute(update, {"n": index, "i": state_id})


def _blob_parts(md: MetaData) -> None:
    """Nothing to declare (0007): outputs blobs may name image blobs (``blobs.PARTS``),
    which code before it cannot read, so it must refuse such a store."""


def _log_pages(md: MetaData) -> None:
    """A notebook's log, each full page kept as the database encoded it (0009).

    Made by the migration on PostgreSQL (where the team's row-level security is
    set on every table at once), on SQLite only once a notebook fills a page:
    a table costs a page of the file even when empty (``log_pages.ensure_table``).
    """
    Table(
        "log_pages",
        md,
        Column("notebook_id", Integer, ForeignKey("notebooks.id"), primary_key=True),
        Column("after_seq", Integer, primary_key=True),  # the page's states follow it
        Column("last_seq", Integer, nullable=False),
        # zlib-compressed: the JSON array, and the command line's lines, no state
        # marked Head (``reads.Reads._log_page`` marks it)
        Column("json_data", LargeBinary, nullable=False),
        Column("lines_data", LargeBinary, nullable=False),
        sqlite_with_rowid=False,
    )


def _fill_log_pages(conn: Connection) -> None:
    """Migration 0009's data: every notebook's full pages (SQLite: if it has one)."""
    from .log_pages import fill_all

    fill_all(conn)


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
    Migration(
        "0003_owners",
        _owners,
        new_tables=("shares",),
        new_columns=(
            ("notebooks", "owner"),
            ("blobs", "notebook_id"),
            ("blobs", "digest"),
            ("cell_versions", "notebook_id"),
            ("running", "owner"),
            ("running", "server"),
        ),
        new_indexes=("ix_notebooks_owner_path", "ix_blobs_notebook", "ix_cell_versions_notebook"),
        run=_fill_owners,
    ),
    Migration(
        "0004_search_postgres",
        _search,
        run=search.create_postgres_index,
        needed_to_read=False,
    ),
    Migration(
        "0005_actors",
        _actors,
        new_columns=(("states", "by_user"), ("states", "by_client")),
    ),
    Migration(
        "0006_cell_index",
        _cell_index,
        new_columns=(("states", "cell_index"),),
        run=_fill_cell_index,
    ),
    Migration("0007_blob_parts", _blob_parts),
    Migration(compact.NAME, compact.declare, run=compact.run),
    # readers do without kept pages (they encode every page, as before)
    Migration("0009_log_pages", _log_pages, run=_fill_log_pages, needed_to_read=False),
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
shares = metadata.tables["shares"]
log_pages = metadata.tables["log_pages"]
