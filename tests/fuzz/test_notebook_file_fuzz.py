"""A notebook file, valid or garbled, is read as nbformat reads it (store/files.py)."""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

import nbformat
from hypothesis import example

from jupyter_branch.store.files import read_notebook_file
from tests.fuzz import twins
from tests.fuzz.test_store_fuzz import GARBLED, garbled_files


def _by_nbformat(path: Path) -> dict[str, Any] | None:
    try:
        return dict(nbformat.read(path, as_version=4))
    except Exception:
        return None  # not a notebook: the server records nothing


def _ids_apart(nb: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    cells = nb["cells"]
    if not isinstance(cells, list):
        return nb, []
    ids = [c.get("id") if isinstance(c, dict) else None for c in cells]
    rest = [{k: v for k, v in c.items() if k != "id"} if isinstance(c, dict) else c for c in cells]
    return {**nb, "cells": rest}, ids


@twins(100, op=garbled_files)
@example(op=("disk", dict(GARBLED, metadata=True)))
@example(op=("disk", dict(GARBLED, cells="")))
@example(op=("disk", dict(GARBLED, cells=[{"cell_type": "code", "source": ["a", 1]}])))
def check_a_file_is_read_as_nbformat_reads_it(op):
    _, content = op
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.ipynb"
        path.write_text(json.dumps(content), encoding="utf-8")
        with warnings.catch_warnings():  # nbformat warns of what is invalid, and reads it
            warnings.simplefilter("ignore")
            theirs = _by_nbformat(path)
            ours = read_notebook_file(str(path))
    assert (ours is None) == (theirs is None), (ours, theirs)
    if ours is not None and theirs is not None:
        (ours_rest, ours_ids), (theirs_rest, theirs_ids) = _ids_apart(ours), _ids_apart(theirs)
        assert ours_rest == theirs_rest
        # nbformat makes up a random id for a cell of a 4.5 file that has none, and
        # for a repeated one; the store gives such a cell an id of its own (files.py),
        # so the file's ids are kept as they are: only the others must agree
        _, file_ids = _ids_apart(content)
        for given, mine, its in zip(file_ids, ours_ids, theirs_ids, strict=True):
            if isinstance(given, str) and file_ids.count(given) == 1:
                assert mine == its


(
    test_a_file_is_read_as_nbformat_reads_it,
    test_a_file_is_read_as_nbformat_reads_it_thorough,
) = check_a_file_is_read_as_nbformat_reads_it
