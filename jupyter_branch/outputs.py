"""Output replay: kernel iopub messages in, the outputs JupyterLab shows out.

Pure code, no I/O. ``OutputReplay`` applies messages the way JupyterLab's
output area does, which is also what nbclient does when it writes a notebook:

- consecutive ``stream`` messages of the same name merge into one output, with
  carriage returns and backspaces applied (progress bars stay one line);
- ``clear_output`` empties the outputs, at once or (``wait``) when the next
  output arrives;
- display ids are global to a kernel (JupyterLab, nbclient): an
  ``update_display_data``, or a new ``display_data``/``execute_result`` with a
  ``display_id``, rewrites the data and metadata of every earlier output
  carrying that id; the new display is then added, the update is not. The
  last data of every id seen is kept in ``display_updates``, for the writer to
  apply to the other cells that show it (``store/displays.py``).

Each output is capped at ``max_output_bytes``. A stream past the cap keeps its
head and its tail with a visible marker between them; a rich output past the
cap is replaced by a visible text marker. Either way the original size is
recorded in ``metadata["jupyter_branch"]``, never silently.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

MARKER_KEY = "jupyter_branch"
OUTPUT_MSG_TYPES = frozenset(
    {"stream", "display_data", "execute_result", "error", "update_display_data", "clear_output"}
)


def human_size(n: int) -> str:
    """Return ``n`` bytes as a short human string (``"1.5 MB"``)."""
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} bytes"  # pragma: no cover


def apply_overwrites(text: str) -> str:
    """Apply ``\\r`` (back to line start) and ``\\b`` (erase one char) as a terminal would.

    ``\\r\\n`` is a plain newline. A trailing lone ``\\r`` is kept so that the next
    chunk of the stream overwrites the line, as in JupyterLab.
    """
    if "\r" not in text and "\b" not in text:
        return text
    text = text.replace("\r\n", "\n")
    out_lines = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "\b" in line:
            buf: list[str] = []
            for ch in line:
                if ch == "\b":
                    if buf:
                        buf.pop()
                else:
                    buf.append(ch)
            line = "".join(buf)
        if "\r" in line:
            last = i == len(lines) - 1
            if last and line.endswith("\r"):
                # keep the text until the next chunk decides what overwrites it
                parts = line[:-1].split("\r")
                line = parts[-1] + "\r"
            else:
                line = line.split("\r")[-1]
        out_lines.append(line)
    return "\n".join(out_lines)


class _StreamBuffer:
    """Text of one stream output, kept in pieces so appending stays linear.

    Pieces end at line breaks where possible, so carriage-return handling only
    ever rewrites the last, partial line. Past the cap the text is split into a
    head kept whole and a bounded tail; what falls between is counted in ``cut``.
    """

    def __init__(self, name: str, cap: int) -> None:
        self.name = name
        self.cap = cap
        self.head_cap = cap // 2
        self.tail_cap = cap - self.head_cap
        self.head: str | None = None  # set once the cap is passed
        self.parts: deque[str] = deque()
        self.length = 0
        self.cut = 0
        self.total = 0

    def append(self, text: str) -> None:
        self.total += len(text)
        if self.parts and _needs_fix(self.parts[-1], text):
            last = self.parts.pop()
            self.length -= len(last)
            text = apply_overwrites(last + text)
        elif "\r" in text or "\b" in text:
            text = apply_overwrites(text)
        cut_at = text.rfind("\n") + 1
        for piece in (text[:cut_at], text[cut_at:]):
            if piece:
                self.parts.append(piece)
                self.length += len(piece)
        if self.head is None and self.length > self.cap:
            whole = "".join(self.parts)
            self.head = whole[: self.head_cap]
            rest = whole[self.head_cap :]
            self.parts = deque([rest])
            self.length = len(rest)
        if self.head is not None:
            self._trim()

    def _trim(self) -> None:
        while self.length > self.tail_cap and self.parts:
            first = self.parts[0]
            excess = self.length - self.tail_cap
            if len(first) <= excess:
                self.parts.popleft()
                self.length -= len(first)
                self.cut += len(first)
            else:
                self.parts[0] = first[excess:]
                self.length -= excess
                self.cut += excess

    def to_output(self) -> dict[str, Any]:
        body = "".join(self.parts)
        if self.head is None:
            return {"output_type": "stream", "name": self.name, "text": body}
        marker = (
            f"\n… [jupyter-branch: {self.cut:,} characters cut here; "
            f"the whole output was {self.total:,} characters] …\n"
        )
        return {
            "output_type": "stream",
            "name": self.name,
            "text": self.head + marker + body,
            "metadata": {MARKER_KEY: {"truncated": True, "original_size": self.total}},
        }


def _needs_fix(previous: str, text: str) -> bool:
    return "\r" in text or "\b" in text or previous.endswith("\r")


def _value_size(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    return len(json.dumps(value, default=str))


def _rich_size(output: dict[str, Any]) -> int:
    """Characters an output's data and metadata take (mime types included)."""
    data = output.get("data") or {}
    size = sum(len(str(k)) + _value_size(v) for k, v in data.items())
    meta = output.get("metadata")
    return size + (_value_size(meta) if meta else 0)


def as_mapping(value: Any) -> dict[str, Any]:
    """Return ``value`` as a dict with text keys. Raises TypeError if it is not a dict."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError("expected an object")
    return {str(k): v for k, v in value.items()}


def cap_error(output: dict[str, Any], cap: int) -> dict[str, Any]:
    """Return an error output that fits in ``cap``: its traceback cut in the middle."""
    lines = output["traceback"]
    size = len(output["ename"]) + len(output["evalue"]) + sum(len(line) for line in lines)
    if size <= cap:
        return output
    budget = cap // 2
    ename = output["ename"]
    if len(ename) > 200:
        ename = ename[:200] + "…"
    evalue = output["evalue"]
    if len(evalue) > budget // 2:
        evalue = evalue[: budget // 2] + " …"
    head: list[str] = []
    tail: list[str] = []
    used = 0
    for line in lines:  # first lines, then last lines, each half the budget
        if used + len(line) > budget // 2:
            break
        head.append(line)
        used += len(line)
    for line in reversed(lines[len(head) :]):
        if used + len(line) > budget:
            break
        tail.insert(0, line)
        used += len(line)
    cut = len(lines) - len(head) - len(tail)
    marker = (
        f"… [jupyter-branch: {cut} traceback lines cut here; "
        f"the whole error was {size:,} characters] …"
    )
    return {**output, "ename": ename, "evalue": evalue, "traceback": [*head, marker, *tail]}


def cap_rich_output(output: dict[str, Any], cap: int) -> dict[str, Any]:
    """Return ``output`` unchanged if its data fits in ``cap``, else a visible marker."""
    data = output.get("data") or {}
    size = _rich_size(output)
    if size <= cap:
        return output
    kinds = ", ".join(str(k)[:40] for k in sorted(data)[:3]) or "no data"
    if len(data) > 3:
        kinds += ", …"
    marker = (
        f"[jupyter-branch: this output ({kinds}) was {human_size(size)}, over the "
        f"{human_size(cap)} limit per output, and was not kept]"
    )
    capped = {k: v for k, v in output.items() if k not in ("data", "metadata")}
    capped["data"] = {"text/plain": marker}
    capped["metadata"] = {MARKER_KEY: {"truncated": True, "original_size": size}}
    return capped


class OutputReplay:
    """Accumulates the outputs of one execution from its iopub messages."""

    def __init__(self, max_output_bytes: int = 5_000_000) -> None:
        self.cap = int(max_output_bytes)
        self._items: list[dict[str, Any] | _StreamBuffer] = []
        self._clear_pending = False
        self._shown: dict[str, list[int]] = {}  # display id -> indices in _items
        self.display_updates: dict[str, dict[str, Any]] = {}
        self.error: dict[str, Any] | None = None
        self.changed = False
        self.ignored = 0

    def add(self, msg_type: str, content: dict[str, Any]) -> None:
        """Apply one iopub message. Malformed content is counted in ``ignored``, never raised."""
        try:
            self._add(msg_type, content)
        except (TypeError, KeyError, AttributeError, ValueError):
            self.ignored += 1

    def _add(self, msg_type: str, content: dict[str, Any]) -> None:
        if not isinstance(content, dict):
            raise TypeError("content is not an object")
        if msg_type == "clear_output":
            if content.get("wait"):
                self._clear_pending = True
            else:
                self._clear()
            self.changed = True
            return
        if msg_type == "update_display_data":
            self._update_display(content)
            return
        if msg_type not in ("stream", "display_data", "execute_result", "error"):
            return
        if self._clear_pending:
            self._clear()
        self.changed = True
        if msg_type == "stream":
            name = str(content.get("name", "stdout"))
            text = content["text"]
            if not isinstance(text, str):
                text = str(text)
            last = self._items[-1] if self._items else None
            if isinstance(last, _StreamBuffer) and last.name == name:
                last.append(text)
            else:
                buf = _StreamBuffer(name, self.cap)
                buf.append(text)
                self._items.append(buf)
        elif msg_type == "error":
            traceback = content.get("traceback") or []
            if not isinstance(traceback, list):
                traceback = [traceback]
            out: dict[str, Any] = cap_error(
                {
                    "output_type": "error",
                    "ename": str(content.get("ename", "")),
                    "evalue": str(content.get("evalue", "")),
                    "traceback": [str(line) for line in traceback],
                },
                self.cap,
            )
            self.error = out
            self._items.append(out)
        else:
            out = {  # type: ignore[no-redef]
                "output_type": msg_type,
                "data": as_mapping(content.get("data")),
                "metadata": as_mapping(content.get("metadata")),
            }
            if msg_type == "execute_result":
                out["execution_count"] = content.get("execution_count")
            out = cap_rich_output(out, self.cap)
            display_id = _display_id(content)
            if display_id:
                # a new display with an id already shown updates it everywhere first
                self._set_display(display_id, {"data": out["data"], "metadata": out["metadata"]})
                out["transient"] = {"display_id": display_id}
                self._shown.setdefault(display_id, []).append(len(self._items))
            self._items.append(out)

    def _clear(self) -> None:
        self._items.clear()
        self._shown.clear()
        self._clear_pending = False

    def _update_display(self, content: dict[str, Any]) -> None:
        display_id = _display_id(content)
        if not display_id:
            return
        update = {
            "data": as_mapping(content.get("data")),
            "metadata": as_mapping(content.get("metadata")),
        }
        self._set_display(display_id, cap_rich_output(update, self.cap))

    def _set_display(self, display_id: str, update: dict[str, Any]) -> None:
        """Give every output here carrying ``display_id`` the (capped) ``update``; keep it
        for the other cells that show it."""
        for i in self._shown.get(display_id, ()):
            item = self._items[i]
            if isinstance(item, dict):  # always: only rich outputs are indexed
                self._items[i] = {**item, "data": update["data"], "metadata": update["metadata"]}
                self.changed = True
        self.display_updates[display_id] = update

    def outputs(self) -> list[dict[str, Any]]:
        """Return the outputs so far as nbformat-shaped dicts (a fresh list each call)."""
        result = []
        for item in self._items:
            if isinstance(item, _StreamBuffer):
                out = item.to_output()
                if out["text"].endswith("\r"):
                    out["text"] = out["text"][:-1]
                result.append(out)
            else:
                result.append(item)
        return result


def _display_id(content: dict[str, Any]) -> str | None:
    transient = content.get("transient")
    display_id = transient.get("display_id") if isinstance(transient, dict) else None
    return str(display_id) if display_id else None


def apply_display_update(
    outputs: list[dict[str, Any]], display_id: str, update: dict[str, Any], cap: int
) -> list[dict[str, Any]] | None:
    """Return ``outputs`` with ``display_id`` updated, or None if no output carries it."""
    found = False
    result = []
    for out in outputs:
        if (out.get("transient") or {}).get("display_id") == display_id:
            new = dict(out)
            new["data"] = update.get("data", {})
            new["metadata"] = update.get("metadata", {})
            result.append(cap_rich_output(new, cap))
            found = True
        else:
            result.append(out)
    return result if found else None


def without_transient(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return outputs as a reader of history sees them: without ``transient`` keys.

    The store keeps each output's display id (in ``transient``, as the kernel
    sent it) so a later ``update_display_data`` can find it; nothing outside
    the writer needs it, and a notebook never holds it. Readers of the store
    call this once, so every consumer compares outputs the same way.
    """
    return [
        {k: v for k, v in out.items() if k != "transient"} if "transient" in out else out
        for out in outputs
    ]


def clean_output(output: dict[str, Any]) -> dict[str, Any]:
    """Return an nbformat-valid copy: no transient ids, no history markers in metadata."""
    out: dict[str, Any] = {k: v for k, v in output.items() if k != "transient"}
    meta = out.get("metadata")
    if isinstance(meta, dict) and MARKER_KEY in meta:
        meta = {k: v for k, v in meta.items() if k != MARKER_KEY}
        if out.get("output_type") == "stream":
            out.pop("metadata", None)
        else:
            out["metadata"] = meta
    elif out.get("output_type") == "stream":
        out.pop("metadata", None)
    return out
