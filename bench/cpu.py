"""What recording costs the server in CPU time per execution, on vs off.

Wall time on a shared 2-core machine moves by several percent from run to run;
the CPU time the server process spends (user + system, all its threads, read
from ``/proc/<pid>/stat`` through psutil) moves less, but not nothing: caches
and wake-ups cost more on a busy machine, and the recording process running on
the other core slows the server's own work (sixteenth session's notes). So
SPEC's bars (at most 0.2 ms more per trivial execution, at most 1.5 ms more
per MB of output) are judged on the server's work counted in instructions
(instructions.py); this section shows the CPU time beside it, and the
recording process's, which is the machine's cost all the same.

Two fresh servers, extension off and on, alive together, each with its own
kernel, take turns inside every window: a few runs on one, then on the other
(off, on, on, off, ...), and each server's CPU is read over the whole window.
On this machine the CPU a run costs drifts with what else runs: one server
read a trivial run at 2.06 ms, then 1.19 ms two minutes later, while two "off"
servers taking turns differed by 0.01 ms (median of ten windows), so turns
put the drift on both sides alike. (Until 2026-12-01 the servers ran one
after the other, and in one run the five repetitions' extras per MB ranged
from -0.6 to +7 ms.)
Seven pairs of fresh servers, the median reported (``--quick``: one). Each
server is warmed up (20 trivial executions and 2 of the printing cell, then
until its writer is idle); the windows, driven over the kernel websocket as
JupyterLab drives it:

- 240 executions of ``pass`` a server, in turns of 10, back to back, the
  client ACKing as the OS does (a browser's TCP): Jupyter writes without
  TCP_NODELAY, so each run takes ~45 ms of Nagle wait (see overhead.py),
  shorter than the writer's 0.25 s pause, so the writer records them
  together, every 0.5 s at most. This is how issue 12 measured it; **the
  bar is judged on this one**.
- ``pass`` with the client ACKing at once: 120 runs 100 ms apart (a person;
  each run takes a few ms), in turns of 5, and 240 back to back in turns of
  20 (Run All: the writer then records many in one transaction); for
  comparison: the extra work depends on how long an execution lasts and how
  close the next one follows.
- 9 executions a server of a cell printing 120,000 lines, in turns of one,
  ACKs as the OS does (each run prints a different first line, so nothing is
  deduplicated).

A server's recording work for its own turn may land in the other's turn: it
is counted all the same, since each server is read from the window's start
to its end.

A window ends when its last execution is done and, with the extension on,
when the writer has recorded it: the bench reads the SQLite file (read-only,
which costs the server nothing) until it holds an execute state for every
execution and no running one, then lets ``LAND`` seconds pass on both servers
(what a commit tells the server, and any other message in flight, lands in the
window). Until 2026-12-02 the bench asked ``GET jupyter-branch/api/info``
every 0.1 s instead, and took each poll's CPU off as measured at rest after
the window: a poll cost more while the machine was busy, so a flood's window
(9 to 15 polls) kept some of the bench's own work. The MB are the bytes of
stream text the client received (10^6 bytes to a MB); extra per MB is the
extra CPU of a printing run over its MB (a trivial run's extra included).

The CPU times psutil reads from ``/proc/<pid>/stat`` come in 10 ms ticks:
0.04 ms a run over 240 runs, but 1.5 ms per MB over 9 runs of 0.73 MB, as
much as that bar (one run read +0.91, +1.37 and +3.96 ms per MB: 0.6, 0.9
and 2.6 ticks). So each window also sums its threads' ``schedstat`` (CPU
time in ns, ``/proc/<pid>/task/*/schedstat``), and **the bars are judged on
that**, the ticks shown beside it as a check (a thread that ended inside the
window would take its time with it: counted, and the table says so).

The server records in a process of its own by default (``recording_process``):
that process's CPU is not the server's, and the bars are about the server, but
it is the machine's all the same, so each window reads it too (from
``/proc/<pid>/stat`` of the server's child running ``jupyter_branch.recording``)
and the table shows it, and the two together, beside the bars.

Also read, to see where the time goes: the event loop's thread (the main
thread) apart from the others (the writer, the tap, executors), each server's
CPU while both are idle for 2 s before the windows, and in the 0.5 s after a window
(work left over after the writer said it was done would show there).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from typing import Any

import psutil

from .lab_client import Kernel, OutputModel
from .overhead import quickack
from .servers import Server, sched_times
from .stats import median

NOTEBOOK = "cpu.ipynb"
TRIVIAL = "pass"
LINES = 120_000
FLOOD = f"import time\nprint('run', time.time())\nfor i in range({LINES:_}):\n    print(i)"
TRIVIAL_RUNS = 240
FLOOD_RUNS = 9
WARMUP = 20
PACE = 0.1  # seconds between runs, as a person runs cells: each is recorded on its own
POLL = 0.1  # seconds between looks at the store while the writer settles
# seconds for what a commit tells the server (its changes, the writer's stats, sent
# once a second at most) to land in the window, on both servers alike
LAND = 1.0
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")  # /proc/<pid>/stat's unit of CPU time
PACED_RUNS = 120
# name, code, cell, runs a server, pause between runs, quick ACK, runs a turn
WINDOWS = (
    ("trivial", TRIVIAL, "trivial", TRIVIAL_RUNS, 0.0, False, 10),
    ("trivial_paced", TRIVIAL, "trivial", PACED_RUNS, PACE, True, 5),
    ("trivial_batched", TRIVIAL, "trivial", TRIVIAL_RUNS, 0.0, True, 20),
    ("flood", FLOOD, "flood", FLOOD_RUNS, 0.0, False, 1),
)
TRIVIAL_BAR_MS = 0.2
PER_MB_BAR_MS = 1.5


class StreamBytes(OutputModel):
    """Counts the bytes of stream text a cell printed, and the iopub messages; keeps nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes = 0
        self.messages = 0

    def add(self, msg_type: str, content: dict[str, Any]) -> None:
        self.messages += 1
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


def recorded(server: Server) -> tuple[int, int]:
    """(execute states, running executions) in the server's store, read from the file."""
    if not server.store_path.exists():
        return 0, 0
    with contextlib.closing(
        sqlite3.connect(f"file:{server.store_path}?mode=ro", uri=True, timeout=30)
    ) as conn:
        states = conn.execute("SELECT count(*) FROM states WHERE event = 'execute'").fetchone()
        running = conn.execute("SELECT count(*) FROM running").fetchone()
        return int(states[0]), int(running[0])


def executions_recorded(server: Server) -> int:
    """Execute states in the server's store, read from the file (costs the server nothing)."""
    return recorded(server)[0]


async def settle(server: Server, executions: int, timeout: float = 120) -> None:
    """Wait until the store holds ``executions`` execute states and none running (the
    file is read, the server is not asked)."""
    if not server.branch:
        return
    deadline = time.monotonic() + timeout
    while True:
        states, running = await asyncio.to_thread(recorded, server)
        if states >= executions and running == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the writer did not settle: {states} states, {running} running")
        await asyncio.sleep(POLL)


class Probe:
    """Reads the CPU a server has spent so far: the whole process, its main thread, each
    thread (schedstat), and its recording process."""

    def __init__(self, server: Server) -> None:
        assert server.proc is not None
        self.pid = server.proc.pid
        self.recording = next(iter(server.recording_pids()), None)

    def read(self) -> dict[str, Any]:
        total, main = cpu_times(self.pid)
        return {
            "total": total,
            "main": main,
            "sched": sched_times(self.pid),
            "recording": cpu_times(self.recording)[0] if self.recording else 0.0,
        }


async def window(
    pair: dict[str, tuple[Server, Kernel]],
    code: str,
    cell_id: str,
    n: int,
    pause: float,
    ack: bool,
    turn: int,
) -> dict[str, Any]:
    """Run ``code`` n times on each server, ``pause`` s apart, the client ACKing at once
    or as the OS does (``ack``), the two servers taking turns of ``turn`` runs (on,
    off, off, on, ...); each server's CPU across the whole span, writer settled.

    Both servers are alive all along and both are read over the same span, so
    whatever the machine does meanwhile (and each server's own idle work) falls
    on both alike; work "on" leaves for later (its recording) is counted where
    it lands, in the other's turn included.
    """
    expected = {}
    for side, (server, kernel) in pair.items():
        quickack(kernel, ack)
        expected[side] = executions_recorded(server) + n if server.branch else 0
    probes = {side: Probe(server) for side, (server, _) in pair.items()}
    start = {side: probe.read() for side, probe in probes.items()}
    counted = {side: StreamBytes() for side in pair}
    t0 = time.perf_counter()
    sides = list(pair)
    for t in range(n // turn):
        for side in sides if t % 2 == 0 else sides[::-1]:
            _, kernel = pair[side]
            for _ in range(turn):
                await kernel.execute(code, cell_id, counted[side])
                if pause:
                    await asyncio.sleep(pause)  # the workload's pace (a person), not a wait
    for side, (server, _) in pair.items():
        await settle(server, expected[side])
    await asyncio.sleep(LAND)  # a fixed span, both servers alive together: not a wait
    end = {side: probe.read() for side, probe in probes.items()}
    wall = time.perf_counter() - t0
    tail_start = time.perf_counter()
    await asyncio.sleep(0.5)  # a fixed span to read what is left over: nothing to wait for
    tail_wall = time.perf_counter() - tail_start
    tail = {side: probe.read()["total"] - end[side]["total"] for side, probe in probes.items()}
    out = {}
    for side in pair:
        a, b = start[side], end[side]
        cpu = b["total"] - a["total"]
        sched = sum(b["sched"][t] - a["sched"].get(t, 0.0) for t in b["sched"])
        out[side] = {
            "runs": n,
            "pause": pause,
            "quick_ack": ack,
            "runs_per_turn": turn,
            "cpu_ms": cpu * 1000,
            "cpu_ms_per_run": cpu * 1000 / n,
            "sched_ms_per_run": sched * 1000 / n,
            "threads_ended": len(set(a["sched"]) - set(b["sched"])),
            "main_thread_ms_per_run": (b["main"] - a["main"]) * 1000 / n,
            "other_threads_ms_per_run": (b["total"] - a["total"] - (b["main"] - a["main"]))
            * 1000
            / n,
            # the recording process's CPU: not the server's, but the machine's all the same
            "recording_ms_per_run": (b["recording"] - a["recording"]) * 1000 / n,
            "wall_seconds": wall,
            "tail_cpu_ms_per_s": tail[side] * 1000 / tail_wall,
            "stream_bytes": counted[side].bytes,
            "mb_per_run": counted[side].bytes / n / 1e6,
        }
    return out


async def one_pair(first: str, log: Any) -> dict[str, Any]:
    """Fresh servers, off and on, alive together; each window interleaves them."""
    servers = {side: Server(f"cpu-{side}", branch=side == "on") for side in (first, other(first))}
    pair: dict[str, tuple[Server, Kernel]] = {}
    try:
        for side, server in servers.items():
            server.start()
            server.write_notebook(NOTEBOOK, {"trivial": TRIVIAL, "flood": FLOOD})
            kernel = await Kernel(server, NOTEBOOK).start()
            pair[side] = (server, kernel)
            for _ in range(WARMUP):
                await kernel.execute(TRIVIAL, "trivial")
            for _ in range(2):
                await kernel.execute(FLOOD, "flood")
            await settle(server, WARMUP + 2)
        probes = {side: Probe(server) for side, server in servers.items()}
        idle0 = {side: probe.read()["total"] for side, probe in probes.items()}
        t = time.perf_counter()
        await asyncio.sleep(2.0)  # a fixed span of idleness, measured: not a wait
        span = time.perf_counter() - t
        idle = {s: (p.read()["total"] - idle0[s]) * 1000 / span for s, p in probes.items()}
        windows = {
            name: await window(pair, code, cell, n, pause, ack, turn)
            for name, code, cell, n, pause, ack, turn in WINDOWS
        }
        got = {}
        for side in servers:
            got[side] = {
                "branch": side == "on",
                "idle_cpu_ms_per_s": idle[side],
                **{name: w[side] for name, w in windows.items()},
            }
            log(
                f"  {side:3}: "
                + ", ".join(f"{k} {w[side]['cpu_ms_per_run']:.2f} ms" for k, w in windows.items())
                + f" per run (idle {idle[side]:.1f} ms/s)"
            )
        return got
    finally:
        for _, kernel in pair.values():
            kernel.close()
        for server in servers.values():
            server.stop()


def other(side: str) -> str:
    return "off" if side == "on" else "on"


async def measure(quick: bool, log: Any) -> dict[str, Any]:
    """Pairs of fresh servers, off and on taking turns (quick: one pair); extra CPU per run and
    per MB, the median of the repetitions."""
    firsts = ["off"] if quick else ["off", "on"] * 3 + ["off"]
    reps = []
    for first in firsts:
        got = await one_pair(first, log)
        on, off = got["on"], got["off"]
        mb = on["flood"]["mb_per_run"]

        def extra(
            key: str, on: dict[str, Any] = on, off: dict[str, Any] = off, f: str = "cpu_ms_per_run"
        ) -> float:
            return float(on[key][f] - off[key][f])

        extra_trivial = extra("trivial")
        reps.append(
            {
                "order": [first, other(first)],
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
    mb_per_flood = median([r["on"]["flood"]["mb_per_run"] for r in reps])
    result: dict[str, Any] = {
        "reps": reps,
        "trivial_runs": TRIVIAL_RUNS,
        "flood_runs": FLOOD_RUNS,
        "flood_lines": LINES,
        "pace": PACE,
        "mb_per_flood": mb_per_flood,
        # one tick of /proc/<pid>/stat over the flood window, in ms per MB
        "tick_ms_per_mb": TICK_MS / FLOOD_RUNS / mb_per_flood,
        "bars": {"trivial_ms": TRIVIAL_BAR_MS, "per_mb_ms": PER_MB_BAR_MS},
    }
    for key in keys:  # the median of the repetitions
        result[key] = median([r[key] for r in reps])
    return result
