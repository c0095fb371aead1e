"""Clients other than JupyterLab's notebook: agents and API clients, consoles, bare kernels."""

from __future__ import annotations

import json
from typing import Any

from jupyter_branch.cli import main
from tests.conftest import wait_for
from tests.integration.test_recording import executes
from tests.kernel_client import LabLikeClient, write_notebook


async def test_an_api_client_without_cell_ids_runs_into_the_cell_holding_its_code(
    jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Any, api: Any
) -> None:
    """An agent (jupyter_kernel_client, jupyter_nbmodel_client) runs a notebook's code on
    its kernel without saying which cell: the one cell holding that code gets the run."""
    path = write_notebook(jp_root_dir, "agent.ipynb", ["x = 6", "print(x * 7)", "x = 6"])
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    ids = [c["id"] for c in client.cells]
    try:
        await client.wait_idle(client.send_execute("x = 6", None))
        await client.wait_idle(client.send_execute("print(x * 7)", None))
        await client.wait_idle(client.send_execute("print('not in the notebook')", "agent-9"))
        twice, printed, elsewhere = await executes(api, path, 3)
    finally:
        client.close()
    assert twice["cell_id"] is None, "two cells hold 'x = 6': no guess"
    assert printed["cell_id"] == ids[1]
    assert elsewhere["cell_id"] is None, "a client's own cell id is no cell of the notebook"
    _, state = await api(f"states/{elsewhere['id']}", path=path)
    assert [c["id"] for c in state["cells"]] == ids, "no phantom cell"
    assert state["outputs"][0]["text"] == "not in the notebook\n", "still recorded"
    assert state["cells"][1]["outputs"][0]["text"] == "42\n"


async def test_runs_on_a_kernel_without_a_notebook_are_kept_under_the_kernel(
    jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Any, branch_app: Any, capsys: Any
) -> None:
    """A bare API kernel (no session at all): its runs are found with the command line."""
    r = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
    kernel_id = json.loads(r.body)["id"]
    client = LabLikeClient(jp_fetch, jp_ws_fetch, "")
    client.kernel_id = kernel_id
    await client.connect()
    try:
        await client.wait_ready()
        await client.wait_idle(client.send_execute("print('from a bare kernel')", None))
    finally:
        client.close()
    db = branch_app.writer.engines.url

    def logged() -> Any:  # polled: the recording process writes it within a second
        code = main(["--db", db, "log", f"kernel:{kernel_id}", "--json"])
        out = capsys.readouterr().out
        return json.loads(out) if code == 0 and json.loads(out)["states"] else None

    log = await wait_for(logged, timeout=30)
    (state,) = log["states"]
    assert (state["event"], state["cell_id"], state["status"]) == ("execute", None, "ok")
    main(["--db", db, "show", f"kernel:{kernel_id}", state["id"]])
    assert "print('from a bare kernel')" in capsys.readouterr().out
    main(["--db", db, "notebooks"])
    assert f"kernel:{kernel_id}" in capsys.readouterr().out


async def test_the_server_says_what_it_records(api: Any, branch_app: Any) -> None:
    code, info = await api("info")
    assert code == 200
    sees = " ".join(info["coverage"]["sees"])
    assert "by the cell id in its request" in sees and "from each browser's reports" in sees
    assert info["coverage"]["misses"] == []


async def test_a_connection_class_set_after_ours_is_said_plainly(
    api: Any, branch_app: Any, jp_serverapp: Any
) -> None:
    from jupyter_server.services.kernels.connection.channels import (
        ZMQChannelsWebsocketConnection,
    )

    settings = jp_serverapp.web_app.settings
    settings["kernel_websocket_connection_class"] = ZMQChannelsWebsocketConnection
    branch_app.coverage = None  # as if another extension had loaded after us
    _, info = await api("info")
    (miss,) = info["coverage"]["misses"]
    assert "replaced the kernel websocket connection class" in miss
    assert "ZMQChannelsWebsocketConnection" in miss


async def test_each_state_says_who_made_it_and_through_what(
    jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Any, api: Any
) -> None:
    path = write_notebook(jp_root_dir, "who.ipynb", ["x = 1"])
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        await client.execute("y = 2", "cell-y")  # reported first, then run: a notebook
        await client.wait_idle(client.send_execute("x = 1", None))  # a script's run
        edit, ran, scripted = await wait_for(
            lambda: _states(api, path, ("edit", "execute", "execute")), timeout=30
        )
    finally:
        client.close()
    assert ran["by_client"] == "browser" and scripted["by_client"] == "kernel client"
    assert edit["by_client"] == "browser"
    # a token without a cookie is a new anonymous user per request in jupyter_server:
    # the name is there, which one depends on the request
    assert all(s["by_user"] for s in (edit, ran, scripted))


async def _states(api: Any, path: str, events: tuple[str, ...]) -> Any:
    _, tree = await api("tree", path=path)
    found = [s for s in tree["states"] if s["event"] in ("edit", "execute")]
    found = [s for s in found if s["by_client"] is not None]
    return found if tuple(s["event"] for s in found) == events else None
