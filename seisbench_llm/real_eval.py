"""Pickers on the real evaluation set: running and scoring them, the tables, the figure, a
classical picker to compare with, and the targets a picker meant for real data should meet.

The set and the scoring rule are :py:mod:`seisbench_llm.data.real_events`; the command line is
``benchmarks/real_eval.py``; the demo scores its weights with the same functions. See
docs/real_eval.md.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seisbench_llm.data.real_events import (
    PHASES,
    SPECS,
    TOLERANCE,
    RealRecord,
    score_picks,
    summarize,
)

CLASSICAL = "classical (ObsPy AR / Baer)"
#: ObsPy's AR-picker settings of its trigger tutorial (seconds and AR orders); f2 is capped below
#: the Nyquist frequency of each stream.
AR_ARGS = {
    "f1": 1.0,
    "f2": 20.0,
    "lta_p": 1.0,
    "sta_p": 0.1,
    "lta_s": 4.0,
    "sta_s": 1.0,
    "m_p": 2,
    "m_s": 8,
    "l_p": 0.1,
    "l_s": 0.2,
}
#: Baer-Kradolfer settings of ObsPy's trigger tutorial (sample counts are for 100 Hz and scaled).
BAER_ARGS = {
    "tdownmax": 20,
    "tupevent": 60,
    "thr1": 7.0,
    "thr2": 12.0,
    "preset_len": 100,
    "p_dur": 100,
}

Picker = Callable[[Any], list]


def _by_component(traces: Sequence[Any]) -> dict[str, Any]:
    """Traces keyed Z/N/E by the last letter of their channel (1 and 2 count as N and E)."""
    out = {}
    for tr in traces:
        comp = {"1": "N", "2": "E"}.get(tr.stats.channel[-1:], tr.stats.channel[-1:])
        out.setdefault(comp, tr)
    return out


def _pick(trace_id: str, time: Any, phase: str) -> Any:
    from seisbench.util import Pick

    return Pick(trace_id, start_time=time, end_time=time, peak_time=time, phase=phase)


def classical_picks(stream: Any) -> list:
    """Picks of a classical picker, in SeisBench's form (``seisbench.util.Pick``).

    Per station: ObsPy's ``ar_pick`` (one P and one S) where Z, N and E are present, else
    ``pk_baer`` on the vertical (one P). A time at or before the first sample is no pick.

    :param stream: ObsPy stream of one or more stations.
    :return: The picks, sorted by time.
    """
    from obspy.signal.trigger import ar_pick, pk_baer

    picks = []
    stations = {(tr.stats.network, tr.stats.station, tr.stats.location) for tr in stream}
    for net, sta, loc in sorted(stations):
        comps = _by_component(stream.select(network=net, station=sta, location=loc))
        trace_id = f"{net}.{sta}.{loc}"
        first = comps.get("Z") or next(iter(comps.values()))
        rate = first.stats.sampling_rate
        start = first.stats.starttime
        if all(c in comps for c in "ZNE"):
            n = min(len(comps[c]) for c in "ZNE")
            data = [np.asarray(comps[c].data[:n], dtype=np.float32) for c in "ZNE"]
            args = {**AR_ARGS, "f2": min(AR_ARGS["f2"], 0.45 * rate)}
            times = ar_pick(*data, rate, **args)
            phases = dict(zip(PHASES, times, strict=True))
        else:
            scale = rate / 100.0
            args = {k: (int(v * scale) if isinstance(v, int) else v) for k, v in BAER_ARGS.items()}
            sample, _ = pk_baer(np.asarray(first.data, dtype=np.float32), rate, **args)
            phases = {"P": sample / rate}
        picks += [
            _pick(trace_id, start + float(t), phase)
            for phase, t in phases.items()
            if t > 1.0 / rate
        ]
    return sorted(picks, key=lambda p: p.peak_time)


def model_picker(model_name: str, weights: str, precision: str = "float32") -> Picker:
    """A picker that runs ``model_name`` with ``weights`` (a registry name or a weight file path,
    loaded and run as ``seisbench-llm annotate`` does) through SeisBench's ``classify``.

    :param precision: Precision of SeisMoLLM's forward pass (see :py:mod:`seisbench_llm.precision`).
    :raises seisbench_llm.models.loading.ModelLoadError: Weights that cannot be loaded.
    """
    from seisbench_llm.models.loading import load_model, ready_for_annotation

    return annotation_picker(
        ready_for_annotation(load_model(model_name, weights).eval(), precision)
    )


def annotation_picker(model: Any) -> Picker:
    """A picker that runs a loaded model through SeisBench's ``classify`` with its default
    arguments (:py:func:`seisbench_llm.picks_io.annotate_and_pick`).

    :param model: A SeisBench picking model in eval mode.
    """
    from seisbench_llm.picks_io import annotate_and_pick

    def pick(stream: Any) -> list:
        return annotate_and_pick(model, stream, {})[1]

    return pick


def evaluate(
    pickers: dict[str, Picker], records: Sequence[RealRecord], tolerance: float = TOLERANCE
) -> tuple[list[dict[str, Any]], dict[str, list]]:
    """Run every picker on every record and score its picks.

    :return: Per-record rows (one per picker and record) and the picks by picker (record order).
    """
    rows, all_picks = [], {}
    for label, picker in pickers.items():
        all_picks[label] = []
        for record in records:
            picks = picker(record.stream.copy())
            all_picks[label].append(picks)
            row: dict[str, Any] = {"picker": label, "record": record.name}
            for phase, score in score_picks(record.picks, picks, tolerance).items():
                ref = record.picks.get(phase)
                row[f"{phase}_reference"] = str(ref.time) if ref else ""
                row[f"{phase}_origin"] = ref.origin if ref else ""
                row[f"{phase}_error_s"] = score.error
                row[f"{phase}_missed"] = score.missed
                row[f"{phase}_spurious"] = score.spurious
                row[f"{phase}_confusions"] = score.confusions
                row[f"{phase}_scores"] = score
            rows.append(row)
    return rows, all_picks


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:+.{digits}f}" if digits == 2 else f"{value:.{digits}f}"


def summary_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per picker: :py:func:`summarize` over its records."""
    out = []
    for label in dict.fromkeys(r["picker"] for r in rows):
        mine = [r for r in rows if r["picker"] == label]
        scores = [{p: r[f"{p}_scores"] for p in PHASES} for r in mine]
        out.append({"picker": label, "records": len(mine), **summarize(scores)})
    return out


def markdown_tables(rows: Sequence[dict[str, Any]], tolerance: float) -> str:
    """The summary table and the per-record table, in markdown."""
    lines = [
        f"Hits: a pick within {tolerance:g} s of the reference; errors of hits in s "
        "(pick - reference); 'S on P': S picks on the P onset.",
        "",
        "| picker | P hits | P median abs err | P max abs err | P missed | P spurious "
        "| S hits | S median abs err | S missed | S spurious | S on P | P on S |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summary_rows(rows):
        lines.append(
            f"| {s['picker']} | {s['P_hits']}/{s['P_references']} "
            f"| {_fmt(s['P_median_abs_error'], 3)} | {_fmt(s['P_max_abs_error'], 3)} "
            f"| {s['P_missed']} | {s['P_spurious']} | {s['S_hits']}/{s['S_references']} "
            f"| {_fmt(s['S_median_abs_error'], 3)} | {s['S_missed']} | {s['S_spurious']} "
            f"| {s['S_confusions']} | {s['P_confusions']} |"
        )
    lines += [
        "",
        "| record | picker | P error | S error | missed P/S | spurious P/S | S on P |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: [s.name for s in SPECS].index(r["record"])):
        lines.append(
            f"| {r['record']} | {r['picker']} | {_fmt(r['P_error_s'])} | {_fmt(r['S_error_s'])} "
            f"| {r['P_missed']}/{r['S_missed']} | {r['P_spurious']}/{r['S_spurious']} "
            f"| {r['S_confusions']} |"
        )
    return "\n".join(lines)


def reference_table(records: Sequence[RealRecord]) -> str:
    """The records and their reference onsets (seconds after the record start, origin)."""
    lines = ["| record | recording | P (s) | S (s) | waveform from |", "|---|---|---|---|---|"]
    for rec in records:
        start = min(tr.stats.starttime for tr in rec.stream)
        cells = [
            f"{rec.picks[p].time - start:.2f} ({rec.picks[p].origin})" if p in rec.picks else "-"
            for p in PHASES
        ]
        lines.append(f"| {rec.name} | {rec.description} | {cells[0]} | {cells[1]} | {rec.source} |")
    return "\n".join(lines)


def write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write ``rows`` (their plain fields) as CSV."""
    fields = [k for k in rows[0] if not k.endswith("_scores")]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def plot_records(
    path: Path, label: str, records: Sequence[RealRecord], picks: Sequence[list]
) -> Path:
    """One panel per record: its traces (normalised, stacked), reference onsets as solid lines,
    the picker's picks as dashed lines, P blue and S red. Traces are shown high-passed at 1 Hz
    (display only: the pickers get the raw stream)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from seisbench_llm.picks_io import PHASE_COLORS

    fig, axes = plt.subplots(len(records), 1, figsize=(12, 2.3 * len(records)), squeeze=False)
    for ax, rec, rec_picks in zip(axes[:, 0], records, picks, strict=True):
        start = min(tr.stats.starttime for tr in rec.stream)
        shown = rec.stream.copy().detrend("demean").taper(0.02).filter("highpass", freq=1.0)
        for i, tr in enumerate(shown):
            data = tr.data.astype(float)
            data /= np.max(np.abs(data)) or 1.0
            ax.plot(tr.times() + (tr.stats.starttime - start), data - 2.2 * i, color="k", lw=0.4)
            ax.text(0, -2.2 * i + 0.5, tr.stats.channel, fontsize=7)
        for phase, ref in rec.picks.items():
            ax.axvline(
                ref.time - start,
                color=PHASE_COLORS[phase],
                lw=2.5,
                alpha=0.35,
                label=f"reference {phase} ({ref.origin})",
            )
        for pick in rec_picks:
            if pick.phase in PHASES:
                ax.axvline(
                    pick.peak_time - start,
                    color=PHASE_COLORS[pick.phase],
                    lw=1,
                    ls="--",
                    label=f"picked {pick.phase}",
                )
        handles = dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
        ax.legend(handles.values(), handles.keys(), fontsize=7, loc="upper right")
        ax.set_title(f"{rec.name}: {rec.description}", fontsize=8, loc="left")
        ax.set_yticks([])
    axes[-1, 0].set_xlabel("seconds after the record start")
    fig.suptitle(
        f"{label} on real recordings (ObsPy data; traces high-passed at 1 Hz)", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


#: What a picker meant for real data must do on the set (the demo checks its weights against it).
REAL_TARGETS = (
    "every P within the tolerance",
    "most S (more than half) within the tolerance",
    "no S pick on a P onset",
)


def real_targets(summary: dict[str, Any]) -> dict[str, bool]:
    """Which of :py:data:`REAL_TARGETS` a picker meets, from its :py:func:`summary_rows` row.

    :param summary: One row of :py:func:`summary_rows`.
    :return: Target text -> met.
    """
    met = (
        summary["P_hits"] == summary["P_references"],
        2 * summary["S_hits"] > summary["S_references"],
        summary["S_confusions"] == 0,
    )
    return dict(zip(REAL_TARGETS, met, strict=True))
