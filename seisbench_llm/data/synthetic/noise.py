"""Coloured background noise of the synthetic traces (microseisms, high-frequency part, hum)."""

from __future__ import annotations

import numpy as np

from seisbench_llm.data.synthetic.operators import _random_phase


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
