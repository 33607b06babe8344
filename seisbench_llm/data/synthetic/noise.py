"""Background noise of the synthetic traces: a stationary part whose spectrum lies between
Peterson's noise models (microseisms, cultural noise with a daily cycle, hum lines) and the
non-stationary part (noise bursts, digitiser spikes, a distant earthquake in progress)."""

from __future__ import annotations

import numpy as np

from seisbench_llm.data.synthetic.noise_models import noise_model_db
from seisbench_llm.data.synthetic.operators import _random_phase
from seisbench_llm.data.synthetic.waveforms import _irfft

f32 = np.float32
_MICROSEISM_CORNER_HZ = 0.6  # below: the weather-driven microseism position; above: the station's
_CULTURAL_HZ = 3.0
_DIGITISER_NOISE_COUNTS = 0.5  # self-noise of the digitiser (RMS counts), before rounding  # centre of the cultural band (traffic, machinery: 1-10 Hz)


def _daytime(local_hour: np.ndarray) -> np.ndarray:
    """Daily cycle of cultural noise: 1 in the early afternoon, 0 at 2 am."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * (local_hour - 2.0) / 24.0)


def _noise_psd_db(par: dict[str, np.ndarray], f: np.ndarray) -> np.ndarray:
    """Ground-acceleration PSD (dB re 1 (m/s^2)^2/Hz) of the stationary noise, ``(B, F)``.

    At each frequency a position between NLNM (0) and NHNM (1): the microseism band follows the
    trace's ``noise_position_ms``, higher frequencies the station's ``noise_position``. Cultural
    noise raises the 1-10 Hz band by up to ``cultural_db`` in the daytime, hum adds a narrow line
    ``hum_db`` below the NHNM at ``hum_hz``; the result never exceeds the NHNM.
    """
    fp = np.maximum(f, 1e-4)
    lo, hi = noise_model_db(fp, "nlnm"), noise_model_db(fp, "nhnm")
    w_ms = 1.0 / (1.0 + (fp / _MICROSEISM_CORNER_HZ) ** 4)
    pos = par["noise_position_ms"][:, None] * w_ms + par["noise_position"][:, None] * (1 - w_ms)
    logf = np.log10(fp)
    cultural = np.exp(-0.5 * ((logf - np.log10(_CULTURAL_HZ)) / 0.3) ** 2)
    db = lo + pos * (hi - lo)
    db += (par["cultural_db"] * _daytime(par["local_hour"]))[:, None] * cultural
    line = np.exp(-0.5 * ((logf - np.log10(par["hum_hz"])[:, None]) / 0.004) ** 2)
    power = 10.0 ** (db / 10) + line * 10.0 ** ((hi - par["hum_db"][:, None]) / 10)
    return np.minimum(10.0 * np.log10(power), hi)


def _velocity_asd(psd_db: np.ndarray, f: np.ndarray, nfft: int, fs: float) -> np.ndarray:
    """DFT amplitudes (nm/s) of velocity noise with the given acceleration PSD (one-sided)."""
    omega = 2 * np.pi * np.maximum(f, 1e-6)
    asd = np.sqrt(10.0 ** (psd_db / 10) * nfft * fs / 4.0) / omega * 1e9
    asd[:, f == 0] = 0.0
    return asd


def _stationary_noise(psd_db: np.ndarray, f, nfft, n, fs, resp, anti_alias, rng) -> np.ndarray:
    """Counts ``(B, 3, n)`` of the stationary noise (horizontals a little noisier)."""
    b = len(psd_db)
    asd = (_velocity_asd(psd_db, f, nfft, fs) * anti_alias).astype(f32) * resp
    comp = np.exp(rng.normal(0.0, 0.1, (b, 3)))
    comp[:, 1:] *= rng.uniform(1.0, 1.3, (b, 2))
    spec = _random_phase(rng, (b, 3, len(f))) * (asd[:, None, :] * comp.astype(f32)[..., None])
    return _irfft(spec, nfft, n)


def _band_series(rng, f, nfft, n, centre_hz, width_dec, resp, anti_alias) -> np.ndarray:
    """Counts of random 3-component ground motion of unit RMS (nm/s) in a log-Gaussian band."""
    logf = np.log10(np.maximum(f, 1e-4))
    shape = np.exp(-0.5 * ((logf - np.log10(centre_hz)[:, None]) / width_dec[:, None]) ** 2)
    shape *= anti_alias
    shape *= nfft / (2.0 * np.sqrt(np.maximum(np.sum(shape**2, axis=1, keepdims=True), 1e-30)))
    spec = _random_phase(rng, (len(shape), 3, len(f))) * (shape.astype(f32) * resp)[:, None, :]
    return _irfft(spec, nfft, n)


def _band_rms(psd_db: np.ndarray, f: np.ndarray, centre_hz: np.ndarray) -> np.ndarray:
    """RMS (nm/s) of the stationary ground velocity noise in an octave around ``centre_hz``."""
    k = np.clip(np.searchsorted(f, centre_hz), 1, len(f) - 1)
    p_acc = 10.0 ** (psd_db[np.arange(len(k)), k] / 10)
    return np.sqrt(p_acc * 0.7 * centre_hz) / (2 * np.pi * centre_hz) * 1e9


def _transients(par, psd_db, f, nfft, n, fs, resp, anti_alias, rng) -> np.ndarray:
    """Counts ``(B, 3, n)`` of bursts, spikes and distant earthquakes (zero where absent).

    * Bursts (``burst_count``): band-limited ground motion (broadband around 2-8 Hz or
      high-frequency around 10-30 Hz) under emergent Hann envelopes of 1.5-6 s, 2-15 times the
      stationary noise in their band.
    * A distant earthquake (``distant_event``): low-frequency (0.05-0.5 Hz) body and surface-wave
      coda already in progress at the first sample, decaying slowly: no onset in the window.
    * Spikes (``spike_count``): 1-3-sample digitiser glitches of 10-200 times the noise RMS.
    """
    b = len(psd_db)
    out = np.zeros((b, 3, n), dtype=f32)
    t = np.arange(n) / fs
    nyq = 0.4 * fs
    for kind in ("burst", "distant"):
        rows = np.flatnonzero(par["burst_count"] > 0 if kind == "burst" else par["distant_event"])
        if len(rows) == 0:
            continue
        k = len(rows)
        if kind == "burst":
            hf = rng.random(k) < 0.4
            centre = np.where(hf, rng.uniform(10.0, 30.0, k), rng.uniform(2.0, 8.0, k))
            centre = np.minimum(centre, nyq)
            width = np.where(hf, 0.15, 0.35)
            amp = rng.uniform(2.0, 15.0, k)
            env = np.zeros((k, n))
            for i, count in enumerate(par["burst_count"][rows]):
                for _ in range(int(count)):
                    dur, start = rng.uniform(1.5, 6.0), rng.uniform(-1.0, t[-1])
                    x = np.clip((t - start) / dur, 0.0, 1.0)
                    env[i] += np.sin(np.pi * x) ** 2
        else:
            centre = np.exp(rng.uniform(np.log(0.05), np.log(0.5), k))
            width = np.full(k, 0.25)
            amp = np.exp(rng.uniform(np.log(2.0), np.log(30.0), k))
            tau = rng.uniform(30.0, 300.0, k)[:, None]
            beat = 1.0 + 0.3 * np.sin(
                2 * np.pi * t / rng.uniform(20, 60, k)[:, None] + rng.uniform(0, 6.3, k)[:, None]
            )
            env = np.exp(-t / tau) * beat
        series = _band_series(rng, f, nfft, n, centre, width, resp[rows], anti_alias)
        series *= rng.uniform(0.5, 1.5, (k, 3, 1)).astype(f32)
        scale = amp * _band_rms(psd_db[rows], f, centre)
        out[rows] += series * (scale[:, None] * env).astype(f32)[:, None, :]
    return out


def _spikes(noise: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> None:
    """Add ``counts[i]`` single/few-sample glitches to trace ``i`` of ``noise`` (in place)."""
    n = noise.shape[-1]
    for i in np.flatnonzero(counts > 0):
        rms = float(np.std(noise[i])) + 1.0
        for _ in range(int(counts[i])):
            k, comp = int(rng.integers(0, n - 3)), int(rng.integers(0, 3))
            shape = np.array([1.0, -0.6, 0.3])[: int(rng.integers(1, 4))]
            amp = rms * np.exp(rng.uniform(np.log(10.0), np.log(200.0))) * rng.choice([-1, 1])
            noise[i, comp, k : k + len(shape)] += (amp * shape).astype(f32)


def _background(par, f, nfft, n, fs, resp, anti_alias, rng) -> np.ndarray:
    """Counts ``(B, 3, n)`` of all background noise of a batch."""
    psd_db = _noise_psd_db(par, f)
    noise = _stationary_noise(psd_db, f, nfft, n, fs, resp, anti_alias, rng)
    t = np.arange(n, dtype=f32) / f32(fs)
    phase = 2 * np.pi * t[None, :] / par["modulation_s"].astype(f32)[:, None]
    phase += par["modulation_phase"].astype(f32)[:, None]
    noise *= (1.0 + par["modulation"].astype(f32)[:, None] * np.sin(phase))[:, None, :]
    noise += _transients(par, psd_db, f, nfft, n, fs, resp, anti_alias, rng)
    _spikes(noise, par["spike_count"], rng)
    noise += rng.normal(0.0, _DIGITISER_NOISE_COUNTS, noise.shape).astype(f32)
    return noise
