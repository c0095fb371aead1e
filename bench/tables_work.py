"""The tables of the server's work per execution: CPU time (cpu.py, sampled.py) and
instructions (instructions.py).

``report.generated`` puts them in docs/benchmarks.md, beside ``tables.py``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def sampled_table(s: dict[str, Any]) -> str:
    """Our code's share of the server's sampled time (sampled.py)."""
    t, f = s["trivial"], s["flood"]

    def top(w: dict[str, Any]) -> str:
        return ", ".join(f"`{name}` {n}" for name, n in w["functions"].items()) or "none"

    return "\n".join(
        [
            f"Where the server's time goes, sampled (`bench/sampled.py`: py-spy, "
            f"{s['rate']:,} samples a second of the thread holding the GIL, one fresh "
            '"on" server, the two judged windows): a sample is ours when its innermost '
            "frame is in `jupyter_branch`. Not a bar: it cannot see work without the GIL "
            "or the operating system's for our sockets, which the bars count.",
            "",
            "| window | samples | ours | our share | server CPU a run | ours, estimated | "
            "our functions, most sampled |",
            "|---|---|---|---|---|---|---|",
            f"| `pass`, {t['runs']} runs | {t['samples']:,} | {t['ours']:,} | "
            f"{t['share']:.2%} | {t['server_ms_per_run']:.2f} ms | "
            f"**{t['ours_ms_per_run']:.3f} ms a run** | {top(t)} |",
            f"| printing, {f['runs']} runs of {f['mb_per_run']:.2f} MB | {f['samples']:,} | "
            f"{f['ours']:,} | {f['share']:.2%} | {f['server_ms_per_run']:.1f} ms | "
            f"**{f['ours_ms_per_mb']:.3f} ms per MB** | {top(f)} |",
            *recording_sampled(t, f),
        ]
    )


def recording_sampled(t: dict[str, Any], f: dict[str, Any]) -> list[str]:
    """The recording process through the same windows (sampled.py), if it was sampled."""
    if not t.get("recording") or not f.get("recording"):
        return []

    def top(w: dict[str, Any]) -> str:
        found = w["recording"]["functions"]
        return ", ".join(f"`{name}` {n}" for name, n in found.items()) or "none"

    return [
        "",
        "The recording process (the server's child: the machine's CPU, not the "
        "server's) through the same windows, every thread sampled: its most "
        "sampled innermost functions, whatever their module.",
        "",
        "| window | samples | its CPU a run (10 ms ticks) | most sampled |",
        "|---|---|---|---|",
        f"| `pass`, {t['runs']} runs | {t['recording']['samples']:,} | "
        f"{t['recording']['ms_per_run']:.2f} ms | {top(t)} |",
        f"| printing, {f['runs']} runs of {f['mb_per_run']:.2f} MB | "
        f"{f['recording']['samples']:,} | {f['recording']['ms_per_run']:.1f} ms | {top(f)} |",
    ]


def cpu_table(c: dict[str, Any]) -> str:
    """Server CPU per execution, on vs off, per repetition (cpu.py)."""
    reps = c["reps"]
    head = " | ".join(f"pair {i + 1} ({r['order'][0]} first)" for i, r in enumerate(reps))
    lines = [
        f"| server process CPU (user + system) per run | {head} | bar |",
        "|---" * (len(reps) + 2) + "|",
    ]

    def row(label: str, cell: Callable[..., str], bar: str = "") -> None:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in reps) + f" | {bar} |")

    def both(r: dict[str, Any], key: str, field: str = "cpu_ms_per_run", digits: int = 2) -> str:
        return f"{r['off'][key][field]:.{digits}f} ms -> {r['on'][key][field]:.{digits}f} ms"

    pace = f"{c['pace'] * 1000:.0f} ms apart"
    windows = (
        ("trivial", f"`pass`, back to back, ACKs as the OS delays them ({c['trivial_runs']} runs)"),
        ("trivial_paced", f"`pass`, ACKs at once, {pace}"),
        ("trivial_batched", "`pass`, ACKs at once, back to back (Run All: the writer batches)"),
    )
    for key, label in windows:
        row(f"{label}, off -> on", lambda r, key=key: both(r, key))
        extra = f"extra_ms_per_{key}" if key != "trivial" else "extra_ms_per_trivial"
        row("extra (10 ms ticks)", lambda r, extra=extra: f"{r[extra]:+.2f} ms")
    row(
        f"printing {c['flood_lines']:,} lines ({c['flood_runs']} runs back to back, ACKs as "
        "the OS delays them), off -> on",
        lambda r: both(r, "flood", digits=1),
    )
    row("MB of stream text a run", lambda r: f"{r['on']['flood']['mb_per_run']:.3f} MB")
    row(
        f"extra per MB of output (10 ms ticks: one is {c['tick_ms_per_mb']:.2f} ms per MB here)",
        lambda r: f"{r['extra_ms_per_mb']:+.2f} ms",
    )
    row(
        "the same two extras from `schedstat` (ns): per trivial run (ACKs as the "
        "OS delays them) / per MB",
        lambda r: (
            f"{r['sched_extra_ms_per_trivial']:+.2f} ms / {r['sched_extra_ms_per_mb']:+.2f} ms"
            + (
                ""
                if not any(
                    r[s][k]["threads_ended"] for s in ("on", "off") for k in ("trivial", "flood")
                )
                else " (a thread ended in a window: its time is missing)"
            )
        ),
        "(+0.2 ms / +1.5 ms: judged on instructions, above)",
    )
    row(
        "extra per MB beyond a trivial run's extra",
        lambda r: f"{r['extra_ms_per_mb_beyond_trivial']:+.2f} ms",
    )
    for label, key in (("`pass` (the bar's)", "trivial"), ("printing", "flood")):
        for thread, field in (
            ("the event loop's thread", "main_thread_ms_per_run"),
            ("the other threads (writer, tap, executors)", "other_threads_ms_per_run"),
        ):
            row(
                f"{label}: {thread}, off -> on",
                lambda r, key=key, field=field: both(r, key, field),
            )
    row(
        "the recording process (jupyter-branch's own, not the server's): `pass` / printing, "
        "CPU a run",
        lambda r: (
            f"{r['on']['trivial'].get('recording_ms_per_run', 0):.2f} ms / "
            f"{r['on']['flood'].get('recording_ms_per_run', 0):.1f} ms"
        ),
    )
    row(
        "the server's extra and the recording process together: per trivial run / per MB "
        "(no bar: what recording costs the machine)",
        lambda r: (
            f"{r.get('all_extra_ms_per_trivial', r['extra_ms_per_trivial']):+.2f} ms / "
            f"{r.get('all_extra_ms_per_mb', r['extra_ms_per_mb']):+.1f} ms"
        ),
    )
    row(
        "idle, off / on (CPU ms per s, over 2 s before the runs)",
        lambda r: f"{r['off']['idle_cpu_ms_per_s']:.1f} / {r['on']['idle_cpu_ms_per_s']:.1f}",
    )
    row(
        "on, in the 0.5 s after each window (CPU ms per s)",
        lambda r: " / ".join(
            f"{r['on'][k]['tail_cpu_ms_per_s']:.1f}" for k in (*dict(windows), "flood")
        ),
    )
    lines += [
        "",
        f"Extra CPU time per trivial run: {c['sched_extra_ms_per_trivial']:+.2f} ms as a "
        f"browser's TCP runs it; per MB of output: {c['sched_extra_ms_per_mb']:+.2f} ms "
        "(`schedstat`, the median of the repetitions; a MB is 10^6 bytes of the stream text "
        "the client received). This counts the server's extra work and also the slowdown of "
        "all its work while the recording process runs on the other core; the bars are "
        "judged on the work alone, counted in instructions (above). In the 10 ms ticks of "
        "`/proc/<pid>/stat`: "
        f"{c['extra_ms_per_trivial']:+.2f} ms ({c['extra_ms_per_trivial_paced']:+.2f} ms "
        f"ACKing at once, {pace}; {c['extra_ms_per_trivial_batched']:+.2f} ms back to back) "
        f"and {c['extra_ms_per_mb']:+.2f} ms per MB; a tick is 0.04 ms a run over 240 runs, "
        "but 1.5 ms per MB over 9 runs of 0.73 MB, as large as that bar.",
    ]
    if c.get("sampled"):
        lines += ["", sampled_table(c["sampled"])]
    return "\n".join(lines)


def instructions_table(n: dict[str, Any]) -> str:
    """The server's instructions per run, on vs off, under callgrind (instructions.py)."""
    if n.get("skipped"):
        return f"Not measured: {n['skipped']}."
    w = n["windows"]
    rate = n["ms_per_instruction"]
    trivial, single, flood = (w["on"][k] for k in ("trivial", "trivial_single", "flood"))
    labels = {
        "trivial": f"`pass`, {trivial['runs']} runs in bursts of {trivial['at_once']} "
        "(Run All); **the trivial bar**",
        "trivial_single": f"`pass`, {single['runs']} runs one at a time (each recorded on its own)",
        "flood": f"printing 120,000 lines, {flood['runs']} runs of "
        f"{n['mb_per_flood']:.2f} MB; **the per-MB bar**",
    }
    lines = [
        "| window | off | on | extra | extra, ms at the off server's native rate | "
        "wall s off / on | `api/status` pokes off / on |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, label in labels.items():
        r = n[key]
        lines.append(
            f"| {label} | {r['off_instructions'] / 1e6:.3f} M | {r['on_instructions'] / 1e6:.3f} M "
            f"| {r['extra_instructions'] / 1e3:+,.0f} k ({r['extra_percent']:+.2f}%) "
            f"| {r['extra_ms']:+.3f} ms | {w['off'][key]['wall_seconds']:.0f} / "
            f"{w['on'][key]['wall_seconds']:.0f} | {w['off'][key]['pokes']} / "
            f"{w['on'][key]['pokes']} |"
        )
    idle = w["off"]["idle"]["per_second"], w["on"]["idle"]["per_second"]
    lines += [
        "",
        f"Extra work per trivial run: **{n['extra_ms_per_trivial']:+.3f} ms** (bar +0.2 ms); "
        f"per MB of output: **{n['extra_ms_per_mb']:+.2f} ms** (bar +1.5 ms; the run's "
        "trivial extra included). Instructions per run of the server process alone, under "
        "`valgrind --tool=callgrind` (its kernel and recording process run natively), "
        "turned into ms at the rate the same windows ran at on a third server, off and "
        f"native: {1e-6 / rate:.2f} G instructions a second of its CPU time. Idle, off / on: "
        f"{idle[0] / 1e6:.2f} / {idle[1] / 1e6:.2f} M instructions a second (under "
        "callgrind; counted in each window as it lasts).",
    ]
    return "\n".join(lines)
