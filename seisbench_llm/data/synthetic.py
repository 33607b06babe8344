"""Physically motivated synthetic earthquake and noise waveforms in SeisBench format.

Every trace is built in the frequency domain from a handful of physical ingredients:

* P and S first-arrival times from a flat-layered 1-D crust (direct Pg/Sg and the head waves
  along the layer tops, Pb/Pn and Sb/Sn), solved per trace by ray-parameter bisection.
* A Brune omega-squared source (corner frequency from moment and stress drop, causal moment-rate
  pulse), a double-couple radiation pattern for P, SV and SH (the sign of the P radiation gives
  the first-motion polarity), geometric spreading and causal (minimum-phase) anelastic
  attenuation with a frequency-dependent Q plus a site kappa.
* P polarised in the vertical/radial plane (radial = along the back-azimuth, up to a few
  degrees of lateral refraction and sensor misorientation), S split into SV (radial, a little
  vertical) and SH (transverse); near-surface incidence angles from the ray parameter.
* Pulse broadening with distance and a resonant soft surface layer at many stations.
* Scattered energy after each phase (P coda and S coda) with a rise-and-exponential-decay
  envelope, spectrally shaped like its phase.
* Coloured background noise: microseism peaks at 0.1-0.3 Hz, a power-law high-frequency part,
  occasional narrow-band cultural hum, a slow amplitude modulation, station-dependent levels.
* Broadband (``HH``, flat velocity) or short-period (``EH``, 1 Hz geophone) instruments.

Amplitudes are ground velocity in nm/s, stored as "counts" with a gain of one count per nm/s.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.fft
import scipy.signal
import seisbench
from seisbench.data import WaveformBenchmarkDataset, WaveformDataWriter

__all__ = [
    "PRESETS",
    "Synthetic",
    "SyntheticPreset",
    "generate_synthetic",
    "simulate_synthetic",
    "synthesize_trace",
    "travel_times",
]

#: Version of the generator. It is part of the cache folder name of :py:class:`Synthetic`, so a
#: change to the physics never silently reuses data made by an older generator.
GENERATOR_VERSION = 1

# --------------------------------------------------------------------------------------------
# Earth model
# --------------------------------------------------------------------------------------------
#: Layer tops (km) and P velocities (km/s) of the flat-layered crust: sediments/weathered upper
#: crust, upper crust, lower crust, mantle below a 33 km Moho.
LAYER_TOPS_KM = np.array([0.0, 2.0, 15.0, 33.0])
LAYER_VP_KMS = np.array([4.8, 6.0, 6.6, 8.0])
VP_VS_RATIO = 1.732
#: Near-surface P velocity used only for the incidence angle at the station (km/s).
SURFACE_VP_KMS = 4.0
_DENSITY = 2700.0  # kg/m^3
_PHASE_NAMES = np.array(["g", "g", "b", "n"])  # direct, head wave on the 2 km, 15 km, 33 km top
_Q_ETA = 0.6  # Q(f) = Q0 * f**eta
_QP_OVER_QS = 1.5
_HEAD_WAVE_AMPLITUDE = 0.35  # head waves relative to the direct wave
_SPREADING_CROSSOVER_KM = 70.0  # 1/R before, 1/sqrt(R) (Lg-like) beyond
_BATCH = 128  # fixed so that a seed always gives the same data


@dataclass(frozen=True)
class SyntheticPreset:
    """Trace geometry and parameter ranges of a synthetic dataset.

    Parameters
    ----------
    name
        Preset name, also used in trace names and cache folders.
    sampling_rate
        Sampling rate in Hz.
    n_samples
        Samples per trace.
    p_arrival_s
        Range (s) of the P arrival time within the trace (uniform).
    distance_km
        Range of epicentral distances.
    depth_km
        Range of hypocentral depths.
    magnitude
        Range of magnitudes.
    network
        Network code of the synthetic stations.
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


# --------------------------------------------------------------------------------------------
# Travel times
# --------------------------------------------------------------------------------------------
def _direct_ray(distance: np.ndarray, depth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Travel time (s) and ray parameter (s/km) of the direct upgoing P ray (bisection)."""
    bottoms = np.append(LAYER_TOPS_KM[1:], np.inf)
    h = np.clip(np.minimum(depth[:, None], bottoms) - LAYER_TOPS_KM, 0.0, None)
    crossed = h > 0
    vmax = np.max(np.where(crossed, LAYER_VP_KMS, 0.0), axis=1)
    lo = np.zeros_like(distance)
    hi = np.ones_like(distance)
    for _ in range(64):
        s = 0.5 * (lo + hi)
        pv = np.where(crossed, (s / vmax)[:, None] * LAYER_VP_KMS, 0.0)
        x = np.sum(h * pv / np.sqrt(1.0 - pv**2), axis=1)
        right = x < distance
        lo = np.where(right, s, lo)
        hi = np.where(right, hi, s)
    p = 0.5 * (lo + hi) / vmax
    pv = np.where(crossed, p[:, None] * LAYER_VP_KMS, 0.0)
    t = np.sum(h / (LAYER_VP_KMS * np.sqrt(1.0 - pv**2)), axis=1)
    return t, p


def travel_times(
    distance_km: np.ndarray | float, depth_km: np.ndarray | float
) -> dict[str, np.ndarray]:
    """First-arrival P and S times in the layered crust of this module.

    The direct ray is traced exactly through the flat layers above the source; head waves run
    along the top of every deeper layer (valid beyond their crossover distance). The faster
    one is the first arrival. S times are P times times ``VP_VS_RATIO``.

    Parameters
    ----------
    distance_km
        Epicentral distance(s) in km.
    depth_km
        Source depth(s) in km (at least 0.05 km is used).

    Returns
    -------
    dict
        Arrays ``p``, ``s`` (first-arrival times, s), ``p_phase``/``s_phase`` (e.g. ``"Pg"``,
        ``"Pn"``), ``ray_parameter`` (P, s/km), ``takeoff_deg`` (P take-off angle from the
        downward vertical), and the direct wave's ``p_direct``, ``ray_parameter_direct``,
        ``takeoff_direct_deg``; ``head`` tells where the first arrival is a head wave.
    """
    d = np.atleast_1d(np.asarray(distance_km, dtype=float))
    z = np.maximum(np.atleast_1d(np.asarray(depth_km, dtype=float)), 0.05)
    d, z = np.broadcast_arrays(d, z)
    t_dir, p_dir = _direct_ray(d, z)
    src_layer = np.searchsorted(LAYER_TOPS_KM, z, side="right") - 1
    v_src = LAYER_VP_KMS[src_layer]

    best_t = t_dir.copy()
    best_p = p_dir.copy()
    best_k = np.zeros(d.shape, dtype=int)
    thick_full = np.diff(LAYER_TOPS_KM)
    for k in range(1, len(LAYER_TOPS_KM)):
        p = 1.0 / LAYER_VP_KMS[k]
        v = LAYER_VP_KMS[:k]
        down = np.clip(
            np.minimum(LAYER_TOPS_KM[1 : k + 1], LAYER_TOPS_KM[k])
            - np.maximum(LAYER_TOPS_KM[:k], z[:, None]),
            0.0,
            None,
        )
        thick = thick_full[:k] + down
        eta = np.sqrt(1.0 / v**2 - p**2)
        t = d * p + np.sum(thick * eta, axis=1)
        xmin = np.sum(thick * p * v / np.sqrt(1.0 - (p * v) ** 2), axis=1)
        valid = (z <= LAYER_TOPS_KM[k]) & (d >= xmin) & (t < best_t)
        best_t = np.where(valid, t, best_t)
        best_p = np.where(valid, p, best_p)
        best_k = np.where(valid, k, best_k)

    head = best_k > 0
    sin_dir = np.clip(p_dir * v_src, 0.0, 1.0)
    takeoff_dir = 180.0 - np.degrees(np.arcsin(sin_dir))  # upgoing
    takeoff_head = np.degrees(np.arcsin(np.clip(best_p * v_src, 0.0, 1.0)))  # downgoing
    takeoff = np.where(head, takeoff_head, takeoff_dir)
    phase = _PHASE_NAMES[best_k]
    return {
        "p": best_t,
        "s": best_t * VP_VS_RATIO,
        "p_phase": np.char.add("P", phase),
        "s_phase": np.char.add("S", phase),
        "ray_parameter": best_p,
        "takeoff_deg": takeoff,
        "head": head,
        "p_direct": t_dir,
        "ray_parameter_direct": p_dir,
        "takeoff_direct_deg": takeoff_dir,
    }


# --------------------------------------------------------------------------------------------
# Source and path
# --------------------------------------------------------------------------------------------
def _radiation(
    strike: np.ndarray, dip: np.ndarray, rake: np.ndarray, takeoff: np.ndarray, azimuth: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Double-couple far-field radiation coefficients (P, SV, SH), Aki & Richards (2002) 4.89."""
    ds, dd, dl, ih = (np.radians(x) for x in (azimuth - strike, dip, rake, takeoff))
    sl, cl, sd, cd = np.sin(dl), np.cos(dl), np.sin(dd), np.cos(dd)
    si, ci, s2i, c2i = np.sin(ih), np.cos(ih), np.sin(2 * ih), np.cos(2 * ih)
    sp, cp, s2p, c2p = np.sin(ds), np.cos(ds), np.sin(2 * ds), np.cos(2 * ds)
    s2d, c2d = np.sin(2 * dd), np.cos(2 * dd)
    rp = cl * sd * si**2 * s2p - cl * cd * s2i * cp + sl * s2d * (ci**2 - si**2 * sp**2)
    rp = rp + sl * c2d * s2i * sp
    rsv = sl * c2d * c2i * sp - cl * cd * c2i * cp + 0.5 * cl * sd * s2i * s2p
    rsv = rsv - 0.5 * sl * s2d * s2i * (1 + sp**2)
    rsh = cl * cd * ci * sp + cl * sd * si * c2p + sl * c2d * ci * cp - 0.5 * sl * s2d * si * s2p
    return rp, rsv, rsh


def _floor(x: np.ndarray, floor: float) -> np.ndarray:
    """Keep the sign, lift the magnitude smoothly above ``floor`` (scattering fills nodes)."""
    return np.where(x >= 0, 1.0, -1.0) * np.sqrt(x**2 + floor**2)


def _spreading(r_km: np.ndarray, guided: bool) -> np.ndarray:
    """Geometric spreading (1/m): body waves 1/R; crustally guided S (Lg) 1/sqrt(R) beyond 70 km."""
    r = np.maximum(r_km, 1e-3)
    if not guided:
        return 1e-3 / r
    r0 = _SPREADING_CROSSOVER_KM
    return 1e-3 * np.where(r <= r0, 1.0 / r, (1.0 / r0) * np.sqrt(r0 / r))


@lru_cache(maxsize=8)
def _spectral_operators(
    nfft: int, sampling_rate: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Frequencies and minimum-phase log-spectra (complex) of the attenuation operators.

    The minimum-phase spectrum of a log-amplitude ``L`` is ``exp(C(L))`` with ``C`` the linear
    cepstral folding; hence ``exp(a C(L1) + b C(L2) + C(L3))`` is the causal operator for
    ``a L1 + b L2 + L3`` and each ``C(L)`` is computed once.
    """
    f = np.fft.rfftfreq(nfft, 1.0 / sampling_rate)
    fold = np.zeros(nfft)
    fold[0] = 1.0
    fold[1 : nfft // 2] = 2.0
    fold[nfft // 2] = 1.0

    def min_phase_log(log_amp: np.ndarray) -> np.ndarray:
        cep = np.fft.irfft(log_amp, n=nfft)
        return np.fft.rfft(cep * fold)

    k_q = min_phase_log(-np.pi * f ** (1.0 - _Q_ETA))  # times t/Q0
    k_kappa = min_phase_log(-np.pi * f)  # times kappa
    f_aa = 0.65 * sampling_rate / 2  # anti-alias: causal low-pass, -80 dB at Nyquist
    log_aa = -0.5 * (f / f_aa) ** 8
    k_aa = min_phase_log(log_aa)
    k_q, k_kappa, k_aa = (k.astype(np.complex64) for k in (k_q, k_kappa, k_aa))
    return f, k_q, k_kappa, k_aa, np.exp(log_aa)


def _instrument(f: np.ndarray, short_period: np.ndarray) -> np.ndarray:
    """Velocity response: flat (broadband) or a 1 Hz, 0.7-damped geophone (short period)."""
    f0, h = 1.0, 0.7
    x = f / f0
    geophone = -(x**2) / (1.0 - x**2 + 2j * h * x)
    return np.where(short_period[:, None], geophone[None, :], 1.0 + 0j).astype(np.complex64)


def _site_resonance(
    f: np.ndarray, f0: np.ndarray, zeta: np.ndarray, gain: np.ndarray
) -> np.ndarray:
    """Causal resonance of a soft surface layer: ``1 + g 2 z w0 s / (s^2 + 2 z w0 s + w0^2)``.

    Amplifies by ``1 + gain`` at ``f0`` and makes the direct pulses ring for a few cycles.
    """
    s = 2j * np.pi * f[None, :]
    w0 = 2 * np.pi * f0[:, None]
    bw = 2 * zeta[:, None] * w0
    return (1.0 + gain[:, None] * bw * s / (s**2 + bw * s + w0**2)).astype(np.complex64)


@lru_cache(maxsize=1)
def _phase_table() -> np.ndarray:
    return (np.sqrt(2.0) * np.exp(2j * np.pi * np.arange(65536) / 65536)).astype(np.complex64)


# --------------------------------------------------------------------------------------------
# Parameter sampling
# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
# Waveform synthesis
# --------------------------------------------------------------------------------------------
def _nfft(n_samples: int, sampling_rate: float) -> int:
    """FFT length with >= 12 s of zero padding, so that no phase tail wraps around."""
    n = scipy.fft.next_fast_len(int(n_samples + 12 * sampling_rate), real=True)
    return n + (n % 2)


def _random_phase(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-modulus random spectrum (16-bit phases) scaled to ``E|X|^2 = 2`` like a complex
    Gaussian; its inverse FFT is Gaussian noise by the central limit theorem."""
    idx = np.frombuffer(rng.bytes(2 * int(np.prod(shape))), dtype="<u2")  # platform-independent
    return _phase_table()[idx].reshape(shape)


def _envelope(
    t: np.ndarray, t0: np.ndarray, rise: np.ndarray, tau1: np.ndarray, tau2: np.ndarray, a2: float
) -> tuple[np.ndarray, np.ndarray]:
    """Scattered-wave envelope ``(1 - exp(-x/rise)) (exp(-x/tau1) + a2 exp(-x/tau2))``.

    The first term is the scattered packet right behind a phase, the second its coda. Also
    returns the time integral (s) of the squared packet term, used to set its energy.
    """
    x = np.maximum(t[None, :] - t0.astype(np.float32)[:, None], np.float32(0.0))
    env = np.exp(-x / tau1.astype(np.float32)[:, None])
    env += np.float32(a2) * np.exp(-x / tau2.astype(np.float32)[:, None])
    env *= -np.expm1(-x / rise.astype(np.float32)[:, None])
    packet = tau1 / 2 - 2 / (1 / rise + 2 / tau1) + 1 / (2 / rise + 2 / tau1)
    return env, packet


def _snr_db(
    signal: np.ndarray,
    noise: np.ndarray,
    onset: np.ndarray,
    sampling_rate: float,
    valid: np.ndarray,
) -> np.ndarray:
    """Band-limited (1-20 Hz) power ratio of signal and noise in ``[onset, onset + 2 s)``."""
    sos = scipy.signal.butter(
        4, [1.0, min(20.0, 0.4 * sampling_rate)], "bandpass", fs=sampling_rate, output="sos"
    )
    pre, post = int(3 * sampling_rate), int(2 * sampling_rate)
    n = signal.shape[-1]
    start = np.where(valid, onset, pre).astype(int)
    idx = np.clip(start[:, None] + np.arange(-pre, post)[None, :], 0, n - 1)
    rows = np.arange(signal.shape[0])[:, None, None]
    comps = np.arange(3)[None, :, None]
    seg_s = scipy.signal.sosfilt(sos, signal[rows, comps, idx[:, None, :]], axis=-1)[..., pre:]
    seg_n = scipy.signal.sosfilt(sos, noise[rows, comps, idx[:, None, :]], axis=-1)[..., pre:]
    ps = np.maximum(np.sum(seg_s.astype(float) ** 2, axis=(1, 2)), 1e-30)
    pn = np.maximum(np.sum(seg_n.astype(float) ** 2, axis=(1, 2)), 1e-30)
    return np.where(valid, 10.0 * np.log10(ps / pn), np.nan)


def _noise_spectrum(
    par: dict[str, np.ndarray],
    f: np.ndarray,
    nfft: int,
    response: np.ndarray,
    anti_alias: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Spectra ``(B, 3, F)`` of coloured background noise.

    Three parts, each normalised to unit RMS and scaled: a power-law high-frequency part
    (RMS ``noise_level``), secondary + primary microseism peaks (``microseism_ratio`` times
    that) and an optional narrow cultural hum. The instrument response acts afterwards.
    """
    b = len(par["noise_level"])
    logf = np.log10(np.maximum(f, 1e-3)).astype(np.float32)
    log_hf = np.log(f**2 + 0.25).astype(np.float32)
    aa = anti_alias.astype(np.float32)

    def unit(part: np.ndarray) -> np.ndarray:
        part *= aa
        norm = np.sqrt(2.0 * np.sum(part**2, axis=1, keepdims=True)) / nfft
        return part / np.maximum(norm, np.float32(1e-30))

    slope = par["hf_slope"].astype(np.float32)[:, None]
    asd = unit(np.exp(-0.5 * slope * log_hf))
    fms = np.log10(par["microseism_hz"]).astype(np.float32)[:, None]
    micro = np.exp(-0.5 * ((logf - fms) / np.float32(0.13)) ** 2)
    micro += 0.3 * np.exp(-0.5 * ((logf - fms + np.float32(0.301)) / np.float32(0.1)) ** 2)
    asd += unit(micro) * par["microseism_ratio"].astype(np.float32)[:, None]
    hum = np.flatnonzero(par["hum_ratio"] > 0)
    if len(hum):
        fh = np.log10(par["hum_hz"][hum]).astype(np.float32)[:, None]
        part = unit(np.exp(-0.5 * ((logf - fh) / np.float32(0.02)) ** 2))
        asd[hum] += part * par["hum_ratio"][hum].astype(np.float32)[:, None]
    asd *= (par["noise_level"] / np.sqrt(2.0)).astype(np.float32)[:, None] * np.abs(response)
    comp = np.exp(rng.normal(0.0, 0.15, (b, 3)))
    comp[:, 1:] *= rng.uniform(1.0, 1.4, (b, 2))  # horizontals are a little noisier
    return _random_phase(rng, (b, 3, len(f))) * (
        asd[:, None, :] * comp.astype(np.float32)[..., None]
    )


def _synthesize(
    par: dict[str, np.ndarray],
    preset: SyntheticPreset,
    rng: np.random.Generator,
    is_event: np.ndarray,
    with_noise: bool = True,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Synthesise a batch of 3-component (Z, N, E) traces from parameters.

    Returns the waveforms ``(B, 3, n_samples)`` (float32, nm/s) and per-trace labels.
    """
    fs, n = preset.sampling_rate, preset.n_samples
    b = len(par["distance_km"])
    nfft = _nfft(n, fs)
    f, k_q, k_kappa, k_aa, aa = _spectral_operators(nfft, fs)
    n_freq = len(f)
    f32 = np.float32

    # ---- kinematics --------------------------------------------------------------------
    dist, depth = par["distance_km"], par["depth_km"]
    tt = travel_times(dist, depth)
    sp_s = tt["s"] - tt["p"]
    if "p_sample" in par:
        p_sample = np.asarray(par["p_sample"], dtype=int)
    else:
        lo = preset.p_arrival_s[0] * fs
        hi = np.minimum(preset.p_arrival_s[1] * fs, n - 4 * fs - sp_s * fs)
        p_sample = np.round(lo + par["p_position"] * np.maximum(hi - lo, 0.0)).astype(int)
    s_sample = p_sample + np.round(sp_s * fs).astype(int)
    if np.any(is_event & (s_sample >= n - fs)):
        raise ValueError(
            "S arrivals fall outside the trace: use longer traces or shorter distances"
        )
    p2_sample = p_sample + np.round((tt["p_direct"] - tt["p"]) * fs).astype(int)
    s2_sample = p_sample + np.round((tt["p_direct"] * VP_VS_RATIO - tt["p"]) * fs).astype(int)

    # ---- radiation, amplitudes, source spectra -----------------------------------------
    azimuth = (par["back_azimuth_deg"] + 180.0) % 360.0
    has_mech = np.isfinite(par["strike"])
    mech = [np.nan_to_num(par[k]) for k in ("strike", "dip", "rake")]
    rad = {}
    for key, takeoff in (("1", tt["takeoff_deg"]), ("2", tt["takeoff_direct_deg"])):
        rp, rsv, rsh = _radiation(*mech, takeoff, azimuth)
        rad["p" + key] = np.where(has_mech, rp, 0.52 * par["polarity_sign"])
        rad["sv" + key] = np.where(has_mech, rsv, 0.45)
        rad["sh" + key] = np.where(has_mech, rsh, 0.45)
    polarity = np.where(rad["p1"] >= 0, "U", "D")

    m0 = 10.0 ** (1.5 * par["magnitude"] + 9.1)  # N m
    src_layer = np.searchsorted(LAYER_TOPS_KM, np.maximum(depth, 0.05), side="right") - 1
    vp_src = LAYER_VP_KMS[src_layer] * 1e3
    vs_src = vp_src / VP_VS_RATIO
    hyp = np.sqrt(dist**2 + depth**2)
    # far-field displacement spectral level (nm s) incl. free surface (x2) and site
    common = 2.0 * m0 * par["site_amp"] * 1e9 * is_event / (4 * np.pi * _DENSITY)
    amp_p = common * _spreading(hyp, guided=False) / vp_src**3
    amp_s = common * _spreading(hyp, guided=True) / vs_src**3
    head = tt["head"] & is_event
    w1 = np.where(head, _HEAD_WAVE_AMPLITUDE, 1.0)
    w2 = np.where(head, 1.0, 0.0)

    fc_s = 0.49 * vs_src * (par["stress_drop_mpa"] * 1e6 / m0) ** (1.0 / 3.0)  # Brune
    fc_p = 1.5 * fc_s
    resp = _instrument(f, par["short_period"])
    site = _site_resonance(f, par["site_f0"], par["site_zeta"], par["site_gain"])
    # i omega (displacement -> velocity), times fs (continuous spectrum -> DFT coefficients)
    i_omega = (2j * np.pi * f * fs).astype(np.complex64)
    kappa = par["kappa"].astype(f32)[:, None]
    f_32 = f.astype(f32)

    def wavelet(fc: np.ndarray, t_over_q: np.ndarray, broadening_s: np.ndarray) -> np.ndarray:
        fc = fc.astype(f32)[:, None]
        brune = fc**2 / (fc + 1j * f_32) ** 2  # causal omega-squared moment-rate spectrum
        att = np.exp(t_over_q.astype(f32)[:, None] * k_q + kappa * k_kappa + k_aa)
        # forward-scattering pulse broadening: causal one-pole smoothing growing with distance
        smooth = 1.0 / (1.0 + 2j * np.pi * broadening_s.astype(f32)[:, None] * f_32)
        return i_omega * brune * att * smooth * resp * site

    wp = wavelet(fc_p, tt["p"] / (_QP_OVER_QS * par["q0"]), 0.003 + 0.0004 * dist)
    ws = wavelet(fc_s, tt["s"] / par["q0"], 0.01 + 0.0012 * dist)

    # ---- polarisation: P in the Z/radial plane, SV radial (+Z), SH transverse -------------
    baz = np.radians(par["back_azimuth_deg"] + par["polarisation_deviation_deg"])
    r_hat = np.stack([-np.cos(baz), -np.sin(baz)], axis=1)  # N, E; pointing away from source
    t_hat = np.stack([np.sin(baz), -np.cos(baz)], axis=1)

    def incidence(p_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.clip(p_km * SURFACE_VP_KMS, 0.0, 0.95)
        return s, np.sqrt(1.0 - s**2)

    def zne(z: np.ndarray, r: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.stack([z, r * r_hat[:, 0] + t * t_hat[:, 0], r * r_hat[:, 1] + t * t_hat[:, 1]])

    si1, ci1 = incidence(tt["ray_parameter"])
    si2, ci2 = incidence(tt["ray_parameter_direct"])
    zero = np.zeros(b)
    rp1, rp2 = _floor(rad["p1"], 0.1), _floor(rad["p2"], 0.1)
    phases = [
        (p_sample, wp, amp_p * w1 * rp1 * zne(ci1, si1, zero)),
        (p2_sample, wp, amp_p * w2 * rp2 * zne(ci2, si2, zero)),
    ]
    s_energy = np.zeros(b)
    for key, w, s_, c_, smp in (("1", w1, si1, ci1, s_sample), ("2", w2, si2, ci2, s2_sample)):
        sv, sh = rad["sv" + key], rad["sh" + key]
        total = np.sqrt(sv**2 + sh**2)
        scale = np.sqrt(total**2 + 0.2**2) / np.maximum(total, 1e-9)
        sv, sh = sv * scale, sh * scale
        phases.append((smp, ws, amp_s * w * zne(-sv * s_, sv * c_, sh)))
        s_energy += (amp_s * w) ** 2 * (sv**2 + sh**2)

    # ---- deterministic phases: delayed wavelets, summed in the frequency domain ---------
    table = np.exp(-2j * np.pi * np.arange(nfft) / nfft).astype(np.complex64)
    k_idx = np.arange(n_freq, dtype=np.int64)
    det = np.zeros((b, 3, n_freq), dtype=np.complex64)
    for i, (smp, wav, a) in enumerate(phases):
        rows = np.flatnonzero(is_event if i % 2 == 0 else head)
        if len(rows) == 0:
            continue
        delay = table[np.outer(smp[rows].astype(np.int64), k_idx) % nfft]  # exp(-i w t)
        det[rows] += a.T[rows].astype(f32)[:, :, None] * (wav[rows] * delay)[:, None, :]

    def irfft(spec: np.ndarray) -> np.ndarray:
        return scipy.fft.irfft(spec, n=nfft, axis=-1, workers=1)[..., :n]

    signal = irfft(det)

    # ---- scattered waves: shaped noise (Z, R, T) under an envelope -----------------------
    t = np.arange(n, dtype=f32) / f32(fs)
    power_p = 2.0 / nfft * np.sum(np.abs(wp) ** 2, axis=1)
    power_s = 2.0 / nfft * np.sum(np.abs(ws) ** 2, axis=1)
    energy_p = power_p * ((amp_p * w1 * rp1) ** 2 + (amp_p * w2 * rp2) ** 2)
    energy_s = power_s * s_energy
    dist_factor = 1.0 + dist / 100.0
    scattered = (
        (
            _envelope(
                t,
                p_sample / fs,
                0.05 + 0.004 * dist + 0.2 / fc_p,
                0.7 + 0.015 * dist,
                3.0 + 0.04 * dist,
                0.3,
            ),
            energy_p * par["scatter_p"] * dist_factor,
            wp,
            (0.8, 0.55, 0.25),
        ),
        (
            _envelope(
                t,
                s_sample / fs,
                0.05 + 0.005 * dist + 0.3 / fc_s,
                1.5 + 0.02 * dist,
                par["coda_tau_s"] * (1.0 + dist / 200.0),
                0.35,
            ),
            energy_s * par["scatter_s"] * dist_factor,
            ws,
            (0.45, 0.63, 0.63),
        ),
    )
    for (env, packet), energy, wav, (wz, wr, wt) in scattered:
        shape = np.abs(wav)
        shape *= f32(nfft / 2) / np.sqrt(np.maximum(np.sum(shape**2, axis=1, keepdims=True), 1e-30))
        series = irfft(_random_phase(rng, (b, 3, n_freq)) * shape[:, None, :])
        c = np.sqrt(energy / np.maximum(packet * fs, 1e-30))
        env *= c.astype(f32)[:, None]
        series *= env[:, None, :]
        signal[:, 0] += f32(wz) * series[:, 0]
        for j in (0, 1):
            signal[:, 1 + j] += (wr * r_hat[:, j]).astype(f32)[:, None] * series[:, 1]
            signal[:, 1 + j] += (wt * t_hat[:, j]).astype(f32)[:, None] * series[:, 2]

    # ---- background noise ----------------------------------------------------------------
    if with_noise:
        noise = irfft(_noise_spectrum(par, f, nfft, resp, aa, rng))
        phase = 2 * np.pi * t[None, :] / par["modulation_s"].astype(f32)[:, None]
        phase += par["modulation_phase"].astype(f32)[:, None]
        noise *= (1.0 + par["modulation"].astype(f32)[:, None] * np.sin(phase))[:, None, :]
    else:
        noise = np.zeros_like(signal)

    labels = {
        "p_sample": p_sample,
        "s_sample": s_sample,
        "p_phase": tt["p_phase"],
        "s_phase": tt["s_phase"],
        "p_travel_s": tt["p"],
        "s_travel_s": tt["s"],
        "takeoff_deg": tt["takeoff_deg"],
        "polarity": polarity,
        "hyp_distance_km": hyp,
        "corner_frequency_hz": fc_s,
        "snr_p_db": _snr_db(signal, noise, p_sample, fs, is_event & with_noise),
        "snr_s_db": _snr_db(signal, noise, s_sample, fs, is_event & with_noise),
    }
    signal += noise
    return signal, labels


# --------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------
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
    stations: pd.DataFrame,
    is_event: np.ndarray,
    split: np.ndarray,
    index: np.ndarray,
    rng: np.random.Generator,
    seed: int,
) -> pd.DataFrame:
    """STEAD/SeisBench-style metadata of one batch (NaN for event fields of noise traces)."""
    fs = preset.sampling_rate
    b = len(index)
    st = stations.iloc[par["station"]].reset_index(drop=True)
    start = (
        np.datetime64("2020-01-01T00:00:00", "ms")
        + (rng.uniform(0.0, 3 * 365.25 * 86400.0, b) * 100)
        .astype(np.int64)
        .astype("timedelta64[ms]")
        * 10
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
        "station_network_code": st["station_network_code"].to_numpy(),
        "station_code": st["station_code"].to_numpy(),
        "station_channels": st["station_channels"].to_numpy(),
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
        "trace_sampling_rate_hz": np.full(b, fs),
        "trace_npts": np.full(b, preset.n_samples),
        "trace_p_arrival_sample": ev(labels["p_sample"]),
        "trace_s_arrival_sample": ev(labels["s_sample"]),
        "trace_polarity": ev_str(labels["polarity"]),
        "trace_snr_db": ev(labels["snr_p_db"], 2),
        "trace_s_snr_db": ev(labels["snr_s_db"], 2),
        "trace_noise_level_nms": np.round(par["noise_level"], 3),
    }
    return pd.DataFrame(meta)


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

    Parameters
    ----------
    n_traces
        Number of traces (earthquakes and noise).
    preset
        ``"stead"`` (100 Hz, 6000 samples), ``"diting"`` (50 Hz, 9000 samples) or a
        :py:class:`SyntheticPreset`.
    seed
        Random seed; the same seed gives identical waveforms and metadata.
    noise_fraction
        Share of noise-only traces (``trace_category == "noise"``, no arrivals).
    split_fractions
        Train/dev/test shares of the random, seeded ``split`` column.
    workers
        Threads generating batches in parallel (default: all cores); no effect on the data.

    Returns
    -------
    tuple
        Waveforms ``(n_traces, 3, n_samples)`` (float32, Z/N/E, nm/s) and the metadata.
    """
    waves, metas = [], []
    for w, m in _iter_batches(n_traces, preset, seed, noise_fraction, split_fractions, workers):
        waves.append(w)
        metas.append(m)
    return np.concatenate(waves), pd.concat(metas, ignore_index=True)


def _data_format(preset: SyntheticPreset) -> dict[str, Any]:
    return {
        "component_order": "ZNE",
        "dimension_order": "CW",
        "sampling_rate": preset.sampling_rate,
        "measurement": "velocity",
        "unit": "counts",
        "instrument_response": "not restituted (1 count = 1 nm/s in the flat band)",
    }


def _write_dataset(
    writer: WaveformDataWriter,
    n_traces: int,
    preset: str | SyntheticPreset,
    seed: int,
    noise_fraction: float,
    split_fractions: tuple[float, float, float],
    workers: int | None = None,
) -> None:
    preset = _get_preset(preset)
    writer.data_format = _data_format(preset)
    writer.set_total(n_traces)
    for waveforms, meta in _iter_batches(
        n_traces, preset, seed, noise_fraction, split_fractions, workers
    ):
        for row, waveform in zip(meta.to_dict("records"), waveforms, strict=True):
            writer.add_trace(row, waveform)


def generate_synthetic(
    path: str | Path,
    n_traces: int = 3000,
    preset: str | SyntheticPreset = "stead",
    seed: int = 0,
    noise_fraction: float = 0.12,
    split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    workers: int | None = None,
) -> Path:
    """Write a synthetic dataset in SeisBench format (``metadata.csv`` + ``waveforms.hdf5``).

    Parameters
    ----------
    path
        Output folder (created if needed); existing files are overwritten.
    n_traces, preset, seed, noise_fraction, split_fractions, workers
        See :py:func:`simulate_synthetic`.

    Returns
    -------
    Path
        The folder, ready for ``seisbench.data.WaveformDataset(path)``.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    with WaveformDataWriter(path / "metadata.csv", path / "waveforms.hdf5") as writer:
        _write_dataset(writer, n_traces, preset, seed, noise_fraction, split_fractions, workers)
    return path


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

    Parameters
    ----------
    magnitude
        Magnitude (used as moment magnitude for the seismic moment).
    distance_km, depth_km, back_azimuth_deg
        Epicentral distance, source depth and station-to-source back-azimuth.
    preset
        Trace geometry, see :py:data:`PRESETS`.
    p_arrival_s
        Time of the P arrival in the trace (default: start of the preset's range).
    polarity
        ``"U"`` or ``"D"`` first motion, used when ``mechanism`` is None (average radiation).
    mechanism
        ``(strike, dip, rake)`` in degrees for a double-couple radiation pattern (overrides
        ``polarity``).
    stress_drop_mpa, q0, kappa, site_amp
        Brune stress drop, S-wave ``Q0`` of ``Q(f) = Q0 f^0.6`` (Q_P = 1.5 Q_S), site kappa (s)
        and site amplification.
    short_period
        1 Hz geophone instead of a broadband sensor.
    noise_level
        RMS of the high-frequency background noise in nm/s (0: noise-free).
    microseism_ratio
        Microseism RMS relative to ``noise_level``.
    seed
        Seed of the scattered waves and the noise.

    Returns
    -------
    tuple
        Waveform ``(3, n_samples)`` (Z, N, E; nm/s) and a dict of labels (``p_sample``,
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


def _folder_name(
    preset: SyntheticPreset,
    n_traces: int,
    seed: int,
    noise_fraction: float,
    split_fractions: tuple[float, float, float],
) -> str:
    config = {
        "version": GENERATOR_VERSION,
        "preset": asdict(preset),
        "noise_fraction": noise_fraction,
        "split_fractions": list(split_fractions),
    }
    digest = hashlib.sha1(json.dumps(config, sort_keys=True).encode()).hexdigest()[:8]
    return f"{preset.name}_n{n_traces}_seed{seed}_{digest}"


class Synthetic(WaveformBenchmarkDataset):
    """Synthetic earthquake/noise dataset, generated on first use into the SeisBench cache.

    The data are written once to ``seisbench.cache_data_root / "synthetic" / <folder>`` with a
    folder per preset, size, seed and generator configuration, then loaded like any SeisBench
    dataset. Nothing is downloaded. See :py:func:`simulate_synthetic` for the parameters.

    Parameters
    ----------
    preset
        ``"stead"`` (100 Hz, 60 s) or ``"diting"`` (50 Hz, 180 s), or a
        :py:class:`SyntheticPreset`.
    n_traces
        Number of traces.
    seed
        Random seed of the generator.
    noise_fraction
        Share of noise-only traces.
    split_fractions
        Train/dev/test shares of the ``split`` column.
    kwargs
        Passed to :py:class:`seisbench.data.WaveformBenchmarkDataset` (e.g. ``sampling_rate``,
        ``component_order``, ``cache``, ``force``).
    """

    def __init__(
        self,
        preset: str | SyntheticPreset = "stead",
        n_traces: int = 3000,
        seed: int = 0,
        noise_fraction: float = 0.12,
        split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
        **kwargs: Any,
    ):
        preset = _get_preset(preset)
        split_fractions = tuple(float(x) for x in split_fractions)
        self._generation = {
            "n_traces": int(n_traces),
            "preset": preset,
            "seed": int(seed),
            "noise_fraction": float(noise_fraction),
            "split_fractions": split_fractions,
        }
        self._folder = _folder_name(
            preset, int(n_traces), int(seed), float(noise_fraction), split_fractions
        )
        citation = (
            "Synthetic waveforms generated locally by seisbench_llm.data.synthetic "
            f"(generator version {GENERATOR_VERSION}, preset {preset.name}, seed {int(seed)})."
        )
        kwargs.setdefault("name", f"Synthetic_{self._folder}")
        super().__init__(
            citation=citation,
            license="CC0-1.0",
            repository_lookup=False,
            compile_from_source=True,
            download_kwargs=dict(self._generation),
            **kwargs,
        )

    @property
    def path(self) -> Path:
        """Cache folder of this preset/size/seed/configuration."""
        return Path(seisbench.cache_data_root, "synthetic", self._folder)

    @classmethod
    def available_chunks(cls, *args: Any, **kwargs: Any) -> list[str]:
        """The synthetic dataset is never chunked (and never looked up remotely)."""
        return [""]

    def _download_dataset(self, writer: WaveformDataWriter, chunk: str, **kwargs: Any) -> None:
        _write_dataset(writer, **kwargs)
        config = {k: v for k, v in kwargs.items() if k != "preset"}
        config.update(preset=asdict(kwargs["preset"]), version=GENERATOR_VERSION)
        (self.path / "synthetic_config.json").write_text(json.dumps(config, indent=2))
