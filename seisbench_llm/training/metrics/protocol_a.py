"""Protocol A metrics (pick benchmark of Münchmeyer et al., 2022), as fractions in [0, 1] like
the benchmark's tables: detection (task 1), phase identification (task 2), onset residuals
(task 3). A sample is predicted positive if ``score >= threshold``; tuned thresholds are always
one of the observed scores."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.stats

from seisbench_llm.training.metrics.counts import as_binary, f1_of, ratio

__all__ = [
    "best_f1_threshold",
    "best_mcc_threshold",
    "matthews_corrcoef",
    "phase_score",
    "precision_recall_f1",
    "residual_stats",
    "roc_auc",
]


def roc_auc(scores: Sequence[float] | np.ndarray, labels: Sequence[Any] | np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney statistic).

    Equals the probability that a random positive scores higher than a random negative, a tie
    counting one half (ties get average ranks).

    :param scores: Score per sample, higher means more likely positive.
    :param labels: True class per sample (truthy = positive).

    :return: AUC in [0, 1]; NaN if one class is missing.
    """
    scores = np.asarray(scores, dtype=float).reshape(-1)
    labels = as_binary(labels)
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

    :param pred: Predicted class per sample (truthy = positive).
    :param labels: True class per sample (truthy = positive).

    :return: ``precision``, ``recall``, ``f1``.
    """
    pred, labels = as_binary(pred), as_binary(labels)
    tp = int((pred & labels).sum())
    precision = ratio(tp, pred.sum())
    recall = ratio(tp, labels.sum())
    return {"precision": precision, "recall": recall, "f1": f1_of(precision, recall)}


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
    """Scores and boolean labels as flat arrays, without NaN scores; raises on bad input."""
    scores = np.asarray(scores, dtype=float).reshape(-1)
    labels = as_binary(labels)
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

    :param scores: Score per sample.
    :param labels: True class per sample (truthy = positive).

    :return: ``(threshold, f1)`` with F1 as a fraction.
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

    :param pred: Predicted class per sample (truthy = positive).
    :param labels: True class per sample (truthy = positive).
    :return: MCC in [-1, 1].
    """
    pred, labels = as_binary(pred), as_binary(labels)
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

    :param scores: P-vs-S score per window, higher means P (see :py:func:`phase_score`).
    :param is_p: True phase per window (truthy = P).

    :return: ``(threshold, mcc)``.
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

    :param p_max: Maximum P probability per window.
    :param s_max: Maximum S probability per window.
    :return: Score per window in [0, 1].
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

    :param residuals_s: Residuals in seconds.
    :param outlier_s: Outlier bound in seconds; None to skip the modified statistics.

    :return: ``n``, ``n_nan``, ``mean_s``, ``median_s``, ``std_s``, ``rmse_s``, ``mae_s`` and, with
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
        out["outlier_fraction"] = ratio(n - len(inlier), n) if n else nan
        out["modified_rmse_s"] = float(np.sqrt(np.mean(inlier**2))) if len(inlier) else nan
        out["modified_mae_s"] = float(np.abs(inlier).mean()) if len(inlier) else nan
    return out
