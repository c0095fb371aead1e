"""Who owns history: the JupyterHub user, else the operating system's user.

Every notebook history has an owner, and a notebook is known by (owner,
path): two people whose notebooks have the same absolute path (every hub
container has /home/jovyan) never share a history. ``BranchApp.owner`` and the
command line's ``--owner`` override the default. With one PostgreSQL role per
hub user, the owner is the role's name, which row-level security compares with
``current_user``. ``server_name`` tells apart one owner's servers (JupyterHub's
named servers) so that a server recovers only its own interrupted runs.
"""

from __future__ import annotations

import getpass
import os


def default_owner() -> str:
    """Return the owner of history recorded here: ``JUPYTERHUB_USER``, else the OS user."""
    return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


def server_name() -> str:
    """Return this server's name among its owner's: JupyterHub's, else the host's."""
    import socket

    return os.environ.get("JUPYTERHUB_SERVER_NAME") or socket.gethostname()
