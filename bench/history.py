"""The runs so far: one line per full bench run in ``bench/runs.jsonl``, committed.

A session's machine is new each time and ``bench/results/`` is not kept, so the
tables that ask for consecutive runs (the round trip overhead's, and "every
bar in three consecutive whole runs") read this file instead: what each run
measured of the overhead, and every bar's verdict, with the date, the commit
the bench ran on (``+dirty`` when the tree had uncommitted changes) and the
machine. ``python -m bench`` appends a line after every run that is not
``--quick``; ``--only`` runs are kept too, marked by the sections they ran.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from .bars import SECTIONS, bars

RUNS = Path(__file__).resolve().parent / "runs.jsonl"
KEPT = ("overhead", "overhead_block_min", "overhead_block_max", "control_overhead", "sets")


def commit() -> str:
    """The commit the bench runs on, ``+dirty`` if the tree has changes besides results."""
    root = RUNS.parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
    except OSError:
        return "unknown"
    dirty = [line for line in status if not line[3:].startswith(("bench/runs.jsonl", "docs/"))]
    return (head or "unknown") + ("+dirty" if dirty else "")


def record(results: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """This run as a line of the history: what the tables need, and every bar's verdict."""
    machine = results.get("machine") or {}
    line: dict[str, Any] = {
        "date": results.get("date"),
        "commit": commit(),
        "quick": bool(results.get("quick")),
        "ran": results.get("ran", []),
        "minutes": round(results.get("total_seconds", 0) / 60, 1),
        "machine": {k: machine.get(k) for k in ("cpu", "cores", "python", "jupyter_server")},
    }
    overhead = results.get("overhead") if "overhead" in line["ran"] else None
    if overhead:
        line["overhead"] = {
            variant: {k: overhead[variant][k] for k in KEPT if k in overhead[variant]}
            for variant in ("trivial_quickack", "print_100k")
            if variant in overhead
        }
    line["bars"] = [[bar, measured, ok] for bar, measured, ok, _ in bars(results, [*runs, line])]
    return line


def load(path: Path = RUNS) -> list[dict[str, Any]]:
    """Every run in the history, oldest first (a line that cannot be read is skipped)."""
    runs = []
    try:
        text = path.read_text()
    except OSError:
        return []
    for raw in text.splitlines():
        try:
            runs.append(json.loads(raw))
        except ValueError:
            continue
    return runs


def append(line: dict[str, Any], path: Path = RUNS) -> None:
    with path.open("a") as f:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")


def whole_runs(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs that ran every section, not ``--quick``, oldest first."""
    return [r for r in runs if not r.get("quick") and set(r.get("ran", [])) >= set(SECTIONS)]


def every_bar(runs: list[dict[str, Any]]) -> tuple[str, bool | None]:
    """Issue 12's "done": every bar passing in the last three whole runs."""
    last = whole_runs(runs)[-3:]
    if len(last) < 3:
        return f"{len(last)} whole run(s) in bench/runs.jsonl so far", None
    counts = [_counted(r) for r in last]
    text = "; ".join(
        f"{r['date']}: {sum(ok for _, _, ok in c)} of {len(c)}"
        for r, c in zip(last, counts, strict=True)
    )
    return text, all(ok for c in counts for _, _, ok in c)


def _counted(run: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(b, m, bool(ok)) for b, m, ok in run.get("bars", []) if ok is not None]


def every_bar_table(runs: list[dict[str, Any]]) -> str:
    """The last three whole runs: the bars each passed, and the ones it missed."""
    last = whole_runs(runs)[-3:]
    if not last:
        return "No whole run in `bench/runs.jsonl` yet."
    lines = ["| run | commit | bars passed | missed |", "|---|---|---|---|"]
    for r in last:
        counted = _counted(r)
        missed = "; ".join(f"{b} ({m.split(' (')[0]})" for b, m, ok in counted if not ok)
        passed = sum(ok for _, _, ok in counted)
        lines.append(
            f"| {r['date']} ({r.get('minutes', '?')} min) | `{r.get('commit')}` "
            f"| {passed} of {len(counted)} | {missed or 'none'} |"
        )
    if len(last) < 3:
        lines += ["", f"Only {len(last)} whole run(s) so far."]
    return "\n".join(lines)
