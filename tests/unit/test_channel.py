"""The server's sockets to its recording process: every message arrives, whole and in order;
a note that cannot go as a note says so, so that it can go by the channel."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

from jupyter_branch.channel import NOTE_AT_MOST, Channel, Notes


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


def test_notes_arrive_whole_and_in_order_and_reading_never_waits() -> None:
    a, b = Notes.pair()
    sender, receiver = Notes(a), Notes(b)
    assert list(receiver.read()) == []  # nothing yet: returns at once
    for i in range(100):
        assert sender.send(f"msg-{i}", {"cell": i, "code": "x" * i})
    got = list(receiver.read())
    assert got == [(f"msg-{i}", {"cell": i, "code": "x" * i}) for i in range(100)]
    assert list(receiver.read()) == []
    sender.close()
    receiver.close()


def test_a_note_that_cannot_go_as_a_note_says_so() -> None:
    a, b = Notes.pair()
    sender, receiver = Notes(a), Notes(b)
    assert not sender.send("long", "x" * NOTE_AT_MOST)  # longer than a note may be
    sent = 0
    while sender.send("n", sent):  # an unread buffer fills: the sender is told, not blocked
        sent += 1
        assert sent < 1_000_000
    assert sent > 10
    assert [n for _, n in receiver.read()] == list(range(sent))  # none lost before it filled
    assert sender.send("n", "again")  # read: room again
    receiver.close()
    assert not sender.send("n", "nobody")  # the reader is gone
    sender.close()
