"""Flat-layered 1-D crust of the synthetic generator: velocities, first-arrival travel times
(direct rays and head waves) and geometric spreading."""

from __future__ import annotations

import numpy as np

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

    :param distance_km: Epicentral distance(s) in km.
    :param depth_km: Source depth(s) in km (at least 0.05 km is used).

    :return: Arrays ``p``, ``s`` (first-arrival times, s), ``p_phase``/``s_phase`` (e.g. ``"Pg"``,
        ``"Pn"``), ``ray_parameter`` (P, s/km), ``takeoff_deg`` (P take-off angle from the downward
        vertical), and the direct wave's ``p_direct``, ``ray_parameter_direct``,
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


def _spreading(r_km: np.ndarray, guided: bool) -> np.ndarray:
    """Geometric spreading (1/m): body waves 1/R; crustally guided S (Lg) 1/sqrt(R) beyond 70 km."""
    r = np.maximum(r_km, 1e-3)
    if not guided:
        return 1e-3 / r
    r0 = _SPREADING_CROSSOVER_KM
    return 1e-3 * np.where(r <= r0, 1.0 / r, (1.0 / r0) * np.sqrt(r0 / r))
