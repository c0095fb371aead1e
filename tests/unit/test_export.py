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
