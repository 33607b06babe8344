"""Test helpers for archive picking (imported by tests/test_picking*.py and by the Dask workers
and subprocesses they start, which find this folder on their ``sys.path``).

- :py:func:`make_sds_archive`: a small SDS archive of 3-component noise with impulsive onsets
  at known times, one at midnight, one corrupt file and one missing day.
- :py:class:`OnsetPicker`: a real SeisBench ``WaveformModel`` whose P probability peaks where
  the vertical channel's energy jumps (energy after / energy before, an STA/LTA-like detector),
  so that pick times are known without a trained network.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import obspy
import seisbench.models as sbm
import seisbench.util as sbu
import torch

RATE = 10.0  # Hz: small days (864 000 samples) keep the tests fast
DAYS = ("2024-03-01", "2024-03-02", "2024-03-03")
STATIONS = ("ST01", "ST02", "ST03")
NETWORK = "XX"
CHANNELS = ("HHZ", "HHN", "HHE")
#: (station, onset time) of the inserted events; the second one is 0.3 s before midnight.
EVENTS = (
    ("ST01", "2024-03-01T05:00:00.0"),
    ("ST01", "2024-03-01T23:59:59.7"),
    ("ST01", "2024-03-02T12:34:56.0"),
    ("ST01", "2024-03-03T20:00:00.0"),
    ("ST02", "2024-03-01T08:00:00.0"),
    ("ST02", "2024-03-02T09:00:00.0"),  # in the day whose HHE file is corrupt
    ("ST02", "2024-03-03T00:00:30.0"),
    ("ST03", "2024-03-01T10:10:10.0"),
    ("ST03", "2024-03-02T23:59:10.0"),
)
BOUNDARY_EVENT = EVENTS[1]
CORRUPT = ("ST02", "2024-03-02", "HHE")
MISSING = ("ST03", "2024-03-03")


def sds_path(root: Path, station: str, channel: str, day: str) -> Path:
    """Where ObsPy's SDS layout keeps a station's channel of one day (location empty)."""
    t = obspy.UTCDateTime(day)
    name = f"{NETWORK}.{station}..{channel}.D.{t.year}.{t.julday:03d}"
    return root / str(t.year) / NETWORK / station / f"{channel}.D" / name


def make_sds_archive(root: Path, seed: int = 0) -> Path:
    """Write the test archive (see the module docstring) under ``root`` and return ``root``."""
    rng = np.random.default_rng(seed)
    n = int(86400 * RATE)
    start = obspy.UTCDateTime(DAYS[0])
    total = n * len(DAYS)
    for station in STATIONS:
        data = rng.normal(0.0, 10.0, size=(len(CHANNELS), total))
        for event_station, onset in EVENTS:
            if event_station != station:
                continue
            i = int(round((obspy.UTCDateTime(onset) - start) * RATE))
            length = int(20 * RATE)
            decay = 300.0 * np.exp(-np.arange(length) / (3 * RATE))
            data[:, i : i + length] += decay * rng.normal(0.0, 1.0, size=(len(CHANNELS), length))
        for d, day in enumerate(DAYS):
            if (station, day) == MISSING:
                continue
            for c, channel in enumerate(CHANNELS):
                path = sds_path(root, station, channel, day)
                path.parent.mkdir(parents=True, exist_ok=True)
                if (station, day, channel) == CORRUPT:
                    path.write_bytes(rng.integers(0, 256, size=4096, dtype=np.uint8).tobytes())
                    continue
                trace = obspy.Trace(
                    data[c, d * n : (d + 1) * n].round().astype(np.int32),
                    header={
                        "network": NETWORK,
                        "station": station,
                        "channel": channel,
                        "sampling_rate": RATE,
                        "starttime": start + d * 86400,
                    },
                )
                trace.write(str(path), format="MSEED", encoding="STEIM2")
    return root


class OnsetPicker(sbm.WaveformModel):
    """P probability from the jump of vertical energy: ``r / (r + 20)`` with ``r`` the mean
    energy of the next 1 s over that of the previous 20 s (0 where a window edge cuts either);
    S probability 0. Windows of 60 s, half overlapping, stacked by maximum.

    :param fail_first: The first this many forward passes in a process raise (failure injection).
    :param delay: Seconds to sleep in each forward pass (to kill a run midway).
    """

    _annotate_args = sbm.WaveformModel._annotate_args.copy()
    _annotate_args["*_threshold"] = ("Detection threshold for the provided phase", 0.5)
    _annotate_args["overlap"] = (_annotate_args["overlap"][0], 300)
    _annotate_args["stacking"] = (_annotate_args["stacking"][0], "max")

    def __init__(self, fail_first: int = 0, delay: float = 0.0):
        super().__init__(
            component_order="ZNE",
            sampling_rate=RATE,
            output_type="array",
            in_samples=600,
            pred_sample=(0, 600),
            labels="PS",
        )
        self.fail_first = fail_first
        self.delay = delay
        self.before, self.after = int(20 * RATE), int(1 * RATE)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fail_first > 0:
            self.fail_first -= 1
            raise RuntimeError("injected failure")
        time.sleep(self.delay)
        energy = x[:, 0].double() ** 2
        zero = torch.zeros_like(energy[:, :1])
        cum = torch.cat([zero, energy.cumsum(-1)], -1)  # cum[i] = sum of energy[:i]
        i = torch.arange(energy.shape[-1])
        valid = (i >= self.before) & (i + self.after <= energy.shape[-1])
        lo, hi = (i - self.before).clamp(min=0), (i + self.after).clamp(max=energy.shape[-1])
        before = (cum[:, i] - cum[:, lo]) / self.before
        after = (cum[:, hi] - cum[:, i]) / self.after
        ratio = after / (before + 1e-9)
        p = torch.where(valid, ratio / (ratio + 20.0), torch.zeros_like(ratio))
        return torch.stack([p, torch.zeros_like(p)], -1).float()  # (batch, samples, [P, S])

    def classify_aggregate(self, annotations, argdict) -> sbu.ClassifyOutput:
        picks = sbu.PickList()
        for phase in self.labels:
            threshold = argdict.get(f"{phase}_threshold", self._annotate_args["*_threshold"][1])
            picks += self.picks_from_annotations(
                annotations.select(channel=f"{self.__class__.__name__}_{phase}"), threshold, phase
            )
        return sbu.ClassifyOutput(self.name, picks=sbu.PickList(sorted(picks)))
