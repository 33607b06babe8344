"""Metadata conventions shared by the augmentations: pick columns, tasks, polarity labels."""

from __future__ import annotations

from typing import Any

__all__ = ["PHASE_DICT", "POLARITY_CLASSES", "POLARITY_COLUMNS", "TASKS", "polarity_class"]


#: Metadata pick columns and their phase (mapping of the pick benchmark, Münchmeyer et al. 2022).
PHASE_DICT: dict[str, str] = {
    **{
        f"trace_{p}_arrival_sample": "P"
        for p in ("p", "P", "P1", "Pg", "Pn", "pP", "PmP", "pwP", "pwPm")
    },
    **{f"trace_{s}_arrival_sample": "S" for s in ("s", "S", "S1", "Sg", "SmS", "Sn")},
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

#: Metadata columns searched for the first-motion polarity, first match wins.
POLARITY_COLUMNS: tuple[str, ...] = ("trace_polarity", "trace_P_polarity", "trace_p_polarity")


def polarity_class(value: Any) -> int:
    """First-motion class of a polarity label (:py:data:`POLARITY_CLASSES`).

    :param value: Polarity label (any case), or anything else.
    :return: 0 up (U, C, ...), 1 down (R, D, ...), -1 unknown.
    """
    if not isinstance(value, str):
        return -1
    return POLARITY_CLASSES.get(value.strip().upper(), -1)
