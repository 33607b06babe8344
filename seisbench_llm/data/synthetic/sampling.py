"""Presets of the synthetic datasets and the random draw of station, source, path, site and
noise parameters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


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
    """

    name: str
    sampling_rate: float
    n_samples: int
    p_arrival_s: tuple[float, float]
    distance_km: tuple[float, float]
    depth_km: tuple[float, float] = (0.5, 30.0)
    magnitude: tuple[float, float] = (0.5, 5.0)
    network: str = "SY"


#: STEAD-like (100 Hz, 60 s) and DiTing-like (50 Hz, 180 s, up to 330 km) presets.
PRESETS: dict[str, SyntheticPreset] = {
    "stead": SyntheticPreset("stead", 100.0, 6000, (5.0, 25.0), (5.0, 150.0)),
    "diting": SyntheticPreset(
        "diting", 50.0, 9000, (20.0, 50.0), (5.0, 330.0), magnitude=(0.5, 5.5)
    ),
}


def _get_preset(preset: str | SyntheticPreset) -> SyntheticPreset:
    if isinstance(preset, SyntheticPreset):
        return preset
    try:
        return PRESETS[preset.lower()]
    except KeyError:
        raise ValueError(f"Unknown preset {preset!r}, choose from {sorted(PRESETS)}") from None


def _stations(seed: int, network: str, n_stations: int = 48) -> pd.DataFrame:
    """Synthetic station table: location, instrument type and site/noise character."""
    rng = np.random.default_rng([seed, 104729])
    n = n_stations
    return pd.DataFrame(
        {
            "station_code": [f"S{i:03d}" for i in range(n)],
            "station_network_code": network,
            "station_latitude_deg": np.round(rng.uniform(34.0, 40.0, n), 4),
            "station_longitude_deg": np.round(rng.uniform(100.0, 108.0, n), 4),
            "station_elevation_m": np.round(rng.uniform(0.0, 2500.0, n), 1),
            "station_channels": np.where(rng.random(n) < 0.65, "HH", "EH"),
            "noise_level": np.exp(rng.uniform(np.log(4.0), np.log(50.0), n)),
            "orientation_error_deg": rng.normal(0.0, 3.0, n),
            "microseism_ratio": np.exp(rng.uniform(np.log(1.0), np.log(25.0), n)),
            "kappa": rng.uniform(0.02, 0.06, n),
            "site_amp": np.exp(rng.normal(0.0, 0.35, n)),
            "site_f0": np.exp(rng.uniform(np.log(1.5), np.log(12.0), n)),
            "site_zeta": rng.uniform(0.1, 0.35, n),
            "site_gain": np.where(
                rng.random(n) < 0.3, rng.uniform(0.0, 0.3, n), rng.uniform(0.3, 1.5, n)
            ),
        }
    )


def _sample_parameters(
    rng: np.random.Generator, n: int, preset: SyntheticPreset, stations: pd.DataFrame
) -> dict[str, np.ndarray]:
    """Draw the source, path, site and noise parameters of ``n`` traces."""
    d_lo, d_hi = preset.distance_km
    z_lo, z_hi = preset.depth_km
    m_lo, m_hi = preset.magnitude
    distance = d_lo + (d_hi - d_lo) * rng.random(n) ** 1.4
    depth = z_lo + (z_hi - z_lo) * rng.beta(2.0, 2.5, n)
    # Gutenberg-Richter (b = 0.8) above a distance-dependent detection threshold
    m_min = np.clip(m_lo + 0.2 + 1.4 * np.log10(np.maximum(distance, 8.0) / 8.0), m_lo, m_hi - 1.0)
    beta = 0.8 * np.log(10.0)
    u = rng.random(n)
    magnitude = m_min - np.log1p(-u * (1.0 - np.exp(-beta * (m_hi - m_min)))) / beta
    sta = rng.integers(0, len(stations), n)
    st = {k: stations[k].to_numpy()[sta] for k in stations.columns}
    return {
        "station": sta,
        "distance_km": distance,
        "depth_km": depth,
        "magnitude": magnitude,
        "back_azimuth_deg": rng.uniform(0.0, 360.0, n),
        # lateral refraction and sensor misorientation rotate the observed polarisation
        "polarisation_deviation_deg": st["orientation_error_deg"] + rng.normal(0.0, 6.0, n),
        "strike": rng.uniform(0.0, 360.0, n),
        "dip": rng.uniform(20.0, 90.0, n),
        "rake": rng.uniform(-180.0, 180.0, n),
        "polarity_sign": np.ones(n),  # only used without a mechanism
        "stress_drop_mpa": np.clip(np.exp(rng.normal(np.log(3.0), 0.8, n)), 0.3, 30.0),
        "q0": np.exp(rng.uniform(np.log(100.0), np.log(400.0), n)),
        "kappa": np.clip(st["kappa"] + rng.normal(0.0, 0.005, n), 0.005, None),
        "site_amp": st["site_amp"] * np.exp(rng.normal(0.0, 0.2, n)),
        "short_period": st["station_channels"] == "EH",
        "site_f0": st["site_f0"],
        "site_zeta": st["site_zeta"],
        "site_gain": st["site_gain"],
        "p_position": rng.random(n),
        "scatter_p": rng.uniform(1.0, 4.0, n),
        "scatter_s": rng.uniform(3.0, 10.0, n),
        "coda_tau_s": rng.uniform(4.0, 12.0, n),
        "noise_level": st["noise_level"] * np.exp(rng.normal(0.0, 0.5, n)),
        "microseism_ratio": st["microseism_ratio"] * np.exp(rng.normal(0.0, 0.4, n)),
        "microseism_hz": np.exp(rng.uniform(np.log(0.12), np.log(0.3), n)),
        "hf_slope": rng.uniform(0.2, 1.2, n),
        "hum_ratio": np.where(rng.random(n) < 0.25, rng.uniform(0.1, 1.0, n), 0.0),
        "hum_hz": np.exp(rng.uniform(np.log(2.0), np.log(15.0), n)),
        "modulation": rng.uniform(0.0, 0.3, n),
        "modulation_s": rng.uniform(10.0, 60.0, n),
        "modulation_phase": rng.uniform(0.0, 2 * np.pi, n),
    }
