"""5. Writer limits: how many executions and output MB per second it keeps up with.

Two measurements:

- The writer alone (in this process, ``History`` + ``Writer`` on a temp store,
  a 30-cell notebook): a flood of finished executions, small (1 KB of output)
  and big (256 KB of distinct text each), submitted at once; its drain rate is
  the writer's capacity in executions/s and MB/s.
- The real server: one kernel, executions sent open-loop at rising rates over
  the websocket (cellId as usual), each printing 1 KB or 256 KB. Every 0.25 s
  the server's backlog (``GET info``: writer queue) is sampled. A rate is
  *sustained* when the backlog stays under one second's worth of work; past
  the highest such rate the writer lags. After the ramp we wait for the backlog
  to drain and check that every execution became a state (nothing dropped) and
  look at what ``jupyter branch info`` printed while the backlog was high.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import tempfile
import time
from typing import Any

import nbformat

from jupyter_branch.model import Execution
from jupyter_branch.store.engine import open_store
from jupyter_branch.store.history import History
from jupyter_branch.store.writer import Writer

from .lab_client import Kernel
from .servers import VENV_BIN, Server

CELLS = 30
NOTEBOOK = "load.ipynb"
BIG = 256_000
SMALL = 1_000


LINE = 40  # bytes of one log line: "step 123456 loss=0.123456 acc=0.123456\n"


def log_text(rng: random.Random, nbytes: int) -> str:
    """Training-log text, as the kernel's cells print it."""
    return "".join(
        f"step {i:6d} loss={rng.random():.6f} acc={rng.random():.6f}\n"
        for i in range(nbytes // LINE)
    )


def writer_alone(n: int, output_bytes: int) -> dict[str, Any]:
    """Flood an in-process writer with ``n`` executions; return its drain rate."""
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        engines = open_store(f"sqlite:///{tmp}/w.sqlite")
        history = History()
        writer = Writer(engines, history)
        nb = f"{tmp}/nb.ipynb"
        try:
            executions = []
            for k in range(n):
                text = log_text(rng, output_bytes)
                executions.append(
                    Execution(
                        nb,
                        "k",
                        f"m{k}",
                        f"cell{k % CELLS}",
                        f"train(run={k})",
                        [{"output_type": "stream", "name": "stdout", "text": text}],
                        k + 1,
                        "ok",
                        time.time(),
                        time.time(),
                    )
                )
            start = time.perf_counter()
            futures = [writer.submit(History.record_execution, ex) for ex in executions]
            peak = writer.backlog
            for f in futures:
                f.result(600)
            elapsed = time.perf_counter() - start
        finally:
            writer.stop()
            engines.dispose()
    return {
        "executions": n,
        "output_bytes": output_bytes,
        "seconds": elapsed,
        "per_second": n / elapsed,
        "mb_per_second": n * output_bytes / elapsed / 1e6,
        "peak_backlog": peak,
    }


def cell_code(kind: str) -> str:
    """A cell printing 1 KB (small) or 256 KB (big) of log lines that differ on every run."""
    lines = (SMALL if kind == "small" else BIG) // LINE
    return (
        "import random\n"
        "print(''.join(f'step {i:6d} loss={random.random():.6f} acc={random.random():.6f}\\n'"
        f" for i in range({lines})), end='')"
    )


async def one_rate(
    server: Server, kernel: Kernel, code: str, rate: float, n: int, seconds: float
) -> dict[str, Any]:
    """Send ``n`` executions at ``rate`` per second; return what the kernel and backlog did."""
    pending: set[str] = set()
    samples: list[int] = []
    state = {"done": 0, "stop": False}

    async def reader() -> None:
        while not state["stop"] or pending:
            channel, msg = await kernel._read()
            parent = msg["parent_header"].get("msg_id")
            if (
                channel == "iopub"
                and msg["header"]["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"
                and parent in pending
            ):
                pending.discard(parent)
                state["done"] += 1

    async def sampler() -> None:
        while not state["stop"]:
            info = await asyncio.to_thread(server.get, "jupyter-branch/api/info")
            samples.append(info["writer"]["backlog"])
            await asyncio.sleep(0.25)

    read_task = asyncio.ensure_future(reader())
    sample_task = asyncio.ensure_future(sampler())
    start = time.perf_counter()
    for k in range(n):
        delay = start + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.add(kernel.send_execute(code, f"cell{k % CELLS}"))
    sent_in = time.perf_counter() - start
    while pending and time.perf_counter() - start < seconds * 20 + 60:
        await asyncio.sleep(0.05)
    finished_in = time.perf_counter() - start
    state["stop"] = True
    await sample_task
    read_task.cancel()
    return {
        "send_seconds": sent_in,
        "kernel_rate": state["done"] / finished_in,
        "peak_backlog": max(samples or [0]),
        "end_backlog": samples[-1] if samples else 0,
    }


async def ramp(
    server: Server, kernel: Kernel, kind: str, rates: list[float], seconds: float, log: Any
) -> list[dict[str, Any]]:
    """Send executions at each rate for ``seconds``; sample the backlog; one row per rate."""
    code = cell_code(kind)
    rows = []
    for rate in rates:
        before = await settle(server)
        n = max(1, int(rate * seconds))
        got = await one_rate(server, kernel, code, rate, n, seconds)
        achieved = got["kernel_rate"]
        row = {
            "kind": kind,
            "target_rate": rate,
            "sent": n,
            **got,
            "mb_per_second": achieved * (SMALL if kind == "small" else BIG) / 1e6,
            # more than a second's worth of work queued
            "lagging": got["peak_backlog"] > max(achieved, 1),
        }
        row["recorded"] = await settle(server) - before
        rows.append(row)
        log(
            f"  {kind}: target {rate:g}/s -> kernel {achieved:.0f}/s, "
            f"peak backlog {row['peak_backlog']}, "
            f"{'LAGS' if row['lagging'] else 'keeps up'}, {row['recorded']} of {n} recorded"
        )
    return rows


async def drain(server: Server, timeout: float = 300) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        info = await asyncio.to_thread(server.get, "jupyter-branch/api/info")
        if info["writer"]["backlog"] == 0 and info["store"]["running"] == 0:
            break
        await asyncio.sleep(0.2)
    return time.perf_counter() - start


def cli_info(server: Server) -> str:
    result = subprocess.run(
        [str(VENV_BIN / "jupyter"), "branch", "--db", f"sqlite:///{server.store_path}", "info"],
        capture_output=True,
        text=True,
        env=server.env(),
        timeout=120,
    )
    return result.stdout + result.stderr


async def overload(server: Server, kernel: Kernel, n: int) -> dict[str, Any]:
    """Send ``n`` big executions at once; watch the backlog, then count what was recorded."""
    before = await settle(server)
    code = cell_code("big")
    ids = [kernel.send_execute(code, f"cell{k % CELLS}") for k in range(n)]
    start = time.perf_counter()
    await kernel.wait_done(ids[-1])
    kernel_seconds = time.perf_counter() - start
    info = await asyncio.to_thread(server.get, "jupyter-branch/api/info")
    shown = asyncio.ensure_future(asyncio.to_thread(cli_info, server))
    drained = await drain(server)
    after_info = await asyncio.to_thread(server.get, "jupyter-branch/api/info")
    after = await settle(server)
    log_text = server.log_path.read_text(errors="replace")
    return {
        "sent": n,
        "kernel_seconds": kernel_seconds,
        "backlog_when_kernel_done": info["writer"]["backlog"],
        "drain_seconds": drained,
        "recorded": after - before,
        "refused": after_info["writer"]["refused"],
        "refused_log_lines": sum("was refused" in line for line in log_text.splitlines()),
        "cli_info_during_backlog": await shown,
        "ok": after_info["ok"],
    }


async def settle(server: Server, timeout: float = 300) -> int:
    """Wait until nothing is queued and the count of recorded executions is steady; return it."""
    await drain(server, timeout)
    count = await asyncio.to_thread(executions_recorded, server)
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        await asyncio.sleep(1.0)
        again = await asyncio.to_thread(executions_recorded, server)
        if again == count:
            break
        count = again
    return count


def executions_recorded(server: Server) -> int:
    tree = server.get(f"jupyter-branch/api/tree?path={NOTEBOOK}")
    return sum(s["event"] == "execute" for s in tree["states"])


async def measure(quick: bool, log: Any) -> dict[str, Any]:
    alone_small = writer_alone(1_000 if quick else 3_000, 1_000)
    log(f"  writer alone, 1 KB outputs: {alone_small['per_second']:.0f} executions/s")
    alone_big = writer_alone(60 if quick else 200, BIG)
    log(f"  writer alone, 256 KB outputs: {alone_big['mb_per_second']:.1f} MB/s")
    seconds = 3.0 if quick else 5.0
    server = Server("load", branch=True).start()
    try:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("", id=f"cell{k}") for k in range(CELLS)]
        nbformat.write(nb, str(server.root / NOTEBOOK))
        kernel = await Kernel(server, NOTEBOOK).start()
        small_rates = [25.0, 50.0, 100.0, 200.0, 400.0]
        big_rates = [5.0, 10.0, 20.0, 40.0, 80.0]
        small = await ramp(server, kernel, "small", small_rates, seconds, log)
        big = await ramp(server, kernel, "big", big_rates, seconds, log)
        over = await overload(server, kernel, 200 if quick else 500)
        log(
            f"  overload: {over['sent']} x 256 KB, backlog {over['backlog_when_kernel_done']} "
            f"when the kernel finished, drained in {over['drain_seconds']:.1f} s, "
            f"{over['recorded']} recorded"
        )
        kernel.close()
        sent = sum(r["sent"] for r in small + big) + over["sent"]
        recorded = await settle(server)
        log(f"  all runs: {sent} executions sent, {recorded} recorded")
        rss = server.rss()
        return {
            "total_sent": sent,
            "total_recorded": recorded,
            "writer_alone_small": alone_small,
            "writer_alone_big": alone_big,
            "ramp_small": small,
            "ramp_big": big,
            "overload": over,
            "server_rss_after": rss,
        }
    finally:
        server.stop()
