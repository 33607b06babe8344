"""Recording instruments of the synthetic stations: sensor response, sensitivity in counts,
SEED channel codes and the digitiser (integer counts, clipping at full scale)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Instrument:
    """A sensor + digitiser type.

    :param name: Name stored in ``station_instrument``.
    :param corner_hz: Natural frequency of the (velocity) sensor; 0 for an accelerometer.
    :param damping: Damping of the sensor (fraction of critical).
    :param measurement: ``"velocity"`` or ``"acceleration"``: what the counts are proportional to
        in the flat band.
    :param sensitivity: Median sensitivity, counts per m/s (velocity) or per m/s^2 (acceleration).
    :param instrument_code: SEED instrument code: ``H`` high-gain seismometer, ``N`` accelerometer.
    """

    name: str
    corner_hz: float
    damping: float
    measurement: str
    sensitivity: float
    instrument_code: str

    @property
    def long_period(self) -> bool:
        """Corner period of 10 s or longer (SEED broadband band codes)."""
        return self.corner_hz <= 0.1


#: Instrument types: a 120 s broadband seismometer, 1 Hz and 4.5 Hz geophones and a force-balance
#: accelerometer. Sensitivities: sensor generator constants of common models (about 1500 V/(m/s)
#: for a broadband, 170-280 V/(m/s) for a 1 Hz and ~30 V/(m/s) for a 4.5 Hz geophone, with
#: pre-amplification, ~1 V/(m/s^2) for an accelerometer) times a 24-bit digitiser's ~4e5 counts/V.
INSTRUMENTS: dict[str, Instrument] = {
    i.name: i
    for i in (
        Instrument("broadband", 1.0 / 120.0, 0.707, "velocity", 6.0e8, "H"),
        Instrument("short_period", 1.0, 0.7, "velocity", 3.0e8, "H"),
        Instrument("geophone", 4.5, 0.6, "velocity", 1.0e8, "H"),
        Instrument("accelerometer", 0.0, 0.0, "acceleration", 4.0e5, "N"),
    )
}
INSTRUMENT_NAMES = tuple(INSTRUMENTS)
#: Digitiser full scale (counts): 24-bit, or 16-bit for older stations.
FULL_SCALE_BITS = (24, 16)


def channel_code(instrument: str, sampling_rate: float) -> str:
    """SEED band + instrument code (e.g. ``HH``, ``BH``, ``EH``, ``SH``, ``HN``, ``BN``).

    The band code follows the sampling rate (>= 80 Hz or 10-80 Hz) and the corner period
    (>= 10 s: ``H``/``B``; short period: ``E``/``S``; accelerometers count as broadband).
    """
    ins = INSTRUMENTS[instrument]
    broad = ins.long_period or ins.measurement == "acceleration"
    if sampling_rate >= 80:
        band = "H" if broad else "E"
    else:
        band = "B" if broad else "S"
    return band + ins.instrument_code


def _response(f: np.ndarray, instrument: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Counts per nm/s of ground velocity, ``(B, F)`` complex, for instrument indices ``(B,)``.

    Seismometers: second-order high-pass ``-x^2 / (1 - x^2 + 2 i h x)`` (``x = f/f0``, flat above
    ``f0``) times the gain; accelerometers: ``i 2 pi f`` (velocity to acceleration) times the gain.
    """
    out = np.empty((len(instrument), len(f)), dtype=np.complex64)
    for k, ins in enumerate(INSTRUMENTS.values()):
        rows = np.flatnonzero(instrument == k)
        if len(rows) == 0:
            continue
        if ins.measurement == "acceleration":
            h = 2j * np.pi * f
        else:
            x = f / ins.corner_hz
            h = -(x**2) / (1.0 - x**2 + 2j * ins.damping * x)
        out[rows] = (1e-9 * gain[rows, None]) * h[None, :]
    return out


def _digitise(counts: np.ndarray, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Round to integer counts and clip at the digitiser's full scale ``[-2^(b-1), 2^(b-1) - 1]``.

    :return: The digitised traces (float32, integer values) and per trace whether any sample
        sits at full scale.
    """
    top = (2.0 ** (bits - 1)).astype(np.float32)[:, None, None]
    out = np.clip(np.rint(counts), -top, top - 1)
    clipped = np.any((out <= -top) | (out >= top - 1), axis=(1, 2))
    return out.astype(np.float32), clipped
