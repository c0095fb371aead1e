"""Schema migrations: applied in order, recorded, transactional, never moving data aside."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, inspect, text
from sqlalchemy.exc import OperationalError

from jupyter_branch.store import schema
from jupyter_branch.store.engine import open_store
from jupyter_branch.store.migrations import SchemaTooNew, applied_migrations, migrate
from jupyter_branch.store.schema import MIGRATIONS, Migration


def test_a_new_store_has_every_migration_and_the_declared_schema(tmp_path):
    engines = open_store(f"sqlite:///{tmp_path}/h.sqlite")
    with engines.reader.connect() as conn:
        assert applied_migrations(conn) == [m.name for m in MIGRATIONS]
        inspector = inspect(conn)
        for name, table in schema.metadata.tables.items():
            if name == "log_pages":  # made with the first full page (test_log_pages.py)
                continue
            columns = {c["name"] for c in inspector.get_columns(name)}
            assert columns == {c.name for c in table.columns}, name
            indexes = {i["name"] for i in inspector.get_indexes(name)}
            assert {i.name for i in table.indexes} <= indexes, name
    engines.dispose()


def test_the_database_file_is_private_and_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "h.sqlite"
    engines = open_store(f"sqlite:///{path}")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    with engines.reader.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        with engines.writer.begin() as w:  # a write makes SQLite create -wal and -shm
            w.exec_driver_sql(
                "INSERT INTO notebooks (uid, abs_path, created) VALUES ('u', '/a', 1)"
            )
        for suffix in ("-wal", "-shm"):
            side = Path(str(path) + suffix)
            assert side.exists() and stat.S_IMODE(os.stat(side).st_mode) == 0o600, suffix
    engines.dispose()


def _extra_migration() -> Migration:
    def declare(md: MetaData) -> None:
        Table("tags", md, Column("id", Integer, primary_key=True), Column("name", Text))
        states = md.tables["states"]
        states.append_column(Column("note", Text))

    return Migration(
        "9999_test_tags", declare, new_tables=("tags",), new_columns=(("states", "note"),)
    )


def test_a_new_migration_moves_an_existing_database_forward_keeping_its_data(tmp_path):
    url = f"sqlite:///{tmp_path}/h.sqlite"
    engines = open_store(url)
    with engines.writer.begin() as conn:
        conn.execute(text("INSERT INTO notebooks (uid, abs_path, created) VALUES ('u', '/a', 1)"))
    engines.dispose()

    engine = create_engine(url)
    applied = migrate(engine, (*MIGRATIONS, _extra_migration()))
    assert applied == ["9999_test_tags"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT abs_path FROM notebooks")).scalar() == "/a"
        assert "note" in {c["name"] for c in inspect(conn).get_columns("states")}
        assert applied_migrations(conn)[-1] == "9999_test_tags"
    assert migrate(engine, (*MIGRATIONS, _extra_migration())) == [], "applied once only"
    engine.dispose()


def test_a_failing_migration_leaves_the_database_at_the_last_good_step(tmp_path):
    url = f"sqlite:///{tmp_path}/h.sqlite"
    engines = open_store(url)
    with engines.writer.begin() as conn:
        conn.execute(text("INSERT INTO notebooks (uid, abs_path, created) VALUES ('u', '/a', 1)"))
    engines.dispose()

    def declare(md: MetaData) -> None:
        Table("broken", md, Column("id", Integer, primary_key=True))
        # SQLite refuses a NOT NULL column without a default, after "broken" exists
        md.tables["notebooks"].append_column(Column("must", Text, nullable=False))

    bad = Migration(
        "9998_broken", declare, new_tables=("broken",), new_columns=(("notebooks", "must"),)
    )
    engines = open_store(url, migrate_schema=False)  # the engine the server migrates with
    with pytest.raises(OperationalError, match="NOT NULL"):
        migrate(engines.writer, (*MIGRATIONS, bad))
    engine = engines.reader
    with engine.connect() as conn:
        assert not inspect(conn).has_table("broken"), "rolled back with its record"
        assert "9998_broken" not in applied_migrations(conn)
    engine.dispose()


def test_a_migration_step_runs_in_the_migration_transaction(tmp_path):
    url = f"sqlite:///{tmp_path}/h.sqlite"
    open_store(url).dispose()

    def declare(md: MetaData) -> None:
        Table("extra", md, Column("id", Integer, primary_key=True))

    def run(conn) -> None:
        conn.exec_driver_sql("INSERT INTO extra (id) VALUES (7)")
        if conn.dialect.name == "sqlite":
            raise OperationalError("step", {}, Exception("the step failed"))

    engines = open_store(url, migrate_schema=False)  # the engine the server migrates with
    with pytest.raises(OperationalError, match="the step failed"):
        step = Migration("9997_step", declare, ("extra",), run=run)
        migrate(engines.writer, (*MIGRATIONS, step))
    with engines.reader.connect() as conn:
        assert not inspect(conn).has_table("extra"), "rolled back with the step"
        assert "9997_step" not in applied_migrations(conn)
    engines.dispose()


def test_a_database_from_a_newer_version_is_refused_not_touched(tmp_path):
    path = tmp_path / "h.sqlite"
    open_store(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO jupyter_branch_migrations VALUES ('9999_future', 1)")
    with pytest.raises(SchemaTooNew):
        open_store(f"sqlite:///{path}")
