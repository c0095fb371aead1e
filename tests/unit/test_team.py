"""A team on one PostgreSQL database: owners, many writers, sharing, row-level security."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

from jupyter_branch.cli import main
from jupyter_branch.model import Execution
from jupyter_branch.service import HistoryService
from jupyter_branch.store.engine import open_store
from jupyter_branch.store.history import History
from jupyter_branch.store.queries import NotFound
from jupyter_branch.store.writer import Writer
from jupyter_branch.team import set_share

HOME = "/home/jovyan/work/analysis.ipynb"  # every hub container has this path


class Server:
    """What one user's server holds of the store: its writer and service, as that owner."""

    def __init__(self, url: str, owner: str, server: str = "pod") -> None:
        self.engines = open_store(url)
        self.writer = Writer(self.engines, History(owner=owner, server=server))
        self.service = HistoryService(self.engines, self.writer, owner=owner)
        self.owner = owner
        self.count = 0

    def run(self, cell_id: str, code: str, output: str, path: str = HOME) -> Any:
        self.count += 1
        outputs = [{"output_type": "stream", "name": "stdout", "text": output}]
        ex = Execution(
            path,
            f"k-{self.owner}",
            f"m{self.count}",
            cell_id,
            code,
            outputs,
            self.count,
            "ok",
            time.time(),
            time.time(),
            from_browser=True,
        )
        return self.writer.submit(History.record_execution, ex)

    def report(self, *cells: tuple[str, str], path: str = HOME) -> Any:
        data = [{"id": c, "cell_type": "code", "source": s} for c, s in cells]
        return self.service.report_document(path, data).result(30)

    def close(self) -> None:
        self.writer.stop()
        self.engines.dispose()


@pytest.fixture
def db(postgres: Any) -> str:
    return str(postgres.new_database())


def test_two_owners_with_the_same_path_never_meet(db):
    alice, bob = Server(db, "alice"), Server(db, "bob")
    try:
        alice.report(("c1", "secret_a = 1"))
        alice.run("c1", "secret_a = 1", "alice's output\n").result(30)
        bob.report(("c1", "b = 2"))
        bob.run("c1", "b = 2", "bob's output\n").result(30)
        for me, mine, other in ((alice, "secret_a = 1", "b = 2"), (bob, "b = 2", "secret_a = 1")):
            log = me.service.log(HOME)
            assert [s["event"] for s in log["states"]] == ["edit", "execute"]
            head = me.service.state(HOME, log["head"])
            assert [c["source"] for c in head["cells"]] == [mine]
            assert me.service.search(None, other.split()[0]) == [], "search sees only mine"
            assert [n["owner"] for n in me.service.notebooks()] == [me.owner]
            assert me.service.info()["notebooks"] == 1
    finally:
        alice.close()
        bob.close()


def test_many_writers_at_once_lose_nothing(db):
    """Two users' servers (and a second server of one of them) write one database at once:
    states numbered by the database, content inserted once, no error healed by a retry."""
    servers = [Server(db, "alice", "pod-1"), Server(db, "alice", "pod-2"), Server(db, "bob")]
    runs = 60
    try:
        for s in servers:
            s.report(*[(f"c{i}", f"x = {i}") for i in range(3)])
        futures: list[Any] = []

        def hammer(server: Server) -> None:
            for i in range(runs):  # the same content everywhere: every insert races
                futures.append(server.run(f"c{i % 3}", f"x = {i % 3}", "same output\n"))

        threads = [threading.Thread(target=hammer, args=(s,)) for s in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for f in futures:
            assert f.result(60) is not None
        alice_log = servers[0].service.log(HOME)["states"]
        executes = [s for s in alice_log if s["event"] == "execute"]
        assert len(executes) == 2 * runs, "alice's two servers: every run recorded"
        assert len({s["seq"] for s in alice_log}) == len(alice_log), "one number per state"
        parents = {s["id"] for s in alice_log}
        assert all(s["parent"] in parents for s in alice_log[1:]), "one tree, no stale parent"
        bob_log = servers[2].service.log(HOME)["states"]
        assert len([s for s in bob_log if s["event"] == "execute"]) == runs
        for s in servers:
            assert s.writer.refused_ops == 0 and s.writer.problem is None
    finally:
        for s in servers:
            s.close()


def test_a_server_starting_recovers_only_its_own_running_cells(db):
    alice, bob = Server(db, "alice"), Server(db, "bob")
    try:
        bob.report(("c1", "train()"))
        running = Execution(HOME, "kb", "long", "c1", "train()", [], 1, "running", 1.0, None)
        bob.writer.submit(History.record_progress, running).result(30)
        assert alice.writer.submit(History.recover_running).result(30) == 0
        assert [r["key"] for r in bob.service.log(HOME)["running"]] == ["kb/long"]
        other_pod = Server(db, "bob", "another-pod")
        try:
            assert other_pod.writer.submit(History.recover_running).result(30) == 0
        finally:
            other_pod.close()
        assert bob.writer.submit(History.recover_running).result(30) == 1, "its own, at restart"
    finally:
        alice.close()
        bob.close()


def test_sharing_is_explicit_read_only_and_can_be_taken_back(db):
    alice, bob = Server(db, "alice"), Server(db, "bob")
    try:
        alice.report(("c1", "shared_work = 1"))
        alice.run("c1", "shared_work = 1", "out\n").result(30)
        with pytest.raises(NotFound):
            bob.service.log(HOME, of="alice")
        assert set_share(alice.engines, "alice", HOME, "bob", True)
        listed = bob.service.notebooks()
        assert [(n["owner"], n["shared"]) for n in listed] == [("alice", True)]
        log = bob.service.log(HOME, of="alice")
        assert [s["event"] for s in log["states"]] == ["edit", "execute"]
        assert bob.service.state(HOME, log["head"], of="alice")["code"] == "shared_work = 1"
        with pytest.raises(NotFound):
            bob.service.restore(HOME, log["head"])  # bob's own notebook at that path: none
        assert set_share(alice.engines, "alice", HOME, "bob", False)
        with pytest.raises(NotFound):
            bob.service.log(HOME, of="alice")
    finally:
        alice.close()
        bob.close()


def user_url(postgres: Any, db_url: str, user: str) -> str:
    return db_url.replace("postgres:branch-test-pw", f"{user}:{user}-pw")


def rows_seen(postgres: Any, db_url: str, user: str, sql: str) -> Any:
    name = db_url.rsplit("/", 1)[1]
    with psycopg.connect(
        host="127.0.0.1", port=postgres.port, user=user, password=f"{user}-pw", dbname=name
    ) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def test_the_hub_recipe_makes_other_owners_rows_unreadable_even_to_direct_sql(
    postgres, db, capsys, tmp_path
):
    code = main(["--db", db, "hub-setup", "--user", "alice:alice-pw", "--user", "bob:bob-pw"])
    assert code == 0 and "row-level security" in capsys.readouterr().out
    unguarded = rows_seen(
        postgres,
        db,
        "alice",
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relrowsecurity",
    )
    assert unguarded == [("jupyter_branch_migrations",)], "every history table has its policy"
    alice = Server(user_url(postgres, db, "alice"), "alice")
    bob = Server(user_url(postgres, db, "bob"), "bob")
    other = "/home/jovyan/private.ipynb"
    try:
        alice.report(("c1", "alice_secret = 42"))
        alice.run("c1", "alice_secret = 42", "42\n").result(30)
        alice.report(("p1", "private_thing = 1"), path=other)
        bob.report(("c1", "bobs = 1"))
        for table in ("notebooks", "states", "state_cells", "blobs", "cell_versions"):
            mine = rows_seen(postgres, db, "bob", f"SELECT count(*) FROM {table}")[0][0]
            everything = rows_seen(postgres, db, "alice", f"SELECT count(*) FROM {table}")[0][0]
            assert mine > 0 and everything > 0, table
        owners = rows_seen(postgres, db, "bob", "SELECT DISTINCT owner FROM notebooks")
        assert owners == [("bob",)], "bob's role sees bob's notebooks only"
        texts = rows_seen(postgres, db, "bob", "SELECT data FROM blobs")
        assert not any(b"alice_secret" in bytes(t[0]) for t in texts)
        taken = "UPDATE notebooks SET owner = 'bob' WHERE owner = 'alice' RETURNING id"
        assert rows_seen(postgres, db, "bob", taken) == [], "her rows are not his to touch"
        alice_nb = rows_seen(postgres, db, "alice", "SELECT min(id) FROM notebooks")[0][0]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # row-level security
            rows_seen(postgres, db, "bob", f"INSERT INTO shares VALUES ({alice_nb}, 'bob', 0)")
        # alice shares one notebook: bob's role reads it, and still nothing else of hers
        assert (
            main(["--db", alice.engines.url, "--owner", "alice", "share", HOME, "--with", "bob"])
            == 0
        )
        visible = rows_seen(postgres, db, "bob", "SELECT owner, abs_path FROM notebooks ORDER BY 1")
        assert visible == [("alice", HOME), ("bob", HOME)]
        assert (
            bob.service.state(HOME, bob.service.log(HOME, of="alice")["head"], of="alice")["code"]
            == "alice_secret = 42"
        )
        sources = rows_seen(postgres, db, "bob", "SELECT data FROM blobs")
        assert not any(b"private_thing" in bytes(t[0]) for t in sources), "her other notebook"
        changed = rows_seen(
            postgres, db, "bob", "UPDATE states SET label = 'mine' WHERE label IS NULL RETURNING id"
        )
        bob_states = rows_seen(
            postgres,
            db,
            "bob",
            "SELECT s.id FROM states s JOIN notebooks n ON n.id = s.notebook_id"
            " WHERE n.owner = 'bob'",
        )
        assert {r[0] for r in changed} == {r[0] for r in bob_states}, (
            "a shared history is read-only"
        )
    finally:
        alice.close()
        bob.close()
