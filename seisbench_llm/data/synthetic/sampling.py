"""Presets of the synthetic datasets and the random draw of station, source, path, site and
noise parameters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from seisbench_llm.data.synthetic.instruments import FULL_SCALE_BITS, INSTRUMENTS
from seisbench_llm.data.synthetic.traces import SECOND_EVENT_KEYS


@dataclass(frozen=True)
class SyntheticPreset:
    """Trace geometry and parameter ranges of a synthetic dataset.

    :param name: Preset name, also used in trace names and cache folders.
    :param sampling_rate: Sampling rate in Hz.
    :param n_samples: Samples per trace.
    :param p_arrival_s: Range (s) of the P arrival time within the trace (uniform).
    :param distance_km: Range of epicentral distances.
    :param depth_km: Range of hypocentral depths.
    :param magnitude: Range of magnitudes.
    :param network: Network code of the synthetic stations.
    :param sampling_rates: ``(rate, weight)`` pairs of the per-trace sampling rates; every trace
        lasts ``n_samples / sampling_rate`` seconds at its own rate.
    :param instruments: ``(instrument, weight)`` pairs of the station instruments (see
        ``instruments.INSTRUMENTS``).
    :param second_event_fraction: Share of event traces with a second, independent event.
    :param min_snr_db: Catalogue selection: an event trace whose P SNR (``trace_snr_db``) is
        below this is drawn again, as datasets built from analysts' picks (STEAD, INSTANCE, ETHZ)
        hold only onsets that could be seen. None keeps every draw.
    """

    name: str
    sampling_rate: float
    n_samples: int
    p_arrival_s: tuple[float, float]
    distance_km: tuple[float, float]
    depth_km: tuple[float, float] = (0.5, 30.0)
    magnitude: tuple[float, float] = (0.5, 5.0)
    network: str = "SY"
    sampling_rates: tuple[tuple[float, float], ...] = (
        (100.0, 0.6),
        (200.0, 0.1),
        (250.0, 0.05),
        (50.0, 0.1),
        (40.0, 0.08),
        (20.0, 0.07),
    )
    instruments: tuple[tuple[str, float], ...] = (
        ("broadband", 0.5),
        ("short_period", 0.2),
        ("geophone", 0.15),
        ("accelerometer", 0.15),
    )
    second_event_fraction: float = 0.1
    min_snr_db: float | None = 5.0

    @property
    def duration_s(self) -> float:
        """Length of every trace in seconds."""
        return self.n_samples / self.sampling_rate


#: STEAD-like (100 Hz, 60 s) and DiTing-like (50 Hz, 180 s, up to 330 km) presets.
PRESETS: dict[str, SyntheticPreset] = {
    "stead": SyntheticPreset("stead", 100.0, 6000, (5.0, 25.0), (5.0, 150.0)),
    "diting": SyntheticPreset(
        "diting",
        50.0,
        9000,
        (20.0, 50.0),
        (5.0, 330.0),
        magnitude=(0.5, 5.5),
        sampling_rates=((50.0, 0.7), (100.0, 0.2), (40.0, 0.05), (20.0, 0.05)),
    ),
}


def _get_preset(preset: str | SyntheticPreset) -> SyntheticPreset:
    if isinstance(preset, SyntheticPreset):
        return preset
    try:
        return PRESETS[preset.lower()]
    except KeyError:
        raise ValueError(f"Unknown preset {preset!r}, choose from {sorted(PRESETS)}") from None


def _weighted(rng: np.random.Generator, pairs, n: int) -> np.ndarray:
    """``n`` indices into ``pairs`` drawn with the pairs' weights."""
    w = np.array([p[1] for p in pairs], dtype=float)
    return rng.choice(len(pairs), n, p=w / w.sum())


def _stations(seed: int, preset: SyntheticPreset, n_stations: int = 48) -> pd.DataFrame:
    """Synthetic station table: location, instrument, digitiser and site/noise character."""
    rng = np.random.default_rng([seed, 104729])
    n = n_stations
    names = [p[0] for p in preset.instruments]
    unknown = sorted(set(names) - set(INSTRUMENTS))
    if unknown:
        raise ValueError(f"Unknown instruments {unknown}, choose from {sorted(INSTRUMENTS)}")
    instrument = np.array(names)[_weighted(rng, preset.instruments, n)]
    sensitivity = np.array([INSTRUMENTS[i].sensitivity for i in instrument])
    stations = pd.DataFrame(
        {
            "station_code": [f"S{i:03d}" for i in range(n)],
            "station_network_code": preset.network,
            "station_latitude_deg": np.round(rng.uniform(34.0, 40.0, n), 4),
            "station_longitude_deg": np.round(rng.uniform(100.0, 108.0, n), 4),
            "station_elevation_m": np.round(rng.uniform(0.0, 2500.0, n), 1),
            "station_instrument": instrument,
            "instrument": [list(INSTRUMENTS).index(i) for i in instrument],
            "gain": sensitivity * np.exp(rng.normal(0.0, 0.2, n)),
            "adc_bits": np.where(rng.random(n) < 0.1, FULL_SCALE_BITS[1], FULL_SCALE_BITS[0]),
            "noise_position": rng.uniform(0.12, 0.62, n),
            "cultural_db": np.where(rng.random(n) < 0.5, rng.uniform(0.0, 20.0, n), 0.0),
            "hum_db": np.where(rng.random(n) < 0.25, rng.uniform(5.0, 25.0, n), 300.0),
            "hum_hz": np.exp(rng.uniform(np.log(2.0), np.log(15.0), n)),
            "orientation_error_deg": rng.normal(0.0, 3.0, n),
            "kappa": rng.uniform(0.02, 0.06, n),
            "site_amp": np.exp(rng.normal(0.0, 0.35, n)),
            "site_f0": np.exp(rng.uniform(np.log(1.5), np.log(12.0), n)),
            "site_zeta": rng.uniform(0.1, 0.35, n),
            "site_gain": np.where(
                rng.random(n) < 0.3, rng.uniform(0.0, 0.3, n), rng.uniform(0.3, 1.5, n)
            ),
        }
    )
    return stations


#: Standard deviation (log10 units) of the per-event S amplitude factor beside the radiation
#: pattern: observed S/P amplitude ratios scatter by about this much around the double-couple
#: prediction (Hardebeck & Shearer 2003).
S_AMPLITUDE_SCATTER_LOG10 = 0.25


def _event_draw(
    rng: np.random.Generator, n: int, preset: SyntheticPreset, deviation: np.ndarray
) -> dict[str, np.ndarray]:
    """Source and path parameters of ``n`` events (magnitudes Gutenberg-Richter, b = 0.8, above a
    distance-dependent detection threshold)."""
    d_lo, d_hi = preset.distance_km
    z_lo, z_hi = preset.depth_km
    m_lo, m_hi = preset.magnitude
    distance = d_lo + (d_hi - d_lo) * rng.random(n) ** 1.4
    depth = z_lo + (z_hi - z_lo) * rng.beta(2.0, 2.5, n)
    m_min = np.clip(m_lo + 0.2 + 1.4 * np.log10(np.maximum(distance, 8.0) / 8.0), m_lo, m_hi - 1.0)
    beta = 0.8 * np.log(10.0)
    u = rng.random(n)
    magnitude = m_min - np.log1p(-u * (1.0 - np.exp(-beta * (m_hi - m_min)))) / beta
    return {
        "distance_km": distance,
        "depth_km": depth,
        "magnitude": magnitude,
        "back_azimuth_deg": rng.uniform(0.0, 360.0, n),
        # lateral refraction and sensor misorientation rotate the observed polarisation
        "polarisation_deviation_deg": deviation + rng.normal(0.0, 6.0, n),
        "strike": rng.uniform(0.0, 360.0, n),
        "dip": rng.uniform(20.0, 90.0, n),
        "rake": rng.uniform(-180.0, 180.0, n),
        "stress_drop_mpa": np.clip(np.exp(rng.normal(np.log(3.0), 0.8, n)), 0.3, 30.0),
        "q0": np.exp(rng.uniform(np.log(100.0), np.log(400.0), n)),
        "scatter_p": rng.uniform(1.0, 4.0, n),
        "scatter_s": rng.uniform(3.0, 10.0, n),
        "coda_tau_s": rng.uniform(4.0, 12.0, n),
        # S/P amplitude ratios scatter beyond the radiation pattern (docs/data.md)
        "s_amp_factor": 10.0 ** rng.normal(0.0, S_AMPLITUDE_SCATTER_LOG10, n),
    }


def _sample_parameters(
    rng: np.random.Generator, n: int, preset: SyntheticPreset, stations: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Draw the source, path, site, instrument and noise parameters of ``n`` traces."""
    sta = rng.integers(0, len(stations), n)
    st = {k: stations[k].to_numpy()[sta] for k in stations.columns}
    rates = np.array([r[0] for r in preset.sampling_rates], dtype=float)
    par = {
        "station": sta,
        "sampling_rate": rates[_weighted(rng, preset.sampling_rates, n)],
        **_event_draw(rng, n, preset, st["orientation_error_deg"]),
        "polarity_sign": np.ones(n),  # only used without a mechanism
        "kappa": np.clip(st["kappa"] + rng.normal(0.0, 0.005, n), 0.005, None),
        "site_amp": st["site_amp"] * np.exp(rng.normal(0.0, 0.2, n)),
        "site_f0": st["site_f0"],
        "site_zeta": st["site_zeta"],
        "site_gain": st["site_gain"],
        "instrument": st["instrument"],
        "gain": st["gain"],
        "adc_bits": st["adc_bits"],
        "p_position": rng.random(n),
        # stationary noise: station level above 0.6 Hz, weather-driven microseisms below
        "noise_position": np.clip(st["noise_position"] + rng.normal(0.0, 0.04, n), 0.02, 0.85),
        "noise_position_ms": rng.uniform(0.15, 0.75, n),
        "cultural_db": st["cultural_db"],
        "local_hour": rng.uniform(0.0, 24.0, n),
        "hum_db": st["hum_db"],
        "hum_hz": st["hum_hz"],
        "modulation": rng.uniform(0.0, 0.3, n),
        "modulation_s": rng.uniform(10.0, 60.0, n),
        "modulation_phase": rng.uniform(0.0, 2 * np.pi, n),
        # non-stationary noise
        "burst_count": rng.poisson(0.3, n),
        "spike_count": np.where(rng.random(n) < 0.08, rng.integers(1, 4, n), 0),
        "distant_event": rng.random(n) < 0.08,
        "second_event": rng.random(n) < preset.second_event_fraction,
        "e2_position": rng.random(n),
    }
    second = _event_draw(rng, n, preset, st["orientation_error_deg"])
    par.update({"e2_" + k: second[k] for k in SECOND_EVENT_KEYS})
    return par
