"""The kernel websocket wrapper (capture.py) against a real server, kernel and socket."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
from typing import Any

from tests.kernel_client import V1, LabLikeClient, write_notebook


async def open_and_abandon(port: int, path: str, headers: dict[str, str]) -> None:
    """Ask to open a kernel websocket, then hang up before the server has answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        f"Sec-WebSocket-Protocol: {V1}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    await asyncio.sleep(0.05)  # the server is in the connection's prepare: the kernel starts
    writer.close()
    await writer.wait_closed()
    del reader


async def test_a_browser_leaving_while_its_socket_opens_is_no_server_error(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_root_dir: Any,
    jp_http_port: int,
    jp_auth_header: dict[str, str],
    jp_base_url: str,
    caplog: Any,
) -> None:
    """A tab closed (or reloaded) while its kernel socket opens: jupyter_server answers 500
    (``'NoneType' object has no attribute 'kernel_ws_protocol'``) once the kernel replies,
    because the socket's ``on_close`` dropped the connection object meanwhile. The wrapper
    ends such a request quietly: nobody is there to answer."""
    caplog.set_level(logging.DEBUG)
    path = write_notebook(jp_root_dir, "leave.ipynb")
    client = LabLikeClient(jp_fetch, jp_ws_fetch, path)
    body = {"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}}
    r = await jp_fetch("api", "sessions", method="POST", body=json.dumps(body))
    client.kernel_id = json.loads(r.body)["kernel"]["id"]
    # the kernel is starting: a new socket waits for its first kernel_info reply
    url = f"{jp_base_url}api/kernels/{client.kernel_id}/channels?session_id=gone"
    await open_and_abandon(jp_http_port, url, jp_auth_header)
    try:
        await client.connect()
        await client.wait_ready()
        await client.execute("1 + 1", "cell-after")  # the kernel has answered everyone
        await asyncio.sleep(0.5)
    finally:
        client.close()
    messages = [r.getMessage() for r in caplog.records]
    assert [m for m in messages if "session_id=gone" in m], "the server saw the abandoned request"
    errors = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR or "kernel_ws_protocol" in r.getMessage()
    ]
    assert not [e for e in errors if "kernel_ws_protocol" in e or " 500 " in f" {e} "], errors
