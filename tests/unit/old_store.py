"""Stores as older versions of jupyter-branch wrote them, for the migration tests.

The code of today cannot write an old schema, so these rows are written in the
SQL of the migrations they predate: a notebook, its cells' content (blobs, keyed
by the content's own hash, shared by every notebook holding it, as before
0003), its cell versions, and one execute state per notebook.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import text

from jupyter_branch.model import CellRef, canonical_json, encode_text, hash_bytes, sources_key
from jupyter_branch.store import blobs as codec
from jupyter_branch.store.engine import open_store
from jupyter_branch.store.migrations import migrate
from jupyter_branch.store.schema import MIGRATIONS

Cell = tuple[str, str, list[dict[str, Any]]]  # (cell id, source, outputs)


def _blob(conn: Any, data: bytes) -> tuple[int, bytes]:
    digest = hash_bytes(data)
    found = conn.execute(text("SELECT id FROM blobs WHERE hash = :h"), {"h": digest}).first()
    if found is not None:
        return int(found[0]), digest
    kind, payload = codec.encode(data)
    conn.execute(
        text("INSERT INTO blobs (hash, size, codec, data) VALUES (:h, :s, :c, :d)"),
        {"h": digest, "s": len(data), "c": kind, "d": payload},
    )
    return int(
        conn.execute(text("SELECT id FROM blobs WHERE hash = :h"), {"h": digest}).scalar()
    ), digest


def write_old_store(url: str, notebooks: dict[str, list[Cell]], migrations: int) -> None:
    """Make a store at the first ``migrations`` migrations holding ``notebooks``, each
    with one execute state of its first cell."""
    engines = open_store(url, migrate_schema=False)
    try:
        migrate(engines.writer, MIGRATIONS[:migrations])
        with engines.writer.begin() as conn:
            for seq_nb, (abs_path, cells) in enumerate(notebooks.items(), start=1):
                conn.execute(
                    text("INSERT INTO notebooks (uid, abs_path, created) VALUES (:u, :p, :t)"),
                    {"u": uuid.uuid4().hex, "p": abs_path, "t": time.time()},
                )
                nb_id = seq_nb
                version_ids, refs = [], []
                for cell_id, source, outputs in cells:
                    source_id, source_hash = _blob(conn, encode_text(source))
                    outputs_id, outputs_hash = _blob(conn, canonical_json(outputs))
                    ref = CellRef(cell_id, "code", source_hash, outputs_hash, 1, None)
                    conn.execute(
                        text(
                            "INSERT INTO cell_versions (hash, cell_id, cell_type, source_blob,"
                            " outputs_blob, execution_count) VALUES (:h, :c, 'code', :s, :o, 1)"
                        ),
                        {"h": ref.key(), "c": cell_id, "s": source_id, "o": outputs_id},
                    )
                    version_ids.append(
                        conn.execute(
                            text("SELECT id FROM cell_versions WHERE hash = :h"), {"h": ref.key()}
                        ).scalar()
                    )
                    refs.append(ref)
                layout_id, _ = _blob(conn, codec.pack_ids(version_ids))
                code_id, _ = _blob(conn, encode_text(cells[0][1]))
                outputs_id, _ = _blob(conn, canonical_json(cells[0][2]))
                state_id = uuid.uuid4().hex
                conn.execute(
                    text(
                        "INSERT INTO states (id, notebook_id, seq, created, event, cell_id,"
                        " execution_count, status, started, ended, code_blob, outputs_blob,"
                        " layout_blob, sources_key, kernel_id, preview) VALUES (:i, :n, 1, :t,"
                        " 'execute', :c, 1, 'ok', :t, :t, :code, :out, :layout, :key, 'k', :p)"
                    ),
                    {
                        "i": state_id,
                        "n": nb_id,
                        "t": time.time(),
                        "c": cells[0][0],
                        "code": code_id,
                        "out": outputs_id,
                        "layout": layout_id,
                        "key": sources_key(refs),
                        "p": cells[0][1][:80],
                    },
                )
                for (cell_id, _, _), version_id in zip(cells, version_ids, strict=True):
                    conn.execute(
                        text(
                            "INSERT INTO state_cells (notebook_id, cell_id, seq, state_id,"
                            " version_id) VALUES (:n, :c, 1, :s, :v)"
                        ),
                        {"n": nb_id, "c": cell_id, "s": state_id, "v": version_id},
                    )
                conn.execute(
                    text("UPDATE notebooks SET head_id = :s WHERE id = :n"),
                    {"s": state_id, "n": nb_id},
                )
    finally:
        engines.dispose()
