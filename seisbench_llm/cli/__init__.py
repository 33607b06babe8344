"""The ``seisbench-llm`` command line, one small module per subcommand.

Each subcommand module has an ``add_<name>_parser(subparsers)`` function, listed in
:py:data:`COMMANDS`: it adds its parser and sets ``func`` (called with the parsed arguments,
returning an exit code). Adding a subcommand means writing such a module and appending its
function to :py:data:`COMMANDS`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from seisbench_llm.cli.annotate import add_annotate_parser
from seisbench_llm.cli.common import MODEL_NAMES, PROG, CommandError
from seisbench_llm.cli.convert_diting import add_convert_diting_parser
from seisbench_llm.cli.demo import add_demo_parser
from seisbench_llm.cli.export import add_export_parser
from seisbench_llm.cli.list_weights import add_list_parser
from seisbench_llm.cli.pick import add_pick_parser
from seisbench_llm.picks_io import PICK_COLUMNS

__all__ = [
    "COMMANDS",
    "MODEL_NAMES",
    "PICK_COLUMNS",
    "PROG",
    "CommandError",
    "build_parser",
    "main",
]


#: The subcommands: one function per subcommand, adding its parser to the subparsers.
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_demo_parser,
    add_convert_diting_parser,
    add_annotate_parser,
    add_export_parser,
    add_list_parser,
    add_pick_parser,
]


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
