"""STEAD/SeisBench-style metadata rows of a synthetic batch."""

from __future__ import annotations

import numpy as np
import pandas as pd

from seisbench_llm.data.synthetic.instruments import INSTRUMENTS, channel_code
from seisbench_llm.data.synthetic.sampling import SyntheticPreset


def _destination(
    lat: np.ndarray, lon: np.ndarray, azimuth_deg: np.ndarray, distance_km: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Point at ``distance_km`` from (lat, lon) along ``azimuth_deg`` on a spherical Earth."""
    phi1, lam1, az = np.radians(lat), np.radians(lon), np.radians(azimuth_deg)
    delta = distance_km / 6371.0
    phi2 = np.arcsin(np.sin(phi1) * np.cos(delta) + np.cos(phi1) * np.sin(delta) * np.cos(az))
    lam2 = lam1 + np.arctan2(
        np.sin(az) * np.sin(delta) * np.cos(phi1), np.cos(delta) - np.sin(phi1) * np.sin(phi2)
    )
    return np.degrees(phi2), (np.degrees(lam2) + 540.0) % 360.0 - 180.0


def _batch_metadata(
    par: dict[str, np.ndarray],
    labels: dict[str, np.ndarray],
    preset: SyntheticPreset,
    fs: float,
    n: int,
    stations: pd.DataFrame,
    is_event: np.ndarray,
    split: np.ndarray,
    index: np.ndarray,
    rng: np.random.Generator,
    seed: int,
) -> pd.DataFrame:
    """STEAD/SeisBench-style metadata of one batch at sampling rate ``fs`` with ``n`` samples
    per trace (NaN for event fields of noise traces)."""
    b = len(index)
    st = stations.iloc[par["station"]].reset_index(drop=True)
    # a random day, at the trace's local (solar) hour of the day
    utc_hour = (par["local_hour"] - st["station_longitude_deg"].to_numpy() / 15.0) % 24.0
    seconds = rng.integers(0, 3 * 365, b) * 86400.0 + utc_hour * 3600.0
    start = (
        np.datetime64("2020-01-01T00:00:00", "ms")
        + (np.round(seconds * 100)).astype(np.int64).astype("timedelta64[ms]") * 10
    )
    origin = start + np.round((labels["p_sample"] / fs - labels["p_travel_s"]) * 1000.0).astype(
        np.int64
    ).astype("timedelta64[ms]")
    src_lat, src_lon = _destination(
        st["station_latitude_deg"].to_numpy(),
        st["station_longitude_deg"].to_numpy(),
        par["back_azimuth_deg"],
        par["distance_km"],
    )

    def ev(x: np.ndarray, decimals: int | None = None) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if decimals is not None:
            x = np.round(x, decimals)
        return np.where(is_event, x, np.nan)

    def ev_str(x: np.ndarray) -> np.ndarray:
        return np.where(is_event, np.asarray(x, dtype=object), "")

    measurement = np.array([INSTRUMENTS[i].measurement for i in st["station_instrument"]])

    def second(x: np.ndarray) -> np.ndarray:
        return np.where(labels["p2_sample"] >= 0, x, np.nan)

    stamp = np.datetime_as_string(start, unit="s")
    stamp = np.char.replace(np.char.replace(np.char.replace(stamp, "-", ""), ":", ""), "T", "")
    kind = np.where(is_event, "EV", "NO")
    names = [
        f"{preset.network}.{s}_{t}_{i:07d}_{k}"
        for s, t, i, k in zip(st["station_code"], stamp, index, kind, strict=True)
    ]
    meta = {
        "trace_name": names,
        "trace_category": np.where(is_event, "earthquake", "noise"),
        "split": split,
        "source_id": ev_str([f"syn{seed}_{preset.name}_{i:07d}" for i in index]),
        "source_origin_time": np.where(
            is_event, np.datetime_as_string(origin, unit="ms").astype(object), ""
        ),
        "source_latitude_deg": ev(src_lat, 4),
        "source_longitude_deg": ev(src_lon, 4),
        "source_depth_km": ev(par["depth_km"], 3),
        "source_magnitude": ev(par["magnitude"], 2),
        "source_magnitude_type": ev_str(np.full(b, "ML")),
        "source_strike_deg": ev(par["strike"], 1),
        "source_dip_deg": ev(par["dip"], 1),
        "source_rake_deg": ev(par["rake"], 1),
        "source_stress_drop_mpa": ev(par["stress_drop_mpa"], 3),
        "source_corner_frequency_hz": ev(labels["corner_frequency_hz"], 3),
        "source_s_amplitude_factor": ev(par["s_amp_factor"], 3),
        "station_network_code": st["station_network_code"].to_numpy(),
        "station_code": st["station_code"].to_numpy(),
        "station_channels": [channel_code(i, fs) for i in st["station_instrument"]],
        "station_instrument": st["station_instrument"].to_numpy(),
        "station_latitude_deg": st["station_latitude_deg"].to_numpy(),
        "station_longitude_deg": st["station_longitude_deg"].to_numpy(),
        "station_elevation_m": st["station_elevation_m"].to_numpy(),
        "path_ep_distance_km": ev(par["distance_km"], 3),
        "source_distance_km": ev(par["distance_km"], 3),
        "path_hyp_distance_km": ev(labels["hyp_distance_km"], 3),
        "path_back_azimuth_deg": ev(par["back_azimuth_deg"], 2),
        "path_p_travel_sec": ev(labels["p_travel_s"], 3),
        "path_s_travel_sec": ev(labels["s_travel_s"], 3),
        "path_p_phase": ev_str(labels["p_phase"]),
        "path_s_phase": ev_str(labels["s_phase"]),
        "trace_start_time": np.datetime_as_string(start, unit="ms"),
        "trace_sampling_rate_hz": np.full(b, float(fs)),
        "trace_npts": np.full(b, n),
        "trace_measurement": measurement,
        "trace_gain": np.round(par["gain"], 0),
        "trace_gain_unit": np.where(measurement == "velocity", "counts/(m/s)", "counts/(m/s**2)"),
        "trace_digitizer_bits": par["adc_bits"],
        "trace_clipped": labels["clipped"],
        "trace_p_arrival_sample": ev(labels["p_sample"]),
        "trace_s_arrival_sample": ev(labels["s_sample"]),
        "trace_polarity": ev_str(labels["polarity"]),
        "trace_snr_db": ev(labels["snr_p_db"], 2),
        "trace_s_snr_db": ev(labels["snr_s_db"], 2),
        "trace_P2_arrival_sample": ev(
            np.where(labels["p2_sample"] >= 0, labels["p2_sample"], np.nan)
        ),
        "trace_S2_arrival_sample": ev(
            np.where(labels["s2_sample"] >= 0, labels["s2_sample"], np.nan)
        ),
        "source2_magnitude": ev(second(par["e2_magnitude"]), 2),
        "source2_distance_km": ev(second(par["e2_distance_km"]), 3),
        "source2_depth_km": ev(second(par["e2_depth_km"]), 3),
        "path2_back_azimuth_deg": ev(second(par["e2_back_azimuth_deg"]), 2),
        "trace_noise_position": np.round(par["noise_position"], 3),
        "trace_noise_bursts": par["burst_count"],
        "trace_spikes": par["spike_count"],
        "trace_distant_event": par["distant_event"].astype(bool),
    }
    return pd.DataFrame(meta)
