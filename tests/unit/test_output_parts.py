"""A figure shown again in another outputs list is stored once (``blobs.PARTS``),
reads back exactly on every read path, and lives as long as a list names it."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from jupyter_branch.model import hash_bytes
from jupyter_branch.store import gc
from jupyter_branch.store.blobs import MIN_PART, PARTS
from jupyter_branch.store.content import read_json
from jupyter_branch.store.schema import blobs, states
from tests.unit.test_blobs import figure_outputs, png


def image_rows(store, image: bytes) -> int:
    """How many blobs hold exactly ``image``'s bytes."""
    with store.engines.reader.connect() as conn:
        query = select(func.count()).where(blobs.c.digest == hash_bytes(image))
        return int(conn.execute(query).scalar_one())


def stored_bytes(store) -> int:
    with store.engines.reader.connect() as conn:
        return int(conn.execute(select(func.sum(func.length(blobs.c.data)))).scalar_one())


def test_a_figure_shown_again_beside_another_text_is_stored_once(store):
    image = png(seed=7)
    assert len(image) >= MIN_PART
    first = figure_outputs(image, "<Figure at 0x7f01>")
    second = figure_outputs(image, "<Figure at 0x7f02>")  # a new list: the address differs
    store.report(("c1", "plot()"))
    a = store.execute("c1", "plot()", *first)
    before = stored_bytes(store)
    b = store.execute("c1", "plot()", *second)
    assert image_rows(store, image) == 1
    assert stored_bytes(store) - before < len(image) // 4
    # the API's read (the CLI's runner on SQLite), and the writer's own read
    assert store.state(a)["outputs"] == first
    assert store.state(b)["outputs"] == second
    assert store.state(b)["cells"][0]["outputs"] == second
    with store.engines.reader.connect() as conn:
        row = conn.execute(select(states.c.outputs_blob).where(states.c.id == b)).one()
        codec = conn.execute(select(blobs.c.codec).where(blobs.c.id == row[0])).scalar_one()
        assert codec == PARTS
        assert read_json(conn, row[0]) == second


def test_an_image_stays_while_a_kept_list_names_it_and_goes_with_the_last(store):
    image = png(seed=8)
    store.report(("c1", "plot()"))
    store.execute("c1", "plot()", *figure_outputs(image, "<Figure at 0x1>"))
    kept = store.execute("c1", "plot()", *figure_outputs(image, "<Figure at 0x2>"))
    store.service.label(store.nb, kept, "the good run").result(10)
    store.execute("c1", "plot()", "no figure this time\n")
    store.writer.flush()
    time.sleep(0.01)
    counts = gc.prune(store.url, older_than_days=0)
    assert counts["states"] >= 2
    assert image_rows(store, image) == 1, "the labelled run's list still names the image"
    assert store.state(kept)["outputs"] == figure_outputs(image, "<Figure at 0x2>")

    store.service.label(store.nb, kept, None).result(10)
    store.execute("c1", "plot()", "still no figure\n")
    store.writer.flush()
    time.sleep(0.01)
    gc.prune(store.url, older_than_days=0)
    assert image_rows(store, image) == 0, "no list names the image any more"
