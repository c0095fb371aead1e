"""Each full page of a notebook's log kept as it reads, so a long log is not encoded again.

A log is read a page of ``reads.LOG_PAGE`` states at a time, each page encoded
by the database (``summary.log_json_select`` and ``log_text_select``): at
10,000 states that is 40 pages and most of ``jupyter branch log``'s time. A
page full of older states changes only in the two ways below, so each full
page is kept in ``log_pages`` (migration 0009) as the database encoded it,
zlib-compressed: its JSON (about 50 bytes a state) and its lines with no state
marked Head (about 15). A reader (``reads.Reads.log_pages``) takes the kept
page where it would encode one, but for the lines of the page holding Head.
Pages follow each other: one is keyed by the ``seq`` it follows
(``after_seq``), the next follows its ``last_seq``.

- ``fill`` keeps the full pages after the last one kept: in the transaction
  that makes every ``LOG_PAGE``-th ``seq`` of a notebook (``History.make_state``),
  in migration 0009, and after a prune. The last, partial page is encoded
  each time, as before.
- A new state takes a ``seq`` above every other of its notebook
  (``History.head``), so it never belongs in a kept page.
- A state's summary changes in two ways only, each mended in its own
  transaction: a label (``refresh``: the page holding the state is encoded
  again) and ``gc``, which removes states and re-attaches their children
  (``drop`` the notebook's pages, then ``fill``).

Code that changes a recorded state in any other way must ``refresh`` or
``drop`` too: ``tests/unit/test_log_pages.py`` holds every kept page equal to
the page encoded afresh after each operation.

On SQLite the table is made with a notebook's first full page
(``ensure_table``): an empty table would still cost a page of the file, and
most stores never fill one. PostgreSQL makes it in the migration, so a team's
row-level security (``team.py``) covers it from the start.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, func, select

from .reads import LOG_PAGE, has_kept_pages, last_seq, log_json, log_text
from .schema import log_pages, notebooks
from .statements import runner_for

_c = log_pages.c  # its columns


def ensure_table(conn: Connection) -> None:
    """Make ``log_pages`` if the store has none yet."""
    log_pages.create(conn, checkfirst=True)


def fill(conn: Connection, nb_id: int) -> int:
    """Keep the notebook's full pages after the last one kept; return how many."""
    runner = runner_for(conn)
    present = has_kept_pages(runner)
    since = 0
    if present:
        found = select(func.coalesce(func.max(_c.last_seq), 0)).where(_c.notebook_id == nb_id)
        since = int(conn.execute(found).scalar_one())
    nb = {"id": nb_id}
    until = last_seq(runner, nb)
    made = 0
    while until - since >= LOG_PAGE:  # seqs are distinct: fewer than that, no full page
        json_page, last, count = log_json(runner, nb, since, until, LOG_PAGE)
        if count < LOG_PAGE:
            break
        if not present:
            ensure_table(conn)
            present = True
        conn.execute(
            log_pages.insert().values(
                notebook_id=nb_id,
                after_seq=since,
                last_seq=last,
                **_columns(runner, nb, json_page, since, last),
            )
        )
        since, made = last, made + 1
    return made


def _columns(
    runner: Any, nb: dict[str, Any], json_page: bytes, after: int, last: int
) -> dict[str, bytes]:
    """A full page's kept columns: its JSON and its lines (no state marked Head)."""
    lines = log_text(runner, {**nb, "head_id": ""}, after, last, LOG_PAGE)[0]
    return {"json_data": zlib.compress(json_page), "lines_data": zlib.compress(lines)}


def refresh(conn: Connection, nb_id: int, seq: int) -> None:
    """Encode again the kept page holding state ``seq`` of the notebook (if one does)."""
    runner = runner_for(conn)
    if not has_kept_pages(runner):
        return
    page = conn.execute(
        select(_c.after_seq, _c.last_seq).where(
            _c.notebook_id == nb_id, _c.after_seq < seq, _c.last_seq >= seq
        )
    ).first()
    if page is None:
        return
    nb = {"id": nb_id}
    json_page, last, count = log_json(runner, nb, page.after_seq, page.last_seq, LOG_PAGE)
    here = (_c.notebook_id == nb_id) & (_c.after_seq == page.after_seq)
    if count == LOG_PAGE and last == page.last_seq:
        columns = _columns(runner, nb, json_page, page.after_seq, last)
        conn.execute(log_pages.update().where(here).values(**columns))
    else:  # the page's states are not what they were: keep the pages again from here
        later = (_c.notebook_id == nb_id) & (_c.after_seq >= page.after_seq)
        conn.execute(delete(log_pages).where(later))
        fill(conn, nb_id)


def drop(conn: Connection, nb_ids: Iterable[int]) -> None:
    """Forget the kept pages of these notebooks."""
    ids = sorted(set(nb_ids))
    if not ids or not has_kept_pages(runner_for(conn)):
        return
    for start in range(0, len(ids), 500):
        conn.execute(delete(log_pages).where(_c.notebook_id.in_(ids[start : start + 500])))


def fill_all(conn: Connection) -> None:
    """Migration 0009: keep every notebook's full pages (PostgreSQL: make the table)."""
    if conn.dialect.name != "sqlite":
        ensure_table(conn)
    ids: list[Any] = [row.id for row in conn.execute(select(notebooks.c.id))]
    for nb_id in ids:
        fill(conn, int(nb_id))
