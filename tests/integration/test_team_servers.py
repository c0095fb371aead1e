"""Two users' real servers on one PostgreSQL database, with the same root path.

Every hub container has /home/jovyan: here both servers serve the same folder,
as the two users alice and bob, each connecting with a role of their own made by
``jupyter branch hub-setup`` (row-level security on). They run cells at once;
then alice's server restarts while bob's cell is running.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from jupyter_branch.cli import main
from tests.reliability.harness import BlockingKernel, ServerProcess

RUNS = 25


def role_url(admin_url: str, user: str) -> str:
    return admin_url.replace("postgres:branch-test-pw", f"{user}:{user}-pw")


def executed(server: ServerProcess, path: str) -> dict[str, str]:
    """{code: status} of the execute states the server shows for ``path``."""
    tree = server.tree(path)
    found = {}
    for s in tree["states"]:
        if s["event"] == "execute":
            status, state = server.request(f"jupyter-branch/api/states/{s['id']}?path={path}")
            assert status == 200, state
            found[state["code"]] = s["status"]
    return found


def holding(server: ServerProcess, codes: set[str]) -> dict[str, str] | None:
    """The server's executions of analysis.ipynb once they include ``codes``, else None."""
    found = executed(server, "analysis.ipynb")
    return found if codes <= set(found) else None


def wait_until(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_two_users_same_paths_one_database(postgres: Any, tmp_path: Path, capsys: Any) -> None:
    admin = postgres.new_database()
    assert (
        main(["--db", admin, "hub-setup", "--user", "alice:alice-pw", "--user", "bob:bob-pw"]) == 0
    )
    capsys.readouterr()
    root = tmp_path / "home-jovyan"  # the same root for both servers
    root.mkdir()
    servers = {}
    for user in ("alice", "bob"):
        servers[user] = ServerProcess(
            root,
            tmp_path / f"data-{user}",
            role_url(admin, user),
            extra=[f"--BranchApp.owner={user}"],
            log=tmp_path / f"{user}.log",
        ).start()
    kernels: dict[str, BlockingKernel] = {}
    try:
        for user, server in servers.items():
            kernels[user] = BlockingKernel(server, "analysis.ipynb")

        def run(user: str) -> None:
            for i in range(RUNS):
                kernels[user].execute(f"print('{user} run {i}')", f"cell-{i % 3}")

        threads = [threading.Thread(target=run, args=(u,)) for u in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for user, server in servers.items():
            mine = {f"print('{user} run {i}')" for i in range(RUNS)}
            seen = wait_until(
                lambda s=server, m=mine: (lambda f: f if m <= set(f) else None)(
                    executed(s, "analysis.ipynb")
                )
            )
            assert set(seen) == mine, f"{user} sees exactly their own runs"
            assert set(seen.values()) == {"ok"}
            status, info = server.request("jupyter-branch/api/info")
            assert status == 200 and info["writer"]["refused"] == 0 and info["ok"], info

        # bob's long cell runs while alice's server restarts on the same database
        long_code = (
            "import time\nfor i in range(40):\n    print(i, flush=True)\n    time.sleep(0.25)"
        )
        long_id = kernels["bob"].send(long_code, "cell-long")
        wait_until(lambda: servers["bob"].tree("analysis.ipynb")["running"])
        kernels["alice"].close()
        servers["alice"].stop()
        servers["alice"].start()
        running = servers["bob"].tree("analysis.ipynb")["running"]
        assert [r["cell_id"] for r in running] == ["cell-long"], "still running, not recovered"
        kernels["bob"].wait(long_id, long_code, timeout=120)
        statuses = wait_until(lambda: holding(servers["bob"], {long_code}))
        assert statuses[long_code] == "ok", "finished as it ran, not marked incomplete"
        assert executed(servers["alice"], "analysis.ipynb").keys() == {
            f"print('alice run {i}')" for i in range(RUNS)
        }
    finally:
        for kernel in kernels.values():
            kernel.close()
        for server in servers.values():
            server.stop()
    for user in ("alice", "bob"):
        log = (tmp_path / f"{user}.log").read_text()
        assert "Traceback" not in log and " 500 " not in log, log[-3000:]
