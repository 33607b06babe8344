"""Augmentation pipelines for training and evaluation (SeisMoLLM, EQTransformer/SeisMoE, PhaseNet).

Every builder returns a list of augmentations for
``seisbench.generate.GenericGenerator(dataset).add_augmentations(...)``. Evaluation pipelines
are deterministic: the same trace always gives the same output (window starts seeded per trace,
see :py:mod:`seisbench_llm.training.windows`).

Output keys (``X`` is float32 ``(3, L)`` in the dataset's component order, ZNE for the
project's loaders):

* SeisMoLLM: ``y`` float32 ``(3, L)`` [noise, P, S]; ``polarity`` int64 (0 up, 1 down,
  -1 unknown); ``magnitude``, ``distance`` (km) float32; ``baz`` float32 ``(2,)`` (cos, sin).
  ``L`` = 6000 (``setting="stead"``, 100 Hz) or 8192 (``"diting"``, 50 Hz).
* EQTransformer / SeisMoE: ``y`` float32 ``(3, L)`` [P, S, noise]; ``detections`` float32
  ``(1, L)``; ``L`` = 6000.
* PhaseNet: ``y`` float32 ``(3, L)`` in the model's ``phases`` order (default "PSN":
  [P, S, noise]); ``L`` = 3001.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import seisbench.generate as sbg
from torch.utils.data import Dataset

from seisbench_llm.data.augmentations import (
    PHASE_DICT,
    TASKS,
    CircularShift,
    Compose,
    DiTingCrop,
    DropChannels,
    DuplicateEvent,
    EventToNoise,
    GaussianNoiseSNR,
    MultiTaskLabeller,
    PreEmphasis,
    RandomAmplitudeScale,
    StdNormalize,
    VerticalOnly,
    ZeroGapBetweenPhases,
    with_probability,
)
from seisbench_llm.training.windows import WINDOWS, PhaseWindow, pick_window

__all__ = [
    "EQTRANSFORMER_NORM",
    "SEISMOLLM_SETTINGS",
    "CleanAndAugmented",
    "eqtransformer_eval_pipeline",
    "eqtransformer_train_pipeline",
    "phasenet_eval_pipeline",
    "phasenet_train_pipeline",
    "seismollm_augmentation",
    "seismollm_eval_pipeline",
    "seismollm_train_generator",
    "seismollm_train_pipeline",
]

#: Amplitude normalisation of the EQTransformer / SeisMoE pipelines (per-channel peak, the pick
#: benchmark's recipe); the models are built with the same ``norm`` so that ``annotate`` and
#: exported weights see input normalised as in training.
EQTRANSFORMER_NORM = "peak"

#: Input geometry of SeisMoLLM per setting.
SEISMOLLM_SETTINGS: dict[str, dict[str, Any]] = {
    "stead": {"in_samples": 6000, "sampling_rate": 100.0},
    "diting": {"in_samples": 8192, "sampling_rate": 50.0},
}


# ------------------------------------------------------------------------------------ SeisMoLLM
def _check_task_setting(task: str, setting: str, window: str | None) -> str:
    """Validate; return the window placement (default: ``"diting"`` for the DiTing setting,
    ``"start"`` otherwise)."""
    if task not in TASKS:
        raise ValueError(f"Unknown task '{task}'. Valid tasks: {', '.join(TASKS)}")
    if setting not in SEISMOLLM_SETTINGS:
        raise ValueError(f"Unknown setting '{setting}'. Valid: {', '.join(SEISMOLLM_SETTINGS)}")
    window = window or ("diting" if setting == "diting" else "start")
    if window not in WINDOWS:
        raise ValueError(f"Unknown window '{window}'. Valid: {', '.join(WINDOWS)}")
    return window


def _seismollm_window(window: str, in_samples: int, seed: int | None) -> list:
    if window == "diting":
        return [DiTingCrop(windowlen=in_samples, margin=25, seed=seed)]
    if window == "pick":
        return (
            pick_window(in_samples, 2 * in_samples)
            if seed is None
            else [PhaseWindow(in_samples, seed=seed)]
        )
    return [sbg.FixedWindow(p0=0, windowlen=in_samples, strategy="pad")]


def _seismollm_labels(sigma: float, truncate_s: float) -> list:
    return [
        StdNormalize(),
        MultiTaskLabeller(sigma=sigma, truncate_s=truncate_s),
        sbg.ChangeDtype(np.float32, "X"),
    ]


def seismollm_augmentation(
    task: str = "picking",
    event_to_noise_p: float | None = None,
    shift_p: float = 0.2,
    drop_p: float = 0.4,
    amplitude_p: float = 0.4,
    pre_emphasis_p: float = 0.4,
    noise_p: float = 0.4,
    gap_p: float = 0.4,
    vertical_only_p: float = 0.0,
) -> sbg.OneOf:
    """SeisMoLLM's augmentation of the "augmented copy" (docs/reference.md, section 1), as one augmentation.

    With probability ``event_to_noise_p`` the event is replaced by noise
    (:py:class:`~seisbench_llm.data.augmentations.EventToNoise`); otherwise, in order and each
    with its own probability: circular shift, drop 1..C-1 channels and rescale, amplitude x or /
    U(1, 3), pre-emphasis 0.97, Gaussian noise at SNR U{10..49} dB, zero gap between P and S.

    Parameters
    ----------
    task : str
        SeisMoLLM task. ``event_to_noise_p=None`` means 0.05 for ``"picking"`` and 0 otherwise
        (a noise trace keeps no meaningful polarity, magnitude, distance or back-azimuth).
    event_to_noise_p, shift_p, drop_p, amplitude_p, pre_emphasis_p, noise_p, gap_p : float
        Probabilities of the single augmentations.
    vertical_only_p : float
        Probability of :py:class:`~seisbench_llm.data.augmentations.VerticalOnly` (a
        single-component station; DropChannels alone leaves only the vertical in 1/6 of its
        draws); ``drop_p`` then applies to the other windows.

    Returns
    -------
    seisbench.generate.OneOf
    """
    if event_to_noise_p is None:
        event_to_noise_p = 0.05 if task == "picking" else 0.0
    chain = Compose(
        [
            with_probability(CircularShift(), shift_p),
            _channel_step(drop_p, vertical_only_p),
            with_probability(RandomAmplitudeScale((1.0, 3.0)), amplitude_p),
            with_probability(PreEmphasis(0.97), pre_emphasis_p),
            with_probability(GaussianNoiseSNR((10, 49)), noise_p),
            with_probability(ZeroGapBetweenPhases(), gap_p),
        ]
    )
    return sbg.OneOf(
        [EventToNoise(coda_factor=2.0), chain],
        probabilities=[event_to_noise_p, 1.0 - event_to_noise_p],
    )


def _channel_step(drop_p: float, vertical_only_p: float) -> sbg.OneOf:
    """Drop 1..C-1 channels with probability ``drop_p``; with ``vertical_only_p`` > 0, first keep
    the vertical only with that probability, else drop as before (never both: dropping the
    vertical and then the horizontals would leave a labelled window of zeros)."""
    if not vertical_only_p:  # the paper's recipe, random draws unchanged
        return with_probability(DropChannels(), drop_p)
    for name, p in (("drop_p", drop_p), ("vertical_only_p", vertical_only_p)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {p}")
    rest = 1.0 - vertical_only_p
    return sbg.OneOf(
        [VerticalOnly(), DropChannels(), sbg.NullAugmentation()],
        probabilities=[vertical_only_p, rest * drop_p, rest * (1.0 - drop_p)],
    )


def seismollm_train_pipeline(
    task: str = "picking",
    setting: str = "stead",
    in_samples: int | None = None,
    sigma: float = 10.0,
    truncate_s: float = 0.25,
    window: str | None = None,
    **augmentation_kwargs: float | None,
) -> list:
    """Training pipeline of the augmented copy of each trace (docs/reference.md, section 1).

    Window (``window``, see below) -> :py:func:`seismollm_augmentation`
    -> per-channel demean and std normalisation -> labels of all five tasks -> float32.
    Combine with :py:func:`seismollm_eval_pipeline` through :py:class:`CleanAndAugmented` so
    that each epoch sees every trace once clean and once augmented.

    Parameters
    ----------
    task : str
        One of ``picking``, ``polarity``, ``magnitude``, ``distance``, ``back_azimuth``.
    setting : str
        ``"stead"`` (6000 samples) or ``"diting"`` (8192 samples from 9000).
    in_samples : int, optional
        Window length; default from the setting.
    sigma : float
        Pick label standard deviation in samples.
    truncate_s : float
        Pick label half width in seconds.
    window : str, optional
        Window placement: ``"start"`` (the first ``in_samples`` samples, zero-padded if shorter:
        STEAD), ``"diting"`` (random :py:class:`~seisbench_llm.data.augmentations.DiTingCrop`)
        or ``"pick"`` (the pick benchmark's :py:func:`~seisbench_llm.training.windows.pick_window`;
        evaluation: :py:class:`~seisbench_llm.training.windows.PhaseWindow`: long traces with
        picks anywhere, e.g. ETHZ). Default ``"diting"`` for the DiTing setting, else ``"start"``.
    augmentation_kwargs
        Probabilities passed to :py:func:`seismollm_augmentation`.

    Returns
    -------
    list
        Augmentations; outputs ``X``, ``y``, ``polarity``, ``magnitude``, ``distance``, ``baz``.
    """
    window = _check_task_setting(task, setting, window)
    in_samples = in_samples or SEISMOLLM_SETTINGS[setting]["in_samples"]
    return [
        *_seismollm_window(window, in_samples, seed=None),
        seismollm_augmentation(task, **augmentation_kwargs),
        *_seismollm_labels(sigma, truncate_s),
    ]


def seismollm_eval_pipeline(
    task: str = "picking",
    setting: str = "stead",
    in_samples: int | None = None,
    seed: int = 0,
    sigma: float = 10.0,
    truncate_s: float = 0.25,
    window: str | None = None,
) -> list:
    """Deterministic pipeline for validation, test and the clean training copy.

    As :py:func:`seismollm_train_pipeline` without augmentation; the DiTing crop and the pick
    placement (a :py:class:`~seisbench_llm.training.windows.PhaseWindow`) are seeded per trace
    with ``seed``.

    Parameters
    ----------
    task, setting, in_samples, sigma, truncate_s, window
        As in :py:func:`seismollm_train_pipeline`.
    seed : int
        Seed of the DiTing crop.

    Returns
    -------
    list
        Augmentations; outputs ``X``, ``y``, ``polarity``, ``magnitude``, ``distance``, ``baz``.
    """
    window = _check_task_setting(task, setting, window)
    in_samples = in_samples or SEISMOLLM_SETTINGS[setting]["in_samples"]
    return [
        *_seismollm_window(window, in_samples, seed=seed),
        *_seismollm_labels(sigma, truncate_s),
    ]


class CleanAndAugmented(Dataset):
    """Every trace twice per epoch: once clean, once augmented (SeisMoLLM's recipe).

    Index ``i < N`` returns ``clean[i]``, index ``i >= N`` returns ``augmented[i - N]``, where
    ``N`` is the number of traces; shuffle the data loader to mix both halves.

    Parameters
    ----------
    clean : Dataset
        Generator with the evaluation pipeline.
    augmented : Dataset
        Generator over the same traces with the training pipeline.
    """

    def __init__(self, clean: Dataset, augmented: Dataset):
        if len(clean) != len(augmented):
            raise ValueError(f"Lengths differ: clean {len(clean)}, augmented {len(augmented)}")
        self.clean = clean
        self.augmented = augmented

    def __len__(self) -> int:
        return 2 * len(self.clean)

    def __getitem__(self, idx: int) -> dict[str, Any]:
        n = len(self.clean)
        if idx < 0:
            idx += 2 * n
        if not 0 <= idx < 2 * n:
            raise IndexError(f"Index {idx} out of range for {2 * n} examples")
        return self.clean[idx] if idx < n else self.augmented[idx - n]


def seismollm_train_generator(
    dataset: Any, task: str = "picking", setting: str = "stead", **kwargs: Any
) -> CleanAndAugmented:
    """SeisMoLLM training data: :py:class:`CleanAndAugmented` over ``dataset``.

    Parameters
    ----------
    dataset : seisbench.data.WaveformDataset
        Training traces.
    task, setting
        As in :py:func:`seismollm_train_pipeline`.
    kwargs
        Passed to :py:func:`seismollm_train_pipeline` (``in_samples``, ``sigma``,
        ``truncate_s``, ``window`` also reach the clean copy).

    Returns
    -------
    CleanAndAugmented
    """
    shared = {k: kwargs[k] for k in ("in_samples", "sigma", "truncate_s", "window") if k in kwargs}
    clean = sbg.GenericGenerator(dataset)
    clean.add_augmentations(seismollm_eval_pipeline(task, setting, **shared))
    augmented = sbg.GenericGenerator(dataset)
    augmented.add_augmentations(seismollm_train_pipeline(task, setting, **kwargs))
    return CleanAndAugmented(clean, augmented)


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
