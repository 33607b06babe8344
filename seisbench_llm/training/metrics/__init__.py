"""Evaluation metrics of the two protocols of the project (docs/reference.md, section 3).

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
  :py:func:`precision_recall_f1` of ``score >= threshold`` (applied to test),
* task 2, phase identification: :py:func:`phase_score`, :py:func:`matthews_corrcoef` and
  :py:func:`best_mcc_threshold` (tuned on dev),
* task 3, onset regression: :py:func:`residual_stats` (seconds).

Thresholds everywhere follow one rule: a sample is predicted positive if ``score >= threshold``;
tuned thresholds are always one of the observed scores.

Every quantity that scikit-learn also computes (precision, recall and F1, macro F1, accuracy,
ROC AUC, MCC, MAE, RMSE, R^2) is kept here in NumPy, with the conventions spelt out for the
degenerate cases (0 where undefined, NaN for one-class AUC), and checked against
scikit-learn in ``tests/test_metrics.py`` on hand-made and random cases.

Reports of these numbers: :py:mod:`seisbench_llm.training.reports` (markdown tables) and
:py:mod:`seisbench_llm.training.plots` (figures); :py:func:`results_table` and
:py:func:`residual_histogram` stay importable from here.

Modules: :py:mod:`.protocol_b`, :py:mod:`.protocol_a`, and :py:mod:`.counts` (ratios and
confusion counts shared by both).
"""

from seisbench_llm.training.metrics.protocol_a import (
    best_f1_threshold,
    best_mcc_threshold,
    matthews_corrcoef,
    phase_score,
    precision_recall_f1,
    residual_stats,
    roc_auc,
)
from seisbench_llm.training.metrics.protocol_b import (
    label_onsets,
    pick_metrics,
    polarity_metrics,
    regression_metrics,
    top1_picks,
    wrap_degrees,
)
from seisbench_llm.training.plots import residual_histogram
from seisbench_llm.training.reports import results_table

__all__ = [
    "best_f1_threshold",
    "best_mcc_threshold",
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
    "label_onsets",
    "top1_picks",
    "wrap_degrees",
]
