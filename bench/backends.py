"""PostgreSQL beside SQLite, in one run: writer throughput, log and cell-history latency.

The same history is written into the embedded SQLite store and into a real
PostgreSQL server (Debian's, started here on loopback, as the tests do), through
the server's own writer (``Writer`` + ``History``, in process, no HTTP): first
``N`` executions one after another as one server records them, then the reads
the panel makes, timed as medians: a full log (``log_pages``, a page at a time in
one transaction, as GET tree reads it) and a cell's newest 100 versions. Each row gives both and
their ratio, PostgreSQL over SQLite.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jupyter_branch.model import Execution
from jupyter_branch.service import HistoryService
from jupyter_branch.store.engine import open_store
from jupyter_branch.store.history import History
from jupyter_branch.store.writer import Writer
from tests.postgres import PostgresCluster

CELLS = 20
NB = "/bench/backends.ipynb"


def record(url: str, n: int) -> dict[str, Any]:
    """Record ``n`` executions through the writer; return the time and the store."""
    engines = open_store(url)
    writer = Writer(engines, History(owner="bench"))
    service = HistoryService(engines, writer, owner="bench")
    cells = [{"id": f"c{i}", "cell_type": "code", "source": f"x{i} = 0"} for i in range(CELLS)]
    service.report_document(NB, cells).result(60)
    started = time.perf_counter()
    futures = []
    for k in range(n):
        i = k % CELLS
        code = f"x{i} = {k}\nprint(x{i})"
        outputs = [{"output_type": "stream", "name": "stdout", "text": f"{k}\n" * 5}]
        ex = Execution(
            NB,
            "kernel",
            f"m{k}",
            f"c{i}",
            code,
            outputs,
            k + 1,
            "ok",
            time.time(),
            time.time(),
            from_browser=True,
        )
        futures.append(writer.submit(History.record_execution, ex))
    for future in futures:
        future.result(600)
    seconds = time.perf_counter() - started
    writer.stop()
    return {
        "engines": engines,
        "service": HistoryService(engines, owner="bench"),
        "seconds": seconds,
    }


def median_ms(fn: Any, repeat: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def full_log(service: HistoryService) -> None:
    for _ in service.log_pages(NB):
        pass


def measure(quick: bool, log: Any) -> dict[str, Any]:
    n = 2_000 if quick else 10_000
    repeat = 5 if quick else 15
    cluster = PostgresCluster()
    cluster.start()
    folder = Path(tempfile.mkdtemp(prefix="jb-bench-backends-"))
    rows: dict[str, Any] = {"executions": n}
    try:
        for name, url in (
            ("sqlite", f"sqlite:///{folder}/history.sqlite"),
            ("postgresql", cluster.new_database()),
        ):
            log(f"  {name}: recording {n} executions")
            made = record(url, n)
            service = made["service"]
            rows[name] = {
                "writes_per_second": n / made["seconds"],
                "log_ms": median_ms(lambda s=service: full_log(s), repeat),
                "cell_history_ms": median_ms(
                    lambda s=service: s.cell_history(NB, "c3", 100), repeat
                ),
            }
            log(f"  {name}: {rows[name]}")
            made["engines"].dispose()
    finally:
        cluster.stop()
    return rows
