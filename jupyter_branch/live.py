"""Telling open history panels what changed: the ``live`` websocket and who is on it.

A history panel opens ``/jupyter-branch/api/live`` while it is visible, and
refreshes when a message says its notebook's history changed (a new state, a
Head move, a label). The server sends a commit's changes only to the sockets
open then (``Watchers``): with no panel open anywhere, announcing costs nothing.

Until December 2026 the changes went to jupyter_server's event bus instead,
which validates each event twice (jsonschema) and sends it to every JupyterLab
tab, since each tab subscribes to the whole bus: 0.55 to 0.6 ms of the server's
event loop a commit, once a second while cells run, with or without a panel.
The message format is in docs/rest-api.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from .handlers import AUTH_RESOURCE


def announced(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changes one commit made, as they are announced: every label change, and for
    each notebook only its last new state or Head move, which says where Head is now.

    A panel told of it fetches every state since the last it has, so the states
    before it in the same commit (a burst of runs is one commit) need no message of
    their own.
    """
    last: dict[str, dict[str, Any]] = {}
    labels = []
    for change in changes:
        if change["action"] == "label":
            labels.append(change)
        else:
            last.pop(change["abs_path"], None)  # keep the notebooks in the order they changed
            last[change["abs_path"]] = change
    return labels + list(last.values())


def messages(changes: list[dict[str, Any]], to_api: Callable[[str], str | None]) -> list[str]:
    """The JSON messages of a commit's changes: each with the notebook's API path
    (``to_api``; a notebook outside the server's root is left out: no panel here shows
    it), ``action`` and ``state``, what made a new state (``event``) and a label's text."""
    out = []
    for change in announced(changes):
        path = to_api(change["abs_path"])
        if path is None:
            continue
        data = {"action": change["action"], "path": path, "state": change["state"]}
        if change.get("event"):
            data["event"] = change["event"]
        if change["action"] == "label":  # panels show it without asking again
            data["label"] = change.get("label")
        out.append(json.dumps(data))
    return out


class Watchers:
    """The live sockets open now; ``announce`` sends them what a commit changed."""

    def __init__(self) -> None:
        self._sockets: set[LiveHandler] = set()

    def __len__(self) -> int:
        return len(self._sockets)

    def add(self, socket: LiveHandler) -> None:
        self._sockets.add(socket)

    def discard(self, socket: LiveHandler) -> None:
        self._sockets.discard(socket)

    def announce(self, changes: list[dict[str, Any]], to_api: Callable[[str], str | None]) -> int:
        """Send the changes to every open socket (nothing is built when none is open);
        a socket found closed is forgotten. Returns how many messages each was sent."""
        if not self._sockets:
            return 0
        texts = messages(changes, to_api)
        for socket in list(self._sockets):
            try:
                for text in texts:
                    socket.write_message(text)
            except WebSocketClosedError:  # gone without a close we saw
                self._sockets.discard(socket)
        return len(texts)


class LiveHandler(ExtensionHandlerMixin, WebSocketMixin, WebSocketHandler, JupyterHandler):
    """``GET /jupyter-branch/api/live``: a websocket on which the server says what changed.

    Authenticated and authorized as the REST API's reads (``read`` on
    ``jupyter_branch``); the origin is checked as for the kernels' sockets, and
    pings keep it open through proxies. Nothing the client sends is read.
    """

    auth_resource = AUTH_RESOURCE

    def set_default_headers(self) -> None:
        """No HTTP headers of JupyterHandler's: they make no sense on a websocket."""

    async def pre_get(self) -> None:
        authorized = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "read", AUTH_RESOURCE)
        )
        if not authorized:
            raise web.HTTPError(403)

    @ws_authenticated
    async def get(self, *args: Any, **kwargs: Any) -> None:
        await self.pre_get()
        await super().get(*args, **kwargs)

    @property
    def watchers(self) -> Watchers:
        watchers: Watchers = self.extensionapp.watchers  # type: ignore[attr-defined]
        return watchers

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)  # the pings
        self.watchers.add(self)

    def on_message(self, message: str | bytes) -> None:
        """Panels only listen."""

    def on_close(self) -> None:
        self.watchers.discard(self)
