"""A real PostgreSQL server for the tests: Debian's, started in a temp folder on loopback.

``PostgresCluster`` runs ``initdb`` and ``pg_ctl`` (as the ``postgres`` user when
the tests run as root: PostgreSQL refuses to run as root) into a folder of its
own, listening on a free 127.0.0.1 port with password authentication, and stops
it at the end. Each test gets a database of its own (``new_database``).

Where PostgreSQL is not installed the PostgreSQL variants of the tests are
skipped, saying so, unless ``JUPYTER_BRANCH_REQUIRE_POSTGRES=1`` (set by
``make test``, so CI can never pass without them): then they fail.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

PASSWORD = "branch-test-pw"


def find_bin() -> Path | None:
    """Return the folder of PostgreSQL's server programs, if installed."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(folder, "pg_ctl")):
            return Path(folder)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unavailable(reason: str) -> None:
    if os.environ.get("JUPYTER_BRANCH_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required here but {reason}")
    pytest.skip(f"PostgreSQL tests skipped: {reason}")


class PostgresCluster:
    """One PostgreSQL server for the test session."""

    def __init__(self) -> None:
        self.bin = find_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="jb-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert self.bin is not None
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> None:
        if self.bin is None:
            unavailable(
                "its server programs (pg_ctl) are not installed (apt-get install postgresql)"
            )
        pwfile = self.folder / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        result = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stderr}")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder}"
            " -c fsync=off -c max_connections=200"
        )
        log = self.folder / "server.log"
        result = self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(log), "-w", "start"
        )
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl start failed: {result.stderr} {log.read_text()}")

    def stop(self) -> None:
        if self.bin is not None and self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(
        self, database: str = "postgres", user: str = "postgres", password: str = PASSWORD
    ) -> str:
        return f"postgresql+psycopg://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def execute(self, *statements: str, database: str = "postgres") -> None:
        """Run statements as the superuser (autocommit: CREATE DATABASE needs it)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            password=PASSWORD,
            dbname=database,
            autocommit=True,
        ) as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]

    def new_database(self) -> str:
        """Create an empty database; return its SQLAlchemy URL (as the superuser)."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.execute(f"CREATE DATABASE {name}")
        return self.url(name)
