"""Input handling shared by the package's SeisBench models (SeisMoLLM, SeisMoE, and baselines
loaded by the CLI): argument checks, stream preparation, non-finite masking and edge padding.

SeisBench's ``annotate`` has no hook before it copies and merges the input stream, nor one after
it has assembled the annotation stream. :py:class:`InputHandling` adds exactly these two steps
around SeisBench's own ``annotate_async`` (which then runs its public hooks as usual):

1. before: check the arguments and the input type, convert samples to float64, drop channels the
   model cannot use (with a warning), merge each channel into one trace, bring channels beyond
   float32's range into it, replace NaN/inf samples and gaps by the channel mean (remembering
   where they were), and pad each channel at both ends with its own noise (mirrored);
2. after: trim the annotations to the input's time span and set them to NaN over the
   non-finite samples and gaps.

:py:func:`add_input_handling` gives any SeisBench ``WaveformModel`` (e.g. EQTransformer or
PhaseNet loaded by the CLI) the same behaviour.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
import obspy
import seisbench.util as sbu

logger = logging.getLogger("seisbench_llm")

#: Stacking methods SeisBench implements; anything else makes SeisBench's annotate hang.
STACKING_METHODS = ("avg", "max")
#: A channel whose largest magnitude exceeds this is rescaled by a power of two (see
#: :py:func:`fit_float32`): squares of such values still fit float32.
FLOAT32_SAFE_MAX = 2.0**60
_FLOAT32_MAX = float(np.finfo(np.float32).max)
#: Horizontal component codes SeisBench treats as equal with ``flexible_horizontal_components``.
_FLEXIBLE = {"1": "N", "2": "E", "N": "1", "E": "2"}

Span = tuple[obspy.UTCDateTime, obspy.UTCDateTime]


# ---------------------------------------------------------------------------------- arguments
def _bad(key: str, value: Any, allowed: str) -> ValueError:
    return ValueError(f"annotate argument {key}={value!r} is not allowed: {allowed}")


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def check_annotate_args(model: Any, argdict: Mapping[str, Any]) -> None:
    """Reject annotate/classify arguments on which SeisBench would hang or fail late.

    :param model: A SeisBench ``WaveformModel``.
    :param argdict: The arguments, ``model.default_args`` merged with the call's.
    :raises ValueError: One line naming the argument, its value and what is allowed.
    """
    defaults = model._annotate_args

    def get(key: str) -> Any:
        return argdict.get(key, defaults[key][1] if key in defaults else None)

    batch_size = get("batch_size")
    if not _is_int(batch_size) or batch_size < 1:
        raise _bad("batch_size", batch_size, "an integer >= 1")
    stacking = get("stacking")
    if not isinstance(stacking, str) or stacking.lower() not in STACKING_METHODS:
        raise _bad("stacking", stacking, f"one of {', '.join(map(repr, STACKING_METHODS))}")
    if model.output_type == "point":
        stride = get("stride")
        if not _is_int(stride) or stride < 1:
            raise _bad("stride", stride, "an integer >= 1")
    else:
        overlap = get("overlap")
        window = model.in_samples
        ok = _is_number(overlap) and overlap >= 0
        if ok and overlap >= 1:
            ok = float(overlap).is_integer() and overlap < window
        if not ok:
            raise _bad(
                "overlap",
                overlap,
                f"a fraction in [0, 1) of the window or a whole number of samples below the "
                f"window length {window}",
            )
    if "ps_separation" in defaults:
        separation = get("ps_separation")
        if not (_is_number(separation) and separation >= 0):
            raise _bad("ps_separation", separation, "a number of seconds >= 0")
    if "blinding" in defaults:
        blinding = get("blinding")
        pair = isinstance(blinding, (tuple, list)) and len(blinding) == 2
        if not pair or not all(_is_int(b) and b >= 0 for b in blinding):
            raise _bad("blinding", blinding, "two integers >= 0 (samples before, after)")
        if sum(blinding) >= model.in_samples:
            raise _bad("blinding", blinding, f"a sum below the window length {model.in_samples}")


def check_stream(stream: Any) -> None:
    """:raises TypeError: ``stream`` is not an :py:class:`obspy.Stream`."""
    if not isinstance(stream, obspy.Stream):
        raise TypeError(
            f"Expected an obspy.Stream, got {type(stream).__name__} (wrap arrays in obspy.Trace "
            "objects with sampling rate and start time)"
        )


# ---------------------------------------------------------------------------------- stream
def station_key(trace: obspy.Trace) -> str:
    """``NET.STA.LOC``, the id SeisBench gives an instrument's annotations and picks."""
    return f"{trace.stats.network}.{trace.stats.station}.{trace.stats.location}"


def accepted_components(component_order: str, flexible: bool) -> dict[str, int]:
    """Component code -> index in the model's input (``1``/``2`` as ``N``/``E`` if flexible)."""
    index = {c: i for i, c in enumerate(component_order)}
    if flexible:
        index.update({a: index[b] for a, b in _FLEXIBLE.items() if b in index and a not in index})
    return index


def _select_channels(stream: obspy.Stream, components: dict[str, int]) -> obspy.Stream:
    """Drop channels of other components, and all but one band per station, with warnings."""
    by_station: dict[str, list[obspy.Trace]] = {}
    for tr in stream:
        by_station.setdefault(station_key(tr), []).append(tr)
    kept = []
    for key, traces in by_station.items():
        unknown = sorted(
            {tr.stats.channel for tr in traces if tr.stats.channel[-1:] not in components}
        )
        if unknown:
            logger.warning(
                f"Station {key}: channel(s) {', '.join(unknown)} ignored: not among the model's "
                f"components {''.join(sorted(set(components)))}"
            )
        traces = [tr for tr in traces if tr.stats.channel[-1:] in components]
        bands: dict[str, list[obspy.Trace]] = {}
        for tr in traces:
            bands.setdefault(tr.stats.channel[:-1], []).append(tr)
        if len(bands) > 1:
            rank = {
                band: (
                    -max(tr.stats.sampling_rate for tr in trs),
                    -sum(tr.stats.npts for tr in trs),
                    band,
                )
                for band, trs in bands.items()
            }
            best = min(bands, key=rank.__getitem__)
            others = ", ".join(f"{b}?" for b in sorted(bands) if b != best)
            logger.warning(
                f"Station {key} has channels {best}? and {others}; using {best}? (highest "
                f"sampling rate, then most samples), ignoring {others}"
            )
            traces = bands[best]
        kept += traces
    return obspy.Stream(kept)


def warn_missing_components(stream: obspy.Stream, components: dict[str, int], n: int, strict: bool):
    """Warn for each station that lacks some of the model's ``n`` input components."""
    present: dict[str, set[int]] = {}
    for tr in stream:
        present.setdefault(station_key(tr), set()).add(components[tr.stats.channel[-1]])
    order = {i: c for c, i in reversed(list(components.items()))}
    for key, have in sorted(present.items()):
        missing = [order[i] for i in range(n) if i not in have]
        if missing:
            action = (
                "station skipped (strict=True)"
                if strict
                else "zero-filled (strict=True skips such stations)"
            )
            logger.warning(f"Station {key}: no {', '.join(missing)} component; {action}")


def fit_float32(trace: obspy.Trace) -> None:
    """Bring a float64 channel whose largest magnitude exceeds :py:data:`FLOAT32_SAFE_MAX` into
    float32's range: multiply it by the power of two that brings its median magnitude to ~1 (the
    models normalise each window, so the scale does not matter); samples still beyond float32's
    range (lone spikes) become inf, to be masked like other non-finite samples."""
    data = trace.data
    finite = np.abs(data[np.isfinite(data)])
    if finite.size == 0 or finite.max() <= FLOAT32_SAFE_MAX:
        return
    nonzero = finite[finite > 0]
    level = float(np.median(nonzero))
    trace.data = np.ldexp(data, -math.frexp(level)[1])
    trace.data[np.abs(trace.data) > _FLOAT32_MAX] = np.inf


def _nonfinite_spans(trace: obspy.Trace) -> list[Span]:
    """Replace NaN/inf samples by the channel's finite mean; return their time spans."""
    data = trace.data
    bad = ~np.isfinite(data)
    if not bad.any():
        return []
    data[bad] = float(np.mean(data[~bad])) if (~bad).any() else 0.0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], bad.astype(np.int8), [0]])))
    start, delta = trace.stats.starttime, trace.stats.delta
    return [
        (start + i0 * delta, start + (i1 - 1) * delta)
        for i0, i1 in zip(edges[::2], edges[1::2], strict=True)
    ]


def prepare_stream(
    stream: obspy.Stream, components: dict[str, int]
) -> tuple[obspy.Stream, dict[str, list[Span]]]:
    """A prepared copy of ``stream``: float64 samples, channels of ``components`` only (one band
    per station), each channel merged into one trace (gaps filled with NaN; of overlapping records
    the later one is kept, ObsPy's merge method 1), fitted into float32's range, and NaN/inf
    samples replaced by the channel's finite mean.

    :return: The stream and, per station (``NET.STA.LOC``), the time spans of the replaced samples.
    """
    check_stream(stream)
    stream = stream.copy()
    for tr in stream:
        tr.data = np.asarray(np.ma.filled(tr.data.astype(np.float64), np.nan))
    stream = _select_channels(obspy.Stream([tr for tr in stream if tr.stats.npts > 0]), components)
    try:
        stream.merge(method=1, fill_value=np.nan)
    except Exception as e:  # e.g. one channel id with two sampling rates
        raise ValueError(f"Cannot merge the traces of the input stream: {e}") from e
    bad: dict[str, list[Span]] = {}
    for tr in stream:
        fit_float32(tr)
        bad.setdefault(station_key(tr), []).extend(_nonfinite_spans(tr))
    return stream, bad


def station_spans(stream: obspy.Stream) -> dict[str, Span]:
    """First and last sample time per station."""
    spans: dict[str, Span] = {}
    for tr in stream:
        key = station_key(tr)
        t0, t1 = spans.get(key, (tr.stats.starttime, tr.stats.endtime))
        spans[key] = (min(t0, tr.stats.starttime), max(t1, tr.stats.endtime))
    return spans


#: Onset test of :py:func:`leading_noise`: stretches of this length (s), at half-stretch steps ...
NOISE_STRETCH_S = 0.5
#: ... whose mean absolute sample-to-sample change exceeds this many times the smallest before.
ONSET_RISE = 3.0


def leading_noise(data: np.ndarray, length: int) -> int:
    """How many leading samples of ``data`` come before its first onset: the start of the last
    ``length``-sample stretch before the first stretch whose mean absolute sample-to-sample
    change (a high-pass energy: microseism barely counts) exceeds :py:data:`ONSET_RISE` times
    the smallest of the stretches before it. All of ``data`` without such a rise."""
    hop = max(length // 2, 1)
    if data.size < length + hop + 1:
        return data.size
    change = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(data)))])
    starts = np.arange(0, change.size - length, hop)
    level = (change[starts + length] - change[starts]) / length
    rising = np.flatnonzero(level[1:] > ONSET_RISE * np.minimum.accumulate(level)[:-1])
    return data.size if rising.size == 0 else max(int(starts[rising[0]]), hop)


def mirrored_noise(data: np.ndarray, n: int, length: int) -> np.ndarray:
    """``n`` samples to put before ``data``: its leading samples up to the first onset
    (:py:func:`leading_noise`), mirrored back and forth away from ``data`` (numpy's ``reflect``;
    ``symmetric`` for a single sample)."""
    noise = data[: leading_noise(data[: max(n, 2 * length)], length)]
    mode = "symmetric" if noise.size < 2 else "reflect"
    return np.pad(noise, (n, 0), mode=mode)[:n]


def pad_stream(stream: obspy.Stream, window_s: float, pre_s: float, post_s: float) -> None:
    """Pad every (merged) channel with its own noise: ``pre_s`` before its first sample,
    ``post_s`` after its last, and to at least ``window_s + pre_s + post_s`` in total.

    Each side mirrors the channel's samples next to it, back and forth, but only those before
    the first onset counted from that edge (:py:func:`mirrored_noise`): noise continues into the
    padding at its own level, so no step looks like an onset (padding with a constant did), and
    an onset close to the edge is not copied into the padding (mirroring the channel itself put
    a reversed copy of a P onset 1 s after the start before it, and the models called it S)."""
    for tr in stream:
        rate, data = tr.stats.sampling_rate, np.asarray(tr.data)
        n_pre = int(round(pre_s * rate))
        n_total = max(
            tr.stats.npts + n_pre + int(round(post_s * rate)),
            int(round((window_s + pre_s + post_s) * rate)) + 1,
        )
        length = max(int(round(NOISE_STRETCH_S * rate)), 1)
        pre = mirrored_noise(data, n_pre, length)
        post = mirrored_noise(data[::-1], n_total - n_pre - tr.stats.npts, length)[::-1]
        tr.data = np.concatenate([pre, data, post])
        tr.stats.starttime -= n_pre / rate


def edge_padding(model: Any, argdict: Mapping[str, Any]) -> tuple[int, int]:
    """Samples (at the model's rate) to pad before and after each channel so that every input
    sample is annotated: the blinding of array outputs; for point outputs, enough for each sample
    to be the prediction sample of some window."""
    if model.output_type == "point":
        return int(model.pred_sample), model.in_samples - int(model.pred_sample) - 1
    default = model._annotate_args.get("blinding", (None, (0, 0)))[1]
    pre, post = argdict.get("blinding", default)
    return int(pre), int(post)


def finish_annotations(
    output: obspy.Stream, spans: Mapping[str, Span], bad: Mapping[str, list[Span]]
) -> obspy.Stream:
    """Trim annotations to each station's input span (float32) and set them to NaN over ``bad``."""
    for trace in output:
        key = station_key(trace)
        t0, t1 = spans.get(key, (trace.stats.starttime, trace.stats.endtime))
        trace.trim(t0, t1)
        trace.data = np.asarray(trace.data, dtype=np.float32)
        rate, start = trace.stats.sampling_rate, trace.stats.starttime
        for b0, b1 in bad.get(key, []):
            i0 = max(int(np.floor((b0 - start) * rate)), 0)
            trace.data[i0 : int(np.ceil((b1 - start) * rate)) + 1] = np.nan
    return obspy.Stream([tr for tr in output if tr.stats.npts > 0])


def p_time_of(p_times: Any, key: str) -> obspy.UTCDateTime | None:
    """The P onset of station ``key`` (``NET.STA.LOC``) in ``p_times``: one UTCDateTime for all,
    a dict keyed by ``NET.STA.LOC`` (or ``NET.STA``), or a PickList (its earliest P pick whose
    trace id names exactly this station). None: not given."""
    if p_times is None or isinstance(p_times, obspy.UTCDateTime):
        return p_times
    if isinstance(p_times, sbu.PickList):
        picks = [
            p
            for p in p_times
            if p.phase == "P" and ".".join((p.trace_id.split(".") + ["", ""])[:3]) == key
        ]
        return min((p.peak_time or p.start_time for p in picks), default=None)
    if isinstance(p_times, Mapping):
        for candidate in (key, key.rsplit(".", 1)[0], key.rstrip(".")):
            if candidate in p_times:
                return obspy.UTCDateTime(p_times[candidate])
        return None
    raise TypeError(
        "p_times must be a dict 'NET.STA.LOC' -> UTCDateTime, a PickList or a UTCDateTime, "
        f"got {type(p_times).__name__}"
    )


def cut_window(
    traces: list[obspy.Trace],
    start: obspy.UTCDateTime,
    n_samples: int,
    components: Mapping[str, int],
    n_components: int,
    bad: list[Span],
) -> tuple[np.ndarray, bool]:
    """A ``(n_components, n_samples)`` float32 window of one station's prepared ``traces`` from
    ``start`` (zero where there is no data).

    :return: The window, and whether any of its samples holds data (not a gap or masked sample).
    """
    window = np.zeros((n_components, n_samples), dtype=np.float32)
    has_data = np.zeros(n_samples, dtype=bool)
    rate = traces[0].stats.sampling_rate if traces else 1.0  # all traces have the model's rate
    for tr in traces:
        offset = int(round((tr.stats.starttime - start) * rate))
        a0, a1 = max(0, -offset), min(tr.stats.npts, n_samples - offset)
        if a1 > a0:
            window[components[tr.stats.channel[-1]], offset + a0 : offset + a1] = tr.data[a0:a1]
            has_data[offset + a0 : offset + a1] = True
    for b0, b1 in bad:
        i0 = max(int(np.floor((b0 - start) * rate)), 0)
        has_data[i0 : max(int(np.ceil((b1 - start) * rate)) + 1, 0)] = False
    return window, bool(has_data.any())


# ---------------------------------------------------------------------------------- mixin
class InputHandling:
    """Mixin for a SeisBench ``WaveformModel``: the input handling of this module around
    SeisBench's ``annotate_async`` (and so ``annotate`` and ``classify``). List it before the
    model class: ``class MyModel(InputHandling, sbm.EQTransformer)``."""

    def prepare_input(
        self, stream: obspy.Stream, argdict: Mapping[str, Any]
    ) -> tuple[obspy.Stream, dict[str, list[Span]]]:
        """Check ``argdict`` and prepare ``stream`` (:py:func:`prepare_stream`), warning about
        stations that lack components.

        :param argdict: Annotate arguments, ``default_args`` merged with the call's.
        :return: The prepared stream and, per station, the spans of its masked samples.
        """
        check_annotate_args(self, argdict)
        components = self.input_components(argdict)
        stream, bad = prepare_stream(stream, components)
        strict = argdict.get("strict", False)
        warn_missing_components(stream, components, len(self.component_order), strict)
        return stream, bad

    def input_components(self, argdict: Mapping[str, Any]) -> dict[str, int]:
        """Component code -> input index (see :py:func:`accepted_components`)."""
        flexible = argdict.get("flexible_horizontal_components", True)
        return accepted_components(self.component_order, flexible)

    def prepare_annotate(
        self, stream: obspy.Stream, argdict: Mapping[str, Any]
    ) -> tuple[obspy.Stream, dict[str, Span], dict[str, list[Span]]]:
        """:py:meth:`prepare_input`, then pad each channel (:py:func:`pad_stream`,
        :py:func:`edge_padding`).

        :return: The padded stream, each station's input span and its masked spans.
        """
        stream, bad = self.prepare_input(stream, argdict)
        spans = station_spans(stream)
        pre, post = edge_padding(self, argdict)
        rate = self.sampling_rate
        pad_stream(stream, self.in_samples / rate, pre / rate, post / rate)
        return stream, spans, bad

    async def annotate_async(
        self, stream: obspy.Stream, copy: bool = True, **kwargs
    ) -> obspy.Stream:
        """SeisBench's ``annotate_async`` with this module's input handling around it (the input
        stream is never modified, whatever ``copy``)."""
        stream, spans, bad = self.prepare_annotate(stream, {**self.default_args, **kwargs})
        if len(stream) == 0:
            return obspy.Stream()
        output = await super().annotate_async(stream, copy=False, **kwargs)
        return finish_annotations(output, spans, bad)


_WITH_INPUT_HANDLING: dict[type, type] = {}


def add_input_handling(model: Any) -> Any:
    """Give a SeisBench ``WaveformModel`` instance (e.g. ``sbm.EQTransformer.from_pretrained``)
    this module's input handling, in place: its class becomes a subclass with
    :py:class:`InputHandling` and the same name (so annotation channels, weights and picks are
    unchanged). Models that have it already are returned as they are.

    :return: ``model``.
    """
    cls = type(model)
    if not isinstance(model, InputHandling):
        if cls not in _WITH_INPUT_HANDLING:
            _WITH_INPUT_HANDLING[cls] = type(
                cls.__name__, (InputHandling, cls), {"__module__": cls.__module__}
            )
        model.__class__ = _WITH_INPUT_HANDLING[cls]
    return model
