"""Differences between two notebook states, cell by cell. Pure, no I/O.

Cells are matched by id; each comes out as added, removed, modified (source,
outputs or type changed), moved, or unchanged, with a unified diff of its source
and of the text of its outputs. ``format_diff`` renders that for a terminal.
"""

from __future__ import annotations

import difflib
from typing import Any


def output_text(outputs: list[dict[str, Any]]) -> str:
    """Return outputs as text: streams, plain text reprs, errors; other data by type and size."""
    parts = []
    for out in outputs or []:
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(out.get("text", ""))
        elif kind == "error":
            parts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}\n")
        else:
            data = out.get("data") or {}
            if "text/plain" in data:
                text = data["text/plain"]
                parts.append(("".join(text) if isinstance(text, list) else str(text)) + "\n")
            for mime, value in sorted(data.items()):
                if mime != "text/plain":
                    parts.append(f"<{mime}, {len(str(value))} characters>\n")
    return "".join(parts)


def _unified(a: str, b: str, label_a: str, label_b: str) -> list[str]:
    return list(
        difflib.unified_diff(
            a.splitlines(), b.splitlines(), fromfile=label_a, tofile=label_b, lineterm=""
        )
    )


def diff_cells(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return one entry per cell of ``a`` or ``b``, in ``b``'s order then ``a``'s leftovers."""
    a_by_id = {c["id"]: (i, c) for i, c in enumerate(a)}
    b_ids = {c["id"] for c in b}
    common_a = [c["id"] for c in a if c["id"] in b_ids]
    common_b = [c["id"] for c in b if c["id"] in a_by_id]
    moved = _moved(common_a, common_b)
    entries = []
    for cell in b:
        old = a_by_id.get(cell["id"])
        if old is None:
            entries.append(_entry("added", None, cell))
            continue
        before = old[1]
        changed = (
            before.get("source") != cell.get("source")
            or before.get("cell_type") != cell.get("cell_type")
            or (before.get("outputs") or []) != (cell.get("outputs") or [])
        )
        kind = "modified" if changed else ("moved" if cell["id"] in moved else "unchanged")
        entries.append(_entry(kind, before, cell))
    for cell in a:
        if cell["id"] not in b_ids:
            entries.append(_entry("removed", cell, None))
    return entries


def _moved(order_a: list[str], order_b: list[str]) -> set[str]:
    matcher = difflib.SequenceMatcher(a=order_a, b=order_b, autojunk=False)
    kept = set()
    for block in matcher.get_matching_blocks():
        kept.update(order_b[block.b : block.b + block.size])
    return set(order_b) - kept


def _entry(kind: str, a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any]:
    cell = b or a or {}
    src_a = (a or {}).get("source", "")
    src_b = (b or {}).get("source", "")
    out_a = output_text((a or {}).get("outputs") or [])
    out_b = output_text((b or {}).get("outputs") or [])
    return {
        "cell_id": cell.get("id"),
        "cell_type": cell.get("cell_type"),
        "change": kind,
        "source_diff": _unified(src_a, src_b, "a", "b") if src_a != src_b else [],
        "outputs_changed": ((a or {}).get("outputs") or []) != ((b or {}).get("outputs") or []),
        "outputs_diff": _unified(out_a, out_b, "a", "b") if out_a != out_b else [],
        "source_a": src_a if a is not None else None,
        "source_b": src_b if b is not None else None,
    }


def format_diff(entries: list[dict[str, Any]], color: bool = False) -> str:
    """Return the entries as terminal text (changed cells only)."""

    def paint(line: str) -> str:
        if not color:
            return line
        if line.startswith("+") and not line.startswith("+++"):
            return f"\x1b[32m{line}\x1b[0m"
        if line.startswith("-") and not line.startswith("---"):
            return f"\x1b[31m{line}\x1b[0m"
        return line

    lines = []
    for e in entries:
        if e["change"] == "unchanged":
            continue
        lines.append(f"## cell {e['cell_id']} ({e['cell_type']}): {e['change']}")
        if e["change"] == "added":
            lines.extend("+" + line for line in (e["source_b"] or "").splitlines())
        elif e["change"] == "removed":
            lines.extend("-" + line for line in (e["source_a"] or "").splitlines())
        else:
            lines.extend(paint(line) for line in e["source_diff"][2:])
        if e["outputs_diff"]:
            lines.append("   outputs:")
            lines.extend("   " + paint(line) for line in e["outputs_diff"][2:])
        elif e["outputs_changed"]:
            lines.append("   outputs changed (non-text data)")
        lines.append("")
    return "\n".join(lines) if lines else "no differences\n"
