"""Metadata conventions shared by the augmentations: pick columns, tasks, polarity labels."""

from __future__ import annotations

from typing import Any

__all__ = [
    "PHASE_DICT",
    "POLARITY_CLASSES",
    "POLARITY_COLUMNS",
    "P_PHASES",
    "S_PHASES",
    "TASKS",
    "polarity_class",
]

#: Phase names counted as P and as S (those of STEAD, ETHZ, INSTANCE, ...; the pick benchmark's
#: mapping, Münchmeyer et al. 2022).
P_PHASES: tuple[str, ...] = ("p", "P", "P1", "Pg", "Pn", "pP", "PmP", "pwP", "pwPm")
S_PHASES: tuple[str, ...] = ("s", "S", "S1", "Sg", "SmS", "Sn")

#: Metadata pick columns and their phase.
PHASE_DICT: dict[str, str] = {
    **{f"trace_{p}_arrival_sample": "P" for p in P_PHASES},
    **{f"trace_{s}_arrival_sample": "S" for s in S_PHASES},
}

#: SeisMoLLM tasks, in the order of :py:data:`seisbench_llm.models.seismollm.TASKS`.
TASKS: tuple[str, ...] = ("picking", "polarity", "magnitude", "distance", "back_azimuth")

#: First-motion class per (upper-case) polarity label: 0 up, 1 down. Anything else is unknown.
POLARITY_CLASSES: dict[str, int] = {
    "U": 0,
    "C": 0,
    "UP": 0,
    "POSITIVE": 0,
    "R": 1,
    "D": 1,
    "DOWN": 1,
    "NEGATIVE": 1,
}

#: Metadata columns searched for the first-motion polarity, first known value wins: the generic
#: column, then one per P phase (ETHZ writes ``trace_<phase>_polarity`` for every pick).
POLARITY_COLUMNS: tuple[str, ...] = ("trace_polarity", *(f"trace_{p}_polarity" for p in P_PHASES))


def polarity_class(value: Any) -> int:
    """First-motion class of a polarity label (:py:data:`POLARITY_CLASSES`).

    :param value: Polarity label (any case), or anything else.
    :return: 0 up (U, C, ...), 1 down (R, D, ...), -1 unknown.
    """
    if not isinstance(value, str):
        return -1
    return POLARITY_CLASSES.get(value.strip().upper(), -1)
