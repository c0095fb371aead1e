"""The REST API as a client sees it; every body is checked against the package's
rest-api.schema.json.

History is built through the API itself (document reports) and, where outputs are
needed, by running cells on a real kernel the way JupyterLab does.
"""

from __future__ import annotations

import json
import os
from typing import Any

import nbformat
import pytest

import jupyter_branch
import jupyter_branch.service
from tests.api import (
    check,
    code,
    plain,
    report,
    request_errors,
    run_cells,
    state,
    tree,
    validating,
    write_file,
)


@pytest.fixture
def rest(api: Any) -> Any:
    return validating(api)


# -- reading --------------------------------------------------------------------------


async def test_info_says_the_store_is_healthy_and_counts_grow(api, rest):
    status, info = await api("info")  # maybe before the store is open
    assert status == 200
    check("info", info)
    assert info["ok"] or (info["message"] and info["store"] is None)
    status, info = await rest("info", "info")
    assert info["ok"] is True and info["message"] is None
    assert info["version"] == jupyter_branch.__version__
    if info["store"]["url"].startswith("sqlite"):
        assert os.path.isfile(info["store"]["path"])
    else:
        assert info["store"]["path"] is None and ":***@" in info["store"]["url"]
    assert info["store"]["size_bytes"] > 0
    before = info["store"]["states"]
    await report(rest, "counted.ipynb", code("a", "1 + 1"))
    _, info = await rest("info", "info")
    assert info["store"]["states"] == before + 1
    assert info["store"]["notebooks"] >= 1
    assert info["writer"]["committed"] >= 1


async def test_notebooks_are_listed_by_api_path(rest, jp_root_dir):
    await report(rest, "a.ipynb", code("a", "1"))
    await report(rest, "sub/b.ipynb", code("b", "2"))
    await report(rest, "sub/b.ipynb", code("b", "3"))
    status, body = await rest("notebooks", "notebooks")
    assert status == 200
    by_path = {n["path"]: n for n in body["notebooks"]}
    assert set(by_path) == {"a.ipynb", "sub/b.ipynb"}
    assert by_path["sub/b.ipynb"]["states"] == 2
    assert by_path["sub/b.ipynb"]["head"] == (await tree(rest, "sub/b.ipynb"))["head"]
    assert by_path["a.ipynb"]["deleted"] is None
    assert not any(str(jp_root_dir) in p for p in by_path)


async def test_tree_is_oldest_first_with_head_and_since(rest):
    path = "t.ipynb"
    made = [(await report(rest, path, code("a", f"v = {i}")))["head"] for i in range(3)]
    body = await tree(rest, path)
    assert body["notebook"] == path
    assert [s["id"] for s in body["states"]] == made
    assert [s["parent"] for s in body["states"]] == [None, made[0], made[1]]
    assert [s["event"] for s in body["states"]] == ["edit"] * 3
    seqs = [s["seq"] for s in body["states"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert [s["time"] for s in body["states"]] == sorted(s["time"] for s in body["states"])
    assert body["head"] == made[-1]
    assert body["states"][-1]["preview"] == "v = 2"
    later = await tree(rest, path, since=seqs[0])
    assert [s["id"] for s in later["states"]] == made[1:]
    assert (await tree(rest, path, since=seqs[-1]))["states"] == []
    assert later["head"] == made[-1]


async def test_a_long_tree_comes_in_pages_that_add_up_to_the_whole(rest, monkeypatch):
    path = "long.ipynb"
    made = [(await report(rest, path, code("a", f"v = {i}")))["head"] for i in range(11)]
    whole = await tree(rest, path)
    for page in (1, 3, 5, 11, 12):  # the server holds a few pages of states at a time
        monkeypatch.setattr(jupyter_branch.service, "LOG_PAGE", page)
        body = await tree(rest, path)
        assert body == whole, page
        assert [s["id"] for s in body["states"]] == made
        seqs = [s["seq"] for s in body["states"]]
        later = await tree(rest, path, since=seqs[4])
        assert [s["id"] for s in later["states"]] == made[5:], page


async def test_state_by_full_id_and_unique_prefix(rest):
    path = "p.ipynb"
    ids = [(await report(rest, path, code("a", f"v = {i}")))["head"] for i in range(17)]
    detail = await state(rest, path, ids[5])
    assert detail["id"] == ids[5]
    cell = {**code("a", "v = 5"), "metadata": {}, "outputs": [], "execution_count": None}
    assert detail["cells"] == [cell]
    unique = next(
        ids[0][:n] for n in range(1, 33) if sum(i.startswith(ids[0][:n]) for i in ids) == 1
    )
    assert (await state(rest, path, unique))["id"] == ids[0]
    assert (await state(rest, path, unique.upper()))["id"] == ids[0]
    # 17 ids, 16 hex digits: some first digit is shared (pigeonhole)
    shared = next(c for c in "0123456789abcdef" if sum(i.startswith(c) for i in ids) > 1)
    status, err = await rest(f"states/{shared}", "state_detail", path=path)
    assert status == 400
    assert "more than one" in err["message"]
    unknown = next(p for p in (f"{n:04x}" for n in range(65536)) if not any(map(p.startswith, ids)))
    status, err = await rest(f"states/{unknown}", "state_detail", path=path)
    assert status == 404 and unknown in err["message"]
    # a state of another notebook is not found here
    other = (await report(rest, "other.ipynb", code("a", "z")))["head"]
    status, _ = await rest(f"states/{other}", "state_detail", path=path)
    assert status == 404


# -- document reports: the SPEC branching rule -------------------------------------------


async def test_document_reports_create_then_move_head_back(rest, jp_root_dir):
    path = write_file(jp_root_dir, "doc.ipynb", [code("a", "x = 1")])
    first = await report(rest, path, code("a", "x = 1"))  # as on disk: nothing new
    assert first["created"] is False and first["moved"] is False
    (saved,) = (await tree(rest, path))["states"]
    assert saved["event"] == "save" and first["head"] == saved["id"]

    edit = await report(rest, path, code("a", "x = 2"))
    assert edit["created"] is True and edit["moved"] is False
    again = await report(rest, path, code("a", "x = 2"))
    assert again == {"head": edit["head"], "created": False, "moved": False, "source": "browser"}
    body = await tree(rest, path)
    assert len(body["states"]) == 2 and body["head"] == edit["head"]
    made = body["states"][1]
    assert (made["parent"], made["event"], made["cell_id"]) == (saved["id"], "edit", "a")

    back = await report(rest, path, code("a", "x = 1"))  # ctrl-z
    assert back == {"head": saved["id"], "created": False, "moved": True, "source": "browser"}
    body = await tree(rest, path)
    assert len(body["states"]) == 2 and body["head"] == saved["id"]

    branch = await report(rest, path, code("a", "x = 1; x + 10"))
    assert branch["created"] is True
    body = await tree(rest, path)
    new = body["states"][-1]
    assert new["id"] == branch["head"] == body["head"]
    assert new["parent"] == saved["id"]  # a new branch off x = 1; the x = 2 edit is kept
    assert edit["head"] in {s["id"] for s in body["states"]}


# -- labels -------------------------------------------------------------------------------


async def test_labels_are_set_and_cleared(rest):
    path = "l.ipynb"
    a = (await report(rest, path, code("a", "1")))["head"]

    async def put(ref: str, label: Any, valid: bool = True) -> Any:
        ask = {"path": path, "state": ref, "label": label}
        return await rest("labels", "label", "PUT", ask, valid_request=valid)

    status, body = await put(a, "baseline")
    assert status == 200
    assert body == {"state": a, "label": "baseline", "changed": True}
    assert (await tree(rest, path))["states"][0]["label"] == "baseline"
    assert (await state(rest, path, a))["label"] == "baseline"
    status, body = await put(a, None)
    assert status == 200 and body["label"] is None
    assert (await tree(rest, path))["states"][0]["label"] is None
    status, err = await put(a, "x" * 201, valid=False)
    assert status == 400 and "200" in err["message"]
    assert (await put("ffff0000", "x"))[0] == 404


async def test_label_answer_is_what_was_stored(rest):
    """The answer to PUT labels names the state and label as the tree will show them."""
    path = "l2.ipynb"
    a = (await report(rest, path, code("a", "1")))["head"]
    ask = {"path": path, "state": a[:10], "label": "  lr=3e-4 "}
    status, body = await rest("labels", "label", "PUT", ask)
    assert status == 200
    stored = (await tree(rest, path))["states"][0]
    assert stored["label"] == "lr=3e-4"
    assert body == {"state": a, "label": stored["label"], "changed": True}


# -- bad input ----------------------------------------------------------------------------


def doc(*cells: Any) -> dict[str, Any]:
    return {"path": "x.ipynb", "cells": list(cells)}


BAD_BODIES = [
    ("document", "POST", b"{not json", "not valid JSON"),
    ("document", "POST", b"\xff\xfe", "not valid JSON"),
    ("document", "POST", b"[1, 2]", "JSON object"),
    ("document", "POST", {"path": "x.ipynb", "cells": "abc"}, "cells must be a list"),
    ("document", "POST", {"path": "x.ipynb"}, "cells must be a list"),
    ("document", "POST", doc(code("a", "1"), code("a", "2")), "twice"),
    ("document", "POST", doc({"id": "a", "cell_type": "python", "source": ""}), "unknown type"),
    ("document", "POST", doc({"cell_type": "code"}), "no valid id"),
    ("document", "POST", doc({"id": "a", "cell_type": "code", "source": 5}), "not text"),
    ("document", "POST", {"cells": []}, "path is missing"),
    ("document", "POST", {"path": "notes.txt", "cells": []}, "only notebooks"),
    ("restore", "POST", {"path": "x.ipynb", "state": "ab", "cell_id": 5}, "cell_id must be"),
    ("restore", "POST", {"path": "x.ipynb", "cell_id": "a"}, "'state' is missing"),
    ("labels", "PUT", {"path": "x.ipynb", "state": "ab", "label": 7}, "a label is a string"),
    ("labels", "PUT", {"path": "x.ipynb", "state": "ab", "label": "x" * 201}, "200 characters"),
    ("export", "POST", b"null", "JSON object"),
    ("export", "POST", {"path": "", "state": "ab"}, "path is missing"),
    ("export", "POST", {"path": "x.ipynb", "state": "ab", "outputs": "no"}, "true or false"),
    ("diff", "POST", {"path": "x.ipynb", "a": "ab"}, "cells must be a list"),
    ("diff", "POST", {**doc({**code("a", "1"), "outputs": {}}), "a": "ab"}, "not a list"),
]
# What the schema cannot say: a cell id appears once in a document.
SCHEMA_ALLOWS = {"twice"}


@pytest.mark.parametrize(("endpoint", "method", "body", "says"), BAD_BODIES)
async def test_bad_bodies_get_400_in_plain_words(jp_fetch, endpoint, method, body, says):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    url = ("jupyter-branch", "api", endpoint)
    r = await jp_fetch(*url, method=method, body=raw, raise_error=False)
    err = check("error", json.loads(r.body))
    assert r.code == 400, err
    assert says in err["message"]
    assert "Traceback" not in err["message"] and len(err["message"]) < 200
    try:
        sent = json.loads(raw)
    except ValueError:
        return  # not JSON: nothing for the schema to say
    # the schema refuses what the handler refuses
    assert bool(request_errors(endpoint, method, sent)) != (says in SCHEMA_ALLOWS), sent


def accepted_bodies(path: str, head: str) -> list[tuple[str, str, str, int, dict[str, Any]]]:
    """Request bodies at the edges of what the schema allows: (endpoint, method, answer
    shape, status, body)."""
    at = {"path": path, "state": head[:6].upper()}
    lines = {"id": "a", "cell_type": "code", "source": ["x = 1\n", "x"]}
    ran = {
        **lines,
        "execution_count": None,
        "metadata": {"tags": []},
        "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1", "\n"]}],
    }
    return [
        ("document", "POST", "document", 200, {"path": path, "cells": [lines]}),
        ("document", "POST", "document", 200, {"path": path, "cells": [code("a", "")]}),
        ("document", "POST", "document", 200, {"path": path, "cells": []}),
        (
            "document",
            "POST",
            "document",
            200,
            {"path": path, "cells": [{"id": "r", "cell_type": "raw"}]},
        ),
        ("labels", "PUT", "label", 200, {**at, "label": "x" * 200}),
        ("labels", "PUT", "label", 200, {**at, "label": None}),
        ("labels", "PUT", "label", 200, at),
        ("restore", "POST", "restore", 200, {**at, "cell_id": None}),
        ("restore", "POST", "restore", 200, at),
        ("export", "POST", "export_post", 201, {**at, "outputs": False}),
        ("export", "POST", "export_post", 201, at),
        ("diff", "POST", "diff", 200, {"path": path, "a": head, "cells": [ran]}),
        ("diff", "POST", "diff", 200, {"path": path, "a": head, "cells": [lines]}),
    ]


async def test_bodies_the_schema_allows_are_accepted(rest, jp_root_dir):
    path = write_file(jp_root_dir, "edges.ipynb", [code("a", "1")])
    head = (await report(rest, path, code("a", "2")))["head"]
    for endpoint, method, shape, expected, body in accepted_bodies(path, head):
        status, answer = await rest(endpoint, shape, method, body)  # both checked by the schema
        assert status == expected, (body, answer)


@pytest.mark.parametrize(
    ("endpoint", "params", "says"),
    [
        ("tree", {}, "path is missing"),
        ("tree", {"path": "t.ipynb", "since": "yesterday"}, "since must be an integer"),
        ("cells/a", {"path": "t.ipynb", "limit": "all"}, "limit must be an integer"),
    ],
)
async def test_bad_queries_get_400(rest, endpoint, params, says):
    await report(rest, "t.ipynb", code("a", "1"))
    status, err = await rest(endpoint, "tree", **params)
    assert status == 400 and says in err["message"]


OUTSIDE = ["../x.ipynb", "a/../../x.ipynb", "/../x.ipynb", "..", "sub/../../../etc/passwd"]
ROUTES = [
    ("tree", "GET", None),
    ("states/abcd", "GET", None),
    ("cells/a", "GET", None),
    ("export", "GET", {"state": "abcd"}),
    ("diff", "GET", {"a": "abcd", "b": "abcd"}),
    ("document", "POST", {"cells": []}),
    ("export", "POST", {"state": "abcd"}),
    ("restore", "POST", {"state": "abcd"}),
    ("labels", "PUT", {"state": "abcd", "label": "x"}),
]


async def on_path(rest: Any, endpoint: str, method: str, extra: Any, path: str) -> Any:
    """Call a route about ``path`` (a query parameter for GET, else in the body)."""
    if method == "GET":
        return await rest(endpoint, "error", **(extra or {}), path=path)
    return await rest(endpoint, "error", method, {**extra, "path": path}, valid_request=None)


@pytest.mark.parametrize("path", OUTSIDE)
@pytest.mark.parametrize(("endpoint", "method", "extra"), ROUTES)
async def test_paths_leaving_the_root_get_400(rest, endpoint, method, extra, path):
    status, err = await on_path(rest, endpoint, method, extra, path)
    assert status == 400
    assert "outside the server root" in err["message"]


async def test_leading_slash_is_the_server_root_not_the_filesystem(rest, jp_root_dir):
    """As in Jupyter's contents API, ``/etc/passwd`` names <root>/etc/passwd."""
    status, body = await rest("tree", "tree", path="/etc/passwd")
    assert status == 200 and body["states"] == [], "nothing there, and nothing outside the root"
    ask = {"path": "/etc/passwd", "cells": [code("a", "1")]}
    status, err = await rest("document", "document", "POST", ask, valid_request=False)
    assert status == 400 and "notebooks" in err["message"], "only .ipynb files have history"
    await report(rest, "/etc/nb.ipynb", code("a", "1"))
    _, body = await rest("notebooks", "notebooks")
    assert [n["path"] for n in body["notebooks"]] == ["etc/nb.ipynb"]
    assert (await tree(rest, "etc/nb.ipynb"))["states"][0]["preview"] == "1"


async def test_tree_of_a_notebook_without_history_is_empty_not_an_error(rest):
    status, body = await rest("tree", "tree", path="nothing.ipynb")
    assert status == 200
    assert body["head"] is None and body["states"] == []


@pytest.mark.parametrize(("endpoint", "method", "extra"), ROUTES[1:5] + ROUTES[6:])
async def test_unknown_notebook_gets_404(rest, endpoint, method, extra):
    status, err = await on_path(rest, endpoint, method, extra, "nothing.ipynb")
    assert status == 404
    assert "nothing.ipynb" in err["message"]


async def test_state_ref_that_is_not_hex_answers_json_404(rest, jp_fetch):
    path = "h.ipynb"
    await report(rest, path, code("a", "1"))
    r = await jp_fetch(
        "jupyter-branch", "api", "states", "head", params={"path": path}, raise_error=False
    )
    assert r.code == 404
    assert r.headers["Content-Type"].startswith("application/json")
    check("error", json.loads(r.body))


@pytest.mark.parametrize(
    "body",
    [
        {"path": "u.ipynb", "cells": [code("a", "s = '\ud800'")]},
        {"path": "u.ipynb", "cells": [code("\ud800", "1")]},
        {"path": "\ud800.ipynb", "cells": [code("a", "1")]},
    ],
    ids=["source", "cell-id", "path"],
)
async def test_lone_surrogates_are_recorded_or_refused_not_a_server_failure(rest, body):
    """SPEC: bad input is recorded or refused in plain words, never a store failure."""
    status, answer = await rest("document", "document", "POST", body)
    assert status in (200, 400), answer
    status, _ = await rest("info", "info")
    assert status == 200


async def test_export_post_when_the_folder_is_gone(rest, jp_root_dir):
    """History outlives its folder (deleted, moved outside Jupyter); export still answers."""
    head = (await report(rest, "gone/n.ipynb", code("a", "1")))["head"]
    assert not (jp_root_dir / "gone").exists()
    status, body = await rest(
        "export", "export_post", "POST", {"path": "gone/n.ipynb", "state": head}
    )
    assert status == 201 or (400 <= status < 500 and "gone" in body["message"]), body


@pytest.mark.parametrize("spelled", ["./work/d.ipynb", "sub/../work/d.ipynb", "work\\d.ipynb"])
async def test_export_post_lands_next_to_the_notebook_however_its_path_is_spelled(
    rest, jp_root_dir, spelled
):
    path = write_file(jp_root_dir, "work/d.ipynb", [code("a", "1")])
    head = (await report(rest, path, code("a", "2")))["head"]
    status, made = await rest("export", "export_post", "POST", {"path": spelled, "state": head})
    assert status == 201
    assert made["path"] == f"work/d-{head[:8]}.ipynb"
    assert (jp_root_dir / "work" / f"d-{head[:8]}.ipynb").is_file()


# -- with a real kernel: outputs ------------------------------------------------------------


async def test_cell_history_is_newest_first_with_outputs(rest, jp_fetch, jp_ws_fetch, jp_root_dir):
    run = await run_cells(rest, jp_fetch, jp_ws_fetch, jp_root_dir)
    status, body = await rest("cells/c1", "cell_history", path=run["path"])
    assert status == 200 and body["cell_id"] == "c1"
    seen = [(v["state"]["event"], v["cell"]["source"]) for v in body["versions"]]
    assert seen == [
        ("execute", "x = 2\nx"),
        ("edit", "x = 2\nx"),
        ("execute", "x = 1\nx"),
        ("save", "x = 1\nx"),
    ]
    newest, _, older, _ = body["versions"]
    assert newest["state"]["id"] == run["e2"] and older["state"]["id"] == run["e1"]
    assert plain(newest["cell"]) == "2" and plain(older["cell"]) == "1"
    assert newest["cell"]["execution_count"] == 2
    seqs = [v["state"]["seq"] for v in body["versions"]]
    assert seqs == sorted(seqs, reverse=True)
    assert body["total"] == 4
    _, one = await rest("cells/c1", "cell_history", path=run["path"], limit=1)
    assert [v["state"]["id"] for v in one["versions"]] == [run["e2"]]
    assert one["total"] == 4  # the panel offers the 3 older ones
    _, none = await rest("cells/nope", "cell_history", path=run["path"])
    assert none["versions"] == [] and none["total"] == 0
    for bad in ("0", "-1", "10001", "many"):
        status, _ = await rest("cells/c1", "cell_history", path=run["path"], limit=bad)
        assert status == 400, bad


async def test_export_get_is_valid_and_post_writes_a_notebook_next_to_the_original(
    rest, jp_fetch, jp_ws_fetch, jp_root_dir
):
    run = await run_cells(rest, jp_fetch, jp_ws_fetch, jp_root_dir)
    path, e1 = run["path"], run["e1"]
    status, nb = await rest("export", "export_notebook", path=path, state=e1)
    assert status == 200
    nbformat.validate(nbformat.from_dict(nb))
    sources = [(c["id"], "".join(c["source"])) for c in nb["cells"]]  # may be lists of lines
    assert sources == [("c1", "x = 1\nx"), ("m1", "# Title"), ("k1", "y = 0")]
    assert plain(nb["cells"][0]) == "1" and nb["cells"][0]["execution_count"] == 1
    assert "jupyter_branch" not in json.dumps(nb["metadata"])
    status, bare = await rest("export", "export_notebook", path=path, state=e1[:8], outputs="0")
    assert status == 200
    nbformat.validate(nbformat.from_dict(bare))
    code_cells = [c for c in bare["cells"] if c["cell_type"] == "code"]
    assert [(c["outputs"], c["execution_count"]) for c in code_cells] == [([], None)] * 2
    status, err = await rest("export", "export_notebook", path=path, state="0" * 32)
    assert status == 404 and err["message"]

    ask = {"path": path, "state": e1[:8]}
    status, made = await rest("export", "export_post", "POST", ask)
    assert status == 201
    assert made == {"path": f"work/run-{e1[:8]}.ipynb", "state": e1, "outputs": True}
    r = await jp_fetch("api", "contents", *made["path"].split("/"), params={"content": "1"})
    model = json.loads(r.body)
    assert model["type"] == "notebook"
    assert [c["source"] for c in model["content"]["cells"]] == ["x = 1\nx", "# Title", "y = 0"]
    assert plain(model["content"]["cells"][0]) == "1"
    # another export does not overwrite the first; the original is untouched
    _, again = await rest("export", "export_post", "POST", {**ask, "outputs": False})
    assert again["path"].startswith("work/run-") and again["path"].endswith("-no-outputs.ipynb")
    r = await jp_fetch("api", "contents", *again["path"].split("/"), params={"content": "1"})
    assert json.loads(r.body)["content"]["cells"][0]["outputs"] == []
    _, third = await rest("export", "export_post", "POST", ask)
    assert third["path"] not in (made["path"], again["path"])
    original = nbformat.read(str(jp_root_dir / path), as_version=4)
    assert original.cells[0].source == "x = 1\nx" and original.cells[0].outputs == []


async def test_diff_shows_the_changed_cells(rest, jp_fetch, jp_ws_fetch, jp_root_dir):
    run = await run_cells(rest, jp_fetch, jp_ws_fetch, jp_root_dir)
    status, diff = await rest("diff", "diff", path=run["path"], a=run["e1"], b=run["e2"][:8])
    assert status == 200
    assert (diff["a"], diff["b"]) == (run["e1"], run["e2"])
    by_id = {c["cell_id"]: c for c in diff["cells"]}
    assert {k: c["change"] for k, c in by_id.items()} == {
        "c1": "modified",
        "m1": "modified",
        "k1": "unchanged",
    }
    c1 = by_id["c1"]
    assert c1["source_diff"] == ["@@ -1,2 +1,2 @@", "-x = 1", "+x = 2", " x"]
    assert c1["outputs_changed"] and c1["outputs_diff"] == ["@@ -1 +1 @@", "-1", "+2"]
    assert (c1["source_a"], c1["source_b"]) == ("x = 1\nx", "x = 2\nx")
    assert by_id["k1"]["source_diff"] == [] and not by_id["k1"]["outputs_changed"]
    _, same = await rest("diff", "diff", path=run["path"], a=run["e1"], b=run["e1"])
    assert {c["change"] for c in same["cells"]} == {"unchanged"}
    # against the open document, as the panel sends it (lists of lines included)
    document = [
        {
            "id": "c1",
            "cell_type": "code",
            "source": ["x = ", "3"],
            "execution_count": 9,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["3", "\n"]}],
        },
    ]
    status, now = await rest(
        "diff", "diff", "POST", {"path": run["path"], "a": run["e1"], "cells": document}
    )
    assert status == 200 and now["b"] is None
    changed = {c["cell_id"]: c for c in now["cells"]}
    assert "+x = 3" in changed["c1"]["source_diff"] and "+3" in changed["c1"]["outputs_diff"]
    assert changed["k1"]["change"] == "removed"
    status, _ = await rest("diff", "diff", path=run["path"], a=run["e1"], b="0" * 32)
    assert status == 404


async def test_restore_whole_state_then_one_cell(rest, jp_fetch, jp_ws_fetch, jp_root_dir):
    run = await run_cells(rest, jp_fetch, jp_ws_fetch, jp_root_dir)
    path, e1, e2 = run["path"], run["e1"], run["e2"]
    before = await tree(rest, path)
    assert before["head"] == e2
    status, body = await rest("restore", "restore", "POST", {"path": path, "state": e1[:8]})
    assert status == 200
    old, new = await state(rest, path, e1), await state(rest, path, e2)
    assert body["cells"] == old["cells"] and plain(body["cells"][0]) == "1"
    after = await tree(rest, path)
    assert after["head"] == body["state"]
    assert len(after["states"]) == len(before["states"]) + 1
    made = await state(rest, path, body["state"])
    assert (made["event"], made["restored_from"], made["parent"]) == ("restore", e1, e2)
    assert made["cells"] == old["cells"]

    # one cell of e1 into e2's content: the other cells stay as they are
    await rest("restore", "restore", "POST", {"path": path, "state": e2})
    ask = {"path": path, "state": e1, "cell_id": "c1"}
    status, body = await rest("restore", "restore", "POST", ask)
    assert status == 200
    assert body["cells"] == [old["cells"][0], new["cells"][1], new["cells"][2]]
    assert body["cells"][1]["source"] == "# Title v2"
    made = await state(rest, path, body["state"])
    assert (made["event"], made["cell_id"], made["restored_from"]) == ("restore", "c1", e1)
    assert made["cells"] == body["cells"]
    assert (await tree(rest, path))["head"] == body["state"]
    status, err = await rest("restore", "restore", "POST", {**ask, "cell_id": "zz"})
    assert status == 400 and "zz" in err["message"]
    status, err = await rest("restore", "restore", "POST", {**ask, "state": "0" * 32})
    assert status == 404
