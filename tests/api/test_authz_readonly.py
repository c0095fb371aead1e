"""A read-only user (Jupyter's Authorizer grants ``read`` on ``jupyter_branch``, not
``write``) browses a real history but cannot change it.

test_auth.py checks the decorators route by route with empty requests; here the
history is real, so "browse" means the answers a viewer needs (200, with the
states), and "cannot" means 403 and nothing changed: same states, Head, labels,
no new file. jupyter_server's ``@authorized`` asks for the action of the HTTP
method, so POST diff (a read in spirit) needs ``write`` like every POST. Pruning
(``gc``) has no REST route at all: only ``jupyter branch gc`` on the store file.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from jupyter_branch.handlers import handlers
from tests.api import check, code, markdown, store_open
from tests.conftest import wait_for

RESOURCE = "jupyter_branch"
PATH = "ro.ipynb"


@pytest.fixture
def jp_server_auth_resources(jp_server_auth_core_resources):
    return {**jp_server_auth_core_resources, **{p: RESOURCE for p, _ in handlers("/")}}


@pytest.fixture
def jp_server_config(jp_server_config, jp_server_authorizer):
    server = {**jp_server_config["ServerApp"], "authorizer_class": jp_server_authorizer}
    return {**jp_server_config, "ServerApp": server}


@pytest.fixture
def grant(jp_server_authorizer, monkeypatch):
    def set_actions(*actions: str) -> None:
        permissions = {"actions": list(actions), "resources": [RESOURCE]}
        monkeypatch.setattr(jp_server_authorizer, "permissions", permissions)

    return set_actions


async def make_history(api: Any, grant: Any) -> dict[str, Any]:
    """Two edit states of ro.ipynb, the first labelled, made with read and write."""
    grant("read", "write")
    await wait_for(lambda: store_open(api), timeout=10)
    made = []
    for source in ("x = 1", "x = 2"):
        status, body = await api(
            "document", "POST", {"path": PATH, "cells": [code("c1", source), markdown("m", "# T")]}
        )
        assert status == 200 and body["created"]
        made.append(body["head"])
    status, _ = await api("labels", "PUT", {"path": PATH, "state": made[0], "label": "first"})
    assert status == 200
    return {"a": made[0], "b": made[1]}


async def test_read_only_user_browses_the_history(api, grant):
    history = await make_history(api, grant)
    grant("read")
    a, b = history["a"], history["b"]
    status, tree = await api("tree", path=PATH)
    assert status == 200 and tree["head"] == b
    assert [s["id"] for s in check("tree", tree)["states"]] == [a, b]
    status, detail = await api(f"states/{a}", path=PATH)
    assert status == 200 and check("state_detail", detail)["cells"][0]["source"] == "x = 1"
    status, versions = await api("cells/c1", path=PATH)
    assert status == 200 and len(check("cell_history", versions)["versions"]) == 2
    status, found = await api("search", path=PATH, q="x")
    assert status == 200 and check("search", found)["matches"]
    status, nb = await api("export", path=PATH, state=a)
    assert status == 200 and "".join(check("export_notebook", nb)["cells"][0]["source"]) == "x = 1"
    status, diff = await api("diff", path=PATH, a=a, b=b)
    assert status == 200 and check("diff", diff)["cells"][0]["change"] == "modified"
    status, listed = await api("notebooks")
    assert status == 200 and [n["path"] for n in listed["notebooks"]] == [PATH]
    status, info = await api("info")
    assert status == 200 and info["ok"]


async def test_read_only_user_cannot_change_anything(api, grant, jp_root_dir):
    history = await make_history(api, grant)
    a, b = history["a"], history["b"]
    grant("read")
    _, before = await api("tree", path=PATH)
    files_before = sorted(os.listdir(jp_root_dir))
    cells = [code("c1", "x = 3")]
    refused = {
        "restore": await api("restore", "POST", {"path": PATH, "state": a}),
        "restore a cell": await api("restore", "POST", {"path": PATH, "state": a, "cell_id": "c1"}),
        "label": await api("labels", "PUT", {"path": PATH, "state": b, "label": "mine"}),
        "clear a label": await api("labels", "PUT", {"path": PATH, "state": a, "label": None}),
        "export to a file": await api("export", "POST", {"path": PATH, "state": a}),
        "report the document": await api("document", "POST", {"path": PATH, "cells": cells}),
        "diff the document (a POST)": await api(
            "diff", "POST", {"path": PATH, "a": a, "cells": cells}
        ),
    }
    for what, (status, body) in refused.items():
        assert status == 403, (what, status, body)
        assert isinstance(check("error", body)["message"], str)
    _, after = await api("tree", path=PATH)
    assert after == before, "a refused request changed the history"
    assert [s["label"] for s in after["states"]] == ["first", None]
    assert sorted(os.listdir(jp_root_dir)) == files_before, "a refused export wrote a file"
    grant("read", "write")  # the same requests go through with write: the 403s were authz
    status, _ = await api("labels", "PUT", {"path": PATH, "state": b, "label": "mine"})
    assert status == 200


def test_gc_has_no_rest_route():
    """Pruning is only ``jupyter branch gc`` (the CLI, on the 0600 store file)."""
    routes = [pattern for pattern, _ in handlers("/")]
    assert not [r for r in routes if "gc" in r.split("/") or "prune" in r]
    for _, handler in handlers("/"):
        assert "delete" not in vars(handler), f"{handler.__name__} answers DELETE"
    assert json.dumps(routes)  # the routes are what test_auth.py and check_auth.py cover
