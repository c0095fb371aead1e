"""The store in fewer pages (``compact``: migration 0008 and ``shrink``): what a
new store is made of, an old store moved forward with its history, the search
index merged and free pages given back when the writer stops and after a prune."""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

from jupyter_branch.store import compact, gc, search
from jupyter_branch.store.schema import MIGRATIONS
from tests.unit.conftest import Store
from tests.unit.old_store import write_old_store
from tests.unit.test_blobs import figure_outputs
from tests.unit.test_search import found

GONE = ("ix_notebooks_abs_path", *compact.SQLITE_DROPPED.values())
OLD_INDEX = "CREATE VIRTUAL TABLE search_index USING fts5(text, content='', detail=none)"


def schema_of(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return {name: sql or "" for name, sql in db.execute("SELECT name, sql FROM sqlite_master")}


def pragma(path: Path, name: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(f"PRAGMA {name}").fetchone()[0])


def leaf_size(path: Path) -> int | None:
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT v FROM search_index_config WHERE k = 'pgsz'").fetchone()
        return None if row is None else int(row[0])


def assert_compact(path: Path) -> None:
    objects = schema_of(path)
    for table in compact.NO_ROWID:
        assert "WITHOUT ROWID" in objects[table], table
    assert not set(GONE) & set(objects)
    assert leaf_size(path) == search.LEAF_BYTES


def test_a_new_store_is_made_compact_with_no_free_page(tmp_path):
    store = Store(tmp_path)
    try:
        path = tmp_path / "history.sqlite"
        assert_compact(path)
        assert pragma(path, "auto_vacuum") == 2  # incremental
        assert pragma(path, "freelist_count") == 0, "what the migrations dropped went back"
    finally:
        store.close()


def test_migration_0008_moves_an_old_store_forward_with_its_history(tmp_path):
    url = f"sqlite:///{tmp_path}/history.sqlite"
    nb = str(tmp_path / "nb.ipynb")
    outputs = [{"output_type": "stream", "name": "stdout", "text": "old_output\n"}]
    write_old_store(url, {nb: [("c1", "old_code = 1", outputs), ("c2", "y = 2", [])]}, 2)
    path = tmp_path / "history.sqlite"
    with sqlite3.connect(path) as db:  # the index as 0002 made it, and the old indexes
        db.executescript(f"DROP TABLE search_index; {OLD_INDEX};")
        db.execute("INSERT INTO search_index (rowid, text) VALUES (1, 'old_code = 1')")
        assert "ix_states_parent" in schema_of(path)
        before = db.execute("SELECT * FROM state_cells ORDER BY cell_id").fetchall()

    store = Store(tmp_path)  # opening it migrates
    try:
        assert_compact(path)
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT * FROM state_cells ORDER BY cell_id").fetchall() == before
            names = [r[0] for r in db.execute("SELECT name FROM jupyter_branch_migrations")]
            assert names == [m.name for m in MIGRATIONS]
        assert found(store, "old_code") == [("execute", "c1", "source")]
        [state] = store.log()["states"]
        assert store.sources(state["id"]) == ["old_code = 1", "y = 2"]
        assert store.state(state["id"])["outputs"] == outputs
        store.report(("c1", "old_code = 1"), ("c2", "y = 3"))
        ran = store.execute("c2", "y = 3", "three\n")
        assert store.state(ran)["cells"][1]["outputs"][0]["text"] == "three\n"
        versions = store.service.cell_history(store.nb, "c2")["versions"]
        assert [v["cell"]["source"] for v in versions][::-1][:2] == ["y = 2", "y = 3"]
    finally:
        store.close()


def test_free_pages_go_back_to_the_file_system_when_the_writer_stops(sqlite_store):
    store, path = sqlite_store, sqlite_store.root / "history.sqlite"
    store.report(("c1", "x = 1"))
    big = "0123456789abcdef" * 20_000  # a running cell's outputs, dropped when it ends

    def churn(_history, conn):
        conn.exec_driver_sql(
            "INSERT INTO running (key, started, updated, code) VALUES ('k/m', 1, 1, ?)", (big,)
        )
        conn.exec_driver_sql("DELETE FROM running")

    store.run(churn)
    assert pragma(path, "freelist_count") > 100
    store.close()
    assert pragma(path, "freelist_count") == 0
    assert path.stat().st_size < 100_000


def segments(path: Path) -> int:
    """How many segments the search index has (FTS5 keys a leaf by segment << 37)."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT DISTINCT id >> 37 FROM search_index_data WHERE id >> 37 > 0")
        return len(rows.fetchall())


def test_the_search_index_is_merged_when_the_writer_stops(tmp_path):
    store, path = Store(tmp_path), tmp_path / "history.sqlite"
    for i in range(6):  # each in its own transaction: a segment each
        store.report(("c1", f"word{i} = {i}"))
    assert segments(path) >= 4
    store.close()
    assert segments(path) == 1
    store = Store(tmp_path)
    try:
        assert found(store, "word0") == [("edit", "c1", "source")]
        assert found(store, "word5") == [("edit", "c1", "source")]
    finally:
        store.close()


def test_a_prune_re_attaches_children_and_the_file_shrinks(sqlite_store):
    store, path = sqlite_store, sqlite_store.root / "history.sqlite"
    store.report(("c1", "x"))
    for i in range(4):  # figures: big, and not in the search index
        store.execute("c1", "x", *figure_outputs(random.Random(i).randbytes(40_000)))
    store.writer.flush()
    store.close()
    size = path.stat().st_size
    time.sleep(0.01)
    counts = gc.prune(store.url, older_than_days=0)
    assert counts["states"] == 4
    assert "ix_states_parent_gc" not in schema_of(path), "made for the prune only"
    assert pragma(path, "freelist_count") == 0
    assert path.stat().st_size < size
    store = Store(store.root)
    try:
        [head] = store.log()["states"]
        assert head["parent"] is None
        assert store.state(head["id"])["outputs"] == figure_outputs(
            random.Random(3).randbytes(40_000)
        )
    finally:
        store.close()
