"""History changes reach every listener through jupyter_server's event bus, at once."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.api import code, report, validating

SCHEMA = "https://events.jupyter.org/jupyter_branch/history/v1"


async def next_history_event(ws: Any, timeout: float = 20) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        while True:
            event = json.loads(await ws.read_message())
            if event.get("schema_id") == SCHEMA:
                return event

    return await asyncio.wait_for(read(), timeout)


@pytest.fixture
def rest(api: Any) -> Any:
    return validating(api)


async def test_states_head_moves_and_labels_are_announced(jp_ws_fetch, rest):
    ws = await jp_ws_fetch("api", "events", "subscribe")
    try:
        first = await report(rest, "live.ipynb", code("c1", "x = 1"))
        made = await next_history_event(ws)
        assert (made["action"], made["path"], made["state"], made["event"]) == (
            "state",
            "live.ipynb",
            first["head"],
            "edit",
        )
        await report(rest, "live.ipynb", code("c1", "x = 2"))
        assert (await next_history_event(ws))["action"] == "state"
        back = await report(rest, "live.ipynb", code("c1", "x = 1"))  # ctrl-z
        moved = await next_history_event(ws)
        assert (moved["action"], moved["state"]) == ("head", back["head"])
        assert back["head"] == first["head"]
        body = {"path": "live.ipynb", "state": first["head"], "label": "v1"}
        status, _ = await rest("labels", "label", "PUT", body)
        assert status == 200
        labelled = await next_history_event(ws)
        assert (labelled["action"], labelled["state"], labelled["label"]) == (
            "label",
            first["head"],
            "v1",
        )
        body = {"path": "live.ipynb", "state": first["head"], "label": None}
        status, _ = await rest("labels", "label", "PUT", body)
        cleared = await next_history_event(ws)
        assert (cleared["action"], cleared["label"]) == ("label", None)
    finally:
        ws.close()
