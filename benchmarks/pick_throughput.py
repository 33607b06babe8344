"""Archive-picking throughput (station-days per hour) of ``seisbench_llm.picking.pick_archive``
on a local Dask cluster of 1 and 2 workers, for SeisMoLLM and EQTransformer; peak memory per
worker and the scaling ratio; prints a markdown table.

Method
------
Archive: an SDS tree written once into ``--out/archive``: ``--stations`` stations, ``--days``
days, 3 components (HHZ, HHN, HHE) of Gaussian noise at 100 Hz (float32 miniSEED), the first
``--hours`` hours of each day (24: whole days). Models: random weights (speed does not depend
on them), built as ``benchmarks/speed.py`` builds them (SeisMoLLM picking with LoRA merged, as
exported weights are; ``--tiny``: the tiny test SeisMoLLM, a smoke test only), default annotate
settings.

For each model and each worker count: a fresh local cluster (``--threads-per-worker`` threads
per worker process, ``--torch-threads`` torch threads per worker), one ``pick_archive`` run of
the whole archive into a fresh output folder. Columns:

- wall (s): ``pick_archive``'s picking time (``PickSummary.seconds``): Dask submission, the model
  loaded once per worker, every chunk read, classified and written. Indexing is not included.
- station-days/h: data station-hours / 24 per wall hour (with ``--hours 24``: chunks per hour).
- peak RSS/worker: the largest peak resident memory (``VmHWM``) among the worker processes,
  read on each worker after the run; "after start-up" is their largest RSS before the run
  (Python, Dask, torch and seisbench imported).
- scaling: station-days/h with N workers over that with 1 worker.

The machine must be otherwise idle: other processes slow every figure down (the load average
before each run is recorded).

Examples::

    python benchmarks/pick_throughput.py --stations 4 --days 2 --out /tmp/pick_bench
    python benchmarks/pick_throughput.py --tiny --stations 2 --days 1 --hours 0.5 --out /tmp/pb
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import obspy

from seisbench_llm.benchmarking import peak_rss_bytes, rss_bytes
from seisbench_llm.precision import PRECISIONS

GIB = 2**30
MODELS = ("seismollm", "eqtransformer")


def log(message: str) -> None:
    print(f"[pick_throughput {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def write_archive(root: Path, stations: int, days: int, hours: float, seed: int = 0) -> float:
    """Write the noise SDS archive under ``root`` (skipped if complete); station-hours of data."""
    marker = root / "complete.json"
    spec = {"stations": stations, "days": days, "hours": hours, "seed": seed}
    if marker.is_file() and json.loads(marker.read_text()) == spec:
        return stations * days * hours
    shutil.rmtree(root, ignore_errors=True)
    rng = np.random.default_rng(seed)
    rate, n = 100.0, int(round(hours * 3600 * 100.0))
    for s in range(stations):
        for d in range(days):
            start = obspy.UTCDateTime(2024, 1, 1) + d * 86400
            for channel in ("HHZ", "HHN", "HHE"):
                stats = {"network": "BM", "station": f"S{s:03d}", "channel": channel}
                trace = obspy.Trace(rng.normal(size=n).astype(np.float32), header=stats)
                trace.stats.sampling_rate, trace.stats.starttime = rate, start
                name = f"BM.S{s:03d}..{channel}.D.{start.year}.{start.julday:03d}"
                path = root / str(start.year) / "BM" / f"S{s:03d}" / f"{channel}.D" / name
                path.parent.mkdir(parents=True, exist_ok=True)
                trace.write(str(path), format="MSEED")
    marker.write_text(json.dumps(spec))
    return stations * days * hours


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def measure(model_name: str, workers: int, args: argparse.Namespace, station_hours: float) -> dict:
    """One pick_archive run on a fresh local cluster of ``workers`` workers."""
    from distributed import Client, LocalCluster
    from speed import NAMES, build_model

    from seisbench_llm.picking import pick_archive

    model = build_model(model_name, args.tiny)
    out = args.out / "runs" / f"{model_name}_{workers}"
    shutil.rmtree(out, ignore_errors=True)
    load = load_average()
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=args.threads_per_worker,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(lambda: __import__("seisbench_llm.picking.task"))
        started_rss = max(client.run(rss_bytes).values())
        summary = pick_archive(
            args.out / "archive",
            out,
            model,
            scheduler_address=cluster.scheduler_address,
            torch_threads=args.torch_threads,
            precision=args.precision,
            progress=not args.no_progress,
        )
        peaks = client.run(peak_rss_bytes)
    if summary.failed:
        raise RuntimeError(f"{model_name}: chunks failed: {summary.failed}")
    per_hour = station_hours / 24 / (summary.seconds / 3600)
    result = {
        "model": NAMES[model_name] + (" (tiny)" if args.tiny and model_name == "seismollm" else ""),
        "workers": workers,
        "chunks": summary.done,
        "wall_s": summary.seconds,
        "station_days_per_hour": per_hour,
        "peak_rss_gib": max(peaks.values()) / GIB,
        "startup_rss_gib": started_rss / GIB,
        "load_before": load,
    }
    log(f"{result['model']}, {workers} worker(s): {per_hour:.1f} station-days/h")
    return result


def report(results: list[dict], args: argparse.Namespace) -> str:
    base = {r["model"]: r["station_days_per_hour"] for r in results if r["workers"] == 1}
    from seisbench_llm.precision import resolve_precision

    used = resolve_precision(args.precision, "cpu")
    lines = [
        f"Archive: {args.stations} stations x {args.days} days x {args.hours:g} h of 3-component "
        f"100 Hz noise; {args.threads_per_worker} thread(s) and "
        f"{args.torch_threads} torch thread(s) per worker; {os.cpu_count()} CPUs; SeisMoLLM "
        f"precision {args.precision} ({used} here; the other models run in float32).",
        "",
        "| model | workers | chunks | wall (s) | station-days/h | peak RSS/worker (GiB) "
        "| after start-up (GiB) | scaling | load before |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        one = base.get(r["model"])
        scaling = f"{r['station_days_per_hour'] / one:.2f}x" if one else "-"
        lines.append(
            f"| {r['model']} | {r['workers']} | {r['chunks']} | {r['wall_s']:.1f} | "
            f"{r['station_days_per_hour']:.1f} | {r['peak_rss_gib']:.2f} | "
            f"{r['startup_rss_gib']:.2f} | {scaling} | {r['load_before']:.1f} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True, help="work folder (archive, runs)")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts")
    parser.add_argument("--stations", type=int, default=4)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--hours", type=float, default=24.0, help="hours of data per day")
    parser.add_argument("--threads-per-worker", type=int, default=1)
    parser.add_argument("--torch-threads", type=int, default=1, help="torch threads per worker")
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help="SeisMoLLM's precision, as `seisbench-llm pick --precision` (default auto)",
    )
    parser.add_argument("--tiny", action="store_true", help="tiny SeisMoLLM (smoke test only)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if not 0 < args.hours <= 24:
        parser.error(f"--hours must lie in (0, 24], got {args.hours}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    log("writing the archive")
    station_hours = write_archive(args.out / "archive", args.stations, args.days, args.hours)
    results = [
        measure(model, workers, args, station_hours)
        for model in args.models
        for workers in args.workers
    ]
    text = report(results, args)
    (args.out / "pick_throughput.md").write_text(text + "\n", encoding="utf-8")
    (args.out / "pick_throughput.json").write_text(json.dumps(results, indent=2))
    print(text)


if __name__ == "__main__":
    main()
