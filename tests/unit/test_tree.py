"""The tree and Head rules of SPEC ("Branching"), on a real store."""

from __future__ import annotations

import time
from typing import Any

import pytest

from jupyter_branch.identity import default_owner
from jupyter_branch.model import Execution
from jupyter_branch.outputs import OutputReplay
from jupyter_branch.store import queries
from jupyter_branch.store.displays import Displays
from jupyter_branch.store.statements import runner_for


def test_seed_scenario_undo_then_edit_makes_a_branch(store):
    store.report(("c1", "x = 1"))
    run1 = store.execute("c1", "x = 1", "1\n")
    store.report(("c1", "x = 2"))
    run2 = store.execute("c1", "x = 2", "2\n")
    moved = store.report(("c1", "x = 1"))  # ctrl-z back to the first text
    assert moved == {"head": run1, "created": False, "moved": True}
    store.report(("c1", "x = 1; x + 10"))
    run3 = store.execute("c1", "x = 1; x + 10", "11\n")

    states = {s["id"]: s for s in store.log()["states"]}
    edit = states[run3]["parent"]
    assert states[edit]["event"] == "edit"
    assert states[edit]["parent"] == run1, "the new run branches off the x = 1 line"
    assert states[run2]["parent"] != run1 and run2 in states, "the x = 2 run stays reachable"
    assert store.log()["head"] == run3
    assert store.state(run2)["cells"][0]["outputs"][0]["text"] == "2\n"


def test_re_executions_keep_every_old_output(store):
    store.report(("c1", "print(1)"))
    for i in range(3):
        store.execute("c1", "print(1)", f"run {i}\n")
    versions = store.service.cell_history(store.nb, "c1")["versions"]
    texts = [v["cell"]["outputs"][0]["text"] for v in versions if v["cell"]["outputs"]]
    assert texts == ["run 2\n", "run 1\n", "run 0\n"], "newest first, none lost"


def test_a_report_identical_to_head_makes_nothing(store):
    first = store.report(("c1", "a"), ("c2", "b", "markdown"))
    again = store.report(("c1", "a"), ("c2", "b", "markdown"))
    assert first["created"] and not again["created"] and not again["moved"]
    assert len(store.log()["states"]) == 1


def test_edit_keeps_outputs_of_cells_it_did_not_touch(store):
    store.report(("c1", "x = 1"), ("c2", "y = 2"))
    store.execute("c1", "x = 1", "one\n")
    edit = store.report(("c1", "x = 1"), ("c2", "y = 3"))["head"]
    cells = store.state(edit)["cells"]
    assert cells[0]["outputs"][0]["text"] == "one\n"
    assert cells[1]["source"] == "y = 3"


def test_a_client_with_cell_ids_of_its_own_never_adds_cells(store):
    """A client that names cells the notebook does not have (VS Code's own ids, an agent)
    runs "not in a cell": recorded, shown, but no phantom cell in the notebook."""
    store.files[store.nb] = {
        "cells": [
            {
                "id": "a",
                "cell_type": "code",
                "source": "1",
                "outputs": [],
                "execution_count": None,
                "metadata": {},
            }
        ],
        "metadata": {},
    }
    state = store.execute("zz", "2", "2\n")
    assert store.sources(state) == ["1"]
    summary = store.log()["states"][-1]
    assert (summary["id"], summary["event"], summary["cell_id"]) == (state, "execute", None)
    assert store.state(state)["outputs"][0]["text"] == "2\n"


def test_opening_an_empty_notebook_makes_no_state_for_the_cell_lab_adds(store):
    store.files[store.nb] = {"cells": [], "metadata": {}}
    first = store.report(("lab-1", ""))
    assert first["created"] is False and len(store.log()["states"]) == 1, "the file only"
    typed = store.report(("lab-1", "x = 1"))
    assert typed["created"] and store.sources(typed["head"]) == ["x = 1"]


def test_a_new_cell_run_before_its_browser_report_arrives_is_placed_by_that_report(store):
    """JupyterLab sends the report and the execute request at once; either may come first."""
    store.report(("a", "x = 1"), ("b", "y = 2"))
    ran = store.execute("new", "z = 3", "3\n", from_browser=True)
    assert store.sources(ran) == ["x = 1", "y = 2", "z = 3"], "kept, at the end for now"
    store.report(("a", "x = 1"), ("new", "z = 3"), ("b", "y = 2"))
    head = store.state(store.log()["head"])
    assert [c["id"] for c in head["cells"]] == ["a", "new", "b"]
    assert head["cells"][1]["outputs"][0]["text"] == "3\n", "its outputs stay with it"
    other = store.execute("vscode-1", "q = 4", nb=str(store.root / "o.ipynb"), from_browser=True)
    assert store.state(other, nb=str(store.root / "o.ipynb"))["cells"] == [], (
        "a notebook no browser reports: a client's ids are not cells"
    )


def test_an_execution_without_a_known_cell_goes_to_the_one_cell_with_its_code(store):
    store.report(("a", "x = 1"), ("b", "print(x)"), ("c", "x = 1"), ("d", "# x", "markdown"))
    ran = store.execute(None, "print(x)", "1\n")
    assert store.state(ran)["cell_id"] == "b"
    assert store.state(ran)["cells"][1]["outputs"][0]["text"] == "1\n"
    twice = store.execute("agent-7", "x = 1")  # two cells hold it: no guess
    assert store.state(twice)["cell_id"] is None
    nowhere = store.execute(None, "print(y)")
    assert store.state(nowhere)["cell_id"] is None
    assert [c["source"] for c in store.state(nowhere)["cells"]] == [
        "x = 1",
        "print(x)",
        "x = 1",
        "# x",
    ]


def test_console_execution_on_a_reported_notebook_leaves_cells_alone(store):
    store.report(("c1", "x = 1"))
    state = store.execute("console-cell", "x", "1\n")
    detail = store.state(state)
    assert store.sources(state) == ["x = 1"]
    assert detail["code"] == "x" and detail["outputs"][0]["text"] == "1\n", "still recorded"


def test_execution_without_cell_id_is_recorded(store):
    store.report(("c1", "x = 1"))
    state = store.execute(None, "print('api client')", "api client\n")
    detail = store.state(state)
    assert detail["cell_id"] is None and detail["outputs"][0]["text"] == "api client\n"


def test_deleted_cells_are_dropped_on_the_next_execution(store):
    store.report(("c1", "a"), ("c2", "b"))
    state = store.execute("c1", "a", deleted_cells=("c2",))
    assert [c["id"] for c in store.state(state)["cells"]] == ["c1"]


def test_display_update_from_a_later_execution_reaches_the_earlier_cell(store):
    store.report(("c1", "h = display('0%', display_id=True)"), ("c2", "h.update('100%')"))
    shown = {
        "output_type": "display_data",
        "data": {"text/plain": "'0%'"},
        "metadata": {},
        "transient": {"display_id": "d1"},
    }
    store.execute("c1", "h = display('0%', display_id=True)", shown)
    later = store.execute(
        "c2",
        "h.update('100%')",
        display_updates={"d1": {"data": {"text/plain": "'100%'"}, "metadata": {}}},
    )
    first_cell = store.state(later)["cells"][0]
    assert first_cell["outputs"][0]["data"]["text/plain"] == "'100%'"


def show(text: str, display_id: str) -> tuple[str, dict[str, Any]]:
    content = {
        "data": {"text/plain": text},
        "metadata": {},
        "transient": {"display_id": display_id},
    }
    return "display_data", content


def update(text: str, display_id: str) -> tuple[str, dict[str, Any]]:
    return "update_display_data", show(text, display_id)[1]


def run(store, cell_id, *messages, nb=None, count=None) -> str:
    """Record an execution whose iopub messages are ``messages``, as the recorder does."""
    replay = OutputReplay(100_000)
    for message in messages:
        replay.add(*message)
    store._count += 1
    ex = Execution(
        nb or store.nb,
        "kernel-1",
        f"msg-{store._count}",
        cell_id,
        f"run {store._count}",
        replay.outputs(),
        store._count if count is None else count,
        "ok",
        time.time(),
        time.time(),
        display_updates=dict(replay.display_updates),
    )
    return store.run(lambda h, conn: h.record_execution(conn, ex))


def shown_texts(store, state_id, nb=None) -> dict[str, list[str]]:
    cells = store.state(state_id, nb)["cells"]
    return {
        c["id"]: [o.get("data", {}).get("text/plain", o.get("text")) for o in c["outputs"]]
        for c in cells
    }


def test_an_update_reaches_every_earlier_cell_that_shows_the_display(store):
    store.report(("a", "show"), ("b", "show again"), ("c", "update"))
    first = run(store, "a", show("0%", "bar"))
    second = run(store, "b", show("B", "bar"))  # a new display with that id updates a too
    third = run(store, "c", update("100%", "bar"))
    assert shown_texts(store, second) == {"a": ["B"], "b": ["B"], "c": []}
    assert shown_texts(store, third) == {"a": ["100%"], "b": ["100%"], "c": []}
    assert shown_texts(store, first)["a"] == ["0%"], "earlier states stay as they were"
    assert "transient" not in store.state(third)["cells"][0]["outputs"][0]


def test_a_display_shown_and_updated_in_one_run_updates_earlier_cells_too(store):
    store.report(("a", "show"), ("b", "show and update"))
    run(store, "a", show("0%", "bar"), ("stream", {"name": "stdout", "text": "x\n"}))
    state = run(store, "b", show("50%", "bar"), update("100%", "bar"))
    assert shown_texts(store, state) == {"a": ["100%", "x\n"], "b": ["100%"]}


def test_a_display_in_another_notebook_on_the_kernel_is_updated_there(store):
    other = str(store.root / "other.ipynb")
    store.report(("p", "show"), nb=other)
    shown_there = run(store, "p", show("0%", "bar"), nb=other)
    store.report(("q", "update"))
    here = run(store, "q", update("100%", "bar"))
    assert shown_texts(store, here) == {"q": []}
    log = store.log(other)
    assert log["head"] != shown_there
    last = log["states"][-1]
    assert (last["event"], last["cell_id"], last["parent"]) == ("execute", None, shown_there)
    assert shown_texts(store, last["id"], other) == {"p": ["100%"]}


def test_cells_run_again_or_shown_before_a_kernel_restart_are_not_updated(store):
    store.report(("a", "show"), ("b", "update"))
    run(store, "a", show("0%", "bar"))
    run(store, "a", ("stream", {"name": "stdout", "text": "gone\n"}))
    state = run(store, "b", update("100%", "bar"))
    assert shown_texts(store, state) == {"a": ["gone\n"], "b": []}

    run(store, "a", show("0%", "bar"), count=50)
    state = run(store, "b", update("100%", "bar"), count=1)  # counts start again: a restart
    assert shown_texts(store, state) == {"a": ["0%"], "b": []}


def test_the_cells_remembered_per_display_are_bounded():
    displays = Displays(1000, size=100)
    for i in range(1000):
        displays.note_shown("k", 1, f"cell-{i}", [{"transient": {"display_id": f"d{i % 7}"}}])
    assert displays.entries == sum(len(cells) for cells in displays.shown.values()) <= 100
    assert (1, "cell-999") in displays.shown[("k", "d5")], "the most recent stay"


def test_restore_whole_state_and_one_cell(store):
    store.report(("c1", "a = 1"), ("c2", "b = 1"))
    old = store.execute("c1", "a = 1", "a1\n")
    store.report(("c1", "a = 2"), ("c2", "b = 2"))
    current = store.execute("c1", "a = 2", "a2\n")

    restored = store.service.restore(store.nb, old[:8]).result(10)
    assert [c["source"] for c in restored["cells"]] == ["a = 1", "b = 1"]
    assert restored["cells"][0]["outputs"][0]["text"] == "a1\n"
    summary = {s["id"]: s for s in store.log()["states"]}[restored["state"]]
    assert summary["event"] == "restore" and summary["parent"] == current
    assert summary["restored_from"] == old and store.log()["head"] == restored["state"]

    store.report(("c1", "a = 3"), ("c2", "b = 3"))
    one = store.service.restore(store.nb, current, "c1").result(10)
    assert [c["source"] for c in one["cells"]] == ["a = 2", "b = 3"]


def test_save_identical_to_head_makes_no_state_and_a_change_does(store):
    store.report(("c1", "x = 1"))
    store.execute("c1", "x = 1", "1\n")
    saved = {
        "cells": [
            {
                "id": "c1",
                "cell_type": "code",
                "source": "x = 1",
                "metadata": {},
                "execution_count": 1,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "1\n"}],
            }
        ],
        "metadata": {},
    }
    before = len(store.log()["states"])
    assert store.run(lambda h, c: h.record_notebook(c, store.nb, saved, "save")) is None
    saved["cells"][0]["source"] = "x = 99"
    made = store.run(lambda h, c: h.record_notebook(c, store.nb, saved, "external"))
    assert made is not None and len(store.log()["states"]) == before + 1
    assert store.sources(made) == ["x = 99"]


def test_saves_and_metadata_that_change_no_source_make_no_state(store):
    """Opening a notebook with real-time collaboration saves it with new metadata; a
    save after outputs were cleared holds nothing that is not recorded already."""
    store.report(("c1", "x = 1"))
    store.execute("c1", "x = 1", "1\n")
    before = len(store.log()["states"])
    cell = {"id": "c1", "cell_type": "code", "source": "x = 1", "execution_count": None}
    cleared = {"cells": [{**cell, "metadata": {}, "outputs": []}], "metadata": {}}
    assert store.run(lambda h, c: h.record_notebook(c, store.nb, cleared, "save")) is None
    annotated = {
        "cells": [{**cell, "metadata": {"tags": ["x"]}, "outputs": []}],
        "metadata": {"language_info": {"name": "python"}, "kernelspec": {"name": "python3"}},
    }
    assert store.run(lambda h, c: h.record_notebook(c, store.nb, annotated, "save")) is None
    out = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    same_outside = {"cells": [{**cell, "metadata": {"a": 1}, "outputs": out}], "metadata": {"b": 2}}
    assert store.run(lambda h, c: h.record_notebook(c, store.nb, same_outside, "external")) is None
    assert len(store.log()["states"]) == before
    other_outputs = {"cells": [{**cell, "metadata": {}, "outputs": []}], "metadata": {}}
    made = store.run(lambda h, c: h.record_notebook(c, store.nb, other_outputs, "external"))
    assert made is not None, "outputs changed outside Jupyter are a change"


def test_old_notebooks_without_cell_ids_keep_stable_ids(store):
    old_format = {
        "cells": [
            {
                "cell_type": "code",
                "source": "1",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
            }
        ],
        "metadata": {},
    }
    store.files[store.nb] = old_format
    first = store.run(lambda h, c: h.notebook_id(c, store.nb))
    assert first
    old_format["cells"].append({"cell_type": "markdown", "source": "two", "metadata": {}})
    state = store.run(lambda h, c: h.record_notebook(c, store.nb, old_format, "external"))
    ids = [c["id"] for c in store.state(state)["cells"]]
    root_ids = [c["id"] for c in store.state(store.log()["states"][0]["id"])["cells"]]
    assert ids[0] == root_ids[0], "the unchanged first cell keeps its id"


@pytest.mark.parametrize(
    "ids", [("a", "a"), ("\ud800", "\ud801")], ids=["same", "same-once-stored"]
)
def test_a_file_that_repeats_a_cell_id_is_recorded_with_every_cell(store, ids):
    """Two cells of a file with one id (a tool's copy; or two ids that are one text once
    made storable, as lone surrogates are) are two cells: the file when history began
    and a later change on disk are recorded whole."""
    cells = [
        {"id": i, "cell_type": "code", "source": f"x = {n}", "metadata": {}, "outputs": []}
        for n, i in enumerate(ids)
    ]
    store.files[store.nb] = {"cells": cells, "metadata": {}}
    assert store.run(lambda h, c: h.notebook_id(c, store.nb))
    first = store.log()["states"][0]["id"]
    assert store.sources(first) == ["x = 0", "x = 1"]
    stored = [c["id"] for c in store.state(first)["cells"]]
    assert len(set(stored)) == 2
    cells[1]["source"] = "x = 2"
    changed = {"cells": cells, "metadata": {}}
    made = store.run(lambda h, c: h.record_notebook(c, store.nb, changed, "external"))
    assert made is not None and store.sources(made) == ["x = 0", "x = 2"]
    assert store.writer.problem is None


def test_rename_of_a_notebook_and_of_its_folder(store):
    nb = str(store.root / "dir" / "a.ipynb")
    store.report(("c1", "x"), nb=nb)
    store.run(lambda h, c: h.rename(c, nb, str(store.root / "dir" / "b.ipynb")))
    assert store.log(str(store.root / "dir" / "b.ipynb"))["states"]
    store.run(lambda h, c: h.rename(c, str(store.root / "dir"), str(store.root / "moved")))
    assert len(store.log(str(store.root / "moved" / "b.ipynb"))["states"]) == 1


def test_running_outputs_are_kept_and_recovered_after_a_crash(store):
    from jupyter_branch.model import Execution

    store.report(("c1", "train()"))
    ex = Execution(
        store.nb,
        "k",
        "m-run",
        "c1",
        "train()",
        [{"output_type": "stream", "name": "stdout", "text": "epoch 1\n"}],
        4,
        "running",
        1.0,
        None,
    )
    store.run(lambda h, c: h.record_progress(c, ex))
    assert store.log()["running"][0]["cell_id"] == "c1"
    # a new server starts on the same store
    recovered = store.run(lambda h, c: h.recover_running(c))
    assert recovered == 1
    last = store.log()["states"][-1]
    assert last["status"] == "incomplete" and store.log()["running"] == []
    assert store.state(last["id"])["outputs"][0]["text"] == "epoch 1\n"


def test_identical_content_is_stored_once(store):
    store.report(("c1", "x = 1"))
    store.execute("c1", "x = 1", "same\n")
    with store.engines.reader.connect() as conn:
        before = queries.counts(runner_for(conn), default_owner())
    for _ in range(5):
        store.execute("c1", "x = 1", "same\n")
    with store.engines.reader.connect() as conn:
        after = queries.counts(runner_for(conn), default_owner())
    assert after["states"] == before["states"] + 5
    # each run differs only by its execution count: a new layout blob, no new content
    assert after["blobs"] == before["blobs"] + 5
    assert after["stored_bytes"] - before["stored_bytes"] <= 5 * 16


def test_state_prefixes_resolve_or_are_refused(store):
    store.report(("c1", "x"))
    state = store.execute("c1", "x")
    assert store.service.resolve(store.nb, state[:6]) == state
    import pytest

    with pytest.raises(queries.NotFound):
        store.service.resolve(store.nb, "zzzz")
