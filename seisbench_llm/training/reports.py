"""Markdown tables of evaluation results (the numbers come from :py:mod:`.metrics`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Number
from typing import Any

import numpy as np

__all__ = ["results_table"]


def _cell(value: Any, float_format: str) -> str:
    """A value as table cell text: ``-`` for None and NaN, floats with ``float_format``."""
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

    :param rows: One mapping per row (e.g. a model's metrics).
    :param columns: Columns in order; by default every key with a scalar value, in order of first
        appearance (arrays such as ``residuals`` are left out).
    :param float_format: Format spec of floats; NaN and None print as ``-``.

    :return: The table, ending with a newline.
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
