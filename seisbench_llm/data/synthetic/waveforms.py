"""Earthquake signal of a batch of 3-component traces: arrival times, source spectra, radiation,
free-surface polarisation of P, SV and SH, the direct (and head-wave) phases and the scattered
P and S codas. Output is in counts of the recording instrument (before digitising)."""

from __future__ import annotations

import numpy as np
import scipy.fft

from seisbench_llm.data.synthetic.earth import (
    _DENSITY,
    _HEAD_WAVE_AMPLITUDE,
    _QP_OVER_QS,
    LAYER_TOPS_KM,
    LAYER_VP_KMS,
    SURFACE_VP_KMS,
    VP_VS_RATIO,
    _spreading,
    travel_times,
)
from seisbench_llm.data.synthetic.operators import _random_phase
from seisbench_llm.data.synthetic.source import _floor, _radiation

f32 = np.float32
#: Weights (Z, radial, transverse) of the scattered P coda and S coda (amplitude). P coda: mostly
#: P-to-S scattered energy within a second of P, so it has nearly as much energy on the
#: horizontals (transverse included) as on Z; S coda: horizontal-to-vertical amplitude ~1.7.
P_CODA_ZRT = (0.75, 0.5, 0.43)
S_CODA_ZRT = (0.5, 0.61, 0.61)
_MAX_SIN_SV = 0.55  # SV incidence kept below the critical angle (sin = Vs/Vp = 0.577)


def _irfft(spec: np.ndarray, nfft: int, n: int) -> np.ndarray:
    return scipy.fft.irfft(spec, n=nfft, axis=-1, workers=1)[..., :n]


def _envelope(
    t: np.ndarray, t0: np.ndarray, rise: np.ndarray, tau1: np.ndarray, tau2: np.ndarray, a2: float
) -> tuple[np.ndarray, np.ndarray]:
    """Scattered-wave envelope ``(1 - exp(-x/rise)) (exp(-x/tau1) + a2 exp(-x/tau2))``.

    The first term is the scattered packet right behind a phase, the second its coda. Also
    returns the time integral (s) of the squared packet term, used to set its energy.
    """
    x = np.maximum(t[None, :] - t0.astype(f32)[:, None], f32(0.0))
    env = np.exp(-x / tau1.astype(f32)[:, None])
    env += f32(a2) * np.exp(-x / tau2.astype(f32)[:, None])
    env *= -np.expm1(-x / rise.astype(f32)[:, None])
    packet = tau1 / 2 - 2 / (1 / rise + 2 / tau1) + 1 / (2 / rise + 2 / tau1)
    return env, packet


def _kinematics(
    par: dict[str, np.ndarray], fs: float, n: int, p_range_s: tuple[float, float]
) -> dict[str, np.ndarray]:
    """Travel times and the P, S (and direct Pg/Sg behind head waves) samples of each trace."""
    tt = travel_times(par["distance_km"], par["depth_km"])
    sp_s = tt["s"] - tt["p"]
    if "p_sample" in par:
        p_sample = np.asarray(par["p_sample"], dtype=int)
    else:
        lo = p_range_s[0] * fs
        hi = np.minimum(p_range_s[1] * fs, n - 4 * fs - sp_s * fs)
        p_sample = np.round(lo + par["p_position"] * np.maximum(hi - lo, 0.0)).astype(int)
    tt["p_sample"] = p_sample
    tt["s_sample"] = p_sample + np.round(sp_s * fs).astype(int)
    tt["pg_sample"] = p_sample + np.round((tt["p_direct"] - tt["p"]) * fs).astype(int)
    tt["sg_sample"] = p_sample + np.round((tt["p_direct"] * VP_VS_RATIO - tt["p"]) * fs).astype(int)
    return tt


def _free_surface(sin_i: np.ndarray) -> dict[str, np.ndarray]:
    """Surface motion (Z up, radial) of a unit P and a unit SV wave arriving at incidence ``i``.

    Free-surface coefficients of a Poisson half-space (Aki & Richards 2002, sec. 5.2): vertical
    incidence gives twice the amplitude, oblique P gets a radial part at the apparent angle
    ``2 j`` (``sin j = Vs p``), oblique SV a vertical part of opposite sign. S arrives with the
    same ray parameter times Vp/Vs, i.e. at the same angle; it is kept sub-critical.
    """
    a = SURFACE_VP_KMS
    b = a / VP_VS_RATIO
    out = {}
    for wave, sin, v in (
        ("p", np.clip(sin_i, 0.0, 0.95), a),
        ("sv", np.clip(sin_i, 0.0, _MAX_SIN_SV), b),
    ):
        p = sin / v
        qa, qb = np.sqrt(1 / a**2 - p**2), np.sqrt(1 / b**2 - p**2)
        c = 1 / b**2 - 2 * p**2
        d = b**2 * (c**2 + 4 * p**2 * qa * qb)
        if wave == "p":
            out["p_z"], out["p_r"] = 2 * a * qa * c / d, 4 * a * p * qa * qb / d
        else:
            out["sv_z"], out["sv_r"] = -4 * b * p * qa * qb / d, 2 * b * qb * c / d
    return out


def _source_and_path(par: dict[str, np.ndarray], tt: dict[str, np.ndarray], on: np.ndarray):
    """Radiation coefficients, far-field spectral levels (nm s) and corner frequencies."""
    azimuth = (par["back_azimuth_deg"] + 180.0) % 360.0
    has_mech = np.isfinite(par["strike"])
    mech = [np.nan_to_num(par[k]) for k in ("strike", "dip", "rake")]
    rad = {}
    for key, takeoff in (("1", tt["takeoff_deg"]), ("2", tt["takeoff_direct_deg"])):
        rp, rsv, rsh = _radiation(*mech, takeoff, azimuth)
        rad["p" + key] = np.where(has_mech, rp, 0.52 * par["polarity_sign"])
        rad["sv" + key] = np.where(has_mech, rsv, 0.45)
        rad["sh" + key] = np.where(has_mech, rsh, 0.45)
    m0 = 10.0 ** (1.5 * par["magnitude"] + 9.1)  # N m (Hanks & Kanamori 1979)
    depth = np.maximum(par["depth_km"], 0.05)
    vp_src = LAYER_VP_KMS[np.searchsorted(LAYER_TOPS_KM, depth, side="right") - 1] * 1e3
    vs_src = vp_src / VP_VS_RATIO
    hyp = np.sqrt(par["distance_km"] ** 2 + par["depth_km"] ** 2)
    common = m0 * par["site_amp"] * 1e9 * on / (4 * np.pi * _DENSITY)  # free surface: later
    fc_s = 0.49 * vs_src * (par["stress_drop_mpa"] * 1e6 / m0) ** (1.0 / 3.0)  # Brune (1970)
    return {
        "rad": rad,
        "amp_p": common * _spreading(hyp, guided=False) / vp_src**3,
        "amp_s": common * par["s_amp_factor"] * _spreading(hyp, guided=True) / vs_src**3,
        "fc_s": fc_s,
        "fc_p": 1.5 * fc_s,
        "hyp": hyp,
    }


def _wavelet(ops, fs, resp, site, kappa, fc, t_over_q, broadening_s) -> np.ndarray:
    """Source (Brune), attenuation, pulse broadening, site and instrument: counts per nm s."""
    f, k_q, k_kappa, k_aa = ops[:4]
    f_32 = f.astype(f32)
    fc = fc.astype(f32)[:, None]
    brune = fc**2 / (fc + 1j * f_32) ** 2  # causal omega-squared moment-rate spectrum
    att = np.exp(t_over_q.astype(f32)[:, None] * k_q + kappa * k_kappa + k_aa)
    # forward-scattering pulse broadening: causal one-pole smoothing growing with distance
    smooth = 1.0 / (1.0 + 2j * np.pi * broadening_s.astype(f32)[:, None] * f_32)
    i_omega = (2j * np.pi * f * fs).astype(np.complex64)  # displacement -> velocity, DFT scale
    return i_omega * brune * att * smooth * resp * site


class _Frame:
    """Radial and transverse unit vectors (N, E) of each trace; ``zne`` projects Z, R, T."""

    def __init__(self, par: dict[str, np.ndarray]):
        baz = np.radians(par["back_azimuth_deg"] + par["polarisation_deviation_deg"])
        self.r_hat = np.stack([-np.cos(baz), -np.sin(baz)], axis=1)  # pointing away from source
        self.t_hat = np.stack([np.sin(baz), -np.cos(baz)], axis=1)

    def zne(self, z, r, t) -> np.ndarray:
        r_hat, t_hat = self.r_hat, self.t_hat
        return np.stack([z, r * r_hat[:, 0] + t * t_hat[:, 0], r * r_hat[:, 1] + t * t_hat[:, 1]])


def _phases(tt, sp, frame, wp, ws, on, with_s):
    """The direct phases ``(sample, wavelet, ZNE amplitudes, rows)`` and the P and S energies
    (squared spectral levels) that set the codas."""
    rad = sp["rad"]
    head = tt["head"] & on
    weight = {"1": np.where(head, _HEAD_WAVE_AMPLITUDE, 1.0), "2": np.where(head, 1.0, 0.0)}
    phases, p_energy, s_energy = [], 0.0, 0.0
    for key, ray, p_smp, s_smp, rows in (
        ("1", "ray_parameter", "p_sample", "s_sample", on),
        ("2", "ray_parameter_direct", "pg_sample", "sg_sample", head),
    ):
        fsurf = _free_surface(tt[ray] * SURFACE_VP_KMS)
        a_p = sp["amp_p"] * weight[key] * _floor(rad["p" + key], 0.1)
        phases.append((tt[p_smp], wp, a_p * frame.zne(fsurf["p_z"], fsurf["p_r"], 0 * a_p), rows))
        sv, sh = rad["sv" + key], rad["sh" + key]
        total = np.sqrt(sv**2 + sh**2)
        scale = np.sqrt(total**2 + 0.2**2) / np.maximum(total, 1e-9)  # scattering fills nodes
        sv, sh = sv * scale, sh * scale
        a_s = sp["amp_s"] * weight[key] * with_s
        zne_s = frame.zne(sv * fsurf["sv_z"], sv * fsurf["sv_r"], 2 * sh)
        phases.append((tt[s_smp], ws, a_s * zne_s, rows))
        # free surface doubles the amplitude: 4x the energy of the incident wave
        p_energy = p_energy + 4.0 * a_p**2
        s_energy = s_energy + 4.0 * a_s**2 * (sv**2 + sh**2)
    return phases, p_energy, s_energy


def _delayed_sum(phases, n_freq: int, nfft: int, n: int) -> np.ndarray:
    """Counts ``(B, 3, n)`` of delayed wavelets, summed in the frequency domain."""
    table = np.exp(-2j * np.pi * np.arange(nfft) / nfft).astype(np.complex64)
    k_idx = np.arange(n_freq, dtype=np.int64)
    b = len(phases[0][0])
    det = np.zeros((b, 3, n_freq), dtype=np.complex64)
    for smp, wav, a, on in phases:
        rows = np.flatnonzero(on)
        if len(rows):
            delay = table[np.outer(smp[rows].astype(np.int64), k_idx) % nfft]  # exp(-i w t)
            det[rows] += a.T[rows].astype(f32)[:, :, None] * (wav[rows] * delay)[:, None, :]
    return _irfft(det, nfft, n)


def _add_coda(signal, rng, fs, onset, envelope, energy, wav, weights, frame) -> None:
    """Add scattered waves (random phases shaped like ``wav``, Z/R/T ``weights``) under the
    envelope ``(rise, tau1, tau2, a2)`` starting at the ``onset`` samples, with the packet's
    energy ``energy`` times the wavelet's power (in place)."""
    b, _, n = signal.shape
    nfft = 2 * (wav.shape[1] - 1)
    t = np.arange(n, dtype=f32) / f32(fs)
    env, packet = _envelope(t, onset / fs, *envelope)
    power = 2.0 / nfft * np.sum(np.abs(wav) ** 2, axis=1)
    shape = np.abs(wav)
    shape *= f32(nfft / 2) / np.sqrt(np.maximum(np.sum(shape**2, axis=1, keepdims=True), 1e-30))
    series = _irfft(_random_phase(rng, (b, 3, wav.shape[1])) * shape[:, None, :], nfft, n)
    c = np.sqrt(energy * power / np.maximum(packet * fs, 1e-30))
    series *= (env * c.astype(f32)[:, None])[:, None, :]
    wz, wr, wt = weights
    signal[:, 0] += f32(wz) * series[:, 0]
    for j in (0, 1):
        signal[:, 1 + j] += (wr * frame.r_hat[:, j]).astype(f32)[:, None] * series[:, 1]
        signal[:, 1 + j] += (wt * frame.t_hat[:, j]).astype(f32)[:, None] * series[:, 2]


def _event_signal(
    par: dict[str, np.ndarray],
    tt: dict[str, np.ndarray],
    ops: tuple,
    fs: float,
    n: int,
    resp: np.ndarray,
    site: np.ndarray,
    rng: np.random.Generator,
    on: np.ndarray,
    with_s: np.ndarray,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Counts ``(B, 3, n)`` of the events of the rows ``on`` (S phases only where ``with_s``)."""
    n_freq = len(ops[0])
    nfft = 2 * (n_freq - 1)
    sp = _source_and_path(par, tt, on)
    dist = par["distance_km"]
    kappa = par["kappa"].astype(f32)[:, None]
    t_q_p = tt["p"] / (_QP_OVER_QS * par["q0"])
    wp = _wavelet(ops, fs, resp, site, kappa, sp["fc_p"], t_q_p, 0.003 + 0.0004 * dist)
    ws = _wavelet(ops, fs, resp, site, kappa, sp["fc_s"], tt["s"] / par["q0"], 0.01 + 0.0012 * dist)
    frame = _Frame(par)
    phases, p_energy, s_energy = _phases(tt, sp, frame, wp, ws, on, with_s.astype(float))
    signal = _delayed_sum(phases, n_freq, nfft, n)

    scattering = 1.0 + dist / 100.0  # more scattered energy along longer paths
    p_env = (0.05 + 0.004 * dist + 0.25 / sp["fc_p"], 0.7 + 0.015 * dist, 3.0 + 0.04 * dist, 0.3)
    s_tau2 = par["coda_tau_s"] * (1.0 + dist / 200.0)
    s_env = (0.05 + 0.005 * dist + 0.25 / sp["fc_s"], 1.5 + 0.02 * dist, s_tau2, 0.35)
    p_coda = p_energy * par["scatter_p"] * scattering
    s_coda = s_energy * par["scatter_s"] * scattering
    _add_coda(signal, rng, fs, tt["p_sample"], p_env, p_coda, wp, P_CODA_ZRT, frame)
    _add_coda(signal, rng, fs, tt["s_sample"], s_env, s_coda, ws, S_CODA_ZRT, frame)
    info = {
        "polarity": np.where(sp["rad"]["p1"] >= 0, "U", "D"),
        "hyp_distance_km": sp["hyp"],
        "corner_frequency_hz": sp["fc_s"],
    }
    return signal, info
