"""Pick a whole waveform archive (SDS or a folder of files) station-day by station-day on Dask,
resumably: :py:func:`pick_archive` and the ``seisbench-llm pick`` command.

Dask is imported on first use of :py:func:`pick_archive`, not with this package.
"""

from typing import Any

__all__ = ["PickSummary", "pick_archive"]


def __getattr__(name: str) -> Any:
    if name == "pick_archive":
        from seisbench_llm.picking.run import pick_archive

        return pick_archive
    if name == "PickSummary":
        from seisbench_llm.picking.outputs import PickSummary

        return PickSummary
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
