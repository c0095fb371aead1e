"""The log's pages as the database encodes them (store/summary.py), on both backends."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

# Times near the edges of a second and of a millisecond, and the epoch's first day
TIMES = [0.5, 59.9996, 1_700_000_000.0004, 1_700_000_059.9999, 1_234_567_890.123456, 86_399.999]


def page(store: Any, as_text: bool) -> Any:
    [found] = store.service.log_pages(store.nb, text=as_text)  # a short log: one page
    if as_text:
        return found["lines"].decode("utf-8").splitlines()  # UTF-8, as the store encodes it
    return json.loads(found["states_json"])


def test_a_log_line_shows_the_time_of_the_summary_to_the_second(store):
    store.report(("c1", "x = 1"))
    for n in range(len(TIMES) - 1):
        store.execute("c1", f"x = {n}", f"{n}\n")
    store.writer.flush()
    with store.engines.writer.begin() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM states ORDER BY seq"))]
        assert len(ids) == len(TIMES)
        for state_id, when in zip(ids, TIMES, strict=True):
            conn.execute(
                text("UPDATE states SET created = :t WHERE id = :id"), {"t": when, "id": state_id}
            )
    states, lines = page(store, False), page(store, True)
    shown = [line[16:35] for line in lines]  # the mark, 12 digits of the id, two spaces
    assert shown == [s["time"][:19].replace("T", " ") for s in states]
    assert states[0]["time"] == "1970-01-01T00:00:00.500+00:00"


def test_a_page_is_in_seq_order_whatever_order_the_rows_were_written_in(store):
    """The page is read flat from ``states``: its rows must reach the aggregate in
    ``seq`` order, not in the table's own order."""
    store.report(("c1", "x = 1"))
    for n in range(4):
        store.execute("c1", f"x = {n}", f"{n}\n")
    store.writer.flush()
    with store.engines.writer.begin() as conn:  # the newest row gets the lowest seq
        conn.execute(text("UPDATE states SET seq = -seq"))
        conn.execute(text("UPDATE states SET seq = 100 + seq"))
    states, lines = page(store, False), page(store, True)
    assert [s["seq"] for s in states] == sorted(s["seq"] for s in states)
    assert [line[2:14] for line in lines] == [s["id"][:12] for s in states]
    assert states[0]["preview"] == "x = 3"
