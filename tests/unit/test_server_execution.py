"""Seeing other extensions' ways of running cells: execute routes, connection classes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import tornado.httpclient
import tornado.httpserver
import tornado.testing
import tornado.web

from jupyter_branch.capture import sees_requests, wrap_connection_class
from jupyter_branch.execute_request import may_be_execute_request, parse_execute_request, read_noted
from jupyter_branch.server_execution import (
    Expectation,
    expectations_from_body,
    murmur2,
    observe_execute_routes,
)
from tests.kernel_client import execute_request, pack_v1

# MurmurHash2, seed 0, of the UTF-8 text: the values jupyter-server-documents 0.3.3
# computes for these sources (checked against its own implementation).
KNOWN_HASHES = {
    "": "0",
    "a": "2456313694",
    "ab": "446775395",
    "abc": "324500635",
    "abcd": "646393889",
    "print(1)": "3626970123",
    "é漢🙂": "1996203466",
}


@pytest.mark.parametrize(("text", "expected"), KNOWN_HASHES.items())
def test_murmur2_is_the_hash_server_documents_sends(text, expected):
    assert murmur2(text) == expected


def test_request_bodies_of_both_server_side_executors():
    nbmodel = {"code": "x = 1", "metadata": {"cell_id": "c7", "document_path": "a/b.ipynb"}}
    (found,) = expectations_from_body(nbmodel, lambda _id: None)
    assert (found.cell_id, found.api_path, found.code) == ("c7", "a/b.ipynb", "x = 1")
    assert found.matches("x = 1") and not found.matches("x = 2")

    documents = {
        "document_id": "json:notebook:f-1",
        "cells": [{"cell_id": "c1", "source_hash": murmur2("a = 1")}, {"cell_id": "c2"}],
    }
    first, second = expectations_from_body(documents, lambda d: f"path-of-{d}")
    assert (first.cell_id, first.api_path) == ("c1", "path-of-json:notebook:f-1")
    assert first.matches("a = 1") and not first.matches("a = 2")
    assert not second.matches("anything"), "no code, no hash: never matched"
    assert expectations_from_body(["not", "an", "object"], lambda _d: None) == []
    assert expectations_from_body({"cells": "nope"}, lambda _d: None) == []


class OtherExtensionsExecute(tornado.web.RequestHandler):
    """Stands for an extension's execute handler: answers with what it was sent."""

    def prepare(self) -> None:
        self.seen_by_prepare = True

    def get_current_user(self) -> str:
        return "tester"  # as jupyter_server's handlers know their user

    def post(self, kernel_id: str) -> None:
        self.finish({"kernel": kernel_id, "body": json.loads(self.request.body), "ok": True})


class WithNamedGroup(OtherExtensionsExecute):
    def post(self, kernel_id: str) -> None:  # named group, as jupyter-server-nbmodel's
        super().post(kernel_id)


async def test_observed_routes_still_answer_as_before_and_report_each_body():
    app = tornado.web.Application(
        [
            (r"/api/kernels/([\w-]+)/execute", OtherExtensionsExecute),
            (r"/x/api/kernels/(?P<kernel_id>\w+-\w+)/execute", WithNamedGroup),
            (r"/api/kernels/([\w-]+)/interrupt", OtherExtensionsExecute),
        ]
    )
    seen: list[tuple[str, Any, Any]] = []
    observed = observe_execute_routes(app, lambda k, body, user: seen.append((k, body, user)))
    assert len(observed) == 2, observed
    assert observe_execute_routes(app, lambda k, b, u: None) == [], "observed once"
    sock, port = tornado.testing.bind_unused_port()
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets([sock])
    client = tornado.httpclient.AsyncHTTPClient()
    try:
        for url, kernel in (
            ("/api/kernels/k-1/execute", "k-1"),
            ("/x/api/kernels/a-b/execute", "a-b"),
        ):
            body = {"code": "1 + 1", "metadata": {"cell_id": kernel}}
            r = await client.fetch(
                f"http://127.0.0.1:{port}{url}", method="POST", body=json.dumps(body)
            )
            assert json.loads(r.body) == {"kernel": kernel, "body": body, "ok": True}
        await client.fetch(
            f"http://127.0.0.1:{port}/api/kernels/k-1/interrupt", method="POST", body="{}"
        )
        bad = await client.fetch(
            f"http://127.0.0.1:{port}/api/kernels/k-1/execute",
            method="POST",
            body="not json",
            raise_error=False,
        )
        assert bad.code == 500, "the handler itself answered (our reading failed quietly)"
    finally:
        server.stop()
    assert [(k, user) for k, _, user in seen] == [("k-1", "tester"), ("a-b", "tester")]
    assert seen[0][1]["metadata"]["cell_id"] == "k-1"


class Recorder:
    """What the wrapper needs of the recorder, keeping what it is told."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.watched: list[str] = []

    def ensure_watched(self, kernel_id: str) -> None:
        self.watched.append(kernel_id)

    def note_request(self, msg_id: str, info: Any) -> None:
        self.requests.append((msg_id, info))

    def note_frame(self, frame: Any, kernel_id: str, user: str | None) -> None:
        found = read_noted(frame, kernel_id, user)  # as the recording process reads it
        if found is not None:
            self.note_request(*found)

    def joining(self, kernel_id: str) -> bool:
        return False


class WithoutPrepare:
    """A connection class like jupyter-server-documents': no prepare, its own signatures."""

    kernel_id = "k"

    def __init__(self) -> None:
        self.got: list[Any] = []

    async def connect(self) -> str:
        return "connected"

    def handle_incoming_message(self, incoming_msg: bytes, *, extra: int = 0) -> str:
        self.got.append((incoming_msg, extra))
        return "passed"


class WithoutIncoming:
    kernel_id = "k"


def test_the_wrapper_adds_nothing_the_class_lacks_and_passes_everything_on():
    recorder = Recorder()
    wrapped = wrap_connection_class(WithoutPrepare, recorder)
    assert not hasattr(wrapped, "prepare"), "jupyter_server calls prepare only if present"
    conn = wrapped()
    frame = pack_v1("shell", execute_request("print(1)", "cell-1", "s"))
    assert conn.handle_incoming_message(frame, extra=3) == "passed"
    assert conn.handle_incoming_message(b"\x00garbage") == "passed", "unreadable: passed on"
    assert conn.got == [(frame, 3), (b"\x00garbage", 0)]
    assert [info.cell_id for _, info in recorder.requests] == ["cell-1"]
    assert asyncio.run(conn.connect()) == "connected" and recorder.watched == ["k"]
    assert sees_requests(wrapped) and not sees_requests(WithoutPrepare)
    bare = wrap_connection_class(WithoutIncoming, recorder)
    assert not hasattr(bare, "handle_incoming_message") and not sees_requests(bare)


def test_execute_requests_are_read_from_either_frame_kind():
    msg = execute_request("x", "cell-9", "s")
    msg["metadata"]["deletedCells"] = ["old"]
    _, from_binary = parse_execute_request(pack_v1("shell", msg))
    _, from_text = parse_execute_request(json.dumps({**msg, "channel": "shell"}))
    for info in (from_binary, from_text):
        assert (info.cell_id, info.code, info.deleted_cells) == ("cell-9", "x", ("old",))
    other = execute_request("x", None, "s")
    other["header"]["msg_type"] = "kernel_info_request"
    assert parse_execute_request(pack_v1("shell", other)) is None


def test_an_expectation_is_matched_by_its_code_or_its_hash():
    assert Expectation("c", code="a").matches("a")
    assert Expectation("c", source_hash=murmur2("é")).matches("é")
    assert not Expectation("c", source_hash=murmur2("é")).matches("e")


def test_only_frames_naming_an_execute_request_are_handed_on_unread():
    frame = pack_v1("shell", execute_request("x", "cell-3", "s"))
    assert may_be_execute_request(memoryview(frame)) == frame
    text = json.dumps({**execute_request("x", "cell-3", "s"), "channel": "shell"})
    assert may_be_execute_request(text) == text
    other = execute_request("x", None, "s")
    other["header"]["msg_type"] = "kernel_info_request"
    other["content"] = {}
    assert may_be_execute_request(pack_v1("shell", other)) is None
    assert may_be_execute_request(None) is None
    _, info = read_noted(frame, "k-1", "ada")
    assert (info.cell_id, info.kernel_id, info.user) == ("cell-3", "k-1", "ada")
    assert read_noted(b"\x00execute_request, but no frame", "k-1", None) is None
