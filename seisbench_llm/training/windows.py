"""Where the harness's windows sit in a trace: training and evaluation windows that hold the picks.

* :py:func:`pick_window`: the pick benchmark's training placement (Münchmeyer et al. 2022): with
  probability 2/3 a wide window around a random pick, then a random window of the model's length.
* :py:class:`PhaseWindow`: the deterministic evaluation placement: a window that holds the first
  and the last labelled pick of the trace (at least ``margin`` samples from the edges) wherever
  the trace allows, its start drawn per trace from a seed; noise traces get a seeded random window.
* :py:data:`WINDOWS`: the window placements a SeisMoLLM config can choose (``"window"``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import seisbench.generate as sbg

from seisbench_llm.data.augmentations import PHASE_DICT, trace_seed

#: SeisMoLLM window placements: the first samples of the trace (STEAD, whose traces are one model
#: window long), the pick benchmark's placement (ETHZ, INSTANCE, ...: long traces, picks anywhere)
#: and SeisMoLLM's DiTing crop.
WINDOWS: tuple[str, ...] = ("start", "pick", "diting")


def pick_window(
    in_samples: int,
    wide_samples: int,
    sample_boundaries: tuple[int | None, int | None] = (None, None),
) -> list:
    """The pick benchmark's training window: 2/3 a ``wide_samples`` window around a random pick
    (``strategy="variable"``), then a random ``in_samples`` window (zero-padded).

    :param in_samples: Output length.
    :param wide_samples: Length of the window around the pick (twice the output in the benchmark).
    :param sample_boundaries: ``low`` / ``high`` of the random window.
    :return: Augmentations.
    """
    return [
        sbg.OneOf(
            [
                sbg.WindowAroundSample(
                    list(PHASE_DICT),
                    samples_before=wide_samples // 2,
                    windowlen=wide_samples,
                    selection="random",
                    strategy="variable",
                ),
                sbg.NullAugmentation(),
            ],
            probabilities=[2, 1],
        ),
        sbg.RandomWindow(
            low=sample_boundaries[0],
            high=sample_boundaries[1],
            windowlen=in_samples,
            strategy="pad",
        ),
    ]


def labelled_samples(metadata: Mapping[str, Any], label_columns: Mapping[str, str] = PHASE_DICT):
    """Finite pick samples of a trace's metadata, per phase: ``{"P": [...], "S": [...]}``."""
    out: dict[str, list[float]] = {}
    for column, phase in label_columns.items():
        value = metadata.get(column)
        if isinstance(value, int | float | np.integer | np.floating) and math.isfinite(value):
            out.setdefault(phase, []).append(float(value))
    return out


class PhaseWindow(sbg.FixedWindow):
    """A deterministic ``windowlen`` window holding the trace's labelled picks.

    The start is drawn (from ``seed`` and the trace, :py:func:`trace_seed`) among the starts that
    keep the first and the last pick at least ``margin`` samples inside the window and the window
    inside the trace. If the trace is too short, the picks win and the window is zero-padded; if
    the picks span more than the window, the first pick is kept and the window starts ``margin``
    samples before it. A trace without picks gets a random window.

    :param windowlen: Output length in samples.
    :param margin: Minimum distance of the picks from the window edges.
    :param seed: Base seed.
    :param label_columns: Pick columns and their phase.
    :param kwargs: Passed to :py:class:`~seisbench.generate.FixedWindow` (``key``, ``axis``).
    """

    def __init__(
        self,
        windowlen: int,
        margin: int = 50,
        seed: int = 0,
        label_columns: Mapping[str, str] = PHASE_DICT,
        **kwargs: Any,
    ):
        super().__init__(windowlen=windowlen, strategy="pad", **kwargs)
        self.margin = margin
        self.seed = seed
        self.label_columns = dict(label_columns)

    def start_range(self, metadata: Mapping[str, Any], n_samples: int) -> tuple[int, int]:
        """Inclusive range ``(low, high)`` of window starts for a trace of ``n_samples``."""
        picks = [s for v in labelled_samples(metadata, self.label_columns).values() for s in v]
        in_trace = (0, max(n_samples - self.windowlen, 0))
        if not picks:
            return in_trace
        first, last = math.floor(min(picks)), math.ceil(max(picks))
        low, high = last + self.margin - self.windowlen + 1, first - self.margin
        if low > high:  # the picks span more than the window: keep the first one
            low = high
        both = (max(low, in_trace[0]), min(high, in_trace[1]))
        return both if both[0] <= both[1] else (low, high)

    def __call__(self, state_dict: dict) -> None:
        x, metadata = state_dict[self.key[0]]
        low, high = self.start_range(metadata, x.shape[self.axis])
        start = np.random.default_rng(trace_seed(metadata, self.seed)).integers(low, high + 1)
        super().__call__(state_dict, p0=int(start), windowlen=self.windowlen)

    def __str__(self) -> str:
        return f"PhaseWindow (windowlen={self.windowlen}, margin={self.margin}, seed={self.seed})"
