"""Shared fixtures: a Jupyter server with jupyter-branch enabled, on a temp root and data dir."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

pytest_plugins = ("pytest_jupyter.jupyter_server",)


@pytest.fixture
def jp_server_config(jp_server_config: dict[str, Any]) -> dict[str, Any]:
    config = dict(jp_server_config)
    config["ServerApp"] = {
        **config.get("ServerApp", {}),
        "jpserver_extensions": {"jupyter_branch": True},
    }
    config["BranchApp"] = {"progress_interval": 0.5}
    return config


@pytest.fixture
def branch_app(jp_serverapp: Any) -> Any:
    """The running jupyter-branch extension."""
    return jp_serverapp.extension_manager.extension_points["jupyter_branch"].app


@pytest.fixture
def api(jp_fetch: Callable[..., Any]) -> Callable[..., Any]:
    """Call /jupyter-branch/api/...; return (status, decoded JSON) without raising on 4xx/5xx."""

    async def call(endpoint: str, method: str = "GET", body: Any = None, **params: Any) -> Any:
        kwargs: dict[str, Any] = {"method": method, "raise_error": False}
        if params:
            kwargs["params"] = params
        if body is not None:
            kwargs["body"] = json.dumps(body)
        elif method in ("POST", "PUT"):
            kwargs["body"] = "{}"
        response = await jp_fetch("jupyter-branch", "api", *endpoint.split("/"), **kwargs)
        text = response.body.decode() if response.body else ""
        return response.code, (json.loads(text) if text else None)

    return call


async def wait_for(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1) -> Any:
    """Await ``check()`` (sync or async) until it returns something truthy; fail on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s (last value: {last!r})")


@pytest.fixture(scope="session")
def postgres() -> Any:
    """A real PostgreSQL server for the session (tests/postgres.py)."""
    from tests.postgres import PostgresCluster

    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
