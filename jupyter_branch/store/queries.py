"""Reading history: notebooks, logs, states, a cell's versions, search, store counts.

Every function takes a connection (the REST API runs them on worker threads
with the reader engine, the CLI directly) and returns plain JSON-ready data in
the wire format of docs/rest-api.md.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.exc import OperationalError

from ..outputs import without_transient
from . import search as search_index
from . import summary
from .content import load_cells, load_versions, read_blob, read_json, read_text
from .schema import blobs, cell_versions, notebooks, running, shares, state_cells, states
from .summary import driver_args, log_json_select, log_select, summary_of


class NotFound(LookupError):
    """No such notebook or state."""


class Ambiguous(LookupError):
    """A state prefix matches more than one state."""


class SearchUnavailable(RuntimeError):
    """This store has no search index (it is not SQLite, or its SQLite lacks FTS5)."""


def iso(ts: float | None) -> str | None:
    """Return a UTC timestamp as ISO-8601 with milliseconds (rounded, as SQLite does)."""
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(round(ts, 3), dt.UTC).isoformat(timespec="milliseconds")


def shared_with(owner: str) -> Any:
    """The ids of the notebooks shared with ``owner`` (a subquery)."""
    return select(shares.c.notebook_id).where(shares.c.grantee == owner)


def visible_to(owner: str) -> Any:
    """The condition on ``notebooks`` of what ``owner`` may read: theirs, and what was
    shared with them."""
    return or_(notebooks.c.owner == owner, notebooks.c.id.in_(shared_with(owner)))


def find_notebook(conn: Connection, abs_path: str, owner: str, of: str | None = None) -> Any:
    """Return ``owner``'s notebook row at ``abs_path`` (live first, else the latest
    deleted); with ``of``, that owner's, if they shared it with ``owner``."""
    whose = of or owner
    query = select(notebooks).where(notebooks.c.abs_path == abs_path, notebooks.c.owner == whose)
    if whose != owner:
        query = query.where(notebooks.c.id.in_(shared_with(owner)))
    row = conn.execute(
        query.order_by(notebooks.c.deleted.is_not(None), notebooks.c.id.desc()).limit(1)
    ).first()
    if row is None:
        shown = abs_path if whose == owner else f"{abs_path} of {whose}"
        raise NotFound(f"no history for {shown}")
    return row


def log_json(
    conn: Connection, nb: Any, since_seq: int, until_seq: int, limit: int
) -> tuple[str, int, int]:
    """Return one page of ``log()`` already encoded as a JSON array by the database.

    The states with ``since_seq < seq <= until_seq``, oldest first, at most
    ``limit``; with the ``seq`` of the last one (``since_seq`` if none) and
    how many. For 10,000 states that is twice as fast as building and
    encoding the dicts in Python.
    """
    values = {"nb": nb.id, "since": since_seq, "until": until_seq, "limit": limit}
    if conn.dialect.name == "sqlite":
        text_, last, count = _driver(conn).execute(*driver_args("log_json", **values)).fetchone()
    else:
        text_, last, count = conn.execute(log_json_select(conn.dialect.name), values).one()
    return str(text_), int(last if last is not None else since_seq), int(count)


def _driver(conn: Connection) -> Any:
    """The DBAPI connection under ``conn`` (sqlite3's), for the few hot reads."""
    driver = conn.connection.driver_connection
    assert driver is not None
    return driver


def last_seq(conn: Connection, nb: Any) -> int:
    """The ``seq`` of the notebook's newest state (0 when it has none)."""
    found = conn.execute(
        select(func.max(states.c.seq)).where(states.c.notebook_id == nb.id)
    ).scalar_one()
    return int(found or 0)


def log(conn: Connection, nb: Any, since_seq: int = 0) -> list[dict[str, Any]]:
    """Return the notebook's states oldest first (those after ``since_seq``)."""
    if conn.dialect.name == "sqlite":
        # the DBAPI cursor itself: SQLAlchemy's row wrapping doubles the time here
        cursor = _driver(conn).execute(*driver_args("log", nb=nb.id, since=since_seq))
        return [dict(zip(summary.KEYS, row, strict=True)) for row in cursor]
    rows = conn.execute(log_select(conn.dialect.name), {"nb": nb.id, "since": since_seq})
    return [summary_of(r) for r in rows]


def running_executions(conn: Connection, nb: Any) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(running.c.key, running.c.cell_id, running.c.code, running.c.started)
        .where(running.c.notebook_id == nb.id)
        .order_by(running.c.started)
    )
    return [
        {
            "key": r.key,
            "cell_id": r.cell_id,
            "preview": (r.code or "").strip()[:80],
            "started": iso(r.started),
        }
        for r in rows
    ]


def resolve_state(conn: Connection, nb: Any, ref: str) -> str:
    """Return the full id of the state of ``nb`` named by ``ref`` (an id or a unique prefix).

    Raises NotFound or Ambiguous.
    """
    ref = ref.strip().lower()
    if not ref or any(c not in "0123456789abcdef" for c in ref):
        raise NotFound(f"{ref!r} is not a state id")
    upper = ref + "g"  # every hex id starting with ref sorts below ref + "g"
    rows = conn.execute(
        select(states.c.id)
        .where(states.c.notebook_id == nb.id, states.c.id >= ref, states.c.id < upper)
        .limit(2)
    ).all()
    if not rows:
        raise NotFound(f"no state {ref} in this notebook")
    if len(rows) > 1:
        raise Ambiguous(f"{ref} names more than one state; give more characters")
    return str(rows[0].id)


def state_detail(conn: Connection, nb: Any, state_id: str) -> dict[str, Any]:
    """Return one state: its summary, the notebook metadata, its cells, and what ran."""
    row = conn.execute(
        select(
            *summary.columns(conn.dialect.name),
            states.c.metadata_blob,
            states.c.layout_blob,
            states.c.code_blob,
            states.c.outputs_blob,
            states.c.kernel_id,
            states.c.started.label("started_at"),
            states.c.ended.label("ended_at"),
        ).where(states.c.id == state_id, states.c.notebook_id == nb.id)
    ).first()
    if row is None:
        raise NotFound(f"no state {state_id} in this notebook")
    detail = summary_of(row)
    detail["metadata"] = read_json(conn, row.metadata_blob) or {}
    detail["cells"] = load_cells(conn, row.layout_blob)
    detail["kernel_id"] = row.kernel_id
    detail["started"] = iso(row.started_at)
    detail["ended"] = iso(row.ended_at)
    if row.event == "execute":
        detail["code"] = read_text(conn, row.code_blob)
        detail["outputs"] = without_transient(read_json(conn, row.outputs_blob) or [])
    return detail


def cell_versions_count(conn: Connection, nb: Any, cell_id: str) -> int:
    """How many versions of the cell the history holds (``cell_history`` without a limit)."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(state_cells)
            .where(state_cells.c.notebook_id == nb.id, state_cells.c.cell_id == cell_id)
        ).scalar_one()
    )


def cell_history(conn: Connection, nb: Any, cell_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """Return the newest ``limit`` versions of one cell, newest first, each with its state."""
    rows = conn.execute(
        select(state_cells.c.version_id, *summary.columns(conn.dialect.name))
        .join(states, states.c.id == state_cells.c.state_id)
        .where(state_cells.c.notebook_id == nb.id, state_cells.c.cell_id == cell_id)
        .order_by(state_cells.c.seq.desc())
        .limit(limit)
    ).all()
    cells = load_versions(conn, list(dict.fromkeys(r.version_id for r in rows)))
    by_version = dict(zip(dict.fromkeys(r.version_id for r in rows), cells, strict=True))
    return [{"state": summary_of(r), "cell": by_version[r.version_id]} for r in rows]


def search(
    conn: Connection, nb: Any | None, query: str, limit: int = 50, owner: str | None = None
) -> list[dict[str, Any]]:
    """Return where ``query`` is found in ``nb``'s history (else in every notebook of
    ``owner``).

    ``query`` is text (see ``search.Query``). Newest first: by ``seq`` in one
    notebook, by time across notebooks. One match per state and cell, for each
    state that changed the cell to a version whose source or outputs hold the
    query (``where``: ``source`` when the source does, else ``outputs``). An
    ``edit`` changes sources only: the outputs it carries along are found at
    the state that made them, not again at every edit. Each match has the
    state's summary, ``cell_id``, ``cell_type``, ``where``, a one-line
    ``snippet`` around the match, and the notebook's ``abs_path``.
    Raises SearchUnavailable.
    """
    if not search_index.available(conn):
        raise SearchUnavailable("history search needs the SQLite store (with FTS5) or PostgreSQL")
    terms = search_index.Query.parse(query)
    matching = search_index.matching_blobs(conn.dialect.name, terms)
    if matching is None:
        return []
    hits = matching.cte("hits")
    in_source = cell_versions.c.source_blob.in_(select(hits.c.rowid))
    in_outputs = and_(
        cell_versions.c.outputs_blob.in_(select(hits.c.rowid)), states.c.event != "edit"
    )
    found = (
        select(
            *summary.columns(conn.dialect.name),
            state_cells.c.cell_id.label("match_cell_id"),
            cell_versions.c.cell_type,
            cell_versions.c.source_blob,
            cell_versions.c.outputs_blob,
            in_source.label("in_source"),
            in_outputs.label("in_outputs"),
            notebooks.c.abs_path,
            notebooks.c.owner,
        )
        .select_from(state_cells)
        .join(cell_versions, cell_versions.c.id == state_cells.c.version_id)
        .join(states, states.c.id == state_cells.c.state_id)
        .join(notebooks, notebooks.c.id == state_cells.c.notebook_id)
        .where(or_(in_source, in_outputs))
    )
    if nb is not None:
        found = found.where(state_cells.c.notebook_id == nb.id).order_by(
            state_cells.c.seq.desc(), state_cells.c.cell_id
        )
    else:
        found = found.where(notebooks.c.owner == owner).order_by(
            states.c.created.desc(), states.c.seq.desc(), state_cells.c.cell_id
        )
    if not terms.needs_check:
        found = found.limit(limit)
    texts: OrderedDict[int, str] = OrderedDict()  # rows next to each other share blobs

    def text_of(blob_id: int) -> str:
        if blob_id not in texts:
            data = (read_blob(conn, blob_id) or b"").decode("utf-8", "surrogatepass")
            texts[blob_id] = search_index.searchable_text(data)
            if len(texts) > 64:
                texts.popitem(last=False)
        return texts[blob_id]

    matches: list[dict[str, Any]] = []
    try:
        rows = conn.execute(found)
    except OperationalError as err:  # a token FTS5 splits further than we do: say nothing
        if "fts5" not in str(err):
            raise
        return []
    for r in rows:
        if r.in_source and (not terms.needs_check or terms.matches(text_of(r.source_blob))):
            where, blob_id = "source", r.source_blob
        elif r.in_outputs and (not terms.needs_check or terms.matches(text_of(r.outputs_blob))):
            where, blob_id = "outputs", r.outputs_blob
        else:
            continue
        matches.append(
            {
                "abs_path": r.abs_path,
                "state": summary_of(r),
                "cell_id": r.match_cell_id,
                "cell_type": r.cell_type,
                "where": where,
                "snippet": terms.snippet(text_of(blob_id)),
            }
        )
        if len(matches) >= limit:
            break
    return matches


def database_size(conn: Connection) -> int | None:
    """Return the bytes a database server holds for the store (None for a SQLite file,
    whose size is the file's)."""
    if conn.dialect.name == "postgresql":
        size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
        return int(size or 0)
    return None


def info(conn: Connection, owner: str) -> dict[str, int]:
    """Return counts of what the store holds for ``owner``."""
    mine = select(notebooks.c.id).where(notebooks.c.owner == owner)
    blob_count, raw, stored = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(blobs.c.size), 0),
            func.coalesce(func.sum(func.length(blobs.c.data)), 0),
        ).where(blobs.c.notebook_id.in_(mine))
    ).one()

    def count(table: Any) -> int:
        return int(
            conn.execute(
                select(func.count()).select_from(table).where(table.c.notebook_id.in_(mine))
            ).scalar_one()
        )

    return {
        "notebooks": int(
            conn.execute(
                select(func.count()).select_from(notebooks).where(notebooks.c.owner == owner)
            ).scalar_one()
        ),
        "states": count(states),
        "cell_versions": count(cell_versions),
        "blobs": int(blob_count),
        "content_bytes": int(raw),
        "stored_bytes": int(stored),
        "running": count(running),
    }


def notebook_list(conn: Connection, owner: str) -> list[dict[str, Any]]:
    """Return ``owner``'s notebooks and those shared with them, with state counts and
    last activity; each says whose it is."""
    counts = (
        select(
            states.c.notebook_id,
            func.count().label("n"),
            func.max(states.c.created).label("last"),
        )
        .group_by(states.c.notebook_id)
        .subquery()
    )
    rows = conn.execute(
        select(notebooks, counts.c.n, counts.c.last)
        .outerjoin(counts, counts.c.notebook_id == notebooks.c.id)
        .where(visible_to(owner))
        .order_by(notebooks.c.owner != owner, notebooks.c.owner, notebooks.c.abs_path)
    )
    return [
        {
            "abs_path": r.abs_path,
            "owner": r.owner,
            "shared": r.owner != owner,
            "states": r.n or 0,
            "last": iso(r.last),
            "head": r.head_id,
            "deleted": iso(r.deleted),
        }
        for r in rows
    ]
