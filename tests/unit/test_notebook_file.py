"""Reading a notebook's file when its history begins (``store.files.read_notebook_file``)."""

from __future__ import annotations

import subprocess
import sys

import nbformat

from jupyter_branch.store.files import read_notebook_file


def test_a_new_notebook_with_no_file_is_read_without_importing_nbformat(tmp_path):
    # importing nbformat took 2 to 3.5 s on a busy machine, and the recording
    # process's first write waited for it: a kill -9 then lost every run so far
    code = (
        "import sys\n"
        "from jupyter_branch.store.files import read_notebook_file\n"
        f"assert read_notebook_file({str(tmp_path / 'new.ipynb')!r}) is None\n"
        "print('nbformat' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_a_notebook_file_that_is_there_is_read_as_version_4(tmp_path):
    path = tmp_path / "old.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1\nx")])
    nbformat.write(nb, path)
    read = read_notebook_file(str(path))
    assert read is not None
    assert read["nbformat"] == 4
    assert [c["source"] for c in read["cells"]] == ["x = 1\nx"]
