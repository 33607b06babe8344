"""DiTing's field values in SeisBench's terms: trace keys, magnitudes as ML, polarity, clarity."""

from __future__ import annotations

from typing import Any

__all__ = ["diting_clarity", "diting_magnitude_to_ml", "diting_polarity", "normalize_diting_key"]

#: DiTing magnitude types (upper case) and their usual spelling.
MAGNITUDE_TYPES = {"ML": "ML", "MS": "Ms", "MB": "mb"}
_POLARITY = {"U": "U", "C": "U", "R": "D", "D": "D"}
_CLARITY = {"I": "impulsive", "E": "emergent"}


def normalize_diting_key(key: Any) -> str:
    """The canonical DiTing trace key ``"NNNNNN.MMMM"`` (6-digit event, 4-digit station).

    Keys read as numbers lose their zeros (``000001.0010`` -> ``1.001``): the event part is padded
    on the left, the station part on the right.

    :param key: Key as found in the CSV (str, or a number).
    :return: Normalised key.
    :raises ValueError: If the key is not of the form ``digits[.digits]``.
    """
    text = str(key).strip()
    event, _, station = text.partition(".")
    if len(station) > 4 and set(station[4:]) <= {"0"}:
        station = station[:4]
    if (
        not event.isdigit()
        or len(event) > 6
        or (station and not station.isdigit())
        or len(station) > 4
    ):
        raise ValueError(f"not a DiTing key: {key!r}")
    return event.rjust(6, "0") + "." + station.ljust(4, "0")


def is_known_magnitude_type(magnitude_type: str) -> bool:
    """Whether :py:func:`diting_magnitude_to_ml` converts this type.

    :param magnitude_type: DiTing magnitude type (any case).
    :return: True for ML, Ms and mb.
    """
    return str(magnitude_type).strip().upper() in MAGNITUDE_TYPES


def diting_magnitude_to_ml(magnitude: float, magnitude_type: str, clip: bool = True) -> float:
    """Convert a DiTing magnitude to ML, clipped to ``[0, 8]``.

    ``Ms -> (Ms + 1.08) / 1.13``, ``mb -> (1.17 mb + 0.67) / 1.13``, ML unchanged. The type is
    matched case-insensitively.

    :param magnitude: Magnitude value.
    :param magnitude_type: ``"ML"``, ``"Ms"`` or ``"mb"``.
    :param clip: Clip the result to ``[0, 8]``.
    :return: Magnitude as ML.
    :raises ValueError: For any other magnitude type.
    """
    kind = MAGNITUDE_TYPES.get(str(magnitude_type).strip().upper())
    if kind == "Ms":
        value = (magnitude + 1.08) / 1.13
    elif kind == "mb":
        value = (1.17 * magnitude + 0.67) / 1.13
    elif kind == "ML":
        value = float(magnitude)
    else:
        raise ValueError(f"unknown DiTing magnitude type {magnitude_type!r}")
    return float(min(max(value, 0.0), 8.0)) if clip else float(value)


def diting_polarity(p_motion: Any) -> str:
    """First-motion polarity from DiTing's ``p_motion``: U or C -> ``"U"``, R or D -> ``"D"``.

    :param p_motion: DiTing value (case-insensitive).
    :return: ``"U"``, ``"D"``, or ``""`` when unknown (``n``, empty, anything else).
    """
    if not isinstance(p_motion, str):
        return ""
    return _POLARITY.get(p_motion.strip().upper(), "")


def diting_clarity(p_clarity: str) -> str:
    """Onset clarity from DiTing's ``p_clarity``: I -> ``"impulsive"``, E -> ``"emergent"``.

    :param p_clarity: DiTing value (case-insensitive).
    :return: The clarity, or ``""`` when unknown.
    """
    return _CLARITY.get(p_clarity.upper(), "")
