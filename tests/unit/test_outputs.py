"""Output replay: messages in, what JupyterLab shows out."""

from __future__ import annotations

from jupyter_branch.outputs import OutputReplay, apply_overwrites, clean_output


def stream(text: str, name: str = "stdout") -> tuple[str, dict]:
    return "stream", {"name": name, "text": text}


def replay(*messages: tuple[str, dict], cap: int = 5_000_000) -> OutputReplay:
    r = OutputReplay(cap)
    for msg_type, content in messages:
        r.add(msg_type, content)
    return r


def test_consecutive_streams_of_the_same_name_merge():
    outs = replay(stream("a\n"), stream("b\n"), stream("err\n", "stderr"), stream("c\n")).outputs()
    assert [(o["name"], o["text"]) for o in outs] == [
        ("stdout", "a\nb\n"),
        ("stderr", "err\n"),
        ("stdout", "c\n"),
    ]


def test_carriage_returns_overwrite_the_line_across_messages():
    outs = replay(stream("10%\r"), stream("50%\r"), stream("100%\n"), stream("done\n")).outputs()
    assert outs[0]["text"] == "100%\ndone\n"


def test_backspace_erases_and_crlf_is_a_newline():
    assert apply_overwrites("abc\b\bX\r\nnext") == "aX\nnext"


def test_clear_output_now_and_with_wait():
    r = replay(stream("old\n"), ("clear_output", {"wait": False}), stream("new\n"))
    assert [o["text"] for o in r.outputs()] == ["new\n"]
    r = replay(stream("old\n"), ("clear_output", {"wait": True}))
    assert [o["text"] for o in r.outputs()] == ["old\n"], "wait keeps outputs until the next one"
    r.add(*stream("new\n"))
    assert [o["text"] for o in r.outputs()] == ["new\n"]


def shown(text: str, display_id: str, kind: str = "display_data") -> tuple[str, dict]:
    content = {
        "data": {"text/plain": text},
        "metadata": {},
        "transient": {"display_id": display_id},
    }
    if kind == "execute_result":
        content["execution_count"] = 1
    return kind, content


def texts(r: OutputReplay) -> list[str | None]:
    return [o.get("data", {}).get("text/plain") for o in r.outputs()]


def test_update_display_data_rewrites_every_output_with_that_id():
    r = replay(shown("0%", "bar"), stream("x\n"), shown("0%", "bar"))
    r.add("update_display_data", shown("100%", "bar")[1])
    assert texts(r) == ["100%", None, "100%"]
    # other cells may show it too: the update is kept for them as well
    assert r.display_updates == {"bar": {"data": {"text/plain": "100%"}, "metadata": {}}}


def test_a_new_display_with_an_id_already_shown_updates_it_then_is_added():
    # nbclient's update-display-id.ipynb: display(2, "here"), display(3, "there"),
    # display(4, "here") shows 4, 3, 4
    r = replay(shown("2", "here"), shown("3", "there"), shown("4", "here"))
    assert texts(r) == ["4", "3", "4"]
    r.add(*shown("5", "here", "execute_result"))
    assert texts(r) == ["5", "3", "5", "5"]
    assert r.outputs()[3]["output_type"] == "execute_result", "the new one keeps its type"
    assert r.display_updates == {
        "here": {"data": {"text/plain": "5"}, "metadata": {}},
        "there": {"data": {"text/plain": "3"}, "metadata": {}},
    }, "the last data of every id, for the cells that showed it before this run"


def test_a_cleared_display_is_not_updated_but_its_update_is_kept_for_other_cells():
    r = replay(shown("a", "d"), ("clear_output", {"wait": False}), stream("x\n"))
    r.add("update_display_data", shown("b", "d")[1])
    assert r.outputs() == [{"output_type": "stream", "name": "stdout", "text": "x\n"}]
    r = replay(shown("a", "d"), ("clear_output", {"wait": True}), shown("c", "e"))
    r.add("update_display_data", shown("b", "d")[1])
    assert texts(r) == ["c"]
    assert r.display_updates["d"]["data"] == {"text/plain": "b"}


def test_update_of_a_display_elsewhere_is_kept_for_the_caller():
    r = replay(
        (
            "update_display_data",
            {"data": {"text/plain": "new"}, "metadata": {}, "transient": {"display_id": "other"}},
        )
    )
    assert r.outputs() == []
    assert r.display_updates == {"other": {"data": {"text/plain": "new"}, "metadata": {}}}


def test_execute_result_and_error_shapes():
    r = replay(
        ("execute_result", {"data": {"text/plain": "42"}, "metadata": {}, "execution_count": 3}),
        ("error", {"ename": "ValueError", "evalue": "bad", "traceback": ["tb1", "tb2"]}),
    )
    result, error = r.outputs()
    assert result == {
        "output_type": "execute_result",
        "data": {"text/plain": "42"},
        "metadata": {},
        "execution_count": 3,
    }
    assert error == {
        "output_type": "error",
        "ename": "ValueError",
        "evalue": "bad",
        "traceback": ["tb1", "tb2"],
    }
    assert r.error is error


def test_a_long_stream_keeps_head_and_tail_with_a_visible_marker():
    lines = [f"line {i:05d}\n" for i in range(10_000)]  # 110,000 characters
    r = OutputReplay(max_output_bytes=10_000)
    for line in lines:
        r.add(*stream(line))
    (out,) = r.outputs()
    text = out["text"]
    assert text.startswith("line 00000\nline 00001\n")
    assert text.endswith("line 09998\nline 09999\n"), "the end of a log is kept"
    assert "characters cut here" in text and "110,000 characters" in text
    assert out["metadata"]["jupyter_branch"] == {"truncated": True, "original_size": 110_000}
    assert len(text) < 10_000 + 200


def test_a_huge_rich_output_is_replaced_by_a_marker_with_its_size():
    png = "A" * 50_000
    r = OutputReplay(max_output_bytes=10_000)
    r.add("display_data", {"data": {"image/png": png, "text/plain": "<Figure>"}, "metadata": {}})
    (out,) = r.outputs()
    assert "image/png" not in out["data"]
    assert "over the 10.0 KB limit" in out["data"]["text/plain"]
    # data and metadata as characters, mime types included
    assert out["metadata"]["jupyter_branch"]["original_size"] == 50_000 + 8 + 9 + 10


def test_malformed_messages_are_counted_not_raised():
    r = OutputReplay()
    r.add("stream", {"name": "stdout"})  # no text
    r.add("display_data", "not a dict")  # type: ignore[arg-type]
    r.add("stream", {"name": "stdout", "text": "ok\n"})
    assert r.ignored == 2
    assert [o["text"] for o in r.outputs()] == ["ok\n"]


def test_clean_output_drops_what_only_history_needs():
    out = {
        "output_type": "display_data",
        "data": {"text/plain": "x"},
        "metadata": {"jupyter_branch": {"truncated": True}, "keep": 1},
        "transient": {"display_id": "d"},
    }
    assert clean_output(out) == {
        "output_type": "display_data",
        "data": {"text/plain": "x"},
        "metadata": {"keep": 1},
    }
    assert clean_output(
        {"output_type": "stream", "name": "stdout", "text": "a", "metadata": {"jupyter_branch": {}}}
    ) == {"output_type": "stream", "name": "stdout", "text": "a"}
