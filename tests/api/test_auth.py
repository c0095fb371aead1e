"""Every route needs Jupyter's authentication and the ``jupyter_branch`` permission.

The routes and their methods are read from ``jupyter_branch.handlers.handlers()``,
so a new route is covered without touching this file; the ``live`` websocket is
tested in test_live.py. The server is left with
``allow_unauthenticated_access`` on (Jupyter's default): what refuses a request
here is the handlers' own decorators, not a server-wide gate.
"""

from __future__ import annotations

import json
import re
from http.cookies import SimpleCookie
from typing import Any

import pytest
from tornado.web import RequestHandler
from tornado.websocket import WebSocketHandler

from jupyter_branch.handlers import handlers
from tests.api import check, store_open
from tests.conftest import wait_for

RESOURCE = "jupyter_branch"
SAMPLES = {"state": "0123abcd", "cell_id": "c1"}  # a value for each named group of a route
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NO_TOKEN = {"Authorization": ""}
XSRF = {"Cookie": "_xsrf=abc123", "X-XSRFToken": "abc123"}  # a matching pair: XSRF passes


def routes() -> list[tuple[str, str]]:
    """Return (URL path, method) for every method of every route."""
    found = []
    for pattern, handler in handlers("/"):
        if issubclass(handler, WebSocketHandler):
            continue
        url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLES[m.group(1)], pattern)
        assert re.fullmatch(pattern, url), (pattern, url)
        for method in METHODS:
            if getattr(handler, method.lower()) is not getattr(RequestHandler, method.lower()):
                found.append((url, method))
    return found


ROUTES = routes()


def test_the_routes_are_found():
    sockets = [h for _, h in handlers("/") if issubclass(h, WebSocketHandler)]
    assert len({url for url, _ in ROUTES}) == len(handlers("/")) - len(sockets) > 10
    assert ("/jupyter-branch/api/export", "POST") in ROUTES
    assert ("/jupyter-branch/api/labels", "PUT") in ROUTES
    assert ("/jupyter-branch/api/info", "POST") not in ROUTES


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    server = {**jp_server_config["ServerApp"], "allow_unauthenticated_access": True}
    return {**jp_server_config, "ServerApp": server}


async def send(jp_fetch: Any, url: str, method: str, headers: dict[str, str] | None = None):
    """Make the request; return (status, decoded JSON body or None)."""
    body = "{}" if method in ("POST", "PUT", "PATCH") else None
    parts = url.strip("/").split("/")
    r = await jp_fetch(
        *parts, method=method, body=body, headers=dict(headers or {}), raise_error=False
    )
    try:
        return r.code, json.loads(r.body)
    except ValueError:
        return r.code, None


def refused(status: int, body: Any) -> bool:
    if status not in (401, 403):
        return False
    check("error", body)
    return True


def reached(status: int, body: Any) -> bool:
    """The handler ran: a JSON answer that is not a refusal or a server error.

    (A route that does not exist answers Jupyter's HTML 404 page.)
    """
    return status not in (401, 403, 405) and status < 500 and isinstance(body, dict)


@pytest.mark.parametrize(("url", "method"), ROUTES)
async def test_no_credentials_is_refused(jp_fetch, api, url, method):
    await wait_for(lambda: store_open(api), timeout=10)
    status, body = await send(jp_fetch, url, method, {**NO_TOKEN, **XSRF})
    assert refused(status, body), (status, body)
    status, body = await send(jp_fetch, url, method, {"Authorization": "token wrong"})
    assert refused(status, body), (status, body)
    # the same request with the token reaches the handler (so the refusal was auth)
    status, body = await send(jp_fetch, url, method)
    assert reached(status, body), (status, body)


async def test_browser_cookie_needs_the_xsrf_token_for_writes(jp_fetch, api):
    await wait_for(lambda: store_open(api), timeout=10)
    r = await jp_fetch("jupyter-branch", "api", "info")  # token-authenticated: sets a cookie
    jar = SimpleCookie()
    for header in r.headers.get_list("Set-Cookie"):
        jar.load(header)
    login = "; ".join(f"{k}={m.value}" for k, m in jar.items())
    assert login, "the server set no login cookie"
    as_browser = {**NO_TOKEN, "Cookie": login}
    status, body = await send(jp_fetch, "/jupyter-branch/api/info", "GET", as_browser)
    assert status == 200 and body["ok"] is True
    doc = {"path": "x.ipynb", "cells": []}
    url = ("jupyter-branch", "api", "document")
    r = await jp_fetch(
        *url, method="POST", body=json.dumps(doc), headers=as_browser, raise_error=False
    )
    assert r.code == 403
    with_xsrf = {**as_browser, "Cookie": f"{login}; _xsrf=abc123", "X-XSRFToken": "abc123"}
    r = await jp_fetch(
        *url, method="POST", body=json.dumps(doc), headers=with_xsrf, raise_error=False
    )
    assert r.code == 200, r.body
    check("document", json.loads(r.body))


class TestAuthorization:
    """A server whose authorizer grants only what each test sets in ``permissions``."""

    @pytest.fixture
    def jp_server_auth_resources(self, jp_server_auth_core_resources):
        # what the test authorizer expects each URL's handler to ask for
        return {**jp_server_auth_core_resources, **{p: RESOURCE for p, _ in handlers("/")}}

    @pytest.fixture
    def jp_server_config(self, jp_server_config, jp_server_authorizer):
        server = {**jp_server_config["ServerApp"], "authorizer_class": jp_server_authorizer}
        return {**jp_server_config, "ServerApp": server}

    @pytest.fixture
    def grant(self, jp_server_authorizer, monkeypatch, api):
        async def set_permissions(actions: list[str], resources: list[str]) -> None:
            monkeypatch.setattr(
                jp_server_authorizer, "permissions", {"actions": ["read"], "resources": [RESOURCE]}
            )
            await wait_for(lambda: store_open(api), timeout=10)
            monkeypatch.setattr(
                jp_server_authorizer, "permissions", {"actions": actions, "resources": resources}
            )

        return set_permissions

    async def test_read_permission_allows_get_only(self, jp_fetch, grant):
        await grant(["read"], [RESOURCE])
        for url, method in ROUTES:
            status, body = await send(jp_fetch, url, method)
            if method == "GET":
                # a 500 here means the handler asked for another action or resource
                assert reached(status, body), (url, method, status, body)
            else:
                assert refused(status, body), (url, method, status, body)

    async def test_write_permission_allows_post_and_put(self, jp_fetch, grant):
        await grant(["read", "write"], [RESOURCE])
        for url, method in ROUTES:
            status, body = await send(jp_fetch, url, method)
            assert reached(status, body), (url, method, status, body)

    async def test_permissions_on_other_resources_do_not_count(
        self, jp_fetch, grant, jp_server_auth_core_resources
    ):
        others = sorted(set(jp_server_auth_core_resources.values()))
        await grant(["read", "write", "execute"], others)
        for url, method in ROUTES:
            status, body = await send(jp_fetch, url, method)
            assert refused(status, body), (url, method, status, body)
