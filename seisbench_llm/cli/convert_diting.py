"""``seisbench-llm convert-diting``: the original DiTing files into a SeisBench dataset."""

from __future__ import annotations

import argparse

from seisbench_llm.cli.common import (
    PROG,
    CommandError,
)


def _run_convert_diting(args: argparse.Namespace) -> int:
    from seisbench_llm.data.diting import convert_diting

    try:
        summary = convert_diting(
            args.src,
            args.dst,
            light=args.light,
            split_fractions=tuple(args.fractions),
            seed=args.seed,
            split_by=args.split_by,
            split_column=args.split_column,
            parts=args.parts,
            overwrite=args.overwrite,
            progress=not args.no_progress,
            verbose=True,
        )
    except (FileNotFoundError, FileExistsError, ValueError) as error:
        raise CommandError(str(error)) from error
    if summary.written == 0:
        raise CommandError("no trace was converted (see the summary above)")
    print(f"Dataset written to {summary.destination}")
    return 0


def add_convert_diting_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``convert-diting SRC [DST] [--light] [--seed N] ...``."""
    from seisbench_llm.data.diting import default_diting_path

    parser = subparsers.add_parser(
        "convert-diting",
        help="convert the original DiTing files into a SeisBench dataset",
        description=(
            "Convert the original DiTing files (DiTing330km_part_{0..27}.csv and .hdf5; DiTing "
            "is not public, it is distributed on application by the China Earthquake Networks "
            "Center) into a SeisBench dataset: metadata.csv + waveforms.hdf5, components ZNE, "
            "50 Hz, 9000 samples, magnitudes converted to ML, a train/dev/test split. Rows that "
            "cannot be used are counted per reason in the summary printed at the end. Read the "
            "result with seisbench_llm.data.DiTing(DST)."
        ),
        epilog=(
            f"examples:\n  {PROG} convert-diting /data/DiTing ~/diting_sb\n"
            f"  {PROG} convert-diting /data/DiTing --light    "
            "# into the SeisBench cache: DiTing(light=True)"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("src", metavar="SRC", help="folder with the original DiTing part files")
    parser.add_argument(
        "dst",
        metavar="DST",
        nargs="?",
        default=None,
        help=(
            "output folder (default: the SeisBench cache, "
            f"{default_diting_path(False)} or {default_diting_path(True)} with --light)"
        ),
    )
    parser.add_argument(
        "--light",
        action="store_true",
        help=(
            "keep only DiTing-light traces: every field filled, known polarity, known magnitude "
            "type, 0 < P < S < 9000"
        ),
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the random split (default: %(default)s)"
    )
    parser.add_argument(
        "--fractions",
        type=float,
        nargs=3,
        default=(0.8, 0.1, 0.1),
        metavar=("TRAIN", "DEV", "TEST"),
        help="split fractions (default: 0.8 0.1 0.1)",
    )
    parser.add_argument(
        "--split-by",
        choices=("trace", "event"),
        default="trace",
        help="split randomly by trace (as SeisMoLLM/SeisT) or by event (default: %(default)s)",
    )
    parser.add_argument(
        "--split-column",
        metavar="COLUMN",
        default=None,
        help="take the split from this CSV column (train/dev/test, val = dev) instead",
    )
    parser.add_argument(
        "--parts",
        type=int,
        nargs="+",
        metavar="N",
        default=None,
        help="convert only these part numbers (default: all, absent parts are reported)",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing dataset in DST"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(func=_run_convert_diting)
