"""Blob encoding: how sources, outputs and metadata are compressed and addressed.

A blob is stored once per distinct content (its BLAKE2b hash is the key);
``encode`` compresses it with zlib when that saves space, ``decode`` undoes it.
Layouts (a state's list of cell-version ids) are packed as unsigned LEB128
varints of the id deltas, which zlib then squeezes further. A running
execution's outputs so far (``running.outputs``) are canonical JSON, zlib at
its fastest level: they are rewritten every second while a cell runs.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from typing import Any

RAW = 0
ZLIB = 1
MIN_COMPRESS = 48
LEVEL = 6


def encode(data: bytes) -> tuple[int, bytes]:
    """Return ``(codec, payload)`` for ``data``: zlib if it is smaller, else raw."""
    if len(data) >= MIN_COMPRESS:
        packed = zlib.compress(data, LEVEL)
        if len(packed) < len(data):
            return ZLIB, packed
    return RAW, data


def decode(codec: int, payload: bytes) -> bytes:
    """Return the original bytes. Raises ValueError for an unknown codec."""
    if codec == RAW:
        return bytes(payload)
    if codec == ZLIB:
        return zlib.decompress(payload)
    raise ValueError(f"unknown blob codec {codec}")


def decode_json(codec: int, payload: bytes) -> Any:
    return json.loads(decode(codec, payload).decode("utf-8", "surrogatepass"))


def pack_ids(ids: Sequence[int]) -> bytes:
    """Pack integer ids as zigzag varints of their successive differences."""
    out = bytearray()
    previous = 0
    for value in ids:
        delta = value - previous
        previous = value
        z = (delta << 1) ^ (delta >> 63)
        while True:
            byte = z & 0x7F
            z >>= 7
            if z:
                out.append(byte | 0x80)
            else:
                out.append(byte)
                break
    return bytes(out)


def unpack_ids(data: bytes) -> list[int]:
    """Reverse ``pack_ids``."""
    ids = []
    previous = 0
    z = shift = 0
    for byte in data:
        z |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        delta = (z >> 1) ^ -(z & 1)
        previous += delta
        ids.append(previous)
        z = shift = 0
    return ids


def pack_running(outputs: list[Any]) -> bytes:
    """Return a running execution's outputs so far as stored in ``running.outputs``."""
    from ..model import canonical_json

    return zlib.compress(canonical_json(outputs), 1)


def unpack_running(data: bytes) -> list[Any]:
    """Reverse ``pack_running``."""
    return list(json.loads(zlib.decompress(data).decode("utf-8", "surrogatepass")))
