"""SeisBench-style augmentations that SeisBench itself does not provide.

Every class follows the conventions of :py:mod:`seisbench.generate`: it is a callable taking the
generator's ``state_dict``, whose entries are ``(data, metadata)`` tuples; ``key`` is either one
key (read and write) or a ``(read, write)`` pair; waveforms are ``(channels, samples)``.
Augmentations that move or cut samples keep every numeric ``*_sample`` metadata entry (the
``*_arrival_sample`` pick columns in particular) pointing at the same waveform sample, so labels
generated afterwards from the metadata follow the waveform.

Contents:

* control flow: :py:class:`Compose`, :py:func:`with_probability` (SeisBench's ``OneOf``),
  :py:class:`Seeded` (deterministic randomness per trace, for validation and test);
* SeisMoLLM's augmentations: :py:class:`PreEmphasis`, :py:class:`RandomAmplitudeScale`,
  :py:class:`GaussianNoiseSNR`, :py:class:`ZeroGapBetweenPhases`, :py:class:`EventToNoise`,
  :py:class:`CircularShift`, :py:class:`DropChannels`, :py:class:`DiTingCrop`,
  :py:class:`StdNormalize`;
* labels: :py:class:`TruncatedGaussianLabeller` and :py:class:`MultiTaskLabeller` (all five
  SeisMoLLM tasks);
* the pick benchmark's :py:class:`DuplicateEvent` (EQTransformer recipe).
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import seisbench.generate as sbg

__all__ = [
    "PHASE_DICT",
    "POLARITY_CLASSES",
    "POLARITY_COLUMNS",
    "P_PHASES",
    "S_PHASES",
    "TASKS",
    "CircularShift",
    "Compose",
    "DiTingCrop",
    "DropChannels",
    "DuplicateEvent",
    "EventToNoise",
    "GaussianNoiseSNR",
    "MultiTaskLabeller",
    "PreEmphasis",
    "RandomAmplitudeScale",
    "Seeded",
    "StdNormalize",
    "TruncatedGaussianLabeller",
    "ZeroGapBetweenPhases",
    "polarity_class",
    "trace_seed",
    "with_probability",
]

StateDict = dict[str, tuple[Any, Any]]
Augmentation = Callable[[StateDict], None]
KeySpec = str | tuple[str, str]

#: Phase names counted as P and as S (those of STEAD, ETHZ, INSTANCE, ...; the pick benchmark's
#: mapping, Münchmeyer et al. 2022).
P_PHASES: tuple[str, ...] = ("p", "P", "P1", "Pg", "Pn", "pP", "PmP", "pwP", "pwPm")
S_PHASES: tuple[str, ...] = ("s", "S", "S1", "Sg", "SmS", "Sn")

#: Metadata pick columns and their phase.
PHASE_DICT: dict[str, str] = {
    **{f"trace_{p}_arrival_sample": "P" for p in P_PHASES},
    **{f"trace_{s}_arrival_sample": "S" for s in S_PHASES},
}

#: SeisMoLLM tasks, in the order of :py:data:`seisbench_llm.models.seismollm.TASKS`.
TASKS: tuple[str, ...] = ("picking", "polarity", "magnitude", "distance", "back_azimuth")

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


# ------------------------------------------------------------------------------------ helpers
def _key_pair(key: KeySpec) -> tuple[str, str]:
    return (key, key) if isinstance(key, str) else (key[0], key[1])


def _key_pairs(keys: KeySpec | Sequence[KeySpec] | None) -> list[tuple[str, str]]:
    if keys is None:
        return []
    if isinstance(keys, str | tuple):
        keys = [keys]
    return [_key_pair(k) for k in keys]


def _read(state_dict: StateDict, key: tuple[str, str]) -> tuple[np.ndarray, dict[str, Any]]:
    """Data and metadata of ``key[0]``; the metadata is copied when writing to another key."""
    x, metadata = state_dict[key[0]]
    if key[0] != key[1]:
        metadata = copy.deepcopy(metadata)
    return x, metadata


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _finite(value: Any) -> float | None:
    """``value`` as float if it is a finite number, else None."""
    if _is_number(value) and math.isfinite(float(value)):
        return float(value)
    return None


def _phase_columns(label_columns: Mapping[str, str], phase: str) -> list[str]:
    return [column for column, p in label_columns.items() if p == phase]


def _first_arrival(metadata: Mapping[str, Any], columns: Iterable[str]) -> float | None:
    """Earliest finite arrival among the (scalar) metadata ``columns``, or None."""
    values = [_finite(metadata.get(column)) for column in columns]
    values = [v for v in values if v is not None]
    return min(values) if values else None


def _sample_columns(metadata: Mapping[str, Any]) -> list[str]:
    """Metadata keys holding sample positions (numbers or numeric arrays)."""
    out = []
    for key, value in metadata.items():
        if not key.endswith("_sample"):
            continue
        if _is_number(value) or (
            isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.number)
        ):
            out.append(key)
    return out


def _sampling_rate(metadata: Mapping[str, Any], default: float | None = None) -> float:
    rate = metadata.get("trace_sampling_rate_hz", default)
    if rate is None:
        raise ValueError("trace_sampling_rate_hz is missing in the metadata")
    rate = np.asarray(rate, dtype=float).ravel()
    if not np.allclose(rate, rate[0]):
        raise ValueError("Mixed sampling rates are not supported")
    return float(rate[0])


def _check_2d(x: np.ndarray, name: str) -> None:
    if x.ndim != 2:
        raise ValueError(f"{name} expects (channels, samples) waveforms, got shape {x.shape}")


def trace_seed(metadata: Mapping[str, Any], seed: int = 0) -> int:
    """A 63-bit seed determined by ``seed`` and the trace's identity.

    The identity is ``trace_name`` (with ``trace_chunk`` and ``trace_dataset`` where present);
    without a trace name, all string and number metadata values are used.

    Parameters
    ----------
    metadata : mapping
        Trace metadata as put into the state dict by SeisBench's generators.
    seed : int
        Base seed.

    Returns
    -------
    int
        Seed for :py:func:`numpy.random.default_rng` or :py:func:`numpy.random.seed`
        (below 2**32 for the latter, see :py:class:`Seeded`).
    """
    if "trace_name" in metadata:
        parts = [metadata.get(k, "") for k in ("trace_name", "trace_chunk", "trace_dataset")]
    else:
        parts = [
            f"{k}={v}" for k, v in sorted(metadata.items()) if isinstance(v, str) or _is_number(v)
        ]
    text = "|".join([str(seed), *(str(p) for p in parts)])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") >> 1


def polarity_class(value: Any) -> int:
    """First-motion class of a polarity label: 0 up (U, C), 1 down (R, D), -1 unknown."""
    if not isinstance(value, str):
        return -1
    return POLARITY_CLASSES.get(value.strip().upper(), -1)


# ------------------------------------------------------------------------------- control flow
class Compose:
    """Applies a sequence of augmentations in order (a unit for :py:class:`~seisbench.generate.OneOf`).

    Parameters
    ----------
    augmentations : sequence of callables
        Augmentations applied in order to the same state dict.
    """

    def __init__(self, augmentations: Sequence[Augmentation]):
        self.augmentations = list(augmentations)

    def __call__(self, state_dict: StateDict) -> None:
        for augmentation in self.augmentations:
            augmentation(state_dict)

    def __str__(self) -> str:
        return f"Compose ({', '.join(str(a) for a in self.augmentations)})"


def with_probability(augmentation: Augmentation, p: float) -> sbg.OneOf:
    """Apply ``augmentation`` with probability ``p``, else do nothing.

    SeisBench's idiom ``OneOf([augmentation, NullAugmentation()], [p, 1 - p])``.

    Parameters
    ----------
    augmentation : callable
        The augmentation.
    p : float
        Probability in [0, 1].

    Returns
    -------
    seisbench.generate.OneOf
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must lie in [0, 1], got {p}")
    return sbg.OneOf([augmentation, sbg.NullAugmentation()], probabilities=[p, 1.0 - p])


class Seeded:
    """Runs augmentations with NumPy's global random state seeded per trace.

    SeisBench's random augmentations draw from ``numpy.random``. Inside this wrapper the global
    state is seeded from ``seed`` and the trace's identity (:py:func:`trace_seed`) and restored
    afterwards, so the same trace always gets the same "random" windows and values while the
    surrounding random stream is left untouched. Used to make validation and test pipelines
    deterministic.

    Parameters
    ----------
    augmentations : callable or sequence of callables
        Augmentations to run.
    seed : int
        Base seed.
    key : str
        State-dict key whose metadata identifies the trace.
    """

    def __init__(
        self, augmentations: Augmentation | Sequence[Augmentation], seed: int = 0, key: str = "X"
    ):
        self.augmentations = (
            list(augmentations) if isinstance(augmentations, Sequence) else [augmentations]
        )
        self.seed = seed
        self.key = key

    def __call__(self, state_dict: StateDict) -> None:
        metadata = state_dict[self.key][1]
        outer = np.random.get_state()
        np.random.seed(trace_seed(metadata, self.seed) % 2**32)
        try:
            for augmentation in self.augmentations:
                augmentation(state_dict)
        finally:
            np.random.set_state(outer)

    def __str__(self) -> str:
        inner = ", ".join(str(a) for a in self.augmentations)
        return f"Seeded (seed={self.seed}, {inner})"


# ----------------------------------------------------------------------- waveform augmentations
class PreEmphasis:
    """Pre-emphasis filter ``y[t] = x[t] - coef * x[t - 1]``; the first sample is kept.

    Parameters
    ----------
    coef : float
        Pre-emphasis coefficient.
    axis : int
        Sample axis.
    key : str or (str, str)
        State-dict key(s) to read from and write to.
    """

    def __init__(self, coef: float = 0.97, axis: int = -1, key: KeySpec = "X"):
        self.coef = coef
        self.axis = axis
        self.key = _key_pair(key)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = _read(state_dict, self.key)
        x = np.moveaxis(x, self.axis, -1)
        y = x.copy()
        y[..., 1:] = x[..., 1:] - self.coef * x[..., :-1]
        state_dict[self.key[1]] = (np.moveaxis(y, -1, self.axis), metadata)

    def __str__(self) -> str:
        return f"PreEmphasis (coef={self.coef})"


class RandomAmplitudeScale:
    """Multiplies or divides (each with probability 1/2) the waveform by ``u ~ U(low, high)``.

    Parameters
    ----------
    scale : (float, float)
        Range of ``u``.
    key : str or (str, str)
        State-dict key(s) to read from and write to.
    """

    def __init__(self, scale: tuple[float, float] = (1.0, 3.0), key: KeySpec = "X"):
        self.scale = scale
        self.key = _key_pair(key)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = _read(state_dict, self.key)
        factor = np.random.uniform(*self.scale)
        if np.random.random() < 0.5:
            factor = 1.0 / factor
        state_dict[self.key[1]] = (x * np.asarray(factor, dtype=x.dtype), metadata)

    def __str__(self) -> str:
        return f"RandomAmplitudeScale (x or / U{self.scale})"


class GaussianNoiseSNR:
    """Adds white Gaussian noise at a signal-to-noise ratio drawn from integers ``snr_db``.

    The noise variance is ``P_signal / 10 ** (snr / 10)``, where ``P_signal`` is the variance
    (power after removing the mean) of each channel, or of the whole array when
    ``per_channel=False``. A channel that is all zeros (e.g. dropped) stays all zeros.

    Parameters
    ----------
    snr_db : (int, int)
        Inclusive range of the SNR in dB; drawn uniformly from the integers in it.
    per_channel : bool
        Measure the signal power per channel (default) or jointly.
    axis : int
        Sample axis.
    key : str or (str, str)
        State-dict key(s) to read from and write to.
    """

    def __init__(
        self,
        snr_db: tuple[int, int] = (10, 49),
        per_channel: bool = True,
        axis: int = -1,
        key: KeySpec = "X",
    ):
        self.snr_db = snr_db
        self.per_channel = per_channel
        self.axis = axis
        self.key = _key_pair(key)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = _read(state_dict, self.key)
        snr = np.random.randint(self.snr_db[0], self.snr_db[1] + 1)
        power = np.var(x, axis=self.axis if self.per_channel else None, keepdims=True)
        std = np.sqrt(power / 10.0 ** (snr / 10.0))
        noise = np.random.standard_normal(x.shape) * std
        state_dict[self.key[1]] = ((x + noise).astype(x.dtype, copy=False), metadata)

    def __str__(self) -> str:
        return f"GaussianNoiseSNR (snr_db={self.snr_db}, per_channel={self.per_channel})"


class ZeroGapBetweenPhases:
    """Zeroes a random segment strictly between the first P and the first S arrival.

    The gap ``[start, end)`` satisfies ``P + margin <= start < end <= S - margin``, so neither
    onset is touched and the pick labels stay valid. Traces without both picks (or with too
    little room between them) are left unchanged.

    Parameters
    ----------
    margin : int
        Samples kept untouched after P and before S.
    label_columns : mapping
        Pick columns and their phase ("P" or "S").
    axis : int
        Sample axis.
    key : str or (str, str)
        State-dict key(s) to read from and write to.
    """

    def __init__(
        self,
        margin: int = 10,
        label_columns: Mapping[str, str] = PHASE_DICT,
        axis: int = -1,
        key: KeySpec = "X",
    ):
        self.margin = margin
        self.p_columns = _phase_columns(label_columns, "P")
        self.s_columns = _phase_columns(label_columns, "S")
        self.axis = axis
        self.key = _key_pair(key)

    def gap(self, metadata: Mapping[str, Any], n_samples: int) -> tuple[int, int] | None:
        """Draw the gap ``(start, end)`` for a trace, or None if there is no room."""
        p = _first_arrival(metadata, self.p_columns)
        s = _first_arrival(metadata, self.s_columns)
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
        x, metadata = _read(state_dict, self.key)
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

    Parameters
    ----------
    coda_factor : float
        Coda end is ``S + coda_factor * (S - P)``.
    min_reference : int
        Minimum number of noise samples to estimate the noise level from.
    label_columns : mapping
        Pick columns and their phase ("P" or "S").
    key : str or (str, str)
        State-dict key(s) of the waveform (channels, samples).
    label_keys : key spec or list of key specs, optional
        Already generated pick labels (channels, samples) to reset.
    noise_id : dict
        Label key -> index of its noise channel (set to 1); other channels are set to 0.
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
        self.p_columns = _phase_columns(label_columns, "P")
        self.s_columns = _phase_columns(label_columns, "S")
        self.key = _key_pair(key)
        self.label_keys = _key_pairs(label_keys)
        self.noise_id = dict(noise_id) if noise_id is not None else {"y": 0}

    def segment(self, metadata: Mapping[str, Any], n_samples: int) -> tuple[int, int] | None:
        """The replaced segment ``(start, end)`` of a trace, or None without a P pick."""
        p = _first_arrival(metadata, self.p_columns)
        if p is None or p >= n_samples:
            return None
        s = _first_arrival(metadata, self.s_columns)
        end = s + self.coda_factor * (s - p) if s is not None and s > p else n_samples
        start, end = max(math.floor(p), 0), min(math.ceil(end), n_samples)
        return (start, end) if end > start else None

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = _read(state_dict, self.key)
        _check_2d(x, "EventToNoise")
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


class CircularShift:
    """Rolls the waveform along time; pick positions move with it, modulo the length.

    Every numeric ``*_sample`` metadata entry becomes ``(value + shift) % n_samples`` (NaN stays
    NaN); arrays under ``label_keys`` are rolled by the same shift.

    Parameters
    ----------
    shift : int, optional
        Fixed shift in samples; None draws one uniformly from ``[0, n_samples)`` per call.
    axis : int
        Sample axis.
    key : str or (str, str)
        State-dict key(s) to read from and write to.
    label_keys : key spec or list of key specs, optional
        Already generated labels (same length) rolled together with the waveform.
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
        self.key = _key_pair(key)
        self.label_keys = _key_pairs(label_keys)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = _read(state_dict, self.key)
        n = x.shape[self.axis]
        shift = np.random.randint(n) if self.shift is None else self.shift % n
        x = np.roll(x, shift, axis=self.axis)
        for column in _sample_columns(metadata):
            value = np.mod(np.asarray(metadata[column], dtype=float) + shift, n)
            metadata[column] = value if isinstance(metadata[column], np.ndarray) else float(value)
        state_dict[self.key[1]] = (x, metadata)

        for label_key in self.label_keys:
            y, label_metadata = _read(state_dict, label_key)
            if y.shape[self.axis] != n:
                raise ValueError(f"Label '{label_key[0]}' and waveform lengths differ")
            state_dict[label_key[1]] = (np.roll(y, shift, axis=self.axis), label_metadata)

    def __str__(self) -> str:
        return f"CircularShift (shift={'random' if self.shift is None else self.shift})"


class DropChannels:
    """Zeroes 1 to C-1 random channels and rescales the rest by ``C / (C - dropped)``.

    Unlike SeisBench's ``ChannelDropout`` (0 to C-1 channels, no rescaling), at least one
    channel is always dropped and the total energy is kept.

    Parameters
    ----------
    axis : int
        Channel axis.
    key : str or (str, str)
        State-dict key(s) to read from and write to.
    """

    def __init__(self, axis: int = -2, key: KeySpec = "X"):
        self.axis = axis
        self.key = _key_pair(key)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = _read(state_dict, self.key)
        n_channels = x.shape[self.axis]
        if n_channels > 1:
            n_drop = np.random.randint(1, n_channels)
            dropped = np.random.permutation(n_channels)[:n_drop]
            x = np.moveaxis(x.copy(), self.axis, 0)
            x[dropped] = 0
            x *= np.asarray(n_channels / (n_channels - n_drop), dtype=x.dtype)
            x = np.moveaxis(x, 0, self.axis)
        state_dict[self.key[1]] = (x, metadata)

    def __str__(self) -> str:
        return "DropChannels (1..C-1 channels, rescaled)"


class DiTingCrop(sbg.FixedWindow):
    """SeisMoLLM's DiTing crop: a ``windowlen`` window starting in ``[0, min(P, max_start) - margin)``.

    The start lies at least ``margin`` samples before P (so P stays inside) and at most
    ``max_start`` (default: trace length - ``windowlen``; 9000 - 8192 = 808 for DiTing). Where
    possible the start is also kept at or after ``P + margin - windowlen`` so that a late P is
    not cut off at the window end. Without a P pick (or with P < ``margin``) the start is uniform
    in ``[0, max_start]`` (respectively 0). With ``seed`` set, the start depends only on
    ``seed`` and the trace (:py:func:`trace_seed`), for reproducible validation and test sets.
    Metadata ``*_sample`` entries are shifted by :py:class:`~seisbench.generate.FixedWindow`.

    Parameters
    ----------
    windowlen : int
        Output length in samples.
    margin : int
        Minimum distance of P from the window start.
    max_start : int, optional
        Largest start; None uses ``n_samples - windowlen``.
    seed : int, optional
        None draws from ``numpy.random``; an int makes the crop deterministic per trace.
    label_columns : mapping
        Pick columns and their phase; the earliest P is used.
    strategy : str
        :py:class:`~seisbench.generate.FixedWindow` strategy for traces shorter than the window.
    kwargs
        Passed to :py:class:`~seisbench.generate.FixedWindow` (``axis``, ``key``).
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
        self.p_columns = _phase_columns(label_columns, "P")

    def start_range(self, metadata: Mapping[str, Any], n_samples: int) -> tuple[int, int]:
        """Half-open range ``[low, high)`` of allowed window starts for a trace."""
        max_start = n_samples - self.windowlen if self.max_start is None else self.max_start
        max_start = max(max_start, 0)
        p = _first_arrival(metadata, self.p_columns)
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


class StdNormalize:
    """Per channel: subtract the mean, divide by the standard deviation (a zero std counts as 1).

    The same as :py:meth:`seisbench_llm.models.SeisMoLLM.normalize` (up to its unbiased std).
    SeisBench's ``Normalize(amp_norm_type="std")`` divides by ``std + eps`` instead, which biases
    data whose std is not far above ``eps`` (e.g. velocities in m/s).

    Parameters
    ----------
    axis : int
        Sample axis.
    key : str or (str, str)
        State-dict key(s) to read from and write to.
    """

    def __init__(self, axis: int = -1, key: KeySpec = "X"):
        self.axis = axis
        self.key = _key_pair(key)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = _read(state_dict, self.key)
        x = x - x.mean(axis=self.axis, keepdims=True)
        std = x.std(axis=self.axis, keepdims=True)
        state_dict[self.key[1]] = (x / np.where(std > 0, std, 1), metadata)

    def __str__(self) -> str:
        return f"StdNormalize (axis={self.axis})"


class DuplicateEvent:
    """Adds a scaled copy of the event after it (EQTransformer's second-event augmentation).

    The event is the detection span (detection > 0.5). If at least ``min_gap`` samples follow it,
    a copy of the trace from the event start, scaled by ``1 / U(inv_scale)``, is added from a
    random sample after the event on. Labels under ``label_keys`` and the detection get the
    shifted copy of themselves (element-wise maximum); their noise channel (``noise_id``) is
    recomputed as ``1 - sum`` of the other channels, clipped to [0, 1]. Metadata cannot hold
    two picks per phase and is not changed: generate labels before this augmentation.

    Parameters
    ----------
    inv_scale : (float, float)
        The copy is scaled by ``1 / u`` with ``u ~ U(inv_scale)``.
    detection_key : str or (str, str)
        Detection labels (1, samples).
    key : str or (str, str)
        Waveform (channels, samples).
    label_keys : key spec or list of key specs, optional
        Pick labels (labels, samples).
    noise_id : dict
        Label key -> index of its noise channel.
    min_gap : int
        Minimum distance in samples between the event end and the copy.
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
        self.detection_key = _key_pair(detection_key)
        self.key = _key_pair(key)
        self.label_keys = _key_pairs(label_keys)
        self.noise_id = dict(noise_id) if noise_id is not None else {"y": -1}
        self.min_gap = min_gap

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = _read(state_dict, self.key)
        _check_2d(x, "DuplicateEvent")
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
            y, label_metadata = _read(state_dict, label_key)
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


# ------------------------------------------------------------------------------------- labels
class TruncatedGaussianLabeller:
    """Gaussian pick labels with peak 1, set to 0 beyond ``truncate_s`` seconds from the pick.

    SeisBench's ``ProbabilisticLabeller`` has no truncation. Output ``(len(phases), samples)``
    float32; ``"N"`` in ``phases`` is the noise channel ``clip(1 - sum(phases), 0, 1)``. Several
    picks of one phase combine by maximum. Picks outside the window contribute their tails.

    Parameters
    ----------
    label_columns : mapping
        Metadata pick columns and their phase.
    phases : str
        Output channel order; default ``"NPS"`` (SeisMoLLM's [noise, P, S]).
    sigma : float
        Gaussian standard deviation in samples.
    truncate_s : float, optional
        Half width of the label in seconds (at ``trace_sampling_rate_hz``); None for none.
    key : (str, str)
        Waveform key to read, label key to write.
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
        """Labels ``(len(phases), n_samples)`` for a window of ``n_samples`` samples."""
        y = np.zeros((len(self.phases), n_samples), dtype=np.float32)
        half = None
        if self.truncate_s is not None:
            half = self.truncate_s * _sampling_rate(metadata)
        t = np.arange(n_samples, dtype=np.float64)
        for column, phase in self.label_columns.items():
            onset = _finite(metadata.get(column))
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
        _check_2d(x, "TruncatedGaussianLabeller")
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

    Parameters
    ----------
    tasks : sequence of str
        Tasks to label (default all of :py:data:`TASKS`).
    sigma, truncate_s, label_columns
        Passed to :py:class:`TruncatedGaussianLabeller`.
    polarity_columns : sequence of str
        Columns searched for the polarity; the first present with a known value wins.
    magnitude_column : str
        Magnitude column.
    distance_columns : sequence of str
        Columns searched for the epicentral distance in km; first finite value wins.
    baz_column : str
        Back-azimuth column in degrees.
    key : str
        Waveform key.
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
        for column in columns:
            value = _finite(metadata.get(column))
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
