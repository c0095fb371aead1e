"""Content in and out of the store: blobs, cell versions and layouts.

``ContentWriter`` puts content (deduplicated by hash, with bounded caches of
known ids) for the single writer thread, and adds each new source and outputs
list to the search index as it stores it. The module-level readers turn a
state's layout back into ``CellRef``s (for the rules) or full nbformat cells
(for the API, the CLI and export).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select

from ..model import EMPTY_OUTPUTS, CellRef, canonical_json, encode_text, hash_bytes
from ..outputs import without_transient
from . import blobs as codec
from . import search
from .schema import blobs, cell_versions

# content the rules refer to by hash without storing it first
_WELL_KNOWN = {EMPTY_OUTPUTS: canonical_json([])}


class _LRU(OrderedDict[bytes, int]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_id(self, key: bytes) -> int | None:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key: bytes, value: int) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


# Statements built once: building `.values(...)` per call costs more than running it.
_BLOB_BY_HASH = select(blobs.c.id).where(blobs.c.hash == bindparam("h"))
_INSERT_BLOB = blobs.insert()
_VERSION_BY_HASH = select(cell_versions.c.id).where(cell_versions.c.hash == bindparam("h"))
_INSERT_VERSION = cell_versions.insert()


class ContentWriter:
    """Puts blobs and cell versions, each at most once.

    The caches map hashes to row ids; they must be cleared when a transaction
    rolls back (``forget``), since ids made in it no longer exist.
    """

    def __init__(self, cache_size: int = 8192) -> None:
        self.blob_ids = _LRU(cache_size)
        self.version_ids = _LRU(cache_size)
        self.searchable: bool | None = None  # does the store have a search index (once known)

    def forget(self) -> None:
        self.blob_ids.clear()
        self.version_ids.clear()

    def put_bytes(
        self,
        conn: Connection,
        data: bytes,
        digest: bytes | None = None,
        indexed: Callable[[], str] | None = None,
    ) -> int:
        """Return the id of the blob holding ``data``, storing it if new.

        ``indexed`` gives a new blob's searchable text, for the search index.
        """
        digest = digest or hash_bytes(data)
        known = self.blob_ids.get_id(digest)
        if known is not None:
            return known
        row = conn.execute(_BLOB_BY_HASH, {"h": digest}).first()
        if row is not None:
            blob_id = row.id
        else:
            kind, payload = codec.encode(data)
            blob_id = conn.execute(
                _INSERT_BLOB, {"hash": digest, "size": len(data), "codec": kind, "data": payload}
            ).inserted_primary_key[0]  # type: ignore[index]
            if indexed is not None:
                if self.searchable is None:
                    self.searchable = search.available(conn)
                if self.searchable:
                    search.index_blob(conn, blob_id, indexed())
        self.blob_ids.put(digest, blob_id)
        return blob_id

    def put_text(self, conn: Connection, text: str) -> tuple[int, bytes]:
        """Store a source (or code as run); return its blob id and hash."""
        data = encode_text(text)
        digest = hash_bytes(data)
        return self.put_bytes(conn, data, digest, lambda: search.searchable_text(text)), digest

    def put_json(self, conn: Connection, value: Any) -> tuple[int, bytes]:
        """Store a JSON value (outputs are lists, and searchable); return its blob id and hash."""
        data = canonical_json(value)
        digest = hash_bytes(data)

        def indexed() -> str:
            # outputs as parsed already: no need to read the JSON back
            return search.searchable_text(data.decode("utf-8", "surrogatepass"), value)

        searchable = indexed if isinstance(value, list) else None
        return self.put_bytes(conn, data, digest, searchable), digest

    def blob_id(self, conn: Connection, digest: bytes | None) -> int | None:
        """Return the id of an existing blob by hash (None for None). Raises KeyError."""
        if digest is None:
            return None
        known = self.blob_ids.get_id(digest)
        if known is not None:
            return known
        row = conn.execute(_BLOB_BY_HASH, {"h": digest}).first()
        if row is None:
            if digest in _WELL_KNOWN:
                return self.put_bytes(conn, _WELL_KNOWN[digest], digest)
            raise KeyError(digest.hex())
        self.blob_ids.put(digest, row.id)
        return int(row.id)

    def put_version(self, conn: Connection, ref: CellRef) -> int:
        """Return the id of the cell version ``ref``, storing it if new.

        Its blobs must be stored already.
        """
        key = ref.key()
        known = self.version_ids.get_id(key)
        if known is not None:
            return known
        row = conn.execute(_VERSION_BY_HASH, {"h": key}).first()
        if row is not None:
            version_id = row.id
        else:
            version_id = conn.execute(
                _INSERT_VERSION,
                {
                    "hash": key,
                    "cell_id": ref.cell_id,
                    "cell_type": ref.cell_type,
                    "source_blob": self.blob_id(conn, ref.source),
                    "outputs_blob": self.blob_id(conn, ref.outputs),
                    "execution_count": ref.execution_count,
                    "metadata_blob": self.blob_id(conn, ref.metadata),
                },
            ).inserted_primary_key[0]  # type: ignore[index]
        self.version_ids.put(key, version_id)
        return version_id

    def put_layout(self, conn: Connection, version_ids: Sequence[int]) -> int:
        return self.put_bytes(conn, codec.pack_ids(version_ids))


def read_blob(conn: Connection, blob_id: int | None) -> bytes | None:
    if blob_id is None:
        return None
    row = conn.execute(select(blobs.c.codec, blobs.c.data).where(blobs.c.id == blob_id)).one()
    return codec.decode(row.codec, row.data)


def read_text(conn: Connection, blob_id: int | None) -> str | None:
    data = read_blob(conn, blob_id)
    return None if data is None else data.decode("utf-8", "surrogatepass")


def read_json(conn: Connection, blob_id: int | None) -> Any:
    data = read_blob(conn, blob_id)
    return None if data is None else json.loads(data.decode("utf-8", "surrogatepass"))


def read_layout(conn: Connection, layout_blob: int) -> list[int]:
    data = read_blob(conn, layout_blob)
    return codec.unpack_ids(data or b"")


def _order(ids: Sequence[int], rows: dict[int, Any]) -> list[Any]:
    missing = [i for i in ids if i not in rows]
    if missing:
        raise LookupError(f"cell versions missing from the store: {missing[:5]}")
    return [rows[i] for i in ids]


def load_refs(conn: Connection, layout_blob: int) -> tuple[list[int], list[CellRef]]:
    """Return a state's cell-version ids and their ``CellRef``s, in order."""
    ids = read_layout(conn, layout_blob)
    if not ids:
        return [], []
    sb, ob, mb = blobs.alias(), blobs.alias(), blobs.alias()
    query = (
        select(
            cell_versions.c.id,
            cell_versions.c.cell_id,
            cell_versions.c.cell_type,
            cell_versions.c.execution_count,
            sb.c.hash.label("source"),
            ob.c.hash.label("outputs"),
            mb.c.hash.label("metadata"),
        )
        .join(sb, sb.c.id == cell_versions.c.source_blob)
        .outerjoin(ob, ob.c.id == cell_versions.c.outputs_blob)
        .outerjoin(mb, mb.c.id == cell_versions.c.metadata_blob)
        .where(cell_versions.c.id.in_(set(ids)))
    )
    rows = {r.id: r for r in conn.execute(query)}
    refs = [
        CellRef(r.cell_id, r.cell_type, r.source, r.outputs, r.execution_count, r.metadata)
        for r in _order(ids, rows)
    ]
    return ids, refs


def load_versions(conn: Connection, version_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Return full cells (nbformat-shaped dicts) for version ids, in order.

    Outputs come without their ``transient`` display ids (``without_transient``).
    """
    if not version_ids:
        return []
    sb, ob, mb = blobs.alias(), blobs.alias(), blobs.alias()
    query = (
        select(
            cell_versions.c.id,
            cell_versions.c.cell_id,
            cell_versions.c.cell_type,
            cell_versions.c.execution_count,
            sb.c.codec.label("s_codec"),
            sb.c.data.label("s_data"),
            ob.c.codec.label("o_codec"),
            ob.c.data.label("o_data"),
            mb.c.codec.label("m_codec"),
            mb.c.data.label("m_data"),
        )
        .join(sb, sb.c.id == cell_versions.c.source_blob)
        .outerjoin(ob, ob.c.id == cell_versions.c.outputs_blob)
        .outerjoin(mb, mb.c.id == cell_versions.c.metadata_blob)
        .where(cell_versions.c.id.in_(set(version_ids)))
    )
    rows = {r.id: r for r in conn.execute(query)}
    cells = []
    for r in _order(version_ids, rows):
        cell: dict[str, Any] = {
            "id": r.cell_id,
            "cell_type": r.cell_type,
            "source": codec.decode(r.s_codec, r.s_data).decode("utf-8", "surrogatepass"),
            "metadata": codec.decode_json(r.m_codec, r.m_data) if r.m_data is not None else {},
        }
        if r.cell_type == "code":
            outputs = codec.decode_json(r.o_codec, r.o_data) if r.o_data is not None else []
            cell["outputs"] = without_transient(outputs)
            cell["execution_count"] = r.execution_count
        cells.append(cell)
    return cells


def load_cells(conn: Connection, layout_blob: int) -> list[dict[str, Any]]:
    """Return a state's full cells in order."""
    return load_versions(conn, read_layout(conn, layout_blob))
