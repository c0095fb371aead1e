"""``jupyter branch``: read, export and prune history without a running server.

Works on the store the server uses by default (``--db URL`` for another).
NOTEBOOK is the .ipynb path as the shell sees it; a state is named by its id or
any unique prefix. Exit status: 0 ok, 1 not found or ambiguous, 2 usage, 3 the
store cannot be read (said in plain words).

Every command but ``gc --yes`` only reads: the store is opened read-only as it
is, never created, migrated or written (``open_reader``), so a command can
never disturb a running server. Connections are closed before the command
returns. Imports stay light (no jupyter_server) so a command answers at once.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

EXIT_OK, EXIT_NOT_FOUND, EXIT_USAGE, EXIT_STORE = 0, 1, 2, 3


def _db_url(args: argparse.Namespace) -> str | None:
    return args.db or os.environ.get("JUPYTER_BRANCH_DB") or None


def _owner(args: argparse.Namespace) -> str:
    from .identity import default_owner

    return args.owner or default_owner()


def _of(args: argparse.Namespace) -> str | None:
    """Whose history a read names: another owner's, shared with us (``--of``)."""
    return getattr(args, "of", None)


@contextlib.contextmanager
def _service(args: argparse.Namespace) -> Iterator[Any]:
    """The store's history, opened read-only (without SQLAlchemy on SQLite); closed on
    exit (cli_store.py)."""
    from .cli_store import reading

    with reading(_db_url(args), _owner(args)) as history:
        yield history


def _abs(path: str) -> str:
    """The history a command names: a notebook path as the shell sees it, or
    ``kernel:<id>`` for runs on a kernel that had no notebook."""
    if path.startswith("kernel:"):
        return path
    from .paths import shell_abs_path

    return shell_abs_path(path)


def _when(iso_time: str | None) -> str:
    return (iso_time or "")[:19].replace("T", " ")


class _Utf8Out:
    """A text stream with no bytes layer under it (an embedding's ``StringIO``),
    written as if it had one."""

    def __init__(self, text: Any) -> None:
        self.text = text

    def write(self, data: bytes | memoryview) -> None:
        self.text.write(bytes(data).decode("utf-8"))

    def flush(self) -> None:
        self.text.flush()


def _binary_stdout() -> Any:
    """stdout's bytes layer, after what was written as text."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    return buffer if buffer is not None else _Utf8Out(sys.stdout)


def cmd_log(args: argparse.Namespace) -> int:
    """The log a page at a time, encoded by the database (``store/summary.py``): as
    JSON (``--json``), or as lines, Head marked ``*``. Nothing is decoded here: each
    page's UTF-8 bytes go to stdout as they are."""
    out = _binary_stdout()
    with _service(args) as service:
        abs_path, of = _abs(args.notebook), _of(args)
        text = not args.json
        key, sep = ("lines", b"\n") if text else ("states_json", b",")
        pages = service.log_pages(abs_path, 0, of, text)
        first = next(pages)  # the first page carries the summary
        if args.json:
            head = json.dumps({"notebook": args.notebook, "head": first["head"]})
            out.write(f'{head[:-1]}, "states": ['.encode())
        written = False
        for page in itertools.chain((first,), pages):
            inner = memoryview(page[key])[1:-1] if args.json else memoryview(page[key])
            if inner:
                if written:
                    out.write(sep)
                out.write(inner)
                written = True
    if args.json:
        out.write(b"]}\n")
    else:
        out.write(b"\n" if written else b"no states recorded\n")
    out.flush()
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:

    with _service(args) as service:
        state = service.state(_abs(args.notebook), args.state, _of(args))
    print(f"state    {state['id']}")
    print(f"parent   {state['parent'] or '-'}")
    print(f"event    {state['event']}  {_when(state['time'])} UTC")
    if state["event"] == "execute":
        dur = f"  {state['duration_ms']} ms" if state["duration_ms"] is not None else ""
        print(
            f"ran      cell {state['cell_id'] or '(no cell id)'}  "
            f"[{state['execution_count']}]  {state['status']}{dur}"
        )
    if state.get("label"):
        print(f"label    {state['label']}")
    if state.get("restored_from"):
        print(f"restored {state['restored_from']}")
    print()
    in_cells = any(cell["id"] == state.get("cell_id") for cell in state["cells"])
    if state["event"] == "execute" and not in_cells:
        print("ran (not in a cell of the notebook)")
        _print_source_and_outputs(state.get("code") or "", state.get("outputs") or [])
    for cell in state["cells"]:
        count = cell.get("execution_count")
        head = (
            f"In [{count if count is not None else ' '}]"
            if cell["cell_type"] == "code"
            else (f"[{cell['cell_type']}]")
        )
        ran = " <- ran" if cell["id"] == state.get("cell_id") else ""
        print(f"{head} {cell['id']}{ran}")
        _print_source_and_outputs(cell["source"], cell.get("outputs") or [])
    return EXIT_OK


def _print_source_and_outputs(source: str, outputs: list[Any]) -> None:
    from .diff import output_text

    for line in source.splitlines() or [""]:
        print(f"    {line}")
    text = output_text(outputs)
    if text:
        print("  Out:")
        for line in text.rstrip("\n").splitlines():
            print(f"    {line}")
    print()


def cmd_export(args: argparse.Namespace) -> int:
    from .notebook_json import fast_notebook_json

    outputs = not args.no_outputs
    with _service(args) as service:
        state = service.state(_abs(args.notebook), args.state, _of(args))
    # nbformat (and its validator) only for shapes it has to check or repair
    text = fast_notebook_json(state["cells"], state["metadata"], outputs)
    if text is None:
        from .export import clean_notebook, notebook_json

        text = notebook_json(clean_notebook(state["cells"], state["metadata"], outputs))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
        print(f"wrote {args.output} ({len(state['cells'])} cells)", file=sys.stderr)
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import format_diff

    with _service(args) as service:
        result = service.diff(_abs(args.notebook), args.state_a, args.state_b, of=_of(args))
    sys.stdout.write(format_diff(result["cells"], color=sys.stdout.isatty()))
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    from .outputs import human_size
    from .status import servers_using, store_key

    with _service(args) as service:
        info = service.info()
    info["servers"] = servers_using(store_key(info["url"], info["path"]))
    if args.json:
        json.dump(info, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return EXIT_OK
    print(f"store        {info['path'] or info['url']}")
    print(f"owner        {info['owner']}")
    print(
        f"size         {human_size(info['size_bytes'])} on disk "
        f"({human_size(info['content_bytes'])} of content, "
        f"{human_size(info['stored_bytes'])} compressed)"
    )
    print(f"notebooks    {info['notebooks']}")
    print(f"states       {info['states']}")
    print(f"cell versions {info['cell_versions']}")
    print(f"running      {info['running']} executions in progress")
    for server in info["servers"]:
        problem = server.get("problem") or "recording normally"
        print(f"server {server['pid']:<6} {server['backlog']} writes waiting; {problem}")
        coverage = server.get("coverage") or {}
        for line in coverage.get("sees") or []:
            print(f"  records  {line}")
        for line in coverage.get("misses") or []:
            print(f"  CANNOT   {line}")
    return EXIT_OK


def cmd_notebooks(args: argparse.Namespace) -> int:
    with _service(args) as service:
        rows = service.notebooks()
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return EXIT_OK
    for row in rows:
        gone = "  (deleted)" if row["deleted"] else ""
        whose = f"  (shared by {row['owner']}: --of {row['owner']})" if row["shared"] else ""
        print(f"{row['states']:>7} states  {_when(row['last'])}  {row['abs_path']}{gone}{whose}")
    if not rows:
        print("no history recorded")
    return EXIT_OK


def cmd_gc(args: argparse.Namespace) -> int:
    from .store.gc import collect, prune

    notebook = _abs(args.notebook) if args.notebook else None
    owner = _owner(args)
    if args.yes:
        report = prune(
            _db_url(args), older_than_days=args.older_than, notebook=notebook, owner=owner
        )
    else:  # a dry run only reads: a running server's writer never waits for it
        from .store.engine import open_reader

        engines = open_reader(_db_url(args))
        try:
            report = collect(
                engines, older_than_days=args.older_than, notebook=notebook, owner=owner
            )
        finally:
            engines.dispose()
    verb = "deleted" if args.yes else "would delete"
    print(
        f"{verb} {report['states']} states, {report['cell_versions']} cell versions, "
        f"{report['blobs']} blobs ({report['bytes']} bytes)"
    )
    if not args.yes:
        print("nothing was deleted: add --yes to prune")
    return EXIT_OK


def cmd_share(args: argparse.Namespace) -> int:
    from .store.engine import open_store
    from .team import set_share

    engines = open_store(_db_url(args), migrate_schema=False)
    try:
        changed = set_share(
            engines, _owner(args), _abs(args.notebook), args.with_user, args.command == "share"
        )
    finally:
        engines.dispose()
    verb = "now shared with" if args.command == "share" else "no longer shared with"
    print(f"{args.notebook}: {verb} {args.with_user}" + ("" if changed else " (already)"))
    return EXIT_OK


def cmd_hub_setup(args: argparse.Namespace) -> int:
    from .team import hub_setup

    users = []
    for spec in args.user or []:
        name, _, password = spec.partition(":")
        users.append((name, password or None))
    url = _db_url(args)
    if url is None:
        print(
            "jupyter branch: hub-setup needs the database: --db postgresql://...", file=sys.stderr
        )
        return EXIT_USAGE
    for line in hub_setup(url, users):
        print(line)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter branch",
        description="Read notebook history recorded by jupyter-branch, without a server.",
    )
    parser.add_argument("--db", help="SQLAlchemy URL of the store (default: the server's)")
    parser.add_argument(
        "--owner",
        help="whose history: default $JUPYTERHUB_USER, else your user name (as the server)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("log", help="the states of a notebook, oldest first")
    p.add_argument("notebook")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--of", metavar="OWNER", help="another owner's history, shared with you")
    p.set_defaults(func=cmd_log)

    p = sub.add_parser("show", help="one state, readable")
    p.add_argument("notebook")
    p.add_argument("state", help="a state id or unique prefix")
    p.add_argument("--of", metavar="OWNER", help="another owner's history, shared with you")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("export", help="a state as a clean notebook")
    p.add_argument("notebook")
    p.add_argument("state")
    p.add_argument("-o", "--output", required=True, help="file to write (- for stdout)")
    p.add_argument("--no-outputs", action="store_true", help="leave outputs out")
    p.add_argument("--of", metavar="OWNER", help="another owner's history, shared with you")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("diff", help="what changed between two states")
    p.add_argument("notebook")
    p.add_argument("state_a")
    p.add_argument("state_b")
    p.add_argument("--of", metavar="OWNER", help="another owner's history, shared with you")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser(
        "notebooks", help="every history: notebooks, and kernels that ran without one"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_notebooks)

    p = sub.add_parser("info", help="where the store is, its size, counts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("share", help="let another user read a notebook's history")
    p.add_argument("notebook")
    p.add_argument("--with", dest="with_user", required=True, metavar="USER")
    p.set_defaults(func=cmd_share)

    p = sub.add_parser("unshare", help="stop sharing a notebook's history with a user")
    p.add_argument("notebook")
    p.add_argument("--with", dest="with_user", required=True, metavar="USER")
    p.set_defaults(func=cmd_share)

    p = sub.add_parser(
        "hub-setup",
        help="(PostgreSQL, admin) roles per hub user and row-level security (docs/jupyterhub.md)",
    )
    p.add_argument(
        "--user",
        action="append",
        metavar="NAME[:PASSWORD]",
        help="a hub user to give a role of their own (repeat for each)",
    )
    p.set_defaults(func=cmd_hub_setup)

    p = sub.add_parser("gc", help="prune old history (only with --yes; nothing by default)")
    p.add_argument(
        "--older-than",
        type=float,
        metavar="DAYS",
        required=True,
        help="prune states older than this many days (labelled states and Heads stay)",
    )
    p.add_argument("--notebook", help="only this notebook")
    p.add_argument("--yes", action="store_true", help="really delete (default: dry run)")
    p.set_defaults(func=cmd_gc)
    return parser


def main(argv: list[str] | None = None) -> int:
    # nbformat's validator imports jsonschema, whose optional IRI format checker
    # pulls in rfc3987_syntax: 1.3 s of import for a format no notebook schema
    # uses. Without it jsonschema skips that format and the CLI starts at once.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    args = build_parser().parse_args(argv)
    from .store.errors import Ambiguous, NotFound, StoreMissing

    try:
        return int(args.func(args))
    except (NotFound, Ambiguous, StoreMissing) as err:
        print(f"jupyter branch: {err}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except BrokenPipeError:
        return EXIT_OK
    except Exception as err:
        import sqlite3

        from sqlalchemy.exc import SQLAlchemyError

        from .store.errors import SchemaTooNew, SchemaTooOld
        from .store.gc import ServerRunning
        from .store.writer import describe_store_error
        from .team import TeamError

        if isinstance(err, (SchemaTooNew, SchemaTooOld, ServerRunning, TeamError)):
            print(f"jupyter branch: {err}", file=sys.stderr)
        elif isinstance(err, (SQLAlchemyError, OSError, sqlite3.Error)):
            print(f"jupyter branch: {describe_store_error(err)}", file=sys.stderr)
        else:
            raise
        return EXIT_STORE


if __name__ == "__main__":
    sys.exit(main())
