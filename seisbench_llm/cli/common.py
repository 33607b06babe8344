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


def probability(value: str) -> float:
    """Argparse type: a threshold in (0, 1]."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0.0 < number <= 1.0:
        raise argparse.ArgumentTypeError(f"must lie in (0, 1], got {number}")
    return number
