"""History search (SPEC: "Search history: code, markdown and text outputs"), on a real store."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import text

from jupyter_branch.service import BadRequest
from jupyter_branch.store import gc, search
from jupyter_branch.store.migrations import applied_migrations
from jupyter_branch.store.schema import MIGRATIONS
from tests.unit.conftest import Store
from tests.unit.old_store import write_old_store

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJ"


def found(store: Store, query: str, nb: Any = "default", limit: int = 50) -> list[tuple]:
    """(event, cell id, where) of each match, newest first."""
    matches = store.service.search(store.nb if nb == "default" else nb, query, limit)
    return [(m["state"]["event"], m["cell_id"], m["where"]) for m in matches]


def indexed_rowids(store: Store, word: str) -> list[int]:
    """The rows of the raw index holding ``word``, whatever the store's other tables say."""
    parsed = search.Query.parse(word)
    with store.engines.reader.connect() as conn:
        if store.backend == "postgresql":
            query = text("SELECT blob_id FROM search_text WHERE tsv @@ CAST(:w AS tsquery)")
            return [r[0] for r in conn.execute(query, {"w": parsed.tsquery})]
        query = text("SELECT rowid FROM search_index WHERE search_index MATCH :w")
        return [r[0] for r in conn.execute(query, {"w": parsed.expression})]


def code(cell_id: str, source: str) -> dict[str, str]:
    return {"id": cell_id, "cell_type": "code", "source": source}


def error_output(ename: str, evalue: str, *trace: str) -> dict[str, Any]:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": list(trace)}


def test_finds_code_markdown_and_text_outputs(store):
    store.report(("c1", "train(model)"), ("m1", "# Notes on *warmup*", "markdown"))
    run = store.execute("c1", "train(model)", "epoch 1 loss 0.25\n")
    assert found(store, "train") == [("execute", "c1", "source"), ("edit", "c1", "source")]
    assert found(store, "warmup") == [("edit", "m1", "source")]
    (match,) = store.service.search(store.nb, "loss")
    assert match["state"]["id"] == run and match["where"] == "outputs"
    assert match["cell_type"] == "code" and match["snippet"] == "epoch 1 loss 0.25"
    assert match["abs_path"] == store.nb
    assert match["state"]["status"] == "ok" and match["state"]["execution_count"] == 1
    assert found(store, "TRAIN") == found(store, "train"), "case does not matter"
    assert found(store, "nothing_like_this") == []


def test_finds_execute_results_and_errors_without_ansi_colours(store):
    store.report(("c1", "1/0"), ("c2", "6 * 7"))
    trace = (
        "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
        "\x1b[0;31mZeroDivisionError\x1b[0m  Traceback (most recent call last)",
        "Cell \x1b[0;32mIn[1], line 1\x1b[0m\n\x1b[0;32m----> 1\x1b[0m in_a_helper_frame()",
    )
    store.execute("c1", "1/0", error_output("ZeroDivisionError", "division by zero", *trace))
    result = {"output_type": "execute_result", "data": {"text/plain": "42"}, "metadata": {}}
    store.execute("c2", "6 * 7", result)
    assert found(store, "ZeroDivisionError") == [("execute", "c1", "outputs")]
    assert found(store, '"division by zero"') == [("execute", "c1", "outputs")]
    assert found(store, "in_a_helper_frame") == [("execute", "c1", "outputs")]
    (match,) = store.service.search(store.nb, "in_a_helper_frame")
    assert "\x1b" not in match["snippet"] and "----> 1 in_a_helper_frame()" in match["snippet"]
    assert found(store, "31m") == [] and found(store, "0;32m") == [], "colour codes are not text"
    assert found(store, "42") == [("execute", "c2", "outputs")]


def test_images_html_and_json_are_not_searched(store):
    store.report(("c1", "plot()"))
    figure = {
        "output_type": "display_data",
        "data": {
            "image/png": PNG,
            "text/html": "<b>onlyinhtml</b>",
            "application/json": {"onlyinjson": 1},
            "text/plain": "<Figure size 640x480 with 1 Axes>",
        },
        "metadata": {},
    }
    store.execute("c1", "plot()", figure)
    assert found(store, "Figure") == [("execute", "c1", "outputs")]
    assert found(store, "640x480") == [("execute", "c1", "outputs")]
    for word in (PNG[:24], "onlyinhtml", "onlyinjson", "png", "image"):
        assert found(store, word) == [], word


def test_a_quoted_phrase_with_punctuation_matches_that_phrase(store):
    store.report(("c1", "x = 1; x + 10"))
    store.report(("c1", "x = 10; x + 1"))
    assert found(store, '"x = 1; x + 10"') == [("edit", "c1", "source")]
    assert found(store, "x=1;x+10") == [("edit", "c1", "source")], "a word with punctuation too"
    newest, oldest = store.service.search(store.nb, "x 1 10")
    assert newest["snippet"] == "x = 10; x + 1" and oldest["snippet"] == "x = 1; x + 10"
    assert found(store, '"x = 2; x + 10"') == []


def test_a_phrase_must_be_in_one_text_in_order(store):
    store.report(("c1", "beta = alpha"))
    store.execute("c1", "beta = alpha", "alpha beta\n")
    assert found(store, '"alpha beta"') == [("execute", "c1", "outputs")]
    assert found(store, '"beta alpha"') == [("execute", "c1", "source"), ("edit", "c1", "source")]
    assert found(store, '"beta alpha"*') == found(store, '"beta alpha"'), "* inside quotes is text"
    assert found(store, "alp* bet*") == [("execute", "c1", "source"), ("edit", "c1", "source")]


def test_accents_and_case_do_not_matter(store):
    store.report(("m1", "Café au lait, NAÏVE approach", "markdown"))
    assert found(store, "cafe") == [("edit", "m1", "source")]
    assert found(store, '"cafe au lait"') == [("edit", "m1", "source")]
    assert found(store, '"naive approach"') == [("edit", "m1", "source")]
    (match,) = store.service.search(store.nb, "lait")
    assert match["snippet"] == "Café au lait, NAÏVE approach"


@pytest.mark.parametrize(
    "query",
    [
        "x = 1; x + 10",
        '"',
        '"x = 1',
        '""',
        "AND",
        "x AND",
        "NOT x",
        "a OR b",
        "NEAR(x 1)",
        "(x",
        "*",
        "x*",
        "^x",
        "-x",
        "source:x",
        "{x 1}",
        "x\x00 1",
        "s = '\ud800'",
        "'",
        "\\",
    ],
)
def test_any_input_is_text_and_never_an_error(store, query):
    store.report(("c1", "x = 1; x + 10"), ("m1", "AND then NOT", "markdown"))
    assert isinstance(store.service.search(store.nb, query), list)


def test_fts_words_are_plain_text(store):
    store.report(("c1", "x = 1"), ("m1", "this AND that", "markdown"))
    assert found(store, "AND") == [("edit", "m1", "source")]
    assert found(store, "x AND") == [], "both words are required, AND is not an operator"
    assert found(store, "th*") == [("edit", "m1", "source")], "a trailing * is a prefix"


def test_matches_are_newest_first_and_limited(store):
    for i in range(5):
        store.report(("c1", f"value = {i}  # marker"))
    matches = store.service.search(store.nb, "marker")
    seqs = [m["state"]["seq"] for m in matches]
    assert len(seqs) == 5 and seqs == sorted(seqs, reverse=True)
    assert matches[0]["snippet"] == "value = 4 # marker"
    assert [m["state"]["seq"] for m in store.service.search(store.nb, "marker", 2)] == seqs[:2]


def test_every_output_of_every_rerun_is_found(store):
    store.report(("c1", "train()"))
    runs = [store.execute("c1", "train()", f"final loss {x}\n") for x in ("0.9", "0.5", "0.1")]
    matches = store.service.search(store.nb, '"final loss"')
    assert [m["state"]["id"] for m in matches] == runs[::-1]
    assert [m["snippet"] for m in matches] == ["final loss 0.1", "final loss 0.5", "final loss 0.9"]
    (middle,) = store.service.search(store.nb, '"loss 0.5"')
    assert middle["state"]["id"] == runs[1]


def test_outputs_carried_by_later_edits_are_found_once_where_they_were_made(store):
    store.report(("c1", "train()"))
    run = store.execute("c1", "train()", "accuracy 93\n")
    store.report(("c1", "train(epochs=2)"))
    store.report(("c1", "train(epochs=3)"))
    matches = store.service.search(store.nb, "accuracy")
    assert [(m["state"]["id"], m["where"]) for m in matches] == [(run, "outputs")]


def test_restores_report_the_content_they_bring_back(store):
    store.report(("c1", "alpha = 1"))
    old = store.execute("c1", "alpha = 1", "first\n")
    store.report(("c1", "beta = 2"))
    restored = store.service.restore(store.nb, old).result(10)["state"]
    assert [m["state"]["id"] for m in store.service.search(store.nb, "first")] == [restored, old]


def test_one_notebook_or_every_notebook(store):
    other = str(store.root / "other.ipynb")
    store.report(("c1", "shared_word = 1"))
    store.report(("k1", "shared_word = 2"), nb=other)
    store.report(("k2", "only_here = 3"), nb=other)
    assert found(store, "shared_word") == [("edit", "c1", "source")]
    everywhere = store.service.search(None, "shared_word")
    assert [(m["abs_path"], m["cell_id"]) for m in everywhere] == [(other, "k1"), (store.nb, "c1")]
    assert found(store, "only_here") == []


def test_bad_searches_are_refused_in_plain_words(store):
    store.report(("c1", "x"))
    for query, says in [("", "empty"), ("   ", "empty"), ("x" * 1001, "longer than")]:
        with pytest.raises(BadRequest, match=says):
            store.service.search(store.nb, query)
    with pytest.raises(BadRequest, match="limit"):
        store.service.search(store.nb, "x", 0)


def test_only_the_first_100k_characters_of_outputs_are_indexed(store):
    store.report(("c1", "dump()"))
    long_text = "headword " + "filler " * (search.MAX_INDEXED_CHARS // 7) + "tailword\n"
    store.execute("c1", "dump()", long_text)
    assert found(store, "headword") == [("execute", "c1", "outputs")]
    assert found(store, "tailword") == []


def test_bad_text_is_indexed_without_breaking_recording(store):
    store.report(("c1", "s = '\ud800' # surrogate_marker\x00 nul_marker"))
    store.execute("c1", "print()", "out \ud800 with_marker\n")
    assert found(store, "surrogate_marker") == [("edit", "c1", "source")]
    assert found(store, "nul_marker") == [("edit", "c1", "source")]
    assert found(store, "with_marker") == [("execute", "c1", "outputs")]
    deep = "[" * 50_000 + " deep_marker"  # json.loads would overflow the stack on it
    store.report(("c1", "x"), ("c2", deep))
    assert found(store, "deep_marker") == [("edit", "c2", "source")]


def test_gc_takes_what_it_deletes_out_of_the_index(store):
    # sources that look like JSON (even like outputs) are indexed by what the bytes say
    looks_like_outputs = '[{"output_type": "stream", "name": "stdout", "text": "inner_word"}]'
    store.report(("c1", "[1, 2, 3]  # listword"), ("c2", looks_like_outputs), ("c3", "print()"))
    store.execute("c3", "print()", "gone_output\n")
    store.report(("c1", "keep = 1"), ("c2", "kept_source"))  # c3 deleted
    assert found(store, "inner_word") == [("edit", "c2", "source")]
    for word in ("listword", "gone_output", "inner_word"):
        assert indexed_rowids(store, word), word
    store.writer.flush()
    time.sleep(0.01)
    counts = gc.prune(store.url, older_than_days=0)
    assert counts["states"] == 2 and counts["blobs"] > 0
    for word in ("listword", "gone_output", "inner_word", "stdout"):
        assert found(store, word) == []
        assert indexed_rowids(store, word) == [], f"{word} left behind in the index"
    assert found(store, "kept_source") == [("edit", "c2", "source")], "Head survives gc"
    store.report(("c1", "after_gc = 1"), ("c2", "kept_source"))
    assert found(store, "after_gc") == [("edit", "c1", "source")]


def test_migration_indexes_the_history_of_an_existing_store(tmp_path):
    # a store as a version without search wrote it: migration 0001 only, with history
    url = f"sqlite:///{tmp_path}/history.sqlite"
    nb = str(tmp_path / "nb.ipynb")
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "old_output\n"},
        error_output("OldError", "old_value"),
    ]
    write_old_store(url, {nb: [("c1", "old_code = 1", outputs)]}, migrations=1)

    store = Store(tmp_path)  # opening it migrates
    try:
        with store.engines.reader.connect() as conn:
            assert applied_migrations(conn) == [m.name for m in MIGRATIONS]
        assert found(store, "old_code") == [("execute", "c1", "source")]
        assert found(store, "old_output") == [("execute", "c1", "outputs")]
        assert found(store, "OldError old_value") == [("execute", "c1", "outputs")]
        store.report(("c1", "new_code = 2"), ("m1", "new md", "markdown"))
        assert found(store, "new_code") == [("edit", "c1", "source")]
        assert found(store, "md") == [("edit", "m1", "source")]
    finally:
        store.close()
