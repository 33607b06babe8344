"""``seisbench-llm pick``: the command line of :py:func:`seisbench_llm.picking.pick_archive`.

Listed in :py:data:`seisbench_llm.cli.COMMANDS`; shared argument types from
:py:mod:`seisbench_llm.cli.common`.
"""

from __future__ import annotations

import argparse

from seisbench_llm.cli.common import (
    PROG,
    CommandError,
    add_model_options,
    positive_int,
    wrap,
)


def _run_pick(args: argparse.Namespace) -> int:
    from seisbench_llm.picking.run import pick_archive

    try:
        summary = pick_archive(
            args.archive,
            args.out,
            args.model,
            args.weights,
            start=args.start,
            end=args.end,
            select=args.select,
            layout=args.layout,
            n_workers=args.workers,
            threads_per_worker=args.threads_per_worker,
            torch_threads=args.torch_threads,
            scheduler_address=args.scheduler,
            retries=args.retries,
            device=args.device,
            precision=args.precision,
            batch_size=args.batch_size,
            P_threshold=args.P_threshold,
            S_threshold=args.S_threshold,
            ps_separation=args.ps_separation,
            quakeml=args.quakeml,
            overwrite=args.overwrite,
            progress=not args.no_progress,
        )
    except (ValueError, OSError) as error:  # bad input, weights, output folder, no scheduler
        raise CommandError(str(error).strip().splitlines()[0]) from error
    print(summary.text())
    return 1 if summary.failed else 0


def add_pick_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``pick ARCHIVE --model MODEL --weights NAME --out DIR [--start DAY] [--end DAY] ...``."""
    from seisbench_llm.picking.archive import LAYOUTS

    parser = subparsers.add_parser(
        "pick",
        help="pick a whole archive (SDS or folder) station-day by station-day on Dask, resumably",
        description=wrap(
            "Pick P and S phases in a continuous-data archive: an SDS tree (YEAR/NET/STA/"
            "CHAN.TYPE/NET.STA.LOC.CHAN.TYPE.YEAR.DAY) or a folder of waveform files (indexed "
            "once from their headers; the index is cached in DIR). The work is cut into "
            "station-day chunks, each read with a margin of more than one model window on both "
            "sides; a pick belongs to the day holding its peak time, so no pick near midnight is "
            "lost or doubled. Chunks run on Dask: a local cluster (--workers, "
            "--threads-per-worker) or a running one (--scheduler); the model is loaded once per "
            "worker. Each chunk's picks are written as it finishes (DIR/chunks/NET.STA.LOC/"
            "DAY.csv); rerunning the same command skips finished chunks and retries failed "
            "ones. A chunk whose data cannot be read, or whose worker dies, is retried "
            "(--retries) and then recorded in DIR/failed.csv with the reason; the others go on.",
            "Written into DIR: picks.csv and picks.parquet (all finished chunks merged), "
            "failed.csv, summary.json (chunks done/skipped/failed, picks per phase, "
            "station-days per hour), run.json, archive_index.parquet; with --quakeml a QuakeML "
            "file. Exit code 1 when a chunk failed.",
        ),
        epilog=(
            f"examples:\n  {PROG} pick /data/sds --model PhaseNet --weights stead --out picks \\\n"
            "      --start 2024-01-01 --end 2024-01-31 --select 'XX.*' 'YY.AB?..HH?'\n"
            f"  {PROG} pick /data/mseed --layout folder --model SeisMoLLM --weights stead \\\n"
            "      --out picks --workers 4 --threads-per-worker 2\n"
            f"  {PROG} pick /data/sds --model EQTransformer --weights original --out picks \\\n"
            "      --scheduler tcp://10.0.0.1:8786\n"
            "see docs/archive_picking.md for clusters (SLURM, Kubernetes)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("archive", metavar="ARCHIVE", help="SDS root or folder of waveform files")
    add_model_options(parser, " on each worker")
    parser.add_argument(
        "--out", required=True, metavar="DIR", help="output folder; rerun into it to resume"
    )
    parser.add_argument("--start", metavar="DAY", help="first day, e.g. 2024-01-01 (default: data)")
    parser.add_argument("--end", metavar="DAY", help="last day, included (default: data)")
    parser.add_argument(
        "--select",
        nargs="+",
        metavar="ID",
        default=["*"],
        help="NET[.STA[.LOC[.CHA]]] patterns with wildcards * ? [..]; quote them (default: all)",
    )
    parser.add_argument(
        "--layout", choices=LAYOUTS, default="auto", help="archive layout (default: %(default)s)"
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=2,
        metavar="N",
        help="worker processes of the local cluster (default: %(default)s)",
    )
    parser.add_argument(
        "--threads-per-worker",
        type=positive_int,
        default=1,
        metavar="N",
        help="chunks at a time per worker of the local cluster (default: %(default)s)",
    )
    parser.add_argument(
        "--torch-threads",
        type=positive_int,
        default=None,
        metavar="N",
        help="torch threads per worker (default: --threads-per-worker; torch's on --scheduler)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="use the running Dask cluster of this scheduler (tcp://host:8786) instead",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        metavar="N",
        help="Dask retries of a failed chunk (default: %(default)s)",
    )
    parser.add_argument("--quakeml", metavar="FILE", default=None, help="also write QuakeML")
    parser.add_argument(
        "--overwrite", action="store_true", help="delete earlier picks in DIR and start again"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.set_defaults(func=_run_pick)
