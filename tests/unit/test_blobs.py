"""Blob encoding: every codec gives back the very bytes it was given, and
binary outputs are kept as bytes, smaller than their base64 text squeezed."""

from __future__ import annotations

import base64
import json
import random
import struct
import zlib

import pytest

from jupyter_branch.model import canonical_json
from jupyter_branch.store import blobs


def png(width: int = 160, height: int = 120, seed: int = 1) -> bytes:
    """A real PNG (an RGB gradient with noise), as plotting libraries make them."""
    rng = random.Random(seed)
    rows = b"".join(
        b"\x00"
        + bytes(
            v
            for x in range(width)
            for v in (x * 255 // width, y * 255 // height, rng.randrange(0, 40))
        )
        for y in range(height)
    )

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 6))
        + chunk(b"IEND", b"")
    )


def figure_outputs(image: bytes, text: str = "<Figure size 640x480>") -> list[dict]:
    return [
        {"name": "stdout", "output_type": "stream", "text": "epoch 3: loss 0.12\n"},
        {
            "output_type": "display_data",
            "data": {"image/png": base64.b64encode(image).decode(), "text/plain": text},
            "metadata": {"image/png": {"width": 160}},
        },
    ]


def roundtrip(data: bytes) -> tuple[int, bytes]:
    codec, payload = blobs.encode(data)
    assert blobs.decode(codec, payload) == data
    return codec, payload


def test_an_image_output_is_kept_as_bytes_and_comes_back_exactly():
    data = canonical_json(figure_outputs(png()))
    codec, payload = roundtrip(data)
    assert codec == blobs.SPLIT
    assert len(payload) < len(zlib.compress(data, blobs.LEVEL))


def test_several_images_and_pdf_in_one_list_and_json_not_canonical():
    image = png(seed=2)
    result = {
        "output_type": "execute_result",
        "data": {
            "image/jpeg": base64.b64encode(image).decode(),
            "application/pdf": base64.b64encode(b"%PDF-1.4 " + image).decode(),
        },
        "execution_count": 4,
        "metadata": {},
    }
    outputs = [*figure_outputs(png(seed=3)), result]
    for data in (canonical_json(outputs), json.dumps(outputs, indent=1).encode()):
        codec, payload = roundtrip(data)
        assert codec == blobs.SPLIT
        assert blobs._read_varints(payload, 2)[0][1] == 3  # three strings split out


@pytest.mark.parametrize(
    "value",
    [
        # base64 broken into lines, as some kernels send it: not the same when re-encoded
        "\\n".join(base64.b64encode(png()).decode()[i : i + 76] for i in range(0, 4000, 76)),
        # padding a decoder accepts but an encoder never writes
        "A" * 1023 + "B=",
        # not base64 at all
        "not base64: " + "x" * 600,
        # short: stays in the JSON
        base64.b64encode(b"tiny").decode(),
    ],
)
def test_strings_whose_base64_would_not_come_back_the_same_stay_text(value):
    data = b'[{"data":{"image/png":"%s"},"output_type":"display_data"}]' % value.encode()
    codec, _ = roundtrip(data)
    assert codec in (blobs.RAW, blobs.ZLIB)


def test_incompressible_image_bytes_are_stored_as_they_are():
    noise = random.Random(5).randbytes(30_000)
    data = canonical_json(figure_outputs(noise))
    codec, payload = roundtrip(data)
    assert codec == blobs.SPLIT
    assert len(noise) < len(payload) < len(noise) + 400


@pytest.mark.parametrize(
    "data",
    [b"", b"x = 1\n", ("print('h\u00e9llo')\n" * 40).encode(), canonical_json([])],
)
def test_sources_and_plain_outputs_keep_zlib_or_raw(data):
    codec, _ = roundtrip(data)
    assert codec in (blobs.RAW, blobs.ZLIB)


def test_unknown_codec_is_refused():
    with pytest.raises(ValueError, match="unknown blob codec 9"):
        blobs.decode(9, b"")


def test_layouts_pack_and_unpack():
    ids = [5, 6, 7, 3, 1_000_000, 2**40, 0]
    assert blobs.unpack_ids(blobs.pack_ids(ids)) == ids
    assert len(blobs.pack_ids(list(range(100, 300)))) == 201


def test_long_images_go_to_blobs_of_their_own_and_come_back_through_part():
    big, small = png(seed=4), b"\x89PNG tiny but long enough" * 30
    assert len(small) < blobs.MIN_PART <= len(big)
    outputs = figure_outputs(big)
    outputs.append({**outputs[1], "data": {"image/png": base64.b64encode(small).decode()}})
    data = canonical_json(outputs)
    stored: dict[int, bytes] = {}

    def put_part(raw: bytes) -> int:
        stored[len(stored) + 100] = raw
        return len(stored) + 99

    codec, payload = blobs.encode(data, put_part)
    assert codec == blobs.PARTS
    assert list(stored.values()) == [big]  # the short one stays in the payload
    assert blobs.part_ids(payload) == [100]
    assert len(payload) < len(big) // 2
    assert blobs.decode(codec, payload, stored.__getitem__) == data
    with pytest.raises(ValueError):
        blobs.decode(codec, payload)
    # without put_part nothing changes
    assert blobs.encode(data)[0] == blobs.SPLIT
