"""The server extension's settings refuse what they cannot honour, instead of clamping it."""

from __future__ import annotations

import pytest
from traitlets import TraitError

from jupyter_branch.app import BranchApp


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("progress_interval", 5.0),  # SPEC: a crash loses at most 2 s
        ("progress_interval", 0.0),
        ("max_output_bytes", 10),
        ("max_backlog", 0),
    ],
)
def test_a_setting_out_of_range_is_refused(name, value):
    with pytest.raises(TraitError):
        BranchApp(**{name: value})


def test_settings_in_range_are_kept_as_given():
    app = BranchApp(progress_interval=2.0, max_output_bytes=1000, max_backlog=1)
    assert (app.progress_interval, app.max_output_bytes, app.max_backlog) == (2.0, 1000, 1)
