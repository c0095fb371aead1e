"""GET /jupyter-branch/api/search as a client sees it, checked against the schema.

Sources are reported through the API; outputs are handed to the server's writer
the way its recorder does, so no kernel is needed here (the recording path
itself is covered in tests/integration).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from jupyter_branch.model import Execution
from jupyter_branch.store.history import History
from tests.api import code, markdown, report, validating


@pytest.fixture
def rest(api: Any) -> Any:
    return validating(api)


async def record_run(branch_app: Any, path: str, cell_id: str, source: str, *texts: str) -> str:
    """Record an execution of ``cell_id`` printing ``texts``, as the recorder would; return it."""
    outputs = [{"output_type": "stream", "name": "stdout", "text": t} for t in texts]
    now, abs_path = time.time(), str(branch_app.paths.to_abs(path))
    ex = Execution(abs_path, "k", f"m{now}", cell_id, source, outputs, 1, "ok", now, now)
    future = branch_app.writer.submit(History.record_execution, ex)
    return await asyncio.wrap_future(future)


async def test_search_finds_sources_and_outputs_newest_first(rest, branch_app):
    path = "s.ipynb"
    edit = await report(rest, path, code("c1", "fit(lr=3e-4)"), markdown("m1", "## Baseline"))
    run = await record_run(branch_app, path, "c1", "fit(lr=3e-4)", "val_loss 0.31\n")
    status, body = await rest("search", "search", path=path, q='"lr=3e-4"')
    assert status == 200
    assert (body["notebook"], body["query"]) == (path, '"lr=3e-4"')
    got = [(m["state"]["id"], m["cell_id"], m["where"]) for m in body["matches"]]
    assert got == [(run, "c1", "source"), (edit["head"], "c1", "source")]
    assert {m["notebook"] for m in body["matches"]} == {path}
    assert body["matches"][0]["snippet"] == "fit(lr=3e-4)"

    _, body = await rest("search", "search", path=path, q="  val_loss  ")
    assert body["query"] == "val_loss"
    (match,) = body["matches"]
    assert (match["state"]["id"], match["where"], match["cell_type"]) == (run, "outputs", "code")
    assert match["state"]["event"] == "execute" and match["snippet"] == "val_loss 0.31"
    _, body = await rest("search", "search", path=path, q="baseline")
    assert [(m["cell_id"], m["cell_type"]) for m in body["matches"]] == [("m1", "markdown")]
    _, body = await rest("search", "search", path=path, q="lr", limit=1)
    assert [m["state"]["id"] for m in body["matches"]] == [run]
    _, body = await rest("search", "search", path=path, q="absent")
    assert body["matches"] == []


async def test_search_without_a_path_covers_every_notebook_under_the_root(rest):
    await report(rest, "a.ipynb", code("c1", "common_term = 1"))
    await report(rest, "sub/b.ipynb", code("c1", "common_term = 2"))
    status, body = await rest("search", "search", q="common_term")
    assert status == 200 and body["notebook"] is None
    assert [m["notebook"] for m in body["matches"]] == ["sub/b.ipynb", "a.ipynb"]


@pytest.mark.parametrize(
    "query", ['"', "AND", "x = 1; x + 10", "NEAR(x", "*", "col:x", '"unbalanced', "-x ^y"]
)
async def test_any_query_is_text(rest, query):
    await report(rest, "q.ipynb", code("c1", "x = 1; x + 10"))
    status, body = await rest("search", "search", path="q.ipynb", q=query)
    assert status == 200, body


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"path": "r.ipynb"}, 400, "'q' is missing"),
        ({"path": "r.ipynb", "q": "   "}, 400, "'q' is missing"),
        ({"path": "r.ipynb", "q": "x" * 1001}, 400, "longer than 1000"),
        ({"path": "r.ipynb", "q": "x", "limit": "many"}, 400, "limit must be an integer"),
        ({"path": "r.ipynb", "q": "x", "limit": "0"}, 400, "limit must be between"),
        ({"path": "../r.ipynb", "q": "x"}, 400, "outside the server root"),
        ({"path": "nothing.ipynb", "q": "x"}, 404, "nothing.ipynb"),
    ],
)
async def test_bad_searches_get_plain_words(rest, params, status, says):
    await report(rest, "r.ipynb", code("c1", "x"))
    got, err = await rest("search", "search", **params)
    assert got == status and says in err["message"], err


async def test_a_store_without_a_search_index_answers_501(rest, branch_app):
    await report(rest, "n.ipynb", code("c1", "x = 1"))
    with branch_app.writer.engines.writer.begin() as conn:
        # as on a SQLite built without FTS5, or a database other than SQLite and PostgreSQL
        table = "search_text" if conn.dialect.name == "postgresql" else "search_index"
        conn.exec_driver_sql(f"DROP TABLE {table}")
    status, err = await rest("search", "search", path="n.ipynb", q="x")
    assert status == 501 and "SQLite" in err["message"] and "PostgreSQL" in err["message"]
