"""Outputs carrying a display id (tqdm, widgets, ``display(..., display_id=True)``).

On a real kernel, driven as JupyterLab drives it."""

from __future__ import annotations

from typing import Any

from tests.integration.test_recording import executes
from tests.kernel_client import LabLikeClient, write_notebook

SHOW = "handle = display('waiting', display_id='progress')"


async def test_a_display_with_an_id_is_unchanged_against_the_document(
    jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Any, api: Any
) -> None:
    """The document holds the output as JupyterLab keeps it (no ``transient``): no change."""
    path = write_notebook(jp_root_dir, "display.ipynb")
    client = await LabLikeClient(jp_fetch, jp_ws_fetch, path).start()
    try:
        await client.execute(SHOW, "cell-d")
        (state,) = await executes(api, path, 1)
        code, detail = await api(f"states/{state['id']}", path=path)
        assert code == 200
        assert detail["outputs"] == [
            {"output_type": "display_data", "data": {"text/plain": "'waiting'"}, "metadata": {}}
        ], "history shows outputs as a notebook holds them"
        document = [
            {
                "id": "cell-d",
                "cell_type": "code",
                "source": SHOW,
                "execution_count": None,
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {"text/plain": "'waiting'"},
                        "metadata": {},
                    }
                ],
            }
        ]
        code, diff = await api(
            "diff", method="POST", body={"path": path, "a": state["id"], "cells": document}
        )
        assert code == 200
        assert [(c["cell_id"], c["change"]) for c in diff["cells"]] == [("cell-d", "unchanged")]
        assert not diff["cells"][0]["outputs_changed"]
        _, versions = await api("cells/cell-d", path=path)
        assert "transient" not in versions["versions"][0]["cell"]["outputs"][0]
    finally:
        client.close()
