"""Figures of evaluation results, drawn on an Agg canvas (the global Matplotlib backend is left
alone)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["residual_histogram"]


def residual_histogram(
    residuals: Sequence[float] | np.ndarray,
    path: str | Path,
    title: str,
    bins: int | Sequence[float] = 50,
    xlabel: str = "residual (s)",
    xlim: tuple[float, float] | None = None,
) -> Path:
    """Write a histogram of residuals as PNG (Agg canvas; the global backend is left alone).

    :param residuals: Residuals; NaNs are dropped.
    :param path: Output file; parent folders are created.
    :param title: Plot title; the count, mean and std are appended below it.
    :param bins: Number of bins or bin edges.
    :param xlabel: Label of the x axis (state the unit).
    :param xlim: Range of the x axis (and of the bins); values outside are not drawn.

    :return: The written file.
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
