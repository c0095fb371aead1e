"""What reading or opening the store can go wrong with, as exceptions (no SQLAlchemy here).

Shared by the server and the command line's light read path (``lite.py``), so
each is caught the same way wherever it is raised.
"""

from __future__ import annotations


class NotFound(LookupError):
    """No such notebook or state."""


class Ambiguous(LookupError):
    """A state prefix matches more than one state."""


class SearchUnavailable(RuntimeError):
    """This store has no search index (neither SQLite with FTS5 nor PostgreSQL)."""


class StoreMissing(LookupError):
    """There is no history store there: no file, or a database with no history schema."""


class SchemaTooNew(RuntimeError):
    """The database was written by a newer jupyter-branch."""


class SchemaTooOld(RuntimeError):
    """The database lacks a migration that reading (or writing without migrating) needs."""


def check_migrations(
    present: list[str], known: list[tuple[str, bool]], *, to_write: bool = False
) -> list[str]:
    """Check a store's applied migrations against this code's ``known`` (name, needed to
    read). Returns the missing ones readers can do without.

    Raises StoreMissing (none applied), SchemaTooNew, or SchemaTooOld when one reading
    needs is missing (any one at all, ``to_write``).
    """
    if not present:
        raise StoreMissing("the history database holds no history yet")
    names = [name for name, _ in known]
    unknown = [n for n in present if n not in names]
    if unknown:
        raise SchemaTooNew(
            f"the history database was written by a newer jupyter-branch "
            f"(it has migration {unknown[0]}); upgrade jupyter-branch"
        )
    missing = [(name, needed) for name, needed in known if name not in present]
    blocking = [name for name, needed in missing if needed or to_write]
    if blocking:
        raise SchemaTooOld(
            f"the history database was written by an older jupyter-branch (it lacks "
            f"migration {blocking[0]}); start Jupyter with this jupyter-branch once, "
            "which upgrades it in place"
        )
    return [name for name, _ in missing]
