"""The work recording adds to the server: its own CPU time per execution, on vs off.

Wall time on a shared 2-core machine moves by several percent from run to run;
the CPU time the server process spends (user + system, all its threads, read
from ``/proc/<pid>/stat`` through psutil) does not depend on what else runs, so
it tells the extension's cost exactly. SPEC's bars: at most 0.2 ms more per
trivial execution, at most 1.5 ms more per MB of output.

One server at a time, started fresh, extension off then on, then on then off,
and so on (five repetitions, the median reported: two fresh "off" servers
can differ by 0.5 ms a trivial run, more than the bar, and with three, one
slow server in two pairs decided the median; ``--quick``: one). Each is
warmed up (20 trivial executions and 2 of the printing cell, then until its
writer is idle), then measured in four windows, driven over the kernel
websocket as JupyterLab drives it:

- 240 executions of ``pass`` back to back, the client ACKing as the OS does
  (a browser's TCP): Jupyter writes without TCP_NODELAY, so each run takes
  ~45 ms of Nagle wait (see overhead.py), shorter than the writer's 0.25 s
  pause, so the writer records them together, every 0.5 s at most. This is
  how issue 12 measured it; **the bar is judged on this one**.
- the same 240 with the client ACKing at once, 100 ms apart (a person; each
  run takes a few ms), and back to back (Run All: the writer then records
  many in one transaction); for comparison: the extra work depends on how
  long an execution lasts and how close the next one follows.
- 9 executions of a cell printing 120,000 lines, back to back, ACKs as the
  OS does (each run prints a different first line, so nothing is
  deduplicated).

A window ends when its last execution is done and, with the extension on,
when the writer has recorded it: ``GET jupyter-branch/api/info`` is polled
until the writer's backlog is 0 and the store holds an execute state for
every execution (counted in the SQLite file by the bench, read-only). Those
polls are the bench's own requests, not recording's work: each one's CPU is
measured after the window (10 more polls) and taken off. The MB are the bytes
of stream text the client received (10^6 bytes to a MB); extra per MB is the
extra CPU of a printing run over its MB (a trivial run's extra included).

The CPU times psutil reads from ``/proc/<pid>/stat`` come in 10 ms ticks:
0.04 ms a run over 240 runs, but 1.5 ms per MB over 9 runs of 0.73 MB, as
much as that bar. So each window also sums its threads' ``schedstat`` (CPU
time in ns, ``/proc/<pid>/task/*/schedstat``), reported beside it as a check
(a thread that ended inside the window would take its time with it: counted).

The server records in a process of its own by default (``recording_process``):
that process's CPU is not the server's, and the bars are about the server, but
it is the machine's all the same, so each window reads it too (from
``/proc/<pid>/stat`` of the server's child running ``jupyter_branch.recording``)
and the table shows it, and the two together, beside the bars.

Also read, to see where the time goes: the event loop's thread (the main
thread) apart from the others (the writer, the tap, executors), the server's
CPU while idle for 2 s before the windows, and in the 0.5 s after a window
(work left over after the writer said it was done would show there).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import psutil

from .lab_client import Kernel, OutputModel
from .overhead import quickack
from .servers import Server
from .stats import median

NOTEBOOK = "cpu.ipynb"
TRIVIAL = "pass"
LINES = 120_000
FLOOD = f"import time\nprint('run', time.time())\nfor i in range({LINES:_}):\n    print(i)"
TRIVIAL_RUNS = 240
FLOOD_RUNS = 9
WARMUP = 20
PACE = 0.1  # seconds between runs, as a person runs cells: each is recorded on its own
POLL = 0.1  # seconds between GET info polls while the writer settles
TRIVIAL_BAR_MS = 0.2
PER_MB_BAR_MS = 1.5


class StreamBytes(OutputModel):
    """Counts the bytes of stream text a cell printed; keeps nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes = 0

    def add(self, msg_type: str, content: dict[str, Any]) -> None:
        if msg_type == "stream":
            self.bytes += len(content["text"].encode())


def cpu_times(pid: int) -> tuple[float, float]:
    """(whole process, its main thread) CPU seconds, user + system, from ``/proc/<pid>/stat``
    (psutil): in clock ticks of 10 ms."""
    proc = psutil.Process(pid)
    total = proc.cpu_times()
    main = next((t for t in proc.threads() if t.id == pid), None)
    main_s = main.user_time + main.system_time if main else float("nan")
    return float(total.user + total.system), float(main_s)


def sched_times(pid: int) -> dict[int, float]:
    """CPU seconds of each live thread, to the nanosecond (``/proc/<pid>/task/*/schedstat``).

    A cross-check of ``cpu_times`` finer than its 10 ms ticks; a thread that ends
    takes its time with it, so a window compares the threads it saw at both ends.
    """
    out: dict[int, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            out[int(tid)] = int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
    return {tid: ns / 1e9 for tid, ns in out.items()}


def recording_pid(pid: int) -> int | None:
    """The server's recording process (jupyter-branch's default), if it has one."""
    for child in psutil.Process(pid).children():
        with contextlib.suppress(psutil.Error):
            if "jupyter_branch.recording" in " ".join(child.cmdline()):
                return int(child.pid)
    return None


async def info(server: Server) -> dict[str, Any]:
    return dict(await asyncio.to_thread(server.get, "jupyter-branch/api/info"))


def executions_recorded(server: Server) -> int:
    """Execute states in the server's store, read from the file (costs the server nothing)."""
    if not server.store_path.exists():
        return 0
    with contextlib.closing(
        sqlite3.connect(f"file:{server.store_path}?mode=ro", uri=True, timeout=30)
    ) as conn:
        return int(
            conn.execute("SELECT count(*) FROM states WHERE event = 'execute'").fetchone()[0]
        )


async def settle(server: Server, executions: int, timeout: float = 120) -> int:
    """Poll GET info until the writer's backlog is 0 with ``executions`` execute states
    in the store. Returns how many polls it took (0 with the extension off: there is
    nothing to wait for)."""
    if not server.branch:
        return 0
    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        answer = await info(server)
        polls += 1
        if answer["writer"]["backlog"] == 0 and executions_recorded(server) >= executions:
            return polls
        if time.monotonic() > deadline:
            raise TimeoutError(f"the writer did not settle: {answer['writer']}")
        await asyncio.sleep(POLL)


async def window(
    server: Server, kernel: Kernel, code: str, cell_id: str, n: int, pause: float, ack: bool
) -> dict[str, Any]:
    """Run ``code`` n times, ``pause`` s apart, the client ACKing at once or as the OS
    does (``ack``); the server's CPU across it, writer settled."""
    assert server.proc is not None
    quickack(kernel, ack)
    pid = server.proc.pid
    expected = executions_recorded(server) + n if server.branch else 0
    recording = recording_pid(pid)
    rec0 = cpu_times(recording)[0] if recording else 0.0
    sched0 = sched_times(pid)
    total0, main0 = cpu_times(pid)
    t0 = time.perf_counter()
    counted = StreamBytes()
    for _ in range(n):
        await kernel.execute(code, cell_id, counted)
        if pause:
            await asyncio.sleep(pause)  # the workload's pace (a person), not a wait
    polls = await settle(server, expected)
    total1, main1 = cpu_times(pid)
    sched1 = sched_times(pid)
    rec1 = cpu_times(recording)[0] if recording else 0.0
    wall = time.perf_counter() - t0
    tail_start = time.perf_counter()
    await asyncio.sleep(0.5)  # a fixed span to read what is left over: nothing to wait for
    tail_cpu = cpu_times(pid)[0] - total1
    tail_wall = time.perf_counter() - tail_start
    poll_cost = poll_sched = 0.0
    if server.branch:
        before, before_sched = cpu_times(pid)[0], sum(sched_times(pid).values())
        for _ in range(10):
            await info(server)
        poll_cost = (cpu_times(pid)[0] - before) / 10
        poll_sched = (sum(sched_times(pid).values()) - before_sched) / 10
    cpu = total1 - total0 - polls * poll_cost
    sched = sum(sched1.get(t, 0.0) - sched0.get(t, 0.0) for t in sched1) - polls * poll_sched
    return {
        "runs": n,
        "pause": pause,
        "quick_ack": ack,
        "cpu_ms": cpu * 1000,
        "cpu_ms_per_run": cpu * 1000 / n,
        "sched_ms_per_run": sched * 1000 / n,
        "threads_ended": len(set(sched0) - set(sched1)),
        "main_thread_ms_per_run": (main1 - main0 - polls * poll_cost) * 1000 / n,
        "other_threads_ms_per_run": (total1 - total0 - (main1 - main0)) * 1000 / n,
        # the recording process's CPU: not the server's, but the machine's all the same
        "recording_ms_per_run": (rec1 - rec0) * 1000 / n,
        "polls": polls,
        "poll_cpu_ms": poll_cost * 1000,
        "wall_seconds": wall,
        "tail_cpu_ms_per_s": tail_cpu * 1000 / tail_wall,
        "stream_bytes": counted.bytes,
        "mb_per_run": counted.bytes / n / 1e6,
    }


async def one_server(branch: bool, log: Any) -> dict[str, Any]:
    server = Server("cpu-on" if branch else "cpu-off", branch=branch)
    kernel: Kernel | None = None
    try:
        server.start()
        server.write_notebook(NOTEBOOK, {"trivial": TRIVIAL, "flood": FLOOD})
        kernel = await Kernel(server, NOTEBOOK).start()
        for _ in range(WARMUP):
            await kernel.execute(TRIVIAL, "trivial")
        for _ in range(2):
            await kernel.execute(FLOOD, "flood")
        await settle(server, WARMUP + 2)
        assert server.proc is not None
        idle0 = cpu_times(server.proc.pid)[0]
        t = time.perf_counter()
        await asyncio.sleep(2.0)  # a fixed span of idleness, measured: not a wait
        idle = (cpu_times(server.proc.pid)[0] - idle0) * 1000 / (time.perf_counter() - t)
        windows = {
            "trivial": await window(server, kernel, TRIVIAL, "trivial", TRIVIAL_RUNS, 0, False),
            "trivial_paced": await window(
                server, kernel, TRIVIAL, "trivial", TRIVIAL_RUNS, PACE, True
            ),
            "trivial_batched": await window(
                server, kernel, TRIVIAL, "trivial", TRIVIAL_RUNS, 0, True
            ),
            "flood": await window(server, kernel, FLOOD, "flood", FLOOD_RUNS, 0, False),
        }
        log(
            f"  {'on ' if branch else 'off'}: "
            + ", ".join(f"{k} {w['cpu_ms_per_run']:.2f} ms" for k, w in windows.items())
            + f" per run (idle {idle:.1f} ms/s; polls "
            + "+".join(str(w["polls"]) for w in windows.values())
            + f" at {windows['trivial']['poll_cpu_ms']:.1f} ms)"
        )
        return {"branch": branch, "idle_cpu_ms_per_s": idle, **windows}
    finally:
        if kernel is not None:
            kernel.close()
        server.stop()


async def measure(quick: bool, log: Any) -> dict[str, Any]:
    """Fresh servers off/on, on/off, off/on (quick: off/on once); extra CPU per run and
    per MB, the median of the repetitions."""
    orders = [(False, True)] if quick else [(False, True), (True, False)] * 2 + [(False, True)]
    reps = []
    for order in orders:
        got = {b: await one_server(b, log) for b in order}
        on, off = got[True], got[False]
        mb = on["flood"]["mb_per_run"]

        def extra(
            key: str, on: dict[str, Any] = on, off: dict[str, Any] = off, f: str = "cpu_ms_per_run"
        ) -> float:
            return float(on[key][f] - off[key][f])

        extra_trivial = extra("trivial")
        reps.append(
            {
                "order": ["on" if b else "off" for b in order],
                "off": off,
                "on": on,
                "extra_ms_per_trivial": extra_trivial,
                "extra_ms_per_trivial_paced": extra("trivial_paced"),
                "extra_ms_per_trivial_batched": extra("trivial_batched"),
                "extra_ms_per_flood": extra("flood"),
                "extra_ms_per_mb": extra("flood") / mb,
                "extra_ms_per_mb_beyond_trivial": (extra("flood") - extra_trivial) / mb,
                # the server's extra and the recording process's CPU together
                "all_extra_ms_per_trivial": extra_trivial + on["trivial"]["recording_ms_per_run"],
                "all_extra_ms_per_mb": (extra("flood") + on["flood"]["recording_ms_per_run"]) / mb,
                # the same from schedstat (ns), as a check of the 10 ms ticks
                "sched_extra_ms_per_trivial": extra("trivial", f="sched_ms_per_run"),
                "sched_extra_ms_per_mb": extra("flood", f="sched_ms_per_run") / mb,
            }
        )
    keys = (
        "extra_ms_per_trivial",
        "extra_ms_per_trivial_paced",
        "extra_ms_per_trivial_batched",
        "extra_ms_per_flood",
        "extra_ms_per_mb",
        "extra_ms_per_mb_beyond_trivial",
        "sched_extra_ms_per_trivial",
        "sched_extra_ms_per_mb",
        "all_extra_ms_per_trivial",
        "all_extra_ms_per_mb",
    )
    result: dict[str, Any] = {
        "reps": reps,
        "trivial_runs": TRIVIAL_RUNS,
        "flood_runs": FLOOD_RUNS,
        "flood_lines": LINES,
        "pace": PACE,
        "mb_per_flood": median([r["on"]["flood"]["mb_per_run"] for r in reps]),
        "bars": {"trivial_ms": TRIVIAL_BAR_MS, "per_mb_ms": PER_MB_BAR_MS},
    }
    for key in keys:  # the median of the repetitions
        result[key] = median([r[key] for r in reps])
    return result
