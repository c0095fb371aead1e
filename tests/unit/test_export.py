"""Export: a clean notebook, valid nbformat 4.5, opens as it was."""

from __future__ import annotations

import nbformat

from jupyter_branch.export import clean_notebook


def cells():
    return [
        {"id": "m1", "cell_type": "markdown", "source": "# Title", "metadata": {}},
        {
            "id": "c1",
            "cell_type": "code",
            "source": "print(1)",
            "metadata": {"tags": ["x"]},
            "execution_count": 3,
            "outputs": [
                {"output_type": "stream", "name": "stdout", "text": "1\n"},
                {
                    "output_type": "display_data",
                    "data": {"text/plain": "d"},
                    "metadata": {"jupyter_branch": {"truncated": True}},
                    "transient": {"display_id": "abc"},
                },
            ],
        },
        {"id": "r1", "cell_type": "raw", "source": "raw", "metadata": {}},
    ]


def test_export_is_valid_and_keeps_cells_in_order_without_history_marks():
    nb = clean_notebook(
        cells(),
        {"kernelspec": {"name": "python3", "display_name": "P"}, "jupyter_branch": {"x": 1}},
    )
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.nbformat_minor >= 5
    assert [c.id for c in nb.cells] == ["m1", "c1", "r1"]
    code = nb.cells[1]
    assert code.execution_count == 3 and code.metadata == {"tags": ["x"]}
    assert "transient" not in code.outputs[1] and code.outputs[1].metadata == {}
    assert "jupyter_branch" not in nb.metadata
    text = nbformat.writes(nb)
    assert "jupyter_branch" not in text and "display_id" not in text
    assert nbformat.reads(text, as_version=4).cells[1].outputs[0].text == "1\n"


def test_export_without_outputs():
    nb = clean_notebook(cells(), {}, outputs=False)
    nbformat.validate(nb)
    assert nb.cells[1].outputs == [] and nb.cells[1].execution_count is None


def test_invalid_ids_and_outputs_are_repaired_not_fatal():
    bad = [
        {
            "id": "has space/and:colon",
            "cell_type": "code",
            "source": "x",
            "metadata": {},
            "execution_count": None,
            "outputs": [
                {"output_type": "execute_result", "data": {"text/plain": 5}, "metadata": {}}
            ],
        },
        {
            "id": "has space/and:colon",
            "cell_type": "code",
            "source": "y",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
        },
    ]
    nb = clean_notebook(bad, {})
    nbformat.validate(nb)
    assert len({c.id for c in nb.cells}) == 2
    assert "left out of this export" in nb.cells[0].outputs[0].text


def slow_and_fast(cells_, metadata, outputs=True):
    from jupyter_branch.export import notebook_json
    from jupyter_branch.notebook_json import fast_notebook_json

    return notebook_json(clean_notebook(cells_, metadata, outputs)), fast_notebook_json(
        cells_, metadata, outputs
    )


def test_the_command_lines_fast_export_writes_what_nbformat_writes():
    """The command line exports without importing nbformat when every shape is simple:
    the same bytes, a valid notebook; anything nbformat would repair goes its way."""
    meta = {"kernelspec": {"name": "python3", "display_name": "P"}, "jupyter_branch": {"x": 1}}
    for outputs in (True, False):
        slow, fast = slow_and_fast(cells(), meta, outputs)
        assert fast == slow
        nbformat.validate(nbformat.reads(fast, as_version=4))
    rich = [
        {
            "id": "c2",
            "cell_type": "code",
            "source": "x\ny\n",
            "metadata": {"collapsed": True, "jupyter": {"source_hidden": False}, "trusted": True},
            "execution_count": 7,
            "outputs": [
                {
                    "output_type": "execute_result",
                    "execution_count": 7,
                    "metadata": {},
                    "data": {
                        "text/plain": "a\nb",
                        "application/json": {"k": [1, 2]},
                        "image/png": "iVBORw0KGgo=",
                        "image/svg+xml": "<svg>\n</svg>",
                    },
                },
                {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["t1", "t2"]},
                {
                    "output_type": "stream",
                    "name": "stderr",
                    "text": "é 漢\n",
                    "metadata": {"jupyter_branch": {"truncated": True}},
                },
            ],
        }
    ]
    slow, fast = slow_and_fast(rich, {"language_info": {"name": "python"}})
    assert fast == slow
    # shapes nbformat repairs (an output it rejects, a bad id, a lone surrogate): its way
    for odd in (
        [{**rich[0], "outputs": [{"output_type": "display_data", "data": {"text/plain": "x"}}]}],
        [{**rich[0], "id": "not ok!"}],
        [{**rich[0], "source": "\ud800"}],
        [{**rich[0], "metadata": {"tags": ["a,b"]}}],
        [{**rich[0], "outputs": [{"output_type": "stream", "name": "x", "text": 3}]}],
    ):
        slow, fast = slow_and_fast(odd, {})
        assert fast is None
        nbformat.validate(nbformat.reads(slow, as_version=4))
