"""History changes reach the open panels at once, on the ``live`` websocket (``live.py``),
and only a user who may read history can open it."""

from __future__ import annotations

import asyncio
import json
from http.cookies import SimpleCookie
from typing import Any, ClassVar

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError

from tests.api import check, code, report, store_open, validating
from tests.conftest import wait_for

LIVE = ("jupyter-branch", "api", "live")
RESOURCE = "jupyter_branch"


async def next_message(ws: Any, timeout: float = 20) -> dict[str, Any]:
    text = await asyncio.wait_for(ws.read_message(), timeout)
    assert text is not None, "the server closed the live socket"
    message: dict[str, Any] = check("live_change", json.loads(text))
    return message


@pytest.fixture
def rest(api: Any) -> Any:
    return validating(api)


async def test_states_head_moves_and_labels_are_told(jp_ws_fetch, rest):
    ws = await jp_ws_fetch(*LIVE)
    try:
        first = await report(rest, "live.ipynb", code("c1", "x = 1"))
        made = await next_message(ws)
        assert made == {
            "action": "state",
            "path": "live.ipynb",
            "state": first["head"],
            "event": "edit",
        }
        await report(rest, "live.ipynb", code("c1", "x = 2"))
        assert (await next_message(ws))["action"] == "state"
        back = await report(rest, "live.ipynb", code("c1", "x = 1"))  # ctrl-z
        moved = await next_message(ws)
        assert (moved["action"], moved["state"]) == ("head", back["head"])
        assert back["head"] == first["head"]
        body = {"path": "live.ipynb", "state": first["head"], "label": "v1"}
        status, _ = await rest("labels", "label", "PUT", body)
        assert status == 200
        labelled = await next_message(ws)
        assert (labelled["action"], labelled["state"], labelled["label"]) == (
            "label",
            first["head"],
            "v1",
        )
        body = {"path": "live.ipynb", "state": first["head"], "label": None}
        status, _ = await rest("labels", "label", "PUT", body)
        cleared = await next_message(ws)
        assert (cleared["action"], cleared["label"]) == ("label", None)
    finally:
        ws.close()


async def test_every_open_socket_is_told_and_a_closed_one_is_let_go(
    jp_ws_fetch, rest, jp_serverapp
):
    one, two = await jp_ws_fetch(*LIVE), await jp_ws_fetch(*LIVE)
    made = await report(rest, "two.ipynb", code("c1", "y = 1"))
    for ws in (one, two):
        assert (await next_message(ws))["state"] == made["head"]
    two.close()
    branch = jp_serverapp.extension_manager.extension_apps["jupyter_branch"].pop()
    await wait_for(lambda: len(branch.watchers) == 1, timeout=10)
    again = await report(rest, "two.ipynb", code("c1", "y = 2"))
    assert (await next_message(one))["state"] == again["head"]
    one.close()
    await wait_for(lambda: len(branch.watchers) == 0, timeout=10)


async def refused(connecting: Any) -> int:
    with pytest.raises(HTTPClientError) as err:
        ws = await connecting
        ws.close()
    return err.value.code


async def test_no_token_or_a_wrong_one_is_refused(jp_ws_fetch, api):
    await wait_for(lambda: store_open(api), timeout=10)
    assert await refused(jp_ws_fetch(*LIVE, headers={"Authorization": ""})) == 403
    assert await refused(jp_ws_fetch(*LIVE, headers={"Authorization": "token wrong"})) == 403
    (await jp_ws_fetch(*LIVE)).close()  # the same with the token: so those were refusals


async def test_a_page_of_another_origin_is_refused_with_the_login_cookie(jp_fetch, jp_ws_fetch):
    """A browser sends its login cookie to any page's websocket: the origin decides."""
    r = await jp_fetch("jupyter-branch", "api", "info")  # token-authenticated: sets a cookie
    jar = SimpleCookie()
    for header in r.headers.get_list("Set-Cookie"):
        jar.load(header)
    login = "; ".join(f"{k}={m.value}" for k, m in jar.items())
    assert login, "the server set no login cookie"
    host = r.effective_url.split("/")[2]  # the cookie's name is the host's
    as_browser = {"Authorization": "", "Cookie": login, "Host": host}
    elsewhere = {**as_browser, "Origin": "http://elsewhere.example"}
    assert await refused(jp_ws_fetch(*LIVE, headers=elsewhere)) == 403
    (await jp_ws_fetch(*LIVE, headers={**as_browser, "Origin": f"http://{host}"})).close()


class Grants(Authorizer):
    """Grants exactly the (action, resource) pairs of ``granted``."""

    granted: ClassVar[set[tuple[str, str]]] = set()

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return (action, resource) in self.granted


class TestAuthorization:
    """The socket needs ``read`` on ``jupyter_branch``, as the REST API's reads: a user
    who may only read history sees it change live too."""

    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        server = {**jp_server_config["ServerApp"], "authorizer_class": Grants}
        return {**jp_server_config, "ServerApp": server}

    async def test_read_permission_is_needed(self, jp_ws_fetch, monkeypatch):
        others = {(a, r) for a in ("read", "write", "execute") for r in ("kernels", "events")}
        monkeypatch.setattr(Grants, "granted", others)
        assert await refused(jp_ws_fetch(*LIVE)) == 403
        monkeypatch.setattr(Grants, "granted", {("read", RESOURCE)})
        (await jp_ws_fetch(*LIVE)).close()
