"""Explicit, opt-in pruning of old history (``jupyter branch gc``). Nothing runs by itself.

States older than a cutoff go, except labelled states and Heads; their children
are re-attached to the nearest kept ancestor so the tree stays a tree. Then cell
versions and blobs nothing refers to any more go too (and out of the search
index); an image stored as a blob of its own stays while an outputs list names it.
The pruned notebooks' kept log pages (``log_pages.py``) are made again.
On SQLite the file then shrinks by what was removed (``compact.shrink``).

A dry run (``collect``) only reads, on a read connection: a running server's
writer never waits for it. Pruning (``prune``) writes, so it refuses while a
Jupyter server records into the same store (its writer would wait on the lock,
and its caches would name rows that are gone): stop the server first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update

from ..identity import default_owner
from ..status import servers_using, store_key
from . import blobs as codec
from . import log_pages, search
from .compact import shrink
from .content import read_layout
from .engine import StoreEngines, open_reader, open_store
from .migrations import check_schema
from .schema import blobs, cell_versions, notebooks, state_cells, states

CHUNK = 500
# made for a prune's transaction only (SQLite), to find the children of what goes;
# PostgreSQL keeps ix_states_parent
PARENT_INDEX = "ix_states_parent_gc"


class ServerRunning(RuntimeError):
    """A live Jupyter server records into the store that was to be pruned."""


@dataclass
class Plan:
    """What a prune removes: states (with their parents), cell versions, blobs."""

    states: list[Any] = field(default_factory=list)  # rows of (id, parent_id, notebook_id)
    versions: set[int] = field(default_factory=set)
    blobs: set[int] = field(default_factory=set)
    freed: int = 0  # compressed bytes of those blobs

    def report(self) -> dict[str, int]:
        return {
            "states": len(self.states),
            "cell_versions": len(self.versions),
            "blobs": len(self.blobs),
            "bytes": int(self.freed),
        }


def _chunks(ids: list[Any]) -> Any:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _candidates(conn: Connection, cutoff: float, notebook: str | None, owner: str) -> list[Any]:
    heads = select(notebooks.c.head_id).where(notebooks.c.head_id.is_not(None))
    query = (
        select(states.c.id, states.c.parent_id, states.c.notebook_id)
        .where(
            states.c.created < cutoff,
            states.c.label.is_(None),
            states.c.id.not_in(heads),
        )
        .order_by(states.c.notebook_id, states.c.seq.desc())
    )
    mine = select(notebooks.c.id).where(notebooks.c.owner == owner)
    if notebook is not None:
        mine = mine.where(notebooks.c.abs_path == notebook)
    query = query.where(states.c.notebook_id.in_(mine))
    return list(conn.execute(query))


def _orphans(conn: Connection, doomed: set[str]) -> tuple[set[int], set[int]]:
    """Return ids of cell versions and blobs that no state outside ``doomed`` reaches."""
    used_versions: set[int] = set()
    used_blobs: set[int] = set()
    for row in conn.execute(
        select(
            states.c.id,
            states.c.layout_blob,
            states.c.code_blob,
            states.c.outputs_blob,
            states.c.metadata_blob,
        )
    ):
        if row.id in doomed:
            continue
        used_versions.update(read_layout(conn, row.layout_blob))
        used_blobs.update(b for b in row[1:] if b is not None)
    used_versions.update(
        r.version_id
        for r in conn.execute(select(state_cells.c.state_id, state_cells.c.version_id))
        if r.state_id not in doomed
    )
    all_versions = {r[0] for r in conn.execute(select(cell_versions.c.id))}
    dead_versions = all_versions - used_versions
    for version in conn.execute(
        select(
            cell_versions.c.id,
            cell_versions.c.source_blob,
            cell_versions.c.outputs_blob,
            cell_versions.c.metadata_blob,
        )
    ):
        if version.id not in dead_versions:
            used_blobs.update(b for b in version[1:] if b is not None)
    # an image split out of an outputs list (blobs.PARTS) lives as long as a list naming it
    for chunk in _chunks(sorted(used_blobs)):
        listed = select(blobs.c.data).where(blobs.c.id.in_(chunk), blobs.c.codec == codec.PARTS)
        for row in conn.execute(listed):
            used_blobs.update(codec.part_ids(row.data))
    all_blobs = {r[0] for r in conn.execute(select(blobs.c.id))}
    return dead_versions, all_blobs - used_blobs


def plan(
    conn: Connection, older_than_days: float, notebook: str | None = None, owner: str = ""
) -> Plan:
    """Return what pruning ``owner``'s history would remove now; reads only."""
    cutoff = time.time() - older_than_days * 86400
    doomed = _candidates(conn, cutoff, notebook, owner)
    dead_versions, dead_blobs = _orphans(conn, {r.id for r in doomed})
    freed = 0
    for chunk in _chunks(list(dead_blobs)):
        freed += conn.execute(
            select(func.coalesce(func.sum(func.length(blobs.c.data)), 0)).where(
                blobs.c.id.in_(chunk)
            )
        ).scalar_one()
    return Plan(doomed, dead_versions, dead_blobs, int(freed))


def collect(
    engines: StoreEngines,
    *,
    older_than_days: float,
    notebook: str | None = None,
    owner: str | None = None,
) -> dict[str, int]:
    """Count what pruning would remove (a dry run, on a read connection).

    Returns counts of states, cell versions and blobs, and the compressed bytes.
    """
    with engines.reader.connect() as conn:
        return plan(conn, older_than_days, notebook, owner or default_owner()).report()


def _kept_ancestors(found: Plan) -> Callable[[str | None], str | None]:
    """Return a function giving, for a state, itself if it is kept, else its nearest
    kept ancestor (None: none is kept), walking each removed chain once."""
    parent_of = {row.id: row.parent_id for row in found.states}
    resolved: dict[str, str | None] = {}

    def kept(state_id: str | None) -> str | None:
        trail = []
        while state_id is not None and state_id in parent_of:
            if state_id in resolved:
                state_id = resolved[state_id]
                break
            trail.append(state_id)
            state_id = parent_of[state_id]
        for removed in trail:
            resolved[removed] = state_id
        return state_id

    return kept


def apply_plan(conn: Connection, found: Plan) -> None:
    """Remove what ``found`` lists, inside the caller's write transaction.

    A kept state whose parent goes is re-attached to its nearest kept ancestor,
    worked out in memory: one update per re-attached state (an update per
    removed state moved the same children once for every removed ancestor:
    minutes for 50,000 states of a 100,000-state store).
    """
    kept = _kept_ancestors(found)
    doomed = [row.id for row in found.states]
    gone = set(doomed)
    moves = []
    for chunk in _chunks(doomed):
        children = select(states.c.id, states.c.parent_id).where(states.c.parent_id.in_(chunk))
        for child in conn.execute(children):
            if child.id not in gone:
                moves.append({"child": child.id, "parent": kept(child.parent_id)})
    if moves:
        conn.execute(
            update(states)
            .where(states.c.id == bindparam("child"))
            .values(parent_id=bindparam("parent")),
            moves,
        )
    for chunk in _chunks(doomed):
        conn.execute(delete(state_cells).where(state_cells.c.state_id.in_(chunk)))
        conn.execute(delete(states).where(states.c.id.in_(chunk)))
    for chunk in _chunks(list(found.versions)):
        conn.execute(delete(cell_versions).where(cell_versions.c.id.in_(chunk)))
    search.unindex_blobs(conn, list(found.blobs))
    for chunk in _chunks(list(found.blobs)):
        conn.execute(delete(blobs).where(blobs.c.id.in_(chunk)))
    # their logs' pages now hold other states: kept again
    touched = {int(row.notebook_id) for row in found.states}
    log_pages.drop(conn, touched)
    for nb_id in sorted(touched):
        log_pages.fill(conn, nb_id)


def _apply_on_sqlite(conn: Connection, found: Plan) -> None:
    """``apply_plan`` with SQLite's foreign keys checked once, after it, not per row.

    SQLite has no index on the columns that refer to a blob or a state (the
    server never looks them up), so checking each removed row's referrers would
    read whole tables once per row: hours for a large prune. Instead, with
    enforcement off, the prune runs and ``PRAGMA foreign_key_check`` then reads
    every reference once; one dangling reference and the prune rolls back.
    """
    if found.states:  # to find the children of what goes
        conn.exec_driver_sql(f"CREATE INDEX {PARENT_INDEX} ON states (parent_id)")
    apply_plan(conn, found)
    if found.states:
        conn.exec_driver_sql(f"DROP INDEX {PARENT_INDEX}")
    dangling = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if dangling:
        raise RuntimeError(
            f"the prune would leave {len(dangling)} dangling references (first: "
            f"{tuple(dangling[0])}); nothing was removed"
        )


def prune(
    url: str | None,
    *,
    older_than_days: float,
    notebook: str | None = None,
    owner: str | None = None,
) -> dict[str, int]:
    """Remove what is older than ``older_than_days``; return the counts, as ``collect``.

    Raises ``ServerRunning`` if a live server records into this store, and
    ``SchemaTooOld``/``SchemaTooNew`` if the store is not at this code's schema
    (the command line never migrates).
    """
    open_reader(url).dispose()  # a store that is not there is not made by a prune
    engines = open_store(url, migrate_schema=False)
    try:
        where = store_key(engines.url, str(engines.path) if engines.path else None)
        running = servers_using(where)
        if running:
            pids = ", ".join(str(s.get("pid")) for s in running)
            raise ServerRunning(
                f"a Jupyter server (pid {pids}) is recording into {where}; stop it, then "
                "run gc again (its writer would wait for the prune, and a prune must not "
                "remove what it is writing)"
            )
        with engines.writer.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            # checked once at the end instead (_apply_on_sqlite); SQLite takes this pragma
            # outside a transaction only, so on the driver's connection, before BEGIN
            driver: Any = conn.connection.driver_connection if sqlite else None
            if driver is not None:
                driver.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    check_schema(conn, to_write=True)
                    found = plan(conn, older_than_days, notebook, owner or default_owner())
                    if driver is not None:
                        _apply_on_sqlite(conn, found)
                    else:
                        apply_plan(conn, found)
            finally:
                if driver is not None:
                    driver.execute("PRAGMA foreign_keys=ON")
        with engines.writer.connect() as conn:
            shrink(conn)  # the file shrinks by what was removed
        return found.report()
    finally:
        engines.dispose()
