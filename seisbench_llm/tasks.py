"""SeisMoLLM's tasks, each described once: head, output, loss, training target and the names
annotate and classify give its output.

The model (:py:class:`~seisbench_llm.models.seismollm.SeisMoLLM`), the Lightning module, the
harness's trace filter and the augmentation labeller all read :py:data:`TASKS`; adding a task
means adding one :py:class:`Task` entry there.

The metadata conventions the targets are read from (pick columns and their phase, polarity
columns and labels) are defined here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "PHASE_DICT",
    "POLARITY_CLASSES",
    "POLARITY_COLUMNS",
    "P_PHASES",
    "S_PHASES",
    "TASKS",
    "Task",
    "back_azimuth_degrees",
    "get_task",
    "polarity_class",
]

# ------------------------------------------------------------------------------ metadata columns
#: Phase names whose ``trace_<name>_arrival_sample`` columns count as P and as S (those of
#: STEAD, ETHZ, INSTANCE, ...; the pick benchmark's mapping, Münchmeyer et al. 2022).
#: ``P2``/``S2`` are the arrivals of a second event in the same trace (the synthetic dataset writes
#: them as ``trace_P2_arrival_sample``/``trace_S2_arrival_sample``, NaN where there is none).
P_PHASES: tuple[str, ...] = ("p", "P", "P1", "Pg", "Pn", "pP", "PmP", "pwP", "pwPm", "P2")
S_PHASES: tuple[str, ...] = ("s", "S", "S1", "Sg", "SmS", "Sn", "S2")
#: Metadata pick column -> phase label.
PHASE_DICT: dict[str, str] = {
    **{f"trace_{name}_arrival_sample": "P" for name in P_PHASES},
    **{f"trace_{name}_arrival_sample": "S" for name in S_PHASES},
}

#: First-motion class per (upper-case) polarity label: 0 up, 1 down. Anything else is unknown.
POLARITY_CLASSES: dict[str, int] = {
    "U": 0,
    "C": 0,
    "UP": 0,
    "POSITIVE": 0,
    "R": 1,
    "D": 1,
    "DOWN": 1,
    "NEGATIVE": 1,
}
#: Metadata columns searched for the first-motion polarity, first known value wins: the generic
#: column, then one per P phase (ETHZ writes ``trace_<phase>_polarity`` for every pick).
POLARITY_COLUMNS: tuple[str, ...] = ("trace_polarity", *(f"trace_{p}_polarity" for p in P_PHASES))


def polarity_class(value: Any) -> int:
    """First-motion class of a polarity label (:py:data:`POLARITY_CLASSES`).

    :param value: Polarity label (any case), or anything else.
    :return: 0 up (U, C, ...), 1 down (R, D, ...), -1 unknown.
    """
    if not isinstance(value, str):
        return -1
    return POLARITY_CLASSES.get(value.strip().upper(), -1)


# ------------------------------------------------------------------------------ conversions
def back_azimuth_degrees(cos_sin: torch.Tensor) -> torch.Tensor:
    """Back-azimuth in degrees [0, 360) from ``(..., 2)`` values (cos, sin)."""
    return torch.rad2deg(torch.atan2(cos_sin[..., 1], cos_sin[..., 0])) % 360.0


def _cos_sin(degrees: float) -> np.ndarray:
    """Training target of the back-azimuth: (cos, sin) of ``degrees`` (NaN stays NaN)."""
    rad = np.deg2rad(degrees)
    return np.array([np.cos(rad), np.sin(rad)], dtype=np.float32)


def _column(values: torch.Tensor) -> torch.Tensor:
    """``(B,)`` -> ``(B, 1)``; ``(B, n)`` unchanged."""
    return values if values.ndim == 2 else values[:, None]


def _first_output_sigmoid(out: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid(out[:, 0])


# ------------------------------------------------------------------------------ losses
#: Weights of the picking loss per output channel [noise, P, S].
PICK_LOSS_WEIGHTS = (0.0, 1.0, 1.0)


def _picking_loss(logits: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """BCE per channel, weighted by :py:data:`PICK_LOSS_WEIGHTS`; parts ``loss_p``, ``loss_s``."""
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(dim=(0, 2))
    weights = torch.tensor(PICK_LOSS_WEIGHTS, device=bce.device, dtype=bce.dtype)
    return {"loss": (bce * weights).sum(), "loss_p": bce[1], "loss_s": bce[2]}


def _cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """Cross-entropy; class -1 (unknown) ignored."""
    return {"loss": F.cross_entropy(logits, target.long(), ignore_index=-1)}


def _huber(pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """Huber loss, delta 1."""
    return {"loss": F.huber_loss(pred, target.float(), delta=1.0)}


def _huber_cos_sin(pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """Huber(cos) + Huber(sin), delta 1; parts ``loss_cos``, ``loss_sin``."""
    cos = F.huber_loss(pred[:, 0], target[:, 0])
    sin = F.huber_loss(pred[:, 1], target[:, 1])
    return {"loss": cos + sin, "loss_cos": cos, "loss_sin": sin}


# ------------------------------------------------------------------------------ the table
@dataclass(frozen=True)
class Task:
    """One SeisMoLLM task.

    :param name: Task name (``SeisMoLLM(task=name)``, the harness config's ``task``).
    :param head: ``"picking"`` (up-sampling decoder to one curve per output) or ``"pooled"``
                 (strided convs, average pool, linear).
    :param n_outputs: Outputs of the head.
    :param activation: Head output -> prediction (before :py:attr:`scale`).
    :param scale: Name of the SeisMoLLM argument the prediction is multiplied by, or None.
    :param logits: Whether the loss takes the head output before :py:attr:`activation`
                   (``forward(x, logits=True)`` returns it).
    :param loss: ``(forward output, target) -> {"loss": ..., parts}``.
    :param key: State-dict / batch key of the training target.
    :param columns: Metadata columns of the target, searched in order.
    :param target: Value found in :py:attr:`columns` (None: none found) -> training target.
    :param labels: Annotation channel labels (None: the model's phases).
    :param to_annotation: Prediction ``(B, ...)`` -> one value per label ``(B, len(labels))``.
    :param output: ``classify`` output attribute (point tasks).
    :param classes: Class names, indexed like the outputs, of a classification task; ``classify``
                    then gives the class and ``<output>_probability``.
    :param class_of: Metadata label -> class index (-1: unknown) of a classification task.
    :param to_evaluation: Conversion of prediction and target before evaluation compares them
                          (None: the values themselves; classification: the classes).
    """

    name: str
    head: str
    n_outputs: int
    activation: Callable[[torch.Tensor], torch.Tensor]
    loss: Callable[[torch.Tensor, torch.Tensor], dict[str, torch.Tensor]]
    key: str
    columns: tuple[str, ...]
    scale: str | None = None
    logits: bool = False
    target: Callable[[Any], np.ndarray] | None = None
    labels: tuple[str, ...] | None = None
    to_annotation: Callable[[torch.Tensor], torch.Tensor] = _column
    output: str | None = None
    classes: tuple[str, ...] | None = None
    class_of: Callable[[Any], int] | None = None
    to_evaluation: Callable[[torch.Tensor], torch.Tensor] | None = None

    @property
    def output_type(self) -> str:
        """SeisBench's output type: ``"array"`` (one value per sample) or ``"point"``."""
        return "array" if self.head == "picking" else "point"

    def predict(self, out: torch.Tensor, config: Any, logits: bool = False) -> torch.Tensor:
        """Prediction from the head output ``out``.

        :param config: The model's configuration (holds the :py:attr:`scale` argument).
        :param logits: Return ``out`` itself for a task whose loss takes logits.
        """
        if logits and self.logits:
            return out
        prediction = self.activation(out)
        return prediction * getattr(config, self.scale) if self.scale is not None else prediction

    def has_target(self, metadata: Any) -> np.ndarray:
        """Rows of ``metadata`` with a usable target: a known class in any of :py:attr:`columns`
        (classification), a finite number in the first of them present (otherwise).

        :raises KeyError: None of the columns is present (a regression task).
        """
        present = [c for c in self.columns if c in metadata]
        if self.class_of is not None:
            known = np.zeros(len(metadata), dtype=bool)
            for column in present:
                known |= np.array([self.class_of(v) >= 0 for v in metadata[column]], dtype=bool)
            return known
        if not present:
            raise KeyError(
                f"Dataset has no column for task '{self.name}' (looked for {', '.join(self.columns)})"
            )
        return np.isfinite(metadata[present[0]].to_numpy(dtype=float))

    def evaluation_pair(
        self, prediction: torch.Tensor, target: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """What evaluation compares: class vs class, degrees vs degrees, or the values."""
        if self.class_of is not None:
            return prediction.argmax(-1), target
        if self.to_evaluation is not None:
            return self.to_evaluation(prediction), self.to_evaluation(target)
        return prediction, target

    def classify_output(self, values: np.ndarray, stations: list[str]) -> dict[str, dict]:
        """``classify`` outputs from per-station annotation values ``(n_stations, len(labels))``."""
        rows = dict(zip(stations, values, strict=True))
        if self.class_of is not None:
            return {
                self.output: {s: self.classes[int(np.argmax(v))] for s, v in rows.items()},
                f"{self.output}_probability": {s: float(np.max(v)) for s, v in rows.items()},
            }
        return {self.output: {s: float(v[0]) for s, v in rows.items()}}


def _number(value: float | None) -> np.ndarray:
    """Training target of a regression task: the value as float32, NaN if missing."""
    return np.array(np.nan if value is None else value, dtype=np.float32)


#: The tasks by name, in SeisMoLLM's order.
TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task(
            name="picking",
            head="picking",
            n_outputs=3,  # [noise, P, S]
            activation=torch.sigmoid,
            logits=True,
            loss=_picking_loss,
            key="y",
            columns=tuple(PHASE_DICT),
        ),
        Task(
            name="polarity",
            head="pooled",
            n_outputs=2,
            activation=lambda out: torch.softmax(out, dim=-1),
            logits=True,
            loss=_cross_entropy,
            key="polarity",
            columns=POLARITY_COLUMNS,
            target=lambda cls: np.array(-1 if cls is None else cls, dtype=np.int64),
            labels=("up", "down"),
            output="polarity",
            classes=("U", "D"),
            class_of=polarity_class,
        ),
        Task(
            name="magnitude",
            head="pooled",
            n_outputs=1,
            activation=_first_output_sigmoid,
            scale="magnitude_scale",
            loss=_huber,
            key="magnitude",
            columns=("source_magnitude",),
            target=_number,
            labels=("magnitude",),
            output="magnitude",
        ),
        Task(
            name="distance",
            head="pooled",
            n_outputs=1,
            activation=_first_output_sigmoid,
            scale="distance_scale",
            loss=_huber,
            key="distance",
            columns=("source_distance_km", "path_ep_distance_km"),
            target=_number,
            labels=("distance_km",),
            output="distance_km",
        ),
        Task(
            name="back_azimuth",
            head="pooled",
            n_outputs=2,  # (cos, sin)
            activation=torch.tanh,
            loss=_huber_cos_sin,
            key="baz",
            columns=("path_back_azimuth_deg",),
            target=lambda deg: _cos_sin(np.nan if deg is None else deg),
            labels=("back_azimuth_deg",),
            to_annotation=lambda cos_sin: back_azimuth_degrees(cos_sin)[:, None],
            output="back_azimuth_deg",
            to_evaluation=back_azimuth_degrees,
        ),
    )
}


def get_task(name: str) -> Task:
    """The :py:class:`Task` called ``name``.

    :raises ValueError: Unknown task (the message lists the valid ones).
    """
    if name not in TASKS:
        raise ValueError(f"Unknown task '{name}'. Valid tasks: {', '.join(TASKS)}")
    return TASKS[name]
