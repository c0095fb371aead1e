"""The store under arbitrary sequences of reports, executions, file records, restores, labels.

Inputs are what reaches the writer from the REST API, the recorder and the file
watcher: document reports (cells without valid ids, repeated ids, duplicate-looking
sources), executions of unknown cells with replayed outputs, nbformat 4.0 to 4.5
files (cells without ids), lone surrogates and NUL everywhere. After every
operation the tree keeps its invariants (SPEC, "Branching"): every state's parent
is a state of the same notebook, Head is a state, ``seq`` only grows, each state
exports as valid nbformat, a report of Head's own cells makes no state, and after
a report Head's sources are the reported ones.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import event, example
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from nbformat import v4
from sqlalchemy import text

from jupyter_branch.model import Execution, safe_text
from jupyter_branch.outputs import OutputReplay
from jupyter_branch.service import BadRequest, validate_cells
from jupyter_branch.store.files import read_notebook_file
from tests.fuzz import twins
from tests.fuzz.strategies import (
    json_values,
    odd_char,
    odd_text,
    repeated,
    short_text,
    without_pairs,
)
from tests.unit.conftest import Store

# few ids and sources, so reports repeat each other, move Head back and hit known cells
CELL_IDS = st.one_of(
    st.sampled_from(["a", "b", "c", "d", "x" * 300, "", "\ud800", "a\x00", "é", "with space"]),
    short_text,
)
SOURCES = st.one_of(
    st.sampled_from(["", "x = 1", "x = 1\n", "print(1)", "\ud800", "a\x00b", "\r\n"]),
    odd_text,
    repeated(odd_char, 3000),
)
KINDS = st.sampled_from(["code", "code", "markdown", "raw"])


def reported_cell(kind: st.SearchStrategy[str] = KINDS) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"id": CELL_IDS, "cell_type": kind, "source": st.one_of(SOURCES, st.lists(SOURCES))}
    )


reports = st.tuples(
    st.just("report"),
    st.lists(reported_cell(st.one_of(KINDS, st.just("python"))), max_size=5),
)
executions = st.tuples(
    st.just("execute"),
    st.one_of(st.none(), CELL_IDS.map(lambda c: safe_text(c) or None)),  # as capture.py
    SOURCES,
    without_pairs,
    st.lists(CELL_IDS, max_size=2),  # deletedCells
    st.booleans(),  # first record its outputs so far, as the recorder does every second
)

# -- nbformat 4.0 to 4.5 files, as dicts ---------------------------------------------------

MULTILINE = st.one_of(SOURCES, st.lists(SOURCES, max_size=3))
file_outputs = st.one_of(
    st.fixed_dictionaries(
        {
            "output_type": st.just("stream"),
            "name": st.sampled_from(["stdout", "stderr"]),
            "text": MULTILINE,
        }
    ),
    st.fixed_dictionaries(
        {
            "output_type": st.just("display_data"),
            "data": st.dictionaries(st.sampled_from(["text/plain", "text/html"]), MULTILINE),
            "metadata": st.dictionaries(short_text, json_values, max_size=2),
        }
    ),
    st.fixed_dictionaries(
        {
            "output_type": st.just("execute_result"),
            "data": st.dictionaries(st.sampled_from(["text/plain", "image/png"]), MULTILINE),
            "metadata": st.just({}),
            "execution_count": st.one_of(st.none(), st.integers(0, 10**6)),
        }
    ),
    st.fixed_dictionaries(
        {
            "output_type": st.just("error"),
            "ename": odd_text,
            "evalue": odd_text,
            "traceback": st.lists(odd_text, max_size=3),
        }
    ),
)


@st.composite
def notebook_files(draw: Any) -> dict[str, Any]:
    """A notebook file of nbformat 4.0 to 4.5 as ``nbformat.read`` gives it (ids from 4.5)."""
    minor = draw(st.integers(0, 5))
    cells = []
    ids = draw(st.lists(CELL_IDS, max_size=5, unique=True))  # nbformat.read repairs repeats
    for i in range(draw(st.integers(0, 5))):
        kind = draw(KINDS)
        cell: dict[str, Any] = {
            "cell_type": kind,
            "metadata": draw(st.dictionaries(short_text, json_values, max_size=2)),
            "source": draw(MULTILINE),
        }
        if minor >= 5:
            cell["id"] = ids[i] if i < len(ids) else f"extra-{i}"
        if kind == "code":
            cell["outputs"] = draw(st.lists(file_outputs, max_size=3))
            cell["execution_count"] = draw(st.one_of(st.none(), st.integers(0, 10**6)))
        cells.append(cell)
    metadata = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "kernelspec": st.just({"name": "python3", "display_name": "Python 3"}),
                "language_info": st.just({"name": "python"}),
                "other": json_values,
            },
        )
    )
    return {"nbformat": 4, "nbformat_minor": minor, "metadata": metadata, "cells": cells}


files = st.tuples(st.just("file"), notebook_files(), st.sampled_from(["save", "external"]))


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually (7 in 8) a valid value, else any JSON: most files stay readable."""
    return st.integers(0, 7).flatmap(lambda i: json_values if i == 0 else valid)


garbled_cells = st.fixed_dictionaries(
    {
        "cell_type": mostly(st.one_of(KINDS, st.sampled_from(["heading", "Code", ""]))),
        "source": mostly(MULTILINE),
        "metadata": mostly(st.just({})),
        "outputs": mostly(st.lists(mostly(file_outputs), max_size=2)),
        "execution_count": mostly(st.one_of(st.none(), st.integers(0, 10**6))),
    },
    optional={"id": mostly(CELL_IDS), "attachments": json_values, "level": st.integers(1, 6)},
)
GARBLED = {"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": []}
GARBLED_CELL = {"cell_type": "code", "source": "x", "metadata": {}, "outputs": []}
# a file on disk, often not valid nbformat, read the way the server reads it (nbformat
# logs what is invalid and returns the notebook all the same)
garbled_files = st.tuples(
    st.just("disk"),
    st.fixed_dictionaries(
        {
            "nbformat": st.just(4),
            "nbformat_minor": mostly(st.integers(0, 5)),
            "metadata": mostly(
                st.sampled_from(
                    [
                        {},
                        {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
                        {"kernelspec": {"name": "python3"}},  # as some tools write it
                        {"language_info": {"name": "python", "version": 3}},
                    ]
                )
            ),
            "cells": st.lists(mostly(garbled_cells), max_size=4),
        }
    ),
)
restores = st.tuples(st.just("restore"), st.integers(0, 50), st.one_of(st.none(), CELL_IDS))
labels = st.tuples(st.just("label"), st.integers(0, 50), st.one_of(st.none(), odd_text))

operations = st.lists(st.one_of(reports, executions, files, restores, labels), max_size=8)
on_disk = st.one_of(st.none(), notebook_files())  # the file when the first report comes


@pytest.fixture(scope="module")
def store(tmp_path_factory: Any) -> Any:
    """One store for all examples; each example has a notebook of its own."""
    s = Store(tmp_path_factory.mktemp("fuzz-store"))
    yield s
    s.close()


class Run:
    """Applies operations to one notebook and checks the tree after each."""

    def __init__(self, store: Any, file_first: bool = False, timeout: float = 10) -> None:
        self.store = store
        self.nb = str(store.root / f"n-{uuid.uuid4().hex}.ipynb")
        self.file_first = file_first  # the notebook's file is there when history begins
        self.timeout = timeout
        self.seen: dict[str, int] = {}  # state id -> seq
        self.msg = 0

    def write(self, fn: Any) -> Any:
        """Run ``fn(history, conn)`` on the writer; return its result."""
        return self.store.writer.submit(fn, urgent=True).result(self.timeout)

    def states(self) -> list[dict[str, Any]]:
        try:
            return self.store.service.log(self.nb)["states"]
        except LookupError:
            return []

    def apply(self, op: tuple[Any, ...]) -> None:
        before = self.states()
        kind = op[0]
        if kind == "report":
            self.report(op[1], before)
        elif kind == "execute":
            self.execute(*op[1:])
        elif kind == "file":
            self.write(
                lambda h, conn: h.record_notebook(conn, self.nb, copy.deepcopy(op[1]), op[2])
            )
        elif kind == "disk":
            self.record_disk_file(op[1])
        elif kind == "restore" and before:
            target = before[op[1] % len(before)]["id"]
            try:
                self.store.service.restore(self.nb, target, op[2]).result(self.timeout)
            except LookupError:
                cells = self.store.state(target, nb=self.nb)["cells"]
                assert op[2] not in [c["id"] for c in cells], "restore of a cell it has failed"
        elif kind == "label" and before:
            target = before[op[1] % len(before)]["id"]
            try:
                self.store.service.label(self.nb, target, op[2]).result(self.timeout)
            except BadRequest:
                assert len(op[2]) > 200
        after = self.check(before)
        if currently_in_test_context():  # figures for --hypothesis-show-statistics
            made = len(after) - len(before)
            event(f"{kind}: {'a new state' if made == 1 else f'{made} new states'}")

    def report(self, cells: list[dict[str, Any]], before: list[dict[str, Any]]) -> None:
        try:
            valid = validate_cells(cells)
        except BadRequest:
            valid = None
        try:
            answer = self.store.service.report_document(self.nb, cells).result(self.timeout)
        except BadRequest:
            assert valid is None, "a valid report was refused"
            assert self.states() == before
            return
        assert valid is not None, "an invalid report was taken"
        after = self.states()
        # a new empty cell is no change (JupyterLab adds one to an empty notebook): the
        # report's cells are Head's, but for new empty ones Head lacks
        head_ids = set()
        if answer["head"] is not None:
            head_ids = {c["id"] for c in self.store.state(answer["head"], nb=self.nb)["cells"]}
        meant = [c for c in valid if c["source"] or c["id"] in head_ids]
        if answer["head"] is None:  # an empty document, no history yet: nothing to record
            assert meant == [] and after == [] and not answer["created"]
            return
        head = self.store.state(answer["head"], nb=self.nb)

        def shape(cells: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
            return [(c["id"], c["cell_type"], c["source"]) for c in cells]

        if not answer["created"] and not answer["moved"] and shape(meant) == shape(head["cells"]):
            # nothing recorded but the file when history began, if this report began it
            began = [s for s in after[:1] if s["event"] == "save" and s["parent"] is None]
            seeded = began if not before and self.file_first else before
            assert after == seeded, "only new empty cells: nothing recorded"
            return
        assert [(c["cell_type"], c["source"]) for c in head["cells"]] == [
            (c["cell_type"], c["source"]) for c in valid
        ], "Head's sources are not the reported ones"
        if answer["created"]:
            assert len(after) == len(before) + 1 + (not before and self.file_first)
        else:
            assert len(after) == len(before) + (not before and self.file_first)
        renamed = not answer["created"] and not answer["moved"]  # JupyterLab's fresh ids
        if not answer["moved"] and not renamed:  # moved: an earlier state with these sources
            assert [c["id"] for c in head["cells"]] == [c["id"] for c in valid]

    def execute(self, cell_id, code, messages, deleted, progress) -> None:
        replay = OutputReplay(self.store.history.max_output_bytes)
        for msg_type, content in messages:
            replay.add(msg_type, content)
        self.msg += 1
        ex = Execution(
            self.nb,
            "kernel-1",
            f"{self.nb}-{self.msg}",
            cell_id,
            code,
            replay.outputs(),
            self.msg,
            "ok",
            time.time(),
            None,
            display_updates=dict(replay.display_updates),
            deleted_cells=tuple(deleted),
        )
        if progress and safe_text(code) == code:  # else: test_progress_of_code_...
            self.write(lambda h, conn: h.record_progress(conn, ex))
        ex.ended = time.time()
        self.write(lambda h, conn: h.record_execution(conn, ex))

    def record_disk_file(self, content: dict[str, Any]) -> None:
        """Write ``content`` as the notebook file and record it as app.py does on a change."""
        path = self.store.root / "disk.ipynb"
        path.write_text(json.dumps(content), encoding="utf-8")
        with warnings.catch_warnings():  # as in production: nbformat's warnings are not errors
            warnings.simplefilter("ignore")
            nb = read_notebook_file(str(path))
        if nb is None:
            return  # unreadable: the server records nothing
        self.write(lambda h, conn: h.record_notebook(conn, self.nb, nb, "external"))

    def check(self, before: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Check the tree's invariants; return its states."""
        states = self.states()
        ids = {s["id"]: s for s in states}
        assert len(ids) == len(states)
        if not states:
            return states
        roots = [s for s in states if s["parent"] is None]
        assert len(roots) == 1 and roots[0]["seq"] == min(s["seq"] for s in states)
        for s in states:
            if s["parent"] is not None:
                assert s["parent"] in ids, "a parent is missing or in another notebook"
                assert ids[s["parent"]]["seq"] < s["seq"]
        last = max(self.seen.values(), default=0)
        for s in states:
            if s["id"] in self.seen:
                assert self.seen[s["id"]] == s["seq"]
            else:
                assert s["seq"] > last, "a new state's seq is not above every earlier one"
        self.seen.update({s["id"]: s["seq"] for s in states})
        assert {s["id"] for s in before} <= set(ids), "a state was lost"
        head = self.store.log(nb=self.nb)["head"]
        assert head in ids, "Head is not a state of the notebook"
        return states

    def check_exports(self) -> None:
        for s in self.states():
            for outputs in (True, False):
                nbformat.validate(self.store.service.export(self.nb, s["id"], outputs))

    def check_head_report_is_a_no_op(self) -> None:
        states = self.states()
        if not states:
            return
        head = self.store.state(self.store.log(nb=self.nb)["head"], nb=self.nb)
        cells = [{k: c[k] for k in ("id", "cell_type", "source")} for c in head["cells"]]
        try:
            validate_cells(cells)
        except BadRequest:
            return  # Head has cells no report can name (from a file): nothing to compare
        answer = self.store.service.report_document(self.nb, cells).result(self.timeout)
        assert answer == {"head": head["id"], "created": False, "moved": False}
        assert self.states() == states


def run(store: Any, disk: dict[str, Any] | None, ops: list[tuple[Any, ...]]) -> Run:
    r = Run(store, file_first=disk is not None)
    if disk is not None:
        store.files[r.nb] = disk
    for op in ops:
        r.apply(op)
    assert store.writer.problem is None, store.writer.problem
    return r


@twins(100, disk=on_disk, ops=operations)
def check_the_tree_keeps_its_invariants(store, disk, ops):
    r = run(store, disk, ops)
    r.check_exports()
    r.check_head_report_is_a_no_op()


(
    test_the_tree_keeps_its_invariants,
    test_the_tree_keeps_its_invariants_thorough,
) = check_the_tree_keeps_its_invariants


class OwnStore:
    """A store of its own per example: a garbled file may leave the writer stuck."""

    def __enter__(self) -> Any:
        self.store = Store(Path(tempfile.mkdtemp(prefix="fuzz-garbled-")))
        return self.store

    def __exit__(self, *exc: Any) -> None:
        self.store.writer.stop(timeout=0.5)  # a stuck writer would hold a plain close 30 s
        self.store.engines.dispose()
        shutil.rmtree(self.store.root, ignore_errors=True)


@twins(100, ops=st.lists(st.one_of(garbled_files, reports, executions), max_size=5))
@example(ops=[("disk", dict(GARBLED, metadata={"kernelspec": {"name": "python3"}}))])
@example(ops=[("disk", dict(GARBLED, cells=[dict(GARBLED_CELL, execution_count=-1)]))])
@example(ops=[("disk", dict(GARBLED, cells=[dict(GARBLED_CELL, execution_count=[])]))])
def check_garbled_files_are_recorded_or_refused_and_history_goes_on(ops):
    """A file nbformat reads but finds invalid (it logs and returns it) must not break the
    notebook's history: each record is made or refused (never a store failure), later
    reports and executions are recorded, and every state still exports."""
    with OwnStore() as store:
        r = Run(store, timeout=3)
        for op in ops:
            try:
                r.apply(op)
            except AssertionError:
                raise
            except Exception as err:  # refused: only a garbled file may be
                assert store.writer.problem is None, f"the store 'failed': {store.writer.problem}"
                assert op[0] == "disk", f"{op[0]} refused after a garbled file: {err!r}"
        assert store.writer.problem is None, store.writer.problem
        r.check_exports()
        r.report([{"id": "after", "cell_type": "code", "source": "ok"}], r.states())


(
    test_garbled_files_are_recorded_or_refused_and_history_goes_on,
    test_garbled_files_are_recorded_or_refused_and_history_goes_on_thorough,
) = check_garbled_files_are_recorded_or_refused_and_history_goes_on


def test_progress_of_code_with_a_lone_surrogate_is_recorded(store):
    """The outputs so far of a running cell are kept in ``running`` (for a crash). Its code
    comes from the browser's execute_request as JSON, where "\\ud800" is a lone surrogate;
    the ``code`` column is text, SQLite refuses it, and every progress write of that cell is
    refused (a warning with a traceback each second), so a crash loses its outputs."""
    r = Run(store)
    outputs = [{"output_type": "stream", "name": "stdout"}]
    ex = Execution(
        r.nb, "k", "m-surrogate", "c1", "s = '\ud800'", outputs, None, "running", 0.0, None
    )
    r.write(lambda h, conn: h.record_progress(conn, ex))
    assert [e["key"] for e in store.service.log(r.nb)["running"]] == ["k/m-surrogate"]


# -- real nbformat files of every 4.x minor version ---------------------------------------


def write_version(path: Any, minor: int) -> nbformat.NotebookNode:
    """Write a notebook of nbformat 4.``minor`` with every cell and output type; return it."""
    nb = v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Py"}})
    nb.cells = [
        v4.new_markdown_cell("# Title\n\nsome *text*"),
        v4.new_code_cell(
            "print('hi')\nx = 1\nx",
            execution_count=1,
            outputs=[
                v4.new_output("stream", name="stdout", text="hi\n"),
                v4.new_output("execute_result", {"text/plain": "1"}, execution_count=1),
            ],
        ),
        v4.new_code_cell(
            "display(x)",
            execution_count=2,
            outputs=[
                v4.new_output("display_data", {"text/plain": "1", "text/html": "<b>1</b>"}),
                v4.new_output("error", ename="E", evalue="bad", traceback=["tb"]),
            ],
        ),
        v4.new_raw_cell("raw\ttext"),
        v4.new_code_cell("", execution_count=None),
    ]
    nb.nbformat_minor = minor
    if minor < 5:
        for cell in nb.cells:
            del cell["id"]
    nbformat.validate(nb, version=4, version_minor=minor)  # it really is a 4.minor file
    path.write_text(nbformat.writes(nb, version=nbformat.NO_CONVERT), encoding="utf-8")
    return nb


def joined(value: Any) -> Any:
    return "".join(value) if isinstance(value, list) else value


def plain_outputs(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for out in outputs:
        out = dict(out)
        if "text" in out:
            out["text"] = joined(out["text"])
        if "data" in out:
            out["data"] = {k: joined(v) for k, v in out["data"].items()}
        result.append(out)
    return result


@pytest.mark.parametrize("minor", [0, 1, 2, 3, 4, 5])
def test_nbformat_4_minor_files_are_recorded_and_export_valid(store, tmp_path, minor):
    path = tmp_path / f"v4{minor}.ipynb"
    written = write_version(path, minor)
    nb = read_notebook_file(str(path))  # as the server reads a saved or changed file
    assert nb is not None and nb["nbformat_minor"] == minor
    abs_path = str(path)
    made = store.run(lambda h, conn: h.record_notebook(conn, abs_path, nb, "save"))
    assert made is not None
    again = store.run(
        lambda h, conn: h.record_notebook(conn, abs_path, read_notebook_file(abs_path), "save")
    )
    assert again is None, "the same file recorded twice made a second state"

    exported = store.service.export(abs_path, made)
    nbformat.validate(exported)
    assert (exported.nbformat, exported.nbformat_minor) == (4, 5)
    assert [(c.cell_type, c.source) for c in exported.cells] == [
        (c.cell_type, c.source) for c in written.cells
    ]
    code = [c for c in exported.cells if c.cell_type == "code"]
    assert [plain_outputs(c.outputs) for c in code] == [
        plain_outputs(c.outputs) for c in written.cells if c.cell_type == "code"
    ]
    assert [c.execution_count for c in code] == [1, 2, None]
    ids = [c.id for c in exported.cells]
    assert len(set(ids)) == len(ids)
    if minor == 5:
        assert ids == [c.id for c in written.cells], "4.5 ids are kept"
    # the export writes and reads back as a file
    assert nbformat.reads(nbformat.writes(exported), 4).cells == exported.cells
    # a report of the same cells, ids as in the file, changes nothing
    if minor == 5:
        answer = store.service.report_document(abs_path, shown(written, fresh_ids=False))
        assert answer.result(10) == {"head": made, "created": False, "moved": False}


def shown(nb: nbformat.NotebookNode, fresh_ids: bool) -> list[dict[str, Any]]:
    """The cells JupyterLab reports for a file: with ids of its own if ``fresh_ids``."""
    return [
        {
            "id": uuid.uuid4().hex[:8] if fresh_ids else c.id,
            "cell_type": c.cell_type,
            "source": c.source,
        }
        for c in nb.cells
    ]


@pytest.mark.parametrize("minor", [0, 1, 2, 3, 4])
def test_opening_an_old_notebook_makes_an_edit_state_with_no_change(store, tmp_path, minor):
    """JupyterLab gives the cells of an nbformat < 4.5 file fresh ids on every load
    (model.document_cells says so). The first report then differs from Head by ids only:
    the sources are the same, yet an ``edit`` state is made ("created: true: the sources
    changed", docs/rest-api.md), one more on every reload until the file is saved."""
    path = tmp_path / f"old4{minor}.ipynb"
    written = write_version(path, minor)
    abs_path = str(path)
    made = store.run(
        lambda h, conn: h.record_notebook(conn, abs_path, read_notebook_file(abs_path), "save")
    )
    for _reload in range(2):
        answer = store.service.report_document(abs_path, shown(written, fresh_ids=True))
        assert answer.result(10)["created"] is False
    assert [s["id"] for s in store.log(nb=abs_path)["states"]] == [made]


def test_the_store_has_no_orphan_states(store):
    """Across every notebook the fuzz made in this module: parents in the same notebook."""
    with store.engines.reader.connect() as conn:
        orphans = conn.execute(
            text(
                "SELECT s.id FROM states s LEFT JOIN states p ON p.id = s.parent_id "
                "WHERE s.parent_id IS NOT NULL AND (p.id IS NULL OR p.notebook_id != s.notebook_id)"
            )
        ).all()
        heads = conn.execute(
            text(
                "SELECT n.id FROM notebooks n LEFT JOIN states s ON s.id = n.head_id "
                "WHERE n.head_id IS NOT NULL AND (s.id IS NULL OR s.notebook_id != n.id)"
            )
        ).all()
    assert orphans == [] and heads == []
