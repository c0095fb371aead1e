"""Reading a notebook's file when its history begins (``store.files.read_notebook_file``).

Version-4 files are read without nbformat (its import takes seconds, and a
recording process's first write waited for it), so each is checked against
what ``nbformat.read`` makes of the same file.
"""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest

from jupyter_branch.store.files import read_notebook_file
from tests.integration.test_nbclient_corpus import CORPUS, NOTEBOOKS

LINES = ["a = 1\n", "a"]
EDGES = {
    "nbformat": 4,
    "nbformat_minor": 4,  # before cell ids
    "metadata": {"orig_nbformat": 3, "orig_nbformat_minor": 0, "signature": "sha256:x", "k": 1},
    "cells": [
        {
            "cell_type": "markdown",
            "metadata": {"trusted": True},
            "source": ["# t\n", "x"],
            "attachments": {"p.png": {"image/png": "iVBORw0K", "text/plain": ["a\n", "b"]}},
        },
        {
            "cell_type": "code",
            "execution_count": 3,
            "metadata": {"trusted": False, "tags": []},
            "source": LINES,
            "outputs": [
                {"output_type": "stream", "name": "stdout", "text": ["1\n", "2\n"]},
                {
                    "output_type": "execute_result",
                    "execution_count": 3,
                    "metadata": {},
                    "data": {
                        "text/plain": ["1\n", "2"],
                        "application/json": ["a", "b"],
                        "application/vnd.x+json": ["c"],
                        "text/html": "<b>x</b>",
                    },
                },
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"image/svg+xml": ["<svg\n", "/>"]},
                },
                {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["l1", "l2"]},
            ],
        },
        {"cell_type": "raw", "metadata": {}, "source": "plain"},
    ],
}


def _check_read_as_nbformat_reads(path, ids=True):
    """Check ``path`` reads as nbformat reads it (but for cell ids nbformat makes up at
    random: for a converted file, or one that repeats an id)."""
    ours = read_notebook_file(str(path))
    theirs = nbformat.read(path, as_version=4)
    if ids:
        assert ours == theirs
    else:
        assert _without_ids(ours) == _without_ids(theirs)
    return ours


def _without_ids(nb):
    return {**nb, "cells": [{k: v for k, v in c.items() if k != "id"} for c in nb["cells"]]}


def test_a_version_4_file_is_read_as_nbformat_reads_it(tmp_path):
    path = tmp_path / "edges.ipynb"
    path.write_text(json.dumps(EDGES))
    read = _check_read_as_nbformat_reads(path)
    code = read["cells"][1]
    assert code["source"] == "a = 1\na"
    assert code["outputs"][1]["data"]["application/json"] == ["a", "b"], "JSON data stays"
    assert "trusted" not in code["metadata"] and "signature" not in read["metadata"]


def test_duplicate_cell_ids_are_read_as_nbformat_reads_them(tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("1"), nbformat.v4.new_code_cell("2")]
    )
    raw = json.loads(nbformat.writes(nb))
    raw["cells"][1]["id"] = raw["cells"][0]["id"]
    path = tmp_path / "dup.ipynb"
    path.write_text(json.dumps(raw))
    with pytest.warns(nbformat.warnings.DuplicateCellId):
        read = _check_read_as_nbformat_reads(path, ids=False)
    # kept as the file has it: History gives the later cell an id of its own
    assert read["cells"][0]["id"] == read["cells"][1]["id"]


@pytest.mark.parametrize(
    "name",
    NOTEBOOKS or [pytest.param(None, marks=pytest.mark.skip(reason=f"no corpus at {CORPUS}"))],
)
def test_the_nbclient_corpus_is_read_as_nbformat_reads_it(name):
    _check_read_as_nbformat_reads(CORPUS / name)


def test_a_version_3_file_is_converted_by_nbformat(tmp_path):
    path = tmp_path / "v3.ipynb"
    v3 = nbformat.v3.new_notebook(
        worksheets=[nbformat.v3.new_worksheet(cells=[nbformat.v3.new_code_cell(input="x = 1")])]
    )
    path.write_text(nbformat.v3.writes_json(v3))
    read = _check_read_as_nbformat_reads(path, ids=False)
    assert read["nbformat"] == 4 and [c["source"] for c in read["cells"]] == ["x = 1"]


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"nbformat": 9}'])
def test_a_file_that_is_not_a_notebook_is_none(tmp_path, content):
    path = tmp_path / "bad.ipynb"
    path.write_text(content)
    assert read_notebook_file(str(path)) is None


def test_reading_a_new_or_version_4_notebook_does_not_import_nbformat(tmp_path):
    # importing nbformat took 1.5 to 3.5 s on a busy machine, and the recording
    # process's first write waited for it: a kill -9 then lost every run so far
    path = tmp_path / "old.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")]), path)
    code = (
        "import sys\n"
        "from jupyter_branch.store.files import read_notebook_file\n"
        f"assert read_notebook_file({str(tmp_path / 'new.ipynb')!r}) is None\n"
        f"assert read_notebook_file({str(path)!r})['cells'][0]['source'] == 'x'\n"
        "print('nbformat' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
