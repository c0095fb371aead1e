"""The state summary: its wire keys and how the database computes each, defined once.

Every reader that lists states (the log, a cell's versions, search results,
one state's detail) selects ``columns(dialect)``: SQL expressions labelled with
the wire keys of ``state_summary`` in docs/rest-api.schema.json, so the
database formats times and durations and a row *is* a summary
(``summary_of(row)``). The paged JSON log is the same expressions wrapped in
the database's JSON object function (``log_json_select``); ``sqlgen`` turns
the statements into SQL text, which SQLite's readers run on ``sqlite3``.

Times are ISO-8601 UTC with milliseconds; ``duration_ms`` is ended - started in
whole milliseconds (never negative), for executions only; ``by_user`` and
``by_client`` say who made the state, where the server knows (model.CLIENTS);
``cell_index`` is where ``cell_id`` sits in the state's cells (how people name a
cell: "cell 3"); ``sources_key`` fingerprints the state's sources (cell order,
types and texts), so a reader can tell that a run changed no source of the
edit before it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    LargeBinary,
    Select,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.elements import ColumnElement

from .reads import SUMMARY_KEYS
from .schema import states

KEYS = SUMMARY_KEYS


def _iso(ts: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.to_char(
            func.timezone("UTC", func.to_timestamp(ts)), 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"'
        )
    return func.strftime("%Y-%m-%dT%H:%M:%f+00:00", ts, "unixepoch")


def _when(ts: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """``_iso`` to the second, as a person reads it: ``YYYY-MM-DD HH:MM:SS`` (a test
    holds the two equal; SQLite's ``datetime`` costs a third of ``strftime``)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", func.to_timestamp(ts)), "YYYY-MM-DD HH24:MI:SS")
    return func.datetime(ts, "unixepoch")


def _fingerprint(key: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """The first 8 bytes of a state's sources key, in hex: equal for equal sources."""
    if dialect == "postgresql":
        return func.encode(func.substring(key, 1, 8), "hex")
    return func.lower(func.hex(func.substr(key, 1, 8)))


def columns(dialect: str, table: Any = states) -> list[ColumnElement[Any]]:
    """Return the summary's columns of ``table`` (``states`` or an alias), labelled by key."""
    return [expr.label(key) for key, expr in expressions(dialect, table).items()]


def expressions(dialect: str, table: Any = states) -> dict[str, ColumnElement[Any]]:
    """Return how the database computes each key of the summary of a row of ``table``,
    in the order of ``KEYS``."""
    c = table.c
    duration = case(
        (
            c.started.is_not(None) & c.ended.is_not(None),
            func.greatest(0, cast(func.round((c.ended - c.started) * 1000), BigInteger))
            if dialect == "postgresql"
            else func.max(0, cast(func.round((c.ended - c.started) * 1000), BigInteger)),
        ),
        else_=None,
    )
    exprs: dict[str, ColumnElement[Any]] = {
        "id": c.id,
        "parent": c.parent_id,
        "seq": c.seq,
        "time": _iso(c.created, dialect),
        "event": c.event,
        "cell_id": c.cell_id,
        "cell_index": c.cell_index,
        "execution_count": c.execution_count,
        "status": c.status,
        "duration_ms": duration,
        "preview": func.coalesce(c.preview, ""),
        "label": c.label,
        "restored_from": c.restored_from,
        "by_user": c.by_user,
        "by_client": c.by_client,
        "sources_key": _fingerprint(c.sources_key, dialect),
    }
    return {key: exprs[key] for key in KEYS}


def summary_of(row: Any) -> dict[str, Any]:
    """Return the summary in a row that selected ``columns`` (any other columns are left)."""
    mapping = row._mapping
    return {key: mapping[key] for key in KEYS}


def log_select(dialect: str) -> Select[Any]:
    """A notebook's states after ``:since``, oldest first (params ``nb``, ``since``)."""
    return (
        select(*columns(dialect))
        .where(states.c.notebook_id == bindparam("nb"), states.c.seq > bindparam("since"))
        .order_by(states.c.seq)
    )


def _in_page() -> tuple[ColumnElement[bool], ...]:
    """Where a state is in one page of the log: params ``nb``, ``since``, ``until``,
    ``limit``; the states with ``since < seq <= until``, oldest first, at most ``limit``.

    The page's end is found on the index (the ``limit``-th such seq, else
    ``until``), so the page itself is read flat from ``states``: a subquery with
    ``LIMIT`` would be copied row by row first (a fifth of the log's time in SQLite).
    """
    nb, seq = states.c.notebook_id == bindparam("nb"), states.c.seq
    end = (
        select(seq)
        .where(nb, seq > bindparam("since"), seq <= bindparam("until"))
        .order_by(seq)
        .offset(bindparam("limit") - 1)
        .limit(1)
        .scalar_subquery()
    )
    return nb, seq > bindparam("since"), seq <= func.coalesce(end, bindparam("until"))


def _page_of(aggregate: ColumnElement[Any], dialect: str) -> Select[Any]:
    """``aggregate`` over one page (``_in_page``), with the page's last ``seq`` and its
    size. In SQLite the rows reach the aggregate in ``seq`` order: the page is read
    on ``ix_states_seq`` (a test holds the order).

    SQLite hands the page over as a blob: its UTF-8 bytes, which the reader
    writes out as they are (a page of 5,000 states is 2 MB: decoding it to
    ``str`` and encoding it again cost as much as a fifth of the query).
    """
    if dialect == "sqlite":
        aggregate = cast(aggregate, LargeBinary)
    return select(aggregate, func.max(states.c.seq), func.count()).where(*_in_page())


def log_json_select(dialect: str) -> Select[Any]:
    """One page of the log as a JSON array text, with its last ``seq`` and its size
    (params as ``_in_page``)."""
    pairs: list[Any] = []
    for key, expr in expressions(dialect).items():
        pairs += [literal(key), expr]
    array: ColumnElement[Any]
    if dialect == "postgresql":
        obj = func.json_build_object(*pairs)
        array = cast(func.json_agg(aggregate_order_by(obj, states.c.seq)), Text)
    else:
        array = func.json_group_array(func.json_object(*pairs))
    return _page_of(func.coalesce(array, "[]"), dialect)


def log_text_select(dialect: str) -> Select[Any]:
    """One page of the log as the command line prints it, one line per state, with
    its last ``seq`` and its size (params as ``_in_page``, and ``head``, the state
    marked ``*``).

    A line: the head mark, the id's first 12 digits, the time to the second
    (``_when``), event, status, ``[execution count]``, preview, ``(label)``.
    Formatted by the database as the JSON log is: 10,000 lines take no Python
    objects, and only what a line shows is computed.
    """
    c = states.c
    mark = case((c.id == bindparam("head"), literal("*")), else_=literal(" "))
    count = case(
        (c.execution_count.is_(None), literal("")),
        else_=literal("[") + cast(c.execution_count, Text) + literal("]"),
    )
    label = case(
        (func.coalesce(c.label, "") == "", literal("")),
        else_=literal(" (") + c.label + literal(")"),
    )
    parts = (mark, func.substr(c.id, 1, 12), _when(c.created, dialect), c.event)
    fmt = "%s %s  %s  %-8s %-11s %-6s %s%s"
    line = (func.format if dialect == "postgresql" else func.printf)(
        fmt, *parts, func.coalesce(c.status, ""), count, func.coalesce(c.preview, ""), label
    )
    lines: ColumnElement[Any]
    if dialect == "postgresql":
        lines = func.string_agg(line, aggregate_order_by(literal("\n"), c.seq))
    else:  # as log_json_select: in seq order
        lines = func.group_concat(line, literal("\n"))
    return _page_of(func.coalesce(lines, ""), dialect)
