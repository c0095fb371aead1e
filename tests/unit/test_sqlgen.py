"""One definition of each read: the SQLite text the command line runs is the text the
statements compile to, and both runners answer the same."""

from __future__ import annotations

from jupyter_branch.store import sqlgen
from jupyter_branch.store.reads import Reads
from jupyter_branch.store.statements import SQLRunner, runner_for


def test_the_compiled_sql_is_what_the_statements_compile_to():
    assert sqlgen.TARGET.read_text() == sqlgen.render(), (
        "jupyter_branch/store/sql_sqlite.py is stale: run python -m jupyter_branch.store.sqlgen"
    )


def test_both_runners_read_the_same(sqlite_store):
    store = sqlite_store
    store.report(("c1", "x = 1"), ("m1", "# note", "markdown"))
    made = store.execute("c1", "x = 1", "1\n")
    store.writer.flush()
    with store.engines.reader.connect() as conn:
        by_sql = Reads(SQLRunner(conn), store.history.owner)
        by_text = Reads(runner_for(conn), store.history.owner)
        assert type(by_text.runner).__name__ == "LiteRunner"
        for read in (
            lambda r: r.log(store.nb),
            lambda r: r.state(store.nb, made[:6]),
            lambda r: r.counts(),
            lambda r: r.notebooks(),
        ):
            assert read(by_sql) == read(by_text)
