"""What happens to a history after its states are made: restore, rename, delete,
label, and the executions a server leaves running.

``TreeOperations`` is the part of ``History`` (store/history.py) that the user's
requests and the server's lifecycle call on: a restore makes a state from an
older one (whole, or one cell); a rename or a deletion of the notebook moves or
frees its path, keeping the history; a label names a state; a running cell's
outputs so far are kept (``running``) and, when a server restarts, turned into
``incomplete`` states. On the writer thread, inside its transaction.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, bindparam, select

from .. import model
from ..identity import default_owner
from ..model import Execution
from . import log_pages
from .blobs import pack_running, unpack_running
from .content import load_refs
from .history_base import HistoryBase
from .reads import load_versions
from .schema import notebooks, running, states
from .statements import runner_for

# A notebook's Head, its row locked: FOR UPDATE on PostgreSQL (SQLite's BEGIN
# IMMEDIATE already holds the one write lock)
LOCK_NOTEBOOK = (
    select(notebooks.c.head_id).where(notebooks.c.id == bindparam("nb")).with_for_update()
)


class TreeOperations(HistoryBase):
    """``History``'s operations on a recorded tree (a mixin: ``History`` provides what
    it uses)."""

    def record_progress(self, conn: Connection, ex: Execution) -> None:
        """Keep a running execution's outputs so far (replacing the previous ones)."""
        nb_id = self.notebook_id(conn, ex.abs_path) if ex.abs_path else None
        values = dict(
            owner=self.owner,
            server=self.server,
            notebook_id=nb_id,
            kernel_id=ex.kernel_id,
            code=model.column_text(ex.code),  # a text column: no lone surrogates, no NUL
            cell_id=model.column_text(ex.cell_id) if ex.cell_id else None,
            execution_count=ex.execution_count,
            started=ex.started,
            updated=time.time(),
            outputs=pack_running(ex.outputs),
        )
        updated = conn.execute(running.update().where(running.c.key == ex.key).values(**values))
        if updated.rowcount == 0:
            conn.execute(running.insert().values(key=ex.key, **values))
        self.progressed.add(ex.key)

    def restore(
        self, conn: Connection, abs_path: str, state_id: str, cell_id: str | None = None
    ) -> dict[str, Any]:
        """Make a restore state from ``state_id`` (whole, or one cell); return it with its cells.

        Raises LookupError if the state or the cell is not in this notebook.
        """
        nb_id = self.notebook_id(conn, abs_path, create=False)
        row = conn.execute(select(states).where(states.c.id == state_id)).first()
        if nb_id is None or row is None or row.notebook_id != nb_id:
            raise LookupError(f"no state {state_id} in this notebook")
        head = self.head(conn, nb_id)
        _, target = load_refs(conn, row.layout_blob)
        try:
            cells = model.restored_cells(head.cells, target, cell_id)
        except KeyError:
            raise LookupError(f"state {state_id[:12]} has no cell {cell_id}") from None
        # a cell by its place (people do not know cell ids), as in the restored state
        place = next((i for i, c in enumerate(target) if c.cell_id == cell_id), 0)
        what = f"cell {place + 1} of " if cell_id else ""
        new_id = self.make_state(
            conn,
            nb_id,
            "restore",
            cells,
            parent=head,
            cell_id=cell_id,
            restored_from=state_id,
            metadata_blob=row.metadata_blob if cell_id is None else head.metadata_blob,
            preview=f"restored {what}{state_id[:12]}",
        )
        version_ids = self.heads[nb_id].version_ids
        return {"state": new_id, "cells": load_versions(runner_for(conn), version_ids)}

    def rename(self, conn: Connection, old_abs: str, new_abs: str) -> int:
        """Follow a rename or move of a notebook or a folder; return how many notebooks moved."""
        rows = conn.execute(
            select(notebooks.c.id, notebooks.c.abs_path).where(
                notebooks.c.owner == self.owner,
                notebooks.c.deleted.is_(None),
                (notebooks.c.abs_path == old_abs) | notebooks.c.abs_path.startswith(old_abs + "/"),
            )
        ).all()
        self.notebooks.clear()
        for r in rows:
            conn.execute(
                notebooks.update()
                .where(notebooks.c.id == r.id)
                .values(abs_path=new_abs + r.abs_path[len(old_abs) :])
            )
        return len(rows)

    def mark_deleted(self, conn: Connection, abs_path: str) -> None:
        """Keep a deleted notebook's history, but free its path for a new file."""
        self.notebooks.pop(abs_path, None)
        conn.execute(
            notebooks.update()
            .where(
                notebooks.c.owner == self.owner,
                notebooks.c.abs_path == abs_path,
                notebooks.c.deleted.is_(None),
            )
            .values(deleted=time.time())
        )

    def set_label(self, conn: Connection, state_id: str, label: str | None) -> dict[str, Any]:
        """Label a state (None removes it); return ``{"state", "label", "changed"}``."""
        label = model.column_text(label) if label is not None else None
        found = conn.execute(
            select(states.c.notebook_id, states.c.seq).where(states.c.id == state_id)
        ).first()
        if found is None:
            return {"state": state_id, "label": label, "changed": False}
        nb_id = found.notebook_id
        # the notebook's lock (PostgreSQL; SQLite has one writer): a kept log page
        # being made meanwhile (log_pages.fill) is made before the label or after it
        conn.execute(LOCK_NOTEBOOK, {"nb": nb_id})
        result = conn.execute(states.update().where(states.c.id == state_id).values(label=label))
        log_pages.refresh(conn, nb_id, found.seq)
        if result.rowcount:
            path = conn.execute(
                select(notebooks.c.abs_path).where(notebooks.c.id == nb_id)
            ).scalar_one()
            self.paths.setdefault(nb_id, path)
            self._changed(nb_id, "label", state_id, label=label)
        return {"state": state_id, "label": label, "changed": result.rowcount > 0}

    def recover_running(self, conn: Connection) -> int:
        """Turn executions this server left running when it stopped into ``incomplete``
        states. Other owners' and other servers' running executions are theirs."""
        mine = running.c.owner == self.owner
        if self.owner == default_owner():  # rows from before owners were recorded
            mine = mine | running.c.owner.is_(None)
        rows = conn.execute(
            select(running)
            .where(mine, running.c.server.is_(None) | (running.c.server == self.server))
            .order_by(running.c.started)
        ).all()
        count = 0
        for r in rows:
            nb_path = None
            if r.notebook_id is not None:
                nb_path = conn.execute(
                    select(notebooks.c.abs_path).where(notebooks.c.id == r.notebook_id)
                ).scalar_one_or_none()
            ex = Execution(
                abs_path=nb_path,
                kernel_id=r.kernel_id or "",
                msg_id=r.key.split("/")[-1],
                cell_id=r.cell_id,
                code=r.code or "",
                outputs=unpack_running(r.outputs) if r.outputs else [],
                execution_count=r.execution_count,
                status="incomplete",
                started=r.started,
                ended=r.updated,
            )
            conn.execute(running.delete().where(running.c.key == r.key))
            if self.record_execution(conn, ex) is not None:
                count += 1
        return count
