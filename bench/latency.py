"""3. History latency at 100 to 100,000 states, through the REST API.

For each size, a real server is started on a copy of the synthetic store
(``synth.py``) and asked what the panel and a user ask: the log (``GET tree``,
all states), a hot cell's history (``GET cells/<id>``, its default page: the
newest 100 of 500 versions), the export of the last (200-cell) state (``GET export``), and a
restore's payload (``POST restore`` of that state: the answer carries all 200
cells). Each is timed over a kept-alive connection, after one untimed call;
the median and range are reported, and the first (cold) call separately.
The server's resident memory is read after it started and after the requests.
The command line on the same stores is ``cli.py``'s section.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nbformat

from . import synth
from .servers import Server
from .stats import summary

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = "bench.ipynb"


def cache_key() -> str:
    """Changes whenever the store's code or the generator changes: then stores are remade."""
    h = hashlib.sha256(str(synth.FORMAT_VERSION).encode())
    for path in [
        *sorted((REPO / "jupyter_branch").glob("store/*.py")),
        REPO / "jupyter_branch" / "model.py",
        REPO / "bench" / "synth.py",
    ]:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def synthetic_stores(cache: Path, sizes: list[int], fresh: bool, log: Any) -> dict[int, Any]:
    """Return the generated stores (from the cache when the store code did not change)."""
    folder = cache.resolve() / f"synthetic-{cache_key()}"
    index = folder / "index.json"
    if not fresh and index.exists():
        made = {int(k): v for k, v in json.loads(index.read_text()).items()}
        if all(s in made and Path(made[s]["path"]).exists() for s in sizes):
            log(f"  using cached synthetic stores in {folder}")
            return made
    for old in cache.glob("synthetic-*"):
        shutil.rmtree(old, ignore_errors=True)
    made = synth.generate(folder, "/synthetic/" + NOTEBOOK, sizes, log=log)
    index.write_text(json.dumps(made, indent=1))
    return made


def serve_copy(store: dict[str, Any], base: Path, name: str) -> Server:
    """A server on a private copy of ``store``, its notebook moved into the server's root."""
    db = base / f"{name}.sqlite"
    shutil.copyfile(store["path"], db)
    server = Server(name, branch=True, db_url=f"sqlite:///{db}", base=base)
    nb_path = server.root / NOTEBOOK
    nbformat.write(nbformat.from_dict(synth.initial_notebook()), str(nb_path))
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE notebooks SET abs_path = ?", (str(nb_path.resolve()),))
    conn.close()
    return server


class Client:
    """Keep-alive HTTP to one server, timing whole responses (body read)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)

    def call(self, method: str, path: str, body: Any = None) -> tuple[float, int]:
        headers = {"Authorization": f"token {self.server.token}"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        start = time.perf_counter()
        self.conn.request(method, path, body=payload, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - start
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return elapsed, len(data)

    def close(self) -> None:
        self.conn.close()


def time_call(client: Client, repeat: int, method: str, path: str, body: Any = None) -> Any:
    first, nbytes = client.call(method, path, body)
    times = [client.call(method, path, body)[0] for _ in range(repeat)]
    return {**summary(times), "first": first, "bytes": nbytes}


def measure_size(store: dict[str, Any], base: Path, repeat: int, log: Any) -> dict[str, Any]:
    server = serve_copy(store, base, f"states-{store['states']}")
    try:
        server.start()
        rss_start = server.rss()
        client = Client(server)
        path = quote(NOTEBOOK)
        state, cell = store["last_state"], store["hot_cell"]
        api = {
            "log": time_call(client, repeat, "GET", f"/jupyter-branch/api/tree?path={path}"),
            "cell_history": time_call(
                client, repeat, "GET", f"/jupyter-branch/api/cells/{cell}?path={path}"
            ),
            "export": time_call(
                client, repeat, "GET", f"/jupyter-branch/api/export?path={path}&state={state}"
            ),
            "restore": time_call(
                client,
                repeat,
                "POST",
                "/jupyter-branch/api/restore",
                {"path": NOTEBOOK, "state": state},
            ),
        }
        rss_after = server.rss()
        client.close()
        log(
            f"  {store['states']:>6} states: log {api['log']['median'] * 1000:.0f} ms, "
            f"cell {api['cell_history']['median'] * 1000:.0f} ms, "
            f"export {api['export']['median'] * 1000:.0f} ms, "
            f"restore {api['restore']['median'] * 1000:.0f} ms, "
            f"RSS {rss_after / 1e6:.0f} MB"
        )
        return {
            "states": store["states"],
            "store_bytes": store["bytes"],
            "api": api,
            "rss_start": rss_start,
            "rss_after": rss_after,
        }
    finally:
        server.stop()


def sizes_for(quick: bool) -> list[int]:
    return [100, 1_000, 10_000] if quick else [100, 1_000, 10_000, 100_000]


def measure(quick: bool, stores: dict[int, Any], cache: Path, log: Any) -> dict[str, Any]:
    """Time the API on each synthetic store; read the server's memory."""
    sizes = sizes_for(quick)
    repeat = 5 if quick else 9
    base = cache / "run"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    try:
        rows = [measure_size(stores[s], base, repeat, log) for s in sizes]
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return {
        "sizes": sizes,
        "rows": rows,
        "generation_seconds": {s: stores[s]["seconds"] for s in sizes},
    }
