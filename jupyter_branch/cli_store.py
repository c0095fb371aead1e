"""The command line's view of a store: the same answers as ``HistoryService``, read-only.

On a SQLite file (the default store) the reads go through ``store/lite.py``:
the standard library's ``sqlite3`` with the SQL compiled from the shared
statements, so a command never imports SQLAlchemy and answers at once. Any
other database goes through ``HistoryService`` and SQLAlchemy. Both open the
store read-only and close it when the command ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .store.reads import LOG_PAGE, Reads


class LiteHistory:
    """The reads a command makes, over one read-only SQLite snapshot."""

    page = LOG_PAGE  # states per page of the log, as the server's

    def __init__(self, reads: Reads, url: str, path: Any) -> None:
        self.reads = reads
        self.owner = reads.owner
        self.url = url
        self.path = path

    def log_pages(
        self, abs_path: str, since_seq: int = 0, of: str | None = None, text: bool = False
    ) -> Iterator[dict[str, Any]]:
        return self.reads.log_pages(abs_path, since_seq, of, self.page, text=text)

    def state(self, abs_path: str, ref: str, of: str | None = None) -> dict[str, Any]:
        return self.reads.state(abs_path, ref, of)

    def export(self, abs_path: str, ref: str, outputs: bool = True, of: str | None = None) -> Any:
        from .export import clean_notebook

        state = self.state(abs_path, ref, of)
        return clean_notebook(state["cells"], state["metadata"], outputs=outputs)

    def diff(self, abs_path: str, ref_a: str, ref_b: str, of: str | None = None) -> dict[str, Any]:
        from .diff import diff_cells

        a, b = self.state(abs_path, ref_a, of), self.state(abs_path, ref_b, of)
        return {"a": a["id"], "b": b["id"], "cells": diff_cells(a["cells"], b["cells"])}

    def info(self) -> dict[str, Any]:
        from .status import masked_url
        from .store.lite import file_size

        return {
            "owner": self.owner,
            "url": masked_url(self.url),
            "path": str(self.path),
            "size_bytes": file_size(self.path),
            **self.reads.counts(),
        }

    def notebooks(self) -> list[dict[str, Any]]:
        return self.reads.notebooks()


@contextlib.contextmanager
def reading(url: str | None, owner: str) -> Iterator[Any]:
    """The history at ``url`` (the default store if None), read-only; closed on exit."""
    from .store.lite import open_lite, sqlite_file

    if url is None:
        from .paths import default_db_url

        url = default_db_url()
    path = sqlite_file(url)
    if path is not None:
        with open_lite(path) as runner:
            yield LiteHistory(Reads(runner, owner), url, path)
        return
    from .service import HistoryService
    from .store.engine import open_reader

    engines = open_reader(url)
    try:
        yield HistoryService(engines, owner=owner)
    finally:
        engines.dispose()
