"""The operations the REST API and the CLI offer, over the store. No HTTP here.

``HistoryService`` names notebooks by absolute path and states by id or unique
prefix. Reads use the reader engine directly (the server calls them on worker
threads); writes (document reports, restores, labels) go through the writer,
so they are ordered with the recorder's.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from . import diff as diffing
from .identity import default_owner
from .model import safe_text
from .status import masked_url
from .store import queries
from .store.engine import StoreEngines
from .store.history import History
from .store.reads import LOG_PAGE, Reads
from .store.statements import runner_for
from .store.writer import Writer

if TYPE_CHECKING:  # nbformat is slow to import: only export needs it
    import nbformat

    from .remote import WriterLink

VALID_CELL_TYPES = ("code", "markdown", "raw")
MAX_QUERY_CHARS = 1000
MAX_SEARCH_LIMIT = 1000
MAX_CELL_VERSIONS = 10_000


class BadRequest(ValueError):
    """The request's input is not acceptable; the message says why."""


def _check_limit(limit: int, most: int) -> None:
    if not 1 <= limit <= most:
        raise BadRequest(f"limit must be between 1 and {most}")


class HistoryService:
    """Reads on the caller's thread; writes queued to the writer (if any)."""

    def __init__(
        self,
        engines: StoreEngines | None = None,
        writer: Writer | WriterLink | None = None,
        owner: str | None = None,
    ) -> None:
        self._engines = engines
        self.writer = writer
        # whose history this is; reads of another owner's (``of``) need their share
        self.owner = owner if owner is not None else default_owner()

    def _reads(self, conn: Any) -> Reads:
        return Reads(runner_for(conn), self.owner)

    def _notebook(self, conn: Any, abs_path: str, of: str | None = None) -> Any:
        return queries.find_notebook(runner_for(conn), abs_path, self.owner, of)

    @property
    def engines(self) -> StoreEngines:
        """The open store. Raises StoreUnavailable while the writer has not opened it."""
        if self._engines is not None:
            return self._engines
        assert self.writer is not None
        return self.writer.require_engines()

    # -- reads ----------------------------------------------------------------

    def log(self, abs_path: str, since_seq: int = 0, of: str | None = None) -> dict[str, Any]:
        """Return ``{"head", "states", "running", "deleted"}`` for a notebook. Raises NotFound."""
        with self.engines.reader.begin() as conn:
            return self._reads(conn).log(abs_path, since_seq, of)

    def log_pages(
        self, abs_path: str, since_seq: int = 0, of: str | None = None, text: bool = False
    ) -> Iterator[dict[str, Any]]:
        """The whole log after ``since_seq``, a page at a time, in one read transaction
        (``Reads.log_pages``). Run it to the end or close it on the thread that started
        it: the transaction's connection is held until then."""
        with self.engines.reader.begin() as conn:
            yield from self._reads(conn).log_pages(abs_path, since_seq, of, LOG_PAGE, text)

    def resolve(self, abs_path: str, ref: str, of: str | None = None) -> str:
        with self.engines.reader.begin() as conn:
            return self._reads(conn).resolve(abs_path, ref, of)

    def state(self, abs_path: str, ref: str, of: str | None = None) -> dict[str, Any]:
        """Return one state with its cells. Raises NotFound or Ambiguous."""
        with self.engines.reader.begin() as conn:
            return self._reads(conn).state(abs_path, ref, of)

    def cell_history(
        self, abs_path: str, cell_id: str, limit: int = 100, of: str | None = None
    ) -> dict[str, Any]:
        """The newest ``limit`` versions of a cell and how many it has in all."""
        _check_limit(limit, MAX_CELL_VERSIONS)
        with self.engines.reader.begin() as conn:
            nb = self._notebook(conn, abs_path, of)
            versions = queries.cell_history(conn, nb, cell_id, limit)
            total = (
                len(versions)
                if len(versions) < limit
                else queries.cell_versions_count(conn, nb, cell_id)
            )
            return {"versions": versions, "total": total}

    def search(
        self, abs_path: str | None, query: str, limit: int = 50, of: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the matches of ``query`` in a notebook's history (every notebook's if
        ``abs_path`` is None), newest first; see ``queries.search``.

        Raises BadRequest, NotFound, SearchUnavailable.
        """
        if not isinstance(query, str) or not query.strip():
            raise BadRequest("the search query is empty")
        if len(query) > MAX_QUERY_CHARS:
            raise BadRequest(f"the search query is longer than {MAX_QUERY_CHARS} characters")
        _check_limit(limit, MAX_SEARCH_LIMIT)
        with self.engines.reader.begin() as conn:
            nb = self._notebook(conn, abs_path, of) if abs_path is not None else None
            return queries.search(conn, nb, query, limit, self.owner)

    def export(
        self, abs_path: str, ref: str, outputs: bool = True, of: str | None = None
    ) -> nbformat.NotebookNode:
        """Return the state as a clean, valid notebook."""
        from .export import clean_notebook

        state = self.state(abs_path, ref, of)
        return clean_notebook(state["cells"], state["metadata"], outputs=outputs)

    def diff(
        self,
        abs_path: str,
        ref_a: str,
        ref_b: str | None = None,
        current: list[dict[str, Any]] | None = None,
        of: str | None = None,
    ) -> dict[str, Any]:
        """Diff two states, or a state against the current document's cells."""
        a = self.state(abs_path, ref_a, of)
        if ref_b is not None:
            b = self.state(abs_path, ref_b, of)
            b_cells, b_id = b["cells"], b["id"]
        elif current is not None:
            b_cells, b_id = current, None
        else:
            raise BadRequest("give a second state or the current cells")
        return {"a": a["id"], "b": b_id, "cells": diffing.diff_cells(a["cells"], b_cells)}

    def info(self) -> dict[str, Any]:
        with self.engines.reader.begin() as conn:
            counts = self._reads(conn).counts()
            size = queries.database_size(conn)
        return {
            "owner": self.owner,
            "url": masked_url(self.engines.url),
            "path": str(self.engines.path) if self.engines.path else None,
            "size_bytes": self.engines.size_bytes() if size is None else size,
            **counts,
        }

    def notebooks(self) -> list[dict[str, Any]]:
        with self.engines.reader.begin() as conn:
            return self._reads(conn).notebooks()

    # -- writes (through the writer) -------------------------------------------

    def _submit(self, fn: Any, *args: Any) -> Future[Any]:
        if self.writer is None:
            raise RuntimeError("this history is read-only here")
        return self.writer.submit(fn, *args, urgent=True)  # a request awaits it

    def report_document(
        self,
        abs_path: str,
        cells: Any,
        by_user: str | None = None,
        by_client: str | None = "browser",
    ) -> Future[Any]:
        """Queue a document report; the future gives ``{"head", "created", "moved"}``."""
        checked = validate_cells(cells)
        return self._submit(History.record_document, abs_path, checked, by_user, by_client)

    def restore(self, abs_path: str, ref: str, cell_id: str | None = None) -> Future[Any]:
        state_id = self.resolve(abs_path, ref)
        return self._submit(History.restore, abs_path, state_id, cell_id)

    def label(self, abs_path: str, ref: str, label: str | None) -> Future[Any]:
        if label is not None and (not isinstance(label, str) or len(label) > 200):
            raise BadRequest("a label is a string of at most 200 characters")
        state_id = self.resolve(abs_path, ref)
        text = safe_text(label).strip() or None if label else None
        return self._submit(History.set_label, state_id, text)


def validate_cells(cells: Any) -> list[dict[str, str]]:
    """Return the reported cells checked and normalized. Raises BadRequest."""
    if not isinstance(cells, list):
        raise BadRequest("cells must be a list")
    clean = []
    seen = set()
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise BadRequest(f"cell {i} is not an object")
        cell_id, kind, source = cell.get("id"), cell.get("cell_type"), cell.get("source", "")
        if not isinstance(cell_id, str) or not cell_id or len(cell_id) > 256:
            raise BadRequest(f"cell {i} has no valid id")
        if safe_text(cell_id) != cell_id or "\x00" in cell_id:
            raise BadRequest(f"cell {i} has an id that is not valid text")
        if cell_id in seen:
            raise BadRequest(f"cell id {cell_id!r} appears twice")
        seen.add(cell_id)
        if kind not in VALID_CELL_TYPES:
            raise BadRequest(f"cell {i} has an unknown type {kind!r}")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        if not isinstance(source, str):
            raise BadRequest(f"cell {i} has a source that is not text")
        clean.append({"id": cell_id, "cell_type": kind, "source": source})
    return clean


def document_cells_with_outputs(cells: Any) -> list[dict[str, Any]]:
    """Return a document's cells (as JupyterLab's model gives them) fit to diff.

    Sources and stream texts given as lists of lines are joined. Raises BadRequest.
    """
    checked = validate_cells(cells)
    result = []
    for cell, given in zip(checked, cells, strict=True):
        outputs = given.get("outputs") if cell["cell_type"] == "code" else None
        if outputs is not None and not isinstance(outputs, list):
            raise BadRequest(f"cell {cell['id']!r} has outputs that are not a list")
        full: dict[str, Any] = dict(cell)
        if outputs is not None:
            full["outputs"] = [_joined_output(o) for o in outputs if isinstance(o, dict)]
            full["execution_count"] = given.get("execution_count")
        result.append(full)
    return result


def _joined_output(output: dict[str, Any]) -> dict[str, Any]:
    out = dict(output)
    if isinstance(out.get("text"), list):
        out["text"] = "".join(str(t) for t in out["text"])
    data = out.get("data")
    if isinstance(data, dict):
        out["data"] = {
            k: "".join(str(x) for x in v) if isinstance(v, list) and k.startswith("text/") else v
            for k, v in data.items()
        }
    out.pop("transient", None)
    return out
