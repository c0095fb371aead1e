"""Explicit, opt-in pruning of old history (``jupyter branch gc``). Nothing runs by itself.

States older than a cutoff go, except labelled states and Heads; their children
are re-attached to the nearest kept ancestor so the tree stays a tree. Then cell
versions and blobs nothing refers to any more go too (and out of the search
index). A dry run (the default) counts without deleting.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from . import search
from .content import read_layout
from .engine import StoreEngines
from .schema import blobs, cell_versions, notebooks, state_cells, states


def _candidates(conn: Connection, cutoff: float, notebook: str | None) -> list[Any]:
    heads = select(notebooks.c.head_id).where(notebooks.c.head_id.is_not(None))
    query = (
        select(states.c.id, states.c.parent_id)
        .where(
            states.c.created < cutoff,
            states.c.label.is_(None),
            states.c.id.not_in(heads),
        )
        .order_by(states.c.notebook_id, states.c.seq.desc())
    )
    if notebook is not None:
        nb_ids = select(notebooks.c.id).where(notebooks.c.abs_path == notebook)
        query = query.where(states.c.notebook_id.in_(nb_ids))
    return list(conn.execute(query))


def _orphans(conn: Connection) -> tuple[set[int], set[int]]:
    """Return ids of cell versions and blobs no kept state reaches."""
    used_versions: set[int] = set()
    used_blobs: set[int] = set()
    for row in conn.execute(
        select(
            states.c.layout_blob, states.c.code_blob, states.c.outputs_blob, states.c.metadata_blob
        )
    ):
        used_versions.update(read_layout(conn, row.layout_blob))
        used_blobs.update(b for b in row if b is not None)
    used_versions.update(r[0] for r in conn.execute(select(state_cells.c.version_id)))
    all_versions = {r[0] for r in conn.execute(select(cell_versions.c.id))}
    dead_versions = all_versions - used_versions
    for row in conn.execute(
        select(
            cell_versions.c.id,
            cell_versions.c.source_blob,
            cell_versions.c.outputs_blob,
            cell_versions.c.metadata_blob,
        )
    ):
        if row.id not in dead_versions:
            used_blobs.update(b for b in row[1:] if b is not None)
    all_blobs = {r[0] for r in conn.execute(select(blobs.c.id))}
    return dead_versions, all_blobs - used_blobs


def collect(
    engines: StoreEngines,
    *,
    older_than_days: float,
    notebook: str | None = None,
    apply: bool = False,
) -> dict[str, int]:
    """Prune (or, without ``apply``, count) what is older than ``older_than_days``.

    Returns counts of states, cell versions and blobs, and the compressed bytes freed.
    """
    cutoff = time.time() - older_than_days * 86400
    with engines.writer.connect() as conn:
        transaction = conn.begin()
        doomed = _candidates(conn, cutoff, notebook)
        for row in doomed:
            conn.execute(
                update(states).where(states.c.parent_id == row.id).values(parent_id=row.parent_id)
            )
        ids = [r.id for r in doomed]
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            conn.execute(delete(state_cells).where(state_cells.c.state_id.in_(chunk)))
            conn.execute(delete(states).where(states.c.id.in_(chunk)))
        dead_versions, dead_blobs = _orphans(conn)
        freed = 0
        if dead_blobs:
            ids_b = list(dead_blobs)
            for i in range(0, len(ids_b), 500):
                freed += conn.execute(
                    select(func.coalesce(func.sum(func.length(blobs.c.data)), 0)).where(
                        blobs.c.id.in_(ids_b[i : i + 500])
                    )
                ).scalar_one()
        if apply:
            versions_l, blobs_l = list(dead_versions), list(dead_blobs)
            for i in range(0, len(versions_l), 500):
                conn.execute(
                    delete(cell_versions).where(cell_versions.c.id.in_(versions_l[i : i + 500]))
                )
            search.unindex_blobs(conn, blobs_l)
            for i in range(0, len(blobs_l), 500):
                conn.execute(delete(blobs).where(blobs.c.id.in_(blobs_l[i : i + 500])))
            transaction.commit()
        else:
            transaction.rollback()
    return {
        "states": len(ids),
        "cell_versions": len(dead_versions),
        "blobs": len(dead_blobs),
        "bytes": int(freed),
    }
