"""Pick a whole archive on Dask: :py:func:`pick_archive`."""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from seisbench_llm.models.picks import separation_args
from seisbench_llm.picking.archive import DAY, LAYOUTS, index_archive
from seisbench_llm.picking.chunks import Chunk, day_floor, plan_chunks, window_geometry
from seisbench_llm.picking.outputs import (
    PickSummary,
    merge_picks,
    write_failures,
    write_table_quakeml,
    write_tables,
)
from seisbench_llm.picking.task import ModelPlugin, TaskSettings, load_model, pick_chunk

#: Files of the output folder besides the chunk files.
MANIFEST, INDEX_CACHE, SUMMARY = "run.json", "archive_index.parquet", "summary.json"


def _day(value: Any, name: str) -> float | None:
    """Start of the UTC day of a date/time (anything ObsPy's UTCDateTime reads), or None."""
    if value is None:
        return None
    from obspy import UTCDateTime

    try:
        return day_floor(UTCDateTime(value).timestamp)
    except Exception as error:  # UTCDateTime raises TypeError/ValueError with long texts
        raise ValueError(f"{name} {value!r} is not a date (e.g. 2024-01-31)") from error


def _check_manifest(out_dir: Path, manifest: dict[str, Any], overwrite: bool) -> None:
    """Refuse to mix chunk files of different models or settings in one output folder."""
    import shutil

    path = out_dir / MANIFEST
    if path.is_file() and not overwrite:
        old = json.loads(path.read_text(encoding="utf-8"))
        differs = [k for k in manifest if old.get(k) != manifest[k]]
        if differs:
            raise ValueError(
                f"{out_dir} holds picks of another run ({', '.join(differs)} differ); use "
                "another output folder, or overwrite=True (--overwrite) to start again"
            )
    if overwrite:
        shutil.rmtree(out_dir / "chunks", ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    for stale in (out_dir / "chunks").glob("*/.*.tmp"):  # left by a killed run
        stale.unlink(missing_ok=True)


@contextlib.contextmanager
def dask_client(
    scheduler_address: str | None, n_workers: int, threads_per_worker: int
) -> Iterator[Any]:
    """A Dask client: of the cluster at ``scheduler_address``, else of a new local cluster of
    ``n_workers`` processes with ``threads_per_worker`` threads each (closed afterwards)."""
    from distributed import Client, LocalCluster

    if scheduler_address:
        with Client(scheduler_address) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,  # failed chunks are reported in the summary
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _run_chunks(
    client: Any,
    todo: Sequence[Chunk],
    settings: TaskSettings,
    retries: int,
    progress: bool,
    summary: PickSummary,
) -> None:
    """Run ``todo`` on ``client``, counting finished and failed chunks into ``summary``."""
    from distributed import as_completed
    from tqdm.auto import tqdm

    run_id = uuid.uuid4().hex[:8]
    futures = client.map(
        pick_chunk,
        todo,
        settings=settings,
        key=[f"pick-{run_id}-{c.id}" for c in todo],
        retries=retries,
        pure=False,
    )
    ids = {f.key: c.id for f, c in zip(futures, todo, strict=True)}
    with tqdm(total=len(futures), desc="pick", unit="chunk", disable=not progress) as bar:
        for future in as_completed(futures):
            if future.status == "finished":
                future.result()
                summary.done += 1
            else:  # "error" (raised, or its worker died), or "cancelled" (scheduler lost it)
                try:
                    error = future.exception()
                except BaseException as cancelled:  # CancelledError
                    error = cancelled
                lines = str(error).strip().splitlines()
                summary.failed[ids[future.key]] = (
                    f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
                )
            future.release()
            bar.update()
            bar.set_postfix(failed=len(summary.failed))


def pick_archive(
    archive: str | Path,
    out: str | Path,
    model: Any = "SeisMoLLM",
    weights: str | None = None,
    *,
    start: Any = None,
    end: Any = None,
    select: Sequence[str] = ("*",),
    layout: str = "auto",
    n_workers: int = 2,
    threads_per_worker: int = 1,
    torch_threads: int | None = None,
    scheduler_address: str | None = None,
    retries: int = 2,
    device: str | None = None,
    precision: str = "auto",
    batch_size: int | None = None,
    P_threshold: float | None = None,
    S_threshold: float | None = None,
    ps_separation: float | None = None,
    quakeml: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> PickSummary:
    """Pick every station-day of an archive on Dask, resumably; see ``docs/archive_picking.md``.

    :param archive: SDS root or folder of waveform files.
    :param out: Output folder: ``chunks/`` (one picks file per station-day), ``picks.csv``,
                ``picks.parquet``, ``failed.csv``, ``summary.json``, ``run.json``, the cached
                archive index. Rerunning into it skips the station-days already picked.
    :param model: Model class name (SeisMoLLM, SeisMoE, EQTransformer, PhaseNet) with
                  ``weights``, or a SeisBench ``WaveformModel`` instance (``weights`` None).
    :param weights: Weight name in the local registry, or a path to a SeisBench weight pair.
    :param start: First day (UTC date or time; its day is included); None: the earliest data.
    :param end: Last day, included; None: the latest data.
    :param select: ``NET[.STA[.LOC[.CHA]]]`` patterns with wildcards; a trace is used if it
                   matches any.
    :param layout: ``"sds"``, ``"folder"`` or ``"auto"``.
    :param n_workers: Worker processes of the local cluster.
    :param threads_per_worker: Threads (chunks at a time) per worker of the local cluster.
    :param torch_threads: torch threads per worker; None: ``threads_per_worker`` on a local
                          cluster, torch's default on an existing one.
    :param scheduler_address: Address of a running Dask scheduler (``tcp://host:8786``) to use
                              instead of a local cluster.
    :param retries: Dask retries of a failed chunk before it is recorded as failed.
    :param device: ``"cpu"`` or ``"cuda"``; None: cuda where a worker has it.
    :param precision: Precision of SeisMoLLM's forward pass on each worker's device
                      (:py:mod:`seisbench_llm.precision`; ``auto``: float32 unless the
                      device's native precision passed the pick check); other models run
                      in float32.
    :param batch_size: Windows per forward pass (default: the model's).
    :param P_threshold: P pick threshold (default: the weights' or 0.3).
    :param S_threshold: S pick threshold (default: the weights' or 0.3).
    :param ps_separation: SeisMoLLM, SeisMoE: seconds below which a P and an S pick of one
                          station count as one onset and only the more probable is kept
                          (default: the weights' or 0.2; 0 keeps both).
    :param quakeml: Also write the merged picks as QuakeML to this file.
    :param overwrite: Delete the picks of an earlier run in ``out`` and start again.
    :param progress: Show progress bars.
    :raises ValueError: Bad arguments, weights that cannot be loaded, an output folder of a
                        different run.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r} is not one of {', '.join(LAYOUTS)}")
    for name, value in (("n_workers", n_workers), ("threads_per_worker", threads_per_worker)):
        if int(value) < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    if isinstance(model, str):
        if weights is None:
            raise ValueError(f"model {model!r} needs weights (a registry name or a path)")
        source: Any = (model, weights)
    else:
        source = model
    # checks the weights and the precision (float16 only on the workers' GPUs); window geometry
    local = load_model(source, "cpu", "float32" if precision == "float16" else precision)
    options = {"batch_size": batch_size, "P_threshold": P_threshold, "S_threshold": S_threshold}
    options.update(separation_args(local, ps_separation))
    argdict = {**local.default_args, **{k: v for k, v in options.items() if v is not None}}
    margin, grid = window_geometry(local, argdict)
    first_day, last_day = _day(start, "start"), _day(end, "end")
    if None not in (first_day, last_day) and last_day < first_day:
        raise ValueError(f"end {end} lies before start {start}")

    out_dir = Path(out).expanduser()
    manifest = {
        "archive": str(Path(archive).expanduser().resolve()),
        "model": type(local).__name__,
        "weights": weights if weights is not None else "(model instance)",
        "precision": precision,
        "classify_args": {k: v for k, v in sorted(argdict.items()) if k != "batch_size"},
    }
    _check_manifest(out_dir, manifest, overwrite)
    index = index_archive(
        archive,
        layout,
        tuple(select),
        None if first_day is None else first_day - DAY,
        None if last_day is None else last_day + DAY,
        cache=out_dir / INDEX_CACHE,
        progress=progress,
    )
    chunks, no_data = plan_chunks(index, margin, grid, first_day, last_day)
    if not chunks:
        raise ValueError(
            f"no data in {archive} for the selection {' '.join(select)} and days "
            f"{start or 'first'} to {end or 'last'} ({len(index)} trace(s) indexed)"
        )
    bad = index[index["reason"] != ""]
    summary = PickSummary(
        chunks=len(chunks),
        no_data=[f"{station}/{day}" for station, day in no_data],
        unreadable_files=list(zip(bad["path"], bad["reason"], strict=True)),
    )
    todo = [c for c in chunks if not c.output(out_dir).is_file()]
    summary.skipped = len(chunks) - len(todo)
    started = time.perf_counter()
    if todo:
        if torch_threads is None and not scheduler_address:
            torch_threads = threads_per_worker
        plugin = ModelPlugin(source, device, torch_threads, precision)
        settings = TaskSettings(str(out_dir), plugin.name, argdict, tuple(select))
        with dask_client(scheduler_address, n_workers, threads_per_worker) as client:
            client.register_plugin(plugin)
            try:
                _run_chunks(client, todo, settings, retries, progress, summary)
            finally:
                client.unregister_worker_plugin(plugin.name)
    summary.seconds = time.perf_counter() - started

    table = merge_picks(chunks, out_dir)
    summary.picks = {str(k): int(v) for k, v in table["phase"].value_counts().items()}
    summary.outputs = write_tables(table, out_dir)
    summary.outputs["failed"] = write_failures(summary.failed, out_dir)
    if quakeml is not None:
        keys = index["network"] + "." + index["station"] + "." + index["location"]
        channels = {k: sorted(set(g)) for k, g in index["channel"].groupby(keys)}
        description = f"Automatic picks by seisbench-llm pick: {manifest['model']} {weights}"
        write_table_quakeml(table, Path(quakeml).expanduser(), channels, description)
        summary.outputs["quakeml"] = str(Path(quakeml).expanduser())
    summary.outputs["summary"] = str(out_dir / SUMMARY)
    summary.write(out_dir / SUMMARY)
    return summary
