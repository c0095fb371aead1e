"""Record a small notebook history for another owner in a store, for the UI tests.

    python make_history.py DB_URL OWNER NOTEBOOK

NOTEBOOK is that owner's absolute path; it need not exist. The history is what
a user's server would record for two runs of a cell with an edit between them:
an edit, a run (its output), an edit, a run. Prints the states as
`jupyter branch log --json` does (one JSON object). Run against the UI test
server's store (``store.url`` of ``GET /jupyter-branch/api/info``), then share
it with ``jupyter branch --db DB_URL --owner OWNER share NOTEBOOK --with USER``.
"""

from __future__ import annotations

import json
import sys
import time

from jupyter_branch.model import Execution
from jupyter_branch.service import HistoryService
from jupyter_branch.store.engine import open_store
from jupyter_branch.store.history import History
from jupyter_branch.store.writer import Writer

RUNS = ("loss = 0.42\nprint(f'loss {loss}')", "loss = 0.31\nprint(f'loss {loss}')")
NOTES = "# Training run\nTwo runs with a smaller learning rate in between."


def main(url: str, owner: str, notebook: str) -> None:
    engines = open_store(url)
    writer = Writer(engines, History(owner=owner, server="ui-tests"))
    service = HistoryService(engines, writer, owner=owner)
    try:
        for count, code in enumerate(RUNS, start=1):
            cells = [
                {"id": "notes", "cell_type": "markdown", "source": NOTES},
                {"id": "train", "cell_type": "code", "source": code},
            ]
            service.report_document(notebook, cells).result(60)
            output = code.split("\n")[0].replace(" = ", " ")
            ex = Execution(
                notebook,
                f"kernel-of-{owner}",
                f"run-{count}",
                "train",
                code,
                [{"output_type": "stream", "name": "stdout", "text": f"{output}\n"}],
                count,
                "ok",
                time.time() - 1,
                time.time(),
                from_browser=True,
            )
            writer.submit(History.record_execution, ex).result(60)
        print(json.dumps({"notebook": notebook, **service.log(notebook)}))
    finally:
        writer.stop()
        engines.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
