"""Output replay under any sequence of iopub messages (SPEC: bad input is never a crash).

Messages are drawn well formed (the shapes ipykernel sends), malformed (right
keys, wrong types) or not objects at all, with lone surrogates, NUL, huge and
base64 text and unknown mime types. The properties: ``OutputReplay`` never
raises; its outputs export as valid nbformat and encode for the store; stream
text is what JupyterLab shows (a reference model of its merging); the size cap
holds and every cut is marked with the original size.
"""

from __future__ import annotations

import json
from typing import Any

import nbformat
from hypothesis import example
from hypothesis import strategies as st

from jupyter_branch.export import clean_notebook
from jupyter_branch.model import canonical_json
from jupyter_branch.outputs import MARKER_KEY, OutputReplay, clean_output
from tests.fuzz import twins
from tests.fuzz.strategies import (
    any_messages,
    any_text,
    clean_messages,
    well_formed,
    without_pairs,
)

CAP = 1000  # the smallest cap OutputReplay allows: huge outputs are cheap to make
MARKER_ROOM = 200  # what a cut marker may add to a capped stream


def replay(messages: list[tuple[str, Any]], cap: int = CAP) -> OutputReplay:
    r = OutputReplay(cap)
    for msg_type, content in messages:
        r.add(msg_type, content)
    return r


def one_cell(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": "c1", "cell_type": "code", "source": "", "outputs": outputs}]


# -- never raises, stable ---------------------------------------------------------------


@twins(150, messages=any_messages)
def check_replay_never_raises_and_outputs_are_stable(messages):
    r = replay(messages)
    first, second = r.outputs(), r.outputs()
    assert first == second
    assert all(isinstance(o, dict) and "output_type" in o for o in first)
    assert r.outputs() == first, "outputs() must not change what it returns"


(
    test_replay_never_raises_and_outputs_are_stable,
    test_replay_never_raises_and_outputs_are_stable_thorough,
) = check_replay_never_raises_and_outputs_are_stable


# -- valid nbformat, storable -------------------------------------------------------------


@twins(150, messages=without_pairs)
def check_any_outputs_export_as_valid_nbformat(messages):
    nb = clean_notebook(one_cell(replay(messages).outputs()))
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.nbformat_minor == 5


(
    test_any_outputs_export_as_valid_nbformat,
    test_any_outputs_export_as_valid_nbformat_thorough,
) = check_any_outputs_export_as_valid_nbformat


@twins(150, messages=st.lists(well_formed(any_text), max_size=15))
def check_well_formed_outputs_are_valid_as_recorded(messages):
    """What ipykernel sends is kept as is: no output is swapped for an "invalid" note."""
    outputs = replay(messages).outputs()
    for out in outputs:
        node = nbformat.from_dict(clean_output(out))
        nbformat.validate(node, ref="output", version=4, version_minor=5)
    exported = clean_notebook(one_cell(outputs)).cells[0].outputs
    assert [o["output_type"] for o in exported] == [o["output_type"] for o in outputs]


(
    test_well_formed_outputs_are_valid_as_recorded,
    test_well_formed_outputs_are_valid_as_recorded_thorough,
) = check_well_formed_outputs_are_valid_as_recorded


@twins(150, messages=any_messages)
@example(messages=[("display_data", {"data": [[None, None], [0, None]]})])  # hypothesis' own
@example(messages=[("display_data", {"data": [[None, None]]})])  # hypothesis' own
def check_objects_as_pairs_make_outputs_that_break_store_and_export(messages):
    """``dict(content.get("data"))`` accepts a list of pairs, so keys need not be strings.

    The store encodes outputs with ``canonical_json`` (sorted keys: mixed key types raise
    TypeError, and ``History.record_execution`` refuses the whole execution, its code and
    its other outputs too); ``clean_notebook`` raises TypeError on a ``None`` key (export
    answers 503). Outputs must be stored and exported whatever the kernel sent.
    """
    outputs = replay(messages).outputs()
    json.loads(canonical_json(outputs).decode("utf-8", "surrogatepass"))
    nbformat.validate(clean_notebook(one_cell(outputs)))


(
    test_objects_as_pairs_make_outputs_that_break_store_and_export,
    test_objects_as_pairs_make_outputs_that_break_store_and_export_thorough,
) = check_objects_as_pairs_make_outputs_that_break_store_and_export


@twins(150, messages=any_messages)
@example(messages=[("stream", {"name": "stdout", "text": "\ud800"})])
def check_export_of_any_outputs_is_writable_as_utf8(messages):
    """GET export sends ``nbformat.writes(nb)`` as UTF-8; POST export writes it to a file.

    A lone surrogate (JSON ``"\\ud800"`` from a kernel) kept in an output makes both
    fail (UnicodeEncodeError: a 500), although the notebook passes ``validate``.
    """
    nb = clean_notebook(one_cell(replay(messages).outputs()))
    nbformat.writes(nb).encode("utf-8")


(
    test_export_of_any_outputs_is_writable_as_utf8,
    test_export_of_any_outputs_is_writable_as_utf8_thorough,
) = check_export_of_any_outputs_is_writable_as_utf8


# -- stream text: a reference model of JupyterLab's output area --------------------------


def jupyterlab_model(messages: list[tuple[str, Any]]) -> tuple[list[Any], dict[str, Any]]:
    """What JupyterLab's OutputAreaModel shows, for \\r- and \\b-free text.

    A stream merges into the last output if that is a stream of the same name;
    ``clear_output`` empties now, or (``wait``) when the next output arrives;
    ``update_display_data``, and a new display with an id, rewrite this cell's
    outputs with that display id; the last data of each id is left for other cells
    (display ids are global to a kernel, as nbclient and JupyterLab's kernel
    connection treat them).
    """
    items: list[Any] = []
    pending = False
    elsewhere: dict[str, Any] = {}
    for kind, c in messages:
        if kind == "clear_output":
            if c["wait"]:
                pending = True
            else:
                items, pending = [], False
        elif kind == "update_display_data":
            did = c["transient"]["display_id"]
            for i in items:
                if isinstance(i, dict) and i.get("display_id") == did:
                    i["data"], i["metadata"] = c["data"], c["metadata"]
            elsewhere[did] = {"data": c["data"], "metadata": c["metadata"]}
        else:
            if pending:
                items, pending = [], False
            if kind == "stream":
                last = items[-1] if items else None
                if isinstance(last, list) and last[0] == c["name"]:
                    last[1] += c["text"]
                else:
                    items.append([c["name"], c["text"]])
            elif kind == "error":
                items.append({"output_type": "error", "ename": c["ename"]})
            else:
                did = c["transient"].get("display_id")
                if did:
                    for i in items:
                        if isinstance(i, dict) and i.get("display_id") == did:
                            i["data"], i["metadata"] = c["data"], c["metadata"]
                    elsewhere[did] = {"data": c["data"], "metadata": c["metadata"]}
                items.append(
                    {
                        "output_type": kind,
                        "data": c["data"],
                        "metadata": c["metadata"],
                        "display_id": did,
                    }
                )
    return items, elsewhere


@twins(150, messages=clean_messages)
def check_streams_merge_as_in_jupyterlab(messages):
    r = replay(messages, cap=10**9)
    expected, elsewhere = jupyterlab_model(messages)
    outputs = r.outputs()
    assert len(outputs) == len(expected)
    for out, want in zip(outputs, expected, strict=True):
        if isinstance(want, list):
            assert out == {"output_type": "stream", "name": want[0], "text": want[1]}
        elif want["output_type"] == "error":
            assert (out["output_type"], out["ename"]) == ("error", want["ename"])
        else:
            assert out["output_type"] == want["output_type"]
            assert (out["data"], out["metadata"]) == (want["data"], want["metadata"])
    assert r.display_updates == elsewhere


test_streams_merge_as_in_jupyterlab, test_streams_merge_as_in_jupyterlab_thorough = (
    check_streams_merge_as_in_jupyterlab
)


# -- the size cap -------------------------------------------------------------------------


def data_size(data: dict[str, Any]) -> int:
    """Characters of a bundle's values, as the cap counts them (JSON for non-text)."""
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in data.values())


def truncation(out: dict[str, Any]) -> dict[str, Any] | None:
    return (out.get("metadata") or {}).get(MARKER_KEY)


@twins(150, messages=clean_messages)
def check_streams_past_the_cap_keep_head_and_tail_and_say_so(messages):
    outputs = replay(messages).outputs()
    expected, _ = jupyterlab_model(messages)
    for out, want in zip(outputs, expected, strict=True):
        if not isinstance(want, list):
            continue
        text = want[1]
        if len(text) <= CAP:
            assert out["text"] == text and truncation(out) is None
            continue
        assert truncation(out) == {"truncated": True, "original_size": len(text)}
        head, tail = CAP // 2, CAP - CAP // 2
        assert out["text"].startswith(text[:head]) and out["text"].endswith(text[-tail:])
        marker = out["text"][head : len(out["text"]) - tail]
        assert "jupyter-branch" in marker and f"{len(text):,}" in marker
        assert len(out["text"]) <= CAP + MARKER_ROOM


(
    test_streams_past_the_cap_keep_head_and_tail_and_say_so,
    test_streams_past_the_cap_keep_head_and_tail_and_say_so_thorough,
) = check_streams_past_the_cap_keep_head_and_tail_and_say_so


@twins(150, messages=any_messages)
def check_no_stream_text_or_data_value_passes_the_cap(messages):
    """Whatever arrives (\\r, \\b, malformed), stream text and data values stay capped."""
    for out in replay(messages).outputs():
        if out["output_type"] == "stream":
            assert len(out["text"]) <= CAP + MARKER_ROOM
            if len(out["text"]) > CAP:
                assert truncation(out)["original_size"] > CAP
        elif "data" in out:
            if truncation(out) is None:
                assert data_size(out["data"]) <= CAP
            else:
                assert truncation(out)["original_size"] > CAP
                assert set(out["data"]) == {"text/plain"}
                assert "jupyter-branch" in out["data"]["text/plain"]


(
    test_no_stream_text_or_data_value_passes_the_cap,
    test_no_stream_text_or_data_value_passes_the_cap_thorough,
) = check_no_stream_text_or_data_value_passes_the_cap


def chars(value: Any) -> int:
    """Characters of a JSON value: its strings and keys, plus the JSON of everything else."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(chars(k) + chars(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(chars(v) for v in value)
    return len(json.dumps(value))


@twins(150, messages=st.lists(well_formed(any_text), max_size=15))
@example(messages=[("error", {"ename": "E", "evalue": "", "traceback": ["x" * 5 * CAP]})])
@example(messages=[("display_data", {"data": {"x" * 5 * CAP: ""}, "metadata": {}})])
@example(messages=[("display_data", {"data": {}, "metadata": {"m": "x" * 5 * CAP}})])
def check_every_output_is_capped(messages):
    """outputs.py: "Each output is capped at max_output_bytes". Counted here in characters
    over the whole output (mime keys, metadata, error tracebacks too), less the marker."""
    for out in replay(messages).outputs():
        out = clean_output(out)
        size = chars(out) - len(out["output_type"])
        assert size <= CAP + 2 * MARKER_ROOM, (out["output_type"], size)


test_every_output_is_capped, test_every_output_is_capped_thorough = check_every_output_is_capped
