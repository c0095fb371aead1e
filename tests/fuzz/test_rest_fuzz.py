"""Every REST endpoint under random input: bodies, raw bytes, query strings, URL segments.

For each request the server must answer 2xx or 4xx (5xx only as the documented 503
while the store is down), every 4xx as JSON ``{"message": ...}``, and nothing may
be written outside the server root: the root's parent directory (but the Jupyter
data dir, where the store lives) is compared before and after every example.
Paths try to leave the root (``../``, ``%2e%2e``, absolute, backslashes, a symlink
in the root pointing out of it).
"""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from jupyter_branch.service import BadRequest, validate_cells
from tests.conftest import wait_for
from tests.fuzz import twins
from tests.fuzz.strategies import json_values, odd_char, odd_text, repeated

API = ("jupyter-branch", "api")
TRAVERSALS = [
    "../x.ipynb",
    "../outside/victim.ipynb",
    "..",
    "../",
    "a/../../x.ipynb",
    "%2e%2e/x.ipynb",
    "%2e%2e%2fx.ipynb",
    "..%2fx.ipynb",
    "..\\x.ipynb",
    "..\\..\\outside\\victim.ipynb",
    "/etc/passwd",
    "/../outside/victim.ipynb",
    "//server/share/x.ipynb",
    "C:\\Windows\\x.ipynb",
    "~/x.ipynb",
    "link/victim.ipynb",
    "link/../../outside/victim.ipynb",
    "link/new.ipynb",
    "./seed.ipynb",
    "seed.ipynb\x00.txt",
    "\uff0e\uff0e/x.ipynb",
    "..\u2215x.ipynb",
    "seed.ipynb",
    "sub/dir/new.ipynb",
    "",
    " ",
]
paths = st.one_of(st.sampled_from(TRAVERSALS), odd_text, repeated(odd_char, 5000), json_values)


def refs(known: list[str]) -> st.SearchStrategy[Any]:
    """State references: known ids, their prefixes in any case, unknown, odd, wrong types."""
    real = st.sampled_from(known)
    return st.one_of(
        real,
        st.builds(lambda ref, n: ref[:n], real, st.integers(0, 32)),
        real.map(str.upper),
        st.sampled_from(["0" * 32, "ffff", "", " ", "g" * 32, "*", "%", "' OR 1=1 --"]),
        odd_text,
        json_values,
    )


cells = st.one_of(
    json_values,
    st.lists(
        st.one_of(
            json_values,
            st.fixed_dictionaries(
                {
                    "id": st.one_of(st.sampled_from(["a", "b", "c1", "x" * 300]), odd_text),
                    "cell_type": st.one_of(
                        st.sampled_from(["code", "markdown", "raw", "heading"]), json_values
                    ),
                    "source": st.one_of(odd_text, st.lists(odd_text), json_values),
                },
                optional={
                    "outputs": st.one_of(json_values, st.lists(json_values)),
                    "execution_count": json_values,
                },
            ),
        ),
        max_size=4,
    ),
)


def mostly(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Three times in four a value the endpoint accepts, else an odd one: the requests get
    past validation often enough to reach the store, the contents manager and export."""
    return st.integers(0, 3).flatmap(lambda i: odd if i == 0 else valid)


GOOD_PATHS = st.sampled_from(["seed.ipynb", "seed.ipynb", "./seed.ipynb", "sub/new.ipynb"])
good_cells = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.sampled_from(["c1", "c2", "m1", "x-y_z"]),
            "cell_type": st.sampled_from(["code", "markdown", "raw"]),
            "source": st.one_of(odd_text, st.lists(odd_text, max_size=3), repeated(odd_char, 3000)),
        },
        optional={
            "outputs": st.lists(json_values, max_size=2),
            "execution_count": st.one_of(st.none(), st.integers(0, 99)),
        },
    ),
    max_size=4,
    unique_by=lambda c: c["id"],
)
NEEDS = {  # what each write endpoint reads from its body
    "document": ["path", "cells"],
    "restore": ["path", "state", "cell_id"],
    "labels": ["path", "state", "label"],
    "export": ["path", "state", "outputs"],
    "diff": ["path", "a", "cells"],
}


def bodies(endpoint: str, known: list[str]) -> st.SearchStrategy[Any]:
    """A JSON body for ``endpoint``: mostly its fields, each mostly valid; or any JSON."""
    real = st.one_of(st.sampled_from(known), st.sampled_from(known).map(lambda r: r[:8]))
    fields = {
        "path": mostly(GOOD_PATHS, paths),
        "cells": mostly(good_cells, cells),
        "state": mostly(real, refs(known)),
        "a": mostly(real, refs(known)),
        "cell_id": mostly(st.sampled_from(["c1", "zz"]), st.one_of(odd_text, json_values)),
        "label": mostly(
            st.one_of(st.none(), odd_text), st.one_of(repeated(odd_char, 300), json_values)
        ),
        "outputs": mostly(st.booleans(), json_values),
    }
    needed = {k: fields[k] for k in NEEDS[endpoint]}
    others = {k: v for k, v in fields.items() if k not in needed}
    return st.one_of(
        st.fixed_dictionaries(needed, optional=others),
        st.fixed_dictionaries({}, optional=fields),
        json_values,
    )


WRITES = [("POST", "document"), ("POST", "restore"), ("PUT", "labels"), ("POST", "export")]
WRITES += [("POST", "diff")]
READS = {
    "info": [],
    "notebooks": [],
    "tree": ["path", "since"],
    "search": ["path", "q", "limit"],
    "export": ["path", "state", "outputs"],
    "diff": ["path", "a", "b"],
    "states/{ref}": ["path"],
    "cells/{ref}": ["path", "limit"],
}
NESTED_TOO_DEEP = 900  # past this json.loads raises RecursionError: see the test_ below

# -- the server under test --------------------------------------------------------------


def snapshot(top: Path, skip: set[Path]) -> dict[str, tuple[int, int]]:
    """Every entry under ``top`` (not following links) with its size and mtime."""
    seen = {}
    for folder, dirs, files in os.walk(top):
        dirs[:] = [d for d in dirs if Path(folder, d) not in skip]
        for name in dirs + files:
            st_ = os.lstat(os.path.join(folder, name))
            seen[os.path.relpath(os.path.join(folder, name), top)] = (st_.st_size, st_.st_mtime_ns)
    return seen


class Server:
    """The test server, a notebook with history, and the ground outside its root."""

    def __init__(self, loop, jp_fetch, http_client, auth, base_url, root, data_dir, app):
        self.loop, self.fetch, self.http, self.auth = loop, jp_fetch, http_client, auth
        self.base_url, self.root, self.app = base_url, Path(root), app
        self.outside = self.root.parent / "outside"
        self.outside.mkdir()
        (self.outside / "victim.ipynb").write_text('{"cells": []}')
        (self.root / "link").symlink_to(self.outside, target_is_directory=True)
        self.skip = {self.root, Path(data_dir)}  # the store is in the data dir
        self.known = self.loop.run_until_complete(self._seed())
        self.before = snapshot(self.root.parent, self.skip)

    async def _seed(self) -> list[str]:
        async def store_open() -> bool:
            r = await self.fetch(*API, "info")
            return json.loads(r.body)["ok"]

        await wait_for(store_open, timeout=10)
        made = []
        for source in ("x = 1", "x = 2", "print('\\x00')"):
            cells = [{"id": "c1", "cell_type": "code", "source": source}]
            body = json.dumps({"path": "seed.ipynb", "cells": cells})
            r = await self.fetch(*API, "document", method="POST", body=body)
            made.append(json.loads(r.body)["head"])
        return made

    def send(self, method: str, url: str, body: bytes | None = None) -> Any:
        """Send a request (``url`` after the base URL, already encoded); return the answer."""

        async def send() -> Any:
            return await self.http.fetch(
                self.base_url + url,
                method=method,
                body=body,
                headers=dict(self.auth),
                raise_error=False,
                request_timeout=60,
                allow_nonstandard_methods=True,
            )

        return self.loop.run_until_complete(send())

    def request(self, method: str, url: str, body: bytes | None = None) -> tuple[int, Any, str]:
        """Send a request and check the answer: no 5xx but 503 with the store down, JSON."""
        r = self.send(method, url, body)
        if currently_in_test_context():  # figures for --hypothesis-show-statistics
            event(f"{method} {url.split('?')[0].split('/')[2]}: {r.code}")
        text = r.body.decode("utf-8") if r.body else ""
        kind = r.headers.get("Content-Type", "")
        answer = None
        if kind.startswith("application/json") and text:
            answer = json.loads(text)
        store_down = self.app.writer.problem is not None
        assert r.code < 500 or (r.code == 503 and store_down), (method, url, r.code, text[:300])
        if r.code >= 400:
            assert isinstance(answer, dict) and isinstance(answer.get("message"), str), (
                method,
                url,
                r.code,
                text[:300],
            )
        elif r.code != 204:
            assert answer is not None, (method, url, r.code, kind, text[:300])
        return r.code, answer, text

    def nothing_written_outside(self) -> None:
        assert snapshot(self.root.parent, self.skip) == self.before
        assert (self.outside / "victim.ipynb").read_text() == '{"cells": []}'
        assert sorted(os.listdir(self.outside)) == ["victim.ipynb"]


@pytest.fixture
def server(
    jp_asyncio_loop,
    jp_fetch,
    http_server_client,
    jp_auth_header,
    jp_base_url,
    jp_root_dir,
    jp_data_dir,
    branch_app,
):
    return Server(
        jp_asyncio_loop,
        jp_fetch,
        http_server_client,
        jp_auth_header,
        jp_base_url,
        jp_root_dir,
        jp_data_dir,
        branch_app,
    )


def url(*parts: str, query: str = "") -> str:
    return "/".join((*API, *parts)) + (f"?{query}" if query else "")


# -- JSON bodies --------------------------------------------------------------------------


def diff_with_invalid_cells(endpoint: tuple[str, str], body: Any) -> bool:
    """The one known 500 among JSON bodies: test_post_diff_with_invalid_cells_answers_500.
    (Remove this exception when that test passes.)"""
    if endpoint != ("POST", "diff") or not isinstance(body, dict):
        return False
    try:
        validate_cells(body.get("cells"))
    except BadRequest:
        return True
    return False


@twins(150, data=st.data())
def check_json_bodies_to_every_write_endpoint(server, data):
    endpoint = data.draw(st.sampled_from(WRITES), label="endpoint")
    body = data.draw(bodies(endpoint[1], server.known), label="body")
    raw = json.dumps(body).encode()
    if diff_with_invalid_cells(endpoint, body):  # 400 once the bug is fixed
        assert server.send(endpoint[0], url(endpoint[1]), raw).code in (400, 500)
    else:
        server.request(endpoint[0], url(endpoint[1]), raw)
    server.nothing_written_outside()


(
    test_json_bodies_to_every_write_endpoint,
    test_json_bodies_to_every_write_endpoint_thorough,
) = check_json_bodies_to_every_write_endpoint


# -- raw bytes: invalid UTF-8, NUL, truncated JSON, deep nesting, huge -----------------------

raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"\xff\xfe",
            b'{"path": "\xff.ipynb"}',
            b"\x00",
            b'{"path": "a\x00"}',
            b"{",
            b"\xef\xbb\xbf{}",
            b'{"path": "seed.ipynb", "cells": [',
            b"null",
            b"[]",
            b'"x"',
            b'{"path": "seed.ipynb", "cells": [], "path": "../x.ipynb"}',
            b"NaN",
            b"1e999999",
        ]
    ),
    st.integers(1, NESTED_TOO_DEEP).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, NESTED_TOO_DEEP // 2).map(lambda n: b'{"path":' * n + b"1" + b"}" * n),
    st.integers(0, 3_000_000).map(
        lambda n: b'{"path": "seed.ipynb", "label": "' + b"x" * n + b'"}'
    ),
)


@twins(150, endpoint=st.sampled_from(WRITES), body=raw_bodies)
def check_raw_bodies_to_every_write_endpoint(server, endpoint, body):
    method, name = endpoint
    status, answer, _ = server.request(method, url(name), body)
    try:
        json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        assert (status, answer["message"]) == (400, "the request body is not valid JSON")
    server.nothing_written_outside()


(
    test_raw_bodies_to_every_write_endpoint,
    test_raw_bodies_to_every_write_endpoint_thorough,
) = check_raw_bodies_to_every_write_endpoint


def test_post_diff_with_invalid_cells_answers_500(server):
    """``DiffHandler.post`` checks the cells (``document_cells_with_outputs``) outside
    ``self.call``, so its BadRequest is not mapped: 500, where docs/rest-api.md says
    "Invalid cells get 400 as for POST document"."""
    for cells in (None, "abc", [{"id": "a", "cell_type": "python"}], [5]):
        body = {"path": "seed.ipynb", "a": server.known[0], "cells": cells}
        status, answer, _ = server.request("POST", url("diff"), json.dumps(body).encode())
        assert status == 400, (cells, status, answer)


def test_deeply_nested_json_body_answers_500(server):
    """``json.loads`` raises RecursionError (not ValueError) past ~1000 levels; the
    handlers' ``body()`` lets it through and Tornado answers 500 instead of 400."""
    depth = 100_000
    for method, endpoint in WRITES:
        status, answer, _ = server.request(method, url(endpoint), b"[" * depth + b"]" * depth)
        assert status == 400, (method, endpoint, status, answer)


# -- query strings and URL segments -----------------------------------------------------

query_values = st.one_of(
    st.binary(max_size=40).map(lambda b: urllib.parse.quote_from_bytes(b, safe="")),
    st.sampled_from(
        [
            "%",
            "%zz",
            "%ff",
            "%00",
            "%c0%ae%c0%ae/x",
            "%2e%2e%2fx.ipynb",
            "..%5cx.ipynb",
            "-1",
            "1e3",
            "0x10",
            "99999999999999999999999",
            "+5",
            "nan",
            "*",
            "%22a+b%22",  # no raw space or quote: the HTTP request line would end there
            "AND",
            "lear*",
        ]
    ),
    odd_text.map(lambda s: urllib.parse.quote(s.encode("utf-8", "surrogatepass"), safe="")),
    st.sampled_from(TRAVERSALS).map(lambda s: urllib.parse.quote(s, safe="/")),
)


@st.composite
def queries(draw: Any, known: list[str]) -> tuple[str, str]:
    """An endpoint (URL after the API prefix) and an odd query string for it."""
    endpoint = draw(st.sampled_from(sorted(READS)))
    names = READS[endpoint]
    if "{ref}" in endpoint:
        segment = draw(
            st.one_of(
                st.sampled_from([*known, known[0][:4], "c1", "head", "..", "%2e%2e", "%2F"]),
                st.binary(min_size=1, max_size=30).map(
                    lambda b: urllib.parse.quote_from_bytes(b, safe="")
                ),
            )
        )
        endpoint = endpoint.replace("{ref}", segment)
    good = {
        "path": st.sampled_from(["seed.ipynb", "./seed.ipynb", "sub%2F..%2Fseed.ipynb"]),
        "since": st.sampled_from(["0", "1", "2", "-1"]),
        "q": st.sampled_from(["x", "print", "x+%3D+2", "%22x+%3D%22", "pri*", "1"]),
        "limit": st.sampled_from(["1", "50", "1000"]),
        "state": st.sampled_from([*known, known[0][:6]]),
        "a": st.sampled_from([*known, known[0][:6]]),
        "b": st.sampled_from([*known, known[-1][:6].upper()]),
        "outputs": st.sampled_from(["0", "1", "no"]),
    }
    pairs = []
    for name in names:  # each parameter usually there, usually with a fitting value
        if draw(st.integers(0, 7)):
            value = draw(mostly(good[name], query_values))
            pairs.append(f"{name}={value}")
    for name in draw(st.lists(st.sampled_from([*names, "x", ""]), max_size=2)):
        pairs.append(f"{urllib.parse.quote(name)}={draw(query_values)}")  # repeats, unknowns
    junk = draw(st.sampled_from(["", "&", "&&", "=", "&=&", "path", "path=", "a=1=2"]))
    return endpoint, "&".join([*pairs, junk] if junk else pairs)


@twins(200, data=st.data())
def check_odd_queries_to_every_read_endpoint(server, data):
    endpoint, query = data.draw(queries(server.known), label="request")
    routed = not endpoint.startswith(("states/", "cells/"))
    if not routed:
        segment = endpoint.split("/", 1)[1]
        # STATE_ID is [^/]{1,64}, CELL_ID [^/]{1,256}, on the URL as sent (still encoded)
        routed = "/" not in segment and 0 < len(segment) <= (64 if endpoint[0] == "s" else 256)
    if routed:
        server.request("GET", url(endpoint, query=query))
    else:  # no route: Jupyter's own 404 page, not ours to shape
        assert server.send("GET", url(endpoint, query=query)).code == 404
    server.nothing_written_outside()


(
    test_odd_queries_to_every_read_endpoint,
    test_odd_queries_to_every_read_endpoint_thorough,
) = check_odd_queries_to_every_read_endpoint


# -- paths: never outside the root --------------------------------------------------------


def leaves_the_root_through_a_link(server: Server, path: str) -> bool:
    try:
        full = server.app.paths.to_abs(path)
    except ValueError:
        return False
    root = os.path.realpath(server.root)
    return os.path.commonpath([os.path.realpath(full), root]) != root


@twins(100, path=st.one_of(st.sampled_from(TRAVERSALS), odd_text, odd_text.map("{}.ipynb".format)))
def check_no_path_reaches_outside_the_root(server, path):
    """A path is refused, or it names a notebook under the root; nothing lands outside.

    ``link`` is a symlink in the root to a folder outside it: the history of
    ``link/x.ipynb`` is kept (in the store), and an export next to it is written where
    Jupyter's own contents API writes ``link/...`` (test_symlinks_in_the_root_...).
    """
    cells = [{"id": "c1", "cell_type": "code", "source": "print(1)"}]
    status, answer, _ = server.request(
        "POST", url("document"), json.dumps({"path": path, "cells": cells}).encode()
    )
    if status == 200 and answer["head"]:
        state = answer["head"]
        writes = [("PUT", "labels", {"label": "x"}), ("POST", "restore", {})]
        if not leaves_the_root_through_a_link(server, path):
            writes += [("POST", "export", {"outputs": False}), ("POST", "export", {})]
        for method, endpoint, extra in writes:
            body = {"path": path, "state": state, **extra}
            server.request(method, url(endpoint), json.dumps(body).encode())
    q = urllib.parse.quote(path.encode("utf-8", "surrogatepass"), safe="")
    server.request("GET", url("tree", query=f"path={q}"))
    server.nothing_written_outside()


(
    test_no_path_reaches_outside_the_root,
    test_no_path_reaches_outside_the_root_thorough,
) = check_no_path_reaches_outside_the_root


def test_symlinks_in_the_root_are_followed_as_jupyter_follows_them(server, jp_fetch):
    """A symlink placed in the root (here ``link`` -> a folder outside) is the user's
    choice; Jupyter's contents API reads and writes through it. jupyter-branch does no
    more: POST export of ``link/victim.ipynb`` lands where ``PUT /api/contents/link/...``
    lands, and a path that leaves the root by ``..`` is refused."""
    cells = [{"id": "c1", "cell_type": "code", "source": "1"}]
    body = {"path": "link/victim.ipynb", "cells": cells}
    status, answer, _ = server.request("POST", url("document"), json.dumps(body).encode())
    assert status == 200
    ask = {"path": "link/victim.ipynb", "state": answer["head"]}
    status, made, _ = server.request("POST", url("export"), json.dumps(ask).encode())
    assert status == 201 and made["path"].startswith("link/victim-")
    assert (server.outside / made["path"].split("/")[1]).is_file()
    model = json.dumps({"type": "file", "format": "text", "content": "x"})
    put = jp_fetch("api", "contents", "link", "by-jupyter.txt", method="PUT", body=model)
    assert server.loop.run_until_complete(put).code == 201
    assert (server.outside / "by-jupyter.txt").is_file()
    body["path"] = "link/../../x.ipynb"
    status, answer, _ = server.request("POST", url("document"), json.dumps(body).encode())
    assert status == 400 and "outside the server root" in answer["message"]


# -- lone surrogates through export ---------------------------------------------------------


def test_export_of_a_lone_surrogate_answers_500(server):
    """A source holding a lone surrogate (JSON "\\ud800" from any client) is recorded; GET
    export then sends ``nbformat.writes(nb)`` as UTF-8 and fails (500), and POST export
    cannot save the file (500). Both must answer 2xx (the surrogate replaced) or 4xx."""
    cells = [{"id": "c1", "cell_type": "code", "source": "s = '\ud800'"}]
    body = json.dumps({"path": "sur.ipynb", "cells": cells}).encode()
    status, answer, _ = server.request("POST", url("document"), body)
    assert status == 200
    state = answer["head"]
    got = server.send("GET", url("export", query=f"path=sur.ipynb&state={state}")).code
    ask = json.dumps({"path": "sur.ipynb", "state": state}).encode()
    made = server.send("POST", url("export"), ask).code
    assert (got, made) == (200, 201)
