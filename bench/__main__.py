"""``python -m bench [--quick] [--only SECTIONS] [--fresh] [--no-kishu]``: run, then report.

Runs the sections of SPEC's "Bars it must clear" in order (server CPU,
server instructions, overhead, size, latency, CLI, panel, writer, backends), writes every number to
``bench/results/latest.json`` (and a dated copy, ``run-*.json``), adds a line
to ``bench/runs.jsonl`` (the history the three-run tables read: history.py),
and rewrites the generated part of
``docs/benchmarks.md`` and ``docs/benchmarks-latency.png``. Before any
section the package and the venv are compiled to bytecode (``cli.py``:
``compile_bytecode``), since ``PYTHONDONTWRITEBYTECODE`` may be set. ``make
bench`` installs what it needs and calls this.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import (
    backends,
    cli,
    cpu,
    history,
    instructions,
    kishu_ref,
    latency,
    overhead,
    panel,
    report,
    sampled,
    size,
    writer_limits,
)

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
SECTIONS = report.SECTIONS


def log(message: str) -> None:
    print(message, flush=True)


def machine() -> dict[str, Any]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import jupyter_server
    import psutil

    chromium = subprocess.run(
        ["/usr/bin/chromium", "--version"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": psutil.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "jupyter_server": jupyter_server.__version__,
        "chromium": chromium,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, up to 10,000 states")
    parser.add_argument("--only", help=f"comma-separated sections of {','.join(SECTIONS)}")
    parser.add_argument("--fresh", action="store_true", help="regenerate the synthetic stores")
    parser.add_argument(
        "--no-kishu", action="store_true", help="skip the Kishu reference row (as --quick does)"
    )
    parser.add_argument(
        "--no-docs", action="store_true", help="write results only, leave docs/ alone"
    )
    args = parser.parse_args(argv)
    only = args.only.split(",") if args.only else list(SECTIONS)
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    cache = RESULTS / "cache"
    previous = RESULTS / "latest.json"
    results: dict[str, Any] = {}
    if previous.exists() and set(only) != set(SECTIONS):
        results = json.loads(previous.read_text())  # keep the sections not re-run
    results["machine"] = machine()
    results["date"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    results["quick"] = args.quick
    # what this run measured (latest.json keeps the sections an --only run did not redo)
    results["ran"] = [s for s in SECTIONS if s in only]
    section_runs: dict[str, Any] = results.setdefault("section_runs", {})
    started = time.perf_counter()
    timings: dict[str, float] = results.setdefault("section_seconds", {})
    log("== bytecode")
    results["bytecode"] = cli.compile_bytecode()
    log(
        f"   compiled {', '.join(results['bytecode']['folders'])} "
        f"({results['bytecode']['seconds']:.0f} s)"
    )

    def section(name: str, fn: Any) -> None:
        if name not in only:
            return
        log(f"== {name}")
        t = time.perf_counter()
        results[name] = fn()
        timings[name] = time.perf_counter() - t
        section_runs[name] = {"date": results["date"], "quick": args.quick}
        log(f"   ({timings[name]:.0f} s)")
        previous.write_text(json.dumps(results, indent=1, default=str))

    async def cpu_section() -> dict[str, Any]:
        result = await cpu.measure(args.quick, log)
        result["sampled"] = await sampled.measure(log)
        return result

    section("cpu", lambda: asyncio.run(cpu_section()))
    section("instructions", lambda: asyncio.run(instructions.measure(args.quick, log)))
    section("overhead", lambda: asyncio.run(overhead.measure(args.quick, log)))

    def sizes() -> dict[str, Any]:
        out = asyncio.run(size.measure(args.quick, log, keep=RESULTS / "session-store.sqlite"))
        out["kishu"] = (
            {"installed": False, "reason": "skipped (--no-kishu or --quick)"}
            if args.no_kishu or args.quick
            else asyncio.run(kishu_ref.measure(args.quick, log))
        )
        return out

    section("size", sizes)
    stores: dict[int, Any] = {}
    if {"latency", "cli", "panel"} & set(only):
        log("== synthetic histories")
        t = time.perf_counter()
        stores = latency.synthetic_stores(cache, latency.sizes_for(args.quick), args.fresh, log)
        timings["synthetic"] = time.perf_counter() - t
    section("latency", lambda: latency.measure(args.quick, stores, cache, log))
    section("cli", lambda: cli.measure(args.quick, stores, cache, log))
    section("panel", lambda: panel.measure(args.quick, stores, cache, RESULTS, log))
    section("writer", lambda: asyncio.run(writer_limits.measure(args.quick, log)))
    section("backends", lambda: backends.measure(args.quick, log))
    results["total_seconds"] = time.perf_counter() - started
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    text = json.dumps(results, indent=1, default=str)
    previous.write_text(text)
    shutil.copyfile(previous, RESULTS / f"run-{stamp}.json")
    log(f"results: {previous} ({results['total_seconds']:.0f} s)")
    runs = history.load()
    if not args.quick:  # the history the three-run tables read: committed with the docs
        runs.append(history.record(results, runs))
        history.append(runs[-1])
        log(f"added to {history.RUNS}")
    if not args.no_docs:
        written = report.write(results, BENCH.parent / "docs", runs)
        for path in written:
            log(f"wrote {path}")
    print(report.summary_table(results, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
