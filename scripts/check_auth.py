"""Start a real Jupyter server with jupyter-branch and fail if any of its routes answers
without credentials.

A notebook with history is made first (with the token), so every request names
real things: any route that let a request through would answer 200. Then every
route of ``jupyter_branch.handlers.handlers()`` is requested with every HTTP
method, without credentials and with wrong ones (a wrong token in the header, in
the query, a forged login cookie), each with a matching XSRF cookie and header (a
direct client can always send one; without it Jupyter's XSRF check, not the
handler's authentication, would be what refuses writes). The only acceptable
answers are 401/403 (refused) and 405 (no such method: no handler code runs). A
2xx, 3xx, or any other status (a 400 or 404 means the handler ran) is an
offender: the script lists them and exits 1. With the token, every GET route
must answer 200, so the check is not vacuous. A websocket route (``live``) is
asked with a websocket handshake, and must answer 101 to the token.

The server runs with ``allow_unauthenticated_access`` on, Jupyter's default, so
what refuses a request is each handler's own decorators, not a server-wide gate.
OPTIONS is the CORS preflight that Jupyter's APIHandler answers for every API
route without credentials (browsers send preflights without them); it passes only
when it answers exactly as Jupyter's own ``/api/contents`` does (same status,
empty body, no ``Access-Control-Allow-Origin``).

Usage: python scripts/check_auth.py [--timeout SECONDS]
Exit status: 0 all refused, 1 offenders (or nothing answered with the token),
2 the server could not be run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# the checkout's package, installed or not (the server below gets the same path)
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tornado.websocket import WebSocketHandler  # noqa: E402

from jupyter_branch.handlers import handlers  # noqa: E402

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
HANDSHAKE = {  # what a browser sends to open a websocket (RFC 6455)
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}
NOTEBOOK = "check.ipynb"
CELLS = [{"id": "c1", "cell_type": "code", "source": "1"}]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def routes(state: str = "0123abcd") -> list[tuple[str, type]]:
    """Return (URL path, handler) for every route, its groups filled with real values."""
    samples = {"state": state, "cell_id": CELLS[0]["id"]}
    found = []
    for pattern, handler in handlers("/"):
        url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: samples[m.group(1)], pattern)
        if not re.fullmatch(pattern, url):
            raise SystemExit(f"check_auth: cannot make a URL for the route {pattern!r}")
        found.append((url, handler))
    return found


def request(
    port: int, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> tuple[int, bytes]:
    """One request, redirects not followed (a 3xx is an answer too)."""
    status, answer, _ = request_with_headers(port, method, path, headers, body)
    return status, answer


def request_with_headers(
    port: int, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> tuple[int, bytes, http.client.HTTPMessage]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), response.headers
    finally:
        conn.close()


def start_server(port: int, token: str, top: Path) -> subprocess.Popen[bytes]:
    root = top / "root"
    root.mkdir()
    env = {
        **os.environ,
        "JUPYTER_DATA_DIR": str(top / "data"),
        "JUPYTER_CONFIG_DIR": str(top / "config"),
        "JUPYTER_RUNTIME_DIR": str(top / "runtime"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    command = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False",
        f"--IdentityProvider.token={token}",
        "--ServerApp.allow_unauthenticated_access=True",
        "--ServerApp.jpserver_extensions=jupyter_branch=True",
    ]
    if hasattr(os, "getuid") and os.getuid() == 0:
        command.append("--allow-root")
    log = open(top / "server.log", "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_until_up(server: subprocess.Popen[bytes], port: int, token: str, deadline: float) -> None:
    """Wait until the extension answers with the token (its store open)."""
    auth = {"Authorization": f"token {token}"}
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            status, body = request(port, "GET", "/jupyter-branch/api/info", auth)
            if status == 200 and json.loads(body).get("ok"):
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise TimeoutError("the server did not answer in time")


def seed(port: int, token: str) -> str:
    """Make a notebook's history with the token; return its state id."""
    body = json.dumps({"path": NOTEBOOK, "cells": CELLS})
    auth = {"Authorization": f"token {token}"}
    status, answer = request(port, "POST", "/jupyter-branch/api/document", auth, body)
    if status != 200:
        raise RuntimeError(f"could not make a history with the token: {status} {answer[:200]!r}")
    return str(json.loads(answer)["head"])


def check(port: int, token: str) -> tuple[list[str], dict[str, int], int, list[str]]:
    """Return the offenders, the statuses seen without valid credentials, how many requests
    were made, and the GET routes that answered 200 with the token."""
    state = seed(port, token)
    query = f"?path={NOTEBOOK}&state={state}&a={state}&b={state}&q=1"
    body = json.dumps({"path": NOTEBOOK, "cells": CELLS, "state": state, "a": state, "label": "x"})
    xsrf = {"Cookie": "_xsrf=check", "X-XSRFToken": "check"}
    forged = {"Cookie": f"username-127-0-0-1-{port}=forged; _xsrf=check"}
    wrong = {
        "no credentials": ({**xsrf}, ""),
        "wrong token": ({**xsrf, "Authorization": "token not-the-token"}, ""),
        "wrong token in the query": ({**xsrf}, "&token=not-the-token"),
        "forged cookie": ({**xsrf, **forged}, ""),
    }
    jupyter_preflight = request(port, "OPTIONS", "/api/contents", {})
    offenders, statuses, count = [], {}, 0
    for url, handler in routes(state):
        for method in METHODS:
            data = body if method in ("POST", "PUT", "PATCH") else None
            for name, (headers, extra) in wrong.items():
                target = url + query + extra
                if method == "GET" and issubclass(handler, WebSocketHandler):
                    headers = {**headers, **HANDSHAKE}
                status, answer, seen = request_with_headers(port, method, target, headers, data)
                count += 1
                statuses[f"{method} {status}"] = statuses.get(f"{method} {status}", 0) + 1
                preflight = (
                    method == "OPTIONS"
                    and (status, answer) == jupyter_preflight
                    and not answer
                    and "Access-Control-Allow-Origin" not in seen
                )
                if status not in (401, 403, 405) and not preflight:
                    offenders.append(f"{method} {url} ({name}): {status} {answer[:60]!r}")
    auth = {"Authorization": f"token {token}"}
    answered = []
    for url, handler in routes(state):
        if issubclass(handler, WebSocketHandler):
            if request(port, "GET", url, {**auth, **HANDSHAKE})[0] == 101:
                answered.append(url)
        elif "get" in vars(handler) and request(port, "GET", url + query, auth)[0] == 200:
            answered.append(url)
    return offenders, statuses, count, answered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=120, help="seconds for the whole check")
    args = parser.parse_args()
    deadline = time.monotonic() + args.timeout
    token = secrets.token_hex(24)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="check-auth-") as tmp:
        server = start_server(port, token, Path(tmp))
        try:
            wait_until_up(server, port, token, deadline)
            offenders, statuses, count, reached = check(port, token)
            if time.monotonic() > deadline:
                raise TimeoutError("the check took longer than its timeout")
        except Exception as err:
            log = (Path(tmp) / "server.log").read_text(errors="replace")[-3000:]
            print(f"check_auth: {err}\n--- server log (end) ---\n{log}", file=sys.stderr)
            return 2
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(10)
    n_routes = len(routes())
    print(
        f"check_auth: {n_routes} routes x {len(METHODS)} methods x 4 kinds of wrong "
        f"credentials = {count} requests; answers: "
        + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    )
    gets = [url for url, handler in routes() if "get" in vars(handler)]  # a websocket's too
    if len(reached) != len(gets):
        print(
            f"check_auth: FAILED: with the token only {len(reached)} of {len(gets)} GET routes "
            "answered 200 (a websocket 101), so a refusal above may not be authentication",
            file=sys.stderr,
        )
        return 1
    if offenders:
        print(f"check_auth: FAILED: {len(offenders)} answers without credentials:", file=sys.stderr)
        for line in offenders:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(
        "check_auth: OK: no route answered without credentials (OPTIONS: the empty CORS "
        f"preflight Jupyter's own routes answer); with the token, all {len(reached)} GET "
        "routes answer 200 (the websocket 101)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
