"""The branching rules of ``model.py`` as plain data: no database, no writer."""

from __future__ import annotations

from jupyter_branch import model
from jupyter_branch.model import EMPTY_OUTPUTS, CellRef, ReportedCell, hash_json, hash_text


def code(cell_id: str, source: str, outputs: list | None = None, count: int | None = None):
    return CellRef(cell_id, "code", hash_text(source), hash_json(outputs or []), count)


def reported(cell_id: str, source: str, cell_type: str = "code") -> ReportedCell:
    return ReportedCell(cell_id, cell_type, hash_text(source))


def test_the_sources_key_is_order_and_text_not_outputs_or_ids():
    a = [code("a", "x = 1", ["out"], 3), code("b", "y = 2")]
    same_text_other_ids = [code("p", "x = 1"), code("q", "y = 2")]
    swapped = [code("b", "y = 2"), code("a", "x = 1")]
    assert model.sources_key(a) == model.sources_key(same_text_other_ids)
    assert model.sources_key(a) != model.sources_key(swapped)
    as_markdown = [CellRef("a", "markdown", hash_text("x = 1")), code("b", "y = 2")]
    assert model.sources_key(a) != model.sources_key(as_markdown)


def test_an_edit_keeps_the_outputs_of_every_cell_it_keeps():
    head = [code("a", "x = 1", ["one"], 1), code("b", "print(x)", ["1\n"], 2)]
    doc = model.document_cells(head, [reported("a", "x = 2"), reported("b", "print(x)")])
    assert doc[0].source == hash_text("x = 2")
    assert doc[0].outputs == head[0].outputs and doc[0].execution_count == 1
    assert doc[1] == head[1]


def test_a_new_cell_has_no_outputs_and_a_changed_type_drops_them():
    head = [code("a", "x = 1", ["one"], 1)]
    doc = model.document_cells(head, [reported("a", "# x", "markdown"), reported("n", "")])
    assert (doc[0].cell_type, doc[0].outputs) == ("markdown", None)
    assert (doc[1].cell_id, doc[1].outputs, doc[1].execution_count) == ("n", EMPTY_OUTPUTS, None)


def test_a_fresh_id_for_the_same_cell_in_the_same_place_keeps_what_it_had():
    """JupyterLab makes up new ids for the cells of nbformat < 4.5 files on every load."""
    head = [code("old", "x = 1", ["one"], 1)]
    doc = model.document_cells(head, [reported("fresh", "x = 1")])
    assert (doc[0].cell_id, doc[0].outputs) == ("fresh", head[0].outputs)
    assert model.renamed_only(head, doc) == {"fresh": "old"}
    edited = model.document_cells(head, [reported("fresh", "x = 2")])
    assert model.renamed_only(head, edited) is None, "an edit is not a rename"


def test_an_execution_replaces_its_cell_and_drops_deleted_cells():
    head = [code("a", "x = 1"), code("b", "y = 2"), code("c", "z = 3")]
    cells, took = model.executed_cells(
        head, "b", hash_text("y = 20"), hash_json(["20"]), 7, deleted=["c"]
    )
    assert took
    assert [c.cell_id for c in cells] == ["a", "b"]
    assert cells[1] == CellRef("b", "code", hash_text("y = 20"), hash_json(["20"]), 7)


def test_an_execution_of_an_unknown_cell_or_of_no_cell_changes_no_cell():
    head = [code("a", "x = 1")]
    cells, took = model.executed_cells(head, "new", hash_text("1"), EMPTY_OUTPUTS, 1)
    assert not took and cells == head, "a client's own cell ids never become cells"
    cells, took = model.executed_cells(head, None, hash_text("1"), EMPTY_OUTPUTS, 1)
    assert not took and cells == head


def test_only_a_unique_code_match_names_the_cell_of_an_execution():
    cells = [code("a", "x = 1"), code("b", "y"), code("c", "x = 1")]
    cells.append(CellRef("m", "markdown", hash_text("z")))
    assert model.cell_with_code(cells, hash_text("y")) == "b"
    assert model.cell_with_code(cells, hash_text("x = 1")) is None, "two cells: no guess"
    assert model.cell_with_code(cells, hash_text("z")) is None, "markdown does not run"
    assert model.cell_with_code(cells, hash_text("nope")) is None


def test_restoring_one_cell_brings_it_back_in_place_even_when_deleted():
    target = [code("a", "x = 1", ["one"], 1), code("b", "y = 1"), code("c", "z = 1")]
    head = [code("a", "x = 2"), code("c", "z = 2")]  # b was deleted since
    cells = model.restored_cells(head, target, "b")
    assert [c.cell_id for c in cells] == ["a", "b", "c"]
    assert cells[1] == target[1] and cells[0] == head[0] and cells[2] == head[1]
    assert model.restored_cells(head, target) == target
    try:
        model.restored_cells(head, target, "zzz")
    except KeyError:
        pass
    else:
        raise AssertionError("restoring a cell the state lacks must fail")


def test_changed_cells_are_the_new_or_different_ones():
    parent = [code("a", "x = 1"), code("b", "y = 1")]
    cells = [code("a", "x = 1"), code("b", "y = 2"), code("c", "z")]
    assert [c.cell_id for c in model.changed_cells(parent, cells)] == ["b", "c"]
    assert model.same_cells(parent, list(parent)) and not model.same_cells(parent, cells)


def test_statuses_from_what_iopub_showed():
    assert model.status_of(None, started=True) == "ok"
    assert model.status_of({"ename": "ValueError"}, started=True) == "error"
    assert model.status_of({"ename": "KeyboardInterrupt"}, started=True) == "interrupted"
    assert model.status_of(None, started=False) == "aborted"
    assert model.status_of(None, started=True, died=True) == "died"


def test_previews_and_execution_counts():
    assert model.preview("\n\n  import numpy as np  \nx = 1") == "import numpy as np"
    assert model.preview("x" * 100, width=10) == "x" * 9 + "…"
    assert model.preview("bad \ud800 text") == "bad \ufffd text"
    assert [model.execution_count(v) for v in (3, -1, True, "2", None)] == [
        3,
        None,
        None,
        None,
        None,
    ]


def test_new_empty_cells_are_no_change_but_emptied_known_ones_are():
    head = [code("a", "x = 1")]
    doc = [code("a", "x = 1"), code("new", "")]
    assert model.without_new_empty_cells(doc, head) == head
    emptied = [code("a", "")]
    assert model.without_new_empty_cells(emptied, head) == emptied
