"""Where the server's time goes, sampled: how much of it is jupyter-branch's own code.

The CPU bars (``cpu.py``) compare whole servers, on against off, and on this
machine a pair of servers reads a trivial run's extra from -0.00 to +0.47 ms
and a MB's from -2.2 to +4.3 ms: the machine's speed moves by a third within
seconds, and two processes never see the same seconds. This asks the question
another way, on one server: of the time its Python holds the GIL, how much is
spent in our code? py-spy samples one fresh "on" server (``--gil``: the thread
holding the GIL, ``--nonblocking``: the server is never stopped) 1,000 times a
second while it serves the CPU bench's two judged windows: 240 trivial runs
back to back (ACKs as a browser's TCP gives them) and 9 runs printing 120,000
lines. A sample is ours when its innermost Python frame is in
``jupyter_branch``: our code and the C functions it calls with the GIL held
(a socket's send, say). Samples *below* our frames (jupyter_server handling a
message our wrapper passed on, as it does with the extension off) are not
ours. What sampling cannot see: work without the GIL (a system call that
releases it) and the operating system's work for our sockets, which the
on/off bars do count. Samples are taken by the clock (a thread holding the
GIL while the machine runs something else is sampled too), so the count is
not CPU time: our share of the samples, times the server's CPU over the
window (``schedstat``), is the estimate in ms; the counts are shown too.
Not a bar: a cross-check of the bars, and a map for whoever optimizes next.

The recording process (the server's child that records: not the server's CPU,
but the machine's) is sampled through the same windows, every thread and not
only the GIL's holder (zlib and SQLite work without it): its most sampled
innermost functions, whatever their module, beside its CPU a run.
"""

from __future__ import annotations

import asyncio
import collections
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .cpu import (
    FLOOD,
    FLOOD_RUNS,
    NOTEBOOK,
    TRIVIAL,
    TRIVIAL_RUNS,
    WARMUP,
    settle,
    window,
)
from .lab_client import Kernel
from .servers import VENV_BIN, Server

RATE = 1000  # samples a second
OURS = "jupyter_branch/"
TOP = 5  # our functions named in the table, the most sampled first
# name, code, cell, runs, pause, quick ACK, runs a turn: cpu.py's judged windows
WINDOWS = (
    ("trivial", TRIVIAL, "trivial", TRIVIAL_RUNS, 0.0, False, 10),
    ("flood", FLOOD, "flood", FLOOD_RUNS, 0.0, False, 1),
)


def py_spy() -> Path | None:
    """The py-spy installed in the venv (bench/requirements.txt), if any."""
    path = VENV_BIN / "py-spy"
    return path if path.exists() else None


def leaves(raw: str) -> Iterator[tuple[str, str, int]]:
    """py-spy's raw (collapsed) stacks as (innermost function, its file, samples)."""
    for line in raw.splitlines():
        stack, _, n = line.rpartition(" ")
        if stack and n.isdigit():
            name, _, where = stack.rsplit(";", 1)[-1].partition(" (")  # "fn (path:line)"
            yield name, where.rsplit(":", 1)[0], int(n)


def count(raw: str) -> dict[str, Any]:
    """All samples, ours, and ours by function (module under ``jupyter_branch/``)."""
    total = ours = 0
    functions: collections.Counter[str] = collections.Counter()
    for name, path, n in leaves(raw):
        total += n
        if OURS in path:
            ours += n
            functions[f"{name} ({path.split(OURS, 1)[1]})"] += n
    return {"samples": total, "ours": ours, "functions": dict(functions.most_common(TOP))}


def count_all(raw: str) -> dict[str, Any]:
    """All samples, and by innermost function, whatever its module."""
    functions: collections.Counter[str] = collections.Counter()
    for name, path, n in leaves(raw):
        functions[f"{name} ({path.rsplit('/', 1)[-1]})"] += n
    return {"samples": sum(functions.values()), "functions": dict(functions.most_common(TOP))}


def spy_on(spy: Path, pid: int, out: Path, *options: str) -> subprocess.Popen[bytes]:
    """py-spy recording ``pid`` into ``out`` until it gets SIGINT; never stops the process."""
    args = ["record", "--pid", str(pid), "--rate", str(RATE), "--format", "raw"]
    return subprocess.Popen(
        [spy, *args, "--output", str(out), "--nonblocking", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def sampled_window(
    spy: Path, server: Server, kernel: Kernel, spec: tuple[Any, ...], folder: Path
) -> dict[str, Any]:
    """One of cpu.py's windows on ``server`` alone, with py-spy sampling it all along."""
    name = spec[0]
    out, rec_out = folder / f"{name}.txt", folder / f"{name}-recording.txt"
    assert server.proc is not None
    spies = [spy_on(spy, server.proc.pid, out, "--gil")]
    rec_pid = next(iter(server.recording_pids()), None)
    if rec_pid is not None:
        spies.append(spy_on(spy, rec_pid, rec_out))  # every thread
    try:
        await asyncio.sleep(1.0)  # py-spy attaches: a fixed span, not a wait on the server
        got = (await window({"on": (server, kernel)}, *spec[1:]))["on"]
    finally:
        for proc in spies:
            proc.send_signal(signal.SIGINT)  # py-spy writes what it sampled, then exits
        for proc in spies:
            await asyncio.to_thread(proc.wait, 60)
    counted = count(out.read_text() if out.exists() else "")
    share = counted["ours"] / counted["samples"] if counted["samples"] else float("nan")
    return {
        **counted,
        "share": share,
        "runs": got["runs"],
        "server_ms_per_run": got["sched_ms_per_run"],
        "ours_ms_per_run": share * got["sched_ms_per_run"],
        "mb_per_run": got["mb_per_run"],
        "recording": {
            **count_all(rec_out.read_text() if rec_out.exists() else ""),
            "ms_per_run": got["recording_ms_per_run"],
        },
    }


async def measure(log: Any) -> dict[str, Any] | None:
    """Sample a fresh "on" server through cpu.py's judged windows (None: no py-spy)."""
    spy = py_spy()
    if spy is None:
        log("  py-spy is not installed: no sampled row (pip install -r bench/requirements.txt)")
        return None
    server = Server("sampled", branch=True)
    kernel = None
    try:
        server.start()
        server.write_notebook(NOTEBOOK, {"trivial": TRIVIAL, "flood": FLOOD})
        kernel = await Kernel(server, NOTEBOOK).start()
        for _ in range(WARMUP):
            await kernel.execute(TRIVIAL, "trivial")
        await kernel.execute(FLOOD, "flood")
        await settle(server, WARMUP + 1)
        with tempfile.TemporaryDirectory(prefix="jb-bench-spy-") as tmp:
            result = {
                spec[0]: await sampled_window(spy, server, kernel, spec, Path(tmp))
                for spec in WINDOWS
            }
        flood = result["flood"]
        flood["ours_ms_per_mb"] = flood["ours_ms_per_run"] / flood["mb_per_run"]
        log(
            f"  sampled: ours {result['trivial']['ours_ms_per_run']:.3f} ms a trivial run "
            f"({result['trivial']['share']:.1%} of the samples), "
            f"{flood['ours_ms_per_mb']:.3f} ms per MB ({flood['share']:.1%})"
        )
        return {"rate": RATE, **result}
    finally:
        if kernel is not None:
            kernel.close()
        server.stop()
