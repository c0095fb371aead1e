"""Inputs for the fuzz tests: odd text, arbitrary JSON, kernel messages of every shape."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import strategies as st

from jupyter_branch.outputs import OUTPUT_MSG_TYPES

# -- text -------------------------------------------------------------------------------

ODD_CHARS = ["\x00", "\r", "\n", "\b", "\t", "\x1b", "\ufeff", "\u2028", "\ufffd", "\U0001f600"]
# sampled, not st.characters(...): hypothesis would merge the ranges and almost never pick one
LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d"]
PLAIN_CHARS = st.characters(codec="utf-8", exclude_characters="\r\b")

# any str Python can hold: lone surrogates (what "\ud800" in JSON decodes to), NUL, controls
odd_char = st.one_of(st.characters(), st.sampled_from(ODD_CHARS + LONE_SURROGATES))
# lists joined, not st.text(odd_char): text() would merge the alphabet into one range
odd_text = st.lists(odd_char, max_size=20).map("".join)
short_text = st.lists(odd_char, max_size=6).map("".join)  # keys


def repeated(alphabet: st.SearchStrategy[str], most: int) -> st.SearchStrategy[str]:
    """Long text cheaply: a short piece repeated up to ``most`` times."""
    return st.builds(
        lambda piece, n: piece * n,
        st.lists(alphabet, min_size=1, max_size=12).map("".join),
        st.integers(0, most),
    )


base64ish = st.binary(max_size=1500).map(lambda b: base64.b64encode(b).decode())
any_text = st.one_of(odd_text, repeated(odd_char, 400), base64ish)

# -- JSON -------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(short_text, inner, max_size=3)
    ),
    max_leaves=6,
)


# -- messages ---------------------------------------------------------------------------

DISPLAY_IDS = st.sampled_from(["d1", "d2", "d3"])  # few, so updates find their outputs
KNOWN_MIMES = [
    "text/plain",
    "text/html",
    "text/markdown",
    "image/png",
    "image/svg+xml",
    "application/javascript",
    "application/json",
    "application/vnd.jupyter.widget-view+json",
    "application/x-unknown-thing",
    "chemical/x-pdb",
]


def is_json_mime(mime: str) -> bool:
    return mime.startswith("application/") and (mime.endswith("/json") or mime.endswith("+json"))


@st.composite
def mimebundles(draw: Any, text: st.SearchStrategy[str]) -> dict[str, Any]:
    """A data bundle as a kernel sends it: text values, any JSON under JSON mime types."""
    mimes = draw(
        st.lists(
            st.one_of(st.sampled_from(KNOWN_MIMES), odd_text.map(lambda s: f"x-{s}/unknown")),
            max_size=3,
            unique=True,
        )
    )
    bundle = {}
    for mime in mimes:
        if is_json_mime(mime):
            bundle[mime] = draw(json_values)
        elif mime.startswith("image/"):
            bundle[mime] = draw(base64ish)
        else:
            bundle[mime] = draw(st.one_of(text, st.lists(text, max_size=3)))
    return bundle


def well_formed(text: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[str, Any]]:
    """Messages in the shapes ipykernel sends, with ``text`` for stream and text data."""
    transient = st.one_of(st.just({}), st.fixed_dictionaries({"display_id": DISPLAY_IDS}))
    rich = {
        "data": mimebundles(text),
        "metadata": st.dictionaries(short_text, json_values, max_size=2),
    }
    return st.one_of(
        st.tuples(
            st.just("stream"),
            st.fixed_dictionaries({"name": st.sampled_from(["stdout", "stderr"]), "text": text}),
        ),
        st.tuples(st.just("display_data"), st.fixed_dictionaries({**rich, "transient": transient})),
        st.tuples(
            st.just("execute_result"),
            st.fixed_dictionaries(
                {
                    **rich,
                    "transient": transient,
                    "execution_count": st.one_of(st.none(), st.integers(0, 10**6)),
                }
            ),
        ),
        st.tuples(
            st.just("update_display_data"),
            st.fixed_dictionaries(
                {**rich, "transient": st.fixed_dictionaries({"display_id": DISPLAY_IDS})}
            ),
        ),
        st.tuples(
            st.just("error"),
            st.fixed_dictionaries(
                {"ename": text, "evalue": text, "traceback": st.lists(text, max_size=4)}
            ),
        ),
        st.tuples(st.just("clear_output"), st.fixed_dictionaries({"wait": st.booleans()})),
    )


CONTENT_KEYS = [
    "name",
    "text",
    "data",
    "metadata",
    "transient",
    "execution_count",
    "ename",
    "evalue",
    "traceback",
    "wait",
]
MSG_TYPES = [*sorted(OUTPUT_MSG_TYPES), "status", "execute_input", "comm_msg", "", "STREAM"]

# lists of pairs, which dict() accepts in place of an object: keys of any hashable JSON type
pairs = st.lists(
    st.tuples(st.one_of(st.none(), st.integers(), short_text), json_values).map(list), max_size=3
)
RICH = ["display_data", "execute_result", "update_display_data"]

# right keys with any JSON values (wrong types), pairs for objects, or no object at all
wrong_types = st.tuples(
    st.sampled_from(MSG_TYPES),
    st.dictionaries(st.sampled_from(CONTENT_KEYS), json_values, max_size=5),
)
pairs_for_objects = st.tuples(
    st.sampled_from(RICH),
    st.fixed_dictionaries(
        {},
        optional={
            "data": pairs,
            "metadata": pairs,
            "transient": st.fixed_dictionaries({"display_id": DISPLAY_IDS}),
        },
    ),
)
not_objects = st.tuples(
    st.sampled_from(MSG_TYPES), json_values.filter(lambda v: not isinstance(v, dict))
)
malformed = st.one_of(wrong_types, pairs_for_objects, not_objects)

any_messages = st.lists(st.one_of(well_formed(any_text), malformed), max_size=15)
# all but objects sent as lists of pairs, which the replay turns into outputs with
# non-string keys (test_objects_as_pairs_make_outputs_that_break_store_and_export)
without_pairs = st.lists(st.one_of(well_formed(any_text), wrong_types, not_objects), max_size=15)
clean_text = st.one_of(st.text(PLAIN_CHARS, max_size=30), repeated(PLAIN_CHARS, 300))
clean_messages = st.lists(well_formed(clean_text), max_size=15)
