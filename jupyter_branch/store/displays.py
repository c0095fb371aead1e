"""Display ids across cells: which cells show a kernel's displays, and updating them.

A display id is global to a kernel, as JupyterLab and nbclient treat it: an
``update_display_data``, or a new display carrying an id already shown, updates
that display in every cell that shows it, in the running cell and in earlier
ones, in every notebook on the kernel. The replay (``outputs.OutputReplay``)
does it within the running cell, with no I/O, and hands the last data of every
id it saw to the writer (``Execution.display_updates``). Here, on the writer
thread, ``Displays`` remembers which cells showed which ids of which kernel
(bounded), and rewrites those cells' outputs where the notebook's Head still
shows the id; ``DisplayStates``, a part of ``History``, makes the states that
carry an execution's updates to other cells and other notebooks.

Outputs in the store keep ``transient.display_id`` for this; readers strip it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, select

from .. import model
from ..model import CellRef, Execution
from ..outputs import apply_display_update
from .content import ContentWriter, read_json
from .history_base import HistoryBase
from .schema import notebooks

# (notebook id, cell id) pairs remembered across all display ids; the oldest ids go first
DISPLAY_CELLS = 8192
KERNELS = 1024

Update = dict[str, Any]  # {"data": ..., "metadata": ...}
Wanted = dict[str, dict[str, Update]]  # cell id -> {display id: update}


def display_id_of(output: dict[str, Any]) -> str | None:
    """Return the display id an output carries (``transient.display_id``), if any."""
    transient = output.get("transient")
    if not isinstance(transient, dict):
        return None
    display_id = transient.get("display_id")
    return str(display_id) if display_id else None


class Displays:
    """Which cells show which display ids of a kernel. Not thread-safe: the writer's."""

    def __init__(self, max_output_bytes: int, size: int = DISPLAY_CELLS) -> None:
        self.cap = max_output_bytes
        self.size = size
        self.shown: OrderedDict[tuple[str, str], dict[tuple[int, str], None]] = OrderedDict()
        self.entries = 0
        self.counts: OrderedDict[str, int] = OrderedDict()  # last execution count per kernel

    def note_execution(self, kernel_id: str, execution_count: int | None) -> None:
        """Forget a kernel's displays when its execution count goes back (it restarted).

        A restarted kernel is a new process under the same id: JupyterLab drops
        its display routing on restart, and the new process's ids name new
        displays. Counts rise with every execution that has one (``execute_input``),
        and restart from 1.
        """
        if execution_count is None:
            return
        last = self.counts.get(kernel_id)
        if last is not None and execution_count <= last:
            self.forget_kernel(kernel_id)
        self.counts[kernel_id] = execution_count
        self.counts.move_to_end(kernel_id)
        if len(self.counts) > KERNELS:
            self.counts.popitem(last=False)

    def forget_counts(self) -> None:
        """Forget execution counts (a transaction rolled back and will be run again)."""
        self.counts.clear()

    def forget_kernel(self, kernel_id: str) -> None:
        for key in [k for k in self.shown if k[0] == kernel_id]:
            self.entries -= len(self.shown.pop(key))

    def note_shown(
        self, kernel_id: str, nb_id: int, cell_id: str | None, outputs: list[dict[str, Any]]
    ) -> None:
        """Remember the display ids among a cell's new ``outputs``."""
        if not cell_id:
            return
        for out in outputs:
            display_id = display_id_of(out)
            if display_id is None:
                continue
            key = (kernel_id, display_id)
            cells = self.shown.get(key)
            if cells is None:
                cells = self.shown[key] = {}
            self.shown.move_to_end(key)
            if (nb_id, cell_id) not in cells:
                cells[(nb_id, cell_id)] = None
                self.entries += 1
        while self.entries > self.size and self.shown:
            _, dropped = self.shown.popitem(last=False)
            self.entries -= len(dropped)

    def targets(self, kernel_id: str, updates: dict[str, Update]) -> dict[int, Wanted]:
        """Return the cells that showed the updated ids: ``{notebook: {cell: {id: update}}}``."""
        found: dict[int, Wanted] = {}
        for display_id, update in updates.items():
            key = (kernel_id, display_id)
            cells = self.shown.get(key)
            if not cells:
                continue
            self.shown.move_to_end(key)
            for nb_id, cell_id in cells:
                found.setdefault(nb_id, {}).setdefault(cell_id, {})[display_id] = update
        return found

    def _drop(self, kernel_id: str, display_id: str, nb_id: int, cell_id: str) -> None:
        key = (kernel_id, display_id)
        cells = self.shown.get(key)
        if cells is None or (nb_id, cell_id) not in cells:
            return
        del cells[(nb_id, cell_id)]
        self.entries -= 1
        if not cells:
            del self.shown[key]

    def updated_cells(
        self,
        conn: Connection,
        content: ContentWriter,
        kernel_id: str,
        nb_id: int,
        cells: list[CellRef],
        wanted: Wanted,
    ) -> list[CellRef]:
        """Return ``cells`` with the wanted displays updated in their outputs.

        A cell that no longer shows an id (run again, cleared, deleted) is not
        touched, and is forgotten for that id: JupyterLab stops routing updates
        to an output area once its outputs are replaced.
        """
        result = list(cells)
        present = {c.cell_id: i for i, c in enumerate(result)}
        for cell_id, updates in wanted.items():
            i = present.get(cell_id)
            cell = result[i] if i is not None else None
            outputs = None
            if cell is not None and cell.outputs is not None:
                outputs = read_json(conn, content.blob_id(conn, nb_id, cell.outputs)) or []
            changed = False
            for display_id, update in updates.items():
                new = (
                    apply_display_update(outputs, display_id, update, self.cap) if outputs else None
                )
                if new is None:
                    self._drop(kernel_id, display_id, nb_id, cell_id)
                    continue
                outputs, changed = new, True
            if changed and cell is not None and i is not None:
                _, digest = content.put_json(conn, nb_id, outputs)
                result[i] = replace(cell, outputs=digest)
        return result


class DisplayStates(HistoryBase):
    """``History``'s part in display updates (a mixin: ``History`` provides what it uses)."""

    def _apply_display_updates(
        self, conn: Connection, ex: Execution, nb_id: int, cell_id: str | None, cells: list[CellRef]
    ) -> list[CellRef]:
        """Return ``cells`` with the displays this execution updated (see ``store/displays.py``).

        The running cell's outputs are new and already updated by the replay;
        other cells of this notebook are updated in the execute state, and each
        other notebook whose Head shows an updated display gets a state of its own.
        """
        self.displays.note_execution(ex.kernel_id, ex.execution_count)
        if ex.display_updates:
            found = self.displays.targets(ex.kernel_id, ex.display_updates)
            wanted = found.pop(nb_id, {})
            wanted.pop(cell_id or "", None)
            if wanted:
                cells = self.displays.updated_cells(
                    conn, self.content, ex.kernel_id, nb_id, cells, wanted
                )
            for other, wanted_there in found.items():
                self._update_displays_elsewhere(conn, other, wanted_there, ex)
        self.displays.note_shown(ex.kernel_id, nb_id, cell_id, ex.outputs)
        return cells

    def _update_displays_elsewhere(
        self, conn: Connection, nb_id: int, wanted: dict[str, Any], ex: Execution
    ) -> None:
        """Update displays in another notebook on the kernel: a state recording the
        execution that changed them, its cells left as they are (as a console's)."""
        live = conn.execute(
            select(notebooks.c.id).where(notebooks.c.id == nb_id, notebooks.c.deleted.is_(None))
        ).first()
        if live is None:
            return
        head = self.head(conn, nb_id)
        cells = self.displays.updated_cells(
            conn, self.content, ex.kernel_id, nb_id, list(head.cells), wanted
        )
        if model.same_cells(cells, head.cells):
            return
        self.make_execute_state(  # no cell: as a console's run
            conn,
            nb_id,
            cells,
            head,
            ex,
            self.content.put_text(conn, nb_id, ex.code)[0],
            self.content.put_json(conn, nb_id, ex.outputs)[0],
        )
