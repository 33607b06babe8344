"""Label generation: truncated Gaussian pick labels and the labels of every SeisMoLLM task."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from seisbench_llm.data.augmentations.core import StateDict, check_2d, finite, sampling_rate_of
from seisbench_llm.tasks import PHASE_DICT, TASKS, Task, get_task

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
    """Labels of the SeisMoLLM tasks (:py:data:`seisbench_llm.tasks.TASKS`), each written to the
    task's state-dict key from the first usable value among the task's metadata columns.

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

    :param tasks: Tasks to label (default all of :py:data:`~seisbench_llm.tasks.TASKS`).
    :param sigma: Passed to :py:class:`TruncatedGaussianLabeller`.
    :param truncate_s: Passed to :py:class:`TruncatedGaussianLabeller`.
    :param label_columns: Passed to :py:class:`TruncatedGaussianLabeller`.
    :param columns: Metadata columns per task name replacing the task's own
        (:py:attr:`seisbench_llm.tasks.Task.columns`), searched in order.
    :param key: Waveform key.
    """

    def __init__(
        self,
        tasks: Sequence[str] = tuple(TASKS),
        sigma: float = 10.0,
        truncate_s: float | None = 0.25,
        label_columns: Mapping[str, str] = PHASE_DICT,
        columns: Mapping[str, Sequence[str]] | None = None,
        key: str = "X",
    ):
        self.tasks = tuple(get_task(name) for name in tasks)
        self.picks = TruncatedGaussianLabeller(
            label_columns, phases="NPS", sigma=sigma, truncate_s=truncate_s, key=(key, "y")
        )
        columns = dict(columns or {})
        self.columns = {t.name: tuple(columns.get(t.name, t.columns)) for t in self.tasks}
        self.key = key

    def _value(self, task: Task, metadata: Mapping[str, Any]) -> Any:
        """First usable value of ``task``'s columns (a known class or a finite number), or None."""
        values = [metadata.get(column) for column in self.columns[task.name]]
        if task.class_of is not None:
            return next((c for c in map(task.class_of, values) if c >= 0), None)
        return next((v for v in map(finite, values) if v is not None), None)

    def __call__(self, state_dict: StateDict) -> None:
        _, metadata = state_dict[self.key]
        for task in self.tasks:
            if task.target is None:  # picking: Gaussian curves from the pick columns
                self.picks(state_dict)
            else:
                state_dict[task.key] = (task.target(self._value(task, metadata)), None)

    def __str__(self) -> str:
        return f"MultiTaskLabeller (tasks={', '.join(t.name for t in self.tasks)})"
