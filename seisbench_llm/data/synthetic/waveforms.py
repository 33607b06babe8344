"""Synthesis of a batch of 3-component traces from drawn parameters: direct and head-wave
phases, polarisation, scattered coda, background noise and the per-trace labels."""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.signal

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
from seisbench_llm.data.synthetic.noise import _noise_spectrum
from seisbench_llm.data.synthetic.operators import (
    _instrument,
    _nfft,
    _random_phase,
    _site_resonance,
    _spectral_operators,
)
from seisbench_llm.data.synthetic.sampling import SyntheticPreset
from seisbench_llm.data.synthetic.source import _floor, _radiation


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
