"""Clean notebooks from states: the cells in order, no history, valid nbformat 4.5.

``clean_notebook`` is pure (cells in, ``NotebookNode`` out). What jupyter-branch
keeps for itself (transient display ids, cut markers in output metadata) is
removed; an output the kernel sent in a shape nbformat rejects is replaced by a
visible note rather than making the whole export invalid.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import nbformat
from nbformat import v4
from nbformat.validator import ValidationError

from .model import execution_count, safe_text
from .outputs import MARKER_KEY, clean_output

_ID_OK = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


def _cell_id(raw: str, seen: set[str]) -> str:
    cell_id = raw if _ID_OK.match(raw or "") else re.sub(r"[^a-zA-Z0-9-_]", "-", raw or "")[:64]
    if not cell_id or cell_id in seen:
        cell_id = uuid.uuid4().hex[:8]
    seen.add(cell_id)
    return cell_id


def _safe(value: Any) -> Any:
    """Return ``value`` with every string made writable as UTF-8 (see model.safe_text)."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {safe_text(str(k)): _safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe(v) for v in value]
    return value


def _valid_output(output: dict[str, Any]) -> dict[str, Any]:
    node = nbformat.from_dict(output)
    try:
        nbformat.validate(node, ref="output", version=4, version_minor=5)
        return node
    except ValidationError:
        return v4.new_output(
            "stream",
            name="stderr",
            text=f"[jupyter-branch: an output of type {output.get('output_type')!r} was not "
            "valid nbformat and was left out of this export]\n",
        )


def clean_notebook(
    cells: list[dict[str, Any]], metadata: dict[str, Any] | None = None, outputs: bool = True
) -> nbformat.NotebookNode:
    """Return a valid nbformat 4.5 notebook of ``cells``, with or without outputs.

    Raises ``nbformat.ValidationError`` only if the result could not be made valid.
    """
    meta = {k: v for k, v in (metadata or {}).items() if k != MARKER_KEY}
    nb = v4.new_notebook()  # metadata after: new_notebook would refuse invalid ones
    nb.metadata = nbformat.from_dict(_safe(meta))
    nb.nbformat_minor = max(nb.nbformat_minor, 5)
    seen: set[str] = set()
    for cell in cells:
        cell_id = _cell_id(str(cell.get("id") or ""), seen)
        given_meta = cell.get("metadata")
        cell_meta = (
            {k: v for k, v in given_meta.items() if k != MARKER_KEY}
            if isinstance(given_meta, dict)
            else {}
        )
        source = safe_text(str(cell.get("source") or ""))
        kind = cell.get("cell_type")
        maker = {"markdown": v4.new_markdown_cell, "raw": v4.new_raw_cell}.get(
            str(kind), v4.new_code_cell
        )
        try:
            new = maker(source, id=cell_id, metadata=_safe(cell_meta))
        except ValidationError:  # metadata a file carried that nbformat refuses
            new = maker(source, id=cell_id)
        if new.cell_type == "code" and outputs:
            new.outputs = [
                nbformat.from_dict(_safe(clean_output(o))) for o in cell.get("outputs") or []
            ]
            new.execution_count = execution_count(cell.get("execution_count"))
        nb.cells.append(new)
    try:
        nbformat.validate(nb)
    except ValidationError:
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [_valid_output(o) for o in cell.outputs]
        nb.metadata = nbformat.from_dict(
            {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
        )
        try:
            nbformat.validate(nb)
        except ValidationError:
            nb.metadata = nbformat.from_dict({})
            for cell in nb.cells:
                cell.metadata = nbformat.from_dict({})
            nbformat.validate(nb)
    return nb


def notebook_json(nb: nbformat.NotebookNode) -> str:
    """Return the notebook as JupyterLab writes it (indent 1, trailing newline).

    Text UTF-8 cannot hold (lone surrogates, which JSON from any client may
    carry) is replaced by U+FFFD, so the file can always be written.
    """
    return safe_text(nbformat.writes(nb)) + "\n"


def writable_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return ``nb`` with what UTF-8 cannot hold replaced, for a contents manager to save."""
    return nbformat.reads(notebook_json(nb), as_version=4)
