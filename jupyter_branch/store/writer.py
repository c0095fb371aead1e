"""The one writer: a thread that applies queued operations to the store in batches.

The event loop never waits on the database. Callers ``submit`` a function
``fn(history, conn, *args)`` (an unbound ``History`` method fits) and get a
``concurrent.futures.Future``. The thread takes whatever is queued (up to
``BATCH``), runs it in one ``BEGIN IMMEDIATE`` transaction, and commits once.

When it writes: background operations (what the recorder and the file watcher
send) wait until nothing new was submitted for ``settle`` seconds, or until
the oldest has waited ``max_delay``; so the writer works in the pauses between
cells, in few transactions, instead of competing with the kernel traffic of
the next cell for the CPU and the GIL. (Waking the thread and starting a
transaction cost more CPU than writing a small execution: a run of quick cells
is written as one transaction every ``max_delay``.) ``urgent`` operations (someone awaits
them: a REST request) and ``flush`` go at once.

Failures are sorted in two kinds:
- the store is unusable (locked past the busy timeout, read-only, disk full,
  corrupt, gone): the batch goes back to the front of the queue, nothing is
  lost, ``problem`` says what is wrong in plain words, and the thread retries
  with a growing pause until the store works again;
- an operation is wrong (bad input, a bug): only that operation fails, its
  future gets the exception, the rest of the batch commits. (The batch first
  runs without savepoints; when an operation fails, it is rolled back and run
  again with a savepoint around each operation.)
Past ``max_backlog`` queued operations new ones are refused (logged), so a
store that stays down cannot eat the server's memory.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)

from .compact import shrink
from .engine import StoreEngines, open_store
from .history import History

log = logging.getLogger("jupyter_branch")

BATCH = 500
DAMAGE_CHECK_SECONDS = 1.0


class BacklogFull(RuntimeError):
    """The store has been failing for long enough that the queue reached its bound."""


def describe_store_error(err: BaseException) -> str:
    """Return what is wrong with the store, in words a user can act on."""
    text = str(getattr(err, "orig", err) or err).lower()
    if "locked" in text or "busy" in text:
        return (
            "The history database is locked by another program; "
            "recording will resume when it is released."
        )
    if "readonly" in text or "read-only" in text or "attempt to write" in text:
        return "The history database is read-only; recording is paused until it can be written."
    if "full" in text or "no space" in text:
        return (
            "The disk holding the history database is full; "
            "recording is paused until space is freed."
        )
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return (
            "The history database is damaged; recording is paused. "
            "Move the file aside to start a new one."
        )
    if "unable to open" in text or "no such" in text or "disk i/o" in text:
        return (
            "The history database cannot be opened (was it deleted or moved?); recording is paused."
        )
    return f"The history database failed: {getattr(err, 'orig', err)}"


def _reopen_after(err: BaseException) -> bool:
    """A locked or full store is still the same store; anything else may not be."""
    text = str(getattr(err, "orig", err) or err).lower()
    return not ("locked" in text or "busy" in text or "full" in text)


def is_store_failure(err: BaseException) -> bool:
    """Return True when ``err`` is the store failing rather than one operation being wrong.

    Only the first kind is retried (holding the work): locked, read-only, full,
    I/O errors, a damaged file. Bad data (a value SQLite cannot bind, a broken
    constraint) fails that one operation, or it would block all recording.
    """
    if isinstance(err, (IntegrityError, InterfaceError, ProgrammingError, DataError)):
        return False
    if isinstance(err, OperationalError):
        return True
    if isinstance(err, DBAPIError):  # DatabaseError: only when the file itself is bad
        text = str(err).lower()
        return "malformed" in text or "not a database" in text or "disk" in text
    return isinstance(err, OSError) and not isinstance(err, FileNotFoundError)


@dataclass
class _Op:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    future: Future[Any] = field(default_factory=Future)
    coalesce_key: str | None = None
    urgent: bool = False
    at: float = field(default_factory=time.monotonic)


class _Refused(Exception):
    """An operation failed (not the store): rerun the batch one savepoint per operation."""


class StoreDamaged(OSError):
    """The database file was overwritten by something else."""


class StoreUnavailable(RuntimeError):
    """The store is not open (yet); the message says why in plain words."""


class Writer:
    """Owns the write engine and the ``History`` and applies operations in order.

    ``opener`` opens the store; it is called on the writer thread, and called
    again after a failure, so a store that is missing or broken at start is
    picked up as soon as it works.
    """

    def __init__(
        self,
        opener: Callable[[], StoreEngines] | StoreEngines,
        history: History,
        *,
        max_backlog: int = 200_000,
        settle: float = 0.25,
        max_delay: float = 0.5,
    ) -> None:
        if isinstance(opener, StoreEngines):
            self.engines: StoreEngines | None = opener
            url = opener.url
            self._opener: Callable[[], StoreEngines] = lambda: open_store(url)
        else:
            self.engines = None
            self._opener = opener
        self.history = history
        self._conn: Connection | None = None  # owned by the writer thread
        self._conn_of: StoreEngines | None = None
        # told, on this thread, what each committed batch changed (History.take_changes)
        self.on_changes: Callable[[list[dict[str, Any]]], None] = lambda _changes: None
        self.max_backlog = max_backlog
        self.settle = settle
        self.max_delay = max_delay
        self._queue: deque[_Op] = deque()
        self._urgent = 0  # urgent operations queued
        self._flushing = 0  # callers waiting in flush()
        self._last_submit = 0.0
        self._cond = threading.Condition()
        self._stopping = False
        self._busy = False
        self._in_flight = 0
        self._checked_at = 0.0
        self.problem: str | None = None
        self.problem_since: float | None = None
        self.committed_ops = 0
        self.committed_batches = 0
        self.refused_ops = 0
        self.superseded_ops = 0  # dropped unwritten: a later one made them moot
        self._thread = threading.Thread(target=self._run, name="jupyter-branch-writer", daemon=True)
        self._thread.start()

    @property
    def backlog(self) -> int:
        """Writes not committed yet: queued, plus the batch being tried."""
        return len(self._queue) + self._in_flight

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        coalesce_key: str | None = None,
        urgent: bool = False,
        supersedes: str | None = None,
    ) -> Future[Any]:
        """Queue ``fn(history, conn, *args)``; return a future of its result.

        Operations with the same ``coalesce_key`` still queued are replaced by
        the newer one (used for a running cell's outputs so far). Those with
        the ``coalesce_key`` ``supersedes`` are dropped, their futures cancelled
        as a replaced one's: this one makes them moot (a finished execution, its outputs so
        far), and it is queued last as any other. ``urgent`` ones are written
        at once, the others when submissions pause (see the module docstring).
        Raises ``BacklogFull`` when the queue is at its bound.
        """
        op = _Op(fn, args, coalesce_key=coalesce_key, urgent=urgent)
        with self._cond:
            if self._stopping:
                raise RuntimeError("the history writer is stopped")
            self._last_submit = op.at
            if supersedes is not None:
                self._drop(supersedes)
            if coalesce_key is not None:
                for i, queued in enumerate(self._queue):
                    if queued.coalesce_key == coalesce_key:
                        queued.future.cancel()
                        op.at = queued.at  # replacing it does not postpone it
                        self._urgent += op.urgent - queued.urgent
                        self._queue[i] = op
                        if urgent:
                            self._cond.notify()
                        return op.future
            if len(self._queue) >= self.max_backlog:
                self.refused_ops += 1
                raise BacklogFull(
                    f"{len(self._queue)} history writes are waiting for the store; "
                    "this one was refused"
                )
            was_empty = not self._queue
            self._queue.append(op)
            self._urgent += urgent
            # a writer already settling wakes at its due time by itself
            if was_empty or urgent:
                self._cond.notify()
        return op.future

    def _drop(self, coalesce_key: str) -> None:
        """Drop the queued operations of ``coalesce_key``, cancelled. Under the lock."""
        if not any(queued.coalesce_key == coalesce_key for queued in self._queue):
            return
        kept = []
        for queued in self._queue:
            if queued.coalesce_key == coalesce_key:
                self._urgent -= queued.urgent
                self.superseded_ops += 1
                queued.future.cancel()
            else:
                kept.append(queued)
        self._queue.clear()
        self._queue.extend(kept)

    def flush(self, timeout: float | None = 30) -> bool:
        """Wait until everything queued so far is committed; return False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._queue or self._busy:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._cond.wait(remaining)
            finally:
                self._flushing -= 1
        return True

    def _wait_before_batch(self) -> float:
        """Seconds to wait before writing what is queued (0 or less: now). Under the lock."""
        if self._stopping or self._flushing or self._urgent or len(self._queue) >= BATCH:
            return 0.0
        due = min(self._last_submit + self.settle, self._queue[0].at + self.max_delay)
        return due - time.monotonic()

    def stop(self, timeout: float = 30) -> None:
        """Commit what is queued (waiting up to ``timeout``), then stop the thread."""
        # a failing store gets a short grace: shutting Jupyter down must not hang
        if not self.flush(min(timeout, 5) if self.problem else timeout) or self.backlog:
            log.error(
                "jupyter-branch: %d history writes could not be saved before stopping: %s",
                self.backlog,
                self.problem or "the store did not answer in time",
            )
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def require_engines(self) -> StoreEngines:
        """Return the open store. Raises StoreUnavailable with the reason."""
        if self.engines is None:
            raise StoreUnavailable(self.problem or "The history database is being opened.")
        return self.engines

    def _connection(self) -> Connection:
        """The writer's connection, kept open across batches (connecting costs more
        than a small transaction); a new one when the store was opened anew."""
        assert self.engines is not None
        if self._conn is None or self._conn_of is not self.engines:
            self._drop_connection()
            self._conn = self.engines.writer.connect()
            self._conn_of = self.engines
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None
        self._conn_of = None

    def _reopen(self) -> None:
        """Open the store anew (it may be writable again, or a new file), at once so
        reads keep working; on failure the next batch tries again."""
        self._drop_connection()
        if self.engines is not None:
            self.engines.dispose()
            self.engines = None
        try:
            self.engines = self._opener()
        except Exception:
            self.engines = None

    def _open(self) -> None:
        if self.engines is not None and self.engines.moved():
            log.warning(
                "jupyter-branch: the history database %s was removed or replaced; "
                "recording goes on in a new one there",
                self.engines.path,
            )
            self._drop_connection()
            self.engines.dispose()
            self.engines = None
            self.history.forget()
        if self.engines is None:
            self.engines = self._opener()
        now = time.monotonic()
        if now - self._checked_at >= DAMAGE_CHECK_SECONDS:
            self._checked_at = now
            if self.engines.damaged():
                raise StoreDamaged("file is not a database: its header was overwritten")

    def _run(self) -> None:
        pause = 0.2
        try:
            self._open()
        except Exception as err:
            self.problem, self.problem_since = describe_store_error(err), time.time()
            log.error(
                "jupyter-branch: %s (%s). Jupyter works; history is paused.", self.problem, err
            )
        while True:
            with self._cond:
                while True:
                    while not self._queue and not self._stopping:
                        self._cond.wait()
                    if self._stopping and (not self._queue or self.problem):
                        if not self.problem:  # a failing store is not waited on
                            shrink(self._conn)
                        self._drop_connection()
                        return
                    wait = self._wait_before_batch()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
                batch = [self._queue.popleft() for _ in range(min(BATCH, len(self._queue)))]
                self._urgent -= sum(op.urgent for op in batch)
                self._busy = True
                self._in_flight = len(batch)
            try:
                self._open()
                self._apply(batch)
            except Exception as err:  # the store itself failed: keep everything, retry later
                self.history.forget()
                self._drop_connection()
                if _reopen_after(err):
                    self._reopen()
                with self._cond:
                    back = [op for op in batch if not op.future.done()]
                    self._queue.extendleft(reversed(back))
                    self._urgent += sum(op.urgent for op in back)
                    self._busy = False
                    self._in_flight = 0
                    self._cond.notify_all()
                message = describe_store_error(err)
                if message != self.problem:
                    log.error("jupyter-branch: %s (%s)", message, err)
                    self.problem, self.problem_since = message, time.time()
                with self._cond:
                    self._cond.wait(pause)
                pause = min(pause * 2, 5.0)
                continue
            pause = 0.2
            if self.problem:
                log.warning("jupyter-branch: the history database works again")
                self.problem = self.problem_since = None
            with self._cond:
                self._busy = False
                self._in_flight = 0
                self._cond.notify_all()

    def _apply(self, batch: list[_Op]) -> None:
        try:
            results = self._run_batch(batch, isolated=False)
        except _Refused:  # rolled back: again, so that only the wrong one fails
            self.history.forget()
            results = self._run_batch(batch, isolated=True)
        self.committed_ops += len(results)
        self.committed_batches += 1
        changes = self.history.take_changes()
        if changes:
            try:
                self.on_changes(changes)
            except Exception:  # a listener must never stop the writer
                log.exception("jupyter-branch: a listener of history changes failed")
        for op, value, error in results:
            if op.future.cancelled():
                continue
            if error is not None:
                op.future.set_exception(error)
            else:
                op.future.set_result(value)

    def _run_batch(
        self, batch: list[_Op], isolated: bool
    ) -> list[tuple[_Op, Any, BaseException | None]]:
        results: list[tuple[_Op, Any, BaseException | None]] = []
        conn = self._connection()
        with conn.begin():
            for op in batch:
                if op.future.cancelled():
                    continue
                if isolated:
                    results.append((op, *self._run_isolated(conn, op)))
                    continue
                try:
                    results.append((op, op.fn(self.history, conn, *op.args), None))
                except Exception as err:
                    if is_store_failure(err):
                        raise
                    raise _Refused from err
        return results

    def _run_isolated(self, conn: Connection, op: _Op) -> tuple[Any, BaseException | None]:
        savepoint = conn.begin_nested()
        kept = list(self.history.changes)  # what the operations before this one changed
        try:
            value = op.fn(self.history, conn, *op.args)
        except Exception as err:
            savepoint.rollback()
            if is_store_failure(err):
                raise
            self.history.forget()
            self.history.changes = kept
            self.refused_ops += 1  # counted where info and the panel show it
            log.warning("jupyter-branch: a history write was refused: %s", err, exc_info=True)
            return None, err
        savepoint.commit()
        return value, None
