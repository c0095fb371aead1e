"""Jupyter server configuration for the Galata UI tests.

Everything the server writes goes into one temporary folder, removed when the
server exits (kept with JUPYTER_BRANCH_UI_KEEP=1): the notebooks (Galata's root
dir), the workspaces and the Jupyter data dir, so the jupyter-branch history
store is fresh on every run.

Never use this configuration for real work: it turns off authentication.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821 (provided by the config loader)

_base = Path(tempfile.mkdtemp(prefix="jupyter-branch-ui-"))
if not os.environ.get("JUPYTER_BRANCH_UI_KEEP"):  # set it to look at the store after a run
    atexit.register(shutil.rmtree, _base, ignore_errors=True)
_root = _base / "root"
_data = _base / "data"
_root.mkdir()
_data.mkdir()

# jupyter_core reads JUPYTER_DATA_DIR each time it computes a data path, all of
# which happens after config files are loaded; the history store defaults to
# <data dir>/jupyter_branch/history.sqlite.
os.environ["JUPYTER_DATA_DIR"] = str(_data)
os.environ["JUPYTERLAB_GALATA_ROOT_DIR"] = str(_root)

# Galata's helper makes temporary files and folders of its own (workspaces, a
# bash rc file, and a root dir even when it is given one): keep them in _base.
tempfile.tempdir = str(_base)
try:
    configure_jupyter_server(c)
finally:
    tempfile.tempdir = None

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ.get("JUPYTER_BRANCH_UI_PORT", "8899"))
c.ServerApp.allow_root = os.geteuid() == 0
# Installed packages enable it already; this keeps the tests honest if not.
c.ServerApp.jpserver_extensions.update({"jupyter_branch": True})

# The test output shows the server's errors only; its full log goes to a file
# (ui-tests/jupyter-server.log, rewritten on each run) for when a test fails.
c.ServerApp.log_level = "ERROR"
c.ServerApp.logging_config = {
    "handlers": {
        "file": {
            "class": "logging.FileHandler",
            "formatter": "console",
            "level": "INFO",
            "filename": str(Path(__file__).parent / "jupyter-server.log"),
            "mode": "w",
        }
    },
    "loggers": {
        name: {"level": "INFO", "handlers": ["console", "file"]}
        for name in ("ServerApp", "LabApp", "BranchApp")
    },
}
