"""Many notebooks and kernels at once, with the panel polling: nothing lost, no
"database is locked" reaching a user, the writer's backlog bounded (SPEC).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.kernel_client import write_notebook
from tests.reliability.harness import BlockingKernel, ServerProcess


def run_load(tmp_path: Path, kernels: int, runs: int) -> dict[str, Any]:
    root, data = tmp_path / "root", tmp_path / "data"
    root.mkdir()
    data.mkdir()
    for k in range(kernels):
        write_notebook(root, f"load{k}.ipynb")
    server = ServerProcess(root, data).start()
    figures: dict[str, Any] = {
        "kernels": kernels,
        "runs_each": runs,
        "api_calls": 0,
        "api_failures": [],
        "max_backlog": 0,
    }
    done = threading.Event()
    try:
        clients = [BlockingKernel(server, f"load{k}.ipynb") for k in range(kernels)]

        def work(k: int, client: BlockingKernel) -> None:
            for i in range(runs):
                big = ", 'z' * 5000" if i % 10 == 9 else ""
                code = f"print('k{k} i{i}'{big})"
                client.execute(code, f"cell-{i % 4}", timeout=120)

        def poll() -> None:  # what the open panels ask for, all the time
            while not done.is_set():
                for k in range(kernels):
                    for endpoint in (
                        f"tree?path=load{k}.ipynb",
                        f"cells/cell-1?path=load{k}.ipynb",
                        "info",
                    ):
                        status, body = server.request(f"jupyter-branch/api/{endpoint}")
                        figures["api_calls"] += 1
                        text = str(body)
                        if status >= 500 or "locked" in text:
                            figures["api_failures"].append((endpoint, status, text[:200]))
                        if endpoint == "info" and isinstance(body, dict):
                            figures["max_backlog"] = max(
                                figures["max_backlog"], body["writer"]["backlog"]
                            )
                time.sleep(0.2)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        started = time.monotonic()
        workers = [threading.Thread(target=work, args=(k, c)) for k, c in enumerate(clients)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        figures["seconds"] = round(time.monotonic() - started, 1)
        deadline = time.monotonic() + 60
        counts: list[int] = []
        while time.monotonic() < deadline:
            counts = [
                sum(1 for s in server.tree(f"load{k}.ipynb")["states"] if s["event"] == "execute")
                for k in range(kernels)
            ]
            if counts == [runs] * kernels:
                break
            time.sleep(0.5)
        figures["recorded"] = counts
        done.set()
        poller.join(timeout=10)
        for c in clients:
            c.close()
    finally:
        done.set()
        server.stop()
    return figures


def check(figures: dict[str, Any]) -> None:
    runs, kernels = figures["runs_each"], figures["kernels"]
    assert figures["recorded"] == [runs] * kernels, f"lost executions: {figures}"
    assert figures["api_failures"] == [], figures["api_failures"][:5]
    assert figures["api_calls"] > 0
    assert figures["max_backlog"] < 5000, "the writer must keep up (bounded backlog)"


def test_four_kernels_with_the_panel_polling(tmp_path):
    check(run_load(tmp_path, kernels=4, runs=40))


@pytest.mark.slow
def test_eight_kernels_five_hundred_runs_each(tmp_path):
    figures = run_load(tmp_path, kernels=8, runs=500)
    print(f"load figures: {figures}")
    check(figures)
