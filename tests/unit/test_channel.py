"""The server's socket to its recording process: every message arrives, whole and in order."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

from jupyter_branch.channel import Channel


async def test_messages_arrive_whole_and_in_order_from_any_thread() -> None:
    loop = asyncio.get_running_loop()
    a, b = socket.socketpair()
    got: list[tuple[Any, ...]] = []
    closed = asyncio.Event()
    sender = Channel(a, loop, lambda _m: None)
    receiver = Channel(b, loop, got.append, closed.set)
    big = "x" * 3_000_000  # many reads: a frame arrives in pieces
    sender.send("first", 1)
    sender.send("big", big)
    from_thread = threading.Thread(target=lambda: [sender.send("t", i) for i in range(500)])
    from_thread.start()
    from_thread.join()
    sender.send("last", {"nested": [1, 2.5, None]})

    async def all_there() -> None:
        while len(got) < 503:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(all_there(), 30)
    assert got[0] == ("first", 1)
    assert got[1] == ("big", big)
    assert [m[1] for m in got[2:502]] == list(range(500))  # one thread's order is kept
    assert got[502] == ("last", {"nested": [1, 2.5, None]})
    sender.close()
    await asyncio.wait_for(closed.wait(), 10)  # the other end learns it is alone
    assert receiver.closed


async def test_a_message_that_fails_to_be_handled_does_not_stop_the_others() -> None:
    loop = asyncio.get_running_loop()
    a, b = socket.socketpair()
    got: list[Any] = []

    def handle(message: tuple[Any, ...]) -> None:
        if message[0] == "bad":
            raise ValueError("no")
        got.append(message[1])

    sender = Channel(a, loop, lambda _m: None)
    Channel(b, loop, handle)
    for i in range(3):
        sender.send("bad", i)
        sender.send("good", i)
    while len(got) < 3:
        await asyncio.sleep(0.01)
    assert got == [0, 1, 2]
    sender.close()
