"""Timing helpers shared by the scripts in ``benchmarks/``."""

from __future__ import annotations

import time

import numpy as np
import obspy
import torch


def time_forward(model: torch.nn.Module, in_samples: int, batch_size: int, repeats: int) -> float:
    """Median seconds per forward pass of a random ``(batch_size, 3, in_samples)`` batch."""
    x = torch.randn(batch_size, 3, in_samples)
    times = []
    with torch.inference_mode():
        model(x)  # warm-up
        for _ in range(repeats):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


def array_stream(
    data: np.ndarray, sampling_rate: float = 100.0, station: str = "BENCH", network: str = "XX"
) -> obspy.Stream:
    """A stream of ``HHZ``, ``HHN``, ``HHE`` traces from a ``(3, N)`` array (Z, N, E)."""
    t0 = obspy.UTCDateTime(2024, 1, 1)
    return obspy.Stream(
        [
            obspy.Trace(
                np.asarray(data[i]),
                header=dict(
                    network=network,
                    station=station,
                    channel=f"HH{c}",
                    sampling_rate=sampling_rate,
                    starttime=t0,
                ),
            )
            for i, c in enumerate("ZNE")
        ]
    )


def noise_stream(
    duration_s: float, sampling_rate: float = 100.0, seed: int = 0, station: str = "BENCH"
) -> obspy.Stream:
    """A 3-component (Z, N, E) stream of Gaussian noise, for timing annotate."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * sampling_rate)
    return array_stream(rng.normal(size=(3, n)).astype(np.float32), sampling_rate, station)


def time_call(fn, repeats: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))
