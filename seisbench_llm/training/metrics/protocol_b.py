"""Protocol B metrics (SeisT / SeisMoLLM; DiTing and the STEAD re-split), in percent where the
papers report percent: picking, polarity and regression (magnitude, distance, back-azimuth)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.signal

from seisbench_llm.training.metrics.counts import f1_of, ratio

__all__ = ["pick_metrics", "polarity_metrics", "regression_metrics", "top1_picks", "wrap_degrees"]


def _curves(prob: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    """Probability curves as a list of 1-D float arrays (a single 1-D curve is one trace)."""
    if isinstance(prob, np.ndarray):
        if prob.ndim == 1:
            return [prob.astype(float)]
        if prob.ndim != 2:
            raise ValueError(f"expected curves of shape (n_traces, n_samples), got {prob.shape}")
        return list(prob.astype(float))
    return [np.asarray(curve, dtype=float).reshape(-1) for curve in prob]


def top1_picks(
    prob: np.ndarray | Sequence[np.ndarray],
    sampling_rate: float,
    threshold: float = 0.3,
    min_distance_s: float = 1.0,
) -> np.ndarray:
    """Top-1 pick of every probability curve.

    Peaks are found with :py:func:`scipy.signal.find_peaks` (``height=threshold``,
    ``distance=min_distance_s * sampling_rate`` samples); the highest peak is the pick. Like any
    ``find_peaks`` peak, a pick is never the first or last sample, and a flat top gives its middle.

    :param prob: Curves, shape (n_traces, n_samples), or a sequence of 1-D curves (lengths may
        differ).
    :param sampling_rate: Sampling rate of the curves in Hz.
    :param threshold: Minimum peak height.
    :param min_distance_s: Minimum distance between peaks in seconds.

    :return: Pick sample per trace (float), NaN where no peak reaches the threshold.
    """
    distance = max(1, int(round(min_distance_s * sampling_rate)))
    curves = _curves(prob)
    picks = np.full(len(curves), np.nan)
    for i, curve in enumerate(curves):
        peaks, props = scipy.signal.find_peaks(curve, height=threshold, distance=distance)
        if len(peaks) > 0:
            picks[i] = peaks[np.argmax(props["peak_heights"])]
    return picks


def label_onsets(
    labels: np.ndarray, min_peak: float = 0.5, near: np.ndarray | None = None
) -> np.ndarray:
    """Onset sample per label curve, NaN where the curve never reaches ``min_peak``.

    A curve may hold several onsets (a window with two events). Without ``near`` the onset is
    the curve's argmax (the first of equal peaks); with ``near`` (a sample per curve, NaN for
    none) it is the peak of at least ``min_peak`` nearest to that sample, so that a top-1 pick is
    scored against the event it picked.

    :param labels: Label curves, shape ``(n, samples)``.
    :param min_peak: Lowest label peak that counts as an onset.
    :param near: Optional sample per curve, e.g. the model's top-1 picks.
    :return: Onset sample per curve (float, NaN for none).
    """
    labels = labels.astype(np.float32)
    onsets = labels.argmax(axis=-1).astype(float)
    onsets[labels.max(axis=-1) < min_peak] = np.nan
    if near is None:
        return onsets
    for i in np.flatnonzero(np.isfinite(onsets) & np.isfinite(near)):
        peaks, _ = scipy.signal.find_peaks(np.pad(labels[i], 1), height=min_peak)
        onsets[i] = (peaks - 1)[np.argmin(np.abs(peaks - 1 - near[i]))]
    return onsets


def pick_metrics(
    prob: np.ndarray | Sequence[np.ndarray],
    true_sample: Sequence[float] | np.ndarray,
    sampling_rate: float,
    threshold: float = 0.3,
    tolerance_s: float = 0.1,
    min_distance_s: float = 1.0,
    picks: np.ndarray | None = None,
) -> dict[str, Any]:
    """Protocol B picking metrics (SeisT / SeisMoLLM) of one phase.

    The pick of a trace is its top-1 peak (:py:func:`top1_picks`). A label that is NaN, negative
    or not inside the curve means that no pick is expected. Per trace:

    * pick and label, ``|pick - label| <= tolerance_s * sampling_rate``: true positive (TP);
    * pick and label, outside the tolerance: **both** a false positive (the pick is wrong) and a
      false negative (the label was missed);
    * pick without label: false positive (FP);
    * label without pick: false negative (FN);
    * neither: true negative (TN, reported, unused by the scores).

    Precision = TP / (TP + FP), recall = TP / (TP + FN), F1 their harmonic mean, all in percent
    (0 where undefined). Residuals are ``pick - label`` of the TPs in samples.

    Two MAE definitions are returned, labelled:

    * ``mae``: mean of ``|residual|`` over the TPs (the usual definition);
    * ``mae_all_traces``: sum of the TPs' ``|residual|`` divided by the number of traces with a
      label, the definition of the original SeisT/SeisMoLLM code; it counts every missed or
      wrong pick as a zero residual and is therefore optimistic (``mae_all_traces <= mae``).

    :param prob: Probability curves of the phase, shape (n_traces, n_samples) or a sequence of 1-D
        curves.
    :param true_sample: Label sample per trace, NaN for none.
    :param sampling_rate: Sampling rate in Hz.
    :param threshold: Minimum peak height of a pick.
    :param tolerance_s: Largest ``|pick - label|`` of a true positive in seconds (inclusive).
    :param min_distance_s: Minimum distance between peaks in seconds.
    :param picks: The top-1 picks if already computed (:py:func:`top1_picks` with the same
        ``threshold`` and ``min_distance_s``, e.g. to choose labels with :py:func:`label_onsets`).

    :return: ``precision``, ``recall``, ``f1`` (%), ``tp``, ``fp``, ``fn``, ``tn``, ``n_traces``,
        ``n_labelled``, ``residual_mean``, ``residual_std`` (population std), ``mae`` (TP-only),
        ``mae_all_traces`` (original definition), all residual statistics in samples (NaN without
        TPs); ``residuals`` (TP residuals in samples, for histograms) and ``picks`` (pick sample
        per trace, NaN for none).
    """
    if picks is None:
        picks = top1_picks(prob, sampling_rate, threshold, min_distance_s)
    true = np.asarray(true_sample, dtype=float).reshape(-1)
    if len(true) != len(picks):
        raise ValueError(f"{len(picks)} curves but {len(true)} labels")
    lengths = np.array([len(curve) for curve in _curves(prob)])
    labelled = np.isfinite(true) & (true >= 0) & (true < lengths)
    picked = np.isfinite(picks)

    both = labelled & picked
    residual_all = picks - true
    hit = both & (np.abs(residual_all) <= tolerance_s * sampling_rate)
    tp = int(hit.sum())
    miss = int((both & ~hit).sum())  # wrong picks: FP and FN at once
    fp = int((picked & ~labelled).sum()) + miss
    fn = int((labelled & ~picked).sum()) + miss
    tn = int((~labelled & ~picked).sum())

    precision = ratio(tp, tp + fp)
    recall = ratio(tp, tp + fn)
    residuals = residual_all[hit]
    n_labelled = int(labelled.sum())
    has_tp = len(residuals) > 0
    return {
        "precision": 100.0 * precision,
        "recall": 100.0 * recall,
        "f1": 100.0 * f1_of(precision, recall),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "n_traces": len(true),
        "n_labelled": n_labelled,
        "residual_mean": float(residuals.mean()) if has_tp else math.nan,
        "residual_std": float(residuals.std()) if has_tp else math.nan,
        "mae": float(np.abs(residuals).mean()) if has_tp else math.nan,
        "mae_all_traces": ratio(np.abs(residuals).sum(), n_labelled) if n_labelled else math.nan,
        "residuals": residuals,
        "picks": picks,
    }


def polarity_metrics(
    pred_class: Sequence[int] | np.ndarray, true_class: Sequence[int] | np.ndarray
) -> dict[str, float]:
    """Protocol B polarity metrics over the two classes up (0) and down (1).

    Entries whose label is -1 (unknown polarity) are ignored. ``pred_class`` may also hold class
    scores of shape (n, 2), which are reduced by argmax.

    :param pred_class: Predicted class per trace (0 up, 1 down) or class scores (n, 2).
    :param true_class: True class per trace (0 up, 1 down, -1 unknown).

    :return: ``macro_f1`` (mean of the two per-class F1), ``accuracy``, ``precision_up``,
        ``recall_up``, ``f1_up``, ``precision_down``, ``recall_down``, ``f1_down``, all in %, and
        ``n`` (number of entries used).
    """
    pred = np.asarray(pred_class)
    if pred.ndim == 2:
        pred = pred.argmax(axis=1)
    pred = pred.reshape(-1).astype(int)
    true = np.asarray(true_class).reshape(-1).astype(int)
    if len(pred) != len(true):
        raise ValueError(f"{len(pred)} predictions but {len(true)} labels")
    keep = true != -1
    pred, true = pred[keep], true[keep]

    out: dict[str, float] = {}
    f1s = []
    for cls, name in ((0, "up"), (1, "down")):
        tp = int(((pred == cls) & (true == cls)).sum())
        precision = ratio(tp, (pred == cls).sum())
        recall = ratio(tp, (true == cls).sum())
        f1 = f1_of(precision, recall)
        f1s.append(f1)
        out[f"precision_{name}"] = 100.0 * precision
        out[f"recall_{name}"] = 100.0 * recall
        out[f"f1_{name}"] = 100.0 * f1
    out["macro_f1"] = 100.0 * float(np.mean(f1s))
    out["accuracy"] = 100.0 * ratio((pred == true).sum(), len(true))
    out["n"] = len(true)
    return out


def wrap_degrees(x: np.ndarray | float) -> np.ndarray:
    """Angles in degrees wrapped to [-180, 180).

    :param x: Angle(s) in degrees.
    :return: The wrapped angle(s).
    """
    return np.mod(np.asarray(x, dtype=float) + 180.0, 360.0) - 180.0


def regression_metrics(
    pred: Sequence[float] | np.ndarray,
    true: Sequence[float] | np.ndarray,
    wrap_degrees: bool = False,
) -> dict[str, float]:
    """Protocol B regression metrics (magnitude, distance, back-azimuth).

    The residual is ``target - prediction`` (the papers' sign). Pairs with a NaN are ignored.

    * ``mae``: mean ``|residual|``; ``rmse``: root mean square residual.
    * ``r2`` = 1 - SS_res / SS_tot with SS_res = sum(residual^2) and SS_tot = sum((target -
      mean(target))^2); a perfect prediction gives 1, predicting the mean target gives 0.

    With ``wrap_degrees`` (back-azimuth) residuals are wrapped to [-180, 180) so that 359 vs 1
    is a 2 degree error, not 358. R^2 is then computed circularly: SS_res uses the wrapped
    residuals and SS_tot the targets' deviations from their circular mean, also wrapped to
    [-180, 180). This keeps R^2 invariant to where the angle is cut and still gives 1 for a
    perfect prediction and about 0 for always predicting the circular mean. (How the original
    code computed R^2 for the back-azimuth is not documented; numbers may differ slightly.)

    :param pred: Predictions.
    :param true: Targets.
    :param wrap_degrees: Treat the values as angles in degrees.

    :return: ``mae``, ``rmse``, ``r2``, ``residual_mean`` and ``residual_std`` (population std) of
        ``target - prediction``, and ``n``.
    """
    pred = np.asarray(pred, dtype=float).reshape(-1)
    true = np.asarray(true, dtype=float).reshape(-1)
    if len(pred) != len(true):
        raise ValueError(f"{len(pred)} predictions but {len(true)} targets")
    keep = np.isfinite(pred) & np.isfinite(true)
    pred, true = pred[keep], true[keep]
    if len(true) == 0:
        nan = math.nan
        return {
            "mae": nan,
            "rmse": nan,
            "r2": nan,
            "residual_mean": nan,
            "residual_std": nan,
            "n": 0,
        }

    residual = true - pred
    if wrap_degrees:
        residual = _wrap(residual)
        rad = np.deg2rad(true)
        centre = np.rad2deg(np.arctan2(np.sin(rad).mean(), np.cos(rad).mean()))
        spread = _wrap(true - centre)
    else:
        spread = true - true.mean()
    ss_res = float(np.sum(residual**2))
    ss_tot = float(np.sum(spread**2))
    if ss_tot > 0:
        r2 = 1.0 - ss_res / ss_tot
    else:
        r2 = 1.0 if ss_res == 0 else -math.inf
    return {
        "mae": float(np.abs(residual).mean()),
        "rmse": float(np.sqrt(np.mean(residual**2))),
        "r2": r2,
        "residual_mean": float(residual.mean()),
        "residual_std": float(residual.std()),
        "n": len(true),
    }


_wrap = wrap_degrees  # regression_metrics has an argument of the same name
