"""Conversion of the original DiTing files into a SeisBench dataset: :py:func:`convert_diting`.

It streams: one part at a time, the CSV in chunks, each waveform read on its own with h5py.
Waveforms go through SeisBench's :py:class:`~seisbench.data.WaveformDataWriter`, as in
SeisBench's own converters (their ``_download_dataset(writer, basepath)`` is
:py:func:`_write_traces` here); the metadata rows go straight to a CSV on disk instead of into
the writer (which holds all metadata in memory until the end), and the split column is added
once every written trace is known. Every source row is either written or counted under a skip
reason (:py:class:`~seisbench_llm.data.diting.summary.DiTingConversionSummary`).
"""

from __future__ import annotations

import csv
import os
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import h5py
import numpy as np
from seisbench.data import WaveformDataWriter
from tqdm.auto import tqdm

from seisbench_llm.data.diting.dataset import default_diting_path
from seisbench_llm.data.diting.rows import light_columns, output_columns, row_metadata
from seisbench_llm.data.diting.source import (
    COMPONENT_ORDER,
    CSV_TEMPLATE,
    HDF5_TEMPLATE,
    N_PARTS,
    SAMPLING_RATE,
    Skip,
    count_lines,
    find_parts,
    iter_rows,
    part_files,
    read_header,
    read_waveform,
)
from seisbench_llm.data.diting.splits import (
    SPLITS,
    check_split_settings,
    merge_metadata,
    random_splits,
)
from seisbench_llm.data.diting.summary import DiTingConversionSummary
from seisbench_llm.outputs import check_output_dir

__all__ = ["convert_diting"]

#: A part to convert: number, CSV columns and CSV data lines.
_Part = tuple[int, list[str], int]


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
    :param dst: Output folder; the SeisBench cache
                (:py:func:`~seisbench_llm.data.diting.default_diting_path`) if None.
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
    :raises seisbench_llm.outputs.OutputError: If ``dst`` is a file or not writable (a ValueError).
    :raises ValueError: For invalid split settings or a ``split_column`` absent from a CSV.
    """
    src = Path(src).expanduser()
    dst = default_diting_path(light) if dst is None else Path(dst).expanduser()
    check_split_settings(split_fractions, split_by)
    if not src.is_dir():
        raise FileNotFoundError(f"DiTing source folder not found: {src}")
    found = find_parts(src)
    if not found:
        raise FileNotFoundError(
            f"no DiTing files ({CSV_TEMPLATE.format(part='N')}, "
            f"{HDF5_TEMPLATE.format(part='N')}) in {src}"
        )
    metadata_path, waveforms_path = dst / "metadata.csv", dst / "waveforms.hdf5"
    if not overwrite and (metadata_path.exists() or waveforms_path.exists()):
        raise FileExistsError(f"{dst} already holds a dataset; pass overwrite=True to replace it")
    check_output_dir(dst, "destination", create=False)  # before any row is read

    summary = DiTingConversionSummary(source=src, destination=dst, light=light)
    wanted = sorted(set(range(N_PARTS)) | set(found)) if parts is None else sorted(set(parts))
    todo = _plan_parts(src, wanted, split_column, summary)

    dst.mkdir(parents=True, exist_ok=True)
    tmp = {name: dst / f"{name}.partial" for name in ("names.csv", "rows.csv", "metadata.csv")}
    tmp_waveforms = dst / "waveforms.hdf5.partial"
    for path in (*tmp.values(), tmp_waveforms):
        path.unlink(missing_ok=True)
    header = output_columns([columns for _, columns, _ in todo], split_column)
    bar = tqdm(total=sum(n for *_, n in todo), desc="DiTing", unit="row", disable=not progress)
    try:
        with (
            open(tmp["rows.csv"], "w", newline="") as rows_file,
            WaveformDataWriter(tmp["names.csv"], tmp_waveforms) as writer,
        ):
            output = _Output(writer, rows_file, header, summary, bar)
            _write_traces(output, src, todo, light, split_column, chunksize)
    finally:
        bar.close()

    if summary.written > 0:
        splits = _splits(output, summary.written, split_column, split_by, split_fractions, seed)
        counts = np.bincount(splits, minlength=3)
        summary.splits = {name: int(n) for name, n in zip(SPLITS, counts, strict=True) if n}
        merge_metadata(tmp["names.csv"], tmp["rows.csv"], tmp["metadata.csv"], splits)
        os.replace(tmp_waveforms, waveforms_path)
        os.replace(tmp["metadata.csv"], metadata_path)
    for path in tmp.values():
        path.unlink(missing_ok=True)
    if verbose:
        print(summary)
        if summary.written == 0:
            print("  no trace written: no dataset created")
    return summary


def _plan_parts(
    src: Path, wanted: Sequence[int], split_column: str | None, summary: DiTingConversionSummary
) -> list[_Part]:
    """The parts that can be converted; problems with the others go into ``summary``.

    :param src: Folder of the original files.
    :param wanted: Part numbers to convert.
    :param split_column: CSV column holding the split, or None.
    :param summary: Gets the missing or unreadable parts.
    :return: ``(part, CSV columns, CSV data lines)`` per convertible part.
    :raises ValueError: If a CSV lacks ``split_column``.
    """
    todo: list[_Part] = []
    for part in wanted:
        csv_path, hdf5_path = part_files(src, part)
        if not csv_path.is_file():
            summary.missing_parts[part] = (
                "CSV missing, part not converted"
                if hdf5_path.is_file()
                else "CSV and HDF5 missing, part not converted"
            )
            continue
        columns = read_header(csv_path)
        if columns is None:
            summary.missing_parts[part] = "CSV empty or unreadable, part not converted"
            continue
        if split_column is not None and split_column not in columns:
            raise ValueError(f"column {split_column!r} not in {csv_path}")
        todo.append((part, columns, count_lines(csv_path)))
    return todo


def _splits(
    output: _Output,
    n: int,
    split_column: str | None,
    split_by: str,
    split_fractions: Sequence[float],
    seed: int,
) -> np.ndarray:
    """Split code of every written trace: from the CSV column, or random by event or trace.

    :param output: Where the traces went (their events and CSV splits).
    :param n: Number of written traces.
    :param split_column: CSV column holding the split, or None.
    :param split_by: ``"trace"`` or ``"event"``.
    :param split_fractions: Train, dev and test fractions.
    :param seed: Seed of the random split.
    :return: Split code per trace (0 train, 1 dev, 2 test).
    """
    if split_column is not None:
        return np.frombuffer(bytes(output.splits), dtype=np.uint8)
    if split_by == "event":
        return random_splits(np.frombuffer(output.events, dtype=np.int64), split_fractions, seed)
    return random_splits(np.arange(n), split_fractions, seed)


class _Output:
    """Where converted traces go: waveforms to the SeisBench writer (which keeps only a small
    dict per trace in memory), metadata rows straight to a CSV file.

    :param writer: SeisBench's writer.
    :param rows_file: Open text file for the metadata rows.
    :param columns: Metadata columns.
    :param summary: Counts of the conversion.
    :param bar: Progress bar over the source rows.
    """

    def __init__(
        self,
        writer: WaveformDataWriter,
        rows_file: Any,
        columns: Sequence[str],
        summary: DiTingConversionSummary,
        bar: tqdm,
    ):
        self.writer = writer
        self.rows = csv.DictWriter(rows_file, fieldnames=columns, extrasaction="raise")
        self.rows.writeheader()
        self.summary = summary
        self.bar = bar
        self.event_index: dict[str, int] = {}
        self.events = array("q")  # event number of each written trace, in order of appearance
        self.splits = bytearray()  # split code of each written trace (with split_column only)

    def add(self, metadata: dict[str, Any], waveform: np.ndarray, split: int | None) -> None:
        """Write one trace.

        :param metadata: Its metadata row.
        :param waveform: Its waveform (3, 9000).
        :param split: Its split code from the CSV, or None.
        """
        self.writer.add_trace({"trace_name": metadata["trace_diting_key"]}, waveform)
        self.rows.writerow(metadata)
        event = self.event_index.setdefault(metadata["source_id"], len(self.event_index))
        self.events.append(event)
        if split is not None:
            self.splits.append(split)


def _write_traces(
    output: _Output,
    basepath: Path,
    todo: Sequence[_Part],
    light: bool,
    split_column: str | None,
    chunksize: int,
) -> None:
    """Write the traces of the original files in ``basepath`` (what ``_download_dataset(writer,
    basepath)`` does in SeisBench's converters).

    :param output: Where the traces go.
    :param basepath: Folder of the original files.
    :param todo: Parts to convert (:py:func:`_plan_parts`).
    :param light: Keep only DiTing-light rows.
    :param split_column: CSV column holding the split, or None.
    :param chunksize: CSV rows read at a time.
    """
    output.writer.data_format = {
        "dimension_order": "CW",
        "component_order": COMPONENT_ORDER,
        "sampling_rate": SAMPLING_RATE,
    }
    output.writer.bucket_size = 256  # at most 256 traces of 108 kB (float32) held per bucket
    # The converter's bar counts rows; silence the writer's own "Traces converted" bar.
    output.writer._pbar = tqdm(disable=True)
    for part, columns, _ in todo:
        _convert_part(
            output,
            basepath,
            part,
            light_columns(columns, split_column),
            light,
            split_column,
            chunksize,
        )


def _open_waveforms(
    hdf5_path: Path, part: int, summary: DiTingConversionSummary
) -> h5py.File | None:
    """The part's HDF5 file opened for reading; a missing or unreadable one goes into ``summary``.

    :param hdf5_path: The file.
    :param part: Its part number.
    :param summary: Gets the problem.
    :return: The open file, or None.
    """
    if not hdf5_path.is_file():
        summary.missing_parts[part] = "HDF5 missing, rows counted as missing_waveform_file"
        return None
    try:
        return h5py.File(hdf5_path, "r")
    except OSError:
        summary.missing_parts[part] = "HDF5 unreadable, rows counted as missing_waveform_file"
        return None


def _convert_part(
    output: _Output,
    src: Path,
    part: int,
    required: Sequence[str],
    light: bool,
    split_column: str | None,
    chunksize: int,
) -> None:
    """Convert the rows of one part, updating ``output.summary``.

    :param output: Where the traces go.
    :param src: Folder of the original files.
    :param part: Part number.
    :param required: Columns a row must fill for DiTing-light.
    :param light: Keep only DiTing-light rows.
    :param split_column: CSV column holding the split, or None.
    :param chunksize: CSV rows read at a time.
    """
    summary, bar = output.summary, output.bar
    csv_path, hdf5_path = part_files(src, part)
    f_wave = _open_waveforms(hdf5_path, part, summary)
    seen: set[str] = set()
    bad_lines: list[int] = []
    summary.parts.append(part)
    try:
        for fields in iter_rows(csv_path, chunksize, bad_lines):
            summary.read += 1
            bar.update()
            try:
                metadata, split, light_reason, picks_ok, notes = row_metadata(
                    fields, part, required, split_column
                )
                key = metadata["trace_diting_key"]
                if key in seen:
                    raise Skip("duplicate_key")
                seen.add(key)
                if light and light_reason is not None:
                    raise Skip(light_reason)
                if not picks_ok:
                    raise Skip("bad_picks")
                waveform = read_waveform(f_wave, key, fields.get("key", ""))
            except Skip as skip:
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
