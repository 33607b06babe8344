"""Writing synthetic datasets in SeisBench format and the cached :py:class:`Synthetic` dataset."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import seisbench
from seisbench.data import WaveformBenchmarkDataset, WaveformDataWriter

from seisbench_llm.data.synthetic.sampling import SyntheticPreset, _get_preset
from seisbench_llm.data.synthetic.simulate import _iter_batches

#: Version of the generator. It is part of the cache folder name of :py:class:`Synthetic`, so a
#: change to the physics never silently reuses data made by an older generator.
GENERATOR_VERSION = 3


def _data_format(preset: SyntheticPreset) -> dict[str, Any]:
    # no dataset-wide sampling rate: each trace has its own (trace_sampling_rate_hz)
    return {
        "component_order": "ZNE",
        "dimension_order": "CW",
        "measurement": "velocity or acceleration (trace_measurement)",
        "unit": "counts",
        "instrument_response": "not restituted (gain in trace_gain, trace_gain_unit)",
    }


def _write_dataset(
    writer: WaveformDataWriter,
    n_traces: int,
    preset: str | SyntheticPreset,
    seed: int,
    noise_fraction: float,
    split_fractions: tuple[float, float, float],
    workers: int | None = None,
) -> None:
    preset = _get_preset(preset)
    writer.data_format = _data_format(preset)
    writer.set_total(n_traces)
    for waveforms, meta in _iter_batches(
        n_traces, preset, seed, noise_fraction, split_fractions, workers
    ):
        for row, waveform in zip(meta.to_dict("records"), waveforms, strict=True):
            writer.add_trace(row, waveform)


def generate_synthetic(
    path: str | Path,
    n_traces: int = 3000,
    preset: str | SyntheticPreset = "stead",
    seed: int = 0,
    noise_fraction: float = 0.12,
    split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    workers: int | None = None,
) -> Path:
    """Write a synthetic dataset in SeisBench format (``metadata.csv`` + ``waveforms.hdf5``).

    :param path: Output folder (created if needed); existing files are overwritten.
    :param n_traces: Number of traces, see :py:func:`simulate_synthetic`.
    :param preset: Preset name or :py:class:`SyntheticPreset`, see :py:func:`simulate_synthetic`.
    :param seed: Random seed, see :py:func:`simulate_synthetic`.
    :param noise_fraction: Share of noise-only traces, see :py:func:`simulate_synthetic`.
    :param split_fractions: Train/dev/test shares, see :py:func:`simulate_synthetic`.
    :param workers: Generator threads, see :py:func:`simulate_synthetic`.

    :return: The folder, ready for ``seisbench.data.WaveformDataset(path)``.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    with WaveformDataWriter(path / "metadata.csv", path / "waveforms.hdf5") as writer:
        _write_dataset(writer, n_traces, preset, seed, noise_fraction, split_fractions, workers)
    return path


def _folder_name(
    preset: SyntheticPreset,
    n_traces: int,
    seed: int,
    noise_fraction: float,
    split_fractions: tuple[float, float, float],
) -> str:
    config = {
        "version": GENERATOR_VERSION,
        "preset": asdict(preset),
        "noise_fraction": noise_fraction,
        "split_fractions": list(split_fractions),
    }
    digest = hashlib.sha1(json.dumps(config, sort_keys=True).encode()).hexdigest()[:8]
    return f"{preset.name}_n{n_traces}_seed{seed}_{digest}"


class Synthetic(WaveformBenchmarkDataset):
    """Synthetic earthquake/noise dataset, generated on first use into the SeisBench cache.

    The data are written once to ``seisbench.cache_data_root / "synthetic" / <folder>`` with a
    folder per preset, size, seed and generator configuration, then loaded like any SeisBench
    dataset. Nothing is downloaded. See :py:func:`simulate_synthetic` for the parameters.

    :param preset: ``"stead"`` (100 Hz, 60 s) or ``"diting"`` (50 Hz, 180 s), or a
        :py:class:`SyntheticPreset`.
    :param n_traces: Number of traces.
    :param seed: Random seed of the generator.
    :param noise_fraction: Share of noise-only traces.
    :param split_fractions: Train/dev/test shares of the ``split`` column.
    :param kwargs: Passed to :py:class:`seisbench.data.WaveformBenchmarkDataset` (e.g.
        ``sampling_rate``, ``component_order``, ``cache``, ``force``). ``sampling_rate`` defaults
        to the preset's: SeisBench resamples each trace on reading and rescales the
        ``*_sample`` columns; ``sampling_rate=None`` gives the traces at their own rates.
    """

    def __init__(
        self,
        preset: str | SyntheticPreset = "stead",
        n_traces: int = 3000,
        seed: int = 0,
        noise_fraction: float = 0.12,
        split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
        **kwargs: Any,
    ):
        preset = _get_preset(preset)
        split_fractions = tuple(float(x) for x in split_fractions)
        self._generation = {
            "n_traces": int(n_traces),
            "preset": preset,
            "seed": int(seed),
            "noise_fraction": float(noise_fraction),
            "split_fractions": split_fractions,
        }
        self._folder = _folder_name(
            preset, int(n_traces), int(seed), float(noise_fraction), split_fractions
        )
        citation = (
            "Synthetic waveforms generated locally by seisbench_llm.data.synthetic "
            f"(generator version {GENERATOR_VERSION}, preset {preset.name}, seed {int(seed)})."
        )
        kwargs.setdefault("name", f"Synthetic_{self._folder}")
        # traces come at several sampling rates: read them at the preset's rate unless told
        kwargs.setdefault("sampling_rate", preset.sampling_rate)
        # zero-phase anti-alias filter when decimating: no delay of the onsets against the labels
        kwargs.setdefault("resample_zerophase", True)
        super().__init__(
            citation=citation,
            license="CC0-1.0",
            repository_lookup=False,
            compile_from_source=True,
            download_kwargs=dict(self._generation),
            **kwargs,
        )

    @property
    def path(self) -> Path:
        """Cache folder of this preset/size/seed/configuration."""
        return Path(seisbench.cache_data_root, "synthetic", self._folder)

    @classmethod
    def available_chunks(cls, *args: Any, **kwargs: Any) -> list[str]:
        """The synthetic dataset is never chunked (and never looked up remotely)."""
        return [""]

    def _download_dataset(self, writer: WaveformDataWriter, chunk: str, **kwargs: Any) -> None:
        _write_dataset(writer, **kwargs)
        config = {k: v for k, v in kwargs.items() if k != "preset"}
        config.update(preset=asdict(kwargs["preset"]), version=GENERATOR_VERSION)
        (self.path / "synthetic_config.json").write_text(json.dumps(config, indent=2))
