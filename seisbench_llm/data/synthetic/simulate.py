"""In-memory simulation: seeded batches of a synthetic dataset and single explicit traces."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from seisbench_llm.data.synthetic.instruments import INSTRUMENT_NAMES, INSTRUMENTS
from seisbench_llm.data.synthetic.metadata import _batch_metadata
from seisbench_llm.data.synthetic.sampling import (
    SyntheticPreset,
    _get_preset,
    _sample_parameters,
    _stations,
)
from seisbench_llm.data.synthetic.traces import _synthesize

_BATCH = 128  # fixed so that a seed always gives the same data
_MAX_REDRAWS = 20  # catalogue selection: draws per trace at most (a few suffice)


def _below_min_snr(meta: pd.DataFrame, min_snr_db: float | None) -> np.ndarray:
    """Rows of event traces whose P SNR is below ``min_snr_db`` (none if it is None)."""
    if min_snr_db is None:
        return np.empty(0, dtype=int)
    event = (meta["trace_category"] != "noise").to_numpy()
    return np.flatnonzero(event & (meta["trace_snr_db"].to_numpy() < min_snr_db))


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
    stations = _stations(seed, preset)
    rng = np.random.default_rng([seed, 1])
    is_noise = np.zeros(n_traces, dtype=bool)
    is_noise[rng.choice(n_traces, int(round(noise_fraction * n_traces)), replace=False)] = True
    split = _split_labels(n_traces, tuple(split_fractions), rng)

    def draw(brng: np.random.Generator, index: np.ndarray) -> tuple[list[np.ndarray], pd.DataFrame]:
        """Draw and synthesise the traces ``index`` of the dataset (one synthesis per rate)."""
        par = _sample_parameters(brng, len(index), preset, stations)
        is_event = ~is_noise[index]
        waveforms: list[np.ndarray] = [np.empty(0)] * len(index)
        metas = []
        for fs in np.unique(par["sampling_rate"]):
            rows = np.flatnonzero(par["sampling_rate"] == fs)
            sub = {k: v[rows] for k, v in par.items()}
            n = int(round(preset.duration_s * fs))
            w, labels = _synthesize(sub, fs, n, preset.p_arrival_s, brng, is_event[rows])
            for i, row in enumerate(rows):
                waveforms[row] = w[i]
            meta = _batch_metadata(
                sub,
                labels,
                preset,
                fs,
                n,
                stations,
                is_event[rows],
                split[index[rows]],
                index[rows],
                brng,
                seed,
            )
            metas.append(meta.set_index(rows))
        return waveforms, pd.concat(metas).sort_index().reset_index(drop=True)

    def batch(start: int) -> tuple[list[np.ndarray], pd.DataFrame]:
        brng = np.random.default_rng([seed, 2, start // _BATCH])
        index = np.arange(start, min(start + _BATCH, n_traces))
        waveforms, meta = draw(brng, index)
        for _ in range(_MAX_REDRAWS):  # catalogue selection: unseen onsets are drawn again
            weak = _below_min_snr(meta, preset.min_snr_db)
            if not len(weak):
                break
            again, again_meta = draw(brng, index[weak])
            for i, row in enumerate(weak):
                waveforms[row] = again[i]
            meta = pd.concat([meta.drop(index=weak), again_meta.set_index(weak)]).sort_index()
        return waveforms, meta.reset_index(drop=True)

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

    :return: The waveforms, a list of ``(3, n_i)`` arrays (float32 integer counts, Z/N/E) at
        each trace's own sampling rate (``trace_sampling_rate_hz``), and the metadata.
    """
    waves, metas = [], []
    for w, m in _iter_batches(n_traces, preset, seed, noise_fraction, split_fractions, workers):
        waves.extend(w)
        metas.append(m)
    return waves, pd.concat(metas, ignore_index=True)


def synthesize_trace(
    magnitude: float,
    distance_km: float,
    depth_km: float = 10.0,
    back_azimuth_deg: float = 0.0,
    *,
    preset: str | SyntheticPreset = "stead",
    sampling_rate: float | None = None,
    instrument: str = "broadband",
    gain: float | None = None,
    adc_bits: int = 24,
    p_arrival_s: float | None = None,
    polarity: str = "U",
    mechanism: tuple[float, float, float] | None = None,
    stress_drop_mpa: float = 3.0,
    q0: float = 200.0,
    kappa: float = 0.03,
    site_amp: float = 1.0,
    s_amp_factor: float = 1.0,
    noise_position: float | None = None,
    noise_position_ms: float = 0.4,
    seed: int = 0,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Synthesise one recorded 3-component trace from explicit source, path and noise parameters.

    :param magnitude: Magnitude (used as moment magnitude for the seismic moment).
    :param distance_km: Epicentral distance (km).
    :param depth_km: Source depth (km).
    :param back_azimuth_deg: Station-to-source back-azimuth (degrees).
    :param preset: Trace duration and P range, see :py:data:`PRESETS`.
    :param sampling_rate: Sampling rate (Hz; default: the preset's); the trace keeps the preset's
        duration.
    :param instrument: ``"broadband"``, ``"short_period"`` (1 Hz), ``"geophone"`` (4.5 Hz) or
        ``"accelerometer"``.
    :param gain: Sensitivity in counts per m/s (per m/s^2 for an accelerometer); default: the
        instrument's typical value.
    :param adc_bits: Digitiser resolution; samples are clipped at ``+-2^(adc_bits - 1)``.
    :param p_arrival_s: Time of the P arrival in the trace (default: start of the preset's range).
    :param polarity: ``"U"`` or ``"D"`` first motion, used when ``mechanism`` is None (average
        radiation).
    :param mechanism: ``(strike, dip, rake)`` in degrees for a double-couple radiation pattern
        (overrides ``polarity``).
    :param stress_drop_mpa: Brune stress drop (MPa).
    :param q0: S-wave ``Q0`` of ``Q(f) = Q0 f^0.6`` (Q_P = 1.5 Q_S).
    :param kappa: Site kappa (s).
    :param site_amp: Site amplification.
    :param s_amp_factor: Factor on the S amplitudes beside the radiation pattern (the generator
        draws it per event, log-normal).
    :param noise_position: Stationary background noise above 0.6 Hz as a position between
        Peterson's NLNM (0) and NHNM (1); None: no noise (only the digitiser's rounding).
    :param noise_position_ms: The same for the microseism band.
    :param seed: Seed of the scattered waves and the noise.

    :return: Waveform ``(3, n_samples)`` (Z, N, E; integer counts) and a dict of labels
        (``p_sample``, ``s_sample``, ``polarity``, ``snr_p_db``, ``clipped``, travel times, ...).
    """
    preset = _get_preset(preset)
    if polarity not in ("U", "D"):
        raise ValueError("polarity must be 'U' or 'D'")
    if instrument not in INSTRUMENTS:
        raise ValueError(f"Unknown instrument {instrument!r}, choose from {sorted(INSTRUMENTS)}")
    fs = float(sampling_rate or preset.sampling_rate)
    rng = np.random.default_rng(seed)
    strike, dip, rake = mechanism if mechanism is not None else (np.nan, np.nan, np.nan)
    p_time = preset.p_arrival_s[0] if p_arrival_s is None else p_arrival_s
    values = {
        "distance_km": distance_km,
        "depth_km": depth_km,
        "magnitude": magnitude,
        "back_azimuth_deg": back_azimuth_deg,
        "polarisation_deviation_deg": 0.0,
        "strike": strike,
        "dip": dip,
        "rake": rake,
        "polarity_sign": 1.0 if polarity == "U" else -1.0,
        "stress_drop_mpa": stress_drop_mpa,
        "q0": q0,
        "kappa": kappa,
        "site_amp": site_amp,
        "site_f0": 5.0,
        "site_zeta": 0.2,
        "site_gain": 0.0,
        "instrument": INSTRUMENT_NAMES.index(instrument),
        "gain": INSTRUMENTS[instrument].sensitivity if gain is None else gain,
        "adc_bits": adc_bits,
        "p_sample": int(round(p_time * fs)),
        "scatter_p": 1.0,
        "scatter_s": 3.0,
        "coda_tau_s": 8.0,
        "s_amp_factor": s_amp_factor,
        "noise_position": noise_position or 0.0,
        "noise_position_ms": noise_position_ms,
        "cultural_db": 0.0,
        "local_hour": 12.0,
        "hum_db": 300.0,
        "hum_hz": 5.0,
        "modulation": 0.0,
        "modulation_s": 30.0,
        "modulation_phase": 0.0,
        "burst_count": 0,
        "spike_count": 0,
        "distant_event": False,
        "second_event": False,
    }
    par = {k: np.array([v]) for k, v in values.items()}
    n = int(round(preset.duration_s * fs))
    waveforms, labels = _synthesize(
        par, fs, n, preset.p_arrival_s, rng, np.array([True]), with_noise=noise_position is not None
    )
    info = {k: (v[0].item() if hasattr(v[0], "item") else v[0]) for k, v in labels.items()}
    return waveforms[0], info
