"""``jupyter branch gc``'s prune on a real store: the tree it leaves, and its safety net."""

from __future__ import annotations

import sqlite3
import time

import pytest

from jupyter_branch.store import gc


def chain(store, labelled_at: int, runs: int = 6) -> list[str]:
    """A notebook's states, oldest first: an edit, then ``runs`` runs; one run labelled."""
    store.report(("c1", "x = 0"))
    made = [store.log()["states"][0]["id"]]
    for n in range(runs):
        made.append(store.execute("c1", f"x = {n}", f"{n}\n"))
    store.service.label(store.nb, made[labelled_at], "keep").result(10)
    store.writer.flush()
    return made


def test_kept_states_hang_from_their_nearest_kept_ancestor(store):
    """Everything old goes but the labelled state and Head: Head's parent is the labelled
    state, two removed generations up; the labelled state becomes a root."""
    made = chain(store, labelled_at=3)
    store.close()
    time.sleep(0.01)
    counts = gc.prune(store.url, older_than_days=0)
    assert counts["states"] == len(made) - 2
    reopened = type(store)(store.root, store.url)
    try:
        states = {s["id"]: s for s in reopened.log()["states"]}
        assert set(states) == {made[3], made[-1]}
        assert states[made[-1]]["parent"] == made[3]
        assert states[made[3]]["parent"] is None
        assert reopened.sources(made[-1]) == ["x = 5"]
    finally:
        reopened.close()


@pytest.mark.parametrize("days", [0, 365], ids=["with-old-states", "blobs-only"])
def test_a_prune_that_would_leave_a_dangling_reference_removes_nothing(
    sqlite_store, monkeypatch, days
):
    """SQLite's foreign keys are checked once, after the prune: a prune that removed a
    blob a kept state still uses (here, a planning bug made on purpose) rolls back,
    whether or not it removes states too."""
    store = sqlite_store
    made = chain(store, labelled_at=2)
    store.close()
    path = store.root / "history.sqlite"
    with sqlite3.connect(path) as conn:
        head_outputs = conn.execute(
            "SELECT outputs_blob FROM states WHERE id = ?", (made[-1],)
        ).fetchone()[0]
        before = conn.execute("SELECT count(*) FROM states").fetchone()[0]
    planned = gc._orphans

    def wrong(conn, doomed):
        versions, blobs = planned(conn, doomed)
        return versions, blobs | {head_outputs}

    monkeypatch.setattr(gc, "_orphans", wrong)
    time.sleep(0.01)
    with pytest.raises(RuntimeError, match="dangling references"):
        gc.prune(store.url, older_than_days=days)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM states").fetchone()[0] == before
        assert conn.execute("SELECT 1 FROM blobs WHERE id = ?", (head_outputs,)).fetchone()
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
