"""State-dict plumbing of the augmentations: key specs, metadata lookups, per-trace seeds.

Every augmentation follows :py:mod:`seisbench.generate`: it is a callable taking the generator's
``state_dict``, whose entries are ``(data, metadata)`` tuples; ``key`` is either one key (read
and write) or a ``(read, write)`` pair; waveforms are ``(channels, samples)``.
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["Augmentation", "KeySpec", "StateDict", "trace_seed"]


StateDict = dict[str, tuple[Any, Any]]
Augmentation = Callable[[StateDict], None]
KeySpec = str | tuple[str, str]


def key_pair(key: KeySpec) -> tuple[str, str]:
    """``(read, write)`` keys of a key spec.

    :param key: One key (read and write) or a ``(read, write)`` pair.
    :return: The pair.
    """
    return (key, key) if isinstance(key, str) else (key[0], key[1])


def key_pairs(keys: KeySpec | Sequence[KeySpec] | None) -> list[tuple[str, str]]:
    """``(read, write)`` pairs of one key spec, a list of them, or None (no keys).

    :param keys: Key spec(s).
    :return: List of pairs.
    """
    if keys is None:
        return []
    if isinstance(keys, str | tuple):
        keys = [keys]
    return [key_pair(k) for k in keys]


def read_entry(state_dict: StateDict, key: tuple[str, str]) -> tuple[np.ndarray, dict[str, Any]]:
    """Data and metadata of ``key[0]``; the metadata is copied when writing to another key.

    :param state_dict: The generator's state dict.
    :param key: ``(read, write)`` pair.
    :return: ``(data, metadata)``.
    """
    x, metadata = state_dict[key[0]]
    if key[0] != key[1]:
        metadata = copy.deepcopy(metadata)
    return x, metadata


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number (Python or NumPy scalar, not a bool).

    :param value: Any value.
    :return: True for numbers.
    """
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def finite(value: Any) -> float | None:
    """``value`` as float if it is a finite number.

    :param value: Any value.
    :return: The float, or None.
    """
    if is_number(value) and math.isfinite(float(value)):
        return float(value)
    return None


def phase_columns(label_columns: Mapping[str, str], phase: str) -> list[str]:
    """Pick columns of one phase.

    :param label_columns: Pick columns and their phase.
    :param phase: ``"P"`` or ``"S"``.
    :return: The columns of ``phase``, in order.
    """
    return [column for column, p in label_columns.items() if p == phase]


def first_arrival(metadata: Mapping[str, Any], columns: Iterable[str]) -> float | None:
    """Earliest finite arrival among the (scalar) metadata ``columns``.

    :param metadata: Trace metadata.
    :param columns: Pick columns.
    :return: The arrival sample, or None.
    """
    values = [finite(metadata.get(column)) for column in columns]
    values = [v for v in values if v is not None]
    return min(values) if values else None


def sample_columns(metadata: Mapping[str, Any]) -> list[str]:
    """Metadata keys holding sample positions (numbers or numeric arrays).

    :param metadata: Trace metadata.
    :return: The ``*_sample`` keys with numeric values.
    """
    out = []
    for key, value in metadata.items():
        if not key.endswith("_sample"):
            continue
        if is_number(value) or (
            isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.number)
        ):
            out.append(key)
    return out


def sampling_rate_of(metadata: Mapping[str, Any], default: float | None = None) -> float:
    """Sampling rate of a trace (or of a batch with one rate) from ``trace_sampling_rate_hz``.

    :param metadata: Trace metadata.
    :param default: Used when the column is absent.
    :return: Sampling rate in Hz.
    :raises ValueError: If the rate is missing or differs within the batch.
    """
    rate = metadata.get("trace_sampling_rate_hz", default)
    if rate is None:
        raise ValueError("trace_sampling_rate_hz is missing in the metadata")
    rate = np.asarray(rate, dtype=float).ravel()
    if not np.allclose(rate, rate[0]):
        raise ValueError("Mixed sampling rates are not supported")
    return float(rate[0])


def check_2d(x: np.ndarray, name: str) -> None:
    """Raise a ValueError naming ``name`` unless ``x`` is ``(channels, samples)``.

    :param x: Waveform.
    :param name: Name of the augmentation, for the message.
    """
    if x.ndim != 2:
        raise ValueError(f"{name} expects (channels, samples) waveforms, got shape {x.shape}")


def trace_seed(metadata: Mapping[str, Any], seed: int = 0) -> int:
    """A 63-bit seed determined by ``seed`` and the trace's identity.

    The identity is ``trace_name`` (with ``trace_chunk`` and ``trace_dataset`` where present);
    without a trace name, all string and number metadata values are used.

    :param metadata: Trace metadata as put into the state dict by SeisBench's generators.
    :param seed: Base seed.

    :return: Seed for :py:func:`numpy.random.default_rng` or :py:func:`numpy.random.seed` (below
        2**32 for the latter, see :py:class:`Seeded`).
    """
    if "trace_name" in metadata:
        parts = [metadata.get(k, "") for k in ("trace_name", "trace_chunk", "trace_dataset")]
    else:
        parts = [
            f"{k}={v}" for k, v in sorted(metadata.items()) if isinstance(v, str) or is_number(v)
        ]
    text = "|".join([str(seed), *(str(p) for p in parts)])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little") >> 1
