"""In-memory simulation: seeded batches of a synthetic dataset and single explicit traces."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from seisbench_llm.data.synthetic.metadata import _batch_metadata
from seisbench_llm.data.synthetic.sampling import (
    SyntheticPreset,
    _get_preset,
    _sample_parameters,
    _stations,
)
from seisbench_llm.data.synthetic.waveforms import _synthesize

_BATCH = 128  # fixed so that a seed always gives the same data


def _split_labels(
    n: int, fractions: tuple[float, float, float], rng: np.random.Generator
) -> np.ndarray:
    if len(fractions) != 3 or min(fractions) < 0 or not np.isclose(sum(fractions), 1.0):
        raise ValueError("split_fractions must be three non-negative numbers summing to 1")
    order = rng.permutation(n)
    n_train = int(round(fractions[0] * n))
    n_dev = int(round(fractions[1] * n))
    split = np.full(n, "test", dtype=object)
    split[order[:n_train]] = "train"
    split[order[n_train : n_train + n_dev]] = "dev"
    return split


def _iter_batches(
    n_traces: int,
    preset: str | SyntheticPreset,
    seed: int,
    noise_fraction: float,
    split_fractions: tuple[float, float, float],
    workers: int | None,
) -> Iterator[tuple[np.ndarray, pd.DataFrame]]:
    """Yield ``(waveforms, metadata)`` batches of a dataset; deterministic for a seed."""
    preset = _get_preset(preset)
    if n_traces < 1:
        raise ValueError("n_traces must be positive")
    if not 0.0 <= noise_fraction <= 1.0:
        raise ValueError("noise_fraction must lie in [0, 1]")
    stations = _stations(seed, preset.network)
    rng = np.random.default_rng([seed, 1])
    is_noise = np.zeros(n_traces, dtype=bool)
    is_noise[rng.choice(n_traces, int(round(noise_fraction * n_traces)), replace=False)] = True
    split = _split_labels(n_traces, tuple(split_fractions), rng)

    def batch(start: int) -> tuple[np.ndarray, pd.DataFrame]:
        stop = min(start + _BATCH, n_traces)
        brng = np.random.default_rng([seed, 2, start // _BATCH])
        par = _sample_parameters(brng, stop - start, preset, stations)
        is_event = ~is_noise[start:stop]
        waveforms, labels = _synthesize(par, preset, brng, is_event)
        index = np.arange(start, stop)
        meta = _batch_metadata(
            par, labels, preset, stations, is_event, split[start:stop], index, brng, seed
        )
        return waveforms, meta

    # batches are independent (own random stream), so threads change nothing but the speed
    n_threads = max(1, workers or os.cpu_count() or 1)
    with ThreadPoolExecutor(n_threads) as pool:
        pending: deque[Future] = deque()
        for start in range(0, n_traces, _BATCH):
            pending.append(pool.submit(batch, start))
            if len(pending) > n_threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def simulate_synthetic(
    n_traces: int,
    preset: str | SyntheticPreset = "stead",
    seed: int = 0,
    noise_fraction: float = 0.12,
    split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    workers: int | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Simulate a synthetic dataset in memory.

    :param n_traces: Number of traces (earthquakes and noise).
    :param preset: ``"stead"`` (100 Hz, 6000 samples), ``"diting"`` (50 Hz, 9000 samples) or a
        :py:class:`SyntheticPreset`.
    :param seed: Random seed; the same seed gives identical waveforms and metadata.
    :param noise_fraction: Share of noise-only traces (``trace_category == "noise"``, no arrivals).
    :param split_fractions: Train/dev/test shares of the random, seeded ``split`` column.
    :param workers: Threads generating batches in parallel (default: all cores); no effect on the
        data.

    :return: Waveforms ``(n_traces, 3, n_samples)`` (float32, Z/N/E, nm/s) and the metadata.
    """
    waves, metas = [], []
    for w, m in _iter_batches(n_traces, preset, seed, noise_fraction, split_fractions, workers):
        waves.append(w)
        metas.append(m)
    return np.concatenate(waves), pd.concat(metas, ignore_index=True)


def synthesize_trace(
    magnitude: float,
    distance_km: float,
    depth_km: float = 10.0,
    back_azimuth_deg: float = 0.0,
    *,
    preset: str | SyntheticPreset = "stead",
    p_arrival_s: float | None = None,
    polarity: str = "U",
    mechanism: tuple[float, float, float] | None = None,
    stress_drop_mpa: float = 3.0,
    q0: float = 200.0,
    kappa: float = 0.03,
    site_amp: float = 1.0,
    short_period: bool = False,
    noise_level: float = 0.0,
    microseism_ratio: float = 5.0,
    seed: int = 0,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Synthesise one 3-component trace from explicit source, path and noise parameters.

    :param magnitude: Magnitude (used as moment magnitude for the seismic moment).
    :param distance_km: Epicentral distance (km).
    :param depth_km: Source depth (km).
    :param back_azimuth_deg: Station-to-source back-azimuth (degrees).
    :param preset: Trace geometry, see :py:data:`PRESETS`.
    :param p_arrival_s: Time of the P arrival in the trace (default: start of the preset's range).
    :param polarity: ``"U"`` or ``"D"`` first motion, used when ``mechanism`` is None (average
        radiation).
    :param mechanism: ``(strike, dip, rake)`` in degrees for a double-couple radiation pattern
        (overrides ``polarity``).
    :param stress_drop_mpa: Brune stress drop (MPa).
    :param q0: S-wave ``Q0`` of ``Q(f) = Q0 f^0.6`` (Q_P = 1.5 Q_S).
    :param kappa: Site kappa (s).
    :param site_amp: Site amplification.
    :param short_period: 1 Hz geophone instead of a broadband sensor.
    :param noise_level: RMS of the high-frequency background noise in nm/s (0: noise-free).
    :param microseism_ratio: Microseism RMS relative to ``noise_level``.
    :param seed: Seed of the scattered waves and the noise.

    :return: Waveform ``(3, n_samples)`` (Z, N, E; nm/s) and a dict of labels (``p_sample``,
        ``s_sample``, ``polarity``, ``snr_p_db``, travel times, phases, ...).
    """
    preset = _get_preset(preset)
    if polarity not in ("U", "D"):
        raise ValueError("polarity must be 'U' or 'D'")
    rng = np.random.default_rng(seed)
    strike, dip, rake = mechanism if mechanism is not None else (np.nan, np.nan, np.nan)
    p_time = preset.p_arrival_s[0] if p_arrival_s is None else p_arrival_s
    one = np.ones(1)
    par = {
        "distance_km": distance_km * one,
        "depth_km": depth_km * one,
        "magnitude": magnitude * one,
        "back_azimuth_deg": back_azimuth_deg * one,
        "polarisation_deviation_deg": 0.0 * one,
        "strike": strike * one,
        "dip": dip * one,
        "rake": rake * one,
        "polarity_sign": (1.0 if polarity == "U" else -1.0) * one,
        "stress_drop_mpa": stress_drop_mpa * one,
        "q0": q0 * one,
        "kappa": kappa * one,
        "site_amp": site_amp * one,
        "site_f0": 5.0 * one,
        "site_zeta": 0.2 * one,
        "site_gain": 0.0 * one,
        "short_period": np.array([short_period]),
        "p_sample": np.array([int(round(p_time * preset.sampling_rate))]),
        "scatter_p": one,
        "scatter_s": 3.0 * one,
        "coda_tau_s": 8.0 * one,
        "noise_level": noise_level * one,
        "microseism_ratio": microseism_ratio * one,
        "microseism_hz": 0.2 * one,
        "hf_slope": 0.7 * one,
        "hum_ratio": 0.0 * one,
        "hum_hz": 5.0 * one,
        "modulation": 0.0 * one,
        "modulation_s": 30.0 * one,
        "modulation_phase": 0.0 * one,
    }
    waveforms, labels = _synthesize(par, preset, rng, np.array([True]), with_noise=noise_level > 0)
    info = {k: (v[0].item() if hasattr(v[0], "item") else v[0]) for k, v in labels.items()}
    return waveforms[0], info
