"""Hypothesis profiles of the fuzz tests: ``default`` (quick, for every run) and ``thorough``.

Choose one with ``HYPOTHESIS_PROFILE=thorough``. Each property also has a
``*_thorough`` twin marked ``slow`` (ten times the examples), so
``pytest -m slow tests/fuzz`` runs the long version without any setting.
No deadline: the store and server properties do real I/O, whose time varies.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

_COMMON = dict(
    deadline=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the server fixtures are reused across examples
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
settings.register_profile("default", **_COMMON)
settings.register_profile("thorough", **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the ``slow`` twins here unless ``-m`` names ``slow``: pyproject runs every
    marker by default, and these are the ten-times-longer runs of the same properties."""
    if "slow" in (config.getoption("markexpr") or ""):
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="the thorough twin: run with -m slow")
    for item in items:
        if item.get_closest_marker("slow") and here in Path(item.path).parents:
            item.add_marker(skip)
