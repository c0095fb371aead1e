"""A blocking generator, iterated from the event loop on a thread of its own.

The log goes out a page at a time, each page read in the one transaction that
keeps the pages one moment's log. Asking a worker thread for every page cost
the answer a thread wake-up each way per page: at 10,000 states (40 pages)
``GET tree`` took 101-112 ms, against 47-53 ms for the same bytes in one page
(docs/notes.md). Here one thread runs the generator from its start to its end,
at most ``ahead`` items before the loop, and hands each item over with
``call_soon_threadsafe``: the next page is read while the loop sends the last
one. So memory holds a few pages whatever the history's size, and the
generator is made, run and closed on that one thread, as a database connection
needs. The thread is the iteration's own, not the loop's executor: a client
reading slowly must not hold a thread other requests wait for.

If the consumer stops early (the client went away, an error), the generator is
closed after the item it is making.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_ITEM, _END, _ERROR = range(3)


async def iterate_in_thread(
    make: Callable[[], Iterator[T]], ahead: int = 2
) -> AsyncGenerator[T, None]:
    """Yield what ``make()`` yields, the generator running on a thread of its own, at
    most ``ahead`` items made and not yet done with (the one being used included).

    Its exceptions are raised here, at the item where they happened. Close this
    iterator (``contextlib.aclosing``) to stop the thread early.
    """
    loop = asyncio.get_running_loop()
    handed: asyncio.Queue[tuple[int, Any]] = asyncio.Queue()
    room = threading.Semaphore(ahead)  # items made and not yet done with, at most
    stop = threading.Event()

    def hand(kind: int, value: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
            loop.call_soon_threadsafe(handed.put_nowait, (kind, value))

    def produce() -> None:
        try:
            items = make()
            try:
                while True:
                    room.acquire()
                    if stop.is_set():
                        return
                    try:
                        item = next(items)
                    except StopIteration:
                        break
                    hand(_ITEM, item)
            finally:
                close = getattr(items, "close", None)
                if close is not None:
                    close()
        except BaseException as err:  # raised where the consumer is
            hand(_ERROR, err)
        else:
            hand(_END, None)

    threading.Thread(target=produce, name="jupyter-branch-read", daemon=True).start()
    try:
        while True:
            kind, value = await handed.get()
            if kind == _END:
                return
            if kind == _ERROR:
                raise value
            yield value
            room.release()
    finally:
        stop.set()
        room.release()  # a producer waiting for room wakes, sees stop, and closes
