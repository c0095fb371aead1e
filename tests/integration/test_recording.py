"""Executions on a real ipykernel, driven over the kernel websocket as JupyterLab drives it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import nbformat

from tests.conftest import wait_for
from tests.kernel_client import LabLikeClient, write_notebook


async def _at_least(found: Any, n: int) -> Any:
    items = await found
    return items if len(items) >= n else None


async def executes(api: Any, path: str, n: int) -> list[dict[str, Any]]:
    """Wait until the notebook has ``n`` execute states; return them."""

    async def check() -> Any:
        code, body = await api("tree", path=path)
        if code != 200:
            return None
        done = [s for s in body["states"] if s["event"] == "execute"]
        return done if len(done) >= n else None

    return await wait_for(check, timeout=30)


async def test_execution_is_recorded_with_cell_and_outputs(jp_fetch, jp_ws_fetch, jp_root_dir, api):
    path = write_notebook(jp_root_dir, "first.ipynb", ["print('hello')"])
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        await client.execute("print('hello')\n6 * 7", cell_id="cell-a")
        (state,) = await executes(api, path, 1)
        assert state["cell_id"] == "cell-a"
        assert state["status"] == "ok"
        assert state["execution_count"] == 1
        code, detail = await api(f"states/{state['id']}", path=path)
        assert code == 200
        assert detail["code"] == "print('hello')\n6 * 7"
        kinds = [o["output_type"] for o in detail["outputs"]]
        assert kinds == ["stream", "execute_result"]
        assert detail["outputs"][0]["text"] == "hello\n"
        assert detail["outputs"][1]["data"]["text/plain"] == "42"
    finally:
        client.close()


async def test_browser_disconnect_mid_run_keeps_every_line(jp_fetch, jp_ws_fetch, jp_root_dir, api):
    path = write_notebook(jp_root_dir, "long.ipynb")
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    code = (
        "import time, sys\n"
        "for i in range(30):\n"
        "    print(f'step {i}', flush=True)\n"
        "    time.sleep(0.1)\n"
    )
    await client.run(code, "cell-long")
    await asyncio.sleep(0.8)
    client.close()  # the tab closes while the cell runs
    (state,) = await executes(api, path, 1)
    _, detail = await api(f"states/{state['id']}", path=path)
    text = "".join(o.get("text", "") for o in detail["outputs"])
    assert text.splitlines() == [f"step {i}" for i in range(30)]
    assert state["status"] == "ok"


async def test_re_executions_keep_every_output_and_statuses(
    jp_fetch, jp_ws_fetch, jp_root_dir, api
):
    path = write_notebook(jp_root_dir, "rerun.ipynb")
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        await client.execute("n = 0", "cell-n")
        for _ in range(3):
            await client.execute("n += 1\nprint('n is', n)", "cell-p")
        await client.execute("1 / 0", "cell-err")
        states = await executes(api, path, 5)
        assert [s["status"] for s in states] == ["ok", "ok", "ok", "ok", "error"]
        code, body = await api("cells/cell-p", path=path)
        assert code == 200
        runs = [v for v in body["versions"] if v["state"]["event"] == "execute"]
        texts = [v["cell"]["outputs"][0]["text"] for v in runs]
        assert texts == ["n is 3\n", "n is 2\n", "n is 1\n"]
        assert body["versions"][-1]["state"]["event"] == "edit", "the cell was typed first"
        _, err = await api(f"states/{states[-1]['id']}", path=path)
        assert err["outputs"][0]["ename"] == "ZeroDivisionError"
    finally:
        client.close()


async def test_kernel_restart_keeps_recording_and_marks_the_interrupted_run(
    jp_fetch, jp_ws_fetch, jp_root_dir, api
):
    path = write_notebook(jp_root_dir, "restart.ipynb")
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        await client.execute("print('before')", "cell-1")
        await client.run("import time\nprint('working', flush=True)\ntime.sleep(30)", "cell-2")
        await asyncio.sleep(1.5)
        await client.restart()
        await client.execute("print('after restart')", "cell-3")
        states = await executes(api, path, 3)
        by_cell = {s["cell_id"]: s for s in states}
        # a restart asks the kernel to stop: it reports an interrupt, or just dies
        assert by_cell["cell-2"]["status"] in ("interrupted", "died")
        _, stopped = await api(f"states/{by_cell['cell-2']['id']}", path=path)
        assert stopped["outputs"][0]["text"] == "working\n", "output before the restart is kept"
        _, after = await api(f"states/{by_cell['cell-3']['id']}", path=path)
        assert after["outputs"][0]["text"] == "after restart\n"
        assert after["execution_count"] == 1, "a new kernel counts from 1"
    finally:
        client.close()


async def test_a_kernel_that_dies_mid_run_is_recorded_as_died(
    jp_fetch, jp_ws_fetch, jp_root_dir, api
):
    path = write_notebook(jp_root_dir, "dies.ipynb")
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        code = "import os, time\nprint('last words', flush=True)\ntime.sleep(0.5)\nos._exit(1)"
        await client.run(code, "cell-x")
        (state,) = await executes(api, path, 1)  # the server restarts the dead kernel
        assert state["status"] == "died"
        _, detail = await api(f"states/{state['id']}", path=path)
        assert detail["outputs"][0]["text"] == "last words\n"
        await client.wait_ready()
        await client.execute("print('alive again')", "cell-y")
        states = await executes(api, path, 2)
        assert states[1]["status"] == "ok"
    finally:
        client.close()


async def test_history_follows_a_rename_made_in_jupyter(jp_fetch, jp_ws_fetch, jp_root_dir, api):
    path = write_notebook(jp_root_dir, "old name.ipynb")
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        await client.execute("print('first')", "c1")
        await executes(api, path, 1)
        new = "sub/new name.ipynb"
        (jp_root_dir / "sub").mkdir()
        await jp_fetch("api", "contents", path, method="PATCH", body=json.dumps({"path": new}))
        client.path = new  # the open document follows its file
        await jp_fetch(
            "api", "sessions", client.session_id, method="PATCH", body=json.dumps({"path": new})
        )
        await client.execute("print('second')", "c1")
        states = await executes(api, new, 2)
        assert [s["event"] for s in states if s["event"] == "execute"] == ["execute", "execute"]
        code, old = await api("tree", path=path)
        assert code == 200 and old["states"] == [], "the old name has no history any more"
    finally:
        client.close()


async def a_run_right_after_its_session_moves(jp_fetch, jp_ws_fetch, jp_root_dir, api):
    """The recorder keeps what it found of a kernel's sessions until the session
    manager changes one: the very next run must see the change."""
    first = write_notebook(jp_root_dir, "first.ipynb")
    second = write_notebook(jp_root_dir, "second.ipynb")
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, first).start()
    try:
        await client.execute("print('in the first')", cell_id=None)
        await executes(api, first, 1)
        await jp_fetch(
            "api", "sessions", client.session_id, method="PATCH", body=json.dumps({"path": second})
        )
        await client.execute("print('in the second')", cell_id=None)
        (state,) = await executes(api, second, 1)
        _, detail = await api(f"states/{state['id']}", path=second)
        assert detail["outputs"][0]["text"] == "in the second\n"
        assert len(await executes(api, first, 1)) == 1, "nothing more under the first"
    finally:
        client.close()


async def test_a_run_right_after_its_session_moves_goes_to_the_new_notebook(
    jp_fetch, jp_ws_fetch, jp_root_dir, api
):
    await a_run_right_after_its_session_moves(jp_fetch, jp_ws_fetch, jp_root_dir, api)


async def test_four_notebooks_at_once_lose_nothing(jp_fetch, jp_ws_fetch, jp_root_dir, api):
    clients = []
    for i in range(4):
        path = write_notebook(jp_root_dir, f"par{i}.ipynb")
        clients.append(await LabLikeClient(jp_fetch, jp_ws_fetch, path).start())

    async def work(i: int, client: LabLikeClient) -> None:
        for j in range(6):
            await client.execute(f"print('nb{i} run{j}')", f"cell-{j % 2}")

    try:
        await asyncio.gather(*(work(i, c) for i, c in enumerate(clients)))
        for i, client in enumerate(clients):
            states = await executes(api, client.path, 6)
            assert len(states) == 6
            outs = []
            for s in states:
                _, detail = await api(f"states/{s['id']}", path=client.path)
                outs.append(detail["outputs"][0]["text"])
            assert outs == [f"nb{i} run{j}\n" for j in range(6)]
    finally:
        for c in clients:
            c.close()


async def test_execution_without_cell_id_from_an_api_client(
    jp_fetch, jp_ws_fetch, jp_root_dir, api
):
    path = write_notebook(jp_root_dir, "api.ipynb", ["x = 1"])
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        await client.execute("print('from a script')", cell_id=None)
        (state,) = await executes(api, path, 1)
        assert state["cell_id"] is None
        _, detail = await api(f"states/{state['id']}", path=path)
        assert detail["outputs"][0]["text"] == "from a script\n"
        assert [c["source"] for c in detail["cells"]] == ["x = 1"], "the document is untouched"
    finally:
        client.close()


async def test_saves_and_outside_changes_make_states(jp_fetch, jp_ws_fetch, jp_root_dir, api):
    path = write_notebook(jp_root_dir, "files.ipynb", ["a = 1"])
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        await client.execute("a = 1", "only")
        await executes(api, path, 1)
        nb = nbformat.read(str(jp_root_dir / path), as_version=4)
        nb.cells[0].source = "a = 2  # saved from the browser"
        await jp_fetch(
            "api",
            "contents",
            path,
            method="PUT",
            body=json.dumps({"type": "notebook", "format": "json", "content": nb}),
        )

        async def has(event: str) -> Any:
            _, body = await api("tree", path=path)
            return [s for s in body["states"] if s["event"] == event]

        # the first "save" is the file as it was when history began; then ours
        _, save = await wait_for(lambda: _at_least(has("save"), 2), timeout=15)
        nb.cells[0].source = "a = 3  # git checkout"
        await asyncio.sleep(0.2)
        nbformat.write(nb, str(jp_root_dir / path))
        (external,) = await wait_for(lambda: has("external"), timeout=15)
        _, detail = await api(f"states/{external['id']}", path=path)
        assert detail["cells"][0]["source"] == "a = 3  # git checkout"
        assert external["parent"] == save["id"]
    finally:
        client.close()


async def test_a_run_between_file_rename_and_session_update_follows_the_rename(
    jp_fetch, jp_ws_fetch, jp_root_dir, api
):
    path = write_notebook(jp_root_dir, "Untitled.ipynb")
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        await client.execute("print('first')", "c1")
        await executes(api, path, 1)
        new = "named.ipynb"
        # JupyterLab renames the file, and only then moves the kernel's session
        await jp_fetch("api", "contents", path, method="PATCH", body=json.dumps({"path": new}))
        client.path = new  # the open document follows its file
        await client.execute("print('in between')", "c1")
        await jp_fetch(
            "api", "sessions", client.session_id, method="PATCH", body=json.dumps({"path": new})
        )
        states = await executes(api, new, 2)
        assert len(states) == 2, "one history, under the new name"
        _, old = await api("tree", path=path)
        assert old["states"] == [], "the old name did not come back to life"
    finally:
        client.close()


async def test_export_names_the_running_kernel_when_the_file_never_did(
    jp_fetch, jp_ws_fetch, jp_root_dir, api
):
    # A notebook Lab just created has no kernelspec on disk until its first
    # save; its export must still open in Lab without asking for a kernel.
    nb = nbformat.v4.new_notebook()
    nbformat.write(nb, str(jp_root_dir / "fresh.ipynb"))
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, "fresh.ipynb").start()
    try:
        await client.execute("print('kept')", cell_id="c1")
        (state,) = await executes(api, "fresh.ipynb", 1)
        code, exported = await api("export", path="fresh.ipynb", state=state["id"])
        assert code == 200
        assert exported["metadata"]["kernelspec"]["name"] == "python3"
        assert exported["metadata"]["kernelspec"]["language"] == "python"
        nbformat.validate(nbformat.from_dict(exported))
    finally:
        client.close()
    # with no session the export stays as recorded: nothing invented
    await jp_fetch("api", "sessions", client.session_id, method="DELETE")
    code, exported = await api("export", path="fresh.ipynb", state=state["id"])
    assert code == 200
    assert "kernelspec" not in exported["metadata"]
