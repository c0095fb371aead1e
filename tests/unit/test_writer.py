"""The writer's timing rules: background writes wait for a pause, urgent ones and flush do not."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text

from jupyter_branch.store.engine import open_store
from jupyter_branch.store.history import History
from jupyter_branch.store.writer import Writer


def make_writer(tmp_path: Any, **timing: float) -> Writer:
    engines = open_store(f"sqlite:///{tmp_path}/history.sqlite")
    with engines.writer.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    return Writer(engines, History(read_notebook=lambda path: None), **timing)


def insert(n: int) -> Any:
    return lambda history, conn: conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})


def count(writer: Writer) -> int:
    assert writer.engines is not None
    with writer.engines.reader.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM t")).scalar_one())


def close(writer: Writer) -> None:
    writer.stop()
    assert writer.engines is not None
    writer.engines.dispose()


def test_background_writes_wait_for_a_pause_and_go_in_one_transaction(tmp_path):
    writer = make_writer(tmp_path, settle=0.5, max_delay=30)
    try:
        futures = [writer.submit(insert(n)) for n in range(50)]
        assert count(writer) == 0  # still settling
        for f in futures:
            f.result(10)
        assert count(writer) == 50
        # one transaction: the writer took them all at once
        assert writer.committed_ops == 50
        assert writer.committed_batches == 1
    finally:
        close(writer)


def test_writes_that_never_pause_still_go_within_max_delay(tmp_path):
    writer = make_writer(tmp_path, settle=30, max_delay=0.3)
    try:
        first = writer.submit(insert(0))
        deadline = time.monotonic() + 20
        n = 1
        while not first.done() and time.monotonic() < deadline:
            writer.submit(insert(n))  # never a pause of `settle`
            n += 1
            time.sleep(0.02)
        assert first.done(), "a steady stream of writes postponed the first forever"
        assert writer.backlog < n  # some were written while the stream went on
    finally:
        close(writer)


def test_urgent_writes_and_flush_do_not_wait(tmp_path):
    writer = make_writer(tmp_path, settle=60, max_delay=60)
    try:
        background = writer.submit(insert(1))
        writer.submit(insert(2), urgent=True).result(10)  # within the test's patience
        assert background.done()  # what was queued before it went along
        writer.submit(insert(3))
        assert writer.flush(10)
        assert count(writer) == 3
    finally:
        close(writer)


def test_one_wrong_operation_fails_alone_in_its_batch(tmp_path):
    writer = make_writer(tmp_path, settle=0.3, max_delay=30)

    def wrong(history: Any, conn: Any) -> None:
        conn.execute(text("INSERT INTO t VALUES (99)"))
        raise ValueError("bad input")

    try:
        futures = [writer.submit(insert(1)), writer.submit(wrong), writer.submit(insert(2))]
        assert writer.flush(10)
        assert futures[0].result() is not None and futures[2].result() is not None
        assert isinstance(futures[1].exception(), ValueError)
        assert count(writer) == 2  # the wrong one's own insert was rolled back
        writer.submit(insert(3), urgent=True).result(10)  # and the writer goes on
        assert count(writer) == 3
    finally:
        close(writer)


def test_a_write_that_makes_queued_ones_moot_drops_them_and_keeps_the_order(tmp_path):
    writer = make_writer(tmp_path, settle=60, max_delay=60)
    try:
        progress = [writer.submit(insert(100 + n), coalesce_key="run") for n in range(3)]
        other = writer.submit(insert(1))  # queued between: it keeps its place
        unrelated = writer.submit(insert(200), coalesce_key="another run")
        finished = writer.submit(insert(2), supersedes="run")
        assert writer.flush(10)
        assert all(f.cancelled() for f in progress)  # never written
        assert writer.superseded_ops == 1  # the three coalesced into one, then dropped
        assert other.result() is not None and unrelated.result() is not None
        assert finished.result() is not None
        assert writer.engines is not None
        with writer.engines.reader.connect() as conn:
            rows = conn.execute(text("SELECT n FROM t ORDER BY rowid")).scalars().all()
        assert rows == [1, 200, 2]
    finally:
        close(writer)
