"""SQLite's text of the shared reads, compiled from ``statements.py``: ``sql_sqlite.py``.

``python -m jupyter_branch.store.sqlgen`` writes ``sql_sqlite.py``: for each
statement its SQL text, the names of its positional parameters in order, and
the values of its constants. The command line runs that text with ``sqlite3``
(``lite.py``) and so never imports SQLAlchemy; the server runs the same text on
its SQLite connections. ``tests/unit/test_sqlgen.py`` fails when the file is not
what the statements compile to: change a statement, run this, commit both.
"""

from __future__ import annotations

import pprint
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import sqlite

from .schema import MIGRATIONS
from .statements import STATEMENTS

TARGET = Path(__file__).with_name("sql_sqlite.py")
HEADER = '''"""SQLite's text of the reads in ``statements.py`` (generated: do not edit).

Made by ``python -m jupyter_branch.store.sqlgen``; ``tests/unit/test_sqlgen.py``
checks it. Each entry: the SQL, its positional parameters' names in order, and
the values of its constants.
"""

# fmt: off
'''


def compile_all() -> dict[str, tuple[str, tuple[str, ...], dict[str, Any]]]:
    """Return every statement compiled for SQLite."""
    dialect = sqlite.dialect(paramstyle="qmark")
    found = {}
    for name, build in STATEMENTS.items():
        compiled = build("sqlite").compile(dialect=dialect)
        constants = {k: v for k, v in compiled.params.items() if v is not None}
        found[name] = (str(compiled), tuple(compiled.positiontup or ()), constants)
    return found


def render() -> str:
    known = [(m.name, m.needed_to_read) for m in MIGRATIONS]
    return (
        HEADER
        + "SQL = "
        + pprint.pformat(compile_all(), width=100, sort_dicts=True)
        + "\n\n# the schema's migrations: (name, needed to read)\nMIGRATIONS = "
        + pprint.pformat(known, width=100)
        + "\n"
    )


def main() -> int:
    TARGET.write_text(render())
    print(f"wrote {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
