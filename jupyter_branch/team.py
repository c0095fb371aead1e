"""A team on one PostgreSQL database: sharing, and isolation enforced by the database.

``share`` and ``unshare`` let an owner give another user read-only sight of one
notebook's history. ``hub_setup`` is the recipe a JupyterHub admin runs (as the
database role that owns the tables): it brings the schema up to date, gives
each hub user a login role of their own, and turns on row-level security, so
that a user's role reads only that user's rows and what was shared with them,
whatever SQL it runs, and writes only its own. The policies:

- ``notebooks``: read your own and those shared with you (``jb_shared_with_me``,
  a SECURITY DEFINER function, reads ``shares`` without its policy, which would
  otherwise recurse); write your own;
- every table keyed by notebook (``states``, ``state_cells``, ``blobs``,
  ``cell_versions``, ``running``): read rows of a notebook you can read, write
  rows of your own notebooks;
- ``shares``: read what you shared and what was shared with you; write your own
  notebooks' shares;
- ``search_text``: rows of blobs you can read.

The table owner (the admin role) is not subject to the policies: servers must
connect as the users' roles (``docs/jupyterhub.md``).
"""

from __future__ import annotations

import re
import time

from sqlalchemy import Connection, delete, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .store.engine import StoreEngines, open_store
from .store.migrations import check_schema
from .store.queries import NotFound, find_notebook
from .store.schema import shares
from .store.statements import runner_for

_ROLE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,62}$")
BY_NOTEBOOK = ("states", "state_cells", "blobs", "cell_versions", "running", "log_pages")


class TeamError(RuntimeError):
    """What a team command cannot do, in plain words."""


def check_role_name(name: str) -> str:
    """Return ``name`` if it can be a role (and an owner) as given. Raises TeamError."""
    if not _ROLE.match(name):
        raise TeamError(
            f"{name!r} cannot be a database role name here: use letters, digits and _ . @ -"
        )
    return name


def _quote(name: str) -> str:
    return '"' + check_role_name(name).replace('"', '""') + '"'


def set_share(engines: StoreEngines, owner: str, abs_path: str, grantee: str, shared: bool) -> bool:
    """Share (or stop sharing) ``owner``'s notebook at ``abs_path`` with ``grantee``.

    Returns whether anything changed. Raises NotFound, TeamError.
    """
    check_role_name(grantee)
    if grantee == owner:
        raise TeamError("a history is always visible to its owner")
    with engines.writer.begin() as conn:
        check_schema(conn, to_write=True)
        nb = find_notebook(runner_for(conn), abs_path, owner)
        if shared:
            make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            row = {"notebook_id": nb["id"], "grantee": grantee, "created": time.time()}
            done = conn.execute(make(shares).values(**row).on_conflict_do_nothing())
        else:
            done = conn.execute(
                delete(shares).where(shares.c.notebook_id == nb["id"], shares.c.grantee == grantee)
            )
        return bool(done.rowcount)


def shared_by(conn: Connection, owner: str, abs_path: str) -> list[str]:
    """Return whom ``owner``'s notebook is shared with."""
    nb = find_notebook(runner_for(conn), abs_path, owner)
    rows = conn.execute(select(shares.c.grantee).where(shares.c.notebook_id == nb["id"]))
    return [r.grantee for r in rows]


def _policies(conn: Connection) -> None:
    run = conn.exec_driver_sql
    run(
        "CREATE OR REPLACE FUNCTION jb_shared_with_me() RETURNS SETOF integer "
        "LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS "
        # inside a SECURITY DEFINER function current_user is its owner: the caller
        # is session_user
        "$$ SELECT notebook_id FROM shares WHERE grantee = session_user $$"
    )
    run("REVOKE ALL ON FUNCTION jb_shared_with_me() FROM PUBLIC")
    readable = "(owner = current_user OR id IN (SELECT jb_shared_with_me()))"
    own_notebooks = "(SELECT id FROM notebooks WHERE owner = current_user)"
    tables: dict[str, tuple[str, str]] = {
        "notebooks": (readable, "owner = current_user"),
        "shares": (
            f"grantee = current_user OR notebook_id IN {own_notebooks}",
            f"notebook_id IN {own_notebooks}",
        ),
    }
    for table in BY_NOTEBOOK:
        tables[table] = (
            "notebook_id IN (SELECT id FROM notebooks)",  # notebooks' own policy applies
            f"notebook_id IN {own_notebooks}",
        )
    has_search = run("SELECT to_regclass('search_text') IS NOT NULL").scalar()
    if has_search:
        by_blob = "blob_id IN (SELECT id FROM blobs)"
        tables["search_text"] = (by_blob, by_blob)
    for table, (read, write) in tables.items():
        run(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for name in ("jb_read", "jb_write"):
            run(f"DROP POLICY IF EXISTS {name} ON {table}")
        run(f"CREATE POLICY jb_read ON {table} FOR SELECT USING ({read})")
        run(f"CREATE POLICY jb_write ON {table} FOR ALL USING ({write}) WITH CHECK ({write})")


def hub_setup(admin_url: str, users: list[tuple[str, str | None]]) -> list[str]:
    """Apply the team recipe to the PostgreSQL database at ``admin_url``.

    ``admin_url`` connects as the role that owns (or will own) the tables.
    ``users`` are (name, password or None); a role is made for each that does
    not exist (LOGIN, with that password), and given the rights jupyter-branch
    needs. Returns what was done, line by line. Raises TeamError.
    """
    if not admin_url.startswith("postgresql"):
        raise TeamError("the team recipe needs a PostgreSQL database (--db postgresql://...)")
    engines = open_store(admin_url)  # migrates, as the tables' owner
    done = ["schema up to date"]
    try:
        with engines.writer.begin() as conn:
            _policies(conn)
            done.append("row-level security on every history table")
            for name, password in users:
                role = _quote(name)
                exists = conn.execute(
                    text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}
                ).first()
                if exists is None:
                    conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
                    done.append(f"role {name} made")
                if password is not None:
                    literal = "'" + password.replace("'", "''") + "'"
                    conn.exec_driver_sql(f"ALTER ROLE {role} WITH LOGIN PASSWORD {literal}")
                conn.exec_driver_sql(
                    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
                )
                conn.exec_driver_sql(
                    f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"
                )
                conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION jb_shared_with_me() TO {role}")
                done.append(f"{name} may record and read their own history")
    finally:
        engines.dispose()
    return done


__all__ = ["NotFound", "TeamError", "check_role_name", "hub_setup", "set_share", "shared_by"]
