"""What one commit's changes announce on the event bus (``app.announced``)."""

from __future__ import annotations

from jupyter_branch.app import announced


def change(action: str, path: str, state: str, **more: object) -> dict[str, object]:
    return {"action": action, "abs_path": path, "state": state, "event": None, **more}


def test_a_burst_of_runs_in_one_commit_is_announced_once_per_notebook():
    """Every label is told; of a notebook's new states and Head moves only the last,
    where Head is now (a panel fetches the states before it)."""
    changes = [
        change("state", "/a.ipynb", "a1"),
        change("state", "/b.ipynb", "b1"),
        change("label", "/a.ipynb", "a0", label="baseline"),
        change("state", "/a.ipynb", "a2"),
        change("head", "/a.ipynb", "a1"),
    ]
    said = announced(changes)
    assert [(c["action"], c["abs_path"], c["state"]) for c in said] == [
        ("label", "/a.ipynb", "a0"),
        ("state", "/b.ipynb", "b1"),
        ("head", "/a.ipynb", "a1"),
    ]
    assert said[0]["label"] == "baseline"


def test_a_single_change_is_announced_as_it_is():
    one = [change("state", "/a.ipynb", "a1")]
    assert announced(one) == one
    assert announced([]) == []
