"""``jupyter branch`` reads never write: no migration, no lock, no connection left open,
no password shown."""

from __future__ import annotations

import gc
import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_branch.cli import main
from jupyter_branch.status import BACKLOG_SECONDS, ShownBacklog, write_status
from jupyter_branch.store import lite, migrations
from jupyter_branch.store.schema import MIGRATIONS, Migration


def run(capsys: Any, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def recorded(sqlite_store: Any, monkeypatch: Any) -> dict[str, Any]:
    """A SQLite store with two runs of a cell, its writer stopped; the CLI run from its
    folder."""
    store = sqlite_store
    monkeypatch.chdir(store.root)
    store.report(("c1", "x = 1"))
    first = store.execute("c1", "x = 1", "one\n")
    second = store.execute("c1", "x = 2", "two\n")
    store.close()
    path = Path(str(store.root / "history.sqlite"))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"db": store.url, "path": path, "first": first, "second": second}


def fingerprint(path: Path) -> tuple[str, int]:
    wal = Path(f"{path}-wal")
    return hashlib.sha256(path.read_bytes()).hexdigest(), wal.stat().st_size if wal.exists() else 0


def applied(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM jupyter_branch_migrations ORDER BY name")
        return [r[0] for r in rows]


def make_older(path: Path) -> None:
    """Take migration 0002 out of the store: a store without the search index, which
    readers do without."""
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE search_index")
        conn.execute("DELETE FROM jupyter_branch_migrations WHERE name = '0002_search'")
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def test_reading_commands_leave_a_store_at_an_older_migration_as_it_is(recorded, capsys):
    make_older(recorded["path"])
    before = fingerprint(recorded["path"])
    db, first, second = recorded["db"], recorded["first"], recorded["second"]
    out_file = recorded["path"].parent / "out.ipynb"
    commands = [
        ("log", "nb.ipynb", "--json"),
        ("log", "nb.ipynb"),
        ("show", "nb.ipynb", first[:8]),
        ("diff", "nb.ipynb", first, second),
        ("export", "nb.ipynb", second, "-o", str(out_file)),
        ("info", "--json"),
        ("gc", "--older-than", "0"),
    ]
    for command in commands:
        code, _out, err = run(capsys, "--db", db, *command)
        assert code == 0, (command, err)
    assert json.loads(run(capsys, "--db", db, "log", "nb.ipynb", "--json")[1])["head"] == second
    assert "0002_search" not in applied(recorded["path"]), "nothing was migrated"
    assert fingerprint(recorded["path"]) == before, "not a byte was written"


def test_a_store_lacking_what_reading_needs_is_refused_in_plain_words(
    recorded, capsys, monkeypatch
):
    needed = Migration("9999_needed_to_read", lambda md: None)
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, needed))
    # the command line's SQLite path knows the migrations from the compiled list
    monkeypatch.setattr(lite, "MIGRATIONS", [*lite.MIGRATIONS, (needed.name, True)])
    before = fingerprint(recorded["path"])
    code, out, err = run(capsys, "--db", recorded["db"], "log", "nb.ipynb")
    assert code == 3 and out == ""
    assert "older jupyter-branch" in err and "9999_needed_to_read" in err
    assert fingerprint(recorded["path"]) == before


def test_no_store_means_no_history_and_nothing_is_created(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/none/history.sqlite"
    code, _out, err = run(capsys, "--db", url, "log", "nb.ipynb")
    assert code == 1 and "no history store" in err
    assert not (tmp_path / "none").exists()


def test_a_dry_run_gc_never_waits_for_a_server_writing(recorded, capsys):
    """A running server's writer holds the write lock for a moment at a time; a dry run
    that took it too would make that writer wait (up to its busy timeout)."""
    writer = sqlite3.connect(recorded["path"], isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # as the server's writer does for each batch
    writer.execute("INSERT INTO notebooks (uid, abs_path, created) VALUES ('u', '/x', 1)")
    try:
        code, out, err = run(capsys, "--db", recorded["db"], "gc", "--older-than", "0")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert code == 0, err
    assert "would delete 2 states" in out


def test_gc_yes_refuses_while_a_server_records_into_the_store(
    recorded, capsys, monkeypatch, tmp_path
):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    write_status({"url": recorded["db"], "store": str(recorded["path"]), "backlog": 0})
    code, out, err = run(capsys, "--db", recorded["db"], "gc", "--older-than", "0", "--yes")
    assert code == 3 and "is recording into" in err and "stop it" in err
    code, out, _ = run(capsys, "--db", recorded["db"], "log", "nb.ipynb", "--json")
    assert len(json.loads(out)["states"]) == 3, "nothing was deleted"


def open_connections_to(path: Path) -> list[sqlite3.Connection]:
    """The sqlite3 connections of this process still open on the database ``path``."""
    found = []
    for obj in gc.get_objects():
        if isinstance(obj, sqlite3.Connection):
            try:
                files = [row[2] for row in obj.execute("PRAGMA database_list")]
            except sqlite3.ProgrammingError:  # closed
                continue
            if str(path) in files:
                found.append(obj)
    return found


def test_every_command_closes_its_connections(recorded, capsys):
    """Closed by the command itself, not left to the garbage collector (which PostgreSQL's
    driver answers with a ResourceWarning)."""
    db, first, second = recorded["db"], recorded["first"], recorded["second"]
    gc.collect()
    gc.disable()  # what the command leaves open stays visible until checked
    try:
        for command in (
            ("log", "nb.ipynb", "--json"),
            ("show", "nb.ipynb", first),
            ("diff", "nb.ipynb", first, second),
            ("info",),
            ("gc", "--older-than", "0"),
            ("gc", "--older-than", "0", "--yes"),
            ("log", "missing.ipynb"),
        ):
            run(capsys, "--db", db, *command)
            assert open_connections_to(recorded["path"]) == [], command
    finally:
        gc.enable()


def test_the_status_file_is_written_when_the_status_changes(monkeypatch, tmp_path):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    write_status({"url": "sqlite:///h.sqlite", "backlog": 3})
    (path,) = (tmp_path / "runtime").glob("jupyter_branch-*.json")
    first = path.stat().st_ino
    write_status({"url": "sqlite:///h.sqlite", "backlog": 3})
    assert path.stat().st_ino == first, "the same status: not written again"
    write_status({"url": "sqlite:///h.sqlite", "backlog": 0})
    assert json.loads(path.read_text())["backlog"] == 0
    path.unlink()
    write_status({"url": "sqlite:///h.sqlite", "backlog": 0})
    assert path.exists(), "gone (removed by hand): written again"


def test_the_backlog_a_status_file_shows_changes_at_most_every_few_seconds():
    shown = ShownBacklog()
    assert shown.show(3, 100.0) == 3, "the first is shown at once"
    assert shown.show(0, 101.0) == 3, "a backlog moving every commit waits"
    assert shown.show(7, 102.0) == 3
    assert shown.show(5, 100.0 + BACKLOG_SECONDS) == 5, "until the shown one is old"
    assert shown.show(0, 111.0) == 5
    assert shown.show(0, 110.0 + BACKLOG_SECONDS) == 0, "at rest: 0 in the end"
    assert shown.show(0, 200.0) == 0


def test_the_status_file_and_info_never_show_a_password(recorded, capsys, monkeypatch, tmp_path):
    runtime = tmp_path / "runtime"
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    secret = "s3cret-pw"
    write_status(
        {"url": f"postgresql+psycopg://alice:{secret}@127.0.0.1:5432/h", "store": "elsewhere"}
    )
    (status_file,) = runtime.glob("jupyter_branch-*.json")
    assert secret not in status_file.read_text()
    assert "alice:***@" in status_file.read_text()
    # a status file written by an older version, password and all
    status_file.write_text(
        json.dumps(
            {
                "pid": __import__("os").getpid(),
                "url": f"postgresql://alice:{secret}@h/db",
                "path": str(recorded["path"]),
                "backlog": 0,
                "problem": None,
                "updated": time.time(),
            }
        )
    )
    code, out, _ = run(capsys, "--db", recorded["db"], "info", "--json")
    assert code == 0 and secret not in out
    assert json.loads(out)["servers"][0]["url"] == "postgresql://alice:***@h/db"


@pytest.mark.parametrize("folder", ["a b", "100%", "x#y", "why?", "caf\u00e9"])
def test_a_store_whose_path_has_uri_characters_is_read(recorded, capsys, tmp_path, folder):
    """The store is opened as a ``file:`` URI: ``%``, ``#`` and ``?`` in its path must
    reach SQLite as the path's own characters (escaped), not as URI syntax."""
    moved = tmp_path / folder / "history.sqlite"
    moved.parent.mkdir()
    moved.write_bytes(recorded["path"].read_bytes())
    nb = str(Path.cwd() / "nb.ipynb")
    url = f"sqlite:///{moved}".replace("?", "%3F")  # a URL's own "?" starts its query
    code, out, err = run(capsys, "--db", url, "log", nb, "--json")
    assert (code, err) == (0, "")
    ids = [s["id"] for s in json.loads(out)["states"]]
    assert recorded["first"] in ids and recorded["second"] in ids
    assert lite.sqlite_file(url) == str(moved)
