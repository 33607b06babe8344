"""Assembly of a batch of recorded traces at one sampling rate: main event, optional second
event, background noise, digitiser; and the per-trace labels."""

from __future__ import annotations

import numpy as np
import scipy.signal

from seisbench_llm.data.synthetic.instruments import _digitise, _response
from seisbench_llm.data.synthetic.noise import _background
from seisbench_llm.data.synthetic.operators import _nfft, _site_resonance, _spectral_operators
from seisbench_llm.data.synthetic.waveforms import _event_signal, _kinematics

#: Parameters of the second event of a trace, drawn under the prefix ``e2_``.
SECOND_EVENT_KEYS = (
    "distance_km",
    "depth_km",
    "magnitude",
    "back_azimuth_deg",
    "polarisation_deviation_deg",
    "strike",
    "dip",
    "rake",
    "stress_drop_mpa",
    "q0",
    "scatter_p",
    "scatter_s",
    "coda_tau_s",
    "s_amp_factor",
)
_MIN_GAP_S = 1.0  # a second P keeps this distance from the main P and S


def _snr_db(signal, noise, onset, fs, valid) -> np.ndarray:
    """Band-limited (1-20 Hz) power ratio of signal and noise in ``[onset, onset + 2 s)``."""
    sos = scipy.signal.butter(4, [1.0, min(20.0, 0.4 * fs)], "bandpass", fs=fs, output="sos")
    pre, post = int(3 * fs), int(2 * fs)
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


def _second_p_time(position: np.ndarray, duration: float, p_s: np.ndarray, s_s: np.ndarray):
    """P time (s) of a second event in ``[1, duration - 3]``, away from the main P and S."""
    lo, hi = 1.0, duration - 3.0
    t = lo + position * (hi - lo)
    for anchor in (p_s, s_s, p_s):
        close = np.abs(t - anchor) < _MIN_GAP_S
        t = np.where(close, lo + (t - lo + 2.5 * _MIN_GAP_S) % (hi - lo), t)
    return t


def _second_event(par, tt, ops, fs, n, resp, site, rng, rows):
    """Signal of the second events of ``rows`` and their P and S samples (S: -1 if outside)."""
    par2 = {k: v[rows] for k, v in par.items()}
    for key in SECOND_EVENT_KEYS:
        par2[key] = par["e2_" + key][rows]
    p_time = _second_p_time(
        par["e2_position"][rows], n / fs, tt["p_sample"][rows] / fs, tt["s_sample"][rows] / fs
    )
    par2["p_sample"] = np.round(p_time * fs).astype(int)
    tt2 = _kinematics(par2, fs, n, (0.0, 0.0))
    with_s = (tt2["s_sample"] < n) & (tt2["sg_sample"] < n)
    on = np.ones(len(rows), dtype=bool)
    signal, _ = _event_signal(par2, tt2, ops, fs, n, resp[rows], site[rows], rng, on, with_s)
    return signal, tt2["p_sample"], np.where(with_s, tt2["s_sample"], -1)


def _synthesize(
    par: dict[str, np.ndarray],
    fs: float,
    n: int,
    p_range_s: tuple[float, float],
    rng: np.random.Generator,
    is_event: np.ndarray,
    with_noise: bool = True,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Recorded traces ``(B, 3, n)`` (Z, N, E; float32 integer counts) and per-trace labels.

    :param par: Parameters of each trace (see ``sampling._sample_parameters``).
    :param fs: Sampling rate (Hz) of all traces of the batch.
    :param n: Samples per trace.
    :param p_range_s: Range of the main P time in the trace (used with ``p_position``).
    :param rng: Random generator.
    :param is_event: Which traces hold an event (the others are noise only).
    :param with_noise: Add background noise (else only the digitiser's rounding).
    """
    b = len(is_event)
    nfft = _nfft(n, fs)
    ops = _spectral_operators(nfft, fs)
    f, anti_alias = ops[0], ops[4]
    resp = _response(f, par["instrument"], par["gain"])
    site = _site_resonance(f, par["site_f0"], par["site_zeta"], par["site_gain"])

    tt = _kinematics(par, fs, n, p_range_s)
    if np.any(is_event & (tt["s_sample"] >= n - fs)):
        raise ValueError(
            "S arrivals fall outside the trace: use longer traces or shorter distances"
        )
    on = np.ones(b, dtype=bool)
    signal, info = _event_signal(par, tt, ops, fs, n, resp, site, rng, is_event, on)
    p2, s2 = np.full(b, -1), np.full(b, -1)
    rows = np.flatnonzero(is_event & par["second_event"])
    if len(rows):
        signal2, p2[rows], s2[rows] = _second_event(par, tt, ops, fs, n, resp, site, rng, rows)
        signal[rows] += signal2

    if with_noise:
        noise = _background(par, f, nfft, n, fs, resp, anti_alias, rng)
        total = signal + noise
    else:
        total = signal.copy()
    recorded, clipped = _digitise(total, par["adc_bits"])
    noise = np.rint(total) - signal  # background noise plus rounding
    valid = is_event & with_noise
    labels = {
        "p_sample": tt["p_sample"],
        "s_sample": tt["s_sample"],
        "p2_sample": p2,
        "s2_sample": s2,
        "p_phase": tt["p_phase"],
        "s_phase": tt["s_phase"],
        "p_travel_s": tt["p"],
        "s_travel_s": tt["s"],
        "takeoff_deg": tt["takeoff_deg"],
        "clipped": clipped,
        "snr_p_db": _snr_db(signal, noise, tt["p_sample"], fs, valid),
        "snr_s_db": _snr_db(signal, noise, tt["s_sample"], fs, valid),
        **info,
    }
    return recorded, labels
