"""Diff lines: made once by the server, in the form the panel and the CLI show them.

``tests/fixtures/diff-lines.json`` holds states and the diff the server answers for
them; the panel's test (labextension/__tests__/stateview.spec.ts) renders the same
answers and checks it shows exactly these lines.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyter_branch.diff import diff_cells, diff_lines, format_diff, text_lines
from tests.api import SCHEMA, check

CASES = json.loads((Path(__file__).parents[1] / "fixtures" / "diff-lines.json").read_text())
LINE = re.compile(SCHEMA["$defs"]["diff_lines"]["items"]["pattern"])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_server_answers_the_fixture_lines(case):
    cells = diff_cells(case["a"], case["b"])
    assert cells == case["cells"]
    check("diff", {"a": "0" * 32, "b": None, "cells": cells})


def test_a_final_newline_counts_only_when_it_is_the_one_difference():
    assert text_lines("x") == text_lines("x\n") == ["x"]
    assert text_lines("") == [] and text_lines("\n") == [""]
    assert diff_lines("x\ny", "x\ny\nz") == ["@@ -1,2 +1,3 @@", " x", " y", "+z"]
    assert diff_lines("x\ny\n", "x\ny\nz") == ["@@ -1,2 +1,3 @@", " x", " y", "+z"]
    no_newline = "\\ No newline at end of file"
    assert diff_lines("x", "x\n") == ["@@ -1 +1 @@", "-x", no_newline, "+x"]
    assert diff_lines("x\n", "x") == ["@@ -1 +1 @@", "-x", "+x", no_newline]
    assert diff_lines("", "a\nb\n") == diff_lines("", "a\nb") == ["+a", "+b"]
    assert diff_lines("a\n\n", "") == ["-a", "-"]


def shown(cell: dict[str, Any]) -> list[str]:
    """The lines ``format_diff`` prints for a changed cell, heading and all."""
    lines = [f"## cell {cell['cell_id']} ({cell['cell_type']}): {cell['change']}"]
    lines += cell["source_diff"]
    if cell["outputs_diff"]:
        lines += ["## outputs:", *cell["outputs_diff"]]
    elif cell["outputs_changed"]:
        lines.append("## outputs changed (non-text data)")
    return [*lines, ""]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_the_cli_prints_the_lines_as_they_are(case):
    changed = [c for c in case["cells"] if c["change"] != "unchanged"]
    expected = "\n".join(line for c in changed for line in shown(c)) or "no differences\n"
    assert format_diff(case["cells"]) == expected
    coloured = format_diff(case["cells"], color=True)
    assert re.sub(r"\x1b\[\d*m", "", coloured) == expected, "colour only"


def patch(lines: list[str], old: list[str]) -> list[str]:
    """Apply diff lines to the lines of ``a``: the lines of ``b``, if the diff is right."""
    out: list[str] = []
    at = 0
    for line in lines:
        if line.startswith("@@"):
            start, count = re.match(r"@@ -(\d+)(?:,(\d+))?", line).groups()
            begin = int(start) - (0 if count == "0" else 1)
            out += old[at:begin]
            at = begin
        elif line[0] in " -":
            assert old[at] == line[1:], (line, old, at)
            at += 1
            if line[0] == " ":
                out.append(line[1:])
        else:
            out.append(line[1:])
    return out + old[at:]


texts = st.text(alphabet="ab\n ", max_size=16)


@given(texts, texts)
def test_diff_lines_take_a_to_b_and_are_shaped_as_the_schema_says(a, b):
    lines = diff_lines(a, b)
    assert all(LINE.match(line) for line in lines), lines
    assert (lines == []) == (a == b)
    if text_lines(a) != text_lines(b):
        assert patch(lines, text_lines(a)) == text_lines(b), lines
