"""Evaluation metrics of the two protocols of the project (docs/reference.md, section 3); numpy only.

Two protocols are implemented and their numbers must never be mixed:

**Protocol B** (SeisT / SeisMoLLM; DiTing and the STEAD re-split), values in percent where the
papers report percent:

* :py:func:`pick_metrics`: top-1 peak picking, precision / recall / F1 and pick residuals,
* :py:func:`polarity_metrics`: macro F1 over the classes up (0) and down (1),
* :py:func:`regression_metrics`: MAE, R^2, mean and std of ``target - prediction`` (optionally
  wrapped to [-180, 180) degrees for the back-azimuth).

**Protocol A** (pick benchmark of Münchmeyer et al., 2022), values as fractions in [0, 1] like
the benchmark's tables:

* task 1, detection: :py:func:`roc_auc`, :py:func:`best_f1_threshold` (tuned on dev) and
  :py:func:`f1_at_threshold` (applied to test),
* task 2, phase identification: :py:func:`phase_score`, :py:func:`matthews_corrcoef` and
  :py:func:`best_mcc_threshold` (tuned on dev),
* task 3, onset regression: :py:func:`residual_stats` (seconds).

Thresholds everywhere follow one rule: a sample is predicted positive if ``score >= threshold``;
tuned thresholds are always one of the observed scores.

Reporting helpers: :py:func:`results_table` (markdown) and :py:func:`residual_histogram` (PNG).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from numbers import Number
from pathlib import Path
from typing import Any

import numpy as np
import scipy.signal
import scipy.stats

__all__ = [
    "best_f1_threshold",
    "best_mcc_threshold",
    "f1_at_threshold",
    "matthews_corrcoef",
    "phase_score",
    "pick_metrics",
    "polarity_metrics",
    "precision_recall_f1",
    "regression_metrics",
    "residual_histogram",
    "residual_stats",
    "results_table",
    "roc_auc",
    "top1_picks",
    "wrap_degrees",
]


def _ratio(num: float, den: float) -> float:
    """``num / den``, or 0 where ``den`` is 0 (the convention of scikit-learn's zero_division)."""
    return float(num) / float(den) if den > 0 else 0.0


def _f1(precision: float, recall: float) -> float:
    """Harmonic mean of precision and recall, 0 where both are 0."""
    return _ratio(2.0 * precision * recall, precision + recall)


def _binary(labels: Iterable[Any]) -> np.ndarray:
    """Labels as a 1-D boolean array."""
    return np.asarray(labels).astype(bool).reshape(-1)


# --------------------------------------------------------------------------------------------
# Protocol B
# --------------------------------------------------------------------------------------------
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

    Parameters
    ----------
    prob
        Curves, shape (n_traces, n_samples), or a sequence of 1-D curves (lengths may differ).
    sampling_rate
        Sampling rate of the curves in Hz.
    threshold
        Minimum peak height.
    min_distance_s
        Minimum distance between peaks in seconds.

    Returns
    -------
    numpy.ndarray
        Pick sample per trace (float), NaN where no peak reaches the threshold.
    """
    distance = max(1, int(round(min_distance_s * sampling_rate)))
    curves = _curves(prob)
    picks = np.full(len(curves), np.nan)
    for i, curve in enumerate(curves):
        peaks, props = scipy.signal.find_peaks(curve, height=threshold, distance=distance)
        if len(peaks) > 0:
            picks[i] = peaks[np.argmax(props["peak_heights"])]
    return picks


def pick_metrics(
    prob: np.ndarray | Sequence[np.ndarray],
    true_sample: Sequence[float] | np.ndarray,
    sampling_rate: float,
    threshold: float = 0.3,
    tolerance_s: float = 0.1,
    min_distance_s: float = 1.0,
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

    Parameters
    ----------
    prob
        Probability curves of the phase, shape (n_traces, n_samples) or a sequence of 1-D curves.
    true_sample
        Label sample per trace, NaN for none.
    sampling_rate
        Sampling rate in Hz.
    threshold
        Minimum peak height of a pick.
    tolerance_s
        Largest ``|pick - label|`` of a true positive in seconds (inclusive).
    min_distance_s
        Minimum distance between peaks in seconds.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1`` (%), ``tp``, ``fp``, ``fn``, ``tn``, ``n_traces``,
        ``n_labelled``, ``residual_mean``, ``residual_std`` (population std), ``mae`` (TP-only),
        ``mae_all_traces`` (original definition), all residual statistics in samples (NaN without
        TPs); ``residuals`` (TP residuals in samples, for histograms) and ``picks`` (pick sample
        per trace, NaN for none).
    """
    picks = top1_picks(prob, sampling_rate, threshold=threshold, min_distance_s=min_distance_s)
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

    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    residuals = residual_all[hit]
    n_labelled = int(labelled.sum())
    has_tp = len(residuals) > 0
    return {
        "precision": 100.0 * precision,
        "recall": 100.0 * recall,
        "f1": 100.0 * _f1(precision, recall),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "n_traces": len(true),
        "n_labelled": n_labelled,
        "residual_mean": float(residuals.mean()) if has_tp else math.nan,
        "residual_std": float(residuals.std()) if has_tp else math.nan,
        "mae": float(np.abs(residuals).mean()) if has_tp else math.nan,
        "mae_all_traces": _ratio(np.abs(residuals).sum(), n_labelled) if n_labelled else math.nan,
        "residuals": residuals,
        "picks": picks,
    }


def polarity_metrics(
    pred_class: Sequence[int] | np.ndarray, true_class: Sequence[int] | np.ndarray
) -> dict[str, float]:
    """Protocol B polarity metrics over the two classes up (0) and down (1).

    Entries whose label is -1 (unknown polarity) are ignored. ``pred_class`` may also hold class
    scores of shape (n, 2), which are reduced by argmax.

    Parameters
    ----------
    pred_class
        Predicted class per trace (0 up, 1 down) or class scores (n, 2).
    true_class
        True class per trace (0 up, 1 down, -1 unknown).

    Returns
    -------
    dict
        ``macro_f1`` (mean of the two per-class F1), ``accuracy``, ``precision_up``,
        ``recall_up``, ``f1_up``, ``precision_down``, ``recall_down``, ``f1_down``, all in %,
        and ``n`` (number of entries used).
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
        precision = _ratio(tp, (pred == cls).sum())
        recall = _ratio(tp, (true == cls).sum())
        f1 = _f1(precision, recall)
        f1s.append(f1)
        out[f"precision_{name}"] = 100.0 * precision
        out[f"recall_{name}"] = 100.0 * recall
        out[f"f1_{name}"] = 100.0 * f1
    out["macro_f1"] = 100.0 * float(np.mean(f1s))
    out["accuracy"] = 100.0 * _ratio((pred == true).sum(), len(true))
    out["n"] = len(true)
    return out


def wrap_degrees(x: np.ndarray | float) -> np.ndarray:
    """Angles in degrees wrapped to [-180, 180)."""
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

    Parameters
    ----------
    pred, true
        Predictions and targets.
    wrap_degrees
        Treat the values as angles in degrees.

    Returns
    -------
    dict
        ``mae``, ``rmse``, ``r2``, ``residual_mean`` and ``residual_std`` (population std) of
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


# --------------------------------------------------------------------------------------------
# Protocol A
# --------------------------------------------------------------------------------------------
def roc_auc(scores: Sequence[float] | np.ndarray, labels: Sequence[Any] | np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney statistic).

    Equals the probability that a random positive scores higher than a random negative, a tie
    counting one half (ties get average ranks).

    Parameters
    ----------
    scores
        Score per sample, higher means more likely positive.
    labels
        True class per sample (truthy = positive).

    Returns
    -------
    float
        AUC in [0, 1]; NaN if one class is missing.
    """
    scores = np.asarray(scores, dtype=float).reshape(-1)
    labels = _binary(labels)
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = scipy.stats.rankdata(scores, method="average")
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def precision_recall_f1(
    pred: Sequence[Any] | np.ndarray, labels: Sequence[Any] | np.ndarray
) -> dict[str, float]:
    """Binary precision, recall and F1 (fractions; 0 where undefined).

    Parameters
    ----------
    pred, labels
        Predicted and true class per sample (truthy = positive).

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1``.
    """
    pred, labels = _binary(pred), _binary(labels)
    tp = int((pred & labels).sum())
    precision = _ratio(tp, pred.sum())
    recall = _ratio(tp, labels.sum())
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}


def f1_at_threshold(
    scores: Sequence[float] | np.ndarray, labels: Sequence[Any] | np.ndarray, threshold: float
) -> float:
    """F1 score (fraction) when predicting positive where ``score >= threshold``."""
    scores = np.asarray(scores, dtype=float).reshape(-1)
    return precision_recall_f1(scores >= threshold, labels)["f1"]


def _sweep(
    scores: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Confusion counts for every distinct score used as threshold (``score >= t`` positive).

    Returns thresholds (descending) and TP, FP, FN, TN at each of them.
    """
    order = np.argsort(-scores, kind="mergesort")
    s, y = scores[order], labels[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]  # end of each run of equal scores
    tp = np.cumsum(y)[last].astype(float)
    fp = np.cumsum(~y)[last].astype(float)
    n_pos = float(y.sum())
    n_neg = float(len(y)) - n_pos
    return s[last], tp, fp, n_pos - tp, n_neg - fp


def _scores_labels(scores: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=float).reshape(-1)
    labels = _binary(labels)
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    keep = ~np.isnan(scores)
    if not keep.any():
        raise ValueError("no finite scores to tune a threshold on")
    return scores[keep], labels[keep]


def best_f1_threshold(
    scores: Sequence[float] | np.ndarray, labels: Sequence[Any] | np.ndarray
) -> tuple[float, float]:
    """Threshold maximising F1 on a (dev) set, as the pick benchmark tunes detection.

    Every distinct score is a candidate; a sample is positive if ``score >= threshold``. On ties
    the highest threshold wins. NaN scores are ignored.

    Parameters
    ----------
    scores
        Score per sample.
    labels
        True class per sample (truthy = positive).

    Returns
    -------
    tuple of float
        ``(threshold, f1)`` with F1 as a fraction.
    """
    scores, labels = _scores_labels(scores, labels)
    thr, tp, fp, fn, _ = _sweep(scores, labels)
    den = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, den, out=np.zeros_like(tp), where=den > 0)
    best = int(np.argmax(f1))
    return float(thr[best]), float(f1[best])


def matthews_corrcoef(
    pred: Sequence[Any] | np.ndarray, labels: Sequence[Any] | np.ndarray
) -> float:
    """Binary Matthews correlation coefficient.

    ``(TP TN - FP FN) / sqrt((TP + FP)(TP + FN)(TN + FP)(TN + FN))``, 0 where the denominator
    is 0 (scikit-learn's convention).
    """
    pred, labels = _binary(pred), _binary(labels)
    tp = float((pred & labels).sum())
    tn = float((~pred & ~labels).sum())
    fp = float((pred & ~labels).sum())
    fn = float((~pred & labels).sum())
    den = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return (tp * tn - fp * fn) / den if den > 0 else 0.0


def best_mcc_threshold(
    scores: Sequence[float] | np.ndarray, is_p: Sequence[Any] | np.ndarray
) -> tuple[float, float]:
    """Threshold maximising the Matthews correlation on a (dev) set (task 2).

    The pick benchmark tunes the P-vs-S threshold on dev for the MCC, scanning 50 quantiles of
    the dev scores; here every distinct score is a candidate (exact optimum), plus ``+inf``
    (everything S, MCC 0). A window is called P if ``score >= threshold``; ties go to the
    highest threshold. NaN scores are ignored.

    Parameters
    ----------
    scores
        P-vs-S score per window, higher means P (see :py:func:`phase_score`).
    is_p
        True phase per window (truthy = P).

    Returns
    -------
    tuple of float
        ``(threshold, mcc)``.
    """
    scores, labels = _scores_labels(scores, is_p)
    thr, tp, fp, fn, tn = _sweep(scores, labels)
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = np.divide(tp * tn - fp * fn, den, out=np.zeros_like(tp), where=den > 0)
    thr, mcc = np.r_[np.inf, thr], np.r_[0.0, mcc]
    best = int(np.argmax(mcc))
    return float(thr[best]), float(mcc[best])


def phase_score(
    p_max: Sequence[float] | np.ndarray, s_max: Sequence[float] | np.ndarray
) -> np.ndarray:
    """P-vs-S score of task 2 from the maximum P and S probabilities inside the window.

    The pick benchmark uses the ratio ``P_max / S_max`` (infinite where ``S_max`` is 0). This
    returns ``P_max / (P_max + S_max)``, a strictly increasing function of that ratio: every
    threshold on one is a threshold on the other, so MCC and F1 are identical, but the score is
    bounded in [0, 1] and never infinite. 0 / 0 gives 0.5.
    """
    p = np.asarray(p_max, dtype=float)
    s = np.asarray(s_max, dtype=float)
    total = p + s
    return np.divide(p, total, out=np.full(np.broadcast(p, s).shape, 0.5), where=total > 0)


def residual_stats(
    residuals_s: Sequence[float] | np.ndarray, outlier_s: float | None = 1.0
) -> dict[str, float]:
    """Onset residual statistics of task 3 (predicted argmax - true onset, in seconds).

    The main statistics use every residual, like the pick benchmark: ``mean_s``, ``rmse_s``
    (the benchmark's column "std_s" is in fact this RMSE), ``mae_s``, plus ``median_s`` and
    ``std_s`` (population std). With ``outlier_s`` set, the benchmark's later "modified"
    statistics are added: ``outlier_fraction`` (share of ``|r| > outlier_s``), and
    ``modified_rmse_s`` / ``modified_mae_s`` over the residuals with ``|r| <= outlier_s``. The
    benchmark uses a 1 s bound. NaN residuals (no prediction) are dropped and counted in
    ``n_nan``.

    Parameters
    ----------
    residuals_s
        Residuals in seconds.
    outlier_s
        Outlier bound in seconds; None to skip the modified statistics.

    Returns
    -------
    dict
        ``n``, ``n_nan``, ``mean_s``, ``median_s``, ``std_s``, ``rmse_s``, ``mae_s`` and, with
        ``outlier_s``, ``outlier_fraction``, ``modified_rmse_s``, ``modified_mae_s``.
    """
    r = np.asarray(residuals_s, dtype=float).reshape(-1)
    finite = ~np.isnan(r)
    n_nan = int((~finite).sum())
    r = r[finite]
    nan = math.nan
    n = len(r)
    out: dict[str, float] = {
        "n": n,
        "n_nan": n_nan,
        "mean_s": float(r.mean()) if n else nan,
        "median_s": float(np.median(r)) if n else nan,
        "std_s": float(r.std()) if n else nan,
        "rmse_s": float(np.sqrt(np.mean(r**2))) if n else nan,
        "mae_s": float(np.abs(r).mean()) if n else nan,
    }
    if outlier_s is not None:
        inlier = r[np.abs(r) <= outlier_s]
        out["outlier_fraction"] = _ratio(n - len(inlier), n) if n else nan
        out["modified_rmse_s"] = float(np.sqrt(np.mean(inlier**2))) if len(inlier) else nan
        out["modified_mae_s"] = float(np.abs(inlier).mean()) if len(inlier) else nan
    return out


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------
def _cell(value: Any, float_format: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, Number):
        value = float(value)
        return "-" if math.isnan(value) else format(value, float_format)
    return str(value).replace("|", "\\|").replace("\n", " ")


def results_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    float_format: str = ".3f",
) -> str:
    """Markdown table of result rows.

    Parameters
    ----------
    rows
        One mapping per row (e.g. a model's metrics).
    columns
        Columns in order; by default every key with a scalar value, in order of first appearance
        (arrays such as ``residuals`` are left out).
    float_format
        Format spec of floats; NaN and None print as ``-``.

    Returns
    -------
    str
        The table, ending with a newline.
    """
    if columns is None:
        columns = []
        for row in rows:
            for key, value in row.items():
                scalar = value is None or isinstance(value, str | Number | np.generic)
                if scalar and key not in columns:
                    columns.append(key)
    lines = [
        "| " + " | ".join(str(c) for c in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(c), float_format) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def residual_histogram(
    residuals: Sequence[float] | np.ndarray,
    path: str | Path,
    title: str,
    bins: int | Sequence[float] = 50,
    xlabel: str = "residual (s)",
    xlim: tuple[float, float] | None = None,
) -> Path:
    """Write a histogram of residuals as PNG (Agg canvas; the global backend is left alone).

    Parameters
    ----------
    residuals
        Residuals; NaNs are dropped.
    path
        Output file; parent folders are created.
    title
        Plot title; the count, mean and std are appended below it.
    bins
        Number of bins or bin edges.
    xlabel
        Label of the x axis (state the unit).
    xlim
        Range of the x axis (and of the bins); values outside are not drawn.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    r = np.asarray(residuals, dtype=float).reshape(-1)
    r = r[~np.isnan(r)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.hist(r, bins=bins, range=xlim, color="tab:blue", edgecolor="white", linewidth=0.3)
    ax.axvline(0.0, color="black", linewidth=0.8)
    stats = f"n = {len(r)}"
    if len(r):
        stats += f", mean = {r.mean():.3g}, std = {r.std():.3g}"
    ax.set_title(f"{title}\n{stats}", fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    if xlim is not None:
        ax.set_xlim(*xlim)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path
