"""Edits from the server's own copy of a notebook (jupyter-collaboration, jupyter-server-documents).

When the server holds a notebook as a Y document, every collaborator's and
every server-side writer's (an agent's) edits reach it, with or without a
browser open: that copy is the source of edit states. Both extensions announce
their rooms with the same collaboration session events (a room is initialized,
loaded, saved, cleaned). For each notebook room this attaches an observer to
the document's cell list (never replacing the room's own observers) and, after
a pause in changes (``debounce``, at most ``max_delay`` after the first one),
reports the cells (ids, types, sources) to the writer as a browser's report
would be. A report for a held notebook from a browser (after an undo, before
a run or a save) only says "now": the server reads its own copy then, waiting
a moment for the browser's last change to arrive, so two sources never make
two states of one edit. Everything here runs on the event loop; reading a
document's cells is cheap (no outputs are read).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("jupyter_branch")

COLLAB_EVENTS = "https://schema.jupyter.org/jupyter_collaboration/session/v1"
NOTEBOOK_ROOM = "json:notebook:"
CATCH_UP = 0.5  # seconds a browser's report waits for the server copy to show its change


def document_cells(doc: Any) -> list[dict[str, str]]:
    """Return a Y notebook's cells as reported: id, type and source (no outputs)."""
    cells = []
    for ycell in doc.ycells:
        source = ycell.get("source")
        cells.append(
            {
                "id": str(ycell.get("id") or ""),
                "cell_type": str(ycell.get("cell_type") or "code"),
                "source": str(source) if source is not None else "",
            }
        )
    return cells


@dataclass
class _Held:
    """One notebook the server holds: its document and what is pending."""

    room_id: str
    abs_path: str
    doc: Any
    subscription: Any = None
    timer: asyncio.TimerHandle | None = None
    dirty_since: float | None = None
    reported: list[dict[str, str]] | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class ServerDocuments:
    """Follows the server's notebook documents and reports their edits.

    ``report(abs_path, cells)`` queues a document report on the writer and
    returns its future; ``to_abs`` turns an API path into the notebook's
    absolute path (raising ValueError outside the root).
    """

    def __init__(
        self,
        settings: dict[str, Any],
        to_abs: Callable[[str], str],
        report: Callable[..., Future[Any]],
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        debounce: float = 1.0,
        max_delay: float = 5.0,
    ) -> None:
        self.loop = loop
        self.settings = settings
        self.to_abs = to_abs
        self.report = report
        self.debounce = debounce
        self.max_delay = max_delay
        self.held: dict[str, _Held] = {}  # by room id
        self.by_path: dict[str, _Held] = {}

    @property
    def provider(self) -> str | None:
        """Which extension holds documents on this server, if any."""
        if self.settings.get("yroom_manager") is not None:  # it also fills the next key
            return "jupyter-server-documents"
        if self.settings.get("jupyter_server_ydoc") is not None:
            return "jupyter-collaboration"
        return None

    def holds(self, abs_path: str) -> bool:
        return abs_path in self.by_path

    # -- rooms ---------------------------------------------------------------------

    async def on_event(
        self, logger: Any = None, schema_id: str = "", data: dict[str, Any] | None = None
    ) -> None:
        """Listener of the collaboration session events (both extensions emit them)."""
        data = data or {}
        room, action = data.get("room"), data.get("action")
        if not isinstance(room, str) or not room.startswith(NOTEBOOK_ROOM):
            return
        try:
            if action in ("initialize", "load") and room not in self.held:
                await self.attach(room, str(data.get("path") or ""))
            elif action == "clean":
                self.detach(room)
            elif action == "overwrite" and room in self.held:
                self._changed(self.held[room])
        except Exception as err:  # a listener must never disturb the room
            log.warning("jupyter-branch: could not follow the document %s: %s", room, err)

    async def _document(self, room_id: str) -> Any:
        manager = self.settings.get("yroom_manager")
        if manager is not None:
            room = manager.get_room(room_id)
            return None if room is None else await room.get_jupyter_ydoc()
        ydoc_ext = self.settings.get("jupyter_server_ydoc")
        if ydoc_ext is not None:
            return await ydoc_ext.get_document(room_id=room_id, copy=False)
        return None

    async def attach(self, room_id: str, api_path: str) -> None:
        """Follow a notebook room's document; report its cells as they are now."""
        doc = await self._document(room_id)
        if doc is None or not hasattr(doc, "ycells") or room_id in self.held:
            return
        try:
            abs_path = self.to_abs(api_path)
        except ValueError:
            return
        held = _Held(room_id, abs_path, doc)
        self.loop = self.loop or asyncio.get_running_loop()
        held.subscription = doc.ycells.observe_deep(lambda _events: self._observed(held))
        self.held[room_id] = held
        self.by_path[abs_path] = held
        self._changed(held)

    def detach(self, room_id: str) -> None:
        held = self.held.pop(room_id, None)
        if held is None:
            return
        self.flush(held)
        self.by_path.pop(held.abs_path, None)
        if held.timer is not None:
            held.timer.cancel()
        with contextlib.suppress(Exception):
            held.doc.ycells.unobserve(held.subscription)

    def renamed(self, old: str, new: str) -> None:
        """A notebook or folder was renamed: the held documents follow."""
        for path in [p for p in self.by_path if p == old or p.startswith(old + "/")]:
            held = self.by_path.pop(path)
            held.abs_path = new + path[len(old) :]
            self.by_path[held.abs_path] = held

    def stop(self) -> None:
        for room_id in list(self.held):
            self.detach(room_id)

    # -- reporting -----------------------------------------------------------------

    def _observed(self, held: _Held) -> None:
        """The document's observer: called inside its transaction, so only schedule."""
        with contextlib.suppress(Exception):  # never raise into the room's transaction
            assert self.loop is not None
            self.loop.call_soon_threadsafe(self._changed, held)

    def _changed(self, held: _Held) -> None:
        now = time.monotonic()
        held.changed.set()
        if held.dirty_since is None:
            held.dirty_since = now
        if held.timer is not None:
            held.timer.cancel()
        delay = min(self.debounce, held.dirty_since + self.max_delay - now)
        assert self.loop is not None
        held.timer = self.loop.call_later(max(0.0, delay), self.flush, held)

    def flush(self, held: _Held) -> Future[Any] | None:
        """Report the document's cells now if they changed since the last report."""
        if held.timer is not None:
            held.timer.cancel()
            held.timer = None
        held.dirty_since = None
        cells = document_cells(held.doc)
        if cells == held.reported:
            return None
        held.reported = cells
        try:
            return self.report(held.abs_path, cells, None, "document")
        except Exception as err:
            log.warning("jupyter-branch: could not record an edit of %s: %s", held.abs_path, err)
            return None

    def flush_pending(self, abs_path: str | None = None) -> None:
        """Report what changed, now (before a run or a save): of one notebook, or all."""
        for held in list(self.held.values()):
            if held.dirty_since is not None and abs_path in (None, held.abs_path):
                self.flush(held)

    async def report_now(self, abs_path: str, expected: list[dict[str, str]]) -> Any:
        """A browser reported ``expected`` for a held notebook: record the server's copy.

        The browser's last change may still be on its way to the server: wait
        (at most ``CATCH_UP`` seconds) until the copy shows it, then report
        what the copy holds. Returns the writer's answer.
        """
        held = self.by_path[abs_path]
        deadline = time.monotonic() + CATCH_UP
        while document_cells(held.doc) != expected:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            held.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(held.changed.wait(), left)
        future = self.flush(held) or self.report(
            abs_path, document_cells(held.doc), None, "document"
        )
        return await asyncio.wrap_future(future)
