"""Which notebooks a kernel runs for: its sessions, asked for as runs start, kept until they change.

The recorder records a run under the notebook whose session holds the kernel
when the request did not name one. Sessions live in the server (the
recording process asks for them), so what was found is kept until the server
says its sessions changed (``follow_sessions`` hooks the session manager's
writes), and at most ``SESSION_TTL`` seconds: a run right after its session
moved is recorded under its new notebook (a cache of two seconds put it under
the old one). A kernel no session names any more (its notebook was
just closed, an API client deleted its session right after its run) keeps the
notebooks it had when last looked up, until the recorder says it is gone.
Renames are applied to what was found for ``RENAME_MEMORY`` seconds:
JupyterLab renames the file first and updates the kernel's session a moment
later, and a run ending in between must not bring the old name back to life
as a second, separate history.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from .paths import PathOutsideRoot, RootPaths

log = logging.getLogger("jupyter_branch")

SESSION_TTL = 60.0  # a safety net: the session manager's writes say when to look again
RENAME_MEMORY = 30.0  # seconds a rename is applied to sessions that lag behind it
# the session manager's methods that change sessions (jupyter_server 2)
SESSION_WRITES = ("create_session", "save_session", "update_session", "delete_session")


def follow_sessions(session_manager: Any, changed: Callable[[], None]) -> None:
    """Call ``changed`` after each of ``session_manager``'s writes (on this instance,
    whatever its class; a method it lacks is left alone). Wrapped once."""
    if getattr(session_manager, "_jupyter_branch_follows", False):
        return
    for name in SESSION_WRITES:
        method = getattr(session_manager, name, None)
        if callable(method):
            setattr(session_manager, name, _then(method, changed))
    session_manager._jupyter_branch_follows = True


def _then(method: Callable[..., Any], changed: Callable[[], None]) -> Callable[..., Any]:
    """``method``, then ``changed`` (even if it failed: it may have changed something)."""

    def after() -> None:
        try:
            changed()
        except Exception as err:
            log.debug("jupyter-branch: could not note a session change: %s", err)

    if not inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            finally:
                after()

        return wrapper

    @functools.wraps(method)
    async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        finally:
            after()

    return async_wrapper


class KernelNotebooks:
    """The notebooks of each kernel, from the session manager, cached."""

    def __init__(self, session_manager: Any, paths: RootPaths) -> None:
        self.session_manager = session_manager
        self.paths = paths
        self._cache: dict[str, tuple[float, list[str]]] = {}
        self._prefetching: set[str] = set()
        self._gone: set[str] = set()  # kernels shut down, forgotten at the next ``prune``
        self._renames: list[tuple[float, str, str]] = []

    def note_rename(self, old: str, new: str) -> None:
        """A notebook or folder was renamed: name the new path from now on."""
        self._renames.append((time.monotonic(), old, new))
        self._cache.clear()

    def sessions_changed(self) -> None:
        """The server's sessions changed: look them up again at the next run. What was
        found is kept for a kernel no session names any more."""
        self._cache = {k: (float("-inf"), paths) for k, (_, paths) in self._cache.items()}

    def _renamed(self, path: str) -> str:
        now = time.monotonic()
        self._renames = [r for r in self._renames if now - r[0] < RENAME_MEMORY]
        for _, old, new in self._renames:
            if path == old or path.startswith(old + "/"):
                path = new + path[len(old) :]
        return path

    def prefetch(self, kernel_id: str) -> None:
        """A run is under way: look its notebook up now, while its session surely exists."""
        cached = self._cache.get(kernel_id)
        if cached and time.monotonic() - cached[0] < SESSION_TTL / 2:
            return
        if kernel_id not in self._prefetching:
            self._prefetching.add(kernel_id)
            task = asyncio.ensure_future(self.of(kernel_id))
            task.add_done_callback(lambda _task: self._prefetching.discard(kernel_id))

    async def of(self, kernel_id: str) -> list[str]:
        """Return the absolute paths of the notebooks using a kernel."""
        cached = self._cache.get(kernel_id)
        if cached and time.monotonic() - cached[0] < SESSION_TTL:
            return [self._renamed(p) for p in cached[1]]
        paths = []
        try:
            sessions = await self.session_manager.list_sessions()
        except Exception as err:
            log.warning("jupyter-branch: cannot list sessions: %s", err)
            sessions = []
        for s in sessions:
            if (s.get("kernel") or {}).get("id") != kernel_id:
                continue
            path = s.get("path") or ""
            if s.get("type") not in (None, "notebook") and not path.endswith(".ipynb"):
                continue
            try:
                paths.append(self.paths.to_abs(path))
            except PathOutsideRoot:
                continue
        if not paths and cached:
            paths = cached[1]
        self._cache[kernel_id] = (time.monotonic(), paths)
        return [self._renamed(p) for p in paths]

    def gone(self, kernel_id: str) -> None:
        """The kernel shut down: forget it at the next ``prune`` (its last runs come first)."""
        self._gone.add(kernel_id)

    def prune(self, alive: Iterable[str]) -> None:
        """Forget the kernels that went and are not ``alive`` (watched again)."""
        if self._gone:
            for kernel_id in self._gone - set(alive):
                self._cache.pop(kernel_id, None)
            self._gone.clear()
