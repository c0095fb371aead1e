"""Seeing the browser's execute_requests: a wrapper of the kernel websocket connection.

iopub does not carry the cell id; the ``execute_request`` does, in
``metadata.cellId`` (and ``metadata.deletedCells``). ``wrap_connection_class``
subclasses whatever kernel websocket connection class the server uses, hands
the recorder each incoming frame that may be an execute request, unread (the
recorder reads it, in the recording process by default: execute_request.py),
and passes every message on untouched. It also makes sure the recorder watches
the kernel before the browser's channels open, and holds an execute request (in
order) for the few milliseconds our subscription needs to join after a kernel
starts or restarts (that one is read here, to know it is one). Failures are
ignored: the kernel must get its message whatever we think of it.
Nothing is assumed of the wrapped class: a method it lacks is not added, and
each wrapped method passes its arguments on as it got them.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import TYPE_CHECKING, Any

from tornado.web import Finish

from .execute_request import may_be_execute_request, read_noted
from .server_execution import user_name

if TYPE_CHECKING:
    from .recorder import Recorder
    from .remote import RecorderLink

log = logging.getLogger("jupyter_branch")

HOLD_AT_MOST = 5.0  # seconds an execute request may wait for our subscription to join
_UNREAD = object()  # a connection's user, not read yet


def _first_arg(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if args:
        return args[0]
    return next(iter(kwargs.values()), None)


def wrap_connection_class(base: type, recorder: Recorder | RecorderLink) -> type:
    """Return a subclass of ``base`` that reports execute_requests to ``recorder``.

    Only methods ``base`` has are wrapped, and each passes whatever it is given
    on to ``base``'s own, whatever its signature: a class without ``prepare``
    (jupyter-server-documents) stays without one.
    """
    overrides: dict[str, Any] = {"_jupyter_branch_wraps": base, "_held": None, "_user": _UNREAD}

    def watch(self: Any) -> None:
        try:
            recorder.ensure_watched(self.kernel_id)
        except Exception as err:
            log.debug("jupyter-branch: could not watch kernel: %s", err)

    if callable(getattr(base, "prepare", None)):

        async def prepare(self: Any, *args: Any, **kwargs: Any) -> Any:
            watch(self)  # before the browser's channels open
            result = base.prepare(self, *args, **kwargs)  # type: ignore[attr-defined]
            if inspect.isawaitable(result):
                result = await result
            handler = getattr(self, "websocket_handler", None)
            if handler is not None and getattr(handler, "connection", self) is not self:
                # The browser left while this waited for the kernel (a tab closed or
                # reloaded as its kernel started): the socket's on_close dropped this
                # connection, and jupyter_server would answer the dead request with a
                # 500 from select_subprotocol. There is nobody to answer: end quietly.
                raise Finish()
            return result

        overrides["prepare"] = prepare

    if callable(getattr(base, "connect", None)):

        def connect(self: Any, *args: Any, **kwargs: Any) -> Any:
            watch(self)
            return base.connect(self, *args, **kwargs)  # type: ignore[attr-defined]

        overrides["connect"] = connect

    if callable(getattr(base, "handle_incoming_message", None)):

        def user(self: Any) -> str | None:
            """The websocket's user, read once: it is the same for the connection's life."""
            name = self._user
            if name is _UNREAD:
                handler = getattr(self, "websocket_handler", None)
                name = user_name(handler)
                if handler is not None:
                    self._user = name
            return name  # type: ignore[no-any-return]

        def note(self: Any, message: Any, kernel_id: str) -> None:
            """Hand ``message`` to the recorder, unread, if it may be an execute request."""
            try:
                frame = may_be_execute_request(message)
                if frame is not None:
                    recorder.note_frame(frame, kernel_id, user(self))
            except Exception as err:
                log.debug("jupyter-branch: could not note an incoming kernel message: %s", err)

        def note_now(self: Any, message: Any, kernel_id: str) -> bool:
            """Read ``message`` here and tell the recorder; True if it is an execute request."""
            try:
                found = read_noted(message, kernel_id, user(self))
                if found is None:
                    return False
                recorder.note_request(*found)
                return True
            except Exception as err:
                log.debug("jupyter-branch: could not note an incoming kernel message: %s", err)
                return False

        def handle_incoming_message(self: Any, *args: Any, **kwargs: Any) -> Any:
            if self._held is not None:  # holding: keep the browser's order
                self._held.append((args, kwargs))
                return None
            message = _first_arg(args, kwargs)
            kernel_id = self.kernel_id  # a property of the base class: read once
            if recorder.joining(kernel_id):
                if note_now(self, message, kernel_id):
                    # our iopub subscription is (re)joining: a few ms after a start or
                    # restart. Hold the execution so none of its output is missed.
                    self._held = [(args, kwargs)]
                    self._release_task = asyncio.ensure_future(self._release())
                    return None
                return base.handle_incoming_message(self, *args, **kwargs)  # type: ignore[attr-defined]
            # noted before the kernel has it, so the note is there when the run's
            # messages are read (tap.py); noting costs the run a substring search
            # and, for an execute request, a datagram: the recorder reads it
            note(self, message, kernel_id)
            return base.handle_incoming_message(self, *args, **kwargs)  # type: ignore[attr-defined]

        async def _release(self: Any) -> None:
            await recorder.wait_joined(self.kernel_id, HOLD_AT_MOST)
            held, self._held = self._held or [], None
            for args, kwargs in held:
                try:
                    base.handle_incoming_message(self, *args, **kwargs)  # type: ignore[attr-defined]
                except Exception:
                    log.exception("jupyter-branch: could not pass a held message to the kernel")

        overrides["handle_incoming_message"] = handle_incoming_message
        overrides["_release"] = _release

    name = f"BranchRecording{base.__name__}"
    return type(name, (base,), {**overrides, "__qualname__": name})


def wrapped_by_us(cls: Any) -> bool:
    """Return True if ``cls`` is (a subclass of) a class made by ``wrap_connection_class``."""
    return isinstance(cls, type) and any("_jupyter_branch_wraps" in vars(k) for k in cls.__mro__)


def sees_requests(cls: Any) -> bool:
    """Return True if connections of ``cls`` show us the browser's execute requests."""
    return wrapped_by_us(cls) and callable(getattr(cls, "handle_incoming_message", None))
