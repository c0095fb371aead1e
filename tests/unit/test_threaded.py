"""A blocking generator iterated from the event loop: every item in order, errors where
they happened, a few items ahead at most, and a consumer that stops early stops it."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

import pytest

from jupyter_branch.threaded import iterate_in_thread


class Source:
    """Counts what it made, and on which threads it was made, run and closed."""

    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self.n, self.fail_at = n, fail_at
        self.made = 0
        self.threads: set[int] = set()
        self.closed = threading.Event()

    def __call__(self) -> Iterator[int]:
        self.threads.add(threading.get_ident())
        try:
            for i in range(self.n):
                self.threads.add(threading.get_ident())
                if i == self.fail_at:
                    raise LookupError(f"no item {i}")
                self.made += 1
                yield i
        finally:
            self.threads.add(threading.get_ident())
            self.closed.set()


async def test_every_item_comes_in_order_made_off_the_loop_on_one_thread() -> None:
    source = Source(500)
    got = [i async for i in iterate_in_thread(source)]
    assert got == list(range(500))
    assert source.closed.wait(10)
    assert len(source.threads) == 1 and threading.get_ident() not in source.threads


async def test_an_error_is_raised_at_the_item_where_it_happened() -> None:
    source = Source(10, fail_at=3)
    got: list[int] = []
    with pytest.raises(LookupError, match="no item 3"):
        async for i in iterate_in_thread(source):
            got.append(i)
    assert got == [0, 1, 2]
    assert source.closed.wait(10)


async def test_it_reads_ahead_no_more_than_asked() -> None:
    source = Source(100)
    items = iterate_in_thread(source, ahead=3)

    async def made(n: int) -> int:
        while source.made < n:
            await asyncio.sleep(0.005)
        return source.made

    async with contextlib.aclosing(items):
        for taken in range(10):
            assert await anext(items) == taken
            # three items at most: the one being used, and the next two
            assert await asyncio.wait_for(made(taken + 3), 10) == taken + 3


async def test_a_consumer_that_stops_early_closes_the_generator_on_its_thread() -> None:
    source = Source(1_000_000)
    items = iterate_in_thread(source)
    async with contextlib.aclosing(items):
        async for i in items:
            if i == 5:
                break
    assert source.closed.wait(10)  # not left holding (a database connection) forever
    assert source.made < 10
    assert len(source.threads) == 1
