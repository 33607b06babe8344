"""What a DiTing conversion did: :py:class:`DiTingConversionSummary` and the skip reasons."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SKIP_REASONS", "DiTingConversionSummary"]

#: Skip reasons, in the order the checks run (a skipped row is counted under its first failure).
SKIP_REASONS = (
    "corrupt_row",
    "invalid_split",
    "duplicate_key",
    "missing_fields",
    "unknown_polarity",
    "unknown_magnitude_type",
    "bad_picks",
    "missing_waveform_file",
    "missing_waveform",
    "bad_shape",
    "unreadable_waveform",
    "non_finite_waveform",
)


@dataclass
class DiTingConversionSummary:
    """What :py:func:`~seisbench_llm.data.diting.convert_diting` did. ``read == written + sum(skipped.values())`` always.

    :param source: Folder of the original DiTing files.
    :param destination: Folder of the SeisBench dataset.
    :param light: Whether the DiTing-light selection was applied.
    :param parts: Part numbers whose CSV was read.
    :param missing_parts: Problems with part files, ``{part: description}``.
    :param read: Source rows read (including corrupt lines).
    :param written: Traces written.
    :param skipped: Skipped rows per reason (see :py:data:`SKIP_REASONS`).
    :param splits: Written traces per split.
    :param notes: Counts about written traces worth knowing (unknown magnitude type, clipped
                  magnitude).
    """

    source: Path
    destination: Path
    light: bool
    parts: list[int] = field(default_factory=list)
    missing_parts: dict[int, str] = field(default_factory=dict)
    read: int = 0
    written: int = 0
    skipped: Counter = field(default_factory=Counter)
    splits: dict[str, int] = field(default_factory=dict)
    notes: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain Python types.

        :return: A JSON-serialisable dict.
        """
        return {
            "source": str(self.source),
            "destination": str(self.destination),
            "light": self.light,
            "parts": list(self.parts),
            "missing_parts": {int(k): v for k, v in sorted(self.missing_parts.items())},
            "read": self.read,
            "written": self.written,
            "skipped": {k: int(v) for k, v in self.skipped.items()},
            "splits": dict(self.splits),
            "notes": {k: int(v) for k, v in self.notes.items()},
        }

    def __str__(self) -> str:
        """The summary as printed at the end of a conversion."""
        kind = "DiTing-light" if self.light else "DiTing"
        lines = [
            f"{kind} conversion: {self.source} -> {self.destination}",
            f"  parts read:    {_ranges(self.parts) or 'none'}",
        ]
        if self.missing_parts:
            by_problem: dict[str, list[int]] = {}
            for part, problem in sorted(self.missing_parts.items()):
                by_problem.setdefault(problem, []).append(part)
            for problem, parts in by_problem.items():
                lines.append(f"  parts {_ranges(parts)}: {problem}")
        lines.append(f"  rows read:     {self.read}")
        lines.append(f"  written:       {self.written}")
        lines.append(f"  skipped:       {sum(self.skipped.values())}")
        for reason in SKIP_REASONS:
            if self.skipped.get(reason):
                lines.append(f"    {reason:<24} {self.skipped[reason]}")
        if self.splits:
            lines.append(
                "  splits:        " + ", ".join(f"{k} {v}" for k, v in self.splits.items())
            )
        for note, count in sorted(self.notes.items()):
            lines.append(f"  note: {note} {count}")
        return "\n".join(lines)


def _ranges(numbers: Sequence[int]) -> str:
    """Compact text of integers: ``[0, 1, 2, 5]`` -> ``"0-2, 5"``.

    :param numbers: The integers.
    :return: The text.
    """
    out: list[str] = []
    values = sorted(numbers)
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        out.append(str(values[i]) if i == j else f"{values[i]}-{values[j]}")
        i = j + 1
    return ", ".join(out)
