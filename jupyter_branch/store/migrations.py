"""Applying the schema's named migrations to a database, each in its own transaction.

Applied migrations are recorded in ``jupyter_branch_migrations`` (name, time).
A database is only ever moved forward in place; nothing is moved aside. A
database recording a migration this code does not know is newer than the code:
``SchemaTooNew`` is raised rather than guessing.
"""

from __future__ import annotations

import time

from sqlalchemy import Column, Connection, Engine, Float, MetaData, String, Table, inspect
from sqlalchemy.schema import CreateColumn

from .errors import SchemaTooNew, SchemaTooOld, StoreMissing, check_migrations
from .schema import MIGRATIONS, Migration

__all__ = ["SchemaTooNew", "SchemaTooOld", "StoreMissing", "check_schema", "migrate"]

_md = MetaData()
migrations_table = Table(
    "jupyter_branch_migrations",
    _md,
    Column("name", String(128), primary_key=True),
    Column("applied", Float, nullable=False),
    sqlite_with_rowid=False,  # the key is the table: one b-tree, not two (new stores)
)


def check_schema(
    conn: Connection, migrations: tuple[Migration, ...] | None = None, *, to_write: bool = False
) -> list[str]:
    """Check, without changing anything, that this code can use the database as it is.

    Returns the names of the migrations it lacks that readers can do without.
    Raises ``StoreMissing`` (no schema), ``SchemaTooNew``, or ``SchemaTooOld``
    when it lacks one reading needs (any one at all, ``to_write``).
    """
    migrations = MIGRATIONS if migrations is None else migrations
    known = [(m.name, m.needed_to_read) for m in migrations]
    return check_migrations(applied_migrations(conn), known, to_write=to_write)


def applied_migrations(conn: Connection) -> list[str]:
    """Return the names of the migrations recorded in the database, in order."""
    if not inspect(conn).has_table(migrations_table.name):
        return []
    rows = conn.execute(migrations_table.select().order_by(migrations_table.c.name))
    return [r.name for r in rows]


def _apply_one(conn: Connection, done: tuple[Migration, ...], migration: Migration) -> None:
    md = MetaData()
    for earlier in done:
        earlier.declare(md)
    known = set(md.tables)
    migration.declare(md)
    for name in migration.new_tables:
        md.tables[name].create(conn)
    for table_name, column_name in migration.new_columns:
        column = md.tables[table_name].c[column_name]
        ddl = CreateColumn(column).compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE {table_name} ADD COLUMN {ddl}")
    for table in md.tables.values():
        if table.name in known or table.name in migration.new_tables:
            for index in table.indexes:
                if index.name in migration.new_indexes:
                    index.create(conn)
    if migration.run is not None:
        migration.run(conn)


def migrate(
    engine: Engine,
    migrations: tuple[Migration, ...] = MIGRATIONS,
    check: Engine | None = None,
) -> list[str]:
    """Apply the migrations the database lacks; return the names applied now.

    Each runs in its own transaction with its record, so a failure leaves the
    database at the last good step. ``check`` (a read engine) is used first to
    see whether anything is to do, so an up-to-date store is never write-locked
    just by being opened. Raises ``SchemaTooNew``.
    """
    names = [m.name for m in migrations]
    applied_now: list[str] = []
    if check is not None:
        with check.connect() as conn:
            present = applied_migrations(conn)
        if set(present) - set(names):
            raise SchemaTooNew(
                "the history database was written by a newer jupyter-branch; upgrade jupyter-branch"
            )
        if set(names) <= set(present):
            return []
    with engine.begin() as conn:
        _md.create_all(conn, checkfirst=True)
    for i, migration in enumerate(migrations):
        with engine.begin() as conn:
            present = applied_migrations(conn)
            unknown = [n for n in present if n not in names]
            if unknown:
                raise SchemaTooNew(
                    f"the history database was written by a newer jupyter-branch "
                    f"(it has migration {unknown[0]}); upgrade jupyter-branch"
                )
            if migration.name in present:
                continue
            _apply_one(conn, migrations[:i], migration)
            conn.execute(migrations_table.insert().values(name=migration.name, applied=time.time()))
            applied_now.append(migration.name)
    return applied_now
