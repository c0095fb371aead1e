"""4. Panel: time until a long history is first shown in JupyterLab, in Chromium.

A server is started on a copy of a synthetic store (``synth.py``) with the
notebook in its root; ``panel.js`` (playwright-core, Debian's Chromium) opens
JupyterLab. Measured page-side; the ``GET
tree`` answer (all states) is timed as the browser saw it. The panel is
opened first, on no notebook; the clock starts when the notebook is opened
from the file browser (a double click), and stops at the first frame with a
state row in the panel (the notebook's first cell is timed too).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from .latency import NOTEBOOK, serve_copy
from .stats import summary

BENCH = Path(__file__).resolve().parent


def ensure_node_modules(log: Any) -> None:
    if not (BENCH / "node_modules" / "playwright-core").exists():
        log("  installing playwright-core (bench/package-lock.json)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BENCH, check=True)


def measure(
    quick: bool, stores: dict[int, Any], cache: Path, out: Path, log: Any
) -> dict[str, Any]:
    """Time the panel on the stores of 100, (1,000,) and 10,000 states."""
    ensure_node_modules(log)
    sizes = [100, 10_000] if quick else [100, 1_000, 10_000]
    repeat = 2 if quick else 3
    base = cache / "panel-run"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    rows = []
    try:
        for n in sizes:
            server = serve_copy(stores[n], base, f"panel-{n}")
            try:
                server.start()
                shots = out / f"panel-{n}"
                shots.mkdir(parents=True, exist_ok=True)
                done = subprocess.run(
                    ["node", "panel.js", server.url, server.token, NOTEBOOK, str(repeat), shots],
                    cwd=BENCH,
                    capture_output=True,
                    text=True,
                    timeout=900,
                )
                if done.returncode != 0:
                    raise RuntimeError(f"panel.js failed: {done.stderr[-2000:]}")
                runs = json.loads(done.stdout.strip().splitlines()[-1])["runs"]
                shown = [r["shown_ms"] / 1000 for r in runs]
                tree_ms = [t["ms"] / 1000 for r in runs for t in r["trees"] if t["ms"] > 0]
                row = {
                    "states": stores[n]["states"],
                    "shown": summary(shown),
                    "tree_request": summary(tree_ms),
                    "tree_bytes": max((t["bytes"] for r in runs for t in r["trees"]), default=0),
                    "rows_rendered": runs[0]["rows"],
                    "cells_shown": summary([r["cells_ms"] / 1000 for r in runs]),
                    "lab_ready": summary([r["lab_ready_ms"] / 1000 for r in runs]),
                    "runs": runs,
                }
                rows.append(row)
                log(
                    f"  {n:>6} states: history shown {row['shown']['median'] * 1000:.0f} ms "
                    f"after opening the notebook (its cells: "
                    f"{row['cells_shown']['median'] * 1000:.0f} ms; "
                    f"{row['rows_rendered']} rows in the DOM)"
                )
            finally:
                server.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return {"rows": rows}
