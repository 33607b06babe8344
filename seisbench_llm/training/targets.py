"""Protocol A (pick benchmark, Münchmeyer et al. 2022): evaluation targets and their scoring.

Targets are windows cut from the dev and test traces of a SeisBench
:py:class:`~seisbench.data.WaveformDataset` at 100 Hz with a seeded RNG (seed 42):

* **task 1, detection**: 30 s windows. A trace with a P or S arrival gives an "earthquake"
  window whose first arrival lies at least 100 samples from both window edges; a trace without
  arrivals gives a "noise" window; an earthquake trace whose first arrival comes later than one
  window length also gives a noise window before it (``noise_before_events``).
* **tasks 2 and 3, phase identification and onset regression**: 10 s windows that contain
  exactly one arrival, at least 0.5 s from both edges; every other arrival of the trace lies at
  least 0.5 s outside the window. Label: the phase (P or S) and its onset.

The selection follows the logic of the benchmark's ``generate_eval_targets.py`` step by step
and draws from ``numpy.random.RandomState(seed)`` in the same order (task 1 and tasks 2/3 each
restart at the seed and run over the dev and test traces together, in dataset order), so for
the same traces and integer arrival samples the windows are those of the benchmark. Differences,
all documented where they act:

* trace-length windows (traces no longer than a window) are kept only if the arrival respects
  the edge distance (the benchmark keeps them regardless);
* float arrival samples are rounded towards valid windows (ceil / floor) instead of truncated;
* ``trace_idx`` is the row of the trace in the given dataset (the benchmark counts rows of the
  dev+test subset); ``phase_onset`` is the onset **within the window**, and the onset relative
  to the trace (the benchmark's CSV column "phase_onset") is ``phase_onset_sample``.

Scoring: :py:mod:`seisbench_llm.training.protocol_a`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seisbench_llm.tasks import P_PHASES, PHASE_DICT, S_PHASES

__all__ = [
    "PHASE_DICT",
    "P_PHASES",
    "SPLITS",
    "S_PHASES",
    "TASK1_COLUMNS",
    "TASK23_COLUMNS",
    "eval_metadata",
    "generate_targets",
    "load_targets",
    "phase_columns",
    "select_window",
    "task1_targets",
    "task23_targets",
    "write_targets",
]

#: Splits evaluated by protocol A.
SPLITS = ("dev", "test")

TASK1_COLUMNS = [
    "trace_name",
    "trace_idx",
    "trace_split",
    "sampling_rate",
    "start_sample",
    "end_sample",
    "trace_type",
]
TASK23_COLUMNS = [
    "trace_name",
    "trace_idx",
    "trace_split",
    "sampling_rate",
    "start_sample",
    "end_sample",
    "phase_label",
    "full_phase_label",
    "phase_onset",
    "phase_onset_sample",
]

_RESAMPLE_EPS = 1e-4  # SeisBench's tolerance for "same sampling rate" / "integer factor"


def phase_columns(columns: Iterable[str]) -> dict[str, str]:
    """The arrival columns among ``columns`` that map to a phase, as ``{column: "P" | "S"}``."""
    present = set(columns)
    return {col: label for col, label in PHASE_DICT.items() if col in present}


def _resampled_npts(npts: int, source: float, target: float) -> int:
    """Trace length after SeisBench resamples from ``source`` to ``target`` Hz."""
    if abs(target / source - 1.0) < _RESAMPLE_EPS:
        return int(npts)
    if source % target < _RESAMPLE_EPS:  # integer decimation keeps every q-th sample
        return int(math.ceil(npts / int(source // target)))
    return int(npts * target / source)


def eval_metadata(
    dataset: Any, sampling_rate: float = 100.0, splits: Sequence[str] = SPLITS
) -> pd.DataFrame:
    """Metadata of the evaluated traces, in samples at ``sampling_rate``.

    Parameters
    ----------
    dataset
        A SeisBench ``WaveformDataset`` with a ``split`` column.
    sampling_rate
        Target sampling rate in Hz.
    splits
        Splits to keep.

    Returns
    -------
    pandas.DataFrame
        One row per trace of the kept splits, in dataset order, with ``trace_idx`` (row in
        ``dataset``), ``trace_name``, ``trace_split``, ``sampling_rate``, ``trace_npts`` (length
        at ``sampling_rate``) and every phase arrival column of :py:data:`PHASE_DICT` present,
        rescaled like SeisBench's ``get_sample`` does.
    """
    meta = dataset.metadata.reset_index(drop=True)
    if "split" not in meta.columns:
        raise ValueError("protocol A needs a 'split' column (dev/test) in the metadata")
    keep = meta["split"].isin(list(splits)).to_numpy()
    idx = np.flatnonzero(keep)
    sub = meta.iloc[idx]

    source = sub["trace_sampling_rate_hz"].to_numpy(dtype=float)
    if np.isnan(source).any():
        raise ValueError("unknown source sampling rate (trace_sampling_rate_hz is NaN)")
    factor = sampling_rate / source

    out = pd.DataFrame(
        {
            "trace_idx": idx,
            "trace_name": sub["trace_name"].to_numpy() if "trace_name" in sub else idx.astype(str),
            "trace_split": sub["split"].to_numpy(),
            "sampling_rate": float(sampling_rate),
        }
    )
    npts = np.full(len(sub), -1, dtype=int)
    if "trace_npts" in sub.columns:
        source_npts = sub["trace_npts"].to_numpy(dtype=float)
        for j, (n, sr) in enumerate(zip(source_npts, source, strict=True)):
            if np.isfinite(n):
                npts[j] = _resampled_npts(int(n), sr, sampling_rate)
    for j in np.flatnonzero(npts < 0):  # length unknown: load the (resampled) waveform
        _, md = dataset.get_sample(int(idx[j]), sampling_rate=sampling_rate)
        npts[j] = int(md["trace_npts"])
    out["trace_npts"] = npts
    for col in phase_columns(sub.columns):
        out[col] = pd.to_numeric(sub[col], errors="coerce").to_numpy(dtype=float) * factor
    return out


def select_window(
    rng: np.random.RandomState,
    npts: int,
    windowlen: int,
    containing: float | None = None,
    bounds: tuple[int, int] = (100, 100),
) -> tuple[int, int]:
    """Random window of ``windowlen`` samples inside a trace of ``npts`` samples.

    Same rules and RNG calls as the benchmark's ``select_window_containing``: a trace not longer
    than the window gives the whole trace ``(0, npts)`` without drawing; without ``containing``
    the start is uniform; otherwise it is uniform among starts that keep ``containing`` at least
    ``bounds[0]`` samples after the start and ``bounds[1]`` samples before the end. If at most
    one such start exists, ``(0, npts)`` is returned without drawing (the benchmark's rule; the
    caller then discards it as too long).

    Returns
    -------
    tuple of int
        ``(start_sample, end_sample)``.
    """
    npts = int(npts)
    if npts <= windowlen:
        return 0, npts
    if containing is None:
        start = int(rng.randint(0, npts - windowlen + 1))
        return start, start + windowlen
    earliest = max(0, math.ceil(containing - windowlen + bounds[1]))
    latest = min(npts - windowlen, math.floor(containing - bounds[0]))
    if latest <= earliest:
        return 0, npts
    start = int(rng.randint(earliest, latest + 1))
    return start, start + windowlen


def _arrivals(row: Any, cols: Mapping[str, str], npts: int) -> list[tuple[float, str, str]]:
    """Valid arrivals of a trace as sorted ``(sample, label, full phase name)``."""
    out = []
    for col, label in cols.items():
        value = getattr(row, col)
        if np.isfinite(value) and 0 <= value < npts:
            out.append((float(value), label, col.split("_")[1]))
    return sorted(out)


def _base(row: Any, start: int, end: int) -> dict[str, Any]:
    return {
        "trace_name": row.trace_name,
        "trace_idx": int(row.trace_idx),
        "trace_split": row.trace_split,
        "sampling_rate": float(row.sampling_rate),
        "start_sample": int(start),
        "end_sample": int(end),
    }


def _frame(rows: list[dict[str, Any]], columns: list[str], min_samples: int) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    return df[(df["end_sample"] - df["start_sample"]) > min_samples].reset_index(drop=True)


def task1_targets(
    metadata: pd.DataFrame,
    seed: int = 42,
    window_s: float = 30.0,
    edge_samples: int = 100,
    noise_before_events: bool = True,
    min_samples: int = 100,
) -> pd.DataFrame:
    """Task 1 (detection) targets from :py:func:`eval_metadata` output.

    Per trace, in order: without a valid arrival (finite, inside the trace) a random noise
    window; otherwise a window holding the first arrival at ``>= edge_samples`` from both edges
    (skipped if impossible), then, with ``noise_before_events`` and a first arrival later than
    one window length, a random noise window ending at or before it. Windows of at most
    ``min_samples`` samples are dropped.

    Parameters
    ----------
    metadata
        Output of :py:func:`eval_metadata` (arrivals and ``trace_npts`` at the target rate).
    seed
        Seed of the ``RandomState``.
    window_s
        Window length in seconds (3000 samples at 100 Hz).
    edge_samples
        Minimum distance of the first arrival from the window edges in samples.
    noise_before_events
        Also cut noise before late first arrivals (the benchmark's default).
    min_samples
        Windows must be longer than this.

    Returns
    -------
    pandas.DataFrame
        Columns :py:data:`TASK1_COLUMNS`; ``trace_type`` is "earthquake" or "noise".
    """
    rng = np.random.RandomState(seed)
    cols = phase_columns(metadata.columns)
    rows: list[dict[str, Any]] = []
    for row in metadata.itertuples(index=False):
        windowlen = int(round(window_s * row.sampling_rate))
        npts = int(row.trace_npts)
        arrivals = _arrivals(row, cols, npts)
        if not arrivals:
            start, end = select_window(rng, npts, windowlen)
            rows.append({**_base(row, start, end), "trace_type": "noise"})
            continue
        first = arrivals[0][0]
        start, end = select_window(rng, npts, windowlen, first, (edge_samples, edge_samples))
        inside = first - start >= edge_samples and end - first >= edge_samples
        if end - start <= windowlen and inside:
            rows.append({**_base(row, start, end), "trace_type": "earthquake"})
        if noise_before_events and first > windowlen:
            start, end = select_window(rng, math.floor(min(npts, first)), windowlen)
            if end - start <= windowlen:
                rows.append({**_base(row, start, end), "trace_type": "noise"})
    return _frame(rows, TASK1_COLUMNS, min_samples)


def task23_targets(
    metadata: pd.DataFrame,
    seed: int = 42,
    window_s: float = 10.0,
    edge_s: float = 0.5,
    min_samples: int = 100,
) -> pd.DataFrame:
    """Tasks 2 and 3 (phase identification, onset regression) targets.

    For every valid arrival of a trace (sorted by sample), the window may only span from
    ``edge_s`` after the previous arrival to ``edge_s`` before the next one; if that span is
    shorter than the window or does not hold the arrival, the arrival is skipped. Otherwise a
    random window inside the span keeps the arrival ``>= edge_s`` from both edges. So every
    window holds exactly one arrival and every other arrival is ``>= edge_s`` outside it.
    Windows of at most ``min_samples`` samples are dropped.

    Parameters
    ----------
    metadata
        Output of :py:func:`eval_metadata`.
    seed
        Seed of the ``RandomState``.
    window_s
        Window length in seconds (1000 samples at 100 Hz).
    edge_s
        Minimum distance of the arrival from the edges and of the other arrivals from the window.
    min_samples
        Windows must be longer than this.

    Returns
    -------
    pandas.DataFrame
        Columns :py:data:`TASK23_COLUMNS`: ``phase_label`` ("P" or "S"), ``full_phase_label``
        (e.g. "Pg"), ``phase_onset`` (sample within the window) and ``phase_onset_sample``
        (sample within the trace).
    """
    rng = np.random.RandomState(seed)
    cols = phase_columns(metadata.columns)
    rows: list[dict[str, Any]] = []
    for row in metadata.itertuples(index=False):
        windowlen = int(round(window_s * row.sampling_rate))
        edge = int(edge_s * row.sampling_rate)
        npts = int(row.trace_npts)
        arrivals = _arrivals(row, cols, npts)
        for i, (onset, label, full_label) in enumerate(arrivals):
            before = 0 if i == 0 else int(arrivals[i - 1][0]) + edge
            after = math.inf if i == len(arrivals) - 1 else int(arrivals[i + 1][0]) - edge
            if after - before < windowlen or before > onset or after < onset:
                continue  # the arrival cannot be isolated
            span = int(min(after, npts)) - before
            start, end = select_window(rng, span, windowlen, onset - before, (edge, edge))
            start, end = start + before, end + before
            inside = onset - start >= edge and end - onset >= edge
            if end - start <= windowlen and inside:
                rows.append(
                    {
                        **_base(row, start, end),
                        "phase_label": label,
                        "full_phase_label": full_label,
                        "phase_onset": onset - start,
                        "phase_onset_sample": onset,
                    }
                )
    return _frame(rows, TASK23_COLUMNS, min_samples)


def _by_split(df: pd.DataFrame, splits: Sequence[str]) -> dict[str, pd.DataFrame]:
    return {s: df[df["trace_split"] == s].reset_index(drop=True) for s in splits}


def generate_targets(
    dataset: Any,
    sampling_rate: float = 100.0,
    seed: int = 42,
    noise_before_events: bool = True,
    splits: Sequence[str] = SPLITS,
) -> dict[str, dict[str, pd.DataFrame]]:
    """Protocol A targets of a dataset, per task and split.

    Parameters
    ----------
    dataset
        SeisBench ``WaveformDataset`` with a ``split`` column.
    sampling_rate
        Sampling rate of the targets in Hz (100 in the benchmark).
    seed
        RNG seed (42 in the benchmark).
    noise_before_events
        See :py:func:`task1_targets`.
    splits
        Splits to generate (the RNG runs over all of them together, in dataset order).

    Returns
    -------
    dict
        ``{"task1": {split: DataFrame}, "task23": {split: DataFrame}}``.
    """
    meta = eval_metadata(dataset, sampling_rate=sampling_rate, splits=splits)
    task1 = task1_targets(meta, seed=seed, noise_before_events=noise_before_events)
    task23 = task23_targets(meta, seed=seed)
    return {"task1": _by_split(task1, splits), "task23": _by_split(task23, splits)}


def write_targets(
    dataset: Any,
    out_dir: str | Path,
    sampling_rate: float = 100.0,
    seed: int = 42,
    noise_before_events: bool = True,
    splits: Sequence[str] = SPLITS,
) -> dict[str, Path]:
    """Generate the targets and write ``task1.csv`` and ``task23.csv`` into ``out_dir``.

    As in the benchmark, each file holds every split, told apart by its ``trace_split`` column;
    :py:func:`load_targets` reads them back per split.

    Returns
    -------
    dict
        ``{"task1": path, "task23": path}``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = generate_targets(dataset, sampling_rate, seed, noise_before_events, splits)
    paths = {}
    for task, per_split in targets.items():
        paths[task] = out_dir / f"{task}.csv"
        pd.concat([per_split[s] for s in splits], ignore_index=True).to_csv(
            paths[task], index=False
        )
    return paths


def load_targets(
    path: str | Path, splits: Sequence[str] = SPLITS
) -> dict[str, dict[str, pd.DataFrame]]:
    """Read ``task1.csv`` / ``task23.csv`` (ours or the benchmark's published ones).

    Files of the benchmark have no ``phase_onset_sample`` and their ``phase_onset`` is relative
    to the trace; they are converted to this module's convention (``phase_onset`` within the
    window). Missing files are skipped.

    Returns
    -------
    dict
        ``{"task1": {split: DataFrame}, "task23": {split: DataFrame}}`` for the files found.
    """
    path = Path(path)
    out: dict[str, dict[str, pd.DataFrame]] = {}
    for task in ("task1", "task23"):
        file = path / f"{task}.csv"
        if not file.is_file():
            continue
        df = pd.read_csv(file, keep_default_na=False, na_values=[""])
        df["trace_split"] = df["trace_split"].astype(str)
        if task == "task23" and "phase_onset_sample" not in df.columns:
            df["phase_onset_sample"] = df["phase_onset"]
            df["phase_onset"] = df["phase_onset_sample"] - df["start_sample"]
        out[task] = _by_split(df, splits)
    return out


# --------------------------------------------------------------------------------------------
