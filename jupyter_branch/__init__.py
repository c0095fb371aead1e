"""jupyter-branch: every cell execution kept as a tree of notebook states.

This module only wires the package into Jupyter: it names the server extension
and the prebuilt JupyterLab extension. The server side lives in ``app``.
"""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0.dev0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-branch"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .app import BranchApp

    return [{"module": "jupyter_branch", "app": BranchApp}]
