"""A small evaluation set of REAL earthquake recordings, built at run time from files that ObsPy
ships, and the rule that scores P/S picks against it.

Nothing is copied into this repository and nothing here is used for training: :py:func:`real_events`
reads the recordings from the installed ``obspy`` package (its example stream and its test data)
every time. Each record carries reference P and/or S onsets and says where each one comes from:

* ``analyst``: the onset was set by an analyst and stored with the waveform (SAC header ``A`` with
  its pick flag ``KA``);
* ``read``: no published onset ships with the file; the onset was read from the waveform for this
  project (band-pass 2-20 Hz, AIC minimum in a window chosen by eye, checked on a zoomed plot: P
  on the vertical, S on the horizontals). These are marked as such in every table and are good
  to about 0.05 s for P and 0.1 s for S.

A phase without a reference is not judged on that record (its picks are neither missed nor
spurious), except that an S pick on the P onset is always a P/S confusion. See docs/real_eval.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: The two phases scored.
PHASES = ("P", "S")
#: Default tolerance (s) within which a pick matches a reference onset.
TOLERANCE = 0.5
#: How a reference onset was obtained (see the module docstring).
ORIGINS = ("analyst", "read")


@dataclass(frozen=True)
class ReferencePick:
    """One reference onset of a record.

    :param phase: ``"P"`` or ``"S"``.
    :param time: Onset time (an ObsPy ``UTCDateTime``).
    :param origin: One of :py:data:`ORIGINS`.
    :param source: Where the onset comes from (file and header field, or how it was read).
    """

    phase: str
    time: Any
    origin: str
    source: str


@dataclass
class RealRecord:
    """A real recording with its reference onsets.

    :param name: Short unique name.
    :param stream: The ObsPy stream (channels end in Z/N/E).
    :param picks: Reference onsets by phase; a phase that is absent is not judged.
    :param source: Where the waveform comes from (package and file).
    :param description: Station, event and instrument in words.
    """

    name: str
    stream: Any
    picks: dict[str, ReferencePick]
    source: str
    description: str


@dataclass(frozen=True)
class _Spec:
    """How to build one record: a loader of the stream and onsets in seconds after its start."""

    name: str
    files: tuple[str, ...]
    load: Callable[[Path], Any]
    description: str
    onsets: dict[str, float] = field(default_factory=dict)


def obspy_data_dir() -> Path:
    """Folder of the installed ``obspy`` package (where its test data lie)."""
    import obspy

    return Path(obspy.__file__).parent


def _read(relative: str, trim: tuple[float, float] | None = None, rename: dict | None = None):
    """A loader that reads ``relative`` (below the obspy package) with ``obspy.read``."""

    def load(root: Path) -> Any:
        import obspy

        stream = obspy.read(str(root / relative))
        if trim is not None:
            t0 = min(tr.stats.starttime for tr in stream)
            stream.trim(t0 + trim[0], t0 + trim[1])
        for tr in stream:
            tr.stats.channel = (rename or {}).get(tr.stats.channel, tr.stats.channel)
        return stream

    return load


def _load_example(root: Path) -> Any:
    import obspy

    return obspy.read()


def _load_rjob_ascii(root: Path) -> Any:
    """The three ASCII columns of ObsPy's AR-picker test (200 Hz, start time from the name)."""
    import obspy

    stream = obspy.Stream()
    for comp in "ZNE":
        path = root / "signal/tests/data" / f"loc_RJOB20050801145719850.{comp.lower()}"
        header = {
            "network": "BW",
            "station": "RJOB",
            "channel": f"EH{comp}",
            "sampling_rate": 200.0,
            "starttime": obspy.UTCDateTime("2005-08-01T14:57:19.850"),
        }
        stream += obspy.Trace(np.loadtxt(path, dtype=np.float32), header=header)
    return stream


def _load_seism_sac(root: Path) -> Any:
    stream = _read("io/sac/tests/data/seism.sac")(root)
    stream[0].stats.channel = "Z"  # SAC component 'Q' with CMPINC 0: the vertical
    return stream


_UH3 = "signal/tests/data/BW.UH3._.SH?.D.2010.147.cut.slist.gz"
_READ = "read from the waveform for this project (2-20 Hz, AIC, checked by eye)"

#: The records, in table order. Onsets are seconds after the start of the (trimmed) stream.
SPECS: tuple[_Spec, ...] = (
    _Spec(
        "RJOB_2009",
        ("obspy.read() example",),
        _load_example,
        "BW.RJOB 2009-08-24 00:20, local event, 3-comp. short period, 100 Hz, 30 s",
        {"P": 4.72, "S": 5.72},
    ),
    _Spec(
        "RJOB_2005",
        ("signal/tests/data/loc_RJOB20050801145719850.[zne]",),
        _load_rjob_ascii,
        "BW.RJOB 2005-08-01 14:57, local event, 3-comp., 200 Hz, 60 s (ObsPy's AR-picker test)",
        {"P": 30.64, "S": 31.32},
    ),
    _Spec(
        "UH3_2010a",
        (_UH3,),
        _read(_UH3, trim=(0.0, 60.0)),
        "BW.UH3 2010-05-27 16:24, local event, 3-comp., 50 Hz, first 60 s",
        {"P": 29.48, "S": 30.68},
    ),
    _Spec(
        "UH3_2010b",
        (_UH3,),
        _read(_UH3, trim=(180.0, 230.32)),
        "BW.UH3 2010-05-27 16:27, second local event of the same file, 50 s",
        {"P": 26.74, "S": 27.94},
    ),
    _Spec(
        "CDV_1981",
        ("io/sac/tests/data/seism.sac",),
        _load_seism_sac,
        "CDV 1981-03-29 (event K8108838), SAC's sample seismogram, vertical only, 100 Hz, 10 s",
    ),
    _Spec(
        "CER_2005",
        ("io/seisan/tests/data/2005-07-23-1452-04S.CER___030",),
        _read("io/seisan/tests/data/2005-07-23-1452-04S.CER___030"),
        "CER 2005-07-23 14:52, SEISAN file, 3-comp. broadband, 150 Hz, 71 s",
        {"P": 30.18},
    ),
    _Spec(
        "MBGA_1997",
        ("io/seisan/tests/data/9701-30-1048-54S.MVO_21_1",),
        lambda root: _read("io/seisan/tests/data/9701-30-1048-54S.MVO_21_1")(root).select(
            station="MBGA"
        ),
        "MVO.MBGA 1997-01-30 10:48 (Montserrat), SEISAN file, 3-comp., 75.2 Hz, 49 s",
        {"P": 10.63},
    ),
)


def _sac_header_pick(stream: Any, source: str) -> dict[str, ReferencePick]:
    """The analyst's P onset stored in a SAC header (``A``, flagged by ``KA``), if present."""
    sac = stream[0].stats.get("sac", {})
    if "a" not in sac or "b" not in sac:
        return {}
    time = stream[0].stats.starttime + float(sac["a"]) - float(sac["b"])
    flag = str(sac.get("ka", "")).strip()
    return {"P": ReferencePick("P", time, "analyst", f"{source}: SAC header A (KA={flag})")}


def real_events(names: Iterable[str] | None = None) -> list[RealRecord]:
    """Build the real evaluation set from the installed ObsPy package.

    :param names: Record names to build (default: all of :py:data:`SPECS`, in order).
    :return: The records, each with its stream, reference onsets and their sources.
    :raises ValueError: An unknown record name.
    """
    by_name = {spec.name: spec for spec in SPECS}
    wanted = list(by_name) if names is None else list(names)
    unknown = [n for n in wanted if n not in by_name]
    if unknown:
        raise ValueError(f"unknown real record(s) {unknown}; known: {', '.join(by_name)}")
    root = obspy_data_dir()
    records = []
    for name in wanted:
        spec = by_name[name]
        stream = spec.load(root)
        start = min(tr.stats.starttime for tr in stream)
        source = f"obspy {_obspy_version()}: " + ", ".join(spec.files)
        picks = {
            phase: ReferencePick(phase, start + offset, "read", _READ)
            for phase, offset in spec.onsets.items()
        }
        if spec.name == "CDV_1981":
            picks.update(_sac_header_pick(stream, spec.files[0]))
        records.append(RealRecord(spec.name, stream, picks, source, spec.description))
    return records


def _obspy_version() -> str:
    import obspy

    return obspy.__version__


@dataclass
class PhaseScore:
    """How the picks of one phase fared on one record.

    :param reference: The reference onset, or None where the phase is not judged.
    :param error: Signed error (s, pick minus reference) of the matched pick, or None.
    :param missed: 1 if the phase is judged and no pick of it lies within the tolerance.
    :param spurious: Picks of the phase that match nothing (judged phases only).
    :param confusions: Picks of the phase on the other phase's onset (an S pick on the P onset
        counts for S).
    """

    reference: Any
    error: float | None
    missed: int
    spurious: int
    confusions: int


def _pick_time(pick: Any) -> Any:
    """A SeisBench pick's time: its peak, else its start."""
    return pick.peak_time if pick.peak_time is not None else pick.start_time


def score_picks(
    references: dict[str, ReferencePick], picks: Sequence[Any], tolerance: float = TOLERANCE
) -> dict[str, PhaseScore]:
    """Score ``picks`` (SeisBench picks: ``phase`` and ``peak_time``) against one record.

    Each pick is counted once: a pick of phase X within ``tolerance`` of the other phase's
    reference, and nearer to it than to X's own reference, is a P/S confusion; otherwise the pick
    of X nearest X's reference, if within ``tolerance``, is the match (its error is reported) and
    any further pick of X is spurious. Where X has no reference its remaining picks are not judged.

    :param references: Reference onsets by phase (a record's ``picks``).
    :param picks: Picks of one picker on this record.
    :param tolerance: Matching tolerance in seconds.
    :return: A :py:class:`PhaseScore` per phase of :py:data:`PHASES`.
    """
    if tolerance <= 0:
        raise ValueError(f"tolerance must be positive, got {tolerance}")
    ref = {phase: pick.time for phase, pick in references.items()}
    scores = {}
    for phase in PHASES:
        other = next(p for p in PHASES if p != phase)
        own = [_pick_time(p) for p in picks if p.phase == phase]
        confused = [
            t
            for t in own
            if other in ref
            and abs(t - ref[other]) <= tolerance
            and (phase not in ref or abs(t - ref[other]) < abs(t - ref[phase]))
        ]
        rest = [t for t in own if t not in confused]
        error, missed, spurious = None, 0, 0
        if phase in ref:
            near = [t for t in rest if abs(t - ref[phase]) <= tolerance]
            if near:
                best = min(near, key=lambda t: abs(t - ref[phase]))
                error = float(best - ref[phase])
            missed = int(not near)
            spurious = len(rest) - (0 if missed else 1)
        scores[phase] = PhaseScore(ref.get(phase), error, missed, spurious, len(confused))
    return scores


def summarize(scores: Sequence[dict[str, PhaseScore]]) -> dict[str, float | int]:
    """Totals over records: per phase the references, hits, missed, spurious and confused picks,
    and the median and largest absolute error of the hits (NaN without hits)."""
    out: dict[str, float | int] = {}
    for phase in PHASES:
        rows = [s[phase] for s in scores]
        errors = np.abs([r.error for r in rows if r.error is not None])
        out[f"{phase}_references"] = sum(r.reference is not None for r in rows)
        out[f"{phase}_hits"] = len(errors)
        out[f"{phase}_missed"] = sum(r.missed for r in rows)
        out[f"{phase}_spurious"] = sum(r.spurious for r in rows)
        out[f"{phase}_confusions"] = sum(r.confusions for r in rows)
        out[f"{phase}_median_abs_error"] = float(np.median(errors)) if len(errors) else float("nan")
        out[f"{phase}_max_abs_error"] = float(np.max(errors)) if len(errors) else float("nan")
    return out
