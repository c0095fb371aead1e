"""What the parts of ``History`` rely on one another for, declared once.

``History`` (store/history.py) is one class in four modules: ``files.py``,
``displays.py`` and ``operations.py`` each hold a part of it as a mixin. Each
part derives from ``HistoryBase``, which says to type checkers which attributes
and methods ``History`` provides them, and holds the one thing two parts make
alike: an execution's ``execute`` state (``make_execute_state``).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .. import model

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from ..model import CellRef, Execution
    from .content import ContentWriter
    from .displays import Displays
    from .history import Head


class HistoryBase:
    """The attributes and methods of ``History`` its parts use (for type checkers)."""

    def make_execute_state(
        self,
        conn: Connection,
        nb_id: int,
        cells: Sequence[CellRef],
        head: Head,
        ex: Execution,
        code_blob: int,
        outputs_blob: int,
        **columns: Any,
    ) -> str:
        """Insert the ``execute`` state recording ``ex`` with ``cells``, a child of
        ``head`` (``columns``: what else the state says, its cell for one); return its id."""
        return self.make_state(
            conn,
            nb_id,
            "execute",
            cells,
            parent=head,
            created=ex.ended or time.time(),
            execution_count=ex.execution_count,
            status=ex.status,
            started=ex.started,
            ended=ex.ended,
            code_blob=code_blob,
            outputs_blob=outputs_blob,
            kernel_id=ex.kernel_id,
            preview=model.preview(ex.code),
            **columns,
        )

    if TYPE_CHECKING:
        owner: str
        server: str
        content: ContentWriter
        displays: Displays
        read_notebook: Callable[[str], dict[str, Any] | None]
        heads: OrderedDict[int, Head]
        notebooks: OrderedDict[str, int]
        paths: dict[int, str]
        progressed: set[str]

        def notebook_id(
            self, conn: Connection, abs_path: str, create: bool = True
        ) -> int | None: ...

        def head(self, conn: Connection, nb_id: int) -> Head: ...

        def make_state(
            self,
            conn: Connection,
            nb_id: int,
            event: str,
            cells: Sequence[CellRef],
            *,
            parent: Head | None = None,
            created: float | None = None,
            metadata_blob: int | None = None,
            **columns: Any,
        ) -> str: ...

        def record_execution(self, conn: Connection, ex: Execution) -> str | None: ...

        def _changed(
            self,
            nb_id: int,
            action: str,
            state_id: str | None,
            event: str | None = None,
            **more: Any,
        ) -> None: ...
