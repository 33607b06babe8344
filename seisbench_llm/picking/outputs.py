"""Outputs of an archive run: the merged picks table (CSV, Parquet, optional QuakeML), the list of
failed chunks and the summary."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from seisbench_llm.picking.chunks import Chunk
from seisbench_llm.picking.task import TABLE_COLUMNS, TIME_COLUMNS


@dataclass
class PickSummary:
    """What an archive run did.

    :param chunks: Station-day chunks in the selection.
    :param done: Chunks picked in this run.
    :param skipped: Chunks already picked by an earlier run (their picks are reused).
    :param failed: Chunk id -> reason, for chunks that failed (after Dask's retries).
    :param no_data: ``NET.STA.LOC/YYYY-MM-DD`` of station-days in the range without data.
    :param unreadable_files: ``(path, reason)`` of archive files that could not be indexed.
    :param picks: Picks per phase in the merged table (all finished chunks).
    :param seconds: Wall time of the picking (not the indexing).
    :param outputs: Output name -> path.
    """

    chunks: int = 0
    done: int = 0
    skipped: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    no_data: list[str] = field(default_factory=list)
    unreadable_files: list[tuple[str, str]] = field(default_factory=list)
    picks: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def station_days_per_hour(self) -> float:
        """Chunks picked in this run per hour of wall time (0 when none were picked)."""
        return self.done * 3600.0 / self.seconds if self.done and self.seconds > 0 else 0.0

    def text(self) -> str:
        """The summary as a few printable lines."""
        per_phase = ", ".join(f"{p} {n}" for p, n in sorted(self.picks.items())) or "none"
        lines = [
            f"Chunks (station-days): {self.chunks}: {self.done} done, {self.skipped} skipped "
            f"(done earlier), {len(self.failed)} failed; {len(self.no_data)} station-day(s) "
            "without data",
            f"Picks: {sum(self.picks.values())} ({per_phase})",
            f"Speed: {self.station_days_per_hour:.1f} station-days per hour "
            f"({self.done} in {self.seconds:.1f} s)",
        ]
        if self.unreadable_files:
            lines.append(f"Unreadable files: {len(self.unreadable_files)}")
            lines += [f"  {path}: {reason}" for path, reason in self.unreadable_files]
        for chunk_id, reason in sorted(self.failed.items()):
            lines.append(f"  failed {chunk_id}: {reason}")
        if self.failed:
            lines.append("Rerun the same command to retry the failed chunks.")
        lines += [f"Wrote {path}" for path in self.outputs.values()]
        return "\n".join(lines)

    def write(self, path: Path) -> None:
        """Write the summary as JSON (with ``station_days_per_hour``)."""
        data = {**asdict(self), "station_days_per_hour": self.station_days_per_hour}
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def merge_picks(chunks: Sequence[Chunk], out_dir: Path) -> pd.DataFrame:
    """The picks of every finished chunk in ``chunks``, sorted by station, time and phase; times
    as UTC timestamps."""
    frames = [
        pd.read_csv(path, dtype={"trace_id": str, "phase": str}, keep_default_na=False)
        for path in (c.output(out_dir) for c in chunks)
        if path.is_file()
    ]
    frames = [f for f in frames if len(f)]
    if not frames:
        table = pd.DataFrame({c: pd.Series(dtype=object) for c in TABLE_COLUMNS})
    else:
        table = pd.concat(frames, ignore_index=True)[list(TABLE_COLUMNS)]
    for column in TIME_COLUMNS:
        table[column] = pd.to_datetime(table[column], utc=True, format="ISO8601")
    table["peak_value"] = pd.to_numeric(table["peak_value"])
    return table.sort_values(["trace_id", "peak_time", "phase"], ignore_index=True)


def _replace(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def write_tables(table: pd.DataFrame, out_dir: Path) -> dict[str, str]:
    """Write ``picks.csv`` (ISO 8601 times) and ``picks.parquet`` into ``out_dir``."""
    csv_path, parquet_path = out_dir / "picks.csv", out_dir / "picks.parquet"
    text = table.copy()
    for column in TIME_COLUMNS:
        text[column] = text[column].map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    _replace(csv_path, lambda p: text.to_csv(p, index=False, float_format="%.4f"))
    _replace(parquet_path, lambda p: table.to_parquet(p, index=False))
    return {"picks_csv": str(csv_path), "picks_parquet": str(parquet_path)}


def write_table_quakeml(
    table: pd.DataFrame, path: Path, channels: dict[str, list[str]], description: str
) -> None:
    """Write the picks table as QuakeML (one event with every pick, as ``annotate`` does)."""
    from obspy import UTCDateTime
    from seisbench.util import Pick

    from seisbench_llm.picks_io import write_quakeml

    def utc(value):
        return None if pd.isna(value) else UTCDateTime(value.isoformat())

    picks = [
        Pick(
            trace_id=row.trace_id,
            start_time=utc(row.start_time),
            end_time=utc(row.end_time),
            peak_time=utc(row.peak_time),
            peak_value=None if pd.isna(row.peak_value) else float(row.peak_value),
            phase=row.phase,
        )
        for row in table.itertuples(index=False)
    ]
    write_quakeml(path, picks, channels, description)


def write_failures(failed: dict[str, str], out_dir: Path) -> str:
    """Write ``failed.csv`` (chunk, reason) of this run's failed chunks (header only if none)."""
    path = out_dir / "failed.csv"
    frame = pd.DataFrame(sorted(failed.items()), columns=["chunk", "reason"])
    _replace(path, lambda p: frame.to_csv(p, index=False))
    return str(path)
