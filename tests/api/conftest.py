"""The REST API tests run on each backend: the embedded SQLite, and a real PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: Any) -> str:
    return str(request.param)


@pytest.fixture
def jp_server_config(
    jp_server_config: dict[str, Any], backend: str, request: Any
) -> dict[str, Any]:
    config = dict(jp_server_config)
    if backend == "postgresql":
        url = request.getfixturevalue("postgres").new_database()
        config["BranchApp"] = {**config.get("BranchApp", {}), "db_url": url}
    return config
