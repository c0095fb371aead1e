"""Differences between two notebook states, cell by cell. Pure, no I/O.

Cells are matched by id; each comes out as added, removed, modified (source,
outputs or type changed), moved, or unchanged, with the line diff of its source
and of the text of its outputs. Those lines are made here once, in their final
form (``diff_lines``): the REST API sends them, the panel and ``format_diff``
(the CLI) only colour them.
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


NO_NEWLINE = "\\ No newline at end of file"


def text_lines(text: str) -> list[str]:
    """Return the lines of ``text``: split at each newline (\\n only); a final newline
    ends the last line and adds no empty one. The empty text has no lines."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def diff_lines(a: str, b: str) -> list[str]:
    """Return the line diff from ``a`` to ``b`` ready to show, ``[]`` if they are equal.

    Each line is ``" "`` + a line of both, ``"-"`` + a line of ``a`` only, ``"+"`` + a
    line of ``b`` only, or a hunk header ``"@@ -l,n +l,n @@"`` (a unified diff with 3
    lines of context, without its ``---``/``+++`` header). When one side has no lines,
    the other's are all listed, with no hunk header. A final newline only counts when
    it is the one difference: then the last line is shown removed and added, with
    ``NO_NEWLINE`` after the side that lacks it, as git shows it.
    """
    if a == b:
        return []
    old, new = text_lines(a), text_lines(b)
    if old == new:
        n = len(old)
        after_a = [] if a.endswith("\n") else [NO_NEWLINE]
        after_b = [] if b.endswith("\n") else [NO_NEWLINE]
        return [f"@@ -{n} +{n} @@", "-" + old[-1], *after_a, "+" + new[-1], *after_b]
    if not old or not new:
        return ["-" + line for line in old] + ["+" + line for line in new]
    unified = difflib.unified_diff(old, new, lineterm="")
    return list(unified)[2:]  # without the ---/+++ header


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
        "source_diff": diff_lines(src_a, src_b),
        "outputs_changed": ((a or {}).get("outputs") or []) != ((b or {}).get("outputs") or []),
        "outputs_diff": diff_lines(out_a, out_b),
        "source_a": src_a if a is not None else None,
        "source_b": src_b if b is not None else None,
    }


# Terminal colours by the first character of a diff line; others stay plain.
_COLORS = {"+": "32", "-": "31", "@": "36", "\\": "2"}


def format_diff(entries: list[dict[str, Any]], color: bool = False) -> str:
    """Return the entries (``diff_cells``) as terminal text, changed cells only: a
    heading per cell, then its diff lines as they are, coloured if ``color``."""

    def paint(line: str) -> str:
        code = _COLORS.get(line[:1]) if color else None
        return f"\x1b[{code}m{line}\x1b[0m" if code else line

    lines = []
    for e in entries:
        if e["change"] == "unchanged":
            continue
        lines.append(f"## cell {e['cell_id']} ({e['cell_type']}): {e['change']}")
        lines.extend(paint(line) for line in e["source_diff"])
        if e["outputs_diff"]:
            lines.append("## outputs:")
            lines.extend(paint(line) for line in e["outputs_diff"])
        elif e["outputs_changed"]:
            lines.append("## outputs changed (non-text data)")
        lines.append("")
    return "\n".join(lines) if lines else "no differences\n"
