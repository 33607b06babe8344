"""Label generation: truncated Gaussian pick labels and the labels of all five SeisMoLLM tasks."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from seisbench_llm.data.augmentations.columns import (
    PHASE_DICT,
    POLARITY_COLUMNS,
    TASKS,
    polarity_class,
)
from seisbench_llm.data.augmentations.core import StateDict, check_2d, finite, sampling_rate_of

__all__ = ["MultiTaskLabeller", "TruncatedGaussianLabeller"]


class TruncatedGaussianLabeller:
    """Gaussian pick labels with peak 1, set to 0 beyond ``truncate_s`` seconds from the pick.

    SeisBench's ``ProbabilisticLabeller`` has no truncation. Output ``(len(phases), samples)``
    float32; ``"N"`` in ``phases`` is the noise channel ``clip(1 - sum(phases), 0, 1)``. Several
    picks of one phase combine by maximum. Picks outside the window contribute their tails.

    :param label_columns: Metadata pick columns and their phase.
    :param phases: Output channel order; default ``"NPS"`` (SeisMoLLM's [noise, P, S]).
    :param sigma: Gaussian standard deviation in samples.
    :param truncate_s: Half width of the label in seconds (at ``trace_sampling_rate_hz``); None for
        none.
    :param key: Waveform key to read, label key to write.
    """

    def __init__(
        self,
        label_columns: Mapping[str, str] = PHASE_DICT,
        phases: str = "NPS",
        sigma: float = 10.0,
        truncate_s: float | None = 0.25,
        key: tuple[str, str] = ("X", "y"),
    ):
        self.label_columns = dict(label_columns)
        self.phases = phases
        self.sigma = sigma
        self.truncate_s = truncate_s
        self.key = key

    def label(self, n_samples: int, metadata: Mapping[str, Any]) -> np.ndarray:
        """Labels for a window.

        :param n_samples: Window length.
        :param metadata: Trace metadata (pick columns, ``trace_sampling_rate_hz``).
        :return: float32 ``(len(phases), n_samples)``.
        """
        y = np.zeros((len(self.phases), n_samples), dtype=np.float32)
        half = None
        if self.truncate_s is not None:
            half = self.truncate_s * sampling_rate_of(metadata)
        t = np.arange(n_samples, dtype=np.float64)
        for column, phase in self.label_columns.items():
            onset = finite(metadata.get(column))
            if onset is None or phase not in self.phases:
                continue
            curve = np.exp(-0.5 * ((t - onset) / self.sigma) ** 2)
            if half is not None:
                curve[np.abs(t - onset) > half] = 0
            channel = self.phases.index(phase)
            y[channel] = np.maximum(y[channel], curve)
        if "N" in self.phases:
            noise = self.phases.index("N")
            y[noise] = np.clip(1 - np.delete(y, noise, axis=0).sum(axis=0), 0, 1)
        return y

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = state_dict[self.key[0]]
        check_2d(x, "TruncatedGaussianLabeller")
        state_dict[self.key[1]] = (self.label(x.shape[-1], metadata), copy.deepcopy(metadata))

    def __str__(self) -> str:
        return (
            f"TruncatedGaussianLabeller (phases={self.phases}, sigma={self.sigma}, "
            f"truncate_s={self.truncate_s})"
        )


class MultiTaskLabeller:
    """Labels of the five SeisMoLLM tasks, written to their own state-dict keys.

    ==========  =================  ===========================================================
    task        key                value
    ==========  =================  ===========================================================
    picking     ``"y"``            float32 ``(3, samples)``, [noise, P, S]
                                   (:py:class:`TruncatedGaussianLabeller`)
    polarity    ``"polarity"``     int64 scalar: 0 up (U, C), 1 down (R, D), -1 unknown
    magnitude   ``"magnitude"``    float32 scalar (NaN if missing)
    distance    ``"distance"``     float32 scalar, km (NaN if missing)
    back_az.    ``"baz"``          float32 ``(2,)``, (cos, sin) of the back-azimuth (NaN if
                                   missing)
    ==========  =================  ===========================================================

    :param tasks: Tasks to label (default all of :py:data:`TASKS`).
    :param sigma: Passed to :py:class:`TruncatedGaussianLabeller`.
    :param truncate_s: Passed to :py:class:`TruncatedGaussianLabeller`.
    :param label_columns: Passed to :py:class:`TruncatedGaussianLabeller`.
    :param polarity_columns: Columns searched for the polarity; the first present with a known
        value wins.
    :param magnitude_column: Magnitude column.
    :param distance_columns: Columns searched for the epicentral distance in km; first finite value
        wins.
    :param baz_column: Back-azimuth column in degrees.
    :param key: Waveform key.
    """

    def __init__(
        self,
        tasks: Sequence[str] = TASKS,
        sigma: float = 10.0,
        truncate_s: float | None = 0.25,
        label_columns: Mapping[str, str] = PHASE_DICT,
        polarity_columns: Sequence[str] = POLARITY_COLUMNS,
        magnitude_column: str = "source_magnitude",
        distance_columns: Sequence[str] = ("source_distance_km", "path_ep_distance_km"),
        baz_column: str = "path_back_azimuth_deg",
        key: str = "X",
    ):
        unknown = set(tasks) - set(TASKS)
        if unknown:
            raise ValueError(f"Unknown tasks {sorted(unknown)}. Valid tasks: {', '.join(TASKS)}")
        self.tasks = tuple(tasks)
        self.picks = TruncatedGaussianLabeller(
            label_columns, phases="NPS", sigma=sigma, truncate_s=truncate_s, key=(key, "y")
        )
        self.polarity_columns = tuple(polarity_columns)
        self.magnitude_column = magnitude_column
        self.distance_columns = tuple(distance_columns)
        self.baz_column = baz_column
        self.key = key

    def _number(self, metadata: Mapping[str, Any], columns: Sequence[str]) -> float:
        """First finite number among ``columns`` of the metadata, NaN if none."""
        for column in columns:
            value = finite(metadata.get(column))
            if value is not None:
                return value
        return math.nan

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = state_dict[self.key]
        if "picking" in self.tasks:
            self.picks(state_dict)
        if "polarity" in self.tasks:
            classes = [polarity_class(metadata.get(c)) for c in self.polarity_columns]
            polarity = next((c for c in classes if c >= 0), -1)
            state_dict["polarity"] = (np.array(polarity, dtype=np.int64), None)
        if "magnitude" in self.tasks:
            magnitude = self._number(metadata, [self.magnitude_column])
            state_dict["magnitude"] = (np.array(magnitude, dtype=np.float32), None)
        if "distance" in self.tasks:
            distance = self._number(metadata, self.distance_columns)
            state_dict["distance"] = (np.array(distance, dtype=np.float32), None)
        if "back_azimuth" in self.tasks:
            baz = np.deg2rad(self._number(metadata, [self.baz_column]))
            state_dict["baz"] = (np.array([np.cos(baz), np.sin(baz)], dtype=np.float32), None)

    def __str__(self) -> str:
        return f"MultiTaskLabeller (tasks={', '.join(self.tasks)})"
