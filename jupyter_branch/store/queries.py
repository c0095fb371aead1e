"""Reading history where the server needs more than the shared reads: a cell's
versions, search, the database's size.

The reads the command line shares (a notebook, its log, a state, counts) are
in ``reads.py``, over a runner, and re-exported here. These take a SQLAlchemy
connection (the REST API runs them on worker threads with the reader engine)
and return plain JSON-ready data in the wire format of docs/rest-api.md.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.exc import OperationalError

from . import search as search_index
from . import summary
from .content import read_blob
from .errors import Ambiguous, NotFound, SearchUnavailable
from .reads import (
    counts,
    find_notebook,
    iso,
    last_seq,
    load_versions,
    log,
    log_json,
    notebook_list,
    resolve_state,
    running_executions,
    state_detail,
)
from .schema import cell_versions, notebooks, state_cells, states
from .statements import runner_for
from .summary import summary_of

__all__ = [
    "Ambiguous",
    "NotFound",
    "SearchUnavailable",
    "cell_history",
    "counts",
    "database_size",
    "find_notebook",
    "iso",
    "last_seq",
    "log",
    "log_json",
    "notebook_list",
    "resolve_state",
    "running_executions",
    "search",
    "state_detail",
]


def cell_versions_count(conn: Connection, nb: Any, cell_id: str) -> int:
    """How many versions of the cell the history holds (``cell_history`` without a limit)."""
    return int(
        conn.execute(
            select(func.count())
            .select_from(state_cells)
            .where(state_cells.c.notebook_id == nb["id"], state_cells.c.cell_id == cell_id)
        ).scalar_one()
    )


def cell_history(conn: Connection, nb: Any, cell_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """Return the newest ``limit`` versions of one cell, newest first, each with its state."""
    rows = conn.execute(
        select(state_cells.c.version_id, *summary.columns(conn.dialect.name))
        .join(states, states.c.id == state_cells.c.state_id)
        .where(state_cells.c.notebook_id == nb["id"], state_cells.c.cell_id == cell_id)
        .order_by(state_cells.c.seq.desc())
        .limit(limit)
    ).all()
    version_ids = list(dict.fromkeys(r.version_id for r in rows))
    by_version = dict(zip(version_ids, load_versions(runner_for(conn), version_ids), strict=True))
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
        found = found.where(state_cells.c.notebook_id == nb["id"]).order_by(
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
