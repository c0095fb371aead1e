"""States from the notebook's file: a save, a change on disk, the file when history began.

``FileStates`` is the part of ``History`` (store/history.py) that reads a
notebook's file content: each cell as the store keeps it (``file_cell``: a file
may hold anything, and what is not a known shape is kept as plain text), and a
``save`` or ``external`` state only when the file differs from Head in what a
user made; ``read_notebook_file`` is how the server reads that file. On the
writer thread, inside its transaction, like all of History.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from .. import model
from ..model import CellRef
from ..outputs import clean_output
from .content import ContentWriter, read_json
from .history_base import HistoryBase

log = logging.getLogger("jupyter_branch")


def read_notebook_file(abs_path: str) -> dict[str, Any] | None:
    """Return the notebook file as nbformat 4 data, or None if absent or unreadable.

    A version-4 file (every notebook since 2015) is read here as nbformat reads
    it (``_as_read``), without nbformat: importing it takes 1.5 to 3.5 s on this
    machine (its jsonschema builds a grammar), and a recording process's first
    write of a notebook waited for that, so a kill -9 in those seconds lost its
    runs. Older versions, and any file whose shape surprises ``_as_read``, are
    read by nbformat itself.
    """
    if not os.path.isfile(abs_path):  # a new notebook, not saved yet: the common case
        return None
    try:
        with open(abs_path, encoding="utf-8") as f:
            nb = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:  # not UTF-8 JSON: nbformat fails on it too
        log.warning("jupyter-branch: could not read %s as a notebook: %s", abs_path, err)
        return None
    if _usual(nb):
        try:
            return _as_read(nb)
        except ValueError:
            pass  # not the shape nbformat writes: whether it reads is nbformat's to say
    return _converted(abs_path)


def _usual(nb: Any) -> bool:
    """Is ``nb`` a version-4 notebook by its numbers (the rest is ``_as_read``'s)?"""
    if not isinstance(nb, dict):
        return False
    major, minor = nb.get("nbformat"), nb.get("nbformat_minor", 0)
    return type(major) is int and major == 4 and type(minor) is int


def _converted(abs_path: str) -> dict[str, Any] | None:
    """Read a notebook through nbformat, converted to version 4: an older version, or a
    version-4 file not of the shape nbformat writes (nbformat may refuse it)."""
    import nbformat

    try:
        return dict(nbformat.read(abs_path, as_version=4))
    except FileNotFoundError:
        return None
    except Exception as err:
        log.warning("jupyter-branch: could not read %s as a notebook: %s", abs_path, err)
        return None


CELL_TYPES = ("code", "markdown", "raw")  # a tuple: a value of any JSON type can be looked up
OUTPUT_TYPES = ("stream", "display_data", "execute_result", "error")


def _as_read(nb: dict[str, Any]) -> dict[str, Any]:
    """Return version-4 JSON as ``nbformat.read`` returns it: texts the file keeps as
    lists of lines joined into strings, and what the format calls transient dropped
    (the notebook's original version and signature, a cell's ``trusted`` flag).

    Only for the shape nbformat writes (cells of a known type with their source and
    metadata, outputs of a known type, bundles that are objects): on anything else
    it raises ValueError, and nbformat reads the file (its validation may fail on
    such a file, or keep it, and that is its to say).
    """
    metadata = _object(nb.get("metadata"))
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise ValueError("cells")
    for cell in cells:
        cell = _object(cell)
        if cell.get("cell_type") not in CELL_TYPES or not isinstance(cell.get("id", ""), str):
            raise ValueError("cell")
        cell["source"] = _text(cell.get("source"))
        _object(cell.get("metadata")).pop("trusted", None)
        for bundle in _object(cell.get("attachments", {})).values():
            _join_bundle(_object(bundle))
        if cell["cell_type"] != "code":
            continue
        outputs = cell.get("outputs")
        if not isinstance(outputs, list):
            raise ValueError("outputs")
        for output in outputs:
            kind = _object(output).get("output_type")
            if kind not in OUTPUT_TYPES:
                raise ValueError("output")
            if kind in ("execute_result", "display_data"):
                _join_bundle(_object(output.get("data", {})))
            elif kind == "stream":
                output["text"] = _text(output.get("text"))
    for key in ("orig_nbformat", "orig_nbformat_minor", "signature"):
        metadata.pop(key, None)
    return nb


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


def _text(value: Any) -> str:
    """A text as nbformat reads it: a string, or a list of lines joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    raise ValueError("not a text")


def _join_bundle(bundle: dict[str, Any]) -> None:
    """Join each value of a MIME bundle kept as lines, but JSON (a list is its data)."""
    for mime, value in bundle.items():
        is_json = mime == "application/json" or (
            mime.startswith("application/") and mime.endswith("+json")
        )
        if not is_json and isinstance(value, list) and all(isinstance(v, str) for v in value):
            bundle[mime] = "".join(value)


class FileStates(HistoryBase):
    """``History``'s states from files (a mixin: ``History`` provides what it uses)."""

    def record_file(self, conn: Connection, abs_path: str, event: str) -> str | None:
        """Make a ``save`` or ``external`` state if the file differs from Head; return its id.

        The file is read here, on the writer thread (``read_notebook``); one that
        is gone or not a notebook records nothing.
        """
        nb = self.read_notebook(abs_path)
        if nb is None:
            return None
        return self.record_notebook(conn, abs_path, nb, event)

    def record_notebook(
        self, conn: Connection, abs_path: str, nb: dict[str, Any], event: str
    ) -> str | None:
        """Make a ``save`` or ``external`` state of ``nb`` (file content) if it differs
        from Head; return its id."""
        nb_id = self.notebook_id(conn, abs_path)
        assert nb_id is not None
        return self._record_file_cells(conn, nb_id, nb, event)

    def _record_file_cells(
        self, conn: Connection, nb_id: int, nb: dict[str, Any], event: str, preview: str = ""
    ) -> str | None:
        head = self.head(conn, nb_id)
        cells: list[CellRef] = []
        seen: set[str] = set()
        for i, cell in enumerate(nb.get("cells") or []):
            same_place = head.cells[i] if i < len(head.cells) else None
            ref = file_cell(self.content, conn, nb_id, cell, same_place)
            if ref.cell_id in seen:
                # a file may repeat an id (a tool's copy, or two ids that are one text
                # once made storable): the later cell is another cell, with an id of its own
                ref = replace(ref, cell_id=uuid.uuid4().hex[:8])
            seen.add(ref.cell_id)
            cells.append(ref)
        metadata = nb.get("metadata") or {}
        metadata_blob, _ = self.content.put_json(conn, nb_id, metadata)
        if head.state_id is not None:
            # Nothing a user made changed: no state. A save (what the open document
            # holds, whose runs and edits are recorded already) counts its sources
            # only; a change from outside counts outputs too. Metadata alone never
            # counts (opening a notebook adds some, a collaborative save too).
            if event == "save" and model.sources_key(cells) == head.sources_key:
                return None
            if same_content(self.content, conn, nb_id, head.cells, cells):
                return None
        preview = preview or ("saved in Jupyter" if event == "save" else "changed on disk")
        return self.make_state(
            conn, nb_id, event, cells, parent=head, metadata_blob=metadata_blob, preview=preview
        )


def file_cell(
    content: ContentWriter,
    conn: Connection,
    nb_id: int,
    cell: dict[str, Any],
    same_place: CellRef | None,
) -> CellRef:
    """A cell of a notebook file as the store keeps it (its parts put as blobs)."""
    # a file may hold anything: what is not a known shape is kept as plain text
    cell_type = cell.get("cell_type", "code")
    if cell_type not in model.CELL_TYPES:
        cell_type = "raw"
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(str(part) for part in source)
    elif not isinstance(source, str):
        source = json.dumps(source, default=str)
    _, source_hash = content.put_text(conn, nb_id, source)
    cell_id = model.safe_text(str(cell.get("id") or ""))
    if not cell_id:
        # nbformat < 4.5 has no ids: keep the id of the same cell in Head, else a new one
        if same_place and same_place.cell_type == cell_type and same_place.source == source_hash:
            cell_id = same_place.cell_id
        else:
            cell_id = uuid.uuid4().hex[:8]
    outputs_hash = None
    if cell_type == "code":
        given = cell.get("outputs")
        outputs = [
            clean_output(dict(o))
            for o in (given if isinstance(given, list) else [])
            if isinstance(o, dict)
        ]
        _, outputs_hash = content.put_json(conn, nb_id, outputs)
    metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
    metadata_hash = content.put_json(conn, nb_id, metadata)[1] if metadata else None
    count = model.execution_count(cell.get("execution_count")) if cell_type == "code" else None
    return CellRef(str(cell_id), cell_type, source_hash, outputs_hash, count, metadata_hash)


def same_content(
    content: ContentWriter,
    conn: Connection,
    nb_id: int,
    a: Sequence[CellRef],
    b: Sequence[CellRef],
) -> bool:
    """Compare cells as a file would hold them (outputs without transient ids), but
    not their metadata."""
    if [(c.cell_id, c.cell_type, c.source) for c in a] != [
        (c.cell_id, c.cell_type, c.source) for c in b
    ]:
        return False
    for x, y in zip(a, b, strict=True):
        if x.outputs == y.outputs:
            continue
        left = read_json(conn, content.blob_id(conn, nb_id, x.outputs)) or []
        right = read_json(conn, content.blob_id(conn, nb_id, y.outputs)) or []
        if [clean_output(o) for o in left] != [clean_output(o) for o in right]:
            return False
    return True
