"""Fixtures for store tests: a fresh SQLite store and its writer, in a temp folder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_branch.model import Execution
from jupyter_branch.service import HistoryService
from jupyter_branch.store.engine import open_store
from jupyter_branch.store.history import History
from jupyter_branch.store.writer import Writer


class Store:
    """A store with its writer, and shortcuts to make history the way the server does."""

    def __init__(self, root: Any, url: str | None = None) -> None:
        self.root = root
        self.url = url or f"sqlite:///{root}/history.sqlite"
        self.backend = self.url.split(":", 1)[0].split("+", 1)[0]
        self.engines = open_store(self.url)
        self.files: dict[str, dict[str, Any]] = {}
        self.history = History(read_notebook=self.files.get, max_output_bytes=100_000)
        self.writer = Writer(self.engines, self.history)
        self.service = HistoryService(self.engines, self.writer)
        self.nb = str(root / "nb.ipynb")
        self._count = 0

    def run(self, fn: Any, *args: Any) -> Any:
        return self.writer.submit(fn, *args, urgent=True).result(10)

    def report(self, *cells: tuple[str, str] | tuple[str, str, str], nb: str | None = None) -> Any:
        data = [
            {"id": c[0], "cell_type": c[2] if len(c) > 2 else "code", "source": c[1]} for c in cells
        ]
        return self.service.report_document(nb or self.nb, data).result(10)

    def execute(
        self,
        cell_id: str | None,
        code: str,
        *outputs: Any,
        nb: str | None = None,
        status: str = "ok",
        **extra: Any,
    ) -> str:
        self._count += 1
        outs = [
            o if isinstance(o, dict) else {"output_type": "stream", "name": "stdout", "text": o}
            for o in outputs
        ]
        ex = Execution(
            nb or self.nb,
            "kernel-1",
            f"msg-{self._count}",
            cell_id,
            code,
            outs,
            self._count,
            status,
            time.time(),
            time.time(),
            **extra,
        )
        return self.run(lambda h, conn: h.record_execution(conn, ex))

    def log(self, nb: str | None = None) -> dict[str, Any]:
        return self.service.log(nb or self.nb)

    def state(self, state_id: str, nb: str | None = None) -> dict[str, Any]:
        return self.service.state(nb or self.nb, state_id)

    def sources(self, state_id: str) -> list[str]:
        return [c["source"] for c in self.state(state_id)["cells"]]

    def close(self) -> None:
        self.writer.stop()
        self.engines.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: Any, tmp_path: Any) -> Iterator[Store]:
    """A store on each backend: the embedded SQLite, and a real PostgreSQL server."""
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").new_database()
    s = Store(tmp_path, url)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Any) -> Iterator[Store]:
    """A store in a SQLite file, for what is about the file itself."""
    s = Store(tmp_path)
    yield s
    s.close()
