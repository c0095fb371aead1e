"""A clean notebook as JSON without importing nbformat, for the shapes valid by construction.

``export.clean_notebook`` (nbformat: build, validate, repair) is the authority.
Importing nbformat and its validator costs more than the rest of a
``jupyter branch export``, so the command line first tries ``fast_notebook_json``:
when every cell, output and piece of metadata has a shape nbformat 4.5 accepts
as it is (checked here with plain rules, conservatively), it writes the very
text ``nbformat.writes(clean_notebook(...))`` would; otherwise it answers None
and the caller takes the nbformat path. ``tests/unit/test_export.py`` checks
both give the same bytes, and that what this writes validates.
"""

from __future__ import annotations

import json
import re
from typing import Any

MARKER_KEY = "jupyter_branch"  # outputs.MARKER_KEY: our cut markers in output metadata
_ID_OK = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
_MIME = re.compile(r"^[a-zA-Z0-9.+-]+/[^\s]+$")
_JSON_MIME = re.compile(r"^application/(.*\+)?json$")
_SPLIT_MIMES = {"application/javascript", "image/svg+xml"}
_TAG = re.compile(r"^[^,]+$")
_NAME = re.compile(r"^.+$")


def _cell_metadata_ok(meta: dict[str, Any]) -> bool:
    """Whether the keys of cell metadata the schema constrains have shapes it accepts."""
    tags = meta.get("tags")
    if tags is not None and not (
        isinstance(tags, list)
        and all(isinstance(t, str) and _TAG.match(t) for t in tags)
        and len(set(tags)) == len(tags)
    ):
        return False
    if "name" in meta and not (isinstance(meta["name"], str) and _NAME.match(meta["name"])):
        return False
    if "collapsed" in meta and not isinstance(meta["collapsed"], bool):
        return False
    if "scrolled" in meta and meta["scrolled"] not in (True, False, "auto"):
        return False
    if "format" in meta and not isinstance(meta["format"], str):
        return False
    jupyter = meta.get("jupyter")
    if jupyter is not None and not (
        isinstance(jupyter, dict)
        and all(
            isinstance(jupyter.get(k, False), bool) for k in ("source_hidden", "outputs_hidden")
        )
    ):
        return False
    execution = meta.get("execution")
    return execution is None or (
        isinstance(execution, dict) and all(isinstance(v, str) for v in execution.values())
    )


class _NotSimple(Exception):
    """Something nbformat may reject or repair: leave it to nbformat."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise _NotSimple
    value.encode("utf-8")  # a lone surrogate raises: nbformat's path replaces it
    return value


def _lines(value: str) -> list[str]:
    return value.splitlines(True)


def _json_safe(value: Any) -> Any:
    """Check a JSON value holds only text UTF-8 can write; return it."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        for k, v in value.items():
            _text(k)
            _json_safe(v)
    elif isinstance(value, list):
        for v in value:
            _json_safe(v)
    elif not (value is None or isinstance(value, (bool, int, float))):
        raise _NotSimple
    return value


def _metadata(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _NotSimple
    return {k: _json_safe(v) for k, v in value.items() if k != MARKER_KEY}


def _output(out: Any) -> dict[str, Any]:
    if not isinstance(out, dict):
        raise _NotSimple
    kind = out.get("output_type")
    keys = set(out) - {"transient"}
    if kind == "stream":
        if keys - {"output_type", "name", "text", "metadata"}:
            raise _NotSimple
        meta = out.get("metadata")
        if meta is not None and set(meta) - {MARKER_KEY}:
            raise _NotSimple  # a stream keeps no metadata: nbformat drops it
        return {
            "name": _text(out.get("name")),
            "output_type": "stream",
            "text": _lines(_text(out.get("text"))),
        }
    if kind == "error":
        if keys != {"output_type", "ename", "evalue", "traceback"}:
            raise _NotSimple
        traceback = out["traceback"]
        if not isinstance(traceback, list):
            raise _NotSimple
        return {
            "ename": _text(out["ename"]),
            "evalue": _text(out["evalue"]),
            "output_type": "error",
            "traceback": [_text(t) for t in traceback],
        }
    if kind in ("display_data", "execute_result"):
        required = {"output_type", "data", "metadata"} | (
            {"execution_count"} if kind == "execute_result" else set()
        )
        if keys != required or not isinstance(out["data"], dict):
            raise _NotSimple
        data: dict[str, Any] = {}
        for mime, value in out["data"].items():
            if not isinstance(mime, str) or not _MIME.match(mime):
                raise _NotSimple
            if _JSON_MIME.match(mime):
                data[mime] = _json_safe(value)
            elif isinstance(value, str):
                split = mime.startswith("text/") or mime in _SPLIT_MIMES
                data[mime] = _lines(_text(value)) if split else _text(value)
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                data[mime] = [_text(v) for v in value]
            else:
                raise _NotSimple
        result = {
            "data": data,
            "metadata": _metadata(out.get("metadata") or {}),
            "output_type": kind,
        }
        if kind == "execute_result":
            count = out["execution_count"]
            if not (count is None or (type(count) is int and count >= 0)):
                raise _NotSimple
            result["execution_count"] = count
        return result
    raise _NotSimple


def _cell(cell: dict[str, Any], seen: set[str], outputs: bool) -> dict[str, Any]:
    cell_id = cell.get("id")
    if not isinstance(cell_id, str) or not _ID_OK.match(cell_id) or cell_id in seen:
        raise _NotSimple  # nbformat's path makes up a valid, unique id
    seen.add(cell_id)
    kind = cell.get("cell_type")
    meta = _metadata(cell.get("metadata") or {})
    meta.pop("trusted", None)  # nbformat never writes it
    if not _cell_metadata_ok(meta):
        raise _NotSimple
    source = _lines(_text(cell.get("source") or ""))
    if kind in ("markdown", "raw"):
        return {"cell_type": kind, "id": cell_id, "metadata": meta, "source": source}
    if kind != "code":
        raise _NotSimple
    count = cell.get("execution_count") if outputs else None
    if not (count is None or (type(count) is int and 0 <= count < 2**63)):
        raise _NotSimple
    outs = [_output(o) for o in cell.get("outputs") or []] if outputs else []
    return {
        "cell_type": "code",
        "execution_count": count,
        "id": cell_id,
        "metadata": meta,
        "outputs": outs,
        "source": source,
    }


def fast_notebook_json(
    cells: list[dict[str, Any]], metadata: dict[str, Any] | None, outputs: bool = True
) -> str | None:
    """Return the clean notebook's file text (as ``export.notebook_json`` writes it), or
    None when a shape needs nbformat's validation and repairs."""
    try:
        meta = _metadata(metadata or {})
        spec = meta.get("kernelspec")
        if spec is not None and not (
            isinstance(spec, dict)
            and isinstance(spec.get("name"), str)
            and isinstance(spec.get("display_name"), str)
        ):
            raise _NotSimple
        info = meta.get("language_info")
        if info is not None and not (
            isinstance(info, dict)
            and isinstance(info.get("name"), str)
            and all(
                isinstance(info.get(k, ""), str)
                for k in ("file_extension", "mimetype", "pygments_lexer")
            )
            and isinstance(info.get("codemirror_mode", ""), (str, dict))
        ):
            raise _NotSimple
        for key in ("orig_nbformat", "orig_nbformat_minor", "signature"):
            meta.pop(key, None)
        seen: set[str] = set()
        notebook = {
            "cells": [_cell(c, seen, outputs) for c in cells],
            "metadata": meta,
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    except (_NotSimple, UnicodeEncodeError, AttributeError, TypeError):
        return None
    text = json.dumps(
        notebook, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False
    )
    return text + "\n"
