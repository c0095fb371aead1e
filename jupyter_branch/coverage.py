"""What jupyter-branch can see on this server, found once every extension is loaded.

Other extensions change how notebooks run: they replace the kernel websocket
connection class, add routes that run cells on the server, hold documents on
the server. ``survey`` looks at the assembled server once (after all
extensions loaded, before the first request), hooks what it can (the execute
routes, the document events), and returns what it sees and what it cannot, in
plain words: the server log says it once, and the status file carries it to
``jupyter branch info``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .capture import sees_requests
from .server_documents import COLLAB_EVENTS, ServerDocuments
from .server_execution import expectations_from_body, observe_execute_routes

if TYPE_CHECKING:
    from .recorder import Recorder
    from .remote import RecorderLink

log = logging.getLogger("jupyter_branch")


@dataclass
class Coverage:
    """What is recorded on this server, and what cannot be."""

    sees: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {"sees": list(self.sees), "misses": list(self.misses)}


def _class_name(cls: Any) -> str:
    return f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', repr(cls))}"


def _document_path(settings: dict[str, Any]) -> Any:
    def path_of(document_id: str) -> str | None:
        manager = settings.get("file_id_manager")
        file_id = document_id.split(":", 2)[-1]
        return None if manager is None else manager.get_path(file_id)

    return path_of


def survey(
    server: Any, recorder: Recorder | RecorderLink | None, documents: ServerDocuments
) -> Coverage:
    """Hook what can be hooked on the assembled server; return what is recorded and what not."""
    found = Coverage()
    web_app = server.web_app
    settings = web_app.settings
    if recorder is None:
        found.misses.append("executions: recording is off (BranchApp.record_executions)")
    else:
        kernels = type(server.kernel_manager).__name__
        if kernels.startswith("Gateway"):
            found.misses.append(
                f"executions: kernels run on a gateway ({kernels}); jupyter-branch records "
                "only kernels whose messages this server can subscribe to"
            )
        else:
            found.sees.append("executions: every output, from the kernels' iopub")
        connection = settings.get("kernel_websocket_connection_class")
        if sees_requests(connection):
            found.sees.append("cells run from a browser: by the cell id in its request")
        else:
            found.misses.append(
                f"cells run from a browser: another extension replaced the kernel websocket "
                f"connection class after jupyter-branch ({_class_name(connection)}); each "
                "run is given to the one cell holding its code, else recorded outside cells"
            )
        path_of = _document_path(settings)

        def note(kernel_id: str, body: Any, user: str | None) -> None:
            found = expectations_from_body(body, path_of)
            for expectation in found:
                expectation.user = user
            recorder.note_server_request(kernel_id, found)

        routes = observe_execute_routes(web_app, note)
        for name in routes:
            found.sees.append(f"cells run on the server: by the cell id in requests to {name}")
    provider = documents.provider
    if provider is not None:
        try:
            server.event_logger.add_listener(schema_id=COLLAB_EVENTS, listener=documents.on_event)
            found.sees.append(f"edits: from the server's copy of each notebook ({provider})")
        except Exception as err:
            found.misses.append(
                f"edits: the server holds documents ({provider}) but jupyter-branch cannot "
                f"follow them ({err}); edits are recorded from browsers only"
            )
    else:
        found.sees.append("edits: from each browser's reports (JupyterLab, Notebook 7)")
    return found


def log_coverage(found: Coverage, logger: Any = log) -> None:
    """Say once, in the server log, what is recorded and what cannot be."""
    for line in found.sees:
        logger.info("jupyter-branch records %s", line)
    for line in found.misses:
        logger.warning("jupyter-branch cannot see everything: %s", line)
