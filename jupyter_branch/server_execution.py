"""Seeing server-side executions: which cell a ``POST /api/kernels/<id>/execute`` runs.

Extensions that run cells on the server (jupyter-server-nbmodel,
jupyter-server-documents) take them over that route, not the kernel websocket,
and their ``execute_request`` carries no cell id. Our iopub subscription still
sees the execution (IOPub is broadcast); what it lacks is the cell. So the
handler class of every such route is replaced by a subclass that reads the
request body on its way in and tells the recorder what to expect on that
kernel (``Expectation``); the body is never changed and the handler works as
before. The recorder matches an expectation to the execution whose code it is:

- jupyter-server-nbmodel: ``{code, metadata: {cell_id, document_path}}``;
- jupyter-server-documents: ``{document_id, cells: [{cell_id, source_hash}]}``
  with no code (the room reads it from its Y document): the execution is the
  one whose code has that MurmurHash2 (seed 0, of the UTF-8 source, as the
  frontend computes it), and the document id names the file through
  jupyter_server_fileid.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("jupyter_branch")

EXECUTE_ROUTE = re.compile(r"/api/kernels/.*/execute\$?$")
_MASK = 0xFFFFFFFF


@dataclass
class Expectation:
    """An execution a server-side route was asked to run: which cell, which notebook."""

    cell_id: str | None
    api_path: str | None = None
    code: str | None = None
    source_hash: str | None = None
    user: str | None = None  # the request's authenticated user
    at: float = field(default_factory=time.monotonic)

    def matches(self, code: str) -> bool:
        if self.code is not None:
            return self.code == code
        return self.source_hash is not None and self.source_hash == murmur2(code)


def murmur2(text: str) -> str:
    """Return MurmurHash2 (seed 0) of ``text`` as UTF-8, as a decimal string.

    The hash jupyter-server-documents' frontend sends for each cell it runs.
    """
    data = text.encode("utf-8", "surrogatepass")
    m = 0x5BD1E995
    h = len(data) & _MASK
    whole = len(data) - len(data) % 4
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * m) & _MASK
        k ^= k >> 24
        k = (k * m) & _MASK
        h = ((h * m) & _MASK) ^ k
    tail = data[whole:]
    if tail:
        for shift, byte in enumerate(tail):
            h ^= byte << (8 * shift)
        h = (h * m) & _MASK
    h ^= h >> 13
    h = (h * m) & _MASK
    h ^= h >> 15
    return str(h)


def expectations_from_body(
    body: Any, document_path: Callable[[str], str | None]
) -> list[Expectation]:
    """Return what an execute request's JSON body says it will run (empty if unknown).

    ``document_path`` turns a collaboration document id into an API path.
    """
    if not isinstance(body, dict):
        return []
    metadata = body.get("metadata")
    if isinstance(body.get("code"), str):  # jupyter-server-nbmodel
        meta = metadata if isinstance(metadata, dict) else {}
        cell_id, path = meta.get("cell_id"), meta.get("document_path")
        return [
            Expectation(
                cell_id=cell_id if isinstance(cell_id, str) and cell_id else None,
                api_path=path if isinstance(path, str) and path else None,
                code=body["code"],
            )
        ]
    cells, document_id = body.get("cells"), body.get("document_id")
    if isinstance(cells, list):  # jupyter-server-documents
        path = document_path(document_id) if isinstance(document_id, str) else None
        found = []
        for cell in cells:
            if not isinstance(cell, dict) or not isinstance(cell.get("cell_id"), str):
                continue
            source_hash = cell.get("source_hash")
            found.append(
                Expectation(
                    cell_id=cell["cell_id"],
                    api_path=path,
                    source_hash=str(source_hash) if source_hash is not None else None,
                )
            )
        return found
    return []


def user_name(handler: Any) -> str | None:
    """Return the name of the user a request handler serves (None if it cannot tell)."""
    try:
        user = handler.current_user
    except Exception:
        return None
    name = getattr(user, "username", None) or (user if isinstance(user, str) else None)
    return str(name) if name else None


def _rules(router: Any) -> Iterator[Any]:
    for rule in getattr(router, "rules", []) or []:
        target = getattr(rule, "target", None)
        if hasattr(target, "rules"):
            yield from _rules(target)
        else:
            yield rule


def observe_execute_routes(
    web_app: Any, on_request: Callable[[str, Any, str | None], None]
) -> list[str]:
    """Replace the handler of every execute route with an observing subclass.

    ``on_request(kernel_id, body, user)`` is called with each POST's parsed JSON
    body and its user's name before the handler runs. Returns the names of the
    handler classes observed.
    """
    observed = []
    for rule in _rules(getattr(web_app, "default_router", None)):
        matcher = getattr(rule, "matcher", None)
        pattern = getattr(getattr(matcher, "regex", None), "pattern", "")
        target = rule.target
        if not isinstance(target, type) or not EXECUTE_ROUTE.search(pattern):
            continue
        if getattr(target, "_jupyter_branch_observes", None) is not None:
            continue  # observed already
        rule.target = _observing(target, on_request)
        observed.append(f"{target.__module__}.{target.__qualname__}")
    return observed


def _observing(base: type, on_request: Callable[[str, Any, str | None], None]) -> type:
    def observe(handler: Any) -> None:
        if handler.request.method != "POST" or handler._finished:
            return
        user = user_name(handler)
        if user is None:  # not authenticated: the handler refuses it
            return
        kernel_id = handler.path_kwargs.get("kernel_id") or (
            handler.path_args[0] if handler.path_args else None
        )
        if isinstance(kernel_id, bytes):
            kernel_id = kernel_id.decode()
        if isinstance(kernel_id, str):
            on_request(kernel_id, json.loads(handler.request.body or b"null"), user)

    async def prepare(self: Any, *args: Any, **kwargs: Any) -> Any:
        # the handler's own prepare first: it authenticates (and may refuse)
        result = base.prepare(self, *args, **kwargs)  # type: ignore[attr-defined]
        if inspect.isawaitable(result):
            result = await result
        try:
            observe(self)
        except Exception as err:  # the handler must run whatever we make of it
            log.debug("jupyter-branch: could not read a server-side execute request: %s", err)
        return result

    name = f"BranchObserving{base.__name__}"
    return type(name, (base,), {"prepare": prepare, "_jupyter_branch_observes": base})
