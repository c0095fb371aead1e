"""The history search index: what text is searchable, how it is indexed, safe queries.

On SQLite the index is an FTS5 table, ``search_index``, made by migration
``0002_search``; on PostgreSQL it is ``search_text``, a ``tsvector`` per blob
with a GIN index, made by ``0004_search_postgres``. PostgreSQL's parser is not
used: the tokens are ours (``_WORD``, lower case, accents folded, as FTS5's
unicode61 makes them), so both databases find the same things; other
databases have no index and history search is unavailable. It is keyed by
``blobs.id``: a source, or an outputs list, is
indexed once however many cell versions share it (every edit of a cell carries
its outputs along, every run its source). It keeps tokens only: no second,
uncompressed copy of the text (contentless; snippets are cut from the blobs),
and no token positions (``detail=none``), which makes it several times
smaller than a full index; its leaves fit SQLite's pages (``LEAF_BYTES``).
(Its token counts per blob stay: without them FTS5 cannot tell whether a
rowid is indexed, which ``unindex_blobs`` asks.) So the index finds the blobs holding every token
of a query, and ``Query.matches`` checks phrases in their text.

What is searchable (``searchable_text``): a source as it is; of outputs, stream
text, ``text/plain`` and errors (name, value, traceback without ANSI colours),
not images, HTML or JSON; the first ``MAX_INDEXED_CHARS`` characters of either.

A contentless index forgets a row only when told the exact text it indexed, so:
- a blob is indexed when it is stored (``ContentWriter.put_text``, and
  ``put_json`` of a list), in the same transaction, and unindexed by ``gc``
  before it is deleted;
- its indexed text is a function of its bytes alone (whether a blob holds
  outputs is read from the bytes, not from how it was stored), and changing
  that function needs a migration that rebuilds the index.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, bindparam, column, select, table, text
from sqlalchemy.exc import OperationalError

from ..model import safe_text
from . import blobs as codec

log = logging.getLogger("jupyter_branch")

TABLE = "search_index"
MAX_INDEXED_CHARS = 100_000
CREATE = f"CREATE VIRTUAL TABLE {TABLE} USING fts5(text, content='', detail=none)"
LEAF_BYTES = 960  # FTS5's pgsz: two leaves (and their row headers) share a 2 KiB page
index_table = table(TABLE, column("rowid"))

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
_LIST_START = re.compile(r"\s*\[")
_WORD = re.compile(r"[^\W_]+")  # roughly FTS5's unicode61 tokens: letters and digits
_UNSET: Any = object()


def strip_ansi(value: str) -> str:
    return _ANSI.sub("", value)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


def _is_outputs(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(o, dict) and "output_type" in o for o in value
    )


def outputs_text(outputs: Sequence[dict[str, Any]]) -> str:
    """Return the searchable text of outputs, at most ``MAX_INDEXED_CHARS`` characters."""
    parts: list[str] = []
    size = 0
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            part = _text(out.get("text"))
        elif kind == "error":
            lines = out.get("traceback") or []
            trace = [strip_ansi(line) for line in lines if isinstance(line, str)]
            head = f"{_text(out.get('ename'))}: {_text(out.get('evalue'))}"
            part = "\n".join([head, *trace])
        else:
            data = out.get("data")
            part = _text(data.get("text/plain")) if isinstance(data, dict) else ""
        if part:
            parts.append(part)
            size += len(part) + 1
            if size >= MAX_INDEXED_CHARS:
                break
    return "\n".join(parts)[:MAX_INDEXED_CHARS]


def searchable_text(stored: str, parsed: Any = _UNSET) -> str:
    """Return the indexed text of a blob holding ``stored`` (a source, or outputs as JSON).

    ``parsed`` is ``json.loads(stored)`` when the caller has it. The result
    depends on ``stored`` alone (see the module docstring).
    """
    if parsed is _UNSET:
        parsed = None
        if _LIST_START.match(stored):
            with contextlib.suppress(ValueError, RecursionError):
                parsed = json.loads(stored)
    found = outputs_text(parsed) if _is_outputs(parsed) else stored[:MAX_INDEXED_CHARS]
    return safe_text(found)


PG_TABLE = "search_text"
PG_CREATE = (
    f"CREATE TABLE {PG_TABLE} (blob_id integer PRIMARY KEY REFERENCES blobs(id), "
    "tsv tsvector NOT NULL)",
    f"CREATE INDEX ix_{PG_TABLE}_tsv ON {PG_TABLE} USING gin (tsv)",
)
MAX_TOKEN = 200  # characters: longer "words" (base64, hashes) are not searched for


def tokens(indexed: str) -> list[str]:
    """Return the distinct search tokens of a text, as both indexes hold them."""
    found = {t for t in _WORD.findall(_fold(indexed).lower()) if len(t) <= MAX_TOKEN}
    return sorted(found)


def available(conn: Connection) -> bool:
    """Return True if this store has the search index (SQLite with FTS5, or
    PostgreSQL, migrated)."""
    if conn.dialect.name == "postgresql":
        return bool(conn.exec_driver_sql(f"SELECT to_regclass('{PG_TABLE}') IS NOT NULL").scalar())
    if conn.dialect.name != "sqlite":
        return False
    found = conn.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": TABLE},
    ).first()
    return found is not None


_PG_INDEX = text(
    f"INSERT INTO {PG_TABLE} (blob_id, tsv) "
    "VALUES (:id, array_to_tsvector(CAST(:tokens AS text[])))"
)


def index_blob(conn: Connection, blob_id: int, indexed: str) -> None:
    """Add a new blob's searchable text to the index (nothing for empty text)."""
    if not indexed:
        return
    if conn.dialect.name == "postgresql":
        found = tokens(indexed)
        if found:
            conn.execute(_PG_INDEX, {"id": blob_id, "tokens": found})
        return
    conn.execute(
        text(f"INSERT INTO {TABLE} (rowid, text) VALUES (:id, :text)"),
        {"id": blob_id, "text": indexed},
    )


def unindex_blobs(conn: Connection, blob_ids: Iterable[int]) -> None:
    """Remove blobs about to be deleted from the index (``gc``)."""
    if not available(conn):
        return
    ids = list(blob_ids)
    if conn.dialect.name == "postgresql":
        delete_rows = text(f"DELETE FROM {PG_TABLE} WHERE blob_id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        for i in range(0, len(ids), 500):
            conn.execute(delete_rows, {"ids": ids[i : i + 500]})
        return
    query = text(
        f"SELECT id, codec, data FROM blobs WHERE id IN :ids "
        f"AND EXISTS (SELECT 1 FROM {TABLE} WHERE rowid = blobs.id)"
    ).bindparams(bindparam("ids", expanding=True))
    for i in range(0, len(ids), 500):
        rows = conn.execute(query, {"ids": ids[i : i + 500]}).all()
        gone = [{"id": r.id, "text": _blob_text(r.codec, r.data)} for r in rows]
        if gone:
            conn.execute(
                text(f"INSERT INTO {TABLE} ({TABLE}, rowid, text) VALUES ('delete', :id, :text)"),
                gone,
            )


def _no_image(blob_id: int) -> bytes:
    return b""  # images are not searchable: a ``PARTS`` blob's need not be read


def _blob_text(kind: int, data: bytes) -> str:
    return searchable_text(codec.decode(kind, data, _no_image).decode("utf-8", "surrogatepass"))


def set_leaf_size(conn: Connection) -> None:
    """Make the SQLite index write leaves of ``LEAF_BYTES`` from now on (FTS5's
    default, 4050 bytes, took three pages of 2 KiB)."""
    conn.exec_driver_sql(f"INSERT INTO {TABLE} ({TABLE}, rank) VALUES ('pgsz', {LEAF_BYTES})")


# the blobs put_text and put_json (of a list) stored: sources, code as run, outputs
_INDEXED_BLOBS = """
SELECT source_blob FROM cell_versions
UNION SELECT outputs_blob FROM cell_versions WHERE outputs_blob IS NOT NULL
UNION SELECT code_blob FROM states WHERE code_blob IS NOT NULL
UNION SELECT outputs_blob FROM states WHERE outputs_blob IS NOT NULL
"""


def create_postgres_index(conn: Connection) -> None:
    """Migration step (0004): make PostgreSQL's index and fill it from the stored blobs."""
    if conn.dialect.name != "postgresql":
        return
    for statement in PG_CREATE:
        conn.exec_driver_sql(statement)
    ids = [row[0] for row in conn.exec_driver_sql(_INDEXED_BLOBS)]
    query = text("SELECT id, codec, data FROM blobs WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    for i in range(0, len(ids), 500):
        for r in conn.execute(query, {"ids": ids[i : i + 500]}).all():
            index_blob(conn, r.id, _blob_text(r.codec, r.data))


def create_index(conn: Connection) -> None:
    """Migration step: make the index and fill it from the blobs already stored.

    Written in SQL of migration 0001's schema, so it keeps working as the
    schema moves on. Does nothing on databases other than SQLite, or (logged)
    on a SQLite built without FTS5: history search is then unavailable.
    """
    if conn.dialect.name != "sqlite":
        return
    try:
        with conn.begin_nested():
            conn.exec_driver_sql(CREATE)
    except OperationalError as err:
        if "fts5" not in str(err).lower():
            raise
        log.warning("jupyter-branch: this SQLite has no FTS5; history search is off (%s)", err)
        return
    set_leaf_size(conn)
    ids = [row[0] for row in conn.exec_driver_sql(_INDEXED_BLOBS)]
    query = text("SELECT id, codec, data FROM blobs WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    for i in range(0, len(ids), 500):
        rows = conn.execute(query, {"ids": ids[i : i + 500]}).all()
        for r in rows:
            index_blob(conn, r.id, _blob_text(r.codec, r.data))


# -- queries ----------------------------------------------------------------------------


def _fold(value: str) -> str:
    """Drop diacritics (as FTS5's unicode61 does), so ``cafe`` checks against ``café``."""
    if value.isascii():
        return value
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _term_pattern(tokens: Sequence[str], prefix: bool) -> str:
    body = r"[\W_]+".join(re.escape(t) for t in tokens)
    return r"(?<![^\W_])" + body + ("" if prefix else r"(?![^\W_])")


@dataclass(frozen=True)
class Query:
    """A user's query, parsed. Nothing in it is syntax but quotes and a trailing ``*``.

    Each word is a term, all required; ``"quoted text"`` is one term (an
    unbalanced quote runs to the end); a word ending in ``*`` is a prefix.
    A term is the tokens (letters and digits) it holds, which must appear
    together and in order. The index keeps no positions, so it is asked for
    each token (``expression``), and terms of more than one token are then
    checked in the text (``matches``).
    """

    terms: tuple[tuple[tuple[str, ...], bool], ...]

    @classmethod
    def parse(cls, query: str) -> Query:
        terms = []
        query = safe_text(query).replace("\x00", " ")  # FTS5 reads neither as text
        for i, part in enumerate(query.split('"')):
            words = [part] if i % 2 else part.split()
            for word in words:
                tokens = tuple(_WORD.findall(word))
                if tokens:
                    terms.append((tokens, not i % 2 and word.endswith("*")))
        return cls(tuple(terms))

    @property
    def expression(self) -> str | None:
        """The FTS5 expression (None for no terms): every token quoted, all required."""
        parts = [
            f'"{token}"' + ("*" if prefix and i == len(tokens) - 1 else "")
            for tokens, prefix in self.terms
            for i, token in enumerate(tokens)
        ]
        return " ".join(parts) or None

    @property
    def tsquery(self) -> str | None:
        """The same as a PostgreSQL tsquery (None for no terms): tokens folded as
        ``tokens`` indexes them, all required, a prefix term's last token with ``:*``."""
        parts = [
            _fold(token).lower() + (":*" if prefix and i == len(toks) - 1 else "")
            for toks, prefix in self.terms
            for i, token in enumerate(toks)
        ]
        return " & ".join(parts) or None

    @property
    def needs_check(self) -> bool:
        """True when the index alone cannot tell a match (a term of several tokens)."""
        return any(len(tokens) > 1 for tokens, _ in self.terms)

    def matches(self, found: str) -> bool:
        """Return True if every term appears in ``found`` (text the index matched)."""
        folded = _fold(found)
        return all(
            re.search(_term_pattern([_fold(t) for t in tokens], prefix), folded, re.IGNORECASE)
            for tokens, prefix in self.terms
        )

    def snippet(self, found: str, width: int = 160) -> str:
        """Return about ``width`` characters of ``found`` around the first match, on one line."""
        choices = [_term_pattern(tokens, prefix) for tokens, prefix in self.terms]
        match = re.search("|".join(choices), found, re.IGNORECASE) if choices else None
        start = max(0, match.start() - width // 4) if match else 0
        end = min(len(found), start + width)
        piece = " ".join(found[start:end].split())
        return ("…" if start > 0 else "") + piece + ("…" if end < len(found) else "")


def matching_blobs(dialect: str, query: Query) -> Select[Any] | None:
    """Return a select of the ids of the blobs whose text holds every token of
    ``query`` (None when it has none). Its column is named ``rowid``."""
    if query.expression is None:
        return None
    if dialect == "postgresql":
        pg = table(PG_TABLE, column("blob_id"), column("tsv"))
        return select(pg.c.blob_id.label("rowid")).where(
            text("tsv @@ CAST(:tsq AS tsquery)").bindparams(tsq=query.tsquery)
        )
    return select(index_table.c.rowid).where(
        text(f"{TABLE} MATCH :expression").bindparams(expression=query.expression)
    )
