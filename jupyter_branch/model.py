"""States, cells and the branching rules, as plain data. No I/O.

A state's cells are held as ``CellRef``s: a cell id and type plus content
hashes of its source, outputs and metadata. The store turns hashes into blobs;
the rules here only compare and rearrange references:

- an execution replaces one cell's source and outputs (``executed_cells``);
- a document report replaces sources, order and types, keeping each surviving
  cell's outputs (``document_cells``);
- ``sources_key`` identifies "the same cell sources (order and text)": Head
  moves to the most recent state with the document's key (SPEC, Branching).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

EVENTS = ("execute", "edit", "restore", "save", "external")
# Through what a state was made: a browser's notebook (JupyterLab, Notebook 7),
# a client of the kernel that names no cell (an agent, a script, another editor),
# a cell run on the server (jupyter-server-nbmodel, -documents), the server's
# copy of the document (collaborators, agents writing to it).
CLIENTS = ("browser", "kernel client", "server", "document")
KERNEL_PREFIX = "kernel:"


def kernel_history_path(kernel_id: str) -> str:
    """Return where executions on a kernel without a notebook are kept (``kernel:<id>``).

    Not a file: its history has execute states with no cells, found with the
    command line (``jupyter branch log kernel:<id>``).
    """
    return f"{KERNEL_PREFIX}{kernel_id}"


CELL_TYPES = ("code", "markdown", "raw")
HASH_SIZE = 16


def hash_bytes(data: bytes) -> bytes:
    """Return the content address of ``data`` (16-byte BLAKE2b)."""
    return hashlib.blake2b(data, digest_size=HASH_SIZE).digest()


def canonical_json(value: Any) -> bytes:
    """Return ``value`` as canonical UTF-8 JSON (sorted keys, no spaces)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8", "surrogatepass")


def encode_text(text: str) -> bytes:
    """Return ``text`` as UTF-8; lone surrogates (from invalid input) survive."""
    return text.encode("utf-8", "surrogatepass")


def hash_text(text: str) -> bytes:
    return hash_bytes(encode_text(text))


def hash_json(value: Any) -> bytes:
    return hash_bytes(canonical_json(value))


EMPTY_OUTPUTS = hash_json([])


def scoped_key(notebook_id: int, digest: bytes) -> bytes:
    """Return the key of content ``digest`` stored for one notebook (blobs, cell versions).

    Content is stored once per notebook, not once per store: each row belongs
    to one notebook (and owner), and a write never learns whether another
    notebook holds the same text.
    """
    return hash_bytes(b"notebook:%d\x00" % notebook_id + digest)


@dataclass(frozen=True)
class CellRef:
    """One cell of a state, by reference to its content."""

    cell_id: str
    cell_type: str
    source: bytes  # hash of the source text
    outputs: bytes | None = None  # hash of the outputs list (code cells)
    execution_count: int | None = None
    metadata: bytes | None = None  # hash of the cell metadata, if any

    def key(self) -> bytes:
        """Return the content address of this cell version."""
        parts = [
            self.cell_id.encode("utf-8", "surrogatepass"),
            self.cell_type.encode(),
            self.source,
            self.outputs or b"",
            str(self.execution_count).encode(),
            self.metadata or b"",
        ]
        return hash_bytes(b"\x00".join(parts))


@dataclass
class Execution:
    """One finished (or still running) execution, as the recorder saw it."""

    abs_path: str | None
    kernel_id: str
    msg_id: str
    cell_id: str | None
    code: str
    outputs: list[dict[str, Any]]
    execution_count: int | None
    status: str
    started: float
    ended: float | None
    display_updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted_cells: Sequence[str] = ()
    # the cell id came in the browser's own execute_request (JupyterLab, Notebook 7)
    from_browser: bool = False
    by_user: str | None = None  # who asked for it, where the server knows
    by_client: str | None = None  # through what (CLIENTS)

    @property
    def key(self) -> str:
        return f"{self.kernel_id}/{self.msg_id}"


def sources_key(cells: Iterable[CellRef]) -> bytes:
    """Return the key of the cells' sources: types and texts in order, not outputs or ids."""
    h = hashlib.blake2b(digest_size=HASH_SIZE)
    for cell in cells:
        h.update(cell.cell_type.encode())
        h.update(b"\x00")
        h.update(cell.source)
    return h.digest()


@dataclass(frozen=True)
class ReportedCell:
    """A cell as the frontend reports it: id, type and source hash."""

    cell_id: str
    cell_type: str
    source: bytes
    metadata: bytes | None = None


def document_cells(head: Sequence[CellRef], reported: Sequence[ReportedCell]) -> list[CellRef]:
    """Return the cells of the document the frontend reported.

    A cell that existed in Head with the same id and type keeps its outputs,
    execution count and (unless reported) metadata: editing a source does not
    clear outputs in JupyterLab either.
    """
    by_id = {c.cell_id: c for c in head}
    reported_ids = {r.cell_id for r in reported}
    cells = []
    for i, r in enumerate(reported):
        old = by_id.get(r.cell_id)
        if old is None and i < len(head):
            # a new id for the same cell in the same place (JupyterLab gives cells of
            # nbformat < 4.5 files fresh ids on every load): keep what it had
            same_place = head[i]
            if (
                same_place.cell_id not in reported_ids
                and same_place.cell_type == r.cell_type
                and same_place.source == r.source
            ):
                old = replace(same_place, cell_id=r.cell_id)
        if old is not None and old.cell_type == r.cell_type:
            cells.append(replace(old, source=r.source, metadata=r.metadata or old.metadata))
        else:
            outputs = EMPTY_OUTPUTS if r.cell_type == "code" else None
            cells.append(CellRef(r.cell_id, r.cell_type, r.source, outputs, None, r.metadata))
    return cells


def executed_cells(
    head: Sequence[CellRef],
    cell_id: str | None,
    code: bytes,
    outputs: bytes,
    execution_count: int | None,
    deleted: Iterable[str] = (),
    new_cell: bool = False,
) -> tuple[list[CellRef], bool]:
    """Return Head's cells after one execution, and whether a cell took it.

    The executed cell gets the code as run and the outputs. ``deleted`` cells
    (JupyterLab's ``deletedCells``) are dropped. Without a cell id, or with one
    the notebook has no cell for (a console, an API client with ids of its
    own), the cells stay as they are: a client never invents cells. Only with
    ``new_cell`` (the browser that reports this document ran a cell its report
    has not reached us with yet) is the cell appended, until the report places it.
    """
    gone = set(deleted)
    cells = [c for c in head if c.cell_id not in gone]
    if not cell_id:
        return cells, False
    for i, c in enumerate(cells):
        if c.cell_id == cell_id:
            cells[i] = CellRef(cell_id, "code", code, outputs, execution_count, c.metadata)
            return cells, True
    if new_cell:
        cells.append(CellRef(cell_id, "code", code, outputs, execution_count, None))
        return cells, True
    return cells, False


def cell_with_code(cells: Sequence[CellRef], code: bytes) -> str | None:
    """Return the id of the one code cell whose source is ``code`` (a hash), else None.

    How an execution that names no cell (an agent, an API client) finds its
    cell: only a unique match counts, never a guess between two.
    """
    found = [c.cell_id for c in cells if c.cell_type == "code" and c.source == code]
    return found[0] if len(found) == 1 else None


def restored_cells(
    head: Sequence[CellRef], target: Sequence[CellRef], cell_id: str | None = None
) -> list[CellRef]:
    """Return the cells after restoring ``target`` (whole, or only ``cell_id`` into Head).

    Raises KeyError if ``cell_id`` is not a cell of ``target``.
    """
    if cell_id is None:
        return list(target)
    version = next((c for c in target if c.cell_id == cell_id), None)
    if version is None:
        raise KeyError(cell_id)
    cells = list(head)
    for i, c in enumerate(cells):
        if c.cell_id == cell_id:
            cells[i] = version
            return cells
    # the cell is gone from the document: bring it back at its old position
    position = next(i for i, c in enumerate(target) if c.cell_id == cell_id)
    before = {c.cell_id for c in target[:position]}
    insert_at = 0
    for i, c in enumerate(cells):
        if c.cell_id in before:
            insert_at = i + 1
    cells.insert(insert_at, version)
    return cells


EMPTY_SOURCE = hash_text("")


def without_new_empty_cells(doc: Sequence[CellRef], head: Sequence[CellRef]) -> list[CellRef]:
    """Return ``doc`` without the empty cells ``head`` does not have.

    A new empty cell holds nothing a user made (JupyterLab adds one to every
    empty notebook it opens): it is no reason for a state of its own.
    """
    known = {c.cell_id for c in head}
    return [c for c in doc if c.cell_id in known or c.source != EMPTY_SOURCE]


def renamed_only(head: Sequence[CellRef], doc: Sequence[CellRef]) -> dict[str, str] | None:
    """Return ``{new id: Head's id}`` if ``doc`` is Head with only new cell ids, else None.

    JupyterLab gives the cells of an nbformat < 4.5 file new ids on every load;
    that changes nothing a user made, so it must not make a state.
    """
    if len(head) != len(doc):
        return None
    known = {c.cell_id for c in head}
    renamed = {}
    for old, new in zip(head, doc, strict=True):
        if old == new:
            continue
        if new.cell_id in known or replace(new, cell_id=old.cell_id) != old:
            return None
        renamed[new.cell_id] = old.cell_id
    return renamed or None


def changed_cells(parent: Sequence[CellRef], cells: Sequence[CellRef]) -> list[CellRef]:
    """Return the cells of ``cells`` that are new or differ from ``parent`` (by id)."""
    before = {c.cell_id: c for c in parent}
    return [c for c in cells if before.get(c.cell_id) != c]


def same_cells(a: Sequence[CellRef], b: Sequence[CellRef]) -> bool:
    return len(a) == len(b) and all(x == y for x, y in zip(a, b, strict=True))


def execution_count(value: Any) -> int | None:
    """Return ``value`` if it is a valid execution count (an int >= 0), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    return None


def safe_text(text: str) -> str:
    """Return ``text`` with what UTF-8 cannot hold (lone surrogates) replaced by U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def column_text(text: str) -> str:
    """Return ``text`` fit for a text column of any database: valid UTF-8 and no NUL
    (PostgreSQL refuses it), each replaced by U+FFFD. Content goes in blobs, as it is."""
    return safe_text(text).replace("\x00", "\ufffd")


def preview(text: str, width: int = 80) -> str:
    """Return a one-line preview: the first non-blank line, shortened to ``width``."""
    text = column_text(text)
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= width else line[: width - 1] + "…"
    return ""


def status_of(error: dict[str, Any] | None, started: bool, died: bool = False) -> str:
    """Return an execution's status from what iopub showed.

    ``ok``, ``error``, ``interrupted`` (KeyboardInterrupt), ``aborted`` (never
    started: an earlier cell failed), or ``died`` (the kernel died or restarted).
    """
    if died:
        return "died"
    if not started:
        return "aborted"
    if error is None:
        return "ok"
    if error.get("ename") == "KeyboardInterrupt":
        return "interrupted"
    return "error"
