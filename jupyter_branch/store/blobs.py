"""Blob encoding: how sources, outputs and metadata are compressed and addressed.

A blob is stored once per distinct content (its BLAKE2b hash is the key);
``encode`` compresses it with zlib when that saves space, ``decode`` undoes it.
Outputs holding binary data (an image, a PDF: base64 text in the notebook
format) are split (``SPLIT``): the base64 strings are kept as the bytes they
encode, each compressed on its own at zlib's fastest level, the JSON around
them compressed as any blob. Base64 text squeezes worse than its bytes and
costs more to squeeze: a matplotlib PNG's outputs take 8% less room and half
the CPU. ``decode`` gives back the very bytes ``encode`` was given (a string
whose base64 would not come back the same stays text). Given ``put_part``, a
string of at least ``MIN_PART`` bytes becomes a blob of its own (``PARTS``:
the payload names it by id instead of holding it), so a figure shown again in
another output list, beside a different ``<Figure at 0x...>`` text, is stored
once; ``decode`` of such a payload needs ``part``, which reads those blobs. Past ``BIG`` bytes (a
long log) zlib works at level 2: a training log then takes a fifth more room
and a third of the CPU per MB, which is what recording a flood costs most.
Layouts (a state's list of cell-version ids) are packed as unsigned LEB128
varints of the id deltas, which zlib then squeezes further. A running
execution's outputs so far (``running.outputs``) are canonical JSON, zlib at
its fastest level: they are rewritten every second while a cell runs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Callable, Sequence
from typing import Any

RAW = 0
ZLIB = 1
SPLIT = 2
PARTS = 3  # as SPLIT, but some strings are blobs of their own (``part_ids``)
MIN_COMPRESS = 48
LEVEL = 6
BIG = 64 * 1024  # past this, a blob is a long log: zlib level 2, at a third of the CPU
BIG_LEVEL = 2
BINARY_LEVEL = 1  # on image bytes, smaller than level 6 as well as faster
MIN_BINARY = 512  # base64 characters: shorter strings stay in the JSON
MIN_PART = 2048  # bytes: a shorter binary string stays in its list's blob (a row costs ~80)
_IN_BLOB = 2  # a split string's flag: its bytes are in the blob whose id stands for its size

# a binary MIME type's value in an output's JSON (canonical or not): the base64 string
_BINARY_VALUE = re.compile(
    rb'"(?:image/(?:png|jpeg|gif|webp|bmp|tiff)|application/pdf)" ?: ?"'
    rb"([A-Za-z0-9+/]{%d,}={0,2})\"" % MIN_BINARY
)


def encode(data: bytes, put_part: Callable[[bytes], int] | None = None) -> tuple[int, bytes]:
    """Return ``(codec, payload)`` for ``data``: split if it holds binary
    outputs, else zlib if it is smaller, else raw.

    ``put_part`` stores a long binary string's bytes as a blob of its own and
    returns its id (then the codec is ``PARTS``).
    """
    if len(data) >= MIN_BINARY and (b'"image/' in data or b'"application/pdf"' in data):
        split = _encode_split(data, put_part)
        if split is not None:
            return split
    if len(data) >= MIN_COMPRESS:
        packed = zlib.compress(data, LEVEL if len(data) <= BIG else BIG_LEVEL)
        if len(packed) < len(data):
            return ZLIB, packed
    return RAW, data


def encode_binary(data: bytes) -> tuple[int, bytes]:
    """Return ``(codec, payload)`` for the bytes of a binary output: a part of its own,
    or a string inside a split blob (zlib at ``BINARY_LEVEL`` when that is smaller)."""
    squeezed = zlib.compress(data, BINARY_LEVEL)
    return (ZLIB, squeezed) if len(squeezed) < len(data) else (RAW, data)


def decode(codec: int, payload: bytes, part: Callable[[int], bytes] | None = None) -> bytes:
    """Return the original bytes. Raises ValueError for an unknown codec, or for
    ``PARTS`` without ``part`` (which returns the bytes of the blob with that id)."""
    if codec == RAW:
        return bytes(payload)
    if codec == ZLIB:
        return zlib.decompress(payload)
    if codec == SPLIT:
        return _decode_split(payload, None)
    if codec == PARTS:
        if part is None:
            raise ValueError("this blob's images are blobs of their own: decode needs part")
        return _decode_split(payload, part)
    raise ValueError(f"unknown blob codec {codec}")


def part_ids(payload: bytes) -> list[int]:
    """Return the ids of the blobs a ``PARTS`` payload names."""
    (_, count), pos = _read_varints(payload, 2)
    header, _ = _read_varints(payload, 3 * count, pos)
    return [header[i + 1] for i in range(0, len(header), 3) if header[i + 2] == _IN_BLOB]


def _encode_split(data: bytes, put_part: Callable[[bytes], int] | None) -> tuple[int, bytes] | None:
    """``SPLIT``'s payload: varints (JSON length, count, then per string: where it
    goes in the JSON, its packed length, 1 if zlib), the JSON without the strings
    (zlib), each string's bytes. ``PARTS``: the same, but a string held by a
    blob of its own has the flag ``_IN_BLOB`` and that blob's id for a length.
    None when no string is worth splitting."""
    rest: list[bytes] = []
    header: list[int] = []
    packed: list[bytes] = []
    start = at = 0
    kind = SPLIT
    for match in _BINARY_VALUE.finditer(data):
        text = match.group(1)
        try:
            raw = base64.b64decode(text, validate=True)
        except binascii.Error:
            continue
        if base64.b64encode(raw) != text:
            continue  # its base64 would not come back the same
        rest.append(data[start : match.start(1)])
        at += match.start(1) - start
        start = match.end(1)
        if put_part is not None and len(raw) >= MIN_PART:
            header += [at, put_part(raw), _IN_BLOB]
            kind = PARTS
            continue
        kind_of_raw, stored = encode_binary(raw)
        packed.append(stored)
        header += [at, len(stored), int(kind_of_raw == ZLIB)]
    if not header:
        return None
    rest.append(data[start:])
    json_part = zlib.compress(b"".join(rest), LEVEL)
    head = _varints([len(json_part), len(header) // 3, *header])
    return kind, b"".join([head, json_part, *packed])


def _decode_split(payload: bytes, part: Callable[[int], bytes] | None) -> bytes:
    values, pos = _read_varints(payload, 2)
    json_len, count = values
    header, pos = _read_varints(payload, 3 * count, pos)
    rest = zlib.decompress(payload[pos : pos + json_len])
    pos += json_len
    out: list[bytes] = []
    start = 0
    for i in range(count):
        at, size, zipped = header[3 * i : 3 * i + 3]
        out.append(rest[start:at])
        if zipped == _IN_BLOB:
            if part is None:
                raise ValueError("a split string is in another blob: decode needs part")
            out.append(base64.b64encode(part(size)))
        else:
            raw = payload[pos : pos + size]
            pos += size
            out.append(base64.b64encode(zlib.decompress(raw) if zipped else raw))
        start = at
    out.append(rest[start:])
    return b"".join(out)


def _varints(values: Sequence[int]) -> bytes:
    out = bytearray()
    for z in values:
        while True:
            byte = z & 0x7F
            z >>= 7
            if z:
                out.append(byte | 0x80)
            else:
                out.append(byte)
                break
    return bytes(out)


def _read_varints(data: bytes, count: int, pos: int = 0) -> tuple[list[int], int]:
    values: list[int] = []
    while len(values) < count:
        z = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            z |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
            shift += 7
        values.append(z)
    return values, pos


def decode_json(codec: int, payload: bytes, part: Callable[[int], bytes] | None = None) -> Any:
    return json.loads(decode(codec, payload, part).decode("utf-8", "surrogatepass"))


def pack_ids(ids: Sequence[int]) -> bytes:
    """Pack integer ids as zigzag varints of their successive differences."""
    zigzags = []
    previous = 0
    for value in ids:
        delta = value - previous
        previous = value
        zigzags.append((delta << 1) ^ (delta >> 63))
    return _varints(zigzags)


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
