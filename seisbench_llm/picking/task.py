"""What a Dask worker does: hold the model (loaded once per worker) and pick one chunk."""

from __future__ import annotations

import copy
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from distributed.diagnostics.plugin import WorkerPlugin

from seisbench_llm.picking.archive import matches
from seisbench_llm.picking.chunks import Chunk
from seisbench_llm.picks_io import PICK_COLUMNS, station_key

#: Columns of the per-chunk and merged pick tables (times ISO 8601, UTC, in CSV).
TABLE_COLUMNS = tuple(c for c in PICK_COLUMNS if c != "source_file")
TIME_COLUMNS = ("peak_time", "start_time", "end_time")


class ChunkError(RuntimeError):
    """A chunk cannot be picked (e.g. one of its files is unreadable); the message says why."""


def load_model(source: Any, device: str | None = None, precision: str = "auto") -> Any:
    """The picking model of ``source``, on ``device``, ready to annotate
    (:py:func:`seisbench_llm.models.loading.ready_for_annotation`).

    :param source: ``(model name, weights)`` as ``seisbench-llm annotate`` takes them (a registry
                   name or a weight file path), or a SeisBench ``WaveformModel`` instance.
    :param device: ``"cpu"`` or ``"cuda"``; None: cuda when available, else cpu.
    :param precision: Precision of SeisMoLLM's forward pass (see :py:mod:`seisbench_llm.precision`).
    :raises ValueError: The weights cannot be loaded or are not picking weights.
    """
    import torch

    from seisbench_llm.models import loading

    if isinstance(source, tuple):
        model = loading.load_model(*source)
    else:  # a shallow copy: ready_for_annotation may change the class of the instance it gets,
        model = copy.copy(source)  # and the caller's instance must stay picklable for the workers
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return loading.ready_for_annotation(model.to(device).eval(), precision)


class ModelPlugin(WorkerPlugin):
    """Dask worker plugin: sets the worker's torch threads and loads the model once per worker
    (on first use), shared by the worker's threads.

    :param source: See :py:func:`load_model`; a model instance travels to each worker once.
    :param device: See :py:func:`load_model`.
    :param precision: See :py:func:`load_model`.
    :param torch_threads: ``torch.set_num_threads`` on the worker; None leaves torch's default.
    """

    def __init__(
        self,
        source: Any,
        device: str | None = None,
        torch_threads: int | None = None,
        precision: str = "auto",
    ):
        self.source = source
        self.device = device
        self.precision = precision
        self.torch_threads = torch_threads
        self.name = f"seisbench-llm-picker-{uuid.uuid4().hex[:12]}"

    def setup(self, worker: Any) -> None:
        import torch

        if self.torch_threads is not None:
            torch.set_num_threads(self.torch_threads)
        self._lock = threading.Lock()
        self._model = None

    def model(self) -> Any:
        """The loaded model (loaded on the first call)."""
        with self._lock:
            if self._model is None:
                self._model = load_model(self.source, self.device, self.precision)
        return self._model


@dataclass(frozen=True)
class TaskSettings:
    """What every chunk task needs besides its chunk.

    :param out_dir: Output folder (chunk files go to ``OUT/chunks``).
    :param plugin: Name of the :py:class:`ModelPlugin` holding the model.
    :param argdict: Arguments of ``model.classify``.
    :param patterns: Trace selection (``NET.STA.LOC.CHA`` wildcards).
    """

    out_dir: str
    plugin: str
    argdict: dict
    patterns: tuple[str, ...]


def read_chunk(chunk: Chunk, patterns: tuple[str, ...]) -> Any:
    """The chunk's selected traces in ``[read_start, read_end]``, seamless pieces joined as ObsPy's
    SDS client does (``merge(-1)``: gaps and overlaps stay for annotate to handle).

    :raises ChunkError: A file of the chunk cannot be read.
    """
    import obspy

    t0, t1 = obspy.UTCDateTime(chunk.read_start), obspy.UTCDateTime(chunk.read_end)
    stream = obspy.Stream()
    for path in (*chunk.files, *(p for p, _ in chunk.unreadable)):
        try:
            part = obspy.read(path, starttime=t0, endtime=t1, nearest_sample=True)
        except Exception as error:  # ObsPy raises TypeError, ValueError, struct.error, ...
            lines = str(error).strip().splitlines()
            detail = f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
            raise ChunkError(f"cannot read {path} ({detail})") from None
        stream += obspy.Stream(
            [tr for tr in part if station_key(tr) == chunk.station and matches(tr.id, patterns)]
        )
    stream.merge(method=-1)
    return stream.trim(t0, t1, nearest_sample=True)


def picks_table(picks: Any, chunk: Chunk) -> pd.DataFrame:
    """The picks (SeisBench picks) that belong to ``chunk``, as :py:data:`TABLE_COLUMNS`."""
    rows = []
    for pick in picks:
        peak = pick.peak_time if pick.peak_time is not None else pick.start_time
        if not chunk.owns(peak.timestamp):
            continue
        rows.append(
            {
                "trace_id": pick.trace_id,
                "phase": pick.phase,
                "peak_time": str(peak),
                "start_time": str(pick.start_time),
                "end_time": str(pick.end_time),
                "peak_value": None if pick.peak_value is None else float(pick.peak_value),
            }
        )
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def write_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV to ``path`` at once: into a hidden temporary file, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    frame.to_csv(tmp, index=False, float_format="%.4f")
    os.replace(tmp, path)


async def _classify_watched(model: Any, stream: Any, argdict: dict[str, Any]) -> Any:
    """``model.classify_async`` that fails when one of its internal tasks fails.

    SeisBench's annotate pipeline runs as asyncio tasks linked by queues; when one of them
    raises (e.g. in the model's forward), the others wait on their queue forever. Every task
    created here is tracked, and the first exception among them is raised.
    """
    import asyncio

    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task] = []

    def factory(loop: Any, coro: Any, **kwargs: Any) -> asyncio.Task:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        tasks.append(task)
        return task

    loop.set_task_factory(factory)
    main = asyncio.ensure_future(model.classify_async(stream, **argdict))
    while True:
        done, _ = await asyncio.wait({main}, timeout=0.2)
        if done:
            return main.result()
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                main.cancel()
                raise task.exception()


def classify(model: Any, stream: Any, argdict: dict[str, Any]) -> Any:
    """``model.classify(stream, **argdict)``, raising (not hanging) when the model fails."""
    import asyncio

    return asyncio.run(_classify_watched(model, stream, argdict))


def pick_chunk(chunk: Chunk, settings: TaskSettings) -> dict[str, Any]:
    """Pick one chunk on a Dask worker and write its picks file.

    :return: ``{"chunk": id, "picks": {phase: count}, "seconds": wall time}``.
    :raises ChunkError: The chunk's data cannot be read.
    """
    from distributed import get_worker

    started = time.perf_counter()
    stream = read_chunk(chunk, settings.patterns)
    model = get_worker().plugins[settings.plugin].model()
    picks = classify(model, stream, settings.argdict).picks if len(stream) else []
    table = picks_table(picks, chunk)
    write_atomic(table, chunk.output(settings.out_dir))
    return {
        "chunk": chunk.id,
        "picks": table["phase"].value_counts().to_dict(),
        "seconds": time.perf_counter() - started,
    }
