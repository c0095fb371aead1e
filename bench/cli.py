"""The command line, whole process, against ``jupyter branch --help`` in the same run.

SPEC's bar is a ratio: at 10,000 states, ``log --json``, ``show`` and
``export`` each take at most 1.5x ``jupyter branch --help`` as a whole
process; issue 12 adds plain ``log`` at 10,000 states and ``show`` and
``export`` at 100,000. Each command is run as a user types it (``jupyter
branch --db URL ...``: the ``jupyter`` dispatcher, then ``jupyter-branch``, a
new process each time), on a private copy of each synthetic store
(``synth.py``) whose notebook is given the path of a file in that copy's
folder, as the shell names it.

The commands take turns, round after round, in an order that rotates from
round to round, so that whatever load the machine has at a moment falls on
all of them alike; ``--help`` is one of them. Reported: each command's median
and range, its median over ``--help``'s (the bar), and the range of the
ratio within rounds (each command's time over ``--help``'s in the same
round). Before any timing each command is run once, untimed, and its answer
checked (the log has every state, ``show`` names the state, the export is a
valid notebook of 200 cells), so a command failing fast is never timed as a
fast one.

Bytecode of the package is compiled before the run (``python -m bench``
does it for every section: ``compile_bytecode``); with
``PYTHONDONTWRITEBYTECODE=1`` set, as on this machine, every process would
otherwise compile ``jupyter_branch`` again.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

from .latency import sizes_for
from .servers import VENV_BIN
from .stats import median, summary

NOTEBOOK = "bench.ipynb"
COMMANDS = ("help", "log_json", "log", "show", "export")
BARS = {  # command -> sizes at which it must stay within 1.5x --help
    "log_json": (10_000,),
    "log": (10_000,),
    "show": (10_000, 100_000),
    "export": (10_000, 100_000),
}
RATIO_BAR = 1.5


def compile_bytecode() -> dict[str, Any]:
    """Compile the package and the venv's site-packages to bytecode (``compileall -q``).

    Returns what was compiled and how long it took. The editable install puts
    ``jupyter_branch`` in the checkout, where no ``.pyc`` is ever written while
    ``PYTHONDONTWRITEBYTECODE`` is set.
    """
    import jupyter_branch

    folders = [
        str(Path(jupyter_branch.__file__).resolve().parent),
        sysconfig.get_paths()["purelib"],
    ]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *folders], capture_output=True, text=True
    )
    return {
        "folders": folders,
        "seconds": time.perf_counter() - start,
        "ok": done.returncode == 0,
        "errors": done.stdout[-2000:] if done.returncode else "",
    }


def prepare(store: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A private copy of ``store`` whose notebook is ``folder/bench.ipynb``; the commands."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "history.sqlite"
    shutil.copyfile(store["path"], db)
    nb = (folder / NOTEBOOK).resolve()
    nb.write_text("{}")  # the path only has to exist as the shell sees it
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE notebooks SET abs_path = ?", (str(nb),))
    conn.close()
    url = f"sqlite:///{db}"
    state = store["last_state"]
    out = folder / "export.ipynb"
    return {
        "db": db,
        "out": out,
        "state": state,
        "argv": {
            "help": ["--help"],
            "log_json": ["--db", url, "log", str(nb), "--json"],
            "log": ["--db", url, "log", str(nb)],
            "show": ["--db", url, "show", str(nb), state],
            "export": ["--db", url, "export", str(nb), state, "-o", str(out)],
        },
    }


def run(argv: list[str], capture: bool = False) -> tuple[float, str]:
    """Run ``jupyter branch ARGV`` as a new process; its wall time and (if asked) stdout."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(VENV_BIN / "jupyter"), "branch", *argv],
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(
            f"jupyter branch {' '.join(argv)}: exit {done.returncode}: {done.stderr}"
        )
    return elapsed, done.stdout if capture else ""


def check(case: dict[str, Any], states: int) -> dict[str, Any]:
    """Run each command once, untimed, and check that it answered what was asked."""
    argv = case["argv"]
    _, text = run(argv["help"], capture=True)
    assert "usage: jupyter branch" in text, text[:200]
    _, text = run(argv["log_json"], capture=True)
    log = json.loads(text)
    assert len(log["states"]) == states, (len(log["states"]), states)
    _, text = run(argv["log"], capture=True)
    lines = text.count("\n")
    assert lines >= states, (lines, states)
    _, text = run(argv["show"], capture=True)
    assert case["state"][:12] in text, text[:200]
    case["out"].unlink(missing_ok=True)
    run(argv["export"])
    import nbformat

    nb = nbformat.read(str(case["out"]), as_version=4)
    nbformat.validate(nb)
    assert len(nb.cells) == 200, len(nb.cells)
    return {"log_json_bytes": len(json.dumps(log)), "log_lines": lines}


def measure_size(store: dict[str, Any], folder: Path, rounds: int, log: Any) -> dict[str, Any]:
    case = prepare(store, folder)
    checked = check(case, store["states"])
    times: dict[str, list[float]] = {c: [] for c in COMMANDS}
    for r in range(rounds):
        shift = r % len(COMMANDS)
        for name in COMMANDS[shift:] + COMMANDS[:shift]:
            times[name].append(run(case["argv"][name])[0])
    help_median = median(times["help"])
    commands: dict[str, Any] = {}
    for name in COMMANDS:
        per_round = [t / h for t, h in zip(times[name], times["help"], strict=True)]
        commands[name] = {
            **summary(times[name]),
            "ratio": median(times[name]) / help_median,
            "round_ratio_min": min(per_round),
            "round_ratio_max": max(per_round),
            "times": times[name],
        }
    log(
        f"  {store['states']:>6} states: --help {help_median * 1000:.0f} ms; "
        + ", ".join(
            f"{n} {commands[n]['median'] * 1000:.0f} ms ({commands[n]['ratio']:.2f}x)"
            for n in COMMANDS[1:]
        )
    )
    return {
        "states": store["states"],
        "store_bytes": store["bytes"],
        "rounds": rounds,
        "commands": commands,
        "checked": checked,
    }


def measure(quick: bool, stores: dict[int, Any], cache: Path, log: Any) -> dict[str, Any]:
    """Time the commands round-robin at each synthetic size; ratios to ``--help``."""
    rounds = 7 if quick else 15
    base = cache / "cli-run"
    shutil.rmtree(base, ignore_errors=True)
    try:
        rows = [measure_size(stores[s], base / str(s), rounds, log) for s in sizes_for(quick)]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return {"rows": rows, "rounds": rounds, "ratio_bar": RATIO_BAR}
