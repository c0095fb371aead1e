"""Reading history through a runner: notebooks, logs, states, counts. No SQLAlchemy here.

A *runner* executes the shared statements of ``statements.py`` by name and
gives rows as mappings: ``statements.SQLRunner`` (SQLAlchemy: the server, and
PostgreSQL anywhere) or ``lite.LiteRunner`` (``sqlite3`` with the compiled text
of ``sql_sqlite.py``: every SQLite read, the command line's included). So each
query is defined once, and the command line reads a SQLite store without
importing SQLAlchemy. Everything returned is plain JSON-ready data in the wire
format of docs/rest-api.md.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from . import blobs as codec
from .errors import Ambiguous, NotFound

# States per page of the log: bounds what one read holds in memory. A page's JSON
# (about 100 KB) stays under glibc's 128 KiB mmap threshold: bigger buffers raise
# that threshold once freed, and then stay in the heap after the request
# (docs/notes.md)
LOG_PAGE = 250

# The wire keys of a state's summary, in order (summary.py says how each is read)
SUMMARY_KEYS = (
    "id",
    "parent",
    "seq",
    "time",
    "event",
    "cell_id",
    "cell_index",
    "execution_count",
    "status",
    "duration_ms",
    "preview",
    "label",
    "restored_from",
    "by_user",
    "by_client",
    "sources_key",
)


class Runner(Protocol):
    dialect: str

    def rows(self, name: str, **params: Any) -> list[Mapping[str, Any]]: ...

    def first(self, name: str, **params: Any) -> Mapping[str, Any] | None: ...


def iso(ts: float | None) -> str | None:
    """Return a UTC timestamp as ISO-8601 with milliseconds (rounded, as SQLite does)."""
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(round(ts, 3), dt.UTC).isoformat(timespec="milliseconds")


def summary_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The state summary in a row that selected ``summary.columns``."""
    return {key: row[key] for key in SUMMARY_KEYS}


def find_notebook(runner: Runner, abs_path: str, owner: str, of: str | None = None) -> Any:
    """Return ``owner``'s notebook row at ``abs_path`` (live first, else the latest
    deleted); with ``of``, that owner's, if they shared it with ``owner``. Raises NotFound."""
    whose = of or owner
    row = runner.first("find_notebook", path=abs_path, whose=whose, me=owner)
    if row is None:
        shown = abs_path if whose == owner else f"{abs_path} of {whose}"
        raise NotFound(f"no history for {shown}")
    return row


def log(runner: Runner, nb: Mapping[str, Any], since_seq: int = 0) -> list[dict[str, Any]]:
    """Return the notebook's states oldest first (those after ``since_seq``)."""
    return [dict(row) for row in runner.rows("log", nb=nb["id"], since=since_seq)]


def last_seq(runner: Runner, nb: Mapping[str, Any]) -> int:
    """The ``seq`` of the notebook's newest state (0 when it has none)."""
    row = runner.first("last_seq", nb=nb["id"])
    return int(row["seq"] or 0) if row else 0


def log_json(
    runner: Runner, nb: Mapping[str, Any], since_seq: int, until_seq: int, limit: int
) -> tuple[bytes, int, int]:
    """Return one page of ``log()`` encoded as a JSON array (UTF-8) by the database: the states
    with ``since_seq < seq <= until_seq``, oldest first, at most ``limit``; with the
    ``seq`` of the last one (``since_seq`` if none) and how many."""
    return _page(runner, "log_json", nb, since_seq, until_seq, limit)


def log_text(
    runner: Runner, nb: Mapping[str, Any], since_seq: int, until_seq: int, limit: int
) -> tuple[bytes, int, int]:
    """As ``log_json``, the page as the command line prints it: a line per state,
    formatted by the database (``summary.log_text_select``), Head marked ``*``."""
    return _page(runner, "log_text", nb, since_seq, until_seq, limit, head=nb["head_id"])


def _page(
    runner: Runner,
    name: str,
    nb: Mapping[str, Any],
    since_seq: int,
    until_seq: int,
    limit: int,
    **more: Any,
) -> tuple[bytes, int, int]:
    params = {"nb": nb["id"], "since": since_seq, "until": until_seq, "limit": limit, **more}
    row = runner.first(name, **params)
    assert row is not None
    encoded, last, count = list(row.values())
    if isinstance(encoded, str):  # PostgreSQL's text (SQLite's comes as UTF-8 bytes)
        encoded = encoded.encode("utf-8")
    return bytes(encoded), int(last if last is not None else since_seq), int(count)


def has_kept_pages(runner: Runner) -> bool:
    """Whether the store keeps full pages of logs (``log_pages.py``)."""
    return runner.first("has_log_pages") is not None


def kept_page(
    runner: Runner, nb: Mapping[str, Any], since_seq: int, until_seq: int, text: bool = False
) -> tuple[bytes, int] | None:
    """The kept page of ``LOG_PAGE`` states after ``since_seq`` (if it ends by
    ``until_seq``): the JSON array ``log_json`` would encode (with ``text``, the lines
    of ``log_text``, no state marked Head), and its last ``seq``."""
    name = "log_page_lines" if text else "log_page_json"
    row = runner.first(name, nb=nb["id"], since=since_seq, until=until_seq)
    if row is None:
        return None
    return zlib.decompress(row["data"]), int(row["last_seq"])


def seq_of(runner: Runner, state_id: str | None) -> int | None:
    row = runner.first("seq_of", state=state_id) if state_id is not None else None
    return None if row is None else int(row["seq"])


def running_executions(runner: Runner, nb: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "key": r["key"],
            "cell_id": r["cell_id"],
            "preview": (r["code"] or "").strip()[:80],
            "started": iso(r["started"]),
        }
        for r in runner.rows("running", nb=nb["id"])
    ]


def resolve_state(runner: Runner, nb: Mapping[str, Any], ref: str) -> str:
    """Return the full id of the state of ``nb`` named by ``ref`` (an id or a unique
    prefix). Raises NotFound or Ambiguous."""
    ref = ref.strip().lower()
    if not ref or any(c not in "0123456789abcdef" for c in ref):
        raise NotFound(f"{ref!r} is not a state id")
    # every hex id starting with ref sorts below ref + "g"
    rows = runner.rows("resolve", nb=nb["id"], lo=ref, hi=ref + "g")
    if not rows:
        raise NotFound(f"no state {ref} in this notebook")
    if len(rows) > 1:
        raise Ambiguous(f"{ref} names more than one state; give more characters")
    return str(rows[0]["id"])


def read_blob(runner: Runner, blob_id: int | None) -> bytes | None:
    if blob_id is None:
        return None
    row = runner.first("blob", id=blob_id)
    if row is None:
        raise LookupError(f"blob {blob_id} is missing from the store")
    return codec.decode(row["codec"], row["data"], _parts(runner))


def _parts(runner: Runner) -> Callable[[int], bytes]:
    """How a ``PARTS`` blob's images are read: the blobs it names, through ``runner``."""
    return lambda blob_id: read_blob(runner, blob_id) or b""


def read_json(runner: Runner, blob_id: int | None) -> Any:
    data = read_blob(runner, blob_id)
    return None if data is None else json.loads(data.decode("utf-8", "surrogatepass"))


def load_versions(runner: Runner, version_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Return full cells (nbformat-shaped dicts) for version ids, in order.

    Outputs come without their ``transient`` display ids (``without_transient``).
    """
    from ..outputs import without_transient

    if not version_ids:
        return []
    rows = {r["id"]: r for r in runner.rows("versions", ids=sorted(set(version_ids)))}
    missing = [i for i in version_ids if i not in rows]
    if missing:
        raise LookupError(f"cell versions missing from the store: {missing[:5]}")
    part = _parts(runner)
    cells = []
    for version_id in version_ids:
        r = rows[version_id]
        cell: dict[str, Any] = {
            "id": r["cell_id"],
            "cell_type": r["cell_type"],
            "source": codec.decode(r["s_codec"], r["s_data"]).decode("utf-8", "surrogatepass"),
            "metadata": codec.decode_json(r["m_codec"], r["m_data"])
            if r["m_data"] is not None
            else {},
        }
        if r["cell_type"] == "code":
            outputs = (
                codec.decode_json(r["o_codec"], r["o_data"], part)
                if r["o_data"] is not None
                else []
            )
            cell["outputs"] = without_transient(outputs)
            cell["execution_count"] = r["execution_count"]
        cells.append(cell)
    return cells


def load_cells(runner: Runner, layout_blob: int) -> list[dict[str, Any]]:
    """Return a state's full cells in order."""
    return load_versions(runner, codec.unpack_ids(read_blob(runner, layout_blob) or b""))


def state_detail(runner: Runner, nb: Mapping[str, Any], state_id: str) -> dict[str, Any]:
    """Return one state: its summary, the notebook metadata, its cells, and what ran."""
    from ..outputs import without_transient

    row = runner.first("state", state=state_id, nb=nb["id"])
    if row is None:
        raise NotFound(f"no state {state_id} in this notebook")
    detail = summary_of(row)
    detail["metadata"] = read_json(runner, row["metadata_blob"]) or {}
    detail["cells"] = load_cells(runner, row["layout_blob"])
    detail["kernel_id"] = row["kernel_id"]
    detail["started"] = iso(row["started_at"])
    detail["ended"] = iso(row["ended_at"])
    if row["event"] == "execute":
        code = read_blob(runner, row["code_blob"])
        detail["code"] = None if code is None else code.decode("utf-8", "surrogatepass")
        detail["outputs"] = without_transient(read_json(runner, row["outputs_blob"]) or [])
    return detail


def counts(runner: Runner, owner: str) -> dict[str, int]:
    """Return counts of what the store holds for ``owner``."""
    row = runner.first("counts", owner=owner)
    assert row is not None
    return {key: int(row[key] or 0) for key in row}


def notebook_list(runner: Runner, owner: str) -> list[dict[str, Any]]:
    """Return ``owner``'s notebooks and those shared with them, with state counts and
    last activity; each says whose it is."""
    return [
        {
            "abs_path": r["abs_path"],
            "owner": r["owner"],
            "shared": r["owner"] != owner,
            "states": r["n"] or 0,
            "last": iso(r["last"]),
            "head": r["head_id"],
            "deleted": iso(r["deleted"]),
        }
        for r in runner.rows("notebooks", owner=owner)
    ]


class Reads:
    """An owner's reads over one runner: what both the service and the command line
    answer (the service wraps each in a transaction of its reader engine)."""

    def __init__(self, runner: Runner, owner: str) -> None:
        self.runner = runner
        self.owner = owner

    def notebook(self, abs_path: str, of: str | None = None) -> Any:
        return find_notebook(self.runner, abs_path, self.owner, of)

    def log(self, abs_path: str, since_seq: int = 0, of: str | None = None) -> dict[str, Any]:
        """``{"head", "states", "running", "deleted"}`` of a notebook. Raises NotFound."""
        nb = self.notebook(abs_path, of)
        return {
            "head": nb["head_id"],
            "states": log(self.runner, nb, since_seq),
            "running": running_executions(self.runner, nb),
            "deleted": nb["deleted"] is not None,
        }

    def _log_page(
        self,
        nb: Any,
        since_seq: int,
        until_seq: int | None,
        limit: int,
        text: bool,
        head_seq: int | None,
    ) -> dict[str, Any]:
        """One page (``limit`` states) of the log, encoded by the database: a JSON array
        (``states_json``), or with ``text`` the command line's lines (``lines``). Where
        the store keeps pages (``head_seq``, Head's ``seq`` or 0, is given), the kept
        page if there is one, but for the lines of the page holding Head, which mark
        it. The first page (no ``until_seq``) also answers ``head``, ``running``,
        ``deleted`` and ``until``, the newest ``seq`` then, which bounds the next
        pages."""
        out: dict[str, Any] = {}
        if until_seq is None:
            until_seq = last_seq(self.runner, nb)
            out = {
                "head": nb["head_id"],
                "running": running_executions(self.runner, nb),
                "deleted": nb["deleted"] is not None,
                "until": until_seq,
            }
        encode, key = (log_text, "lines") if text else (log_json, "states_json")
        if head_seq is not None:
            found = kept_page(self.runner, nb, since_seq, until_seq, text)
            if found is not None and not (text and since_seq < head_seq <= found[1]):
                return {**out, key: found[0], "last": found[1], "count": LOG_PAGE}
        encoded, last, count = encode(self.runner, nb, since_seq, until_seq, limit)
        return {**out, key: encoded, "last": last, "count": count}

    def log_pages(
        self,
        abs_path: str,
        since_seq: int = 0,
        of: str | None = None,
        limit: int = LOG_PAGE,
        text: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """The whole log after ``since_seq``, a page at a time (``_log_page``): the first
        page with the summary, then the next ones up to that moment's newest state.
        Raises NotFound (at the first page) for a notebook without history."""
        nb = self.notebook(abs_path, of)
        head_seq = None  # where the store keeps pages: Head's seq for the lines, else 0
        if limit == LOG_PAGE and has_kept_pages(self.runner):
            head_seq = (seq_of(self.runner, nb["head_id"]) or 0) if text else 0
        page = self._log_page(nb, since_seq, None, limit, text, head_seq)
        until = page["until"]
        while True:
            yield page
            if page["count"] < limit or page["last"] >= until:
                return
            page = self._log_page(nb, page["last"], until, limit, text, head_seq)

    def resolve(self, abs_path: str, ref: str, of: str | None = None) -> str:
        return resolve_state(self.runner, self.notebook(abs_path, of), ref)

    def state(self, abs_path: str, ref: str, of: str | None = None) -> dict[str, Any]:
        """One state with its cells. Raises NotFound or Ambiguous."""
        nb = self.notebook(abs_path, of)
        return state_detail(self.runner, nb, resolve_state(self.runner, nb, ref))

    def counts(self) -> dict[str, int]:
        return counts(self.runner, self.owner)

    def notebooks(self) -> list[dict[str, Any]]:
        return notebook_list(self.runner, self.owner)
