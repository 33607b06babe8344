"""Amplitude, noise and channel augmentations that keep the samples in place."""

from __future__ import annotations

import numpy as np

from seisbench_llm.data.augmentations.core import KeySpec, StateDict, key_pair, read_entry

__all__ = [
    "DropChannels",
    "GaussianNoiseSNR",
    "PreEmphasis",
    "RandomAmplitudeScale",
    "StdNormalize",
    "VerticalOnly",
]


class PreEmphasis:
    """Pre-emphasis filter ``y[t] = x[t] - coef * x[t - 1]``; the first sample is kept.

    :param coef: Pre-emphasis coefficient.
    :param axis: Sample axis.
    :param key: State-dict key(s) to read from and write to.
    """

    def __init__(self, coef: float = 0.97, axis: int = -1, key: KeySpec = "X"):
        self.coef = coef
        self.axis = axis
        self.key = key_pair(key)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = read_entry(state_dict, self.key)
        x = np.moveaxis(x, self.axis, -1)
        y = x.copy()
        y[..., 1:] = x[..., 1:] - self.coef * x[..., :-1]
        state_dict[self.key[1]] = (np.moveaxis(y, -1, self.axis), metadata)

    def __str__(self) -> str:
        return f"PreEmphasis (coef={self.coef})"


class RandomAmplitudeScale:
    """Multiplies or divides (each with probability 1/2) the waveform by ``u ~ U(low, high)``.

    :param scale: Range of ``u``.
    :param key: State-dict key(s) to read from and write to.
    """

    def __init__(self, scale: tuple[float, float] = (1.0, 3.0), key: KeySpec = "X"):
        self.scale = scale
        self.key = key_pair(key)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = read_entry(state_dict, self.key)
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

    :param snr_db: Inclusive range of the SNR in dB; drawn uniformly from the integers in it.
    :param per_channel: Measure the signal power per channel (default) or jointly.
    :param axis: Sample axis.
    :param key: State-dict key(s) to read from and write to.
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
        self.key = key_pair(key)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = read_entry(state_dict, self.key)
        snr = np.random.randint(self.snr_db[0], self.snr_db[1] + 1)
        power = np.var(x, axis=self.axis if self.per_channel else None, keepdims=True)
        std = np.sqrt(power / 10.0 ** (snr / 10.0))
        noise = np.random.standard_normal(x.shape) * std
        state_dict[self.key[1]] = ((x + noise).astype(x.dtype, copy=False), metadata)

    def __str__(self) -> str:
        return f"GaussianNoiseSNR (snr_db={self.snr_db}, per_channel={self.per_channel})"


class DropChannels:
    """Zeroes 1 to C-1 random channels and rescales the rest by ``C / (C - dropped)``.

    Unlike SeisBench's ``ChannelDropout`` (0 to C-1 channels, no rescaling), at least one
    channel is always dropped and the total energy is kept.

    :param axis: Channel axis.
    :param key: State-dict key(s) to read from and write to.
    """

    def __init__(self, axis: int = -2, key: KeySpec = "X"):
        self.axis = axis
        self.key = key_pair(key)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = read_entry(state_dict, self.key)
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


class VerticalOnly:
    """Zeroes every channel but the vertical, as a single-component station records.

    Many short-period stations (and older archives) record the vertical only; annotate fills
    their missing horizontals with zeros. :py:class:`DropChannels` leaves the vertical alone in
    one of its six outcomes; this makes that case as common as wanted. No rescaling: the
    per-channel normalisation that follows removes the scale.

    :param vertical: Index of the vertical channel (0 in the ``ZNE`` order of the pipelines).
    :param axis: Channel axis.
    :param key: State-dict key(s) to read from and write to.
    """

    def __init__(self, vertical: int = 0, axis: int = -2, key: KeySpec = "X"):
        self.vertical = vertical
        self.axis = axis
        self.key = key_pair(key)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = read_entry(state_dict, self.key)
        x = np.moveaxis(x.copy(), self.axis, 0)
        keep = x[self.vertical].copy()
        x[:] = 0
        x[self.vertical] = keep
        state_dict[self.key[1]] = (np.moveaxis(x, 0, self.axis), metadata)

    def __str__(self) -> str:
        return f"VerticalOnly (channel {self.vertical} kept)"


class StdNormalize:
    """Per channel: subtract the mean, divide by the standard deviation (a zero std counts as 1).

    The same as :py:meth:`seisbench_llm.models.SeisMoLLM.normalize` (up to its unbiased std).
    SeisBench's ``Normalize(amp_norm_type="std")`` divides by ``std + eps`` instead, which biases
    data whose std is not far above ``eps`` (e.g. velocities in m/s).

    :param axis: Sample axis.
    :param key: State-dict key(s) to read from and write to.
    """

    def __init__(self, axis: int = -1, key: KeySpec = "X"):
        self.axis = axis
        self.key = key_pair(key)

    def __call__(self, state_dict: StateDict) -> None:
        x, metadata = read_entry(state_dict, self.key)
        x = x - x.mean(axis=self.axis, keepdims=True)
        std = x.std(axis=self.axis, keepdims=True)
        state_dict[self.key[1]] = (x / np.where(std > 0, std, 1), metadata)

    def __str__(self) -> str:
        return f"StdNormalize (axis={self.axis})"
