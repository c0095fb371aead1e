"""Content in and out of the store: blobs, cell versions and layouts.

``ContentWriter`` puts content (deduplicated by hash within each notebook, with
bounded caches of known ids) for the writer thread, and adds each new source
and outputs list to the search index as it stores it. Rows are keyed by
``model.scoped_key``: content is stored once per notebook, so each row has one
owner; inserts are ``ON CONFLICT DO NOTHING`` so any number of writers can put
the same content at once. The module-level readers turn a
state's layout back into ``CellRef``s (for the rules); full nbformat cells
(for the API, the CLI, export and restore) come from ``reads.load_versions``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..model import (
    EMPTY_OUTPUTS,
    CellRef,
    canonical_json,
    column_text,
    encode_text,
    hash_bytes,
    scoped_key,
)
from . import blobs as codec
from . import search
from .fastexec import fetch_one, write
from .schema import blobs, cell_versions

# content the rules refer to by hash without storing it first
_WELL_KNOWN = {EMPTY_OUTPUTS: canonical_json([])}


class _LRU(OrderedDict[tuple[int, bytes], int]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_id(self, key: tuple[int, bytes]) -> int | None:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key: tuple[int, bytes], value: int) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


# Statements built once: building `.values(...)` per call costs more than running it.
_BLOB_BY_HASH = select(blobs.c.id).where(blobs.c.hash == bindparam("h"))
_VERSION_BY_HASH = select(cell_versions.c.id).where(cell_versions.c.hash == bindparam("h"))
_INSERTS = {
    (dialect, table.name): make(table).on_conflict_do_nothing(index_elements=["hash"])
    for dialect, make in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
    for table in (blobs, cell_versions)
}


def _insert_new(conn: Connection, table: Any, lookup: Any, row: dict[str, Any]) -> int:
    """Insert ``row`` unless its hash is there (another writer's, maybe); return its id."""
    changed, inserted = write(conn, _INSERTS[(conn.dialect.name, table.name)], row)
    if changed and inserted is not None:
        return int(inserted)
    found = fetch_one(conn, lookup, {"h": row["hash"]})
    assert found is not None
    return int(found[0])


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
        nb_id: int,
        data: bytes,
        digest: bytes | None = None,
        indexed: Callable[[], str] | None = None,
        binary: bool = False,
    ) -> int:
        """Return the id of notebook ``nb_id``'s blob holding ``data``, storing it if new.

        ``indexed`` gives a new blob's searchable text, for the search index.
        ``binary``: ``data`` is an image's bytes, split out of an outputs list
        (``blobs.PARTS``), so a figure shown in several lists is stored once.
        """
        digest = digest or hash_bytes(data)
        known = self.blob_ids.get_id((nb_id, digest))
        if known is not None:
            return known
        key = scoped_key(nb_id, digest)
        row = fetch_one(conn, _BLOB_BY_HASH, {"h": key})
        if row is not None:
            blob_id = int(row[0])
        else:
            if binary:
                kind, payload = codec.encode_binary(data)
            else:
                kind, payload = codec.encode(
                    data, lambda raw: self.put_bytes(conn, nb_id, raw, binary=True)
                )
            row_values = {
                "hash": key,
                "digest": digest,
                "notebook_id": nb_id,
                "size": len(data),
                "codec": kind,
                "data": payload,
            }
            blob_id = _insert_new(conn, blobs, _BLOB_BY_HASH, row_values)
            if indexed is not None:
                if self.searchable is None:
                    self.searchable = search.available(conn)
                if self.searchable:
                    search.index_blob(conn, blob_id, indexed())
        self.blob_ids.put((nb_id, digest), blob_id)
        return blob_id

    def put_text(self, conn: Connection, nb_id: int, text: str) -> tuple[int, bytes]:
        """Store a source (or code as run); return its blob id and hash."""
        data = encode_text(text)
        digest = hash_bytes(data)
        blob_id = self.put_bytes(conn, nb_id, data, digest, lambda: search.searchable_text(text))
        return blob_id, digest

    def put_json(self, conn: Connection, nb_id: int, value: Any) -> tuple[int, bytes]:
        """Store a JSON value (outputs are lists, and searchable); return its blob id and hash."""
        data = canonical_json(value)
        digest = hash_bytes(data)

        def indexed() -> str:
            # outputs as parsed already: no need to read the JSON back
            return search.searchable_text(data.decode("utf-8", "surrogatepass"), value)

        searchable = indexed if isinstance(value, list) else None
        return self.put_bytes(conn, nb_id, data, digest, searchable), digest

    def blob_id(self, conn: Connection, nb_id: int, digest: bytes | None) -> int | None:
        """Return the id of notebook ``nb_id``'s blob with content ``digest`` (None for
        None). Raises KeyError."""
        if digest is None:
            return None
        known = self.blob_ids.get_id((nb_id, digest))
        if known is not None:
            return known
        row = fetch_one(conn, _BLOB_BY_HASH, {"h": scoped_key(nb_id, digest)})
        if row is None:
            if digest in _WELL_KNOWN:
                return self.put_bytes(conn, nb_id, _WELL_KNOWN[digest], digest)
            raise KeyError(digest.hex())
        self.blob_ids.put((nb_id, digest), int(row[0]))
        return int(row[0])

    def put_version(self, conn: Connection, nb_id: int, ref: CellRef) -> int:
        """Return the id of notebook ``nb_id``'s cell version ``ref``, storing it if new.

        Its blobs must be stored already.
        """
        ref_key = ref.key()
        known = self.version_ids.get_id((nb_id, ref_key))
        if known is not None:
            return known
        key = scoped_key(nb_id, ref_key)
        row = fetch_one(conn, _VERSION_BY_HASH, {"h": key})
        if row is not None:
            version_id = int(row[0])
        else:
            row_values = {
                "hash": key,
                "notebook_id": nb_id,
                "cell_id": column_text(ref.cell_id),
                "cell_type": ref.cell_type,
                "source_blob": self.blob_id(conn, nb_id, ref.source),
                "outputs_blob": self.blob_id(conn, nb_id, ref.outputs),
                "execution_count": ref.execution_count,
                "metadata_blob": self.blob_id(conn, nb_id, ref.metadata),
            }
            version_id = _insert_new(conn, cell_versions, _VERSION_BY_HASH, row_values)
        self.version_ids.put((nb_id, ref_key), version_id)
        return version_id

    def put_layout(self, conn: Connection, nb_id: int, version_ids: Sequence[int]) -> int:
        return self.put_bytes(conn, nb_id, codec.pack_ids(version_ids))


def read_blob(conn: Connection, blob_id: int | None) -> bytes | None:
    if blob_id is None:
        return None
    row = conn.execute(select(blobs.c.codec, blobs.c.data).where(blobs.c.id == blob_id)).one()
    return codec.decode(row.codec, row.data, lambda part: read_blob(conn, part) or b"")


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
            sb.c.digest.label("source"),
            ob.c.digest.label("outputs"),
            mb.c.digest.label("metadata"),
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
