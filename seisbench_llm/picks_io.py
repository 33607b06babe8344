"""Writing picks (CSV, QuakeML) and plotting annotated stations, shared by ``seisbench-llm annotate``
and ``seisbench-llm demo``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Columns of ``picks.csv`` written by ``annotate``.
PICK_COLUMNS = (
    "trace_id",
    "phase",
    "peak_time",
    "start_time",
    "end_time",
    "peak_value",
    "source_file",
)
PHASE_COLORS = {"P": "tab:blue", "S": "tab:red", "Detection": "0.6"}


def annotate_and_pick(model: Any, stream: Any, argdict: dict[str, Any]) -> tuple[Any, list]:
    """SeisBench's ``classify`` of ``stream`` with the annotations kept (e.g. for a plot).

    :param argdict: Annotate/classify arguments, merged with ``model.default_args`` as SeisBench does.
    :return: The annotation stream and the picks (a list of SeisBench picks, sorted by time).
    """
    argdict = {**model.default_args, **argdict}
    prepared = model.classify_stream_pre(stream, argdict)
    annotations = model.annotate(prepared, **argdict)
    picks = list(getattr(model.classify_aggregate(annotations, argdict), "picks", []))
    picks.sort(key=lambda p: (p.trace_id, p.peak_time or p.start_time, str(p.phase)))
    return annotations, picks


def station_key(trace: Any) -> str:
    """``NET.STA.LOC``, the id SeisBench gives a station's annotations and picks."""
    stats = trace.stats
    return f"{stats.network}.{stats.station}.{stats.location}"


def _source_file(pick: Any, sources: Sequence[tuple[Any, Any, str]]) -> str:
    """The file(s) whose traces of the pick's station cover the pick time, ``;``-separated."""
    time = pick.peak_time if pick.peak_time is not None else pick.start_time
    covering = sorted({f for t0, t1, f in sources if t0 <= time <= t1})
    return ";".join(covering or sorted({f for _, _, f in sources}))


def write_picks_csv(
    path: Path, picks: Sequence[Any], sources: dict[str, list[tuple[Any, Any, str]]]
) -> None:
    """Write ``picks`` (SeisBench picks) as :py:data:`PICK_COLUMNS`, times in ISO 8601 (UTC)."""
    import csv

    def iso(time: Any) -> str:
        return "" if time is None else str(time)

    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(PICK_COLUMNS)
        for pick in picks:
            value = "" if pick.peak_value is None else f"{float(pick.peak_value):.4f}"
            source = _source_file(pick, sources.get(pick.trace_id, []))
            writer.writerow(
                [
                    pick.trace_id,
                    pick.phase,
                    iso(pick.peak_time),
                    iso(pick.start_time),
                    iso(pick.end_time),
                    value,
                    source,
                ]
            )


def _pick_channel(phase: str, channels: Sequence[str]) -> str:
    """Channel a pick is reported on: the vertical for P, a horizontal for S (else the first)."""
    preferred = "Z" if phase == "P" else "NE12"
    for channel in channels:
        if channel and channel[-1] in preferred:
            return channel
    return channels[0] if channels else ""


def write_quakeml(
    path: Path,
    picks: Sequence[Any],
    channels: dict[str, list[str]],
    description: str,
) -> None:
    """Write ``picks`` as one ObsPy Event (automatic picks with phase hints) in QuakeML."""
    from obspy import UTCDateTime
    from obspy.core.event import Catalog, Comment, CreationInfo, Event, WaveformStreamID
    from obspy.core.event import Pick as EventPick

    from seisbench_llm import __version__

    info = CreationInfo(author=f"seisbench_llm {__version__}", creation_time=UTCDateTime())
    event_picks = []
    for pick in picks:
        network, station, location = (pick.trace_id.split(".", 2) + ["", ""])[:3]
        waveform_id = WaveformStreamID(
            network_code=network,
            station_code=station,
            location_code=location,
            channel_code=_pick_channel(pick.phase, channels.get(pick.trace_id, [])),
        )
        text = f"peak_value={float(pick.peak_value):.4f}" if pick.peak_value is not None else ""
        text += f" window={pick.start_time}..{pick.end_time}"
        event_picks.append(
            EventPick(
                time=pick.peak_time if pick.peak_time is not None else pick.start_time,
                waveform_id=waveform_id,
                phase_hint=pick.phase,
                evaluation_mode="automatic",
                evaluation_status="preliminary",
                creation_info=info,
                comments=[Comment(text=text.strip())],
            )
        )
    event = Event(picks=event_picks, creation_info=info, comments=[Comment(text=description)])
    Catalog(events=[event], creation_info=info).write(str(path), format="QUAKEML")


def plot_series(
    ax: Any, x: Any, y: Any, color: str, label: str | None = None, envelope: bool = True
) -> None:
    """Plot a curve; long ones binned to about 4000 points: min/max envelope, or bin maxima."""
    import warnings

    import numpy as np

    y = np.asarray(y, dtype=float)
    step = len(y) // 4000
    if step < 2:
        ax.plot(x, y, color=color, lw=0.7, label=label)
        return
    n = (len(y) // step) * step
    bins = y[:n].reshape(-1, step)
    with warnings.catch_warnings():  # all-NaN bins (masked annotations) stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanmin(bins, axis=1), np.nanmax(bins, axis=1)
    if envelope:
        ax.fill_between(x[:n:step], low, high, color=color, lw=0, label=label)
    else:
        ax.plot(x[:n:step], high, color=color, lw=0.7, label=label)


def component_order(channel: str) -> tuple[int, str]:
    order = "ZNE12"
    last = channel[-1:] if channel else ""
    return (order.index(last) if last and last in order else len(order), channel)


def plot_station(
    path: Path,
    key: str,
    waveforms: Any,
    annotations: Any,
    picks: Sequence[Any],
    thresholds: dict[str, float],
    title: str,
) -> None:
    """One PNG: each waveform channel, the annotation curves, and the picks as vertical lines."""
    from matplotlib.figure import Figure

    t0 = min(tr.stats.starttime for tr in waveforms)
    channels = sorted({tr.stats.channel for tr in waveforms}, key=component_order)
    fig = Figure(figsize=(12, 1.6 * (len(channels) + 1) + 0.8), layout="constrained")
    axes = fig.subplots(len(channels) + 1, 1, sharex=True, squeeze=False)[:, 0]
    for ax, channel in zip(axes, channels, strict=False):
        for tr in waveforms.select(channel=channel):
            plot_series(ax, tr.times() + (tr.stats.starttime - t0), tr.data, "k")
        ax.set_ylabel(channel)
    curve_ax = axes[-1]
    for tr in annotations:
        label = tr.stats.channel.rsplit("_", 1)[-1]
        if label == "N":  # PhaseNet's noise curve
            continue
        x = tr.times() + (tr.stats.starttime - t0)
        color = PHASE_COLORS.get(label, "tab:green")
        plot_series(curve_ax, x, tr.data, color, label, envelope=False)
    for phase, threshold in thresholds.items():
        curve_ax.axhline(threshold, color=PHASE_COLORS.get(phase, "tab:green"), ls=":", lw=0.8)
    for pick in picks:
        time = pick.peak_time if pick.peak_time is not None else pick.start_time
        for ax in axes:
            ax.axvline(time - t0, color=PHASE_COLORS.get(pick.phase, "tab:green"), lw=0.8)
    curve_ax.set_ylim(-0.05, 1.05)
    curve_ax.set_ylabel("probability")
    if curve_ax.get_legend_handles_labels()[0]:
        curve_ax.legend(loc="upper right", fontsize="small")
    curve_ax.set_xlabel(f"seconds after {t0}")
    axes[0].set_title(f"{key}  {title}  ({len(picks)} picks)")
    fig.savefig(path, dpi=100, format="png")
