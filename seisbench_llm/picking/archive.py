"""Index a waveform archive: an SDS tree or a plain folder of miniSEED (or other ObsPy) files.

The index holds one row per trace of each file, read from the headers only (ObsPy ``headonly``),
and one row per file that cannot be read, with the reason. It is cached in a Parquet file: a later
run reads again only the files that are new or whose size or modification time changed.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

#: Columns of the index: one row per trace of a readable file, one per unreadable file.
INDEX_COLUMNS = (
    "path",
    "network",
    "station",
    "location",
    "channel",
    "start",  # POSIX timestamps (s); for an unreadable SDS file its day's start and end
    "end",
    "sampling_rate",
    "size",
    "mtime",
    "reason",  # empty when the file was read
)
LAYOUTS = ("auto", "sds", "folder")
#: SDS file names: NET.STA.LOC.CHAN.TYPE.YEAR.DAY (in YEAR/NET/STA/CHAN.TYPE/).
SDS_NAME = re.compile(
    r"(?P<network>[^.]*)\.(?P<station>[^.]*)\.(?P<location>[^.]*)\.(?P<channel>[^.]*)\."
    r"(?P<type>[A-Z])\.(?P<year>\d{4})\.(?P<doy>\d{3})"
)
DAY = 86400.0


def seed_pattern(pattern: str) -> str:
    """A selection pattern as a full ``NET.STA.LOC.CHA`` wildcard pattern: missing trailing parts
    match anything (``XX`` means ``XX.*.*.*``, ``XX.ST0?`` means ``XX.ST0?.*.*``).

    :raises ValueError: More than four dot-separated parts.
    """
    parts = pattern.split(".")
    if len(parts) > 4 or not pattern:
        raise ValueError(
            f"selection {pattern!r} is not NET[.STA[.LOC[.CHA]]] (wildcards * ? [..] allowed)"
        )
    return ".".join(parts + ["*"] * (4 - len(parts)))


def matches(seed_id: str, patterns: Sequence[str]) -> bool:
    """Whether ``NET.STA.LOC.CHA`` matches any of ``patterns`` (see :py:func:`seed_pattern`)."""
    return any(fnmatch.fnmatchcase(seed_id, seed_pattern(p)) for p in patterns)


def _sds_day(match: re.Match) -> float:
    """Start of the day an SDS file name holds (POSIX timestamp)."""
    from obspy import UTCDateTime

    return UTCDateTime(year=int(match["year"]), julday=int(match["doy"])).timestamp


def detect_layout(root: Path) -> str:
    """``"sds"`` when the first files under ``root`` sit at SDS places, else ``"folder"``."""
    for path in root.rglob("*"):
        if path.is_file():
            rel = path.relative_to(root).parts
            return "sds" if len(rel) == 5 and SDS_NAME.fullmatch(rel[-1]) else "folder"
    return "folder"


def list_files(
    root: Path,
    layout: str,
    patterns: Sequence[str],
    first_day: float | None = None,
    last_day: float | None = None,
) -> list[tuple[Path, re.Match | None]]:
    """The archive's files to index, with their SDS name match (None in a plain folder).

    SDS files are chosen by name: selected ids, days from ``first_day`` to ``last_day`` (day
    starts, POSIX; None: no limit). A folder's files are all indexed (a file may hold several
    stations; the selection applies to its traces).
    """
    if layout == "folder":
        return [(p, None) for p in sorted(root.rglob("*")) if p.is_file()]
    found = []
    for path in sorted(root.glob("*/*/*/*/*")):
        match = SDS_NAME.fullmatch(path.name)
        if match is None or not path.is_file():
            continue
        seed_id = ".".join(match[k] for k in ("network", "station", "location", "channel"))
        day = _sds_day(match)
        if not matches(seed_id, patterns):
            continue
        if (first_day is not None and day < first_day) or (last_day is not None and day > last_day):
            continue
        found.append((path, match))
    return found


def _header_rows(path: Path, match: re.Match | None) -> list[dict]:
    """Index rows of one file from its headers; one row with the reason if it cannot be read."""
    import obspy

    stat = path.stat()
    base = {"path": str(path), "size": stat.st_size, "mtime": stat.st_mtime, "reason": ""}
    try:
        stream = obspy.read(str(path), headonly=True)
        if len(stream) == 0:
            raise ValueError("no traces")
    except Exception as error:  # ObsPy raises TypeError, ValueError, struct.error, ...
        lines = str(error).strip().splitlines()
        reason = f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
        row = {**base, "reason": f"unreadable ({reason})", "sampling_rate": float("nan")}
        row.update({k: "" for k in ("network", "station", "location", "channel")})
        row.update(start=float("nan"), end=float("nan"))
        if match is not None:  # an SDS name still says whose day it is
            row.update({k: match[k] for k in ("network", "station", "location", "channel")})
            row.update(start=_sds_day(match), end=_sds_day(match) + DAY)
        return [row]
    return [
        {
            **base,
            "network": tr.stats.network,
            "station": tr.stats.station,
            "location": tr.stats.location,
            "channel": tr.stats.channel,
            "start": tr.stats.starttime.timestamp,
            "end": tr.stats.endtime.timestamp,
            "sampling_rate": float(tr.stats.sampling_rate),
        }
        for tr in stream
    ]


def index_archive(
    root: str | os.PathLike,
    layout: str = "auto",
    patterns: Sequence[str] = ("*",),
    first_day: float | None = None,
    last_day: float | None = None,
    cache: str | os.PathLike | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Index the archive at ``root`` (see :py:data:`INDEX_COLUMNS`), selected traces only.

    :param layout: ``"sds"``, ``"folder"`` or ``"auto"`` (see :py:func:`detect_layout`).
    :param patterns: Selection patterns (:py:func:`seed_pattern`).
    :param first_day: SDS only: the first day start (POSIX) whose files are listed.
    :param last_day: SDS only: the last day start (POSIX) whose files are listed.
    :param cache: Parquet file with the index of an earlier run; its rows are reused for files
                  whose size and modification time are unchanged, and it is rewritten.
    :param progress: Show a progress bar over the files whose headers are read.
    :raises ValueError: ``root`` is not a folder or ``layout`` is unknown.
    """
    from tqdm.auto import tqdm

    root = Path(root).expanduser()
    if not root.is_dir():
        raise ValueError(f"archive {root} is not a folder")
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r} is not one of {', '.join(LAYOUTS)}")
    for pattern in patterns:
        seed_pattern(pattern)
    if layout == "auto":
        layout = detect_layout(root)
    files = list_files(root, layout, patterns, first_day, last_day)
    cached: dict[str, pd.DataFrame] = {}
    if cache is not None and Path(cache).is_file():
        old = pd.read_parquet(cache)
        cached = {str(path): rows for path, rows in old.groupby("path", sort=False)}
    frames, rows = [], []
    for path, match in tqdm(files, desc="index", unit="file", disable=not progress):
        old = cached.get(str(path))
        stat = path.stat()
        if old is not None and (old["size"].iloc[0], old["mtime"].iloc[0]) == (
            stat.st_size,
            stat.st_mtime,
        ):
            frames.append(old)
        else:
            rows += _header_rows(path, match)
    frames.append(pd.DataFrame(rows, columns=list(INDEX_COLUMNS)))
    index = pd.concat([f for f in frames if len(f)] or frames[-1:], ignore_index=True)
    index = index[list(INDEX_COLUMNS)]
    if cache is not None:  # rows of files outside this selection are kept for later runs
        listed = {str(path) for path, _ in files}
        kept = [rows for path, rows in cached.items() if path not in listed]
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(f"{cache}.tmp")
        pd.concat([index, *kept], ignore_index=True).to_parquet(tmp, index=False)
        os.replace(tmp, cache)
    seed_ids = index["network"] + "." + index["station"] + "." + index["location"]
    seed_ids = seed_ids + "." + index["channel"]
    selected = seed_ids.map(lambda s: matches(s, patterns)) | (index["network"] == "")
    return index[selected].reset_index(drop=True)
