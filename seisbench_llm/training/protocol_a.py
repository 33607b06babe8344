"""Protocol A (pick benchmark, Münchmeyer et al. 2022): scoring of a model on the targets of
:py:mod:`seisbench_llm.training.targets`.

Thresholds are tuned on dev and applied to test: ROC AUC and F1 for detection (task 1), MCC for
phase identification (task 2), residual mean / RMSE / MAE in seconds for the onsets (task 3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .metrics import (
    best_f1_threshold,
    best_mcc_threshold,
    matthews_corrcoef,
    phase_score,
    precision_recall_f1,
    residual_stats,
    roc_auc,
)
from .targets import SPLITS

__all__ = ["evaluate_protocol_a", "window_scores"]


def window_scores(
    p_curve: np.ndarray, s_curve: np.ndarray, det_curve: np.ndarray | None = None
) -> dict[str, float]:
    """Protocol A scores of one window from its (already cropped) probability curves.

    Parameters
    ----------
    p_curve, s_curve
        P and S probability inside the window.
    det_curve
        Detection probability inside the window. Without one (SeisMoLLM has no detection
        output and its noise channel is untrained) the detection score is
        ``max(p_max, s_max)``.

    Returns
    -------
    dict
        ``score_detection``, ``p_max``, ``s_max``, ``p_pred_onset`` and ``s_pred_onset`` (argmax
        of the curve, samples within the window).
    """
    p = np.asarray(p_curve, dtype=float).reshape(-1)
    s = np.asarray(s_curve, dtype=float).reshape(-1)
    p_max, s_max = float(p.max()), float(s.max())
    det = max(p_max, s_max) if det_curve is None else float(np.max(det_curve))
    return {
        "score_detection": det,
        "p_max": p_max,
        "s_max": s_max,
        "p_pred_onset": float(np.argmax(p)),
        "s_pred_onset": float(np.argmax(s)),
    }


def _with_predictions(
    df: pd.DataFrame,
    needed: Sequence[str],
    predict: Callable[[pd.Series], Mapping[str, float]] | None,
) -> pd.DataFrame:
    """``df`` with the prediction columns ``needed``, filled by ``predict`` if missing."""
    missing = [c for c in needed if c not in df.columns]
    if not missing:
        return df
    if predict is None:
        raise ValueError(f"prediction columns {missing} missing and no predict function given")
    pred = pd.DataFrame([dict(predict(row)) for _, row in df.iterrows()], index=df.index)
    return df.assign(**{c: pred[c] for c in pred.columns if c not in df.columns})


def _splits(targets: Mapping[str, pd.DataFrame], task: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    for split in SPLITS:
        if split not in targets:
            raise KeyError(f"{task}: the {split!r} split is missing")
    return targets["dev"], targets["test"]


def evaluate_protocol_a(
    task1: Mapping[str, pd.DataFrame] | None = None,
    task23: Mapping[str, pd.DataFrame] | None = None,
    predict: Callable[[pd.Series], Mapping[str, float]] | None = None,
    outlier_s: float | None = 1.0,
    sampling_rate: float = 100.0,
) -> dict[str, Any]:
    """Score a model on protocol A targets; thresholds tuned on dev, reported on test.

    Task 1 rows need ``score_detection``; task 2/3 rows need either ``score_p_or_s`` (higher =
    P) or ``p_max`` and ``s_max`` (scored with :py:func:`~.metrics.phase_score`), and
    ``p_pred_onset`` / ``s_pred_onset`` (predicted onset, samples within the window, like
    ``phase_onset``). Missing columns are filled by ``predict(row)``, which may return
    :py:func:`window_scores`.

    * detection: ROC AUC (dev and test); F1-optimal threshold on dev, test precision / recall /
      F1 with ``score >= threshold``;
    * phase identification: MCC-optimal threshold on dev, test MCC (a NaN score counts as S);
    * onsets: residual ``(predicted - true) / sampling_rate`` of the P curve on P windows and
      of the S curve on S windows; :py:func:`~.metrics.residual_stats` per split and phase.

    Parameters
    ----------
    task1, task23
        ``{"dev": DataFrame, "test": DataFrame}`` (as from :py:func:`~seisbench_llm.training.targets.generate_targets`) with
        predictions; either may be None.
    predict
        Optional function of a target row returning the missing prediction columns.
    outlier_s
        Outlier bound of the residual statistics (the benchmark's 1 s); None to skip.
    sampling_rate
        Used where the targets have no ``sampling_rate`` column.

    Returns
    -------
    dict
        Benchmark-style keys: ``det_threshold``, ``dev_det_f1``, ``dev_det_auc``,
        ``test_det_auc``, ``test_det_precision``, ``test_det_recall``, ``test_det_f1``,
        ``n_test_task1``; ``phase_threshold``, ``dev_phase_mcc``, ``test_phase_mcc``,
        ``n_test_task23``; ``{split}_{P|S}_{stat}`` for every statistic of
        :py:func:`~.metrics.residual_stats` (``mean_s``, ``rmse_s``, ``mae_s``, ...), and the
        residual arrays ``{split}_{P|S}_residuals_s``. Fractions, not percent.
    """
    out: dict[str, Any] = {}
    if task1 is not None:
        dev, test = (
            _with_predictions(df, ["score_detection"], predict) for df in _splits(task1, "task1")
        )
        dev_y = (dev["trace_type"] == "earthquake").to_numpy()
        test_y = (test["trace_type"] == "earthquake").to_numpy()
        dev_s = dev["score_detection"].to_numpy(dtype=float)
        test_s = test["score_detection"].to_numpy(dtype=float)
        threshold, dev_f1 = best_f1_threshold(dev_s, dev_y)
        test_prf = precision_recall_f1(test_s >= threshold, test_y)
        out.update(
            {
                "det_threshold": threshold,
                "dev_det_f1": dev_f1,
                "dev_det_auc": roc_auc(dev_s, dev_y),
                "test_det_auc": roc_auc(test_s, test_y),
                "test_det_precision": test_prf["precision"],
                "test_det_recall": test_prf["recall"],
                "test_det_f1": test_prf["f1"],
                "n_test_task1": len(test),
            }
        )

    if task23 is not None:
        frames = {}
        for split, df in zip(SPLITS, _splits(task23, "task23"), strict=True):
            needed = ["p_pred_onset", "s_pred_onset"]
            if "score_p_or_s" not in df.columns:
                needed += ["p_max", "s_max"]
            frames[split] = _with_predictions(df, needed, predict)

        def score(df: pd.DataFrame) -> np.ndarray:
            if "score_p_or_s" in df.columns:
                return df["score_p_or_s"].to_numpy(dtype=float)
            return phase_score(df["p_max"].to_numpy(dtype=float), df["s_max"].to_numpy(dtype=float))

        dev, test = frames["dev"], frames["test"]
        threshold, dev_mcc = best_mcc_threshold(score(dev), dev["phase_label"] == "P")
        test_is_p = (test["phase_label"] == "P").to_numpy()
        out.update(
            {
                "phase_threshold": threshold,
                "dev_phase_mcc": dev_mcc,
                "test_phase_mcc": matthews_corrcoef(score(test) >= threshold, test_is_p),
                "n_test_task23": len(test),
            }
        )

        for split, df in frames.items():
            sr = (
                df["sampling_rate"].to_numpy(dtype=float)
                if "sampling_rate" in df.columns
                else np.full(len(df), float(sampling_rate))
            )
            for phase in ("P", "S"):
                mask = (df["phase_label"] == phase).to_numpy()
                pred = df[f"{phase.lower()}_pred_onset"].to_numpy(dtype=float)[mask]
                true = df["phase_onset"].to_numpy(dtype=float)[mask]
                residuals = (pred - true) / sr[mask]
                for key, value in residual_stats(residuals, outlier_s=outlier_s).items():
                    out[f"{split}_{phase}_{key}"] = value
                out[f"{split}_{phase}_residuals_s"] = residuals
    return out
