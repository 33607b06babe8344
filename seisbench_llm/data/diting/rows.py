"""Row validation: one row of a DiTing CSV to one SeisBench metadata row (or a skip reason)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from seisbench_llm.data.diting.source import NPTS, SAMPLING_RATE, Skip
from seisbench_llm.data.diting.splits import split_code
from seisbench_llm.data.diting.values import (
    diting_clarity,
    diting_magnitude_to_ml,
    diting_polarity,
    is_known_magnitude_type,
    normalize_diting_key,
)

__all__ = ["LIGHT_REQUIRED_COLUMNS", "light_columns", "output_columns", "row_metadata"]

#: Columns a row needs (besides ``key``) to be part of DiTing-light. Every other column of the CSV
#: (SNRs, residuals, ...) must be filled too.
LIGHT_REQUIRED_COLUMNS = (
    "ev_id",
    "evmag",
    "mag_type",
    "p_pick",
    "p_clarity",
    "p_motion",
    "s_pick",
    "net",
    "sta_id",
    "dis",
    "st_mag",
    "baz",
)

_NUMERIC_COLUMNS = ("evmag", "p_pick", "s_pick", "dis", "st_mag", "baz", "P_residual", "S_residual")
_SNR_PATTERN = re.compile(r"^[ZNE]_[PS]_(amplitude|power)_snr$", re.IGNORECASE)
_KNOWN_COLUMNS = {"part", "key", "p_motion", "p_clarity", "mag_type", "ev_id", "net", "sta_id"}
_KNOWN_COLUMNS.update(_NUMERIC_COLUMNS)

#: Metadata columns always written, in order (SNR and extra source columns follow, then split).
BASE_COLUMNS = (
    "trace_name",
    "trace_name_original",
    "trace_diting_key",
    "trace_part",
    "trace_sampling_rate_hz",
    "trace_npts",
    "trace_p_arrival_sample",
    "trace_s_arrival_sample",
    "trace_polarity",
    "trace_p_motion_original",
    "trace_p_clarity",
    "trace_p_residual",
    "trace_s_residual",
    "trace_diting_light",
    "source_id",
    "source_magnitude",
    "source_magnitude_type",
    "source_magnitude_original",
    "source_magnitude_type_original",
    "source_distance_km",
    "path_back_azimuth_deg",
    "station_network_code",
    "station_code",
    "station_magnitude",
    "station_magnitude_original",
)


def output_columns(headers: Sequence[Sequence[str]], split_column: str | None) -> list[str]:
    """Metadata columns for CSVs with these headers: base, ``trace_<SNR>``, ``diting_<other>``.

    :param headers: Column names of every CSV converted.
    :param split_column: CSV column holding the split (not copied), or None.
    :return: Column names in order.
    """
    snrs: dict[str, None] = {}
    extras: dict[str, None] = {}
    for columns in headers:
        for column in columns:
            if not column or column.startswith("Unnamed:") or column == split_column:
                continue
            if _SNR_PATTERN.match(column):
                snrs[f"trace_{column}"] = None
            elif column not in _KNOWN_COLUMNS:
                extras[f"diting_{column}"] = None
    return [*BASE_COLUMNS, *snrs, *extras]


def light_columns(columns: Sequence[str], split_column: str | None) -> list[str]:
    """Columns a row must fill to be part of DiTing-light: every column of its CSV (but the index
    and the split) and :py:data:`LIGHT_REQUIRED_COLUMNS`, also where the CSV lacks them.

    :param columns: Column names of the CSV.
    :param split_column: CSV column holding the split, or None.
    :return: Column names.
    """
    present = [c for c in columns if c and not c.startswith("Unnamed:") and c != split_column]
    return list(dict.fromkeys([*present, *LIGHT_REQUIRED_COLUMNS]))


def _number(fields: dict[str, str], column: str) -> float | None:
    """A numeric field.

    :param fields: The row.
    :param column: Column name.
    :return: The value, None if empty or absent.
    :raises Skip: ``corrupt_row`` for text that is not a finite number.
    """
    text = fields.get(column, "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise Skip("corrupt_row") from None
    if not math.isfinite(value):
        raise Skip("corrupt_row")
    return value


def _picks_ok(p_pick: float | None, s_pick: float | None) -> bool:
    """Picks inside the trace (``0 < pick < 9000``) and P before S, where given."""
    if not all(p is None or 0 < p < NPTS for p in (p_pick, s_pick)):
        return False
    return p_pick is None or s_pick is None or p_pick < s_pick


def _magnitudes(
    numbers: dict[str, float | None], mag_type: str
) -> tuple[float | None, float | None, list[str]]:
    """Event and station magnitude as ML, and notes (``magnitude_clipped``,
    ``unknown_magnitude_type``)."""
    magnitude = station_magnitude = None
    notes = []
    if is_known_magnitude_type(mag_type):
        if numbers["evmag"] is not None:
            magnitude = diting_magnitude_to_ml(numbers["evmag"], mag_type)
            if magnitude != diting_magnitude_to_ml(numbers["evmag"], mag_type, clip=False):
                notes.append("magnitude_clipped")
        if numbers["st_mag"] is not None:
            station_magnitude = diting_magnitude_to_ml(numbers["st_mag"], mag_type)
    elif mag_type or numbers["evmag"] is not None:
        notes.append("unknown_magnitude_type")
    return magnitude, station_magnitude, notes


def _light_reason(
    fields: dict[str, str], required: Sequence[str], polarity: str, mag_type: str, picks_ok: bool
) -> str | None:
    """Why a row is not part of DiTing-light (a skip reason), None if it is."""
    if any(not fields.get(c) for c in required):
        return "missing_fields"
    if not polarity:
        return "unknown_polarity"
    if not is_known_magnitude_type(mag_type):
        return "unknown_magnitude_type"
    if not picks_ok:
        return "bad_picks"
    return None


def _event_id(fields: dict[str, str], key: str) -> str:
    """``ev_id`` without a float's ``.0``; the key's event part where it is empty."""
    event_id = fields.get("ev_id", "")
    if re.fullmatch(r"\d+\.0*", event_id):
        event_id = event_id.split(".")[0]
    return event_id or str(int(key.split(".")[0]))


def row_metadata(
    fields: dict[str, str], part: int, required: Sequence[str], split_column: str | None
) -> tuple[dict[str, Any], int | None, str | None, bool, list[str]]:
    """Metadata of one CSV row.

    :param fields: The row (:py:func:`~seisbench_llm.data.diting.source.iter_rows`).
    :param part: Its part number.
    :param required: Columns it must fill for DiTing-light (:py:func:`light_columns`).
    :param split_column: CSV column holding the split, or None.
    :return: ``(metadata, split code or None, reason it fails DiTing-light or None, whether its
             picks are consistent, notes)``.
    :raises Skip: ``corrupt_row`` (bad key or number) or ``invalid_split``.
    """
    try:
        key = normalize_diting_key(fields.get("key", ""))
    except ValueError:
        raise Skip("corrupt_row") from None
    numbers = {c: _number(fields, c) for c in _NUMERIC_COLUMNS}
    snrs = {c: _number(fields, c) for c in fields if _SNR_PATTERN.match(c)}
    split = None if split_column is None else split_code(fields.get(split_column, ""))
    picks_ok = _picks_ok(numbers["p_pick"], numbers["s_pick"])
    polarity = diting_polarity(fields.get("p_motion", ""))
    mag_type = fields.get("mag_type", "")
    magnitude, station_magnitude, notes = _magnitudes(numbers, mag_type)
    light_reason = _light_reason(fields, required, polarity, mag_type, picks_ok)
    baz = numbers["baz"]
    metadata: dict[str, Any] = {
        "trace_name": key,
        "trace_name_original": key,
        "trace_diting_key": key,
        "trace_part": part,
        "trace_sampling_rate_hz": float(SAMPLING_RATE),
        "trace_npts": NPTS,
        "trace_p_arrival_sample": numbers["p_pick"],
        "trace_s_arrival_sample": numbers["s_pick"],
        "trace_polarity": polarity,
        "trace_p_motion_original": fields.get("p_motion", ""),
        "trace_p_clarity": diting_clarity(fields.get("p_clarity", "")),
        "trace_p_residual": numbers["P_residual"],
        "trace_s_residual": numbers["S_residual"],
        "trace_diting_light": light_reason is None,
        "source_id": _event_id(fields, key),
        "source_magnitude": magnitude,
        "source_magnitude_type": "ML" if magnitude is not None else "",
        "source_magnitude_original": numbers["evmag"],
        "source_magnitude_type_original": mag_type,
        "source_distance_km": numbers["dis"],
        "path_back_azimuth_deg": None if baz is None else baz % 360.0,
        "station_network_code": fields.get("net", ""),
        "station_code": fields.get("sta_id", ""),
        "station_magnitude": station_magnitude,
        "station_magnitude_original": numbers["st_mag"],
    }
    for column, value in snrs.items():
        metadata[f"trace_{column}"] = value
    for column, value in fields.items():
        if column not in _KNOWN_COLUMNS and column not in snrs and column != split_column:
            metadata[f"diting_{column}"] = value
    return metadata, split, light_reason, picks_ok, notes
