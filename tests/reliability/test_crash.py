"""kill -9 during heavy recording: the store stays consistent, nothing finished is lost.

SPEC: "Killed at any moment (kill -9): the database is consistent and every
execution that finished two seconds before is there." Each trial starts the
server on the same store, checks what the previous crash left, records while
a thread hammers the kernel (small and large outputs, a running cell), and
kills the server and its kernels at a random moment.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.reliability.harness import BlockingKernel, ServerProcess, recorded_codes

GRACE = 2.0  # SPEC: what finished this long before the kill must be there


def run_trials(tmp_path: Path, trials: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    root = tmp_path / "root"
    data = tmp_path / "data"
    root.mkdir()
    data.mkdir()
    db = data / "jupyter_branch" / "history.sqlite"
    nb_abs = os.path.realpath(root / "crash.ipynb")
    must_have: set[str] = set()
    figures = {"trials": 0, "executions": 0, "required": 0, "lost": 0}
    for trial in range(trials):
        server = ServerProcess(root, data).start()
        try:
            if must_have:  # what the last crash left: consistent and complete
                present = recorded_codes(db, nb_abs)
                lost = must_have - set(present)
                assert not lost, (
                    f"trial {trial}: lost {len(lost)} executions, e.g. {sorted(lost)[:3]}"
                )
            kernel = BlockingKernel(server, "crash.ipynb")
            finished: list[tuple[float, str]] = []
            stop = threading.Event()

            def hammer(
                kernel: BlockingKernel = kernel,
                trial: int = trial,
                stop: threading.Event = stop,
                finished: list[tuple[float, str]] = finished,
            ) -> None:
                i = 0
                while not stop.is_set():
                    if i % 7 == 3:
                        code = f"print('t{trial} r{i} ' + 'y' * 20000)"
                    elif i % 11 == 5:
                        code = (
                            f"import time\nfor k in range(5):\n"
                            f"    print('t{trial} r{i}', k, flush=True)\n    time.sleep(0.1)"
                        )
                    else:
                        code = f"print('t{trial} r{i}')"
                    try:
                        kernel.execute(code, f"cell-{i % 5}", timeout=30)
                    except Exception:
                        return  # the server is gone
                    finished.append((time.monotonic(), code))
                    i += 1

            worker = threading.Thread(target=hammer, daemon=True)
            worker.start()
            time.sleep(rng.uniform(2.5, 6.0))
            killed_at = time.monotonic()
            server.kill9()
            stop.set()
            worker.join(timeout=30)
            kernel.close()
            required = {code for t, code in finished if t <= killed_at - GRACE}
            must_have |= required
            figures["trials"] += 1
            figures["executions"] += len(finished)
            figures["required"] += len(required)
            with sqlite3.connect(db) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            server.kill9()
    # recording resumes after the last crash
    server = ServerProcess(root, data).start()
    try:
        kernel = BlockingKernel(server, "crash.ipynb")
        kernel.execute("print('after the crashes')", "cell-after")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            codes = set(recorded_codes(db, nb_abs))
            if "print('after the crashes')" in codes:
                break
            time.sleep(0.3)
        assert "print('after the crashes')" in codes, "recording did not resume"
        assert must_have <= codes
        kernel.close()
    finally:
        server.stop()
    return figures


def test_kill9_during_recording_loses_nothing_finished(tmp_path):
    figures = run_trials(tmp_path, trials=3, seed=1)
    assert figures["required"] > 0, "the trials must have finished executions to check"


@pytest.mark.slow
def test_kill9_twenty_trials(tmp_path):
    figures = run_trials(tmp_path, trials=20, seed=20261121)
    print(f"crash figures: {figures}")
    assert figures["trials"] == 20 and figures["lost"] == 0
