"""Numeric precision for inference and training: which reduced precision a device computes natively.

Reduced precision only pays where the hardware computes it: GPUs do float16 and (from compute
capability 8.0) bfloat16 natively; CPUs compute bfloat16 natively only with the AVX512-BF16 or AMX
instructions, and elsewhere PyTorch emulates it, many times slower than float32
(:py:func:`native_precision` tells which). A reduced precision must also give the same picks as
float32 (:py:class:`PickComparison`). ``"auto"`` therefore chooses the device's native precision
only where it is in :py:data:`AUTO_PRECISIONS`, the precisions that passed that check on trained
weights, and float32 otherwise: never the emulated path, never one that moved picks.

The choice is made once per device and logged once. Explicit ``"bfloat16"`` runs on any device,
emulated or not (for tests and comparisons); ``"float16"`` is refused on CPU, where PyTorch's float16
matrix products are emulated and slow.

Reduced precision runs through :py:func:`torch.autocast`: weights stay float32, matrix products and
convolutions run in the reduced type, reductions and normalisations in float32.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

logger = logging.getLogger("seisbench_llm")

#: Precisions accepted by ``annotate(precision=...)``, the CLI and the harness.
PRECISIONS = ("auto", "float32", "bfloat16", "float16")

#: Reduced precisions ``auto`` may choose: those that gave the same picks as float32 on trained
#: weights (``benchmarks/precision_check.py``, criterion :py:class:`PickComparison`). bfloat16 did
#: not: on the demo's SeisMoLLM weights, 18 of 603 picks on 200 synthetic test traces moved by
#: more than one sample or crossed the threshold (docs/speed.md). float16 has not been checked
#: (no GPU was available). Add a precision here only with such a check.
AUTO_PRECISIONS: frozenset[str] = frozenset()

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
_LIGHTNING = {"float32": "32-true", "bfloat16": "bf16-mixed", "float16": "16-mixed"}
_CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> set[str]:
    """The feature flags the CPU reports (Linux ``/proc/cpuinfo``); empty where it cannot be read."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags") and ":" in line:
            return set(line.split(":", 1)[1].split())
    return set()


def cpu_has_native_bf16(flags: set[str] | None = None) -> bool:
    """Whether the CPU computes bfloat16 natively (AVX512-BF16 or AMX), from its feature flags."""
    flags = cpu_flags() if flags is None else flags
    return any(flag in flags for flag in _CPU_BF16_FLAGS)


def _device_type(device: torch.device | str) -> str:
    return torch.device(device).type


def native_precision(device_type: str, device_index: int | None = None) -> str:
    """The fastest precision ``device_type`` computes natively (float32 where none is faster)."""
    if device_type == "cuda":
        if torch.cuda.is_bf16_supported():
            return "bfloat16"
        if torch.cuda.get_device_capability(device_index)[0] >= 7:
            return "float16"
        return "float32"
    if device_type == "cpu" and cpu_has_native_bf16():
        return "bfloat16"
    return "float32"


@functools.cache
def _auto_precision(device_type: str, device_index: int | None) -> str:
    native = native_precision(device_type, device_index)
    if native in AUTO_PRECISIONS:
        choice, why = native, f"computed natively by the {device_type.upper()}"
    elif native == "float32":
        choice, why = "float32", f"the {device_type.upper()} would only emulate a reduced precision"
    else:
        choice, why = "float32", (
            f"{native} is native here, but it has not given the same picks as float32 on "
            f"trained weights (docs/speed.md); pass precision='{native}' to use it anyway"
        )
    logger.info("precision 'auto' on %s: %s (%s)", device_type, choice, why)
    return choice


def resolve_precision(precision: str, device: torch.device | str = "cpu") -> str:
    """The concrete precision (``float32``, ``bfloat16`` or ``float16``) for ``precision`` on ``device``.

    :param precision: One of :py:data:`PRECISIONS`.
    :param device: The device the model runs on.
    :raises ValueError: For an unknown precision, or ``float16`` on a CPU.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    device = torch.device(device)
    if precision == "auto":
        return _auto_precision(device.type, device.index)
    if precision == "float16" and device.type == "cpu":
        raise ValueError("precision 'float16' is for GPUs; on a CPU use 'bfloat16' or 'auto'")
    return precision


def torch_dtype(precision: str) -> torch.dtype:
    """The torch dtype of a concrete precision (``float32``, ``bfloat16``, ``float16``)."""
    return _DTYPES[precision]


@contextlib.contextmanager
def autocast(precision: str, device: torch.device | str) -> Iterator[None]:
    """Run the enclosed forward passes at ``precision`` (a concrete one) on ``device``.

    float32 is a no-op; otherwise :py:func:`torch.autocast` with that dtype. Autocast state is per
    thread: enter this in the thread that runs the forward pass.
    """
    if precision == "float32":
        yield
        return
    with torch.autocast(_device_type(device), dtype=torch_dtype(precision)):
        yield


def lightning_precision(precision: str, accelerator: str = "cpu") -> str:
    """Lightning's ``Trainer(precision=...)`` value for one of :py:data:`PRECISIONS`.

    :param precision: ``auto`` resolves as for inference on the accelerator's device type.
    :param accelerator: ``cpu``, ``gpu``/``cuda`` or ``auto`` (CUDA when available).
    """
    if accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available()):
        device = "cuda"
    else:
        device = "cpu"
    return _LIGHTNING[resolve_precision(precision, device)]


@dataclass
class PickComparison:
    """How the picks of a reduced precision compare with float32's (see :py:func:`compare_picks`).

    :param n_reference: Picks at float32.
    :param n_other: Picks at the reduced precision.
    :param unmatched: Picks of either list without a partner (same trace, phase, within tolerance).
    :param max_time_error_samples: Largest peak-time difference of matched picks, in samples.
    :param max_peak_difference: Largest peak-value difference of matched picks.
    """

    n_reference: int
    n_other: int
    unmatched: int
    max_time_error_samples: float
    max_peak_difference: float

    #: The criterion: same count, every pick matched, within 1 sample and 0.01 in peak value.
    MAX_SAMPLES = 1.0
    MAX_PEAK = 0.01

    @property
    def equivalent(self) -> bool:
        """Whether the two precisions give the same picks by the criterion above."""
        return (
            self.n_reference == self.n_other
            and self.unmatched == 0
            and self.max_time_error_samples <= self.MAX_SAMPLES + 1e-9
            and self.max_peak_difference <= self.MAX_PEAK
        )


def compare_picks(reference: list, other: list, sampling_rate: float) -> PickComparison:
    """Match two lists of SeisBench picks one to one and measure their differences.

    A pick matches the nearest unmatched pick of the other list with the same trace id and phase
    whose peak time lies within :py:attr:`PickComparison.MAX_SAMPLES` samples (a pick further
    away counts as unmatched on both sides).

    :param reference: Picks at float32 (``seisbench.util.Pick`` with ``peak_time``/``peak_value``).
    :param other: Picks at the reduced precision.
    :param sampling_rate: Sampling rate of the annotations, to express times in samples.
    """
    tolerance_s = (PickComparison.MAX_SAMPLES + 1e-6) / sampling_rate
    remaining = list(other)
    max_dt = max_dpeak = 0.0
    unmatched = 0
    for pick in reference:
        candidates = [
            (abs(p.peak_time - pick.peak_time), i)
            for i, p in enumerate(remaining)
            if p.trace_id == pick.trace_id and p.phase == pick.phase
        ]
        dt, index = min(candidates, default=(np.inf, -1))
        if dt > tolerance_s:
            unmatched += 1
            continue
        partner = remaining.pop(index)
        max_dt = max(max_dt, dt * sampling_rate)
        max_dpeak = max(max_dpeak, abs(float(partner.peak_value) - float(pick.peak_value)))
    return PickComparison(
        n_reference=len(reference),
        n_other=len(other),
        unmatched=unmatched + len(remaining),
        max_time_error_samples=max_dt,
        max_peak_difference=max_dpeak,
    )


def pick_equivalence(model, streams: list, precision: str, **classify_args) -> PickComparison:
    """Classify ``streams`` with ``model`` at float32 and at ``precision`` and compare the picks.

    :param model: A picking model with a ``precision`` annotate argument (SeisMoLLM).
    :param streams: ObsPy streams.
    :param precision: The reduced precision to check.
    :param classify_args: Further ``classify`` arguments (thresholds, ...).
    """
    reference = model.inference_model("float32")
    reduced = model.inference_model(precision)
    picks_ref, picks_red = [], []
    for stream in streams:
        picks_ref += list(reference.classify(stream, **classify_args).picks)
        picks_red += list(reduced.classify(stream, **classify_args).picks)
    return compare_picks(picks_ref, picks_red, model.sampling_rate)
