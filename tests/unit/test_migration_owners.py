"""Migration 0003: owners, content per notebook, sharing, on a store written before it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from jupyter_branch.identity import default_owner
from jupyter_branch.service import HistoryService
from jupyter_branch.store.engine import open_store
from jupyter_branch.store.migrations import applied_migrations
from jupyter_branch.store.schema import MIGRATIONS
from tests.unit.conftest import Store
from tests.unit.old_store import write_old_store

STREAM = [{"output_type": "stream", "name": "stdout", "text": "shared output\n"}]


@pytest.fixture(params=["sqlite", "postgresql"])
def old_url(request, tmp_path):
    if request.param == "postgresql":
        return request.getfixturevalue("postgres").new_database()
    return f"sqlite:///{tmp_path}/history.sqlite"


def test_an_older_store_keeps_every_history_and_splits_shared_content(old_url, tmp_path):
    """Two notebooks held the same content in one row; after 0003 each notebook's rows
    are its own, owned by whoever upgraded, and both read back whole."""
    a, b = str(tmp_path / "a.ipynb"), str(tmp_path / "b.ipynb")
    write_old_store(
        old_url,
        {
            a: [("c1", "import numpy", STREAM), ("c2", "only in a", [])],
            b: [("x1", "import numpy", STREAM)],
        },
        migrations=2,
    )
    store = Store(tmp_path, old_url)  # a server opening it migrates
    try:
        with store.engines.reader.connect() as conn:
            assert applied_migrations(conn) == [m.name for m in MIGRATIONS]
            owners = conn.execute(text("SELECT DISTINCT owner FROM notebooks")).scalars().all()
            assert owners == [default_owner()]
            unassigned = conn.execute(
                text("SELECT count(*) FROM blobs WHERE notebook_id IS NULL OR digest IS NULL")
            ).scalar()
        service = HistoryService(store.engines)
        for path, cells in ((a, ["import numpy", "only in a"]), (b, ["import numpy"])):
            head = service.state(path, service.log(path)["head"])
            assert [c["source"] for c in head["cells"]] == cells
            assert head["cells"][0]["outputs"] == STREAM
            assert head["outputs"] == STREAM and head["code"] == "import numpy"
        assert unassigned == 0, "every blob was used by some notebook"
        # the migrated rows are found again: new runs of the same content add no blobs
        with store.engines.reader.connect() as conn:
            before = conn.execute(text("SELECT count(*) FROM blobs")).scalar()
        store.report(("c1", "import numpy"), ("c2", "only in a"), nb=a)
        store.execute("c1", "import numpy", *STREAM, nb=a)
        with store.engines.reader.connect() as conn:
            after = conn.execute(text("SELECT count(*) FROM blobs")).scalar()
        assert after == before, "the same content in the same notebook is found, not copied"
    finally:
        store.close()


def test_a_store_from_before_owners_is_refused_by_reads_until_a_server_upgrades_it(
    old_url, tmp_path, capsys
):
    from jupyter_branch.cli import main

    write_old_store(old_url, {str(tmp_path / "a.ipynb"): [("c1", "x = 1", [])]}, migrations=2)
    code = main(["--db", old_url, "log", str(tmp_path / "a.ipynb")])
    err = capsys.readouterr().err
    assert code == 3 and "older jupyter-branch" in err and "0003_owners" in err
    open_store(old_url).dispose()  # a server with this version starts on it
    assert main(["--db", old_url, "log", str(tmp_path / "a.ipynb"), "--json"]) == 0
