"""The reads the REST API and the command line share, each defined once as a statement.

Every statement here is a SQLAlchemy construct with named parameters, built per
dialect (the state summary's columns differ: ``summary.py``). Two runners
execute them: ``SQLRunner`` through a SQLAlchemy connection (the server, and the
command line on PostgreSQL), and the command line's ``lite.LiteRunner`` through
the standard library's ``sqlite3``, with the SQL text ``sqlgen.py`` compiled
from these very statements (checked by a test), so the command line starts
without importing SQLAlchemy. Rows come back as mappings, column name to value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, column, func, literal, or_, select, table

from . import summary
from .migrations import migrations_table
from .schema import blobs, cell_versions, log_pages, notebooks, running, shares, states

Builder = Callable[[str], Select[Any]]


def _find_notebook(dialect: str) -> Select[Any]:
    """``whose`` notebook at ``path``, live first, if ``me`` may read it."""
    readable = or_(
        notebooks.c.owner == bindparam("me"),
        notebooks.c.id.in_(select(shares.c.notebook_id).where(shares.c.grantee == bindparam("me"))),
    )
    return (
        select(notebooks)
        .where(notebooks.c.abs_path == bindparam("path"), notebooks.c.owner == bindparam("whose"))
        .where(readable)
        .order_by(notebooks.c.deleted.is_not(None), notebooks.c.id.desc())
        .limit(1)
    )


def _running(dialect: str) -> Select[Any]:
    return (
        select(running.c.key, running.c.cell_id, running.c.code, running.c.started)
        .where(running.c.notebook_id == bindparam("nb"))
        .order_by(running.c.started)
    )


def _resolve(dialect: str) -> Select[Any]:
    """States of ``nb`` whose id is in [lo, hi): a prefix and the prefix + 'g'.

    The id range is what narrows it down; ``notebook_id + 0`` keeps a planner
    without statistics (SQLite) from walking every state of the notebook by
    its index instead (47 ms at 100,000 states, 0.2 ms by the id)."""
    return (
        select(states.c.id)
        .where(
            states.c.notebook_id + 0 == bindparam("nb"),
            states.c.id >= bindparam("lo"),
            states.c.id < bindparam("hi"),
        )
        .limit(2)
    )


def _state(dialect: str) -> Select[Any]:
    return select(
        *summary.columns(dialect),
        states.c.metadata_blob,
        states.c.layout_blob,
        states.c.code_blob,
        states.c.outputs_blob,
        states.c.kernel_id,
        states.c.started.label("started_at"),
        states.c.ended.label("ended_at"),
    ).where(states.c.id == bindparam("state"), states.c.notebook_id == bindparam("nb"))


def _versions(dialect: str) -> Select[Any]:
    """The cell versions ``ids`` (a list) with their blobs' codec and data."""
    sb, ob, mb = blobs.alias("sb"), blobs.alias("ob"), blobs.alias("mb")
    return (
        select(
            cell_versions.c.id,
            cell_versions.c.cell_id,
            cell_versions.c.cell_type,
            cell_versions.c.execution_count,
            sb.c.codec.label("s_codec"),
            sb.c.data.label("s_data"),
            ob.c.codec.label("o_codec"),
            ob.c.data.label("o_data"),
            mb.c.codec.label("m_codec"),
            mb.c.data.label("m_data"),
        )
        .join(sb, sb.c.id == cell_versions.c.source_blob)
        .outerjoin(ob, ob.c.id == cell_versions.c.outputs_blob)
        .outerjoin(mb, mb.c.id == cell_versions.c.metadata_blob)
        .where(cell_versions.c.id.in_(bindparam("ids", expanding=True)))
    )


def _blob(dialect: str) -> Select[Any]:
    return select(blobs.c.codec, blobs.c.data).where(blobs.c.id == bindparam("id"))


def _mine() -> Any:
    return select(notebooks.c.id).where(notebooks.c.owner == bindparam("owner"))


def _counts(dialect: str) -> Select[Any]:
    """What ``owner``'s history holds: one row of counts and sizes."""

    def count(table: Any) -> Any:
        return (
            select(func.count())
            .select_from(table)
            .where(table.c.notebook_id.in_(_mine()))
            .scalar_subquery()
        )

    owned_blobs = select(blobs.c.size, blobs.c.data).where(blobs.c.notebook_id.in_(_mine()))
    b = owned_blobs.subquery("b")
    totals = select(
        func.count().label("blobs"),
        func.coalesce(func.sum(b.c.size), 0).label("content_bytes"),
        func.coalesce(func.sum(func.length(b.c.data)), 0).label("stored_bytes"),
    ).subquery("totals")
    notebooks_count = (
        select(func.count())
        .select_from(notebooks)
        .where(notebooks.c.owner == bindparam("owner"))
        .scalar_subquery()
    )
    return select(
        notebooks_count.label("notebooks"),
        count(states).label("states"),
        count(cell_versions).label("cell_versions"),
        totals.c.blobs,
        totals.c.content_bytes,
        totals.c.stored_bytes,
        count(running).label("running"),
    )


def _notebooks(dialect: str) -> Select[Any]:
    """``owner``'s notebooks, then those shared with them, with state counts."""
    counts = (
        select(
            states.c.notebook_id,
            func.count().label("n"),
            func.max(states.c.created).label("last"),
        )
        .group_by(states.c.notebook_id)
        .subquery("counts")
    )
    owner: Any = bindparam("owner")
    visible = or_(
        notebooks.c.owner == owner,
        notebooks.c.id.in_(select(shares.c.notebook_id).where(shares.c.grantee == owner)),
    )
    return (
        select(notebooks, counts.c.n, counts.c.last)
        .outerjoin(counts, counts.c.notebook_id == notebooks.c.id)
        .where(visible)
        .order_by(notebooks.c.owner != owner, notebooks.c.owner, notebooks.c.abs_path)
    )


def _migrations(dialect: str) -> Select[Any]:
    return select(migrations_table.c.name).order_by(migrations_table.c.name)


def _last_seq(dialect: str) -> Select[Any]:
    return select(func.coalesce(func.max(states.c.seq), literal(0)).label("seq")).where(
        states.c.notebook_id == bindparam("nb")
    )


def _log_page(column: str) -> Builder:
    def build(dialect: str) -> Select[Any]:
        """The kept page of ``nb``'s log that follows ``since`` (``log_pages.py``), if
        it ends by ``until``: its last ``seq`` and its compressed ``column``."""
        return select(log_pages.c.last_seq, log_pages.c[column].label("data")).where(
            log_pages.c.notebook_id == bindparam("nb"),
            log_pages.c.after_seq == bindparam("since"),
            log_pages.c.last_seq <= bindparam("until"),
        )

    return build


def _seq_of(dialect: str) -> Select[Any]:
    return select(states.c.seq).where(states.c.id == bindparam("state"))


def _has_log_pages(dialect: str) -> Select[Any]:
    """A row if the store keeps log pages (SQLite makes the table with the first one)."""
    if dialect == "postgresql":
        return select(literal(1).label("found")).where(
            func.to_regclass(literal("log_pages")).is_not(None)
        )
    master = table("sqlite_master", column("type"), column("name"))
    return select(literal(1).label("found")).where(
        master.c.type == literal("table"), master.c.name == literal("log_pages")
    )


STATEMENTS: dict[str, Builder] = {
    "migrations": _migrations,
    "find_notebook": _find_notebook,
    "log": summary.log_select,
    "log_json": summary.log_json_select,
    "log_text": summary.log_text_select,
    "log_page_json": _log_page("json_data"),
    "log_page_lines": _log_page("lines_data"),
    "seq_of": _seq_of,
    "has_log_pages": _has_log_pages,
    "last_seq": _last_seq,
    "running": _running,
    "resolve": _resolve,
    "state": _state,
    "versions": _versions,
    "blob": _blob,
    "counts": _counts,
    "notebooks": _notebooks,
}


@cache
def _built(name: str, dialect: str) -> Select[Any]:
    """Statement ``name`` for ``dialect``, built once per process."""
    return STATEMENTS[name](dialect)


class SQLRunner:
    """Runs the statements through a SQLAlchemy connection."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.dialect = str(conn.dialect.name)

    def rows(self, name: str, **params: Any) -> list[Mapping[str, Any]]:
        """Run statement ``name``; return its rows as mappings."""
        return [row._mapping for row in self.conn.execute(_built(name, self.dialect), params)]

    def first(self, name: str, **params: Any) -> Mapping[str, Any] | None:
        found = self.rows(name, **params)
        return found[0] if found else None


def runner_for(conn: Any) -> Any:
    """The runner for a SQLAlchemy connection: on SQLite, the compiled text on its
    ``sqlite3`` connection (``lite.LiteRunner``); elsewhere ``SQLRunner``."""
    if conn.dialect.name == "sqlite":
        from .lite import LiteRunner

        return LiteRunner(conn.connection.driver_connection)
    return SQLRunner(conn)
