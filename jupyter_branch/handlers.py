"""REST handlers under ``/jupyter-branch/api/``: read the request, call the service, answer.

Every method is ``@tornado.web.authenticated`` and ``@authorized`` against the
resource ``jupyter_branch`` (GET reads, other methods write). Notebook paths are
API paths under the server root; one that leaves the root is refused with 400.
Errors are ``{"message": ...}`` with the HTTP status, in plain words. The wire
format is in docs/rest-api.md and rest-api.schema.json (in this package). The
routes include the ``live`` websocket, whose handler is live.py's.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import posixpath
from typing import Any

import tornado
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import ensure_async, url_path_join
from tornado.web import HTTPError

from . import __version__
from .export import notebook_json, writable_notebook
from .paths import PathOutsideRoot
from .server_execution import user_name
from .service import BadRequest, document_cells_with_outputs, validate_cells
from .store.queries import Ambiguous, NotFound, SearchUnavailable
from .store.writer import (
    BacklogFull,
    StoreUnavailable,
    describe_store_error,
    is_store_failure,
)
from .threaded import iterate_in_thread

AUTH_RESOURCE = "jupyter_branch"


class BranchHandler(ExtensionHandlerMixin, APIHandler):
    auth_resource = AUTH_RESOURCE

    @property
    def branch(self) -> Any:
        return self.extensionapp

    def service(self) -> Any:
        return self.branch.service

    def notebook_path(self, api_path: str | None) -> str:
        if not api_path:
            raise HTTPError(400, reason="the notebook path is missing (?path=...)")
        try:
            return str(self.branch.paths.to_abs(api_path))
        except PathOutsideRoot as err:
            raise HTTPError(400, reason=str(err)) from None

    def read_target(self) -> tuple[str, str | None]:
        """Return the notebook a read names, and whose: ``path`` (an API path under the
        root); or, with ``owner`` (another user, who shared it), the absolute path of
        that owner's notebook, which need not be under this server's root."""
        api_path = self.get_query_argument("path", "")
        owner = self.get_query_argument("owner", "")
        if not owner or owner == self.service().owner:
            return self.notebook_path(api_path), None
        if not api_path.startswith("/") or "\x00" in api_path:
            raise HTTPError(400, reason="a shared notebook is named by its owner's absolute path")
        return api_path, owner

    def required(self, value: Any, name: str) -> str:
        """Return a required string parameter. Raises HTTP 400 naming it."""
        if not isinstance(value, str) or not value.strip():
            raise HTTPError(400, reason=f"the parameter {name!r} is missing")
        return value.strip()

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise HTTPError(400, reason="the request body is not valid JSON") from None
        except RecursionError:
            raise HTTPError(400, reason="the request body is nested too deeply") from None
        if not isinstance(data, dict):
            raise HTTPError(400, reason="the request body must be a JSON object")
        return data

    async def call(self, fn: Any, *args: Any) -> Any:
        """Run a service call off the event loop, mapping its errors to HTTP statuses."""
        return await self.answer(asyncio.get_running_loop().run_in_executor(None, fn, *args))

    async def answer(self, awaitable: Any) -> Any:
        """Await a result (a writer operation's too), mapping errors to HTTP statuses."""
        try:
            result = await awaitable
            if isinstance(result, concurrent.futures.Future):  # a writer operation
                result = await asyncio.wrap_future(result)
            return result
        except NotFound as err:
            raise HTTPError(404, reason=str(err)) from None
        except (Ambiguous, BadRequest, LookupError) as err:
            raise HTTPError(400, reason=str(err).strip("'\"")) from None
        except (BacklogFull, StoreUnavailable) as err:
            raise HTTPError(503, reason=str(err)) from None
        except SearchUnavailable as err:
            raise HTTPError(501, reason=str(err)) from None
        except HTTPError:
            raise
        except Exception as err:
            self.log.exception("jupyter-branch request failed")
            if is_store_failure(err):
                problem = self.branch.writer.problem or describe_store_error(err)
                raise HTTPError(503, reason=problem) from None
            raise HTTPError(
                500, reason=f"jupyter-branch could not answer this request: {err}"
            ) from None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = self._reason
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, HTTPError) and exc.reason:
            reason = exc.reason
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": reason}))


class InfoHandler(BranchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        writer = self.branch.writer
        answer: dict[str, Any] = {
            "version": __version__,
            "ok": writer.problem is None,
            "message": writer.problem,
            "writer": {
                "backlog": writer.backlog,
                "committed": writer.committed_ops,
                "refused": self.branch.refused_writes(),
            },
            "store": None,
            "coverage": self.branch.take_survey().as_dict(),
        }
        try:
            answer["store"] = await self.call(self.service().info)
        except HTTPError as err:
            answer["ok"], answer["message"] = False, err.reason
        self.finish(answer)


class NotebooksHandler(BranchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        rows = await self.call(self.service().notebooks)
        paths = self.branch.paths
        notebooks = []
        for row in rows:
            abs_path = row.pop("abs_path")
            # a shared history is named by its owner's path (read with ?owner=...)
            api = abs_path if row["shared"] else paths.to_api(abs_path)
            if api is not None:
                notebooks.append({"path": api, **row})
        self.finish({"notebooks": notebooks})


class TreeHandler(BranchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        api_path = self.get_query_argument("path", "")
        abs_path, of = self.read_target()
        since = _int(self.get_query_argument("since", "0"), "since")
        service = self.service()
        # The states come encoded by the store, a page at a time, read in one
        # transaction on a thread of their own (threaded.py): spliced in (not
        # re-encoded) and sent as they come, so a request holds a few pages in
        # memory whatever the size of the history.
        pages = iterate_in_thread(lambda: service.log_pages(abs_path, since, of))
        async with contextlib.aclosing(pages):
            try:
                page = await self.answer(anext(pages))
            except HTTPError as err:
                if err.status_code != 404:
                    raise
                # a notebook without history yet is not an error for a viewer
                page = {"head": None, "running": [], "deleted": False, "states_json": b"[]"}
            summary = {k: page[k] for k in ("head", "running", "deleted")}
            head = json.dumps({"notebook": api_path, **summary}, separators=(",", ":"))
            self.set_header("Content-Type", "application/json")
            self.write(f'{head[:-1]},"states":[')
            sep = b""
            while page is not None:
                inner = page["states_json"][1:-1]  # UTF-8, as the store encoded it
                if inner:
                    self.write(sep + inner)
                    sep = b","
                page = await self.answer(anext(pages, None))
                if page is not None:
                    await self.flush()
        self.finish("]}")


class StateHandler(BranchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, state: str) -> None:
        abs_path, of = self.read_target()
        self.finish(await self.call(self.service().state, abs_path, state, of))


class CellHistoryHandler(BranchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self, cell_id: str) -> None:
        api_path = self.get_query_argument("path", "")
        abs_path, of = self.read_target()
        limit = _int(self.get_query_argument("limit", "100"), "limit")
        found = await self.call(self.service().cell_history, abs_path, cell_id, limit, of)
        self.finish({"notebook": api_path, "cell_id": cell_id, **found})


class SearchHandler(BranchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        """Search one notebook's history, or (without ``path``) every notebook's under the root."""
        api_path = self.get_query_argument("path", "")
        abs_path = self.notebook_path(api_path) if api_path else None
        query = self.required(self.get_query_argument("q", ""), "q")
        limit = _int(self.get_query_argument("limit", "50"), "limit")
        found = await self.call(self.service().search, abs_path, query, limit)
        matches = []
        for match in found:
            notebook = self.branch.paths.to_api(match.pop("abs_path"))
            if notebook is not None:
                matches.append({"notebook": notebook, **match})
        self.finish({"notebook": api_path or None, "query": query, "matches": matches})


class ExportHandler(BranchHandler):
    async def with_kernelspec(self, nb: Any, abs_path: str) -> Any:
        """Name the kernel the notebook runs with when the state names none.

        A notebook made in Lab carries its kernelspec only after the first
        save; an export without one makes Lab ask which kernel to start.
        """
        if "kernelspec" in nb.metadata:
            return nb
        try:
            api_path = self.branch.paths.to_api(abs_path)
            session: dict[str, Any] = await self.session_manager.get_session(path=api_path)
            kernel_name = session["kernel"]["name"]
            spec = await ensure_async(self.kernel_spec_manager.get_kernel_spec(kernel_name))
        except Exception:  # no session or no such spec: the export stays as it is
            return nb
        nb.metadata["kernelspec"] = {
            "name": kernel_name,
            "display_name": spec.display_name,
            "language": spec.language,
        }
        return nb

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        abs_path, of = self.read_target()
        state = self.required(self.get_query_argument("state", ""), "state")
        outputs = self.get_query_argument("outputs", "1") not in ("0", "false", "no")
        nb = await self.call(self.service().export, abs_path, state, outputs, of)
        if of is None:
            nb = await self.with_kernelspec(nb, abs_path)
        self.set_header("Content-Type", "application/json")
        self.finish(notebook_json(nb))

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        """Write the export as a new notebook next to the original; answer its path."""
        body = self.body()
        abs_path = self.notebook_path(body.get("path"))
        outputs = body.get("outputs", True)
        if not isinstance(outputs, bool):
            raise HTTPError(400, reason="outputs must be true or false")
        state = self.required(body.get("state"), "state")
        nb = await self.call(self.service().export, abs_path, state, outputs)
        nb = await self.with_kernelspec(nb, abs_path)
        state_id = await self.call(self.service().resolve, abs_path, state)
        cm = self.contents_manager
        api_path = self.branch.paths.to_api(abs_path) or ""
        folder, name = posixpath.split(api_path)
        if folder and not await ensure_async(cm.dir_exists(folder)):
            folder = ""  # the notebook's folder is gone: export to the root
        stem = name[:-6] if name.endswith(".ipynb") else name
        suffix = "" if outputs else "-no-outputs"
        filename = f"{stem}-{state_id[:8]}{suffix}.ipynb"
        filename = await ensure_async(cm.increment_filename(filename, folder, insert="-"))
        target = url_path_join(folder, filename) if folder else filename
        model = {"type": "notebook", "format": "json", "content": writable_notebook(nb)}
        await ensure_async(cm.save(model, target))
        self.set_status(201)
        self.finish({"path": target, "state": state_id, "outputs": outputs})


class DiffHandler(BranchHandler):
    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        abs_path, of = self.read_target()
        a = self.required(self.get_query_argument("a", ""), "a")
        b = self.required(self.get_query_argument("b", ""), "b")
        self.finish(await self.call(self.service().diff, abs_path, a, b, None, of))

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        """Diff a state against cells sent in the body (the open document)."""
        body = self.body()
        abs_path = self.notebook_path(body.get("path"))
        a = self.required(body.get("a"), "a")
        try:
            cells = document_cells_with_outputs(body.get("cells"))
        except BadRequest as err:
            raise HTTPError(400, reason=str(err)) from None
        self.finish(await self.call(self.service().diff, abs_path, a, None, cells))


class DocumentHandler(BranchHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body()
        abs_path = self.notebook_path(body.get("path"))
        if not abs_path.endswith(".ipynb"):
            raise HTTPError(400, reason="only notebooks (.ipynb) have a history")
        documents = self.branch.documents
        if documents.holds(abs_path):
            # the server's copy is the source; the browser's report says "now"
            try:
                expected = validate_cells(body.get("cells"))
            except BadRequest as err:
                raise HTTPError(400, reason=str(err)) from None
            result = await self.answer(documents.report_now(abs_path, expected))
            self.finish({**result, "source": "server"})
            return
        result = await self.call(
            self.service().report_document, abs_path, body.get("cells"), user_name(self)
        )
        self.finish({**result, "source": "browser"})


class RestoreHandler(BranchHandler):
    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body()
        abs_path = self.notebook_path(body.get("path"))
        cell_id = body.get("cell_id")
        if cell_id is not None and not isinstance(cell_id, str):
            raise HTTPError(400, reason="cell_id must be a string")
        state = self.required(body.get("state"), "state")
        result = await self.call(self.service().restore, abs_path, state, cell_id)
        self.finish(result)


class LabelHandler(BranchHandler):
    @tornado.web.authenticated
    @authorized
    async def put(self) -> None:
        body = self.body()
        abs_path = self.notebook_path(body.get("path"))
        state = self.required(body.get("state"), "state")
        stored = await self.call(self.service().label, abs_path, state, body.get("label"))
        self.finish(stored)


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise HTTPError(400, reason=f"{name} must be an integer") from None


STATE_ID = r"(?P<state>[^/]{1,64})"  # checked by the resolver, so errors are JSON
CELL_ID = r"(?P<cell_id>[^/]{1,256})"


def handlers(base_url: str = "/") -> list[tuple[str, type]]:
    """Return the routes, rooted at ``base_url``."""
    from .live import LiveHandler  # live.py takes this module's AUTH_RESOURCE

    api = url_path_join(base_url, "jupyter-branch", "api")
    return [
        (url_path_join(api, "info"), InfoHandler),
        (url_path_join(api, "notebooks"), NotebooksHandler),
        (url_path_join(api, "tree"), TreeHandler),
        (url_path_join(api, "states", STATE_ID), StateHandler),
        (url_path_join(api, "cells", CELL_ID), CellHistoryHandler),
        (url_path_join(api, "search"), SearchHandler),
        (url_path_join(api, "export"), ExportHandler),
        (url_path_join(api, "diff"), DiffHandler),
        (url_path_join(api, "document"), DocumentHandler),
        (url_path_join(api, "restore"), RestoreHandler),
        (url_path_join(api, "labels"), LabelHandler),
        (url_path_join(api, "live"), LiveHandler),
    ]
