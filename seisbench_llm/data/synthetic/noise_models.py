"""Peterson's (1993) New Low and New High Noise Models (NLNM, NHNM) of seismic background noise.

Peterson, J. (1993): Observations and modeling of seismic background noise, USGS Open-File
Report 93-322. Each model is a piecewise-linear function of log10(period): between the periods
``P_i`` and ``P_{i+1}`` of its table the acceleration power spectral density is
``A_i + B_i log10(P)`` in dB relative to 1 (m/s^2)^2/Hz. The tables start at 0.1 s; above 10 Hz
the first segment is extended (a common convention for short-period stations).
"""

from __future__ import annotations

import numpy as np

#: NLNM: period (s), A, B (Peterson 1993, table 3). The last period only closes the table.
NLNM = np.array(
    [
        [0.10, -162.36, 5.64],
        [0.17, -166.70, 0.00],
        [0.40, -170.00, -8.30],
        [0.80, -166.40, 28.90],
        [1.24, -168.60, 52.48],
        [2.40, -159.98, 29.81],
        [4.30, -141.10, 0.00],
        [5.00, -71.36, -99.77],
        [6.00, -97.26, -66.49],
        [10.00, -132.18, -31.57],
        [12.00, -205.27, 36.16],
        [15.60, -37.65, -104.33],
        [21.90, -114.37, -47.10],
        [31.60, -160.58, -16.28],
        [45.00, -187.50, 0.00],
        [70.00, -216.47, 15.70],
        [101.00, -185.00, 0.00],
        [154.00, -168.34, -7.61],
        [328.00, -217.43, 11.90],
        [600.00, -258.28, 26.60],
        [10000.00, -346.88, 48.75],
        [100000.00, np.nan, np.nan],
    ]
)
#: NHNM: period (s), A, B (Peterson 1993, table 4).
NHNM = np.array(
    [
        [0.10, -108.73, -17.23],
        [0.22, -150.34, -80.50],
        [0.32, -122.31, -23.87],
        [0.80, -116.85, 32.51],
        [3.80, -108.48, 18.08],
        [4.60, -74.66, -32.95],
        [6.30, 0.66, -127.18],
        [7.90, -93.37, -22.42],
        [15.40, 73.54, -162.98],
        [20.00, -151.52, 10.01],
        [354.80, -206.66, 31.63],
        [100000.00, np.nan, np.nan],
    ]
)
_MODELS = {"nlnm": NLNM, "nhnm": NHNM}


def noise_model_db(frequency_hz: np.ndarray | float, model: str) -> np.ndarray:
    """Acceleration PSD of a Peterson noise model in dB re 1 (m/s^2)^2/Hz.

    :param frequency_hz: Frequencies (Hz, > 0); periods beyond 1e5 s use the last segment,
        frequencies above 10 Hz the first one.
    :param model: ``"nlnm"`` (New Low Noise Model) or ``"nhnm"`` (New High Noise Model).
    :return: The PSD (dB) at each frequency.
    """
    try:
        table = _MODELS[model.lower()]
    except KeyError:
        raise ValueError(f"Unknown noise model {model!r}, choose from {sorted(_MODELS)}") from None
    period = 1.0 / np.maximum(np.asarray(frequency_hz, dtype=float), 1e-12)
    segment = np.clip(np.searchsorted(table[:, 0], period, side="right") - 1, 0, len(table) - 2)
    return table[segment, 1] + table[segment, 2] * np.log10(period)
