"""``jupyter branch``: the command line contract of SPEC, on a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import jupyter_branch
from jupyter_branch.cli import main

CONTRACT_KEYS = {"id", "parent", "time", "event", "cell_id", "execution_count", "status"}


@pytest.fixture
def history(store, monkeypatch):
    """A notebook with an edit, two runs and a branch; the CLI run from its folder."""
    monkeypatch.chdir(store.root)
    store.report(("c1", "x = 1"), ("m1", "# notes", "markdown"))
    first = store.execute("c1", "x = 1", "one\n")
    store.report(("c1", "x = 2"), ("m1", "# notes", "markdown"))
    second = store.execute("c1", "x = 2", "two\n")
    store.writer.flush()
    return {"first": first, "second": second, "db": store.url}


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_log_json_is_the_contract(history, capsys):
    code, out, _ = run(capsys, "--db", history["db"], "log", "nb.ipynb", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["notebook"] == "nb.ipynb"
    assert data["head"] == history["second"]
    events = [s["event"] for s in data["states"]]
    assert events == ["edit", "execute", "edit", "execute"], "oldest first"
    for s in data["states"]:
        assert set(s) >= CONTRACT_KEYS
        assert s["time"].endswith("+00:00")
    run2 = data["states"][3]
    assert (run2["cell_id"], run2["execution_count"], run2["status"]) == ("c1", 2, "ok")
    assert run2["parent"] == data["states"][2]["id"]


def test_log_answers_to_an_absolute_path_and_prints_readably(history, capsys, store):
    code, out, _ = run(capsys, "--db", history["db"], "log", str(store.root / "nb.ipynb"))
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 4 and lines[-1].startswith("* " + history["second"][:12])
    assert "x = 2" in lines[-1]


def test_log_lines_say_head_time_event_status_count_preview_and_label(history, capsys, store):
    store.service.label(str(store.root / "nb.ipynb"), history["first"], "baseline").result(10)
    store.writer.flush()
    code, out, _ = run(capsys, "--db", history["db"], "log", "nb.ipynb")
    assert code == 0
    data = json.loads(run(capsys, "--db", history["db"], "log", "nb.ipynb", "--json")[1])
    first = next(s for s in data["states"] if s["id"] == history["first"])
    when = first["time"][:19].replace("T", " ")
    expected = f"  {history['first'][:12]}  {when}  {'execute':<8} {'ok':<11} {'[1]':<6} x = 1"
    assert expected + " (baseline)" in out.splitlines()
    assert out.count("*") == 1 and out.endswith("\n")


@pytest.mark.parametrize("as_json", [False, True], ids=["lines", "json"])
def test_log_read_a_page_at_a_time_is_the_whole_log(history, capsys, monkeypatch, as_json):
    from jupyter_branch import cli_store, service

    args = ["--db", history["db"], "log", "nb.ipynb"] + (["--json"] if as_json else [])

    def read() -> object:
        out = run(capsys, *args)[1]
        return json.loads(out) if as_json else out  # PostgreSQL puts ", " inside a page

    whole = read()
    assert len(whole["states"] if as_json else whole.splitlines()) == 4
    for page in (3, 1):  # 4 states: pages of 3 and 1, then 4 pages
        monkeypatch.setattr(service, "LOG_PAGE", page)
        monkeypatch.setattr(cli_store.LiteHistory, "page", page)
        assert read() == whole


def test_show_by_unique_prefix(history, capsys):
    code, out, _ = run(capsys, "--db", history["db"], "show", "nb.ipynb", history["first"][:7])
    assert code == 0
    assert history["first"] in out and "x = 1" in out and "one" in out and "# notes" in out


def test_unknown_state_and_notebook_fail_with_a_message(history, capsys):
    code, _, err = run(capsys, "--db", history["db"], "show", "nb.ipynb", "ffffffffff")
    assert code == 1 and "no state" in err
    code, _, err = run(capsys, "--db", history["db"], "log", "other.ipynb")
    assert code == 1 and "no history" in err


def test_export_writes_a_clean_valid_notebook(history, capsys, store):
    out_file = store.root / "out.ipynb"
    code, _, _ = run(
        capsys, "--db", history["db"], "export", "nb.ipynb", history["first"], "-o", str(out_file)
    )
    assert code == 0
    nb = nbformat.read(str(out_file), as_version=4)
    nbformat.validate(nb)
    assert [c.source for c in nb.cells] == ["x = 1", "# notes"]
    assert nb.cells[0].outputs[0].text == "one\n"
    code, _, _ = run(
        capsys,
        "--db",
        history["db"],
        "export",
        "nb.ipynb",
        history["first"],
        "-o",
        str(out_file),
        "--no-outputs",
    )
    assert nbformat.read(str(out_file), as_version=4).cells[0].outputs == []


def test_diff_shows_the_changed_line(history, capsys):
    code, out, _ = run(
        capsys, "--db", history["db"], "diff", "nb.ipynb", history["first"], history["second"]
    )
    assert code == 0
    assert "-x = 1" in out and "+x = 2" in out and "-one" in out and "+two" in out
    assert "m1" not in out, "unchanged cells are not listed"


def test_info_reports_where_and_how_much(history, capsys, store):
    code, out, _ = run(capsys, "--db", history["db"], "info", "--json")
    info = json.loads(out)
    expected_path = str(store.root / "history.sqlite") if store.backend == "sqlite" else None
    assert code == 0 and info["path"] == expected_path
    assert "***" in info["url"] or store.backend == "sqlite", "the password is masked"
    assert info["notebooks"] == 1 and info["states"] == 4 and info["size_bytes"] > 0


def test_gc_deletes_nothing_without_yes(history, capsys, store):
    code, out, _ = run(capsys, "--db", history["db"], "gc", "--older-than", "0")
    assert code == 0 and "would delete 3 states" in out and "nothing was deleted" in out
    assert len(store.log()["states"]) == 4
    code, out, _ = run(capsys, "--db", history["db"], "gc", "--older-than", "0", "--yes")
    assert "deleted 3 states" in out
    log = store.log()
    assert [s["id"] for s in log["states"]] == [history["second"]], "Head stays"
    assert store.state(history["second"])["cells"][0]["source"] == "x = 2"


def test_the_command_runs_as_a_separate_process_on_a_store_the_server_writes(history, store):
    source = str(Path(jupyter_branch.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": source + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter_branch.cli",
            "--db",
            history["db"],
            "log",
            "nb.ipynb",
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=store.root,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["states"]) == 4


def test_the_log_is_utf8_whatever_the_locale(store, monkeypatch):
    """The log's pages go out as the store encoded them (UTF-8 bytes), in a separate
    process under the C locale as much as under any other."""
    monkeypatch.chdir(store.root)
    store.report(("c1", "s = 'café ✓'"))
    ran = store.execute("c1", "s = 'café ✓'", "café ✓\n")
    store.service.label(store.nb, ran, "naïve").result(10)
    store.writer.flush()
    source = str(Path(jupyter_branch.__file__).parents[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONIO"))}
    env.update(LC_ALL="C", PYTHONPATH=source + os.pathsep + os.environ.get("PYTHONPATH", ""))
    outs = []
    command = [sys.executable, "-m", "jupyter_branch.cli", "--db", store.url, "log", "nb.ipynb"]
    for extra in ([], ["--json"]):
        proc = subprocess.run(
            [*command, *extra],
            capture_output=True,
            cwd=store.root,
            env=env,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout.decode("utf-8"))
    lines, data = outs[0].splitlines(), json.loads(outs[1])
    assert lines[-1].endswith("s = 'café ✓' (naïve)")
    assert (data["states"][-1]["preview"], data["states"][-1]["label"]) == ("s = 'café ✓'", "naïve")
