"""What one commit's changes tell the open history panels (``live.py``)."""

from __future__ import annotations

import json

from tornado.websocket import WebSocketClosedError

from jupyter_branch.live import Watchers, announced, messages


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


def to_api(abs_path: str) -> str | None:
    """The server root is /root: a path outside it has no API path."""
    return abs_path.removeprefix("/root/") if abs_path.startswith("/root/") else None


def test_messages_name_notebooks_by_api_path_and_leave_out_those_outside_the_root():
    changes = [
        change("state", "/root/dir/a.ipynb", "a1", event="execute"),
        change("state", "/elsewhere/b.ipynb", "b1", event="edit"),
        change("label", "/root/dir/a.ipynb", "a0", label=None),
    ]
    said = [json.loads(text) for text in messages(changes, to_api)]
    assert said == [
        {"action": "label", "path": "dir/a.ipynb", "state": "a0", "label": None},
        {"action": "state", "path": "dir/a.ipynb", "state": "a1", "event": "execute"},
    ]


class Socket:
    """Stands in for a LiveHandler: keeps what it is sent, or is found closed."""

    def __init__(self, closed: bool = False) -> None:
        self.closed = closed
        self.sent: list[str] = []

    def write_message(self, text: str) -> None:
        if self.closed:
            raise WebSocketClosedError()
        self.sent.append(text)


def test_with_no_socket_open_nothing_is_built():
    asked: list[str] = []

    def counting(abs_path: str) -> str | None:
        asked.append(abs_path)
        return to_api(abs_path)

    watchers = Watchers()
    assert watchers.announce([change("state", "/root/a.ipynb", "a1")], counting) == 0
    assert asked == []


def test_every_open_socket_is_told_and_a_closed_one_is_forgotten():
    watchers = Watchers()
    open_, closed = Socket(), Socket(closed=True)
    watchers.add(open_)  # type: ignore[arg-type]
    watchers.add(closed)  # type: ignore[arg-type]
    changes = [change("state", "/root/a.ipynb", "a1"), change("state", "/root/b.ipynb", "b1")]
    assert watchers.announce(changes, to_api) == 2
    assert [json.loads(t)["path"] for t in open_.sent] == ["a.ipynb", "b.ipynb"]
    assert len(watchers) == 1
    watchers.announce(changes, to_api)
    assert len(open_.sent) == 4
