"""Augmentations that change the event: a gap between the phases, event removed, event doubled."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from seisbench_llm.data.augmentations.core import (
    KeySpec,
    StateDict,
    check_2d,
    first_arrival,
    key_pair,
    key_pairs,
    phase_columns,
    read_entry,
)
from seisbench_llm.tasks import PHASE_DICT, POLARITY_COLUMNS

__all__ = ["DuplicateEvent", "EventToNoise", "ZeroGapBetweenPhases"]


class ZeroGapBetweenPhases:
    """Zeroes a random segment strictly between the first P and the first S arrival.

    The gap ``[start, end)`` satisfies ``P + margin <= start < end <= S - margin``, so neither
    onset is touched and the pick labels stay valid. Traces without both picks (or with too
    little room between them) are left unchanged.

    :param margin: Samples kept untouched after P and before S.
    :param label_columns: Pick columns and their phase ("P" or "S").
    :param axis: Sample axis.
    :param key: State-dict key(s) to read from and write to.
    """

    def __init__(
        self,
        margin: int = 10,
        label_columns: Mapping[str, str] = PHASE_DICT,
        axis: int = -1,
        key: KeySpec = "X",
    ):
        self.margin = margin
        self.p_columns = phase_columns(label_columns, "P")
        self.s_columns = phase_columns(label_columns, "S")
        self.axis = axis
        self.key = key_pair(key)

    def gap(self, metadata: Mapping[str, Any], n_samples: int) -> tuple[int, int] | None:
        """Draw the gap for a trace.

        :param metadata: Trace metadata.
        :param n_samples: Trace length.
        :return: ``(start, end)``, or None if there is no room.
        """
        p = first_arrival(metadata, self.p_columns)
        s = first_arrival(metadata, self.s_columns)
        if p is None or s is None:
            return None
        low = max(math.ceil(p) + self.margin, 0)
        high = min(math.floor(s) - self.margin, n_samples)
        if high - low < 1:
            return None
        start = np.random.randint(low, high)
        end = np.random.randint(start + 1, high + 1)
        return int(start), int(end)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = read_entry(state_dict, self.key)
        gap = self.gap(metadata, x.shape[self.axis])
        if gap is not None:
            x = np.moveaxis(x.copy(), self.axis, -1)
            x[..., gap[0] : gap[1]] = 0
            x = np.moveaxis(x, -1, self.axis)
        state_dict[self.key[1]] = (x, metadata)

    def __str__(self) -> str:
        return f"ZeroGapBetweenPhases (margin={self.margin})"


class EventToNoise:
    """Replaces the event (P to coda end) by noise and clears the phase labels.

    The segment ``[P, S + coda_factor * (S - P))`` (to the trace end without an S pick) is
    replaced by Gaussian noise with the per-channel mean and standard deviation of the noise
    before P (or, if that is shorter than ``min_reference`` samples, of the samples after the
    coda). Afterwards every ``*_arrival_sample`` entry is NaN, polarity columns are empty,
    ``trace_category`` (if present) is ``"noise"``, and labels already generated under
    ``label_keys`` are reset to pure noise. Event parameters (magnitude, distance, ...) are kept.

    :param coda_factor: Coda end is ``S + coda_factor * (S - P)``.
    :param min_reference: Minimum number of noise samples to estimate the noise level from.
    :param label_columns: Pick columns and their phase ("P" or "S").
    :param key: State-dict key(s) of the waveform (channels, samples).
    :param label_keys: Already generated pick labels (channels, samples) to reset.
    :param noise_id: Label key -> index of its noise channel (set to 1); other channels are set to
        0.
    """

    def __init__(
        self,
        coda_factor: float = 2.0,
        min_reference: int = 20,
        label_columns: Mapping[str, str] = PHASE_DICT,
        key: KeySpec = "X",
        label_keys: KeySpec | Sequence[KeySpec] | None = None,
        noise_id: Mapping[str, int] | None = None,
    ):
        self.coda_factor = coda_factor
        self.min_reference = min_reference
        self.p_columns = phase_columns(label_columns, "P")
        self.s_columns = phase_columns(label_columns, "S")
        self.key = key_pair(key)
        self.label_keys = key_pairs(label_keys)
        self.noise_id = dict(noise_id) if noise_id is not None else {"y": 0}

    def segment(self, metadata: Mapping[str, Any], n_samples: int) -> tuple[int, int] | None:
        """The replaced segment of a trace.

        :param metadata: Trace metadata.
        :param n_samples: Trace length.
        :return: ``(start, end)``, or None without a P pick.
        """
        p = first_arrival(metadata, self.p_columns)
        if p is None or p >= n_samples:
            return None
        s = first_arrival(metadata, self.s_columns)
        end = s + self.coda_factor * (s - p) if s is not None and s > p else n_samples
        start, end = max(math.floor(p), 0), min(math.ceil(end), n_samples)
        return (start, end) if end > start else None

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = read_entry(state_dict, self.key)
        check_2d(x, "EventToNoise")
        segment = self.segment(metadata, x.shape[-1])
        if segment is not None:
            start, end = segment
            reference = x[:, :start]
            if (
                reference.shape[-1] < self.min_reference
                and x.shape[-1] - end >= reference.shape[-1]
            ):
                reference = x[:, end:]
            if reference.shape[-1] > 0:
                mean = reference.mean(axis=-1, keepdims=True)
                std = reference.std(axis=-1, keepdims=True)
            else:
                mean = std = np.zeros((x.shape[0], 1))
            x = x.copy()
            noise = mean + std * np.random.standard_normal((x.shape[0], end - start))
            x[:, start:end] = noise.astype(x.dtype, copy=False)

        for column in list(metadata):
            if column.endswith("_arrival_sample"):
                value = metadata[column]
                metadata[column] = (
                    np.full(np.shape(value), np.nan) if isinstance(value, np.ndarray) else np.nan
                )
        for column in POLARITY_COLUMNS:
            if column in metadata:
                metadata[column] = ""
        if "trace_category" in metadata:
            metadata["trace_category"] = "noise"
        state_dict[self.key[1]] = (x, metadata)

        for label_key in self.label_keys:
            y, _ = state_dict[label_key[0]]
            y = np.zeros_like(y)
            if label_key[0] in self.noise_id:
                y[..., self.noise_id[label_key[0]], :] = 1
            state_dict[label_key[1]] = (y, copy.deepcopy(metadata))

    def __str__(self) -> str:
        return f"EventToNoise (coda = S + {self.coda_factor} (S - P))"


class DuplicateEvent:
    """Adds a scaled copy of the event after it (EQTransformer's second-event augmentation).

    The event is the detection span (detection > 0.5). If at least ``min_gap`` samples follow it,
    a copy of the trace from the event start, scaled by ``1 / U(inv_scale)``, is added from a
    random sample after the event on. Labels under ``label_keys`` and the detection get the
    shifted copy of themselves (element-wise maximum); their noise channel (``noise_id``) is
    recomputed as ``1 - sum`` of the other channels, clipped to [0, 1]. Metadata cannot hold
    two picks per phase and is not changed: generate labels before this augmentation.

    :param inv_scale: The copy is scaled by ``1 / u`` with ``u ~ U(inv_scale)``.
    :param detection_key: Detection labels (1, samples).
    :param key: Waveform (channels, samples).
    :param label_keys: Pick labels (labels, samples).
    :param noise_id: Label key -> index of its noise channel.
    :param min_gap: Minimum distance in samples between the event end and the copy.
    """

    def __init__(
        self,
        inv_scale: tuple[float, float] = (1.0, 10.0),
        detection_key: KeySpec = "detections",
        key: KeySpec = "X",
        label_keys: KeySpec | Sequence[KeySpec] | None = None,
        noise_id: Mapping[str, int] | None = None,
        min_gap: int = 20,
    ):
        self.inv_scale = inv_scale
        self.detection_key = key_pair(detection_key)
        self.key = key_pair(key)
        self.label_keys = key_pairs(label_keys)
        self.noise_id = dict(noise_id) if noise_id is not None else {"y": -1}
        self.min_gap = min_gap

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = read_entry(state_dict, self.key)
        check_2d(x, "DuplicateEvent")
        detection = state_dict[self.detection_key[0]][0]
        n = x.shape[-1]
        if detection.shape[-1] != n:
            raise ValueError("Detection and waveform lengths differ")
        event = np.flatnonzero(detection[0] > 0.5)
        shift = 0
        if event.size and event[-1] + 1 + self.min_gap < n:
            start = int(event[0])
            second = np.random.randint(event[-1] + 1 + self.min_gap, n)
            scale = 1.0 / np.random.uniform(*self.inv_scale)
            x = x.copy()
            x[:, second:] += (x[:, start : start + n - second] * scale).astype(x.dtype)
            shift = second - start
        state_dict[self.key[1]] = (x, metadata)

        for label_key in [*self.label_keys, self.detection_key]:
            y, label_metadata = read_entry(state_dict, label_key)
            if y.shape[-1] != n:
                raise ValueError(f"Label '{label_key[0]}' and waveform lengths differ")
            if shift:
                shifted = np.zeros_like(y)
                shifted[..., shift:] = y[..., : n - shift]
                y = np.maximum(y, shifted)
                if label_key[0] in self.noise_id:
                    noise = self.noise_id[label_key[0]] % y.shape[-2]
                    others = np.delete(y, noise, axis=-2).sum(axis=-2)
                    y[..., noise, :] = np.clip(1 - others, 0, 1)
            elif label_key[0] != label_key[1]:
                y = y.copy()
            state_dict[label_key[1]] = (y, label_metadata)

    def __str__(self) -> str:
        return f"DuplicateEvent (inv_scale={self.inv_scale})"
