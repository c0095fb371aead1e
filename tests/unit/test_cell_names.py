"""How the panel names cells and folds edits: each state's ``cell_index`` (where its
cell sits among the state's cells) and ``sources_key`` (equal for equal sources)."""

from __future__ import annotations

from sqlalchemy import text

from jupyter_branch.identity import default_owner
from jupyter_branch.service import HistoryService
from tests.unit.conftest import Store
from tests.unit.old_store import write_old_store


def summaries(store: Store) -> list[dict]:
    return store.log()["states"]


def test_a_state_names_its_cell_by_its_place_among_the_cells(store):
    store.report(("c1", "a = 1"), ("c2", "b = 1"), ("c3", "c = 1"))
    store.execute("c3", "c = 1", "1\n")
    store.report(("c1", "a = 1"), ("c2", "b = 2"), ("c3", "c = 1"))  # one cell changed
    store.report(("c1", "a = 1"), ("c3", "c = 1"), ("c2", "b = 2"))  # moved: c2 is now third
    store.execute("c2", "b = 2", "2\n")
    store.execute(None, "print('agent')")  # not in a cell
    rows = summaries(store)
    named = [(s["event"], s["cell_id"], s["cell_index"]) for s in rows]
    assert named[1:] == [
        ("execute", "c3", 2),
        ("edit", "c2", 1),
        ("edit", None, None),
        ("execute", "c2", 2),
        ("execute", None, None),
    ]
    assert named[0][0] == "edit" and named[0][2] is None  # three new cells at once


def test_a_cell_restore_says_which_cell_by_its_place_not_its_id(store):
    store.report(("first-cell-id", "a = 1"), ("second-cell-id", "b = 1"))
    old = store.execute("second-cell-id", "b = 1", "1\n")
    store.report(("first-cell-id", "a = 1"), ("second-cell-id", "b = 2"))
    store.service.restore(store.nb, old, "second-cell-id").result(10)
    made = summaries(store)[-1]
    assert made["event"] == "restore" and made["cell_index"] == 1
    assert made["preview"] == f"restored cell 2 of {old[:12]}"
    assert "second-cell-id" not in made["preview"]


def test_a_run_of_the_edited_code_has_the_sources_key_of_the_edit(store):
    store.report(("c1", "x = 1"), ("c2", "y = 1"))
    edit = store.report(("c1", "x = 2"), ("c2", "y = 1"))["head"]
    run = store.execute("c1", "x = 2", "2\n")
    other = store.execute("c1", "x = 3", "3\n")  # code that differs from the source
    keys = {s["id"]: s["sources_key"] for s in summaries(store)}
    assert keys[edit] == keys[run]
    assert keys[other] != keys[run]
    assert all(len(k) == 16 and int(k, 16) >= 0 for k in keys.values())
    # the same key in every reader: a cell's versions and a state's detail
    detail = store.state(run)
    assert (detail["sources_key"], detail["cell_index"]) == (keys[run], 0)
    versions = store.service.cell_history(store.nb, "c1")["versions"]
    assert {v["state"]["id"]: v["state"]["sources_key"] for v in versions}[edit] == keys[edit]


def test_migration_0006_fills_in_the_place_of_each_state_s_cell(tmp_path):
    nb = str(tmp_path / "old.ipynb")
    # a store at 0005: one execute state of its first cell, "c-first"
    write_old_store(
        f"sqlite:///{tmp_path}/history.sqlite",
        {nb: [("c-first", "import os", []), ("c-second", "x = 1", [])]},
        migrations=5,
    )
    with_null = Store(tmp_path)  # a server opening it migrates
    try:
        with with_null.engines.reader.connect() as conn:
            filled = conn.execute(text("SELECT cell_id, cell_index FROM states")).all()
        assert [tuple(r) for r in filled] == [("c-first", 0)]
        with with_null.engines.writer.begin() as conn:  # old_store writes no owner after 0003
            conn.execute(text("UPDATE notebooks SET owner = :o"), {"o": default_owner()})
        (summary,) = HistoryService(with_null.engines).log(nb)["states"]
        assert summary["cell_index"] == 0 and len(summary["sources_key"]) == 16
    finally:
        with_null.close()
