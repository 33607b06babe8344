"""Augmentations that move the window over the trace; pick positions follow the samples."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import seisbench.generate as sbg

from seisbench_llm.data.augmentations.core import (
    KeySpec,
    StateDict,
    first_arrival,
    key_pair,
    key_pairs,
    phase_columns,
    read_entry,
    sample_columns,
    trace_seed,
)
from seisbench_llm.tasks import PHASE_DICT

__all__ = ["CircularShift", "DiTingCrop"]


class CircularShift:
    """Rolls the waveform along time; pick positions move with it, modulo the length.

    Every numeric ``*_sample`` metadata entry becomes ``(value + shift) % n_samples`` (NaN stays
    NaN); arrays under ``label_keys`` are rolled by the same shift.

    :param shift: Fixed shift in samples; None draws one uniformly from ``[0, n_samples)`` per
        call.
    :param axis: Sample axis.
    :param key: State-dict key(s) to read from and write to.
    :param label_keys: Already generated labels (same length) rolled together with the waveform.
    """

    def __init__(
        self,
        shift: int | None = None,
        axis: int = -1,
        key: KeySpec = "X",
        label_keys: KeySpec | Sequence[KeySpec] | None = None,
    ):
        self.shift = shift
        self.axis = axis
        self.key = key_pair(key)
        self.label_keys = key_pairs(label_keys)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = read_entry(state_dict, self.key)
        n = x.shape[self.axis]
        shift = np.random.randint(n) if self.shift is None else self.shift % n
        x = np.roll(x, shift, axis=self.axis)
        for column in sample_columns(metadata):
            value = np.mod(np.asarray(metadata[column], dtype=float) + shift, n)
            metadata[column] = value if isinstance(metadata[column], np.ndarray) else float(value)
        state_dict[self.key[1]] = (x, metadata)

        for label_key in self.label_keys:
            y, label_metadata = read_entry(state_dict, label_key)
            if y.shape[self.axis] != n:
                raise ValueError(f"Label '{label_key[0]}' and waveform lengths differ")
            state_dict[label_key[1]] = (np.roll(y, shift, axis=self.axis), label_metadata)

    def __str__(self) -> str:
        return f"CircularShift (shift={'random' if self.shift is None else self.shift})"


class DiTingCrop(sbg.FixedWindow):
    """SeisMoLLM's DiTing crop: a ``windowlen`` window starting in ``[0, min(P, max_start) - margin)``.

    The start lies at least ``margin`` samples before P (so P stays inside) and at most
    ``max_start`` (default: trace length - ``windowlen``; 9000 - 8192 = 808 for DiTing). Where
    possible the start is also kept at or after ``P + margin - windowlen`` so that a late P is
    not cut off at the window end. Without a P pick (or with P < ``margin``) the start is uniform
    in ``[0, max_start]`` (respectively 0). With ``seed`` set, the start depends only on
    ``seed`` and the trace (:py:func:`trace_seed`), for reproducible validation and test sets.
    Metadata ``*_sample`` entries are shifted by :py:class:`~seisbench.generate.FixedWindow`.

    :param windowlen: Output length in samples.
    :param margin: Minimum distance of P from the window start.
    :param max_start: Largest start; None uses ``n_samples - windowlen``.
    :param seed: None draws from ``numpy.random``; an int makes the crop deterministic per trace.
    :param label_columns: Pick columns and their phase; the earliest P is used.
    :param strategy: :py:class:`~seisbench.generate.FixedWindow` strategy for traces shorter than
        the window.
    :param kwargs: Passed to :py:class:`~seisbench.generate.FixedWindow` (``axis``, ``key``).
    """

    def __init__(
        self,
        windowlen: int = 8192,
        margin: int = 25,
        max_start: int | None = None,
        seed: int | None = None,
        label_columns: Mapping[str, str] = PHASE_DICT,
        strategy: str = "pad",
        **kwargs: Any,
    ):
        super().__init__(windowlen=windowlen, strategy=strategy, **kwargs)
        self.margin = margin
        self.max_start = max_start
        self.seed = seed
        self.p_columns = phase_columns(label_columns, "P")

    def start_range(self, metadata: Mapping[str, Any], n_samples: int) -> tuple[int, int]:
        """Half-open range ``[low, high)`` of allowed window starts for a trace.

        :param metadata: Trace metadata (the P pick columns are read).
        :param n_samples: Trace length.
        :return: ``(low, high)``.
        """
        max_start = n_samples - self.windowlen if self.max_start is None else self.max_start
        max_start = max(max_start, 0)
        p = first_arrival(metadata, self.p_columns)
        if p is None:
            return 0, max_start + 1
        high = math.floor(min(p, max_start)) - self.margin
        if high <= 0:
            return 0, 1
        low = math.ceil(p) + self.margin - self.windowlen
        return (low, high) if 0 <= low < high else (0, high)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = state_dict[self.key[0]]
        low, high = self.start_range(metadata, x.shape[self.axis])
        if self.seed is None:
            start = np.random.randint(low, high)
        else:
            start = np.random.default_rng(trace_seed(metadata, self.seed)).integers(low, high)
        super().__call__(state_dict, p0=int(start), windowlen=self.windowlen)

    def __str__(self) -> str:
        return (
            f"DiTingCrop (windowlen={self.windowlen}, margin={self.margin}, "
            f"max_start={self.max_start}, seed={self.seed})"
        )
