"""SeisMoLLM's augmentation pipelines for training and evaluation (EQTransformer/SeisMoE and
PhaseNet: :py:mod:`seisbench_llm.training.baseline_pipelines`).

Every builder returns a list of augmentations for
``seisbench.generate.GenericGenerator(dataset).add_augmentations(...)``. Evaluation pipelines
are deterministic: the same trace always gives the same output (window starts seeded per trace,
see :py:mod:`seisbench_llm.training.windows`).

Output keys (``X`` is float32 ``(3, L)`` in the dataset's component order, ZNE for the
project's loaders):

``y`` float32 ``(3, L)`` [noise, P, S]; ``polarity`` int64 (0 up, 1 down, -1 unknown);
``magnitude``, ``distance`` (km) float32; ``baz`` float32 ``(2,)`` (cos, sin). ``L`` = 6000
(``setting="stead"``, 100 Hz) or 8192 (``"diting"``, 50 Hz).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import seisbench.generate as sbg
from torch.utils.data import Dataset

from seisbench_llm.data.augmentations import (
    TASKS,
    CircularShift,
    Compose,
    DiTingCrop,
    DropChannels,
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
    "SEISMOLLM_SETTINGS",
    "CleanAndAugmented",
    "seismollm_augmentation",
    "seismollm_eval_pipeline",
    "seismollm_train_generator",
    "seismollm_train_pipeline",
]

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
