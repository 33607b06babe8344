"""Train/dev/test splits of the converted DiTing: random by trace or event, or from a CSV column."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seisbench_llm.data.diting.source import Skip

__all__ = ["SPLITS", "check_split_settings", "merge_metadata", "random_splits", "split_code"]

#: Split names, indexed by split code.
SPLITS = ("train", "dev", "test")
_SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "dev": "dev",
    "val": "dev",
    "valid": "dev",
    "validation": "dev",
    "test": "test",
    "testing": "test",
}


def check_split_settings(split_fractions: Sequence[float], split_by: str) -> None:
    """Check the settings of a random split.

    :param split_fractions: Train, dev and test fractions.
    :param split_by: ``"trace"`` or ``"event"``.
    :raises ValueError: Unless there are 3 non-negative fractions summing to 1 and ``split_by``
                        is valid.
    """
    if len(split_fractions) != 3 or any(f < 0 for f in split_fractions):
        raise ValueError(f"split_fractions must be 3 non-negative numbers, got {split_fractions}")
    if not math.isclose(sum(split_fractions), 1.0, abs_tol=1e-6):
        raise ValueError(f"split_fractions must sum to 1, got {split_fractions}")
    if split_by not in ("trace", "event"):
        raise ValueError(f"split_by must be 'trace' or 'event', got {split_by!r}")


def split_code(name: str) -> int:
    """Split code of a split name from a CSV (train/training, dev/val/valid/validation,
    test/testing; any case).

    :param name: The name.
    :return: 0 train, 1 dev, 2 test.
    :raises Skip: ``invalid_split`` for anything else.
    """
    split = _SPLIT_NAMES.get(name.lower())
    if split is None:
        raise Skip("invalid_split")
    return SPLITS.index(split)


def _split_counts(n: int, fractions: Sequence[float]) -> tuple[int, int]:
    """Number of train and dev items of ``n`` (the rest is test)."""
    n_train = math.floor(fractions[0] * n + 1e-9)
    n_dev = math.floor(fractions[1] * n + 1e-9)
    return n_train, n_dev


def random_splits(groups: np.ndarray, fractions: Sequence[float], seed: int) -> np.ndarray:
    """Split codes (0 train, 1 dev, 2 test) for traces in groups ``0..G-1``.

    The groups are shuffled as ``pandas.DataFrame.sample(frac=1, random_state=seed)`` does (the
    shuffle of SeisT); the first ``floor(f_train * G)`` groups are train, the next
    ``floor(f_dev * G)`` dev, the rest test.

    :param groups: Group (trace or event number) of each trace.
    :param fractions: Train, dev and test fractions.
    :param seed: Seed of the shuffle.
    :return: Split code per trace (uint8).
    """
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    order = np.random.RandomState(seed).choice(n_groups, size=n_groups, replace=False)
    n_train, n_dev = _split_counts(n_groups, fractions)
    codes = np.full(n_groups, 2, dtype=np.uint8)
    codes[order[:n_train]] = 0
    codes[order[n_train : n_train + n_dev]] = 1
    return codes[groups]


def merge_metadata(names_csv: Path, rows_csv: Path, out_csv: Path, splits: np.ndarray) -> None:
    """Write the final metadata: the rows, with the writer's ``trace_name`` and the split.

    Both inputs list the written traces in the same order; they are read line by line.

    :param names_csv: Metadata written by SeisBench's writer (``trace_name`` and bucket).
    :param rows_csv: Metadata rows written by the converter.
    :param out_csv: Output file.
    :param splits: Split code per trace.
    """
    with (
        open(names_csv, newline="") as f_names,
        open(rows_csv, newline="") as f_rows,
        open(out_csv, "w", newline="") as f_out,
    ):
        names, rows, out = csv.reader(f_names), csv.reader(f_rows), csv.writer(f_out)
        name_column = next(names).index("trace_name")
        header = next(rows)
        trace_name = header.index("trace_name")
        out.writerow([*header, "split"])
        for i, (name_row, row) in enumerate(zip(names, rows, strict=True)):
            row[trace_name] = name_row[name_column]
            out.writerow([*row, SPLITS[splits[i]]])
