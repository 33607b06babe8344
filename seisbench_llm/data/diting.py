"""DiTing (China Earthquake Networks Center): conversion to SeisBench format and a dataset class.

DiTing is not publicly downloadable, so SeisBench has no class for it. Whoever has the original
files (``DiTing330km_part_{0..27}.csv`` / ``.hdf5``) converts them once with
:py:func:`convert_diting` (or ``seisbench-llm convert-diting SRC DST``) and then reads them with
:py:class:`DiTing`, a regular :py:class:`seisbench.data.WaveformDataset`.

The converter streams: one part at a time, the CSV in chunks, each waveform read on its own with
h5py. Every source row is either written or counted under a skip reason
(:py:class:`DiTingConversionSummary`).
"""

from __future__ import annotations

import csv
import math
import os
import re
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import h5py
import numpy as np
import pandas as pd
import seisbench
from seisbench.data import WaveformDataset, WaveformDataWriter
from tqdm.auto import tqdm

N_PARTS = 28
NPTS = 9000
SAMPLING_RATE = 50
COMPONENT_ORDER = "ZNE"
CSV_TEMPLATE = "DiTing330km_part_{part}.csv"
HDF5_TEMPLATE = "DiTing330km_part_{part}.hdf5"
HDF5_GROUP = "earthquake"

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

#: Skip reasons, in the order the checks run (a skipped row is counted under its first failure).
SKIP_REASONS = (
    "corrupt_row",
    "invalid_split",
    "duplicate_key",
    "missing_fields",
    "unknown_polarity",
    "unknown_magnitude_type",
    "bad_picks",
    "missing_waveform_file",
    "missing_waveform",
    "bad_shape",
    "unreadable_waveform",
    "non_finite_waveform",
)

_NA_STRINGS = {"", "nan", "na", "n/a", "none", "null", "<na>"}
_NUMERIC_COLUMNS = ("evmag", "p_pick", "s_pick", "dis", "st_mag", "baz", "P_residual", "S_residual")
_SNR_PATTERN = re.compile(r"^[ZNE]_[PS]_(amplitude|power)_snr$", re.IGNORECASE)
_KNOWN_COLUMNS = {"part", "key", "p_motion", "p_clarity", "mag_type", "ev_id", "net", "sta_id"}
_KNOWN_COLUMNS.update(_NUMERIC_COLUMNS)
_POLARITY = {"U": "U", "C": "U", "R": "D", "D": "D"}
_CLARITY = {"I": "impulsive", "E": "emergent"}
_MAG_TYPES = {"ML": "ML", "MS": "Ms", "MB": "mb"}
_SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "dev": "dev",
    "val": "dev",
    "valid": "dev",
    "validation": "dev",
    "test": "test",
    "testing": "test",
}

_CITATION = (
    "Zhao, M., Xiao, Z., Chen, S., & Fang, L. (2023). DiTing: A large-scale Chinese seismic "
    "benchmark dataset for artificial intelligence in seismology. Earthquake Science, 36(2), "
    "84-94. https://doi.org/10.1016/j.eqs.2022.01.022"
)
_LICENSE = (
    "Not public: distributed on application by the China Earthquake Networks Center (CENC). "
    "Check your data agreement before sharing converted copies."
)


class DiTingNotFoundError(FileNotFoundError):
    """No converted DiTing dataset at the expected place (DiTing cannot be downloaded)."""


class _Skip(Exception):
    """Internal: a row is skipped for ``reason``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class DiTingConversionSummary:
    """What :py:func:`convert_diting` did. ``read == written + sum(skipped.values())`` always.

    :param source: Folder of the original DiTing files.
    :param destination: Folder of the SeisBench dataset.
    :param light: Whether the DiTing-light selection was applied.
    :param parts: Part numbers whose CSV was read.
    :param missing_parts: Problems with part files, ``{part: description}``.
    :param read: Source rows read (including corrupt lines).
    :param written: Traces written.
    :param skipped: Skipped rows per reason (see :py:data:`SKIP_REASONS`).
    :param splits: Written traces per split.
    :param notes: Counts about written traces worth knowing (unknown magnitude type, clipped
                  magnitude).
    """

    source: Path
    destination: Path
    light: bool
    parts: list[int] = field(default_factory=list)
    missing_parts: dict[int, str] = field(default_factory=dict)
    read: int = 0
    written: int = 0
    skipped: Counter = field(default_factory=Counter)
    splits: dict[str, int] = field(default_factory=dict)
    notes: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain Python types (JSON-serialisable)."""
        return {
            "source": str(self.source),
            "destination": str(self.destination),
            "light": self.light,
            "parts": list(self.parts),
            "missing_parts": {int(k): v for k, v in sorted(self.missing_parts.items())},
            "read": self.read,
            "written": self.written,
            "skipped": {k: int(v) for k, v in self.skipped.items()},
            "splits": dict(self.splits),
            "notes": {k: int(v) for k, v in self.notes.items()},
        }

    def __str__(self) -> str:
        kind = "DiTing-light" if self.light else "DiTing"
        lines = [
            f"{kind} conversion: {self.source} -> {self.destination}",
            f"  parts read:    {_ranges(self.parts) or 'none'}",
        ]
        if self.missing_parts:
            by_problem: dict[str, list[int]] = {}
            for part, problem in sorted(self.missing_parts.items()):
                by_problem.setdefault(problem, []).append(part)
            for problem, parts in by_problem.items():
                lines.append(f"  parts {_ranges(parts)}: {problem}")
        lines.append(f"  rows read:     {self.read}")
        lines.append(f"  written:       {self.written}")
        lines.append(f"  skipped:       {sum(self.skipped.values())}")
        for reason in SKIP_REASONS:
            if self.skipped.get(reason):
                lines.append(f"    {reason:<24} {self.skipped[reason]}")
        if self.splits:
            lines.append(
                "  splits:        " + ", ".join(f"{k} {v}" for k, v in self.splits.items())
            )
        for note, count in sorted(self.notes.items()):
            lines.append(f"  note: {note} {count}")
        return "\n".join(lines)


def _ranges(numbers: Sequence[int]) -> str:
    """Compact text of sorted integers: ``[0, 1, 2, 5]`` -> ``"0-2, 5"``."""
    out: list[str] = []
    values = sorted(numbers)
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        out.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ", ".join(out)


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
    kind = _MAG_TYPES.get(str(magnitude_type).strip().upper())
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


def default_diting_path(light: bool = False) -> Path:
    """Folder of the converted DiTing dataset in the SeisBench cache.

    :param light: DiTing-light (``<cache>/datasets/diting_light``) instead of the full set
                  (``<cache>/datasets/diting``).
    :return: The folder (it may not exist).
    """
    return Path(seisbench.cache_data_root) / ("diting_light" if light else "diting")


def _clean(value: Any) -> str:
    """A CSV field as stripped text; missing values (NaN, "nan", "", ...) become ``""``."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    return "" if value.lower() in _NA_STRINGS else value


def _number(fields: dict[str, str], column: str) -> float | None:
    """Parse a numeric field; None if empty or absent; raises ``_Skip("corrupt_row")``."""
    text = fields.get(column, "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _Skip("corrupt_row") from None
    if not math.isfinite(value):
        raise _Skip("corrupt_row")
    return value


def _part_files(src: Path, part: int) -> tuple[Path, Path]:
    return src / CSV_TEMPLATE.format(part=part), src / HDF5_TEMPLATE.format(part=part)


def _find_parts(src: Path) -> list[int]:
    pattern = re.compile(r"^DiTing330km_part_(\d+)\.(csv|hdf5)$")
    found = set()
    for entry in src.iterdir():
        match = pattern.match(entry.name)
        if match:
            found.add(int(match.group(1)))
    return sorted(found)


def _count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return max(sum(1 for _ in f) - 1, 0)


def _read_header(path: Path) -> list[str] | None:
    """Column names of a CSV, None if it is empty or unreadable."""
    try:
        header = pd.read_csv(path, nrows=0, dtype=str, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
        return None
    return [str(c).strip() for c in header.columns]


def _iter_rows(path: Path, chunksize: int, bad_lines: list[int]) -> Iterator[dict[str, str]]:
    """Rows of one part CSV as ``{column: text}``, read in chunks.

    Lines with too many fields are not yielded; ``bad_lines`` gets one entry per such line.
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


#: Metadata columns always written, in order (SNR and extra source columns follow, then split).
_BASE_COLUMNS = (
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
_SPLITS = ("train", "dev", "test")


def _output_columns(headers: Sequence[Sequence[str]], split_column: str | None) -> list[str]:
    """Metadata columns for CSVs with these headers: base, ``trace_<SNR>``, ``diting_<other>``."""
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
    return [*_BASE_COLUMNS, *snrs, *extras]


def _row_metadata(
    fields: dict[str, str], part: int, light_columns: Sequence[str], split_column: str | None
) -> tuple[dict[str, Any], int | None, str | None, bool, list[str]]:
    """Metadata of one row, its split code (if ``split_column``), the reason it fails
    DiTing-light (None if it passes), whether its picks are consistent, and notes.

    Raises ``_Skip`` for corrupt rows and invalid split values.
    """
    try:
        key = normalize_diting_key(fields.get("key", ""))
    except ValueError:
        raise _Skip("corrupt_row") from None
    numbers = {c: _number(fields, c) for c in _NUMERIC_COLUMNS}
    snrs = {c: _number(fields, c) for c in fields if _SNR_PATTERN.match(c)}

    split = None
    if split_column is not None:
        name = _SPLIT_NAMES.get(fields.get(split_column, "").lower())
        if name is None:
            raise _Skip("invalid_split")
        split = _SPLITS.index(name)

    p_pick, s_pick = numbers["p_pick"], numbers["s_pick"]
    picks_ok = all(p is None or 0 < p < NPTS for p in (p_pick, s_pick))
    if p_pick is not None and s_pick is not None and not p_pick < s_pick:
        picks_ok = False

    polarity = diting_polarity(fields.get("p_motion", ""))
    mag_type = fields.get("mag_type", "")
    mag_known = mag_type.upper() in _MAG_TYPES
    notes = []
    magnitude = station_magnitude = None
    if mag_known:
        if numbers["evmag"] is not None:
            magnitude = diting_magnitude_to_ml(numbers["evmag"], mag_type)
            if magnitude != diting_magnitude_to_ml(numbers["evmag"], mag_type, clip=False):
                notes.append("magnitude_clipped")
        if numbers["st_mag"] is not None:
            station_magnitude = diting_magnitude_to_ml(numbers["st_mag"], mag_type)
    elif mag_type or numbers["evmag"] is not None:
        notes.append("unknown_magnitude_type")

    light_reason = None
    if any(not fields.get(c) for c in light_columns):
        light_reason = "missing_fields"
    elif not polarity:
        light_reason = "unknown_polarity"
    elif not mag_known:
        light_reason = "unknown_magnitude_type"
    elif not picks_ok:
        light_reason = "bad_picks"

    event_id = fields.get("ev_id", "")
    if re.fullmatch(r"\d+\.0*", event_id):
        event_id = event_id.split(".")[0]
    if not event_id:
        event_id = str(int(key.split(".")[0]))

    baz = numbers["baz"]
    metadata: dict[str, Any] = {
        "trace_name": key,
        "trace_name_original": key,
        "trace_diting_key": key,
        "trace_part": part,
        "trace_sampling_rate_hz": float(SAMPLING_RATE),
        "trace_npts": NPTS,
        "trace_p_arrival_sample": p_pick,
        "trace_s_arrival_sample": s_pick,
        "trace_polarity": polarity,
        "trace_p_motion_original": fields.get("p_motion", ""),
        "trace_p_clarity": _CLARITY.get(fields.get("p_clarity", "").upper(), ""),
        "trace_p_residual": numbers["P_residual"],
        "trace_s_residual": numbers["S_residual"],
        "trace_diting_light": light_reason is None,
        "source_id": event_id,
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


def _read_waveform(f_wave: h5py.File | None, key: str, raw_key: str) -> np.ndarray:
    """The (3, NPTS) waveform of ``key``; raises ``_Skip`` with the reason when unusable."""
    if f_wave is None:
        raise _Skip("missing_waveform_file")
    group = f_wave.get(HDF5_GROUP)
    dataset = None
    if isinstance(group, h5py.Group):
        for name in dict.fromkeys((key, raw_key)):
            candidate = group.get(name) if name else None
            if isinstance(candidate, h5py.Dataset):
                dataset = candidate
                break
    if dataset is None:
        raise _Skip("missing_waveform")
    if dataset.shape != (NPTS, len(COMPONENT_ORDER)):
        raise _Skip("bad_shape")
    try:
        data = dataset[()]
    except (OSError, ValueError):
        raise _Skip("unreadable_waveform") from None
    if not np.issubdtype(data.dtype, np.number) or not np.all(np.isfinite(data)):
        raise _Skip("non_finite_waveform")
    return np.ascontiguousarray(data.T)


class _Output:
    """Where converted traces go: waveforms to the SeisBench writer (which keeps only a small
    dict per trace in memory), metadata rows straight to a CSV file."""

    def __init__(self, writer: WaveformDataWriter, rows_file: Any, columns: Sequence[str]):
        self.writer = writer
        self.rows = csv.DictWriter(rows_file, fieldnames=columns, extrasaction="raise")
        self.rows.writeheader()
        self.event_index: dict[str, int] = {}
        self.events = array("q")  # event number of each written trace, in order of appearance
        self.splits = bytearray()  # split code of each written trace (with split_column only)

    def add(self, metadata: dict[str, Any], waveform: np.ndarray, split: int | None) -> None:
        self.writer.add_trace({"trace_name": metadata["trace_diting_key"]}, waveform)
        self.rows.writerow(metadata)
        event = self.event_index.setdefault(metadata["source_id"], len(self.event_index))
        self.events.append(event)
        if split is not None:
            self.splits.append(split)


def _split_counts(n: int, fractions: Sequence[float]) -> tuple[int, int]:
    n_train = math.floor(fractions[0] * n + 1e-9)
    n_dev = math.floor(fractions[1] * n + 1e-9)
    return n_train, n_dev


def random_splits(groups: np.ndarray, fractions: Sequence[float], seed: int) -> np.ndarray:
    """Split codes (0 train, 1 dev, 2 test) for traces in groups ``0..G-1``.

    The groups are shuffled as ``pandas.DataFrame.sample(frac=1, random_state=seed)`` does (the
    shuffle of SeisT); the first ``floor(f_train * G)`` groups are train, the next
    ``floor(f_dev * G)`` dev, the rest test.
    """
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    order = np.random.RandomState(seed).choice(n_groups, size=n_groups, replace=False)
    n_train, n_dev = _split_counts(n_groups, fractions)
    codes = np.full(n_groups, 2, dtype=np.uint8)
    codes[order[:n_train]] = 0
    codes[order[n_train : n_train + n_dev]] = 1
    return codes[groups]


def _merge_metadata(names_csv: Path, rows_csv: Path, out_csv: Path, splits: np.ndarray) -> None:
    """Write the final metadata: the rows, with the writer's ``trace_name`` and the split.

    Both inputs list the written traces in the same order; they are read line by line.
    """
    with (
        open(names_csv, newline="") as f_names,
        open(rows_csv, newline="") as f_rows,
        open(out_csv, "w", newline="") as f_out,
    ):
        names, rows, out = csv.reader(f_names), csv.reader(f_rows), csv.writer(f_out)
        name_column = next(names).index("trace_name")
        header = next(rows)
        trace_name = header.index("trace_name")
        out.writerow([*header, "split"])
        for i, (name_row, row) in enumerate(zip(names, rows, strict=True)):
            row[trace_name] = name_row[name_column]
            out.writerow([*row, _SPLITS[splits[i]]])


def convert_diting(
    src: str | Path,
    dst: str | Path | None = None,
    light: bool = False,
    split_fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    split_by: Literal["trace", "event"] = "trace",
    split_column: str | None = None,
    parts: Sequence[int] | None = None,
    overwrite: bool = False,
    chunksize: int = 10000,
    progress: bool = True,
    verbose: bool = True,
) -> DiTingConversionSummary:
    """Convert the original DiTing files into a SeisBench dataset (``metadata.csv`` +
    ``waveforms.hdf5``, components ZNE, dimension order CW, 50 Hz).

    Streams part by part and row by row; each waveform ``earthquake/<key>`` (9000, 3) is read on
    its own and written transposed to (3, 9000); metadata rows go to disk as they come. Rows that
    cannot be used are counted per reason in the returned summary, never dropped silently. Files
    are written under temporary names and renamed at the end, so an interrupted conversion never
    looks like a dataset.

    Splits: random by trace (default; the shuffle SeisT uses, ``seed`` 0, 80/10/10) or by event,
    or taken from the column ``split_column`` of the CSVs (train/dev/test; val and valid mean dev).

    :param src: Folder with ``DiTing330km_part_{0..27}.csv`` and ``.hdf5``.
    :param dst: Output folder; the SeisBench cache (:py:func:`default_diting_path`) if None.
    :param light: Keep only DiTing-light rows: every field filled, known polarity, known magnitude
                  type, ``0 < P < S < 9000``.
    :param split_fractions: Train, dev and test fractions (sum 1).
    :param seed: Seed of the random split.
    :param split_by: ``"trace"`` or ``"event"`` (``source_id``).
    :param split_column: CSV column holding the split; random split if None.
    :param parts: Part numbers to convert; if None all 28 are expected and any absent one is
                  reported in the summary.
    :param overwrite: Replace an existing dataset at ``dst``.
    :param chunksize: CSV rows read at a time.
    :param progress: Show a progress bar.
    :param verbose: Print the summary at the end.
    :return: Counts of rows read, written and skipped per reason, and traces per split.
    :raises FileNotFoundError: If ``src`` is not a folder or holds no DiTing part file.
    :raises FileExistsError: If ``dst`` holds a dataset and ``overwrite`` is False.
    :raises ValueError: For invalid split settings or a ``split_column`` absent from a CSV.
    """
    src = Path(src).expanduser()
    dst = default_diting_path(light) if dst is None else Path(dst).expanduser()
    if len(split_fractions) != 3 or any(f < 0 for f in split_fractions):
        raise ValueError(f"split_fractions must be 3 non-negative numbers, got {split_fractions}")
    if not math.isclose(sum(split_fractions), 1.0, abs_tol=1e-6):
        raise ValueError(f"split_fractions must sum to 1, got {split_fractions}")
    if split_by not in ("trace", "event"):
        raise ValueError(f"split_by must be 'trace' or 'event', got {split_by!r}")
    if not src.is_dir():
        raise FileNotFoundError(f"DiTing source folder not found: {src}")
    found = _find_parts(src)
    if not found:
        raise FileNotFoundError(
            f"no DiTing files ({CSV_TEMPLATE.format(part='N')}, "
            f"{HDF5_TEMPLATE.format(part='N')}) in {src}"
        )
    metadata_path, waveforms_path = dst / "metadata.csv", dst / "waveforms.hdf5"
    if not overwrite and (metadata_path.exists() or waveforms_path.exists()):
        raise FileExistsError(f"{dst} already holds a dataset; pass overwrite=True to replace it")

    summary = DiTingConversionSummary(source=src, destination=dst, light=light)
    wanted = sorted(set(range(N_PARTS)) | set(found)) if parts is None else sorted(set(parts))
    todo: list[tuple[int, list[str], int]] = []
    for part in wanted:
        csv_path, hdf5_path = _part_files(src, part)
        if not csv_path.is_file():
            summary.missing_parts[part] = (
                "CSV missing, part not converted"
                if hdf5_path.is_file()
                else "CSV and HDF5 missing, part not converted"
            )
            continue
        columns = _read_header(csv_path)
        if columns is None:
            summary.missing_parts[part] = "CSV empty or unreadable, part not converted"
            continue
        if split_column is not None and split_column not in columns:
            raise ValueError(f"column {split_column!r} not in {csv_path}")
        todo.append((part, columns, _count_lines(csv_path)))

    dst.mkdir(parents=True, exist_ok=True)
    tmp = {name: dst / f"{name}.partial" for name in ("names.csv", "rows.csv", "metadata.csv")}
    tmp_waveforms = dst / "waveforms.hdf5.partial"
    for path in (*tmp.values(), tmp_waveforms):
        path.unlink(missing_ok=True)

    header = _output_columns([columns for _, columns, _ in todo], split_column)
    bar = tqdm(total=sum(n for *_, n in todo), desc="DiTing", unit="row", disable=not progress)
    try:
        with (
            open(tmp["rows.csv"], "w", newline="") as rows_file,
            WaveformDataWriter(tmp["names.csv"], tmp_waveforms) as writer,
        ):
            writer.data_format = {
                "dimension_order": "CW",
                "component_order": COMPONENT_ORDER,
                "sampling_rate": SAMPLING_RATE,
            }
            writer.bucket_size = 256  # at most 256 traces of 108 kB (float32) held per bucket
            # The bar above counts rows; silence the writer's own "Traces converted" bar.
            writer._pbar = tqdm(disable=True)
            output = _Output(writer, rows_file, header)
            for part, columns, _ in todo:
                _convert_part(
                    src, part, columns, light, split_column, chunksize, output, summary, bar
                )
    finally:
        bar.close()

    if summary.written > 0:
        if split_column is not None:
            splits = np.frombuffer(bytes(output.splits), dtype=np.uint8)
        elif split_by == "event":
            splits = random_splits(
                np.frombuffer(output.events, dtype=np.int64), split_fractions, seed
            )
        else:
            splits = random_splits(np.arange(summary.written), split_fractions, seed)
        counts = np.bincount(splits, minlength=3)
        summary.splits = {name: int(n) for name, n in zip(_SPLITS, counts, strict=True) if n}
        _merge_metadata(tmp["names.csv"], tmp["rows.csv"], tmp["metadata.csv"], splits)
        os.replace(tmp_waveforms, waveforms_path)
        os.replace(tmp["metadata.csv"], metadata_path)
    for path in tmp.values():
        path.unlink(missing_ok=True)
    if verbose:
        print(summary)
        if summary.written == 0:
            print("  no trace written: no dataset created")
    return summary


def _convert_part(
    src: Path,
    part: int,
    columns: list[str],
    light: bool,
    split_column: str | None,
    chunksize: int,
    output: _Output,
    summary: DiTingConversionSummary,
    bar: tqdm,
) -> None:
    """Convert the rows of one part, updating ``summary``."""
    csv_path, hdf5_path = _part_files(src, part)
    f_wave = None
    if not hdf5_path.is_file():
        summary.missing_parts[part] = "HDF5 missing, rows counted as missing_waveform_file"
    else:
        try:
            f_wave = h5py.File(hdf5_path, "r")
        except OSError:
            summary.missing_parts[part] = "HDF5 unreadable, rows counted as missing_waveform_file"
    # Every field of the row must be filled for DiTing-light; absent required columns fail too.
    present = [c for c in columns if c and not c.startswith("Unnamed:") and c != split_column]
    light_columns = list(dict.fromkeys([*present, *LIGHT_REQUIRED_COLUMNS]))
    seen: set[str] = set()
    bad_lines: list[int] = []
    summary.parts.append(part)
    try:
        for fields in _iter_rows(csv_path, chunksize, bad_lines):
            summary.read += 1
            bar.update()
            try:
                metadata, split, light_reason, picks_ok, notes = _row_metadata(
                    fields, part, light_columns, split_column
                )
                key = metadata["trace_diting_key"]
                if key in seen:
                    raise _Skip("duplicate_key")
                seen.add(key)
                if light and light_reason is not None:
                    raise _Skip(light_reason)
                if not picks_ok:
                    raise _Skip("bad_picks")
                waveform = _read_waveform(f_wave, key, fields.get("key", ""))
            except _Skip as skip:
                summary.skipped[skip.reason] += 1
                continue
            output.add(metadata, waveform, split)
            summary.written += 1
            summary.notes.update(notes)
            if summary.written % 1000 == 0:
                bar.set_postfix(written=summary.written, refresh=False)
    finally:
        if f_wave is not None:
            f_wave.close()
    if bad_lines:
        summary.read += len(bad_lines)
        summary.skipped["corrupt_row"] += len(bad_lines)
        bar.update(len(bad_lines))


def _resolve_path(path: str | Path | None, light: bool) -> Path:
    """The folder of a converted DiTing dataset, or a helpful :py:class:`DiTingNotFoundError`."""

    def complete(folder: Path) -> bool:
        return (folder / "metadata.csv").is_file() and (folder / "waveforms.hdf5").is_file()

    if path is not None:
        candidates = [Path(path).expanduser()]
    elif light:
        candidates = [default_diting_path(True), default_diting_path(False)]
    else:
        candidates = [default_diting_path(False)]
    for folder in candidates:
        if complete(folder):
            return folder
    flag, call = (" --light", ", light=True") if light else ("", "")
    raise DiTingNotFoundError(
        f"No converted DiTing dataset (metadata.csv + waveforms.hdf5) in "
        f"{' or '.join(str(c) for c in candidates)}. DiTing is not public and cannot be "
        "downloaded: it is distributed on application by the China Earthquake Networks Center. "
        "With the original files (DiTing330km_part_{0..27}.csv/.hdf5) in SRC, convert them once "
        f"with\n    seisbench-llm convert-diting SRC {candidates[0]}{flag}\n"
        f"or seisbench_llm.data.diting.convert_diting(SRC{call})."
    )


class DiTing(WaveformDataset):
    """DiTing (Zhao et al., 2023), converted with :py:func:`convert_diting`.

    Three-component traces of earthquakes in and around China recorded up to 330 km away, 180 s at
    50 Hz (9000 samples, ZNE), with P and S picks, first-motion polarity, magnitude (as ML), epicentral distance and
    back-azimuth. DiTing is not public: nothing is ever downloaded.

    :param path: Folder of the converted dataset. If None, the SeisBench cache
                 (``diting_light``, then ``diting`` for ``light=True``; ``diting`` otherwise).
    :param light: Restrict to DiTing-light (``trace_diting_light``); a no-op on data converted
                  with ``light=True``.
    :param kwargs: Passed to :py:class:`seisbench.data.WaveformDataset` (``cache``,
                   ``component_order``, ``sampling_rate``, ...).
    :raises DiTingNotFoundError: If no converted dataset is found; the message explains how to
                                 convert the original files.
    """

    def __init__(self, path: str | Path | None = None, light: bool = False, **kwargs: Any):
        folder = _resolve_path(path, light)
        kwargs.setdefault("name", "DiTing-light" if light else "DiTing")
        kwargs.setdefault("component_order", COMPONENT_ORDER)
        super().__init__(path=folder, **kwargs)
        self.light = light
        # pandas reads keys as numbers (000001.0010 -> 1.001): restore the canonical text.
        for column in ("trace_diting_key", "trace_name_original"):
            if column in self.metadata.columns:
                self.metadata[column] = [
                    normalize_diting_key(v) if pd.notna(v) else "" for v in self.metadata[column]
                ]
        self.metadata_cache = self.metadata_cache  # rebuild the lookup with the fixed columns
        if light:
            if "trace_diting_light" not in self.metadata.columns:
                raise ValueError(
                    f"{folder} has no trace_diting_light column: not from convert_diting"
                )
            flags = self.metadata["trace_diting_light"].astype(str).str.strip().str.lower()
            mask = flags.isin(["true", "1"]).to_numpy()
            if not mask.all():
                self.filter(mask, inplace=True)

    @property
    def citation(self) -> str:
        """Reference of the DiTing paper."""
        return _CITATION

    @property
    def license(self) -> str:
        """Terms of use of DiTing."""
        return _LICENSE
