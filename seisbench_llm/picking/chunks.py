"""Cut an indexed archive into station-day chunks.

A chunk is one station (``NET.STA.LOC``, all its selected channels) and one UTC day. It is read
with a margin of more than one model window on both sides, so that the model sees every moment
of its day with full context, and it keeps only the picks whose peak time lies in its day: a
pick near midnight is found by both neighbouring chunks and kept by exactly one.

The read start is put on a grid of the model's window stride counted from 1970-01-01, so that
two neighbouring chunks cut the same windows where they overlap and compute the same
probabilities around midnight (for continuous data at the model's sampling rate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from seisbench_llm.picking.archive import DAY


@dataclass(frozen=True)
class Chunk:
    """One station-day.

    :param station: ``NET.STA.LOC``.
    :param day_start: Start of the UTC day (POSIX timestamp).
    :param read_start: Start of the data read (day start minus the margin, on the grid).
    :param read_end: End of the data read (day end plus the margin).
    :param files: Readable files with data of the station in ``[read_start, read_end]``.
    :param unreadable: ``(path, reason)`` of the station's files of this day that could not be
                       indexed; a chunk with any of them fails with that reason.
    """

    station: str
    day_start: float
    read_start: float
    read_end: float
    files: tuple[str, ...]
    unreadable: tuple[tuple[str, str], ...] = field(default=())

    @property
    def day(self) -> str:
        """The day as ``YYYY-MM-DD``."""
        return pd.Timestamp(self.day_start, unit="s").strftime("%Y-%m-%d")

    @property
    def day_end(self) -> float:
        return self.day_start + DAY

    @property
    def id(self) -> str:
        """``NET.STA.LOC/YYYY-MM-DD``, also the place of its picks under the output folder."""
        return f"{self.station}/{self.day}"

    def owns(self, time: float) -> bool:
        """Whether a pick with peak time ``time`` (POSIX) belongs to this chunk."""
        return self.day_start <= time < self.day_end

    def output(self, out_dir: str | Path) -> Path:
        """The chunk's picks file: ``OUT/chunks/NET.STA.LOC/YYYY-MM-DD.csv``."""
        return Path(out_dir) / "chunks" / self.station / f"{self.day}.csv"


def window_geometry(model: Any, argdict: dict[str, Any]) -> tuple[float, float]:
    """Margin and grid step (seconds) for ``model`` annotating with ``argdict``.

    The grid step is the window stride (window length minus overlap, the overlap as annotate
    reads it: a fraction of the window below 1, else samples). The margin is a whole number of
    strides covering one window plus one stride, so that SeisBench's extra last window (aligned
    to the end of the data) never reaches the chunk's day.
    """
    in_samples = int(model.in_samples)
    default = model._annotate_args.get("overlap", (None, 0))[1]
    overlap = argdict.get("overlap", default)
    overlap = int(overlap * in_samples) if overlap < 1 else int(overlap)
    stride = max(in_samples - overlap, 1)
    strides = math.ceil(in_samples / stride) + 1
    rate = float(model.sampling_rate)
    return strides * stride / rate, stride / rate


def day_floor(time: float) -> float:
    """Start of the UTC day holding ``time`` (POSIX)."""
    return math.floor(time / DAY) * DAY


def plan_chunks(
    index: pd.DataFrame,
    margin: float,
    grid: float,
    first_day: float | None = None,
    last_day: float | None = None,
) -> tuple[list[Chunk], list[tuple[str, str]]]:
    """The chunks of an archive index and the station-days without data.

    :param index: Archive index (:py:func:`seisbench_llm.picking.archive.index_archive`).
    :param margin: Seconds read before and after each day (:py:func:`window_geometry`).
    :param grid: Read starts are multiples of this many seconds.
    :param first_day: First day start (POSIX); None: the day of the earliest data.
    :param last_day: Last day start (POSIX), included; None: the day of the latest data.
    :return: Chunks sorted by station and day, and ``(station, YYYY-MM-DD)`` of each day in the
             range for which a station has no data (and no unreadable file).
    """
    index = index[index["station"] != ""]  # unreadable files of a folder: no station known
    if len(index) == 0:
        return [], []
    keys = index["network"] + "." + index["station"] + "." + index["location"]
    good = index["reason"] == ""
    if first_day is None:
        first_day = day_floor(index["start"].min())
    if last_day is None:
        last_day = day_floor(index["end"].max())
    days = np.arange(first_day, last_day + 1, DAY)
    chunks, empty = [], []
    for station in sorted(keys.unique()):
        rows = index[(keys == station) & good]
        bad = index[(keys == station) & ~good]
        starts, ends = rows["start"].to_numpy(), rows["end"].to_numpy()
        paths = rows["path"].to_numpy()
        for day in days:
            read_start = math.floor((day - margin) / grid) * grid
            read_end = day + DAY + margin
            of_day = bad[bad["start"] == day]
            unreadable = tuple(zip(of_day["path"], of_day["reason"], strict=True))
            has_data = ((starts < day + DAY) & (ends >= day)).any()
            if not has_data and not unreadable:
                empty.append((station, pd.Timestamp(day, unit="s").strftime("%Y-%m-%d")))
                continue
            near = (starts <= read_end) & (ends >= read_start)
            files = tuple(dict.fromkeys(paths[near]))
            chunks.append(Chunk(station, float(day), read_start, read_end, files, unreadable))
    return chunks, empty
