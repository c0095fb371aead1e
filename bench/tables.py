"""One Markdown table per bench section, from that section's results.

``report.generated`` puts them together in docs/benchmarks.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .bars import BARS_CLI, pct
from .stats import ms, size


def _overhead_cpu(off: dict[str, Any], on: dict[str, Any]) -> str:
    """The CPU cells of an overhead row: server and kernel off -> on, then the recording
    process (a run from before it was measured shows the server's alone, in ticks)."""
    server = f"{ms(off['server_cpu_per_exec'])} -> {ms(on['server_cpu_per_exec'])}"
    if "recording_cpu_per_exec" not in on:
        return f"{server} | n/a"

    def fine(side: dict[str, Any], part: str) -> str:
        return f"{side[part + '_cpu_per_exec'] * 1000:.2f}"

    return (
        f"{fine(off, 'server')} -> {fine(on, 'server')} ms; {fine(off, 'kernel')} -> "
        f"{fine(on, 'kernel')} ms | {fine(on, 'recording')} ms"
    )


def overhead_table(ov: dict[str, Any]) -> str:
    names = {
        "trivial_quickack": "`pass`, back to back, client ACKs at once (the bar)",
        "trivial_browser_tcp": "`pass`, back to back, ACKs as the OS delays them",
        "trivial_paced": "`pass`, 100 ms between runs, ACKs at once",
        "print_100k": "100,000 printed lines",
    }
    lines = [
        "| cell | off: median (block medians) | on: median (block medians) | overhead "
        "| block pairs: median, middle half, range | on slower | extra per run "
        "| CPU per run, off -> on: server; kernel | recording process per run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, name in names.items():
        r = ov.get(key)
        if not r:
            continue
        off, on = r["off"], r["on"]
        if "overhead_pairs_median" in r:
            pairs = (
                f"{pct(r['overhead_pairs_median'])}; {pct(r['overhead_pairs_q1'])} to "
                f"{pct(r['overhead_pairs_q3'])}; {pct(r['overhead_block_min'])} to "
                f"{pct(r['overhead_block_max'])}"
            )
            slower = f"{r['pairs_on_slower']} of {r['blocks']}"
        else:  # a run from before the spread was kept
            pairs = f"range {pct(r['overhead_block_min'])} to {pct(r['overhead_block_max'])}"
            slower = "n/a"
        lines.append(
            f"| {name}, {r['blocks']}x{r['per_block']} runs per side | {ms(off['median'])} "
            f"({ms(off['block_median_min'])}-{ms(off['block_median_max'])}) | {ms(on['median'])} "
            f"({ms(on['block_median_min'])}-{ms(on['block_median_max'])}) | "
            f"**{pct(r['overhead'])}** | {pairs} | {slower} | "
            f"{r['extra_ms']:+.1f} ms | {_overhead_cpu(off, on)} |"
        )
    lines += [
        "",
        "Overhead: the median of every run on, over the median of every run off. A block "
        "pair is one block on and the block off beside it: its ratio, over all pairs, shows "
        "how far one comparison can stray on this machine. CPU: the median block's, every "
        "thread (schedstat); the server's and the kernel's over the runs alone, the "
        "recording process's with the wait after them (all its work for the block).",
    ]
    trivial = ov.get("trivial_quickack") or {}
    if "set_overheads" in trivial:
        lines += ["", f"Fresh sets of servers: {trivial['sets']}, their runs pooled."]
        for key, cell in (("trivial_quickack", "The bar's cell"), ("print_100k", "The flood")):
            r = ov.get(key) or {}
            if "set_overheads" not in r:
                continue
            each = ", ".join(pct(v) for v in r["set_overheads"])
            lines[-1] += f" {cell} in each set alone: {each}."
            if "control_overhead" in r:
                each = ", ".join(pct(v) for v in r["control_set_overheads"])
                lines[-1] += (
                    ' **Control**, a second "off" server against the first, timed the same '
                    f"way: {pct(r['control_overhead'])} (each set: {each}): what this "
                    "machine reads as overhead where there is none."
                )
    return "\n".join(lines)


def cli_table(cl: dict[str, Any], bytecode: dict[str, Any] | None = None) -> str:
    """The commands' medians and their ratio to ``--help`` in the same rounds (cli.py)."""
    cols = (
        ("help", "`--help`"),
        ("log_json", "`log --json`"),
        ("log", "`log`"),
        ("show", "`show`"),
        ("export", "`export -o F`"),
    )
    lines = [
        "| states | store | " + " | ".join(label for _, label in cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    for r in cl["rows"]:
        cells = []
        for key, _ in cols:
            c = r["commands"][key]
            if key == "help":
                cells.append(ms(c["median"]))
                continue
            bar = r["states"] in BARS_CLI[key]
            ratio = f"{c['ratio']:.2f}x"
            cells.append(
                f"{ms(c['median'])}, {'**' + ratio + '**' if bar else ratio} "
                f"({c['round_ratio_min']:.2f}-{c['round_ratio_max']:.2f}x)"
            )
        lines.append(f"| {r['states']:,} | {size(r['store_bytes'])} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Whole processes, `jupyter branch --db sqlite:///... COMMAND` as typed, medians of "
        f"{cl['rounds']} rounds in which the five commands take turns (the order rotating), "
        "so the machine's load falls on all alike. The ratio is a command's median over "
        "`--help`'s median; in brackets, the range of its ratio to `--help` within a "
        "round. In bold, the ratios with a bar (at most 1.5x). Each command was run once "
        "before the rounds and its answer checked.",
    ]
    if bytecode:
        lines[-1] += (
            " Before the run, the package and the venv were compiled to bytecode "
            f"(`python -m compileall -q {' '.join(Path(f).name for f in bytecode['folders'])}`"
            f"{'' if bytecode.get('ok') else ', which reported errors'}): with "
            "`PYTHONDONTWRITEBYTECODE` set, as on this machine, every process would "
            "otherwise compile `jupyter_branch` again."
        )
    return "\n".join(lines)


def size_table(sz: dict[str, Any]) -> str:
    f = sz["floor"]
    k = sz.get("kishu") or {}
    kishu = (
        f"{size(k['store_bytes'])} ({', '.join(k['files'])}; Kishu {k['version']}, "
        f"{k['executions']} executions)"
        if k.get("installed")
        else f"not measured: {k.get('reason', 'not run')}"
    )
    ev = ", ".join(f"{n} {e}" for e, n in sorted(sz["events"].items()))
    rows = [
        (
            "session",
            f"{sz['cells']} cells, {sz['executions']} executions, {sz['states']} states ({ev})",
        ),
        ("jupyter-branch store on disk", f"**{size(sz['store_bytes'])}**"),
        ("of which an empty store (schema, indexes, search index)", size(sz["empty_store_bytes"])),
        (
            "its blobs: content / compressed",
            f"{size(sz['store_content_bytes'])} / {size(sz['store_compressed_bytes'])}",
        ),
        (
            "(a) a full .ipynb copy per execution",
            f"{size(sz['ipynb_copies_bytes'])} (last copy {size(sz['ipynb_final_bytes'])}): "
            f"store is **{sz['ratio_ipynb']:.1f}x** smaller",
        ),
        (
            "(b) unique content, each piece zlib-compressed (the floor)",
            f"{size(f['zlib_each'])} ({f['pieces']} pieces, {size(f['raw_bytes'])} raw): "
            f"store is **{sz['ratio_floor']:.2f}x** it",
        ),
        (
            "(b') unique content as one zlib stream (level 9)",
            f"{size(f['zlib_stream'])}: store is {sz['ratio_floor_stream']:.2f}x it",
        ),
        ("(c) Kishu on the same session (variables, not outputs)", kishu),
    ]
    lines = ["| | |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]
    return "\n".join(lines)


def latency_table(lat: dict[str, Any]) -> str:
    lines = [
        "| states | store | log (API) | cell history (API) | export (API) | restore (API) "
        "| server RSS: start -> after |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in lat["rows"]:
        a = r["api"]
        lines.append(
            f"| {r['states']:,} | {size(r['store_bytes'])} | {ms(a['log']['median'])} "
            f"({size(a['log']['bytes'])}) | {ms(a['cell_history']['median'])} | "
            f"{ms(a['export']['median'])} | {ms(a['restore']['median'])} | "
            f"{size(r['rss_start'])} -> {size(r['rss_after'])} |"
        )
    lines.append("")
    lines.append(
        f"Medians of {lat['rows'][0]['api']['log']['n']} calls after one untimed call "
        "(kept-alive connection). The command line on the same stores is in section 8."
    )
    return "\n".join(lines)


def panel_table(pn: dict[str, Any]) -> str:
    lines = [
        "| states | history first shown | notebook's cells shown | `GET tree` in the browser "
        "| its size |",
        "|---|---|---|---|---|",
    ]
    for r in pn["rows"]:
        lines.append(
            f"| {r['states']:,} | {ms(r['shown']['median'])} ({ms(r['shown']['min'])}-"
            f"{ms(r['shown']['max'])}) | {ms(r['cells_shown']['median'])} | "
            f"{ms(r['tree_request']['median'])} | {size(r['tree_bytes'])} |"
        )
    return "\n".join(lines)


def writer_table(w: dict[str, Any]) -> str:
    a, b = w["writer_alone_small"], w["writer_alone_big"]
    lines = [
        f"Writer alone (in process, 30-cell notebook): **{a['per_second']:.0f} executions/s** "
        f"with 1 KB outputs; **{b['mb_per_second']:.1f} MB/s** ({b['per_second']:.0f} "
        "executions/s) with 256 KB outputs.",
        "",
        "| cells printing | rate asked | rate the kernel ran | output | peak backlog | "
        "keeps up | recorded |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in w["ramp_small"] + w["ramp_big"]:
        lines.append(
            f"| {'1 KB' if r['kind'] == 'small' else '256 KB'} | {r['target_rate']:g}/s | "
            f"{r['kernel_rate']:.0f}/s | {r['mb_per_second']:.2f} MB/s | {r['peak_backlog']} | "
            f"{'no: lags' if r['lagging'] else 'yes'} | {r.get('recorded', '?')} of {r['sent']} |"
        )
    o = w["overload"]
    lines += [
        "",
        f"Past the limit: {o['sent']} executions of 256 KB sent at once. When the kernel had "
        f"run them all ({o['kernel_seconds']:.1f} s), {o['backlog_when_kernel_done']} writes "
        f"were still queued; they drained in {o['drain_seconds']:.1f} s more. "
        f"{o['recorded']} of {o['sent']} were recorded, {o['refused']} refused. Over the whole "
        f"section {w['total_recorded']} of {w['total_sent']} executions became states.",
        "",
        "What `jupyter branch info` printed while that backlog was queued:",
        "",
        "```",
        o["cli_info_during_backlog"].rstrip(),
        "```",
    ]
    return "\n".join(lines)


def backends_table(b: dict[str, Any]) -> str:
    """The same history written and read on both backends (bench/backends.py)."""
    rows = [
        "| measure | SQLite | PostgreSQL | PostgreSQL / SQLite |",
        "|---|---|---|---|",
    ]
    for key, label, unit in (
        ("writes_per_second", f"writer: {b['executions']:,} executions recorded", "/s"),
        ("log_ms", f"full log of {b['executions']:,} states (GET tree's pages)", " ms"),
        ("cell_history_ms", "a cell's newest 100 versions", " ms"),
    ):
        lite, pg = b["sqlite"][key], b["postgresql"][key]
        rows.append(f"| {label} | {lite:,.1f}{unit} | {pg:,.1f}{unit} | {pg / lite:.2f}x |")
    return "\n".join(rows)
