"""Helpers of the REST API tests: the wire schema, and building history through the API."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import nbformat
from jsonschema import Draft202012Validator, FormatChecker

from tests.conftest import wait_for
from tests.kernel_client import LabLikeClient

# Read from the installed package, where clients find it too.
SCHEMA = json.loads(files("jupyter_branch").joinpath("rest-api.schema.json").read_text())
Draft202012Validator.check_schema(SCHEMA)


# The request body of each endpoint that takes one.
REQUESTS = {
    ("document", "POST"): "document_request",
    ("restore", "POST"): "restore_request",
    ("labels", "PUT"): "label_request",
    ("export", "POST"): "export_request",
    ("diff", "POST"): "diff_request",
}


def validator(shape: str) -> Draft202012Validator:
    assert shape in SCHEMA["$defs"], f"no $defs/{shape} in the schema"
    schema = {**SCHEMA, "$ref": f"#/$defs/{shape}"}
    return Draft202012Validator(schema, format_checker=FormatChecker())


def check(shape: str, body: Any) -> Any:
    """Validate ``body`` against ``$defs[shape]`` of the schema; return it."""
    validator(shape).validate(body)
    return body


def request_errors(endpoint: str, method: str, body: Any) -> list[str]:
    """What the schema finds wrong in a request body for ``method endpoint`` (none: valid)."""
    shape = REQUESTS[(endpoint, method)]
    return [e.message for e in validator(shape).iter_errors(body)]


async def store_open(api: Any) -> bool:
    status, info = await api("info")
    return status == 200 and info["ok"]


def validating(api: Any) -> Any:
    """Wrap the ``api`` fixture: check the request body against its ``$defs/<x>_request``
    (``valid_request=False``: a test sends one the schema refuses on purpose; ``None``:
    a body whose fault the schema cannot see, such as a path outside the root), the answer
    against ``$defs[shape]`` on success, ``$defs/error`` on 4xx/5xx; wait for the store
    (reads answer 503 while it opens)."""
    opened = []

    async def call(
        endpoint: str,
        shape: str,
        method: str = "GET",
        body: Any = None,
        valid_request: bool | None = True,
        **params: Any,
    ) -> Any:
        if body is not None and valid_request is not None:
            errors = request_errors(endpoint, method, body)
            assert not errors if valid_request else errors, (body, errors)
        if not opened:
            await wait_for(lambda: store_open(api), timeout=10)
            opened.append(True)
        status, data = await api(endpoint, method, body, **params)
        check("error" if status >= 400 else shape, data)
        return status, data

    return call


def code(cell_id: str, source: str) -> dict[str, str]:
    return {"id": cell_id, "cell_type": "code", "source": source}


def markdown(cell_id: str, source: str) -> dict[str, str]:
    return {"id": cell_id, "cell_type": "markdown", "source": source}


def write_file(root: Path, name: str, cells: list[dict[str, str]]) -> str:
    """Write a notebook with these cells (ids kept) under ``root``; return its API path."""
    nb = nbformat.v4.new_notebook()
    for c in cells:
        v4 = nbformat.v4
        make = v4.new_code_cell if c["cell_type"] == "code" else v4.new_markdown_cell
        nb.cells.append(make(c["source"], id=c["id"]))
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(root / name))
    return name


async def report(rest: Any, path: str, *cells: dict[str, str]) -> dict[str, Any]:
    status, body = await rest("document", "document", "POST", {"path": path, "cells": list(cells)})
    assert status == 200, body
    return body


async def tree(rest: Any, path: str, **params: Any) -> dict[str, Any]:
    status, body = await rest("tree", "tree", path=path, **params)
    assert status == 200, body
    return body


async def state(rest: Any, path: str, ref: str) -> dict[str, Any]:
    status, body = await rest(f"states/{ref}", "state_detail", path=path)
    assert status == 200, body
    return body


def plain(cell: dict[str, Any]) -> str:
    """The text/plain of a cell's execute_result."""
    return "".join("".join(o["data"]["text/plain"]) for o in cell["outputs"] if "data" in o)


async def run_cells(rest: Any, jp_fetch: Any, jp_ws_fetch: Any, root: Path) -> dict[str, Any]:
    """Run ``x = 1`` then ``x = 2`` in cell c1 of work/run.ipynb, editing m1 in between.

    Returns the path and the two execute states (e1, e2); e2 is head.
    """
    first = [code("c1", "x = 1\nx"), markdown("m1", "# Title"), code("k1", "y = 0")]
    path = write_file(root, "work/run.ipynb", first)
    await report(rest, path, *first)
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()

    async def executes(n: int) -> Any:
        states = (await tree(rest, path))["states"]
        done = [s for s in states if s["event"] == "execute"]
        return done if len(done) >= n else None

    try:
        await client.execute("x = 1\nx", cell_id="c1")
        await wait_for(lambda: executes(1), timeout=30)
        client.edit("m1", "# Title v2")  # reported with the run, as JupyterLab does
        await client.execute("x = 2\nx", cell_id="c1")
        e1, e2 = await wait_for(lambda: executes(2), timeout=30)
    finally:
        client.close()
    return {"path": path, "e1": e1["id"], "e2": e2["id"]}
