"""Kept log pages (store/log_pages.py): a log read from them is the log encoded afresh.

Every check compares what a reader is given, the whole log as JSON a page at a
time (the REST API's and ``jupyter branch log --json``'s path), with the
states read one by one (``reads.log``), and each kept page with the page the
database encodes now: after recording, a label, a prune and a migration.
"""

from __future__ import annotations

import json
import sqlite3
import time
import zlib
from typing import Any

from sqlalchemy import inspect, select, text

from jupyter_branch.model import Execution
from jupyter_branch.store import gc
from jupyter_branch.store.engine import open_store
from jupyter_branch.store.lite import open_lite
from jupyter_branch.store.reads import LOG_PAGE, Reads, find_notebook, log, log_json, log_text
from jupyter_branch.store.schema import log_pages
from jupyter_branch.store.statements import runner_for

RUNS = 2 * LOG_PAGE + 20  # two full pages and part of a third, after the first state


def record(store: Any, runs: int, first: int = 0) -> None:
    """``runs`` executions of one cell, submitted together, as a busy kernel's are."""
    pending = []
    for n in range(first, first + runs):
        now = time.time()
        ex = Execution(
            store.nb, "kernel-1", f"msg-{n}", "c1", f"x = {n}", [], n, "ok", now - 0.5, now
        )
        pending.append(store.writer.submit(lambda h, conn, ex=ex: h.record_execution(conn, ex)))
    pending[-1].result(60)
    store.writer.flush()


def kept(store: Any) -> list[Any]:
    """The kept pages, each checked against the page the database encodes now."""
    with store.engines.reader.connect() as conn:
        if not inspect(conn).has_table("log_pages"):
            return []
        runner = runner_for(conn)
        rows = conn.execute(select(log_pages).order_by("notebook_id", "after_seq")).all()
        for row in rows:
            nb = {"id": row.notebook_id, "head_id": ""}
            encoded, last, count = log_json(runner, nb, row.after_seq, row.last_seq, LOG_PAGE)
            assert (count, last) == (LOG_PAGE, row.last_seq)
            assert zlib.decompress(row.json_data) == encoded, f"page after {row.after_seq}"
            lines = log_text(runner, nb, row.after_seq, row.last_seq, LOG_PAGE)[0]
            assert zlib.decompress(row.lines_data) == lines, f"lines after {row.after_seq}"
    return rows


def read_log(reads: Reads, abs_path: str) -> tuple[list[Any], list[Any]]:
    """The log as a reader is given it (pages of JSON) and as the states one by one."""
    paged: list[Any] = []
    for page in reads.log_pages(abs_path):
        paged += json.loads(page["states_json"])
    return paged, log(reads.runner, find_notebook(reads.runner, abs_path, reads.owner))


def read_lines(reads: Reads, abs_path: str) -> tuple[list[str], list[str]]:
    """The command line's lines, a page at a time and as one page encoded afresh."""
    paged = b"\n".join(page["lines"] for page in reads.log_pages(abs_path, text=True))
    nb = find_notebook(reads.runner, abs_path, reads.owner)
    whole = log_text(reads.runner, nb, 0, 10**9, 10**9)[0]
    return paged.decode().splitlines(), whole.decode().splitlines()


def served_log(store: Any) -> list[Any]:
    with store.engines.reader.connect() as conn:
        paged, one_by_one = read_log(Reads(runner_for(conn), store.history.owner), store.nb)
    assert paged == one_by_one
    return paged


def test_full_pages_are_kept_as_recorded_and_read_as_the_log(store):
    store.report(("c1", "x = 0"))
    record(store, RUNS)
    rows = kept(store)
    assert [(r.after_seq, r.last_seq) for r in rows] == [(0, LOG_PAGE), (LOG_PAGE, 2 * LOG_PAGE)]
    states = served_log(store)
    assert len(states) == RUNS + 1
    assert [s["seq"] for s in states] == list(range(1, RUNS + 2))


def test_a_label_on_a_kept_state_is_in_the_log_at_once(store):
    store.report(("c1", "x = 0"))
    record(store, RUNS)
    target = served_log(store)[LOG_PAGE + 7]  # in the second kept page
    store.service.label(store.nb, target["id"], "baseline").result(10)
    kept(store)
    labelled = {s["id"]: s["label"] for s in served_log(store)}
    assert labelled[target["id"]] == "baseline"
    store.service.label(store.nb, target["id"], None).result(10)
    kept(store)
    assert {s["id"]: s["label"] for s in served_log(store)}[target["id"]] is None


def test_a_prune_keeps_the_pages_of_what_is_left(store):
    """The oldest states go, their children move to a kept ancestor: every page shifts."""
    store.report(("c1", "x = 0"))
    record(store, RUNS)
    first = served_log(store)[:100]
    store.service.label(store.nb, first[40]["id"], "keep").result(10)
    store.close()
    engines = open_store(store.url)
    with engines.writer.begin() as conn:  # the first 100 made a year ago
        conn.execute(text("UPDATE states SET created = created - 365 * 86400 WHERE seq <= 100"))
    engines.dispose()
    gc.prune(store.url, older_than_days=30)
    reopened = type(store)(store.root, store.url)
    try:
        rows = kept(reopened)
        states = served_log(reopened)
        assert len(states) == RUNS + 1 - 99  # the labelled one stays
        assert [(r.after_seq, r.last_seq) for r in rows] == [(0, states[LOG_PAGE - 1]["seq"])]
        assert states[1]["parent"] == first[40]["id"]
    finally:
        reopened.close()


def test_the_command_line_reads_the_kept_pages_as_the_log(sqlite_store):
    store = sqlite_store
    store.report(("c1", "x = 0"))
    record(store, RUNS)
    assert len(kept(store)) == 2
    with open_lite(str(store.root / "history.sqlite")) as runner:
        paged, one_by_one = read_log(Reads(runner, store.history.owner), store.nb)
    assert paged == one_by_one and len(paged) == RUNS + 1
    # and it reads them: a kept page changed behind its back is what it shows
    changed = json.dumps([{**s, "preview": "kept"} for s in paged[:LOG_PAGE]]).encode()
    with sqlite3.connect(store.root / "history.sqlite") as conn:
        update = "UPDATE log_pages SET json_data = ? WHERE after_seq = 0"
        conn.execute(update, (zlib.compress(changed),))
    conn.close()
    with open_lite(str(store.root / "history.sqlite")) as runner:
        paged, _ = read_log(Reads(runner, store.history.owner), store.nb)
    assert {s["preview"] for s in paged[:LOG_PAGE]} == {"kept"}
    assert paged[LOG_PAGE:] == one_by_one[LOG_PAGE:]


def test_the_lines_mark_head_in_whichever_page_it_is(store):
    """Kept lines mark no state: Head's page is encoded afresh, where Head moved back to
    an old state (the notebook edited back to what it was)."""
    store.report(("c1", "x = 0"))
    record(store, RUNS)
    assert len(kept(store)) == 2
    with store.engines.reader.connect() as conn:
        reads = Reads(runner_for(conn), store.history.owner)
        paged, whole = read_lines(reads, store.nb)
        assert paged == whole and len(paged) == RUNS + 1
        assert [line[0] for line in paged].count("*") == 1 and paged[-1][0] == "*"
    store.report(("c1", "x = 0"))  # back to the sources of the second state
    head = store.log()["head"]
    with store.engines.reader.connect() as conn:
        reads = Reads(runner_for(conn), store.history.owner)
        paged, whole = read_lines(reads, store.nb)
    assert paged == whole
    assert [line[2:14] for line in paged if line[0] == "*"] == [head[:12]]
    assert paged[1][2:14] == head[:12]


def test_a_sqlite_store_makes_the_table_with_its_first_full_page(sqlite_store):
    """An empty table costs a page of the file: most stores never fill a page."""
    store = sqlite_store
    store.report(("c1", "x = 0"))
    record(store, LOG_PAGE - 2)
    with store.engines.reader.connect() as conn:
        assert not inspect(conn).has_table("log_pages")
    served_log(store)
    record(store, 1, first=LOG_PAGE)  # the 250th state
    assert [(r.after_seq, r.last_seq) for r in kept(store)] == [(0, LOG_PAGE)]
    with store.engines.reader.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("log_pages")}
    assert columns == {c.name for c in log_pages.columns}


def test_the_migration_keeps_the_pages_of_an_existing_store(sqlite_store):
    store = sqlite_store
    store.report(("c1", "x = 0"))
    record(store, RUNS)
    store.close()
    path = store.root / "history.sqlite"
    with sqlite3.connect(path) as conn:  # the store as 0008 left it
        conn.execute("DROP TABLE log_pages")
        conn.execute("DELETE FROM jupyter_branch_migrations WHERE name = '0009_log_pages'")
    conn.close()
    with open_lite(str(path)) as runner:  # readable as it is, every page encoded
        paged, one_by_one = read_log(Reads(runner, store.history.owner), store.nb)
    assert paged == one_by_one and len(paged) == RUNS + 1
    reopened = type(store)(store.root, store.url)
    try:
        assert len(kept(reopened)) == 2
        assert len(served_log(reopened)) == RUNS + 1
    finally:
        reopened.close()


def test_a_page_whose_states_moved_is_made_again_when_one_is_labelled(sqlite_store):
    """No operation moves a state out of a kept page; were one to, the next label in
    that page keeps the pages again from there rather than a page of 249."""
    store = sqlite_store
    store.report(("c1", "x = 0"))
    record(store, RUNS)
    with store.engines.writer.begin() as conn:
        conn.execute(text("UPDATE states SET seq = seq + 100000 WHERE seq = 10"))
    target = store.log()["states"][20]  # read one by one: the kept page is stale now
    store.service.label(store.nb, target["id"], "moved").result(10)
    rows = kept(store)
    assert [(r.after_seq, r.last_seq) for r in rows] == [(0, 251), (251, 501)]
    assert {s["id"]: s["label"] for s in served_log(store)}[target["id"]] == "moved"
