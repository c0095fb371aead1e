"""What a browser's ``execute_request`` says: read from the frame its websocket carried.

iopub does not carry the cell id; the ``execute_request`` does, in
``metadata.cellId`` (and ``metadata.deletedCells``). The kernel websocket
wrapper (capture.py) hands on, unread, every incoming frame that may be one
(``may_be_execute_request``: a substring test); the recorder reads it here
(``read_noted``), in the recording process by default, so the server's event
loop parses nothing on the message path. Binary frames are read as the v1
subprotocol, text as legacy JSON: the frame's type tells which, so nothing is
assumed about the connection.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1

from .model import column_text
from .tap import RequestInfo

log = logging.getLogger("jupyter_branch")

Frame = bytes | str  # a websocket message as tornado hands it over


def may_be_execute_request(ws_msg: Any) -> Frame | None:
    """Return ``ws_msg`` as ``bytes`` or ``str`` if it may be an execute request, else None.

    Every frame passes here on its way to the kernel: only one whose header
    names an execute request is worth reading, and telling costs a substring
    search, not a parse.
    """
    if isinstance(ws_msg, str):
        return ws_msg if "execute_request" in ws_msg else None
    if isinstance(ws_msg, (bytes, bytearray, memoryview)):
        frame = bytes(ws_msg)
        return frame if b"execute_request" in frame else None
    return None


def _looks_like_v1(frame: bytes) -> bool:
    """Return True if ``frame`` has the v1 layout's offset table (checked before
    reading it: a frame claiming 2**60 offsets must not make us count them)."""
    if len(frame) < 8:
        return False
    count = int.from_bytes(frame[:8], "little")
    if count < 2 or 8 * (count + 1) > len(frame):
        return False
    offsets = [int.from_bytes(frame[8 * i : 8 * (i + 1)], "little") for i in range(1, count + 1)]
    return offsets == sorted(offsets) and offsets[-1] <= len(frame)


def parse_execute_request(ws_msg: Any) -> tuple[str, RequestInfo] | None:
    """Return ``(msg_id, info)`` if ``ws_msg`` is an execute_request, else None.

    Raises on a frame that is neither v1 nor JSON (the caller ignores it).
    """
    if isinstance(ws_msg, (bytes, bytearray, memoryview)):
        frame = bytes(ws_msg)
        if b"execute_request" not in frame or not _looks_like_v1(frame):
            return None
        channel, parts = deserialize_msg_from_ws_v1(frame)
        if channel != "shell" or len(parts) < 4:
            return None
        header = json.loads(parts[0])
        if header.get("msg_type") != "execute_request":
            return None
        metadata = json.loads(parts[2])
        content = json.loads(parts[3])
    else:
        if "execute_request" not in ws_msg:
            return None
        msg = json.loads(ws_msg)
        if msg.get("channel", "shell") != "shell":
            return None
        header = msg.get("header") or {}
        if header.get("msg_type") != "execute_request":
            return None
        metadata = msg.get("metadata") or {}
        content = msg.get("content") or {}
    cell_id = metadata.get("cellId") if isinstance(metadata, dict) else None
    deleted = metadata.get("deletedCells") if isinstance(metadata, dict) else None
    code = content.get("code") if isinstance(content, dict) else None
    return str(header.get("msg_id")), RequestInfo(
        cell_id=column_text(str(cell_id)) if cell_id else None,
        code=code if isinstance(code, str) else "",
        deleted_cells=tuple(str(c) for c in deleted) if isinstance(deleted, list) else (),
    )


def read_noted(frame: Any, kernel_id: str, user: str | None) -> tuple[str, RequestInfo] | None:
    """The request a noted frame holds, sent to ``kernel_id`` by ``user``; None if it
    holds none or cannot be read (the kernel got it all the same)."""
    try:
        found = parse_execute_request(frame)
    except Exception as err:
        log.debug("jupyter-branch: could not read an incoming kernel message: %s", err)
        return None
    if found is not None:
        found[1].user = user
        found[1].kernel_id = kernel_id
    return found
