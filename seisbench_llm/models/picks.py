"""Pick decoding shared by the picking models: one phase per onset.

The picking head gives P and S their own probability curve (independent sigmoids), so nothing in
the network stops both curves from crossing their thresholds at the same onset: a P onset with
strong horizontal motion can raise the S curve too. One onset is one phase, and a P and an S of
the same event at one station are at least the S-P time apart (0.2 s is about 1.7 km of
hypocentral distance), so :py:func:`separate_phases` keeps, of a P and an S pick closer than
:py:data:`PS_SEPARATION_S`, only the more probable one. ``classify`` applies it with the
argument ``ps_separation`` (0 turns it off).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

__all__ = [
    "PS_SEPARATION_ARG",
    "PS_SEPARATION_S",
    "one_phase_per_onset",
    "separate_phases",
    "separation_args",
]

#: Default shortest time (s) between a P and an S pick of one station: two label widths (the
#: training labels are Gaussians of sigma 0.1 s), below which the two picks are one onset.
PS_SEPARATION_S = 0.2

#: The ``ps_separation`` entry of the ``_annotate_args`` of a model whose ``classify`` applies
#: :py:func:`one_phase_per_onset` (SeisMoLLM, SeisMoE).
PS_SEPARATION_ARG = (
    "Picking, classify: of a P and an S pick of one station closer than this (s), only the more "
    "probable is kept (one onset is one phase; seisbench_llm.models.picks). 0: keep both.",
    PS_SEPARATION_S,
)


def separate_phases(picks: Sequence[Any], min_separation: float = PS_SEPARATION_S) -> list:
    """Drop, of every P and S pick of one station closer than ``min_separation``, the one with
    the lower ``peak_value`` (the S pick on a tie).

    :param picks: ``seisbench.util.Pick`` objects (``trace_id``, ``phase``, ``peak_time``,
        ``peak_value``); phases other than P and S are kept as they are.
    :param min_separation: Seconds; 0 keeps every pick.
    :return: The kept picks, in their original order.
    :raises ValueError: A negative or NaN ``min_separation``.
    """
    if not min_separation >= 0:
        raise ValueError(f"ps_separation must be >= 0 seconds, got {min_separation}")
    if min_separation == 0:
        return list(picks)
    by_station: dict[str, dict[str, list]] = defaultdict(lambda: {"P": [], "S": []})
    for pick in picks:
        if pick.phase in ("P", "S"):
            by_station[pick.trace_id][pick.phase].append(pick)
    dropped = set()
    for phases in by_station.values():
        p_picks = sorted(phases["P"], key=lambda p: p.peak_time)
        p_times = [p.peak_time for p in p_picks]
        for s_pick in phases["S"]:
            lo = bisect.bisect_left(p_times, s_pick.peak_time - min_separation)
            hi = bisect.bisect_right(p_times, s_pick.peak_time + min_separation)
            for p_pick in p_picks[lo:hi]:
                if abs(p_pick.peak_time - s_pick.peak_time) >= min_separation:
                    continue
                weaker = s_pick if p_pick.peak_value >= s_pick.peak_value else p_pick
                dropped.add(id(weaker))
    return [pick for pick in picks if id(pick) not in dropped]


def one_phase_per_onset(model: Any, picks: Sequence[Any], argdict: dict) -> list:
    """:py:func:`separate_phases` with the ``ps_separation`` of a ``classify`` call (``argdict``),
    or else ``model``'s default: the step a model's ``classify_aggregate`` ends with.

    :param model: A ``WaveformModel`` whose ``_annotate_args`` hold :py:data:`PS_SEPARATION_ARG`.
    :param picks: Its picks.
    :param argdict: The ``classify`` arguments.
    :return: The kept picks, in their original order.
    """
    separation = argdict.get("ps_separation", model._annotate_args["ps_separation"][1])
    return separate_phases(picks, separation)


def separation_args(model: Any, ps_separation: float | None) -> dict[str, float]:
    """The ``ps_separation`` annotate argument for ``model``, for callers that take it as an option.

    :param model: A ``WaveformModel``.
    :param ps_separation: Seconds, or None for the weights' default.
    :return: ``{"ps_separation": seconds}``, or ``{}`` for None.
    :raises ValueError: ``model`` has no such argument (only SeisMoLLM's and SeisMoE's
        ``classify`` keep one phase per onset).
    """
    if ps_separation is None:
        return {}
    if "ps_separation" not in model._annotate_args:  # WaveformModel's hook for annotate arguments
        raise ValueError(
            f"ps_separation applies to SeisMoLLM and SeisMoE only ({type(model).__name__}'s "
            "classify keeps every P and S pick)"
        )
    return {"ps_separation": float(ps_separation)}
