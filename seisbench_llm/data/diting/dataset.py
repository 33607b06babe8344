"""The DiTing dataset class, reading a dataset written by :py:func:`~seisbench_llm.data.diting.convert_diting`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import seisbench
from seisbench.data import WaveformDataset

from seisbench_llm.data.diting.source import COMPONENT_ORDER
from seisbench_llm.data.diting.values import normalize_diting_key

__all__ = ["DiTing", "DiTingNotFoundError", "default_diting_path"]

_CITATION = (
    "Zhao, M., Xiao, Z., Chen, S., & Fang, L. (2023). DiTing: A large-scale Chinese seismic "
    "benchmark dataset for artificial intelligence in seismology. Earthquake Science, 36(2), "
    "84-94. https://doi.org/10.1016/j.eqs.2022.01.022"
)
_LICENSE = (
    "Not public: distributed on application by the China Earthquake Networks Center (CENC). "
    "Check your data agreement before sharing converted copies."
)


class DiTingNotFoundError(FileNotFoundError):
    """No converted DiTing dataset at the expected place (DiTing cannot be downloaded)."""


def default_diting_path(light: bool = False) -> Path:
    """Folder of the converted DiTing dataset in the SeisBench cache.

    :param light: DiTing-light (``<cache>/datasets/diting_light``) instead of the full set
                  (``<cache>/datasets/diting``).
    :return: The folder (it may not exist).
    """
    return Path(seisbench.cache_data_root) / ("diting_light" if light else "diting")


def _resolve_path(path: str | Path | None, light: bool) -> Path:
    """The folder of a converted DiTing dataset.

    :param path: The folder, or None to look in the SeisBench cache.
    :param light: Look for DiTing-light first.
    :return: A folder holding ``metadata.csv`` and ``waveforms.hdf5``.
    :raises DiTingNotFoundError: If there is none; the message says how to convert the originals.
    """

    def complete(folder: Path) -> bool:
        return (folder / "metadata.csv").is_file() and (folder / "waveforms.hdf5").is_file()

    if path is not None:
        candidates = [Path(path).expanduser()]
    elif light:
        candidates = [default_diting_path(True), default_diting_path(False)]
    else:
        candidates = [default_diting_path(False)]
    for folder in candidates:
        if complete(folder):
            return folder
    flag, call = (" --light", ", light=True") if light else ("", "")
    raise DiTingNotFoundError(
        f"No converted DiTing dataset (metadata.csv + waveforms.hdf5) in "
        f"{' or '.join(str(c) for c in candidates)}. DiTing is not public and cannot be "
        "downloaded: it is distributed on application by the China Earthquake Networks Center. "
        "With the original files (DiTing330km_part_{0..27}.csv/.hdf5) in SRC, convert them once "
        f"with\n    seisbench-llm convert-diting SRC {candidates[0]}{flag}\n"
        f"or seisbench_llm.data.diting.convert_diting(SRC{call})."
    )


class DiTing(WaveformDataset):
    """DiTing (Zhao et al., 2023), converted with :py:func:`~seisbench_llm.data.diting.convert_diting`.

    Three-component traces of earthquakes in and around China recorded up to 330 km away, 180 s at
    50 Hz (9000 samples, ZNE), with P and S picks, first-motion polarity, magnitude (as ML),
    epicentral distance and back-azimuth. DiTing is not public: nothing is ever downloaded.

    :param path: Folder of the converted dataset. If None, the SeisBench cache
                 (``diting_light``, then ``diting`` for ``light=True``; ``diting`` otherwise).
    :param light: Restrict to DiTing-light (``trace_diting_light``); a no-op on data converted
                  with ``light=True``.
    :param kwargs: Passed to :py:class:`seisbench.data.WaveformDataset` (``cache``,
                   ``component_order``, ``sampling_rate``, ...).
    :raises DiTingNotFoundError: If no converted dataset is found; the message explains how to
                                 convert the original files.
    """

    def __init__(self, path: str | Path | None = None, light: bool = False, **kwargs: Any):
        folder = _resolve_path(path, light)
        kwargs.setdefault("name", "DiTing-light" if light else "DiTing")
        kwargs.setdefault("component_order", COMPONENT_ORDER)
        super().__init__(path=folder, **kwargs)
        self.light = light
        # pandas reads keys as numbers (000001.0010 -> 1.001): restore the canonical text.
        for column in ("trace_diting_key", "trace_name_original"):
            if column in self.metadata.columns:
                self.metadata[column] = [
                    normalize_diting_key(v) if pd.notna(v) else "" for v in self.metadata[column]
                ]
        self.metadata_cache = self.metadata_cache  # rebuild the lookup with the fixed columns
        if light:
            if "trace_diting_light" not in self.metadata.columns:
                raise ValueError(
                    f"{folder} has no trace_diting_light column: not from convert_diting"
                )
            flags = self.metadata["trace_diting_light"].astype(str).str.strip().str.lower()
            mask = flags.isin(["true", "1"]).to_numpy()
            if not mask.all():
                self.filter(mask, inplace=True)

    @property
    def citation(self) -> str:
        """Reference of the DiTing paper.

        :return: The citation.
        """
        return _CITATION

    @property
    def license(self) -> str:
        """Terms of use of DiTing.

        :return: The terms.
        """
        return _LICENSE
