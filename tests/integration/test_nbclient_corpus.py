"""nbclient's own test notebooks: what we record against what nbclient makes of them.

nbclient is the reference implementation of output assembly (SPEC: its test
notebooks are the reference corpus for output fidelity). For each notebook of
its test suite, read at run time from ``../shared/corpus/nbclient/`` beside the
repository (or ``$JUPYTER_BRANCH_NBCLIENT_CORPUS``; BSD-3, never copied here):

1. our real server and a real kernel run it as JupyterLab does (a session, then
   every non-empty code cell in order, each request carrying its cell id), and
   the recorded Head is exported through the REST API;
2. nbclient runs a copy of the same notebook in this process, on ``python3``;
3. the two are compared cell by cell, strictly: ids, types, sources, metadata,
   execution counts, and outputs (types, order, text, data). Only what
   legitimately differs between two runs is normalized, each with its reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from tests.integration.test_recording import executes
from tests.kernel_client import LabLikeClient

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(
    os.environ.get("JUPYTER_BRANCH_NBCLIENT_CORPUS")
    or REPO.parent / "shared" / "corpus" / "nbclient"
)
NOTEBOOKS = sorted(p.name for p in CORPUS.glob("*.ipynb")) if CORPUS.is_dir() else []
# A tag no cell carries: nbclient skips cells tagged "skip-execution", JupyterLab
# knows no such tag and runs them, and so do we (see _run_nbclient).
NO_SKIP_TAG = "jupyter-branch-runs-every-cell"
# Sleep1s.ipynb prints the times before and after its sleep: the one text that
# differs from run to run.
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def _params() -> list[Any]:
    if not NOTEBOOKS:
        reason = f"nbclient corpus not found at {CORPUS} (set JUPYTER_BRANCH_NBCLIENT_CORPUS)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-corpus")]
    return NOTEBOOKS


def _prepared(name: str) -> nbformat.NotebookNode:
    """The corpus notebook as both runs start from it."""
    nb = nbformat.read(CORPUS / name, as_version=4)
    # Cell ids: JupyterLab sends one with every execution and history is keyed by
    # them. Files older than nbformat 4.5 have none (Lab would make up random ones);
    # fixed ids line up the cells of both runs.
    nb.nbformat_minor = max(nb.nbformat_minor, 5)
    for i, cell in enumerate(nb.cells):
        cell.id = cell.get("id") or f"cell-{i}"
        if cell.cell_type == "code":
            # The outputs on file are what nbclient's authors once recorded: both runs
            # start without them, so a run we failed to record cannot pass by
            # keeping the file's outputs.
            cell.outputs = []
            cell.execution_count = None
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def _copy_resources(folder: Path) -> None:
    """Put the corpus' other files (python.png, which Inline Image loads) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in CORPUS.iterdir():
        if path.is_file() and path.suffix not in (".ipynb", ".md"):
            shutil.copy(path, folder / path.name)


def _runs_in_lab(cell: nbformat.NotebookNode) -> bool:
    # JupyterLab sends no request for a cell of blanks (CodeCell.execute clears it
    # instead); nbclient skips such cells too.
    return bool(cell.cell_type == "code" and cell.source.strip())


async def _run_as_lab(
    jp_fetch: Any, jp_ws_fetch: Any, api: Any, root: Path, name: str, nb: Any
) -> nbformat.NotebookNode:
    """Run ``nb`` through the server as JupyterLab does; return the export of its Head."""
    _copy_resources(root)
    nbformat.write(nb, str(root / name))
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, name).start()
    ran = []
    try:
        for cell in nb.cells:
            if not _runs_in_lab(cell):
                continue
            # as JupyterLab: a cell tagged raises-exception is sent with
            # stop_on_error false (OutputArea.execute)
            tags = cell.metadata.get("tags", [])
            await client.execute(cell.source, cell.id, "raises-exception" not in tags)
            ran.append(cell.id)
        states = await executes(api, name, len(ran))
    finally:
        client.close()
    assert [s["cell_id"] for s in states] == ran, "one execute state per cell run, in order"
    code, tree = await api("tree", path=name)
    assert code == 200 and tree["head"] == states[-1]["id"]
    code, exported = await api("export", path=name, state=tree["head"])
    assert code == 200
    return nbformat.reads(json.dumps(exported), as_version=4)


async def _run_nbclient(nb: Any, folder: Path) -> nbformat.NotebookNode:
    _copy_resources(folder)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(folder)}},  # the kernel's cwd, as the server's
        # We run every cell, as a user running each cell in turn; nbclient would stop
        # at the first error in a cell not tagged raises-exception.
        allow_errors=True,
        skip_cells_with_tag=NO_SKIP_TAG,
        # nbclient would add `metadata.execution` timings to each cell; JupyterLab
        # records them only when asked (recordTiming), and not in our run.
        record_timing=False,
    )
    await client.async_execute()
    return nb


def _merged_streams(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run of consecutive stream outputs as one output per stream name, by name.

    How many messages the kernel splits a stream into depends on timing; nbclient
    keeps each message as an output (coalesce_streams is off by default). And the
    kernel flushes stdout and stderr separately, so between two other outputs the
    order of their texts differs from run to run ("hello" then "errorred", or the
    reverse): only each stream's own text is compared, not their interleaving.
    """
    merged: list[dict[str, Any]] = []
    run: dict[str, dict[str, Any]] = {}

    def close_run() -> None:
        merged.extend(run[name] for name in sorted(run))
        run.clear()

    for out in outputs:
        if out["output_type"] != "stream":
            close_run()
            merged.append(dict(out))
        elif out["name"] in run:
            run[out["name"]]["text"] += out["text"]
        else:
            run[out["name"]] = dict(out)
    close_run()
    return merged


def _comparable(nb: nbformat.NotebookNode) -> list[dict[str, Any]]:
    # the same serializer on both sides: texts as nbformat reads them back
    cells = json.loads(nbformat.writes(nbformat.reads(nbformat.writes(nb), as_version=4)))["cells"]
    for cell in cells:
        if "outputs" not in cell:
            continue
        cell["outputs"] = _merged_streams(cell["outputs"])
        for out in cell["outputs"]:
            if out["output_type"] == "stream":
                out["text"] = TIMESTAMP.sub("<time>", "".join(out["text"]))
    return cells


@pytest.mark.parametrize("name", _params())
async def test_recorded_outputs_equal_what_nbclient_makes_of_the_notebook(
    name: str,
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_root_dir: Path,
    api: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # nbclient starts IPython kernels with their history in memory
    # (`ipython_hist_file`, default ":memory:"), and "Check History in Memory"
    # asserts it: the server's kernels get the same setting.
    ipython_dir = tmp_path / "ipython"
    (ipython_dir / "profile_default").mkdir(parents=True)
    (ipython_dir / "profile_default" / "ipython_kernel_config.py").write_text(
        'c.HistoryManager.hist_file = ":memory:"\n'
    )
    monkeypatch.setenv("IPYTHONDIR", str(ipython_dir))

    ours = await _run_as_lab(jp_fetch, jp_ws_fetch, api, jp_root_dir, name, _prepared(name))
    theirs = await _run_nbclient(_prepared(name), tmp_path / "nbclient-run")

    recorded, reference = _comparable(ours), _comparable(theirs)
    assert [c["id"] for c in recorded] == [c["id"] for c in reference]
    for mine, ref in zip(recorded, reference, strict=True):
        assert mine == ref, (
            f"{name}, cell {ref['id']}:\n recorded {json.dumps(mine, sort_keys=True)[:2000]}"
            f"\n nbclient {json.dumps(ref, sort_keys=True)[:2000]}"
        )
