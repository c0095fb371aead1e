"""Store faults: locked, deleted, corrupted, full, read-only. Jupyter keeps working,
the API and the CLI say what is wrong in plain words, and recording resumes with
nothing lost once the fault clears (SPEC, "Reliability and security").
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kernel_client import write_notebook
from tests.reliability.harness import BlockingKernel, ServerProcess, recorded_codes


def wait_until(check: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class Setup:
    def __init__(self, tmp: Path, db: Path) -> None:
        self.root = tmp / "root"
        self.data = tmp / "data"
        self.root.mkdir(exist_ok=True)
        self.data.mkdir(exist_ok=True)
        self.db = db
        write_notebook(self.root, "nb.ipynb", ["print(1)"])
        self.nb_abs = os.path.realpath(self.root / "nb.ipynb")
        self.server = ServerProcess(self.root, self.data, db_url=f"sqlite:///{db}").start()
        self.kernel = BlockingKernel(self.server, "nb.ipynb")
        self.count = 0

    def run(self, label: str) -> str:
        """Execute a cell; it must work whatever the store does. Returns its code."""
        self.count += 1
        code = f"print('{label} {self.count}')"
        outputs = self.kernel.execute(code, f"cell-{self.count % 3}", timeout=60)
        texts = [m["content"].get("text", "") for m in outputs]
        assert f"{label} {self.count}\n" in texts, "Jupyter itself must keep working"
        return code

    def info(self) -> dict[str, Any]:
        status, body = self.server.request("jupyter-branch/api/info")
        assert status == 200, body
        return body

    def message_naming(self, words: str, timeout: float = 30) -> dict[str, Any]:
        """``info`` once its message names ``words``. Until the recording process has
        tried the store (and told its counts, at most a second later) the server says
        the store is being opened: a message, but not yet the answer."""
        return wait_until(
            lambda: words in ((i := self.info())["message"] or "") and i,
            timeout,
            what=f"a plain message naming {words!r}",
        )

    def contents_work(self) -> None:
        status, body = self.server.request("api/contents")
        assert status == 200 and any(c["name"] == "nb.ipynb" for c in body["content"])

    def recorded(self) -> set[str]:
        try:
            return set(recorded_codes(self.db, self.nb_abs))
        except Exception:
            return set()

    def close(self) -> None:
        self.kernel.close()
        self.server.stop()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    s = Setup(tmp_path, tmp_path / "store" / "history.sqlite")
    yield s
    s.close()


def cli_info(db: Path, data: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`jupyter branch info` as the server's user would run it (same runtime dir)."""
    env = dict(os.environ)
    if data is not None:
        env["JUPYTER_RUNTIME_DIR"] = str(data / "runtime")
    return subprocess.run(
        [sys.executable, "-m", "jupyter_branch.cli", "--db", f"sqlite:///{db}", "info"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_store_locked_by_another_program(setup: Setup) -> None:
    before = setup.run("before")
    wait_until(lambda: before in setup.recorded(), what="the first run")
    locker = sqlite3.connect(setup.db, timeout=1, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        during = [setup.run("locked") for _ in range(3)]
        setup.contents_work()
        info = setup.message_naming("locked by another program", timeout=40)
        assert not info["ok"] and "locked by another program" in info["message"]
        assert info["writer"]["backlog"] >= 1
        status, _ = setup.server.request("jupyter-branch/api/tree?path=nb.ipynb")
        assert status == 200, "browsing history still works while writes wait"
        # reads work under WAL; it shows the server's state (written every 2 s)
        cli = wait_until(
            lambda: (
                (c := cli_info(setup.db, setup.data)).returncode == 0
                and "locked by another program" in c.stdout
                and c
            ),
            what="the CLI to show the waiting server",
        )
        assert "writes waiting" in cli.stdout
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    wait_until(lambda: set(during) <= setup.recorded(), what="the held runs to be recorded")
    assert wait_until(lambda: setup.info()["ok"], what="the store to be healthy again")


def test_store_deleted_while_recording(setup: Setup) -> None:
    setup.run("before")
    wait_until(lambda: setup.recorded(), what="a first state")
    for suffix in ("", "-wal", "-shm"):
        Path(str(setup.db) + suffix).unlink(missing_ok=True)
    after = setup.run("after delete")
    wait_until(lambda: after in setup.recorded(), what="recording into a new store")
    assert setup.info()["ok"]


def test_store_corrupted_then_moved_aside(tmp_path: Path) -> None:
    db = tmp_path / "store" / "history.sqlite"
    s = Setup(tmp_path, db)
    s.run("before")
    wait_until(lambda: s.recorded(), what="a first state")
    s.close()
    with open(db, "r+b") as f:  # garbage where the database starts (a disk error, say)
        f.write(b"this is not a database" * 5)
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    s = Setup(tmp_path, db)
    try:
        during = s.run("corrupt")
        s.contents_work()
        info = s.message_naming("damaged")
        assert not info["ok"]
        assert "damaged" in info["message"] and "Move the file aside" in info["message"]
        status, body = s.server.request("jupyter-branch/api/tree?path=nb.ipynb")
        assert status == 503 and "damaged" in body["message"], "the panel says it too"
        cli = cli_info(db)
        assert cli.returncode == 3 and "damaged" in cli.stderr and "Traceback" not in cli.stderr
        # the user moves the damaged file aside: recording resumes, the held run included
        db.rename(db.with_suffix(".damaged"))
        after = s.run("after")
        wait_until(lambda: {during, after} <= s.recorded(), what="held and new runs")
        assert wait_until(lambda: s.info()["ok"], what="health")
    finally:
        s.close()


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    if not _mount_tmpfs(mount, "4m"):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_disk_full_then_freed(tmp_path: Path, small_disk: Path) -> None:
    s = Setup(tmp_path, small_disk / "history.sqlite")
    try:
        s.run("before")
        wait_until(lambda: s.recorded(), what="a first state")
        filler = small_disk / "filler"
        with open(filler, "wb") as f:  # fill the disk to the last byte
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        during = [s.run("full") for _ in range(3)]
        s.contents_work()
        info = s.message_naming("full")
        assert "full" in info["message"]
        filler.unlink()
        wait_until(lambda: set(during) <= s.recorded(), what="held runs after freeing space")
    finally:
        s.close()


def test_read_only_filesystem_then_writable(tmp_path: Path, small_disk: Path) -> None:
    s = Setup(tmp_path, small_disk / "history.sqlite")
    s.run("before")
    wait_until(lambda: s.recorded(), what="a first state")
    s.close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    s = Setup(tmp_path, small_disk / "history.sqlite")
    try:
        during = [s.run("read-only") for _ in range(2)]
        s.contents_work()
        info = s.message_naming("read-only")
        assert "read-only" in info["message"]
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
        wait_until(lambda: set(during) <= s.recorded(), what="held runs after remount")
        assert wait_until(lambda: s.info()["ok"], what="health")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], capture_output=True)
        s.close()
