"""Property tests (hypothesis) of bad input: output replay, the store, the REST API.

``twins`` turns one property into the quick test every run has and its
``slow`` twin with ten times the examples. The inputs are in ``strategies``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings

THOROUGH = 10  # how many more examples the slow twins (and the thorough profile) try
SCALE = THOROUGH if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 1


def twins(examples: int, **strategies: Any) -> Callable[[Callable[..., Any]], Any]:
    """Return a decorator making ``(test, test_thorough)`` of a property.

    ``test`` tries ``examples`` inputs (times ten under the thorough profile);
    ``test_thorough`` is marked ``slow`` and tries ten times as many.
    """

    def make(check: Callable[..., Any]) -> tuple[Any, Any]:
        quick = settings(max_examples=examples * SCALE)(given(**strategies)(check))
        thorough = settings(max_examples=examples * THOROUGH)(given(**strategies)(check))
        return quick, pytest.mark.slow(thorough)

    return make
