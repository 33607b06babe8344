"""Ratios and binary labels shared by the metrics of both protocols."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def ratio(num: float, den: float) -> float:
    """``num / den``, or 0 where ``den`` is 0 (the convention of scikit-learn's zero_division).

    :param num: Numerator.
    :param den: Denominator (a count or a sum of non-negative numbers).
    :return: The ratio.
    """
    return float(num) / float(den) if den > 0 else 0.0


def f1_of(precision: float, recall: float) -> float:
    """Harmonic mean of precision and recall, 0 where both are 0.

    :param precision: Precision.
    :param recall: Recall.
    :return: F1 on the scale of the inputs.
    """
    return ratio(2.0 * precision * recall, precision + recall)


def as_binary(labels: Iterable[Any]) -> np.ndarray:
    """Labels as a 1-D boolean array (truthy = positive).

    :param labels: Labels of any shape.
    :return: Flat boolean array.
    """
    return np.asarray(labels).astype(bool).reshape(-1)
