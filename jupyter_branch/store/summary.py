"""The state summary: its wire keys and how the database computes each, defined once.

Every reader that lists states (the log, a cell's versions, search results,
one state's detail) selects ``columns(dialect)``: SQL expressions labelled with
the wire keys of ``state_summary`` in docs/rest-api.schema.json, so the
database formats times and durations and a row *is* a summary
(``summary_of(row)``). The paged JSON log is the same columns wrapped in the
database's JSON object function (``log_json_select``); ``compiled`` turns
those statements into SQL text once per dialect, which the hot paths run on
the driver's cursor directly.

Times are ISO-8601 UTC with milliseconds; ``duration_ms`` is ended - started in
whole milliseconds (never negative), for executions only; ``by_user`` and
``by_client`` say who made the state, where the server knows (model.CLIENTS);
``cell_index`` is where ``cell_id`` sits in the state's cells (how people name a
cell: "cell 3"); ``sources_key`` fingerprints the state's sources (cell order,
types and texts), so a reader can tell that a run changed no source of the
edit before it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Select, Text, bindparam, case, cast, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.elements import ColumnElement

from .reads import SUMMARY_KEYS
from .schema import states

KEYS = SUMMARY_KEYS

DIALECTS: dict[str, Any] = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


def _iso(ts: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.to_char(
            func.timezone("UTC", func.to_timestamp(ts)), 'YYYY-MM-DD"T"HH24:MI:SS.MS"+00:00"'
        )
    return func.strftime("%Y-%m-%dT%H:%M:%f+00:00", ts, "unixepoch")


def _fingerprint(key: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """The first 8 bytes of a state's sources key, in hex: equal for equal sources."""
    if dialect == "postgresql":
        return func.encode(func.substring(key, 1, 8), "hex")
    return func.lower(func.hex(func.substr(key, 1, 8)))


def columns(dialect: str, table: Any = states) -> list[ColumnElement[Any]]:
    """Return the summary's columns of ``table`` (``states`` or an alias), labelled by key."""
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
    return [exprs[key].label(key) for key in KEYS]


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


def _page(dialect: str) -> Any:
    """The summaries of one page of the log, as a subquery ``page``.

    Params ``nb``, ``since``, ``until``, ``limit``: the states with
    ``since < seq <= until``, oldest first, at most ``limit``.
    """
    return (
        select(*columns(dialect))
        .where(
            states.c.notebook_id == bindparam("nb"),
            states.c.seq > bindparam("since"),
            states.c.seq <= bindparam("until"),
        )
        .order_by(states.c.seq)
        .limit(bindparam("limit"))
        .subquery("page")
    )


def _page_of(page: Any, aggregate: ColumnElement[Any]) -> Select[Any]:
    """``aggregate`` over ``page``, with the page's last ``seq`` and its size."""
    return select(aggregate, func.max(page.c.seq), func.count())


def log_json_select(dialect: str) -> Select[Any]:
    """One page of the log as a JSON array text, with its last ``seq`` and its size
    (params as ``_page``)."""
    page = _page(dialect)
    pairs: list[Any] = []
    for key in KEYS:
        pairs += [literal(key), page.c[key]]
    array: ColumnElement[Any]
    if dialect == "postgresql":
        obj = func.json_build_object(*pairs)
        array = cast(func.json_agg(aggregate_order_by(obj, page.c.seq)), Text)
    else:  # SQLite keeps the subquery's order in json_group_array
        array = func.json_group_array(func.json_object(*pairs))
    return _page_of(page, func.coalesce(array, "[]"))


def log_text_select(dialect: str) -> Select[Any]:
    """One page of the log as the command line prints it, one line per state, with
    its last ``seq`` and its size (params as ``_page``, and ``head``, the state
    marked ``*``).

    A line: the head mark, the id's first 12 digits, the time to the second,
    event, status, ``[execution count]``, preview, ``(label)``. Formatted by
    the database as the JSON log is: 10,000 lines take no Python objects.
    """
    page = _page(dialect)
    c = page.c
    mark = case((c.id == bindparam("head"), literal("*")), else_=literal(" "))
    count = case(
        (c.execution_count.is_(None), literal("")),
        else_=literal("[") + cast(c.execution_count, Text) + literal("]"),
    )
    label = case(
        (func.coalesce(c.label, "") == "", literal("")),
        else_=literal(" (") + c.label + literal(")"),
    )
    when = func.replace(func.substr(c.time, 1, 19), "T", " ")
    parts = (mark, func.substr(c.id, 1, 12), when, c.event, func.coalesce(c.status, ""))
    fmt = "%s %s  %s  %-8s %-11s %-6s %s%s"
    line = (func.format if dialect == "postgresql" else func.printf)(
        fmt, *parts, count, c.preview, label
    )
    lines: ColumnElement[Any]
    if dialect == "postgresql":
        lines = func.string_agg(line, aggregate_order_by(literal("\n"), c.seq))
    else:  # as log_json_select: SQLite keeps the subquery's order
        lines = func.group_concat(line, literal("\n"))
    return _page_of(page, func.coalesce(lines, ""))


@cache
def compiled(name: str, dialect: str = "sqlite") -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """Return the statement ``name`` as SQL text for ``dialect``, with the names of its
    positional parameters in order and the values of its constants (for ``driver_args``).

    Compiled once per process: the hot paths run it on the driver's own cursor.
    """
    stmt = {"log": log_select, "log_json": log_json_select, "log_text": log_text_select}[name](
        dialect
    )
    sql = stmt.compile(dialect=DIALECTS[dialect])
    return str(sql), tuple(sql.positiontup or ()), dict(sql.params)


def driver_args(name: str, dialect: str = "sqlite", **values: Any) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL text of ``name`` and its positional arguments for ``values``."""
    sql, order, constants = compiled(name, dialect)
    return sql, tuple(values[n] if n in values else constants[n] for n in order)
