"""Augmentation pipelines of the pick benchmark's baselines, trained the same way as SeisMoLLM:
EQTransformer (and SeisMoE, built on it) and PhaseNet. SeisMoLLM's own:
:py:mod:`seisbench_llm.training.pipelines`.

Every builder returns a list of augmentations for
``seisbench.generate.GenericGenerator(dataset).add_augmentations(...)``; evaluation pipelines are
deterministic. Output keys (``X`` float32 ``(3, L)`` in the dataset's component order):

* EQTransformer / SeisMoE: ``y`` float32 ``(3, L)`` [P, S, noise]; ``detections`` float32
  ``(1, L)``; ``L`` = 6000.
* PhaseNet: ``y`` float32 ``(3, L)`` in the model's ``phases`` order (default "PSN":
  [P, S, noise]); ``L`` = 3001.
"""

from __future__ import annotations

import numpy as np
import seisbench.generate as sbg

from seisbench_llm.data.augmentations import PHASE_DICT, DuplicateEvent, with_probability
from seisbench_llm.training.windows import PhaseWindow, pick_window

__all__ = [
    "EQTRANSFORMER_NORM",
    "eqtransformer_eval_pipeline",
    "eqtransformer_train_pipeline",
    "phasenet_eval_pipeline",
    "phasenet_train_pipeline",
]

#: Amplitude normalisation of the EQTransformer / SeisMoE pipelines (per-channel peak, the pick
#: benchmark's recipe); the models are built with the same ``norm`` so that ``annotate`` and
#: exported weights see input normalised as in training.
EQTRANSFORMER_NORM = "peak"


# ------------------------------------------------------------------- EQTransformer and SeisMoE
def _phase_lists() -> tuple[list[str], list[str]]:
    p = [k for k, v in PHASE_DICT.items() if v == "P"]
    s = [k for k, v in PHASE_DICT.items() if v == "S"]
    return p, s


def _eqtransformer_blocks(
    in_samples: int,
    sigma: float,
    sample_boundaries: tuple[int | None, int | None],
    detection_fixed_window: int | None,
    seed: int | None,
) -> tuple[list, list]:
    p_phases, s_phases = _phase_lists()
    if detection_fixed_window is not None:
        detection = sbg.DetectionLabeller(
            p_phases, fixed_window=detection_fixed_window, key=("X", "detections")
        )
    else:
        detection = sbg.DetectionLabeller(
            p_phases, s_phases=s_phases, factor=1.4, key=("X", "detections")
        )
    window = (
        pick_window(in_samples, 2 * in_samples, sample_boundaries)
        if seed is None
        else [PhaseWindow(in_samples, seed=seed)]
    )
    block1 = [
        *window,
        sbg.ProbabilisticLabeller(label_columns=PHASE_DICT, sigma=sigma, dim=0),
        detection,
        sbg.Normalize(detrend_axis=-1, amp_norm_axis=-1, amp_norm_type=EQTRANSFORMER_NORM),
    ]
    block2 = [
        sbg.ChangeDtype(np.float32, "X"),
        sbg.ChangeDtype(np.float32, "y"),
        sbg.ChangeDtype(np.float32, "detections"),
    ]
    return block1, block2


def eqtransformer_train_pipeline(
    rotate_array: bool = False,
    in_samples: int = 6000,
    sigma: float = 20.0,
    sample_boundaries: tuple[int | None, int | None] = (None, None),
    detection_fixed_window: int | None = None,
) -> list:
    """The pick benchmark's EQTransformer training pipeline (also SeisMoE's, docs/reference.md section 2).

    With probability 2/3 a ``2 * in_samples`` window around a random pick, then a random
    ``in_samples`` window (zero-padded); labels ``ProbabilisticLabeller`` (sigma 20) and
    ``DetectionLabeller`` from P to S + 1.4 (S - P); peak normalisation; then DuplicateEvent 0.3,
    GaussianNoise 0.5, RandomArrayRotation 0.99 (only if ``rotate_array``), AddGap 0.2,
    ChannelDropout 0.3, peak normalisation again; float32.

    Parameters
    ----------
    rotate_array : bool
        Rotate waveform and labels jointly by a random number of samples (p 0.99).
    in_samples : int
        Output length.
    sigma : float
        Pick label standard deviation in samples.
    sample_boundaries : (int or None, int or None)
        ``low`` / ``high`` of the random window.
    detection_fixed_window : int, optional
        Fixed detection length after P instead of the P-S rule.

    Returns
    -------
    list
        Augmentations; outputs ``X`` (3, L), ``y`` (3, L) [P, S, noise], ``detections`` (1, L).
    """
    block1, block2 = _eqtransformer_blocks(
        in_samples, sigma, sample_boundaries, detection_fixed_window, seed=None
    )
    rotation = (
        [with_probability(sbg.RandomArrayRotation(["X", "y", "detections"]), 0.99)]
        if rotate_array
        else []
    )
    augmentation = [
        with_probability(DuplicateEvent(label_keys="y", noise_id={"y": -1}), 0.3),
        with_probability(sbg.GaussianNoise(), 0.5),
        *rotation,
        with_probability(sbg.AddGap(), 0.2),
        with_probability(sbg.ChannelDropout(), 0.3),
        sbg.Normalize(detrend_axis=-1, amp_norm_axis=-1, amp_norm_type=EQTRANSFORMER_NORM),
    ]
    return [*block1, *augmentation, *block2]


def eqtransformer_eval_pipeline(
    in_samples: int = 6000,
    sigma: float = 20.0,
    sample_boundaries: tuple[int | None, int | None] = (None, None),
    detection_fixed_window: int | None = None,
    seed: int = 0,
) -> list:
    """The pick benchmark's EQTransformer labels on deterministic windows that hold the picks.

    The window is a :py:class:`~seisbench_llm.training.windows.PhaseWindow` (start seeded by
    ``seed`` and the trace; the pick benchmark's random crop would often cut the phases off the
    windows that are scored); labels and normalisation as in training; no augmentation.

    Returns
    -------
    list
        Augmentations; outputs ``X`` (3, L), ``y`` (3, L) [P, S, noise], ``detections`` (1, L).
    """
    block1, block2 = _eqtransformer_blocks(
        in_samples, sigma, sample_boundaries, detection_fixed_window, seed=seed
    )
    return [*block1, *block2]


# ------------------------------------------------------------------------------------- PhaseNet
def _phasenet_pipeline(
    in_samples: int,
    sigma: float,
    norm: str,
    phases: str,
    sample_boundaries: tuple[int | None, int | None],
    seed: int | None,
) -> list:
    window = (
        pick_window(in_samples, 2 * (in_samples - 1), sample_boundaries)
        if seed is None
        else [PhaseWindow(in_samples, seed=seed)]
    )
    return [
        *window,
        sbg.ChangeDtype(np.float32),
        sbg.Normalize(demean_axis=-1, amp_norm_axis=-1, amp_norm_type=norm),
        sbg.ProbabilisticLabeller(
            label_columns=PHASE_DICT, model_labels=phases, sigma=sigma, dim=0
        ),
        sbg.ChangeDtype(np.float32, "y"),
    ]


def phasenet_train_pipeline(
    in_samples: int = 3001,
    sigma: float = 20.0,
    norm: str = "std",
    phases: str = "PSN",
    sample_boundaries: tuple[int | None, int | None] = (None, None),
) -> list:
    """The pick benchmark's PhaseNet pipeline.

    With probability 2/3 a 6000-sample window around a random pick, then a random
    ``in_samples`` window (zero-padded); float32; demean and per-channel ``norm`` normalisation
    (``"std"``, as SeisBench's PhaseNet annotates, or ``"peak"``); ``ProbabilisticLabeller``
    (sigma 20) with a noise channel.

    Parameters
    ----------
    in_samples : int
        Output length.
    sigma : float
        Pick label standard deviation in samples.
    norm : str
        ``"std"`` or ``"peak"``.
    phases : str
        Label channel order, the model's ``phases`` (``N`` = noise).
    sample_boundaries : (int or None, int or None)
        ``low`` / ``high`` of the random window.

    Returns
    -------
    list
        Augmentations; outputs ``X`` (3, L), ``y`` (3, L) in ``phases`` order.
    """
    return _phasenet_pipeline(in_samples, sigma, norm, phases, sample_boundaries, seed=None)


def phasenet_eval_pipeline(
    in_samples: int = 3001,
    sigma: float = 20.0,
    norm: str = "std",
    phases: str = "PSN",
    sample_boundaries: tuple[int | None, int | None] = (None, None),
    seed: int = 0,
) -> list:
    """:py:func:`phasenet_train_pipeline`'s labels on deterministic windows holding the picks
    (:py:class:`~seisbench_llm.training.windows.PhaseWindow`, seeded per trace).

    Returns
    -------
    list
        Augmentations; outputs ``X`` (3, L), ``y`` (3, L) in ``phases`` order.
    """
    return _phasenet_pipeline(in_samples, sigma, norm, phases, sample_boundaries, seed=seed)
