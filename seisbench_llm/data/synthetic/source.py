"""Double-couple radiation pattern of the synthetic sources (its P sign is the first-motion
polarity)."""

from __future__ import annotations

import numpy as np


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
