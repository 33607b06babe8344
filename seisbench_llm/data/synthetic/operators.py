"""Frequency-domain operators of the synthetic traces: FFT length, causal attenuation and
anti-alias filters, site resonance and random phases."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.fft

from seisbench_llm.data.synthetic.earth import _Q_ETA


@lru_cache(maxsize=32)
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


def _nfft(n_samples: int, sampling_rate: float) -> int:
    """FFT length with >= 12 s of zero padding, so that no phase tail wraps around."""
    n = scipy.fft.next_fast_len(int(n_samples + 12 * sampling_rate), real=True)
    return n + (n % 2)


def _random_phase(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Unit-modulus random spectrum (16-bit phases) scaled to ``E|X|^2 = 2`` like a complex
    Gaussian; its inverse FFT is Gaussian noise by the central limit theorem."""
    idx = np.frombuffer(rng.bytes(2 * int(np.prod(shape))), dtype="<u2")  # platform-independent
    return _phase_table()[idx].reshape(shape)
