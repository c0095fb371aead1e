"""Synthetic histories of 100 to 100,000 states, written through the store's own code.

Driving 100,000 real executions would take hours, so the long histories of the
latency, memory and panel benchmarks are made directly with
``jupyter_branch.store`` (``History`` + ``Writer``, as ``tests/unit/conftest.py``
does): the same code the server runs, minus the kernel. One notebook of 200
cells (170 code, 30 markdown) starts as a saved file; then, state after state,
a person works: mostly on a few "hot" cells (a training cell, a plot), now and
then elsewhere; a third of the runs follow an edit of the cell (an ``edit``
state from a document report, then the ``execute``). Outputs are training-log
text of 0.5 to 3 KB that differs from run to run, and 3% of runs show a PNG
figure (8 KB of random pixels, so it does not compress). As the history grows,
copies are taken at each size asked for (SQLite's backup API), so the stores of
100, 1,000, ... states are prefixes of one history.
"""

from __future__ import annotations

import base64
import random
import sqlite3
import time
from pathlib import Path
from typing import Any

import nbformat

from jupyter_branch.model import Execution
from jupyter_branch.store.engine import open_store
from jupyter_branch.store.history import History
from jupyter_branch.store.writer import Writer

N_CELLS = 200
N_MARKDOWN = 30
HOT = ("c0007", "c0008", "c0012", "c0040", "c0041")
FORMAT_VERSION = 1  # bump when what is generated changes (cached stores are remade)


def cell_ids() -> list[str]:
    return [f"c{i:04d}" for i in range(N_CELLS)]


def is_markdown(i: int) -> bool:
    return i % (N_CELLS // N_MARKDOWN) == 3


def source(i: int, version: int) -> str:
    if is_markdown(i):
        return f"## Section {i}\n\nNotes, take {version}: what changed and why."
    lines = [
        f"# cell {i}, version {version}",
        f"lr = {0.1 / (1 + version % 7):.4f}",
        f"model_{i} = build(depth={2 + version % 5}, width={64 * (1 + i % 4)})",
        f"history_{i} = fit(model_{i}, data, epochs={5 + version % 20}, lr=lr)",
        f"evaluate(model_{i}, holdout)[{version % 3}]",
    ]
    return "\n".join(lines)


def text_output(rng: random.Random, i: int, run: int) -> dict[str, Any]:
    epochs = rng.randint(8, 60)
    lines = [
        f"epoch {e:3d} loss={rng.random():.4f} acc={rng.random():.4f} (cell {i} run {run})"
        for e in range(1, epochs + 1)
    ]
    return {"output_type": "stream", "name": "stdout", "text": "\n".join(lines) + "\n"}


def png_output(rng: random.Random) -> dict[str, Any]:
    data = base64.b64encode(rng.randbytes(8_000)).decode()
    return {
        "output_type": "display_data",
        "data": {"image/png": data, "text/plain": "<Figure size 640x480 with 1 Axes>"},
        "metadata": {},
    }


def initial_notebook() -> dict[str, Any]:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for i, cid in enumerate(cell_ids()):
        if is_markdown(i):
            nb.cells.append(nbformat.v4.new_markdown_cell(source(i, 0), id=cid))
        else:
            cell = nbformat.v4.new_code_cell(source(i, 0), id=cid)
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"ok {i}\n")]
            cell.execution_count = i + 1
            nb.cells.append(cell)
    return dict(nb)


def copy_store(src: Path, dst: Path) -> None:
    """A consistent copy of a live SQLite store (WAL included)."""
    dst.unlink(missing_ok=True)
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    b.close()
    a.close()


def generate(
    folder: Path, notebook_path: str, sizes: list[int], log: Any = print, seed: int = 7
) -> dict[int, dict[str, Any]]:
    """Make a history of ``max(sizes)`` states; keep a store copy at each size.

    Returns, per size, the copy's path, the id of the last state (a 200-cell
    state to export and restore), a hot cell's id and the generation time.
    """
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / "growing.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    engines = open_store(f"sqlite:///{work}")
    nb = initial_notebook()
    history = History(read_notebook=lambda p: nb if p == notebook_path else None)
    writer = Writer(engines, history)
    rng = random.Random(seed)
    versions = {i: 0 for i in range(N_CELLS)}
    ids = cell_ids()
    code_cells = [i for i in range(N_CELLS) if not is_markdown(i)]
    hot = [ids.index(c) for c in HOT]
    made: dict[int, dict[str, Any]] = {}
    started = time.perf_counter()
    states = 0
    runs = 0
    pending: list[Any] = []

    def report() -> list[dict[str, str]]:
        return [
            {
                "id": ids[i],
                "cell_type": "markdown" if is_markdown(i) else "code",
                "source": source(i, versions[i]),
            }
            for i in range(N_CELLS)
        ]

    def submit(fn: Any) -> None:
        pending.append(writer.submit(fn))

    # the first state: the file as saved (``History.notebook_id`` reads it)
    submit(lambda h, conn: h.notebook_id(conn, notebook_path))
    states += 1
    last_id = None
    try:
        for target in sorted(sizes):
            while states < target:
                i = rng.choice(hot) if rng.random() < 0.7 else rng.choice(code_cells)
                if rng.random() < 0.33 and states + 1 < target:
                    versions[i] += 1
                    cells = report()
                    submit(
                        lambda h, conn, cells=cells: h.record_document(conn, notebook_path, cells)
                    )
                    states += 1
                    if rng.random() < 0.1:  # notes beside the work
                        md = rng.choice([j for j in range(N_CELLS) if is_markdown(j)])
                        versions[md] += 1
                runs += 1
                outputs = [text_output(rng, i, runs)]
                if rng.random() < 0.03:
                    outputs.append(png_output(rng))
                now = time.time()
                ex = Execution(
                    notebook_path,
                    "kernel-synthetic",
                    f"msg-{runs}",
                    ids[i],
                    source(i, versions[i]),
                    outputs,
                    runs,
                    "ok",
                    now - 1.0,
                    now,
                )
                submit(lambda h, conn, ex=ex: h.record_execution(conn, ex))
                states += 1
                if len(pending) >= 2000:
                    last_id = pending[-1].result(600)
                    pending.clear()
            if pending:
                last_id = pending[-1].result(600)
                pending.clear()
            assert writer.flush(600)
            copy = folder / f"states-{target}.sqlite"
            copy_store(work, copy)
            made[target] = {
                "path": str(copy),
                "states": states,
                "last_state": last_id,
                "hot_cell": HOT[0],
                "seconds": time.perf_counter() - started,
                "bytes": copy.stat().st_size,
            }
            log(
                f"  generated {states} states in {made[target]['seconds']:.0f} s "
                f"({copy.stat().st_size / 1e6:.1f} MB)"
            )
    finally:
        writer.stop()
        engines.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
    return made
