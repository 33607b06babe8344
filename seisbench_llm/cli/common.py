"""What the subcommands share: the program name, the error they report, argument types and model
lookup."""

from __future__ import annotations

import argparse

from seisbench_llm.models.loading import MODEL_NAMES

PROG = "seisbench-llm"


class CommandError(Exception):
    """An error to report to the user as one line on stderr, without a traceback."""




def wrap(*paragraphs: str) -> str:
    """Help text: each paragraph filled to 88 columns, separated by blank lines."""
    import textwrap

    return "\n\n".join(textwrap.fill(text, 88) for text in paragraphs)


def one_line(error: BaseException) -> str:
    """``Type: first line of the message`` of an exception."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def model_name(value: str) -> str:
    """Argparse type: a model name of :py:data:`MODEL_NAMES`, case-insensitive."""
    canonical = {name.lower(): name for name in MODEL_NAMES}
    return canonical.get(value.lower(), value)  # anything else is rejected by ``choices``


def positive_int(value: str) -> int:
    """Argparse type: an integer >= 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None


def probability(value: str) -> float:
    """Argparse type: a threshold in (0, 1]."""
    number = _number(value)
    if not 0.0 < number <= 1.0:
        raise argparse.ArgumentTypeError(f"must lie in (0, 1], got {number}")
    return number


def seconds(value: str) -> float:
    """Argparse type: a duration in seconds >= 0."""
    number = _number(value)
    if not number >= 0.0:
        raise argparse.ArgumentTypeError(f"must be >= 0 seconds, got {number}")
    return number


def add_model_options(parser: argparse.ArgumentParser, where: str = "") -> None:
    """The options that choose and run a picking model, shared by ``annotate`` and ``pick``:
    ``--model``, ``--weights``, ``--device``, ``--precision``, ``--batch-size``,
    ``--P-threshold``, ``--S-threshold``, ``--ps-separation``.

    :param where: Where the model runs, for the help texts (e.g. ``" on each worker"``).
    """
    from seisbench_llm.precision import PRECISIONS

    parser.add_argument(
        "--model",
        required=True,
        type=model_name,
        choices=MODEL_NAMES,
        help="model class (case-insensitive)",
    )
    parser.add_argument(
        "--weights",
        required=True,
        metavar="NAME",
        help="weight name in the local registry, or a path to a SeisBench weight file pair",
    )
    parser.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default=None,
        help=f"where the model runs{where} (default: cuda when available, else cpu)",
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="auto",
        help=f"numeric precision of SeisMoLLM's forward pass{where} (default auto: a reduced "
        "precision only where the device computes it natively and it gave the same picks as "
        "float32 on trained weights, else float32 - today always float32; bfloat16 is about 1.6x "
        "faster on CPUs with AVX512-BF16 but moved some picks; see docs/speed.md); other models "
        "run in float32",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        metavar="N",
        default=None,
        help="windows per forward pass (default: the model's, 256 for SeisBench models)",
    )
    for phase in ("P", "S"):
        parser.add_argument(
            f"--{phase}-threshold",
            type=probability,
            metavar="X",
            default=None,
            help=f"{phase} probability above which a pick is made (default: the weights' or 0.3)",
        )
    parser.add_argument(
        "--ps-separation",
        type=seconds,
        metavar="SECONDS",
        default=None,
        help="SeisMoLLM, SeisMoE: of a P and an S pick of one station closer than this, keep only the "
        "more probable (one onset is one phase; default: the weights' or 0.2; 0 keeps both)",
    )
