"""The writer's hot statements on SQLite, run on the driver's cursor.

Recording an execution runs about ten small statements; through SQLAlchemy's
execution machinery each costs several times what SQLite takes to run it
(``bench/``: most of the writer's CPU per execution). Here each SQLAlchemy
statement is compiled once (per set of keys for an insert) into SQLite's text
and run on the connection's own ``sqlite3`` cursor, in the same transaction.
Other databases take SQLAlchemy's path, unchanged. The statements stay defined
once, where they are used (``history.py``, ``content.py``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import sqlite

_DIALECT = sqlite.dialect(paramstyle="qmark")
_COMPILED: dict[tuple[int, tuple[str, ...]], tuple[str, tuple[str, ...], dict[str, Any]]] = {}


def _compiled(statement: Any, keys: tuple[str, ...]) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    found = _COMPILED.get((id(statement), keys))
    if found is None:
        compiled = statement.compile(dialect=_DIALECT, column_keys=list(keys))
        order = tuple(compiled.positiontup or ())
        found = (str(compiled), order, dict(compiled.params))
        _COMPILED[(id(statement), keys)] = found
    return found


def _args(order: tuple[str, ...], constants: dict[str, Any], params: dict[str, Any]) -> tuple:
    return tuple(params[k] if k in params else constants[k] for k in order)


def fetch_one(conn: Connection, statement: Any, params: dict[str, Any]) -> Any:
    """Run a select; return its first row (a tuple, or a SQLAlchemy row) or None."""
    if conn.dialect.name != "sqlite":
        return conn.execute(statement, params).first()
    sql, order, constants = _compiled(statement, tuple(sorted(params)))
    driver = conn.connection.driver_connection
    assert driver is not None
    return driver.execute(sql, _args(order, constants, params)).fetchone()


def write(conn: Connection, statement: Any, params: dict[str, Any]) -> tuple[int, int | None]:
    """Run an insert, update or delete; return (rows changed, id of the row inserted)."""
    if conn.dialect.name != "sqlite":
        result = conn.execute(statement, params)
        inserted = None
        if result.rowcount and getattr(result.context, "isinsert", False):
            inserted = result.inserted_primary_key[0]  # type: ignore[index]
        return result.rowcount, inserted
    sql, order, constants = _compiled(statement, tuple(sorted(params)))
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.execute(sql, _args(order, constants, params))
    return cursor.rowcount, cursor.lastrowid


def write_many(conn: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """Run an insert for several rows with the same keys."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(statement, rows)
        return
    sql, order, constants = _compiled(statement, tuple(sorted(rows[0])))
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.executemany(sql, [_args(order, constants, row) for row in rows])
