"""Reader of the original DiTing files: ``DiTing330km_part_{N}.csv`` (metadata, one row per trace)
and ``DiTing330km_part_{N}.hdf5`` (waveforms ``earthquake/<key>``, shape (9000, 3), ZNE, 50 Hz).

Every problem with a row or its waveform is reported as :py:class:`Skip` with the reason under
which the converter counts it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd

__all__ = [
    "COMPONENT_ORDER",
    "CSV_TEMPLATE",
    "HDF5_GROUP",
    "HDF5_TEMPLATE",
    "NPTS",
    "N_PARTS",
    "SAMPLING_RATE",
    "Skip",
    "count_lines",
    "find_parts",
    "iter_rows",
    "part_files",
    "read_header",
    "read_waveform",
]

N_PARTS = 28
NPTS = 9000
SAMPLING_RATE = 50
COMPONENT_ORDER = "ZNE"
CSV_TEMPLATE = "DiTing330km_part_{part}.csv"
HDF5_TEMPLATE = "DiTing330km_part_{part}.hdf5"
HDF5_GROUP = "earthquake"

_NA_STRINGS = {"", "nan", "na", "n/a", "none", "null", "<na>"}
_PART_PATTERN = re.compile(r"^DiTing330km_part_(\d+)\.(csv|hdf5)$")


class Skip(Exception):
    """A row is not converted, for ``reason`` (one of
    :py:data:`~seisbench_llm.data.diting.summary.SKIP_REASONS`).

    :param reason: The skip reason.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def part_files(src: Path, part: int) -> tuple[Path, Path]:
    """The CSV and HDF5 file of a part.

    :param src: Folder of the original files.
    :param part: Part number.
    :return: ``(csv path, hdf5 path)``; they may not exist.
    """
    return src / CSV_TEMPLATE.format(part=part), src / HDF5_TEMPLATE.format(part=part)


def find_parts(src: Path) -> list[int]:
    """Part numbers with a CSV or an HDF5 file in ``src``.

    :param src: Folder of the original files.
    :return: Sorted part numbers.
    """
    found = set()
    for entry in src.iterdir():
        match = _PART_PATTERN.match(entry.name)
        if match:
            found.add(int(match.group(1)))
    return sorted(found)


def count_lines(path: Path) -> int:
    """Data lines of a CSV (lines after the header), for the progress bar.

    :param path: CSV file.
    :return: Number of lines.
    """
    with open(path, "rb") as f:
        return max(sum(1 for _ in f) - 1, 0)


def read_header(path: Path) -> list[str] | None:
    """Column names of a CSV.

    :param path: CSV file.
    :return: Stripped names, or None if the file is empty or unreadable.
    """
    try:
        header = pd.read_csv(path, nrows=0, dtype=str, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
        return None
    return [str(c).strip() for c in header.columns]


def _clean(value: Any) -> str:
    """A CSV field as stripped text; missing values (NaN, "nan", "", ...) become ``""``."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    return "" if value.lower() in _NA_STRINGS else value


def iter_rows(path: Path, chunksize: int, bad_lines: list[int]) -> Iterator[dict[str, str]]:
    """Rows of one part CSV as ``{column: text}``, read in chunks; missing values are ``""``.

    :param path: CSV file.
    :param chunksize: Rows read at a time.
    :param bad_lines: Gets one entry per line with too many fields (such lines are not yielded).
    :return: Iterator over the rows.
    """

    def on_bad_line(line: list[str]) -> None:
        bad_lines.append(len(line))
        return None

    reader = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
        chunksize=chunksize,
        engine="python",
        on_bad_lines=on_bad_line,
    )
    with reader:
        for chunk in reader:
            columns = [str(c).strip() for c in chunk.columns]
            for values in chunk.itertuples(index=False, name=None):
                yield {
                    c: _clean(v)
                    for c, v in zip(columns, values, strict=True)
                    if not c.startswith("Unnamed:")
                }


def read_waveform(f_wave: h5py.File | None, key: str, raw_key: str) -> np.ndarray:
    """The waveform of a trace, transposed to (3, NPTS).

    :param f_wave: The part's open HDF5 file, None if it is missing or unreadable.
    :param key: Normalised trace key.
    :param raw_key: The key as written in the CSV (tried second).
    :return: Waveform (3, 9000).
    :raises Skip: ``missing_waveform_file``, ``missing_waveform``, ``bad_shape``,
                  ``unreadable_waveform`` or ``non_finite_waveform``.
    """
    if f_wave is None:
        raise Skip("missing_waveform_file")
    group = f_wave.get(HDF5_GROUP)
    dataset = None
    if isinstance(group, h5py.Group):
        for name in dict.fromkeys((key, raw_key)):
            candidate = group.get(name) if name else None
            if isinstance(candidate, h5py.Dataset):
                dataset = candidate
                break
    if dataset is None:
        raise Skip("missing_waveform")
    if dataset.shape != (NPTS, len(COMPONENT_ORDER)):
        raise Skip("bad_shape")
    try:
        data = dataset[()]
    except (OSError, ValueError):
        raise Skip("unreadable_waveform") from None
    if not np.issubdtype(data.dtype, np.number) or not np.all(np.isfinite(data)):
        raise Skip("non_finite_waveform")
    return np.ascontiguousarray(data.T)
