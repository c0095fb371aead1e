"""The work recording adds to the server, counted in instructions: callgrind, on vs off.

The server's CPU time (cpu.py) moves with what runs beside it: on this
2-core machine the recording process runs beside the server, and the caches
and cores they share make the server's own work slower (with the recording
process stopped or pinned away, the server's extra per trivial run fell from
+0.3 to +0.1 ms; notes, sixteenth session). An instruction count does not move
so: callgrind counts what the server executes, whatever else runs (the same
total twice, once with the other core loaded). So two servers, off and on,
each run under ``valgrind --tool=callgrind`` (only the server: its kernel and
its recording process are other programs, run natively), take the same
windows, and each window's instructions are read:

- ``trivial``: 60 runs of ``pass`` in bursts of 10 execute requests sent at
  once, as Run All sends them (under callgrind a server is some 30x slower, so
  runs sent one at a time would each be recorded on their own: the writer's
  once-a-commit work would weigh far more than at native speed, where some 11
  runs share a commit); **the trivial bar**;
- ``trivial_single``: the same runs one at a time, each recorded on its own
  (shown, not judged);
- ``flood``: 9 runs of a cell printing 120,000 lines (0.73 MB of stream
  text), which flushes its output itself, 16 messages a run: ipykernel's own
  flush every 0.2 s would send as many messages as the run lasts tenths of a
  second, and each costs the server about 1 M instructions; **the per-MB bar**;
- ``idle``: 5 s without runs, what each server does on its own (shown).

Callgrind starts with its instrumentation off (the server's start-up is not
counted and runs faster); it is turned on before the warm-up (the same as
cpu.py's), and each window is read from a zeroing of the counters to a dump
(``callgrind_control -z``, ``-d``), the writer settled and ``LAND`` seconds
given for what a commit tells the server. callgrind_control is answered only
while the server executes code, so the bench asks ``GET api/status`` every
0.2 s until it returns: both servers pay these, a few each (counted, and shown).

Instructions become milliseconds at the off server's own rate: the same
windows run on a third server, off and natively, and its CPU time (schedstat,
every thread) over its instruction count gives the ms an instruction takes in
this work. The extra is then in the units of SPEC's bars: ms per trivial run,
ms per MB of output (a trivial run's extra included, as cpu.py counts it).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import time
from pathlib import Path
from typing import Any

from .cpu import (
    LAND,
    LINES,
    PER_MB_BAR_MS,
    TRIVIAL_BAR_MS,
    StreamBytes,
    executions_recorded,
    settle,
)
from .lab_client import Kernel
from .servers import Server, sched_times

NOTEBOOK = "instructions.ipynb"
TRIVIAL = "pass"
CHUNKS = 16
# cpu.py's flood, the same 120,000 lines, sent in 16 stream messages by the cell itself
FLOOD = (
    "import sys, time\n"
    "sys.stdout.flush_interval = 1e6  # the cell flushes: a message each 1/16 of the lines\n"
    "print('run', time.time())\n"
    f"for i in range({LINES:_}):\n"
    "    print(i)\n"
    f"    if i % {LINES // CHUNKS} == {LINES // CHUNKS - 1}:\n"
    "        sys.stdout.flush()"
)
BURST = 10
# name, code, cell, runs, runs sent at once
WINDOWS = (
    ("trivial", TRIVIAL, "trivial", 60, BURST),
    ("trivial_single", TRIVIAL, "trivial", 60, 1),
    ("flood", FLOOD, "flood", 9, 1),
)
IDLE = 5.0  # seconds of a window with no runs: what a server does on its own
WARMUP = (("trivial", TRIVIAL, "trivial", 20, BURST), ("flood", FLOOD, "flood", 2, 1))
POKE = 0.2  # seconds between the GETs that make a server under callgrind answer
VALGRIND = "/usr/bin/valgrind"
CONTROL = "/usr/bin/callgrind_control"
TOTALS = re.compile(rb"^(?:totals|summary):\s+(\d+)", re.MULTILINE)


def available() -> str | None:
    """Why callgrind cannot run here, or None."""
    for tool in (VALGRIND, CONTROL):
        if not Path(tool).exists():
            return f"{tool} not found (Debian: apt-get install valgrind)"
    return None


class Counted:
    """A server under callgrind (or natively: ``native=True``) and its kernel."""

    def __init__(self, name: str, branch: bool, native: bool = False) -> None:
        self.native = native
        self.server = Server(name, branch=branch)
        if not native:  # its dumps go to its own folder: cg.<pid>.<n>
            self.server.launcher = (
                VALGRIND,
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={self.server.base / 'cg.%p'}",
            )
        self.kernel: Kernel | None = None
        self.pokes = 0

    async def start(self) -> Counted:
        await asyncio.to_thread(self.server.start, 900)
        self.server.write_notebook(NOTEBOOK, {"trivial": TRIVIAL, "flood": FLOOD})
        self.kernel = await Kernel(self.server, NOTEBOOK).start()
        return self

    @property
    def pid(self) -> int:
        assert self.server.proc is not None
        return self.server.proc.pid

    async def control(self, *args: str) -> None:
        """Run callgrind_control on the server, asking it something until it has answered."""
        proc = await asyncio.create_subprocess_exec(
            CONTROL,
            *args,
            str(self.pid),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 300
        while proc.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(proc.wait()), POKE)
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError(f"callgrind_control {' '.join(args)} got no answer")
            await asyncio.to_thread(self.server.get, "api/status")
            self.pokes += 1

    def dumps(self) -> list[Path]:
        return sorted(
            self.server.base.glob(f"cg.{self.pid}.*"),
            key=lambda p: int(p.name.rsplit(".", 1)[1]),
        )

    async def begin(self) -> Any:
        """Zero the counters (callgrind) or read the CPU so far (native)."""
        if self.native:
            return sum(sched_times(self.pid).values())
        await self.control("-z")
        return None

    async def end(self, mark: Any) -> float:
        """Instructions since ``begin`` (callgrind) or CPU ms (native)."""
        if self.native:
            return (sum(sched_times(self.pid).values()) - mark) * 1000
        before = len(self.dumps())
        await self.control("-d")
        dumps = self.dumps()
        if len(dumps) <= before:
            raise RuntimeError(f"callgrind wrote no dump in {self.server.base}")
        found = TOTALS.search(dumps[-1].read_bytes())
        if not found:
            raise RuntimeError(f"no totals in {dumps[-1]}")
        return float(found.group(1))

    async def run(self, code: str, cell: str, n: int, at_once: int) -> StreamBytes:
        """Run ``code`` ``n`` times, ``at_once`` execute requests together; wait for the
        writer to record them all, then ``LAND`` s."""
        assert self.kernel is not None
        expected = executions_recorded(self.server) + n if self.server.branch else 0
        counted = StreamBytes()
        for _ in range(n // at_once):  # execute requests sent together, as Run All sends them
            sent = {self.kernel.send_execute(code, cell) for _ in range(at_once)}
            await self.kernel.wait_all(sent, counted)
        await settle(self.server, expected, timeout=600)
        await asyncio.sleep(LAND)  # a fixed span for what a commit tells the server
        return counted

    def stop(self) -> None:
        if self.kernel is not None:
            self.kernel.close()
        self.server.stop()


async def measure_one(side: Counted, log: Any) -> dict[str, Any]:
    """Warm ``side`` up, then count each window."""
    await side.start()
    try:
        if not side.native:
            await side.control("-i", "on")
        for _, code, cell, n, at_once in WARMUP:
            await side.run(code, cell, n, at_once)
        out: dict[str, Any] = {}
        mark = await side.begin()
        await asyncio.sleep(IDLE)  # a fixed span of idleness, measured: not a wait
        out["idle"] = {"per_second": await side.end(mark) / IDLE}
        for name, code, cell, n, at_once in WINDOWS:
            pokes = side.pokes
            t = time.perf_counter()
            mark = await side.begin()
            counted = await side.run(code, cell, n, at_once)
            amount = await side.end(mark)
            wall = time.perf_counter() - t
            out[name] = {
                "runs": n,
                "at_once": at_once,
                "per_run": amount / n,
                "mb_per_run": counted.bytes / n / 1e6,
                "messages_per_run": counted.messages / n,
                "wall_seconds": wall,
                "pokes": side.pokes - pokes,
            }
        unit = "ms" if side.native else "M instructions"
        scale = 1 if side.native else 1e-6
        log(
            f"  {side.server.name}: "
            + ", ".join(
                f"{k} {w['per_run'] * scale:.3f} {unit} ({w['messages_per_run']:.1f} msgs, "
                f"{w['wall_seconds']:.0f} s)"
                for k, w in out.items()
                if k != "idle"
            )
            + f" a run; idle {out['idle']['per_second'] * scale:.3f} a second"
        )
        return out
    finally:
        side.stop()


async def measure(quick: bool, log: Any) -> dict[str, Any]:
    """Off and on under callgrind, then off natively for the rate; the extras in ms."""
    missing = available()
    if missing:
        return {"skipped": missing}
    got = {}
    for name, branch, native in (
        ("off", False, False),
        ("on", True, False),
        ("native_off", False, True),
    ):
        got[name] = await measure_one(Counted(f"instr-{name}", branch, native), log)
    names = [w[0] for w in WINDOWS]

    def total(side: str) -> float:
        return sum(got[side][w]["per_run"] * got[side][w]["runs"] for w in names)

    # the ms an instruction of this work takes natively: every window pooled
    ms_per_instruction = total("native_off") / total("off")
    result: dict[str, Any] = {
        "windows": got,
        "ms_per_instruction": ms_per_instruction,
        "bars": {"trivial_ms": TRIVIAL_BAR_MS, "per_mb_ms": PER_MB_BAR_MS},
    }
    for window in names:
        off, on = (got[s][window]["per_run"] for s in ("off", "on"))
        result[window] = {
            "off_instructions": off,
            "on_instructions": on,
            "extra_instructions": on - off,
            "extra_percent": (on - off) / off * 100,
            "extra_ms": (on - off) * ms_per_instruction,
        }
    mb = got["on"]["flood"]["mb_per_run"]
    result["mb_per_flood"] = mb
    result["extra_ms_per_trivial"] = result["trivial"]["extra_ms"]
    result["extra_ms_per_mb"] = result["flood"]["extra_ms"] / mb
    log(
        f"  extra: {result['extra_ms_per_trivial']:+.3f} ms a trivial run, "
        f"{result['extra_ms_per_mb']:+.2f} ms per MB "
        f"({1e-6 / ms_per_instruction:.2f} G instructions a second natively)"
    )
    return result


if __name__ == "__main__":  # python -m bench.instructions: this section alone
    import json

    print(json.dumps(asyncio.run(measure(False, print)), indent=1))
