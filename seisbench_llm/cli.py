"""The ``seisbench-llm`` command line.

Each subcommand is one ``add_<name>_parser(subparsers)`` function listed in :py:data:`COMMANDS`:
it adds its parser and sets ``func`` (called with the parsed arguments, returning an exit code).
Adding a subcommand means writing such a function and appending it to :py:data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

PROG = "seisbench-llm"


class CommandError(Exception):
    """An error to report to the user as one line on stderr, without a traceback."""


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


#: The subcommands: one function per subcommand, adding its parser to the subparsers.
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [add_convert_diting_parser]


def build_parser() -> argparse.ArgumentParser:
    """The ``seisbench-llm`` argument parser with every subcommand of :py:data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="seisbench_llm: SeisMoLLM and SeisMoE for SeisBench, and their data.",
    )
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for add_parser in COMMANDS:
        add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``seisbench-llm`` command line.

    :param argv: Arguments without the program name; ``sys.argv[1:]`` if None.
    :return: Exit code: 0 on success, 1 on a reported error, 2 on invalid usage, 130 when
             interrupted.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0) or a usage error (2), already printed
        return exit_.code if isinstance(exit_.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except CommandError as error:
        print(f"{PROG} {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
