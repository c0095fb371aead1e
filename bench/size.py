"""2. Store size of a realistic research session, against what else could keep it.

The session of ``session_script`` runs for real: a server with the extension,
an ipykernel, cells executed over the websocket with ``cellId`` and, like
JupyterLab's reporter, a ``POST document`` before an execution whenever the
sources changed (and after markdown is written); a save every 20 executions,
as autosave would. The client keeps the notebook as JupyterLab does, which
gives the two references:

- (a) a full .ipynb copy per execution: the notebook as saved (nbformat,
  indent 1) after each execution, sizes added up;
- (b) the floor: every distinct piece of content the session produced (each
  cell source version, each output, the notebook metadata), each compressed
  with zlib (level 6, what the store uses), sizes added up. Also reported: all
  of it as one zlib stream (level 9), which also squeezes what pieces share.

The store is measured as the file on disk after the server stopped (SQLite
folds the WAL back in on close), with its schema, indexes and search index.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import zlib
from pathlib import Path
from typing import Any

import nbformat

from .lab_client import Kernel, OutputModel
from .servers import Server
from .session_script import Step, steps

NOTEBOOK = "session.ipynb"
SAVE_EVERY = 20


def strip_overwritten(text: str) -> str:
    """Apply carriage returns as JupyterLab's output model does (keep what a line ends as)."""
    if "\r" not in text:
        return text
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rsplit("\r", 1)[-1] for line in lines)


class LabNotebook:
    """The notebook as the JupyterLab client holds it, and what the references need."""

    def __init__(self) -> None:
        self.nb = nbformat.v4.new_notebook()
        self.nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        self.nb.metadata["language_info"] = {"name": "python"}
        self.unique: set[bytes] = set()
        self.ipynb_bytes: list[int] = []
        self._remember(json.dumps(self.nb.metadata, sort_keys=True).encode())

    def _remember(self, data: bytes) -> None:
        self.unique.add(data)

    def cell(self, cell_id: str) -> Any:
        return next((c for c in self.nb.cells if c.id == cell_id), None)

    def apply(self, step: Step) -> bool:
        """Put the step's source into the notebook; return True if the sources changed."""
        cell = self.cell(step.cell_id)
        if cell is None:
            new = (
                nbformat.v4.new_code_cell(step.source, id=step.cell_id)
                if step.cell_type == "code"
                else nbformat.v4.new_markdown_cell(step.source, id=step.cell_id)
            )
            at = len(self.nb.cells)
            if step.after is not None:
                at = self.nb.cells.index(self.cell(step.after)) + 1
            self.nb.cells.insert(at, new)
            changed = True
        else:
            changed = cell.source != step.source
            cell.source = step.source
        self._remember(step.source.encode())
        return changed

    def executed(self, cell_id: str, outputs: OutputModel) -> None:
        cell = self.cell(cell_id)
        for out in outputs.outputs:
            if out["output_type"] == "stream":
                out["text"] = strip_overwritten(out["text"])
        cell.outputs = [nbformat.from_dict(o) for o in outputs.outputs]
        cell.execution_count = outputs.execution_count
        for out in outputs.outputs:
            self._remember(json.dumps(out, sort_keys=True).encode())
        self.ipynb_bytes.append(len(self.text().encode()))

    def text(self) -> str:
        return nbformat.writes(self.nb)

    def report(self) -> list[dict[str, str]]:
        return [{"id": c.id, "cell_type": c.cell_type, "source": c.source} for c in self.nb.cells]

    def floor(self) -> dict[str, int]:
        pieces = sorted(self.unique)
        return {
            "pieces": len(pieces),
            "raw_bytes": sum(len(p) for p in pieces),
            "zlib_each": sum(len(zlib.compress(p, 6)) for p in pieces),
            "zlib_stream": len(zlib.compress(b"\n".join(pieces), 9)),
        }


async def run_session(
    server: Server,
    *,
    kernel_name: str = "python3",
    prelude: list[str] | None = None,
    report: bool = True,
    save_after_each: bool = False,
    log: Any = print,
) -> LabNotebook:
    """Run the session in ``server``; return the client's notebook and references."""
    doc = LabNotebook()
    nbformat.write(doc.nb, str(server.root / NOTEBOOK))
    kernel = await Kernel(server, NOTEBOOK).start(kernel_name)
    last_report: Any = None
    runs = 0

    async def post_document() -> None:
        nonlocal last_report
        cells = doc.report()
        if report and cells != last_report:
            await asyncio.to_thread(
                server.request,
                "POST",
                "jupyter-branch/api/document",
                {"path": NOTEBOOK, "cells": cells},
            )
            last_report = cells

    try:
        for code in prelude or []:
            await kernel.execute(code, None)
        for step in steps():
            doc.apply(step)
            await post_document()
            if step.cell_type != "code":
                continue
            outputs = OutputModel()
            await kernel.execute(step.source, step.cell_id, outputs)
            doc.executed(step.cell_id, outputs)
            runs += 1
            if save_after_each or runs % SAVE_EVERY == 0:
                await asyncio.to_thread(save, server, doc)
        await asyncio.to_thread(save, server, doc)
        log(f"  session: {runs} executions, {len(doc.nb.cells)} cells")
        return doc
    finally:
        kernel.close()


def save(server: Server, doc: LabNotebook) -> None:
    """Save the notebook through the contents API, as JupyterLab's save does."""
    model = {"type": "notebook", "format": "json", "content": json.loads(doc.text())}
    server.request("PUT", f"api/contents/{NOTEBOOK}", model)


def empty_store_bytes(folder: Path) -> int:
    """Size of a fresh store: the schema, indexes and search index, no history."""
    from jupyter_branch.store.engine import open_store

    engines = open_store(f"sqlite:///{folder}/empty.sqlite")
    engines.dispose()
    return (folder / "empty.sqlite").stat().st_size


def wait_idle(server: Server) -> dict[str, Any]:
    """Wait until the server's writer has nothing queued and nothing is running."""
    info = server.get("jupyter-branch/api/info")
    for _ in range(300):
        info = server.get("jupyter-branch/api/info")
        if info["writer"]["backlog"] == 0 and info["store"]["running"] == 0:
            break
        time.sleep(0.1)
    return info


async def measure(quick: bool, log: Any, keep: Path | None = None) -> dict[str, Any]:
    """Run the session; measure the store; copy it to ``keep`` (for a look) if given."""
    server = Server("size", branch=True).start()
    try:
        doc = await run_session(server, log=log)
        await asyncio.sleep(1.5)  # the last execution's write, and the watcher
        info = await asyncio.to_thread(wait_idle, server)
        live_bytes = info["store"]["size_bytes"]
        tree = await asyncio.to_thread(server.get, f"jupyter-branch/api/tree?path={NOTEBOOK}")
        server.stop(keep=True)
        store_bytes = server.store_path.stat().st_size
        if keep is not None:
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(server.store_path, keep)
        empty = empty_store_bytes(server.base)
        events: dict[str, int] = {}
        for s in tree["states"]:
            events[s["event"]] = events.get(s["event"], 0) + 1
        floor = doc.floor()
        ipynb_total = sum(doc.ipynb_bytes)
        return {
            "executions": len(doc.ipynb_bytes),
            "cells": len(doc.nb.cells),
            "states": len(tree["states"]),
            "events": events,
            "store_bytes": store_bytes,
            "store_live_bytes": live_bytes,
            "empty_store_bytes": empty,
            "store_content_bytes": info["store"]["content_bytes"],
            "store_compressed_bytes": info["store"]["stored_bytes"],
            "ipynb_copies_bytes": ipynb_total,
            "ipynb_final_bytes": doc.ipynb_bytes[-1],
            "floor": floor,
            "ratio_ipynb": ipynb_total / store_bytes,
            "ratio_floor": store_bytes / floor["zlib_each"],
            "ratio_floor_stream": store_bytes / floor["zlib_stream"],
        }
    finally:
        server.stop()
