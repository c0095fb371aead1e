"""Recording in a process of its own (the default), and in the server's process (opt-in).

The runs here are real: an ipykernel driven over the kernel websocket as
JupyterLab drives it. What a user would see is that every run is recorded:
by a process that is not the server's, one that is started again if it dies,
and, with ``recording_process`` off, by the server itself.
"""

from __future__ import annotations

import os
import signal
from typing import Any

import psutil
import pytest

from jupyter_branch.tap import KernelTap
from tests.conftest import wait_for
from tests.integration.test_recording import a_run_right_after_its_session_moves, executes
from tests.kernel_client import LabLikeClient, write_notebook


def recording_pid(branch_app: Any) -> int | None:
    proc = branch_app.process.proc if branch_app.process is not None else None
    return proc.pid if proc is not None and proc.poll() is None else None


async def killed_and_started_again(branch_app: Any) -> int:
    """Kill the recording process, as a crash would; return the pid of the one started anew."""
    first = recording_pid(branch_app)
    assert first is not None
    os.kill(first, signal.SIGKILL)

    def restarted() -> int | None:
        pid = recording_pid(branch_app)
        return pid if pid not in (None, first) else None

    return int(await wait_for(restarted, timeout=30))


async def test_runs_are_recorded_by_a_process_that_is_not_the_server(
    jp_fetch, jp_ws_fetch, jp_root_dir, api, branch_app
):
    pid = recording_pid(branch_app)
    assert pid is not None and pid != os.getpid()
    child = psutil.Process(pid)
    assert child.ppid() == os.getpid()
    assert "jupyter_branch.recording" in " ".join(child.cmdline())
    path = write_notebook(jp_root_dir, "child.ipynb", ["print('hi')"])
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        await client.execute("print('hi')", cell_id="c1")
        (state,) = await executes(api, path, 1)
        assert (state["cell_id"], state["status"]) == ("c1", "ok")
        # the server holds no subscription of ours: only the recording process reads iopub
        assert not hasattr(branch_app.recorder, "taps")
    finally:
        client.close()


async def test_a_run_whose_request_is_too_long_for_a_note_keeps_its_cell(
    jp_fetch, jp_ws_fetch, jp_root_dir, api, branch_app
):
    # a browser's request reaches the recording process as a note (channel.Notes),
    # read with the run's messages; a cell longer than a note goes by the channel
    long_code = "x = 1  # " + "y" * 100_000
    path = write_notebook(jp_root_dir, "long.ipynb", [long_code, "print('short')"])
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        await client.execute(long_code, cell_id="long")
        await client.execute("print('short')", cell_id="short")
        states = await executes(api, path, 2)
        assert [(s["cell_id"], s["status"]) for s in states] == [("long", "ok"), ("short", "ok")]
        assert all(s["by_client"] == "browser" for s in states)
    finally:
        client.close()


async def test_a_burst_of_outputs_while_runs_keep_coming_is_recorded_whole(
    jp_fetch, jp_ws_fetch, jp_root_dir, api, branch_app
):
    # while runs keep coming the recording process reads iopub every 0.1 s instead of
    # being woken (tap.py): what the kernel says meanwhile waits in ZeroMQ's queue
    burst = "from IPython.display import display\nfor i in range(5000):\n    display(i)"
    path = write_notebook(jp_root_dir, "burst.ipynb", ["pass", burst])
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        for _ in range(5):
            await client.execute("pass", cell_id="quick")
        await client.execute(burst, cell_id="burst")
        states = await executes(api, path, 6)
        assert [s["cell_id"] for s in states] == ["quick"] * 5 + ["burst"]
        code, detail = await api(f"states/{states[-1]['id']}", path=path)
        assert code == 200
        shown = [o["data"]["text/plain"] for o in detail["outputs"]]
        assert shown == [str(i) for i in range(5000)]
    finally:
        client.close()


async def test_a_recording_process_that_dies_is_started_again_and_recording_goes_on(
    jp_fetch, jp_ws_fetch, jp_root_dir, api, branch_app
):
    path = write_notebook(jp_root_dir, "again.ipynb", ["1"])
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        for _ in range(6):
            await client.execute("print('before')", cell_id="c1")
        await executes(api, path, 6)

        async def committed() -> int:
            return int((await api("info"))[1]["writer"]["committed"])

        before = await wait_for(committed)  # the first process's count
        await killed_and_started_again(branch_app)
        # the kernel was running before the new process started: it is watched again
        await client.execute("print('after')", cell_id="c1")
        states = await executes(api, path, 7)
        code, detail = await api(f"states/{states[-1]['id']}", path=path)
        assert code == 200 and detail["outputs"][0]["text"] == "after\n"
        code, info = await api("info")
        assert info["ok"] is True, info

        # the writer's counts are the new process's: it has committed less so far
        async def counted_anew() -> bool:
            return 0 < await committed() < before

        await wait_for(counted_anew)
    finally:
        client.close()


async def test_the_recording_process_imports_nothing_from_the_folder_jupyter_runs_in(
    jp_fetch, jp_ws_fetch, jp_root_dir, api, branch_app, tmp_path, monkeypatch
):
    # people start Jupyter in their notebooks' folder; one holding a module named
    # like one the recording process imports must not stand in for it
    folder = tmp_path / "notebooks"
    (folder / "jupyter_branch").mkdir(parents=True)
    (folder / "jupyter_branch" / "__init__.py").write_text("raise SystemExit('shadowed')\n")
    monkeypatch.chdir(folder)
    await killed_and_started_again(branch_app)  # started again, from this working directory
    path = write_notebook(jp_root_dir, "here.ipynb", ["print('recorded')"])
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        await client.execute("print('recorded')", cell_id="c1")
        (state,) = await executes(api, path, 1)
        assert (state["cell_id"], state["status"]) == ("c1", "ok")
    finally:
        client.close()


class TestInTheServerProcess:
    """``recording_process`` off: the server's own recorder and writer thread."""

    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any]) -> dict[str, Any]:
        config = dict(jp_server_config)
        config["BranchApp"] = {**config.get("BranchApp", {}), "recording_process": False}
        return config

    async def test_runs_are_recorded(self, jp_fetch, jp_ws_fetch, jp_root_dir, api, branch_app):
        assert branch_app.process is None and hasattr(branch_app.recorder, "taps")
        path = write_notebook(jp_root_dir, "inproc.ipynb", ["print(6 * 7)"])
        client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
        try:
            await client.execute("print(6 * 7)", cell_id="c1")
            (state,) = await executes(api, path, 1)
            _, detail = await api(f"states/{state['id']}", path=path)
            assert (state["cell_id"], detail["outputs"][0]["text"]) == ("c1", "42\n")
        finally:
            client.close()

    async def test_a_run_right_after_its_session_moves_goes_to_the_new_notebook(
        self, jp_fetch, jp_ws_fetch, jp_root_dir, api, branch_app
    ):
        assert branch_app.process is None
        await a_run_right_after_its_session_moves(jp_fetch, jp_ws_fetch, jp_root_dir, api)

    async def test_a_run_whose_kernel_shuts_down_before_its_batch_is_read_is_kept(
        self, jp_fetch, jp_ws_fetch, jp_root_dir, api, branch_app, monkeypatch
    ):
        # a run's messages are read in a batch after it (tap.py); here the batch
        # waits far longer than the kernel takes to shut down, so the run is
        # recorded only if closing the subscription reads what it holds
        monkeypatch.setattr(KernelTap, "BATCH", 60.0)
        path = write_notebook(jp_root_dir, "quick-exit.ipynb")
        client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
        try:
            await client.execute("print('last words')", cell_id="cell-q")
            await jp_fetch("api", "sessions", client.session_id, method="DELETE")
            (state,) = await executes(api, path, 1)
            _, detail = await api(f"states/{state['id']}", path=path)
            assert (state["cell_id"], state["status"]) == ("cell-q", "ok")
            assert [o.get("text") for o in detail["outputs"]] == ["last words\n"]
        finally:
            client.close()
