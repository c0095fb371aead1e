"""Making states: the writer-side operations on the tree, one transaction each.

Everything here runs on the writer thread with a connection inside a
transaction. It turns what happened (an execution ended, the document changed,
the file was saved or changed on disk, the user restored a state) into new
states under the rules of ``model``, keeps each notebook's Head, and caches the
Heads it touched (bounded) so a new state costs a few inserts.

``History`` is one class in four modules: here its notebooks, Heads, new
states, document reports and executions; states from the file in
``files.py``; display updates across cells in ``displays.py``; restore,
rename, deletion, labels and running executions in ``operations.py``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import model
from ..identity import default_owner, server_name
from ..model import CellRef, Execution, ReportedCell
from . import log_pages
from .content import ContentWriter, load_refs
from .displays import Displays, DisplayStates
from .fastexec import fetch_one, write, write_many
from .files import FileStates
from .operations import LOCK_NOTEBOOK, TreeOperations
from .reads import LOG_PAGE
from .schema import notebooks, running, state_cells, states

log = logging.getLogger("jupyter_branch")

HEAD_CACHE = 256
NOTEBOOK_CACHE = 1024

# Statements built once (see content.py)
_INSERT_STATE = states.insert()
_INSERT_STATE_CELLS = state_cells.insert()
_SET_HEAD = (
    notebooks.update().where(notebooks.c.id == bindparam("nb")).values(head_id=bindparam("head"))
)
_DELETE_RUNNING = running.delete().where(running.c.key == bindparam("k"))
_LIVE_NOTEBOOK = select(notebooks.c.id).where(
    notebooks.c.owner == bindparam("owner"),
    notebooks.c.abs_path == bindparam("path"),
    notebooks.c.deleted.is_(None),
)
_INSERT_NOTEBOOK = {
    dialect: make(notebooks).on_conflict_do_nothing(
        index_elements=["owner", "abs_path"], index_where=notebooks.c.deleted.is_(None)
    )
    for dialect, make in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
}
_STATE_OPTIONAL = (
    "by_user",
    "by_client",
    "cell_id",
    "cell_index",
    "execution_count",
    "status",
    "started",
    "ended",
    "code_blob",
    "outputs_blob",
    "restored_from",
    "kernel_id",
    "preview",
    "label",
)


@dataclass
class Head:
    """A notebook's Head as the writer needs it."""

    notebook_id: int
    state_id: str | None
    version_ids: list[int]
    cells: list[CellRef]
    sources_key: bytes | None
    metadata_blob: int | None
    next_seq: int


class History(FileStates, DisplayStates, TreeOperations):
    """The writer's view of the tree. Not thread-safe: one writer thread owns it."""

    def __init__(
        self,
        content: ContentWriter | None = None,
        read_notebook: Callable[[str], dict[str, Any] | None] | None = None,
        max_output_bytes: int = 5_000_000,
        on_notebook: Callable[[str], None] | None = None,
        owner: str | None = None,
        server: str | None = None,
    ) -> None:
        self.owner = owner if owner is not None else default_owner()
        self.server = server if server is not None else server_name()
        self.content = content or ContentWriter()
        self.read_notebook = read_notebook or (lambda _path: None)
        # told (on the writer thread) of each live notebook this history writes to
        self.on_notebook = on_notebook or (lambda _path: None)
        self.max_output_bytes = max_output_bytes
        self.heads: OrderedDict[int, Head] = OrderedDict()
        self.notebooks: OrderedDict[str, int] = OrderedDict()  # live notebooks by path
        self.progressed: set[str] = set()  # executions with a `running` row
        self.aliases: dict[int, dict[str, str]] = {}  # notebook -> {JupyterLab's id: ours}
        self.displays = Displays(max_output_bytes)
        # notebooks whose document a browser or the server's copy reports (bounded
        # by the notebook cache): their browsers' new cells are real cells
        self.reported: set[int] = set()
        self.paths: dict[int, str] = {}  # notebook id -> path, of the notebook cache
        # what the current transaction changed, told to listeners once it commits
        self.changes: list[dict[str, Any]] = []

    def take_changes(self) -> list[dict[str, Any]]:
        """Return (and clear) what the committed transaction changed, for listeners:
        ``{"action": "state"|"head"|"label", "abs_path", "state", "event"}``, and the
        new ``label`` (None: removed) of a label change."""
        changes, self.changes = self.changes, []
        return changes

    def _changed(
        self, nb_id: int, action: str, state_id: str | None, event: str | None = None, **more: Any
    ) -> None:
        path = self.paths.get(nb_id)
        if path is not None:
            self.changes.append(
                {"action": action, "abs_path": path, "state": state_id, "event": event, **more}
            )

    def forget(self) -> None:
        """Drop caches after a rolled-back transaction."""
        self.changes.clear()
        self.heads.clear()
        self.notebooks.clear()
        self.content.forget()
        self.displays.forget_counts()

    # -- notebooks and heads -------------------------------------------------

    def notebook_id(self, conn: Connection, abs_path: str, create: bool = True) -> int | None:
        """Return the id of the live notebook at ``abs_path``, creating it (seeded from disk)."""
        known = self.notebooks.get(abs_path)
        if known is not None:
            return known
        found = self._notebook_id(conn, abs_path, create)
        if found is not None:
            self.on_notebook(abs_path)
            self.notebooks[abs_path] = found
            self.paths[found] = abs_path
            if len(self.notebooks) > NOTEBOOK_CACHE:
                _, gone = self.notebooks.popitem(last=False)
                self.reported.discard(gone)
                self.paths.pop(gone, None)
        return found

    def _notebook_id(self, conn: Connection, abs_path: str, create: bool) -> int | None:
        found = conn.execute(_LIVE_NOTEBOOK, {"owner": self.owner, "path": abs_path}).first()
        if found is not None:
            return int(found.id)
        if not create:
            return None
        row = {"uid": uuid.uuid4().hex, "owner": self.owner, "abs_path": abs_path}
        made = conn.execute(_INSERT_NOTEBOOK[conn.dialect.name], {**row, "created": time.time()})
        if not made.rowcount:  # another server of this owner made it a moment ago
            again = {"owner": self.owner, "path": abs_path}
            return int(conn.execute(_LIVE_NOTEBOOK, again).one().id)
        nb_id = int(made.inserted_primary_key[0])  # type: ignore[index]
        on_disk = self.read_notebook(abs_path)
        if on_disk is not None:
            self._record_file_cells(conn, nb_id, on_disk, "save", "the file when history began")
        return int(nb_id)

    def head(self, conn: Connection, nb_id: int) -> Head:
        """Return the notebook's Head, its row locked until the transaction ends.

        Another server may share the store (a team's database): the cached Head
        is used only while the database still has it, so states are numbered and
        parented by the database's order, never by a stale cache.
        """
        locked = fetch_one(conn, LOCK_NOTEBOOK, {"nb": nb_id})
        assert locked is not None
        head_id = locked[0]
        cached = self.heads.get(nb_id)
        if cached is not None and cached.state_id == head_id:
            self.heads.move_to_end(nb_id)
            return cached
        next_seq = conn.execute(
            select(func.coalesce(func.max(states.c.seq), 0)).where(states.c.notebook_id == nb_id)
        ).scalar_one()
        head = Head(nb_id, None, [], [], None, None, int(next_seq) + 1)
        if head_id is not None:
            row = conn.execute(
                select(states.c.layout_blob, states.c.sources_key, states.c.metadata_blob).where(
                    states.c.id == head_id
                )
            ).one()
            head.state_id = head_id
            head.version_ids, head.cells = load_refs(conn, row.layout_blob)
            head.sources_key = row.sources_key
            head.metadata_blob = row.metadata_blob
        self.heads[nb_id] = head
        if len(self.heads) > HEAD_CACHE:
            self.heads.popitem(last=False)
        return head

    def move_head(self, conn: Connection, nb_id: int, state_id: str) -> None:
        conn.execute(notebooks.update().where(notebooks.c.id == nb_id).values(head_id=state_id))
        self.heads.pop(nb_id, None)
        self._changed(nb_id, "head", state_id)

    def make_state(
        self,
        conn: Connection,
        nb_id: int,
        event: str,
        cells: Sequence[CellRef],
        *,
        parent: Head | None = None,
        created: float | None = None,
        metadata_blob: int | None = None,
        **columns: Any,
    ) -> str:
        """Insert a state with ``cells`` as a child of Head, move Head onto it; return its id."""
        head = parent or self.head(conn, nb_id)
        if columns.get("cell_id") is not None:
            # the cell as people name it: its place in this state's cells
            columns["cell_index"] = next(
                (i for i, c in enumerate(cells) if c.cell_id == columns["cell_id"]), None
            )
        version_ids = [self.content.put_version(conn, nb_id, c) for c in cells]
        state_id = uuid.uuid4().hex
        key = model.sources_key(cells)
        row = dict.fromkeys(_STATE_OPTIONAL)
        row.update(
            {k: model.column_text(v) if isinstance(v, str) else v for k, v in columns.items()}
        )
        row.update(
            id=state_id,
            notebook_id=nb_id,
            parent_id=head.state_id,
            seq=head.next_seq,
            created=created or time.time(),
            event=event,
            layout_blob=self.content.put_layout(conn, nb_id, version_ids),
            metadata_blob=metadata_blob if metadata_blob is not None else head.metadata_blob,
            sources_key=key,
        )
        write(conn, _INSERT_STATE, row)
        before = {c.cell_id: c for c in head.cells}
        changed = [
            {
                "notebook_id": nb_id,
                "cell_id": c.cell_id,
                "seq": head.next_seq,
                "state_id": state_id,
                "version_id": vid,
            }
            for c, vid in zip(cells, version_ids, strict=True)
            if before.get(c.cell_id) != c
        ]
        if changed:
            write_many(conn, _INSERT_STATE_CELLS, changed)
        write(conn, _SET_HEAD, {"nb": nb_id, "head": state_id})
        if head.next_seq % LOG_PAGE == 0:
            log_pages.fill(conn, nb_id)
        self._changed(nb_id, "state", state_id, event)
        self.heads[nb_id] = Head(
            nb_id,
            state_id,
            version_ids,
            list(cells),
            key,
            metadata_blob if metadata_blob is not None else head.metadata_blob,
            head.next_seq + 1,
        )
        self.heads.move_to_end(nb_id)
        return state_id

    # -- events ---------------------------------------------------------------

    def record_document(
        self,
        conn: Connection,
        abs_path: str,
        cells: Sequence[dict[str, Any]],
        by_user: str | None = None,
        by_client: str | None = "browser",
    ) -> dict[str, Any]:
        """Apply a document report: a new edit state, a Head move, or nothing.

        ``by_user`` and ``by_client`` say whose report it is (for an edit state).
        Returns ``{"head": id, "created": bool, "moved": bool}``.
        """
        nb_id = self.notebook_id(conn, abs_path)
        assert nb_id is not None
        self.reported.add(nb_id)
        head = self.head(conn, nb_id)
        reported = []
        for cell in cells:
            _, digest = self.content.put_text(conn, nb_id, cell["source"])
            cell_id = self._alias(nb_id, head, cell["id"]) or cell["id"]
            reported.append(ReportedCell(cell_id, cell["cell_type"], digest))
        doc = model.document_cells(head.cells, reported)
        if model.same_cells(model.without_new_empty_cells(doc, head.cells), head.cells):
            # nothing, or only new empty cells (the one Lab adds to an empty notebook)
            return {"head": head.state_id, "created": False, "moved": False}
        renamed = model.renamed_only(head.cells, doc)
        if renamed:  # the same cells under ids JupyterLab made up: remember, record nothing
            self.aliases.setdefault(nb_id, {}).update(renamed)
            return {"head": head.state_id, "created": False, "moved": False}
        key = model.sources_key(doc)
        if key != head.sources_key:
            match = conn.execute(
                select(states.c.id)
                .where(states.c.notebook_id == nb_id, states.c.sources_key == key)
                .order_by(states.c.seq.desc())
                .limit(1)
            ).first()
            if match is not None:
                self.move_head(conn, nb_id, match.id)
                return {"head": match.id, "created": False, "moved": True}
        changed = model.changed_cells(head.cells, doc)
        text = next((c["source"] for c in cells if changed and c["id"] == changed[0].cell_id), "")
        preview = model.preview(text) or f"{len(doc)} cells"
        state_id = self.make_state(
            conn,
            nb_id,
            "edit",
            doc,
            parent=head,
            cell_id=changed[0].cell_id if len(changed) == 1 else None,
            preview=preview,
            by_user=by_user,
            by_client=by_client,
        )
        return {"head": state_id, "created": True, "moved": False}

    def _alias(self, nb_id: int, head: Head, cell_id: str | None) -> str | None:
        """Return Head's id for a cell JupyterLab knows under another id (see renamed_only)."""
        aliases = self.aliases.get(nb_id)
        if not aliases or cell_id is None or cell_id not in aliases:
            return cell_id
        original = aliases[cell_id]
        ids = {c.cell_id for c in head.cells}
        return original if cell_id not in ids and original in ids else cell_id

    def record_execution(self, conn: Connection, ex: Execution) -> str | None:
        """Make the execute state of a finished execution; return its id (None if unattributed)."""
        if ex.key in self.progressed:
            self.progressed.discard(ex.key)
            write(conn, _DELETE_RUNNING, {"k": ex.key})
        if ex.abs_path is None:
            return None
        nb_id = self.notebook_id(conn, ex.abs_path)
        assert nb_id is not None
        head = self.head(conn, nb_id)
        code_id, code_hash = self.content.put_text(conn, nb_id, ex.code)
        outputs_id, outputs_hash = self.content.put_json(conn, nb_id, ex.outputs)
        cell_id = self._alias(nb_id, head, ex.cell_id)
        deleted = [self._alias(nb_id, head, c) or c for c in ex.deleted_cells]
        new_cell = False
        if cell_id not in {c.cell_id for c in head.cells}:
            # A browser that reports this document ran a cell before its report
            # reached us (both leave at once): a real cell, placed by that report.
            new_cell = bool(cell_id) and ex.from_browser and nb_id in self.reported
            if not new_cell:
                # no cell of this notebook (a console, a client's own ids): the one
                # cell holding exactly this code, else no cell
                cell_id = model.cell_with_code(head.cells, code_hash)
        cells, _ = model.executed_cells(
            head.cells, cell_id, code_hash, outputs_hash, ex.execution_count, deleted, new_cell
        )
        cells = self._apply_display_updates(conn, ex, nb_id, cell_id, cells)
        return self.make_execute_state(
            conn,
            nb_id,
            cells,
            head,
            ex,
            code_id,
            outputs_id,
            cell_id=cell_id,
            by_user=ex.by_user,
            by_client=ex.by_client,
        )
