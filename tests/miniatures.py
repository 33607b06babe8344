"""Format-faithful miniatures of STEAD, ETHZ and DiTing, written by the real conversion code.

* STEAD: a tiny ``merged.csv`` + ``merged.hdf5`` in STEAD's original layout (original column names,
  ``data/<trace_name>`` datasets of shape (6000, 3) in E, N, Z order, 100 Hz, noise and earthquake
  traces) converted by SeisBench's own ``STEAD._download_dataset``; the EQTransformer test list
  it downloads is replaced by a local ``test.npy``.
* ETHZ: a QuakeML catalog (``ethz_events.xml``), a StationXML-like inventory and ObsPy waveform
  streams served by a fake FDSN client to SeisBench's own ``ETHZ._download_dataset``: traces from
  60 s before the first to 60 s after the last pick, 100/120/200/250 Hz stations, the ETHZ
  phase names (P, Pg, Pn, P1, PmP, S, Sg, Sn, S1, SmS) with polarities, time-based splits.
* DiTing: ``DiTing330km_part_0.csv`` / ``.hdf5`` in the original layout, converted by
  :py:func:`seisbench_llm.data.diting.convert_diting` (light).

Each miniature lands in the SeisBench cache (``seisbench.cache_data_root``), where
``seisbench.data.STEAD()``, ``ETHZ()`` and ``DiTing(light=True)`` find it without any network.
Run ``python tests/miniatures.py ROOT`` to write all three under the cache root ``ROOT``, e.g. for
``SEISBENCH_CACHE_ROOT=ROOT python benchmarks/reproduce.py --coverage``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

import h5py
import numpy as np
import obspy
import pandas as pd
from obspy.core.event import (
    Catalog,
    CreationInfo,
    Event,
    Magnitude,
    Origin,
    Pick,
    ResourceIdentifier,
    WaveformStreamID,
)
from obspy.core.inventory import Channel, Inventory, Network, Station

STEAD_TRACES = (48, 12)  # earthquakes, noise
ETHZ_EVENTS = 10
DITING_TRACES = 40


def _event_wave(n: int, onsets: dict[float, float], rng: np.random.Generator) -> np.ndarray:
    """(3, n) noise with a decaying 5-cycle burst after every onset sample (value: amplitude)."""
    x = rng.normal(0, 1, (3, n))
    t = np.arange(n)
    for onset, amp in onsets.items():
        after = t >= onset
        k = (t[after] - onset).astype(float)
        burst = amp * np.sin(2 * np.pi * k / 20) * np.exp(-k / 300)
        x[:, after] += burst * rng.uniform(0.5, 1.5, (3, 1))
    return x


# ------------------------------------------------------------------------------------- STEAD
def _stead_raw(src: Path, rng: np.random.Generator) -> list[str]:
    """Write merged.csv / merged.hdf5; return the trace names of the test list."""
    rows, waves = [], {}
    n_eq, n_noise = STEAD_TRACES
    for i in range(n_eq + n_noise):
        eq = i < n_eq
        start = obspy.UTCDateTime(2015, 1, 1) + 3600 * i
        name = f"ST{i:02d}.XX_{start.strftime('%Y%m%d%H%M%S')}_{'EV' if eq else 'NO'}"
        p = int(rng.integers(300, 1500)) if eq else np.nan
        s = p + int(rng.integers(150, 2500)) if eq else np.nan
        dist = (s - p) / 100 * 8.0 if eq else np.nan
        rows.append(
            {
                "network_code": "XX",
                "receiver_code": f"ST{i:02d}",
                "receiver_type": "HH",
                "receiver_latitude": 35.0 + 0.01 * i,
                "receiver_longitude": -117.0,
                "receiver_elevation_m": 500.0,
                "p_arrival_sample": p,
                "p_status": "manual" if eq else None,
                "p_weight": 0.8 if eq else np.nan,
                "p_travel_sec": p / 100 - 1 if eq else np.nan,
                "s_arrival_sample": s,
                "s_status": "manual" if eq else None,
                "s_weight": 0.7 if eq else np.nan,
                "source_id": f"ci{1000 + i}" if eq else None,
                "source_origin_time": str(start + 1) if eq else None,
                "source_origin_uncertainty_sec": 0.5 if eq else np.nan,
                "source_latitude": 35.2 if eq else np.nan,
                "source_longitude": -117.3 if eq else np.nan,
                "source_error_sec": 0.3 if eq else np.nan,
                "source_gap_deg": 80.0 if eq else np.nan,
                "source_horizontal_uncertainty_km": 0.4 if eq else np.nan,
                "source_depth_km": 8.0 if eq else np.nan,
                "source_depth_uncertainty_km": 1.0 if eq else np.nan,
                "source_magnitude": round(float(rng.uniform(0.5, 4.5)), 2) if eq else np.nan,
                "source_magnitude_type": "ml" if eq else None,
                "source_magnitude_author": "SCEDC" if eq else None,
                "source_mechanism_strike_dip_rake": None,
                "source_distance_deg": dist / 111.2 if eq else np.nan,
                "source_distance_km": dist,
                "back_azimuth_deg": float(rng.uniform(0, 360)) if eq else np.nan,
                "snr_db": "[45.1 40.2 38.7]" if eq else None,
                "coda_end_sample": f"[[{min(s + 1500, 5999)}.]]" if eq else None,
                "trace_start_time": start.strftime("%Y-%m-%d %H:%M:%S.%f"),
                "trace_category": "earthquake_local" if eq else "noise",
                "trace_name": name,
            }
        )
        onsets = {p: 20.0, s: 40.0} if eq else {}
        waves[name] = _event_wave(6000, onsets, rng)[::-1].T.astype(np.float32)  # (6000, 3) ENZ
    pd.DataFrame(rows).to_csv(src / "merged.csv", index=False)
    with h5py.File(src / "merged.hdf5", "w") as f:
        group = f.create_group("data")
        for row in rows:
            dset = group.create_dataset(row["trace_name"], data=waves[row["trace_name"]])
            dset.attrs["trace_category"] = row["trace_category"]
    names = [r["trace_name"] for r in rows]
    return names[::5]  # every fifth trace is in the test list


def write_stead(rng: np.random.Generator | None = None) -> Path:
    """STEAD miniature via ``seisbench.data.STEAD._download_dataset``; returns its folder."""
    import seisbench.data as sbd
    import seisbench.util

    rng = rng or np.random.default_rng(0)
    stead = object.__new__(sbd.STEAD)  # the conversion code, without the remote lookup of __init__
    src = stead.path.parent / "stead_raw"
    src.mkdir(parents=True, exist_ok=True)
    test_names = _stead_raw(src, rng)

    def fake_download(url, target, **kwargs):  # the EQTransformer test list, offline
        np.save(target, np.array(test_names))

    with (
        mock.patch.object(seisbench.util, "download_http", fake_download),
        sbd.WaveformDataWriter(stead.path / "metadata.csv", stead.path / "waveforms.hdf5") as w,
    ):
        sbd.STEAD._download_dataset(stead, w, basepath=src)
    return stead.path


# -------------------------------------------------------------------------------------- ETHZ
ETHZ_STATIONS = (
    ("CH", "AAA", "HH", 100.0),
    ("CH", "BBB", "HH", 120.0),
    ("8D", "CCC", "HG", 200.0),
    ("C4", "DDD", "EH", 250.0),
)
ETHZ_PHASES = (("Pg", "Sg"), ("Pn", "Sn"), ("P1", "S1"), ("P", "S"), ("PmP", "SmS"))
ETHZ_POLARITIES = ("positive", "negative", None, "undecidable")


class _FakeETHClient:
    """The parts of ``obspy.clients.fdsn.Client("ETH")`` that the ETHZ conversion calls."""

    def __init__(self, onsets: dict, rng: np.random.Generator):
        self.onsets = onsets  # (net, sta) -> list of (UTCDateTime, amplitude)
        self.rng = rng

    def get_stations(self, **kwargs) -> Inventory:
        networks = {}
        for net, sta, band, rate in ETHZ_STATIONS:
            channels = [
                Channel(
                    f"{band}{c}", "", 46.0, 8.0, 500.0, 0.0, azimuth=az, dip=dip, sample_rate=rate
                )
                for c, az, dip in (("Z", 0.0, -90.0), ("N", 0.0, 0.0), ("E", 90.0, 0.0))
            ]
            station = Station(sta, 46.0 + 0.1 * len(networks), 8.0, 500.0, channels=channels)
            networks.setdefault(net, Network(net)).stations.append(station)
        return Inventory(networks=list(networks.values()), source="fake")

    def get_waveforms(self, network, station, location, channel, starttime, endtime):
        _, _, band, rate = next(s for s in ETHZ_STATIONS if s[:2] == (network, station))
        start, end = starttime - 2, endtime + 2
        n = int((end - start) * rate) + 1
        onsets = {(t - start) * rate: amp for t, amp in self.onsets[(network, station)]}
        x = _event_wave(n, onsets, self.rng) * 100
        header = {"network": network, "station": station, "sampling_rate": rate, "starttime": start}
        return obspy.Stream(
            [
                obspy.Trace(x[i].astype(np.int32), {**header, "channel": band + c})
                for i, c in enumerate("ZNE")
            ]
        )


def _ethz_catalog(rng: np.random.Generator) -> tuple[Catalog, dict]:
    events, onsets = [], {}
    years = np.linspace(0, 1, ETHZ_EVENTS)
    for i in range(ETHZ_EVENTS):  # 2014 .. 2020: train, dev (2019-01-08 .. 2019-09-04), test
        t0 = obspy.UTCDateTime(2014, 3, 1) + years[i] * (6.5 * 365 * 86400)
        origin = Origin(
            time=t0,
            latitude=46.5,
            longitude=8.5,
            depth=7000.0,
            time_errors={"uncertainty": 0.2},
            latitude_errors={"uncertainty": 0.5},
            longitude_errors={"uncertainty": 0.5},
            depth_errors={"uncertainty": 900.0},
        )
        mag = Magnitude(
            mag=round(float(rng.uniform(1.5, 3.5)), 1),
            magnitude_type="MLhc",
            mag_errors={"uncertainty": 0.2},
            creation_info=CreationInfo(agency_id="SED"),
        )
        event = Event(
            resource_id=ResourceIdentifier(f"smi:ch.ethz.sed/sc20a/Event/2020x{i:04d}"),
            origins=[origin],
            magnitudes=[mag],
        )
        event.preferred_origin_id, event.preferred_magnitude_id = (
            origin.resource_id,
            mag.resource_id,
        )
        for j, (net, sta, band, _) in enumerate(ETHZ_STATIONS[: 2 + i % 3]):
            p_name, s_name = ETHZ_PHASES[(i + j) % len(ETHZ_PHASES)]
            tp = t0 + float(rng.uniform(2, 15))
            ts = tp + float(rng.uniform(1.5, 12))
            phases = [(p_name, tp), (s_name, ts)]
            if (i + j) % 3 == 0:  # a second P-type pick (Pn before Pg)
                phases.append(("Pn" if p_name != "Pn" else "Pg", tp + 0.8))
            for k, (hint, t) in enumerate(phases):
                wid = WaveformStreamID(net, sta, "", f"{band}Z")
                polarity = (
                    ETHZ_POLARITIES[(i + j + k) % 4] if hint.upper().startswith("P") else None
                )
                event.picks.append(
                    Pick(
                        time=t,
                        waveform_id=wid,
                        phase_hint=hint,
                        evaluation_mode="manual",
                        polarity=polarity,
                    )
                )
            onsets.setdefault((net, sta), []).extend([(tp, 20.0), (ts, 40.0)])
        events.append(event)
    return Catalog(events=events), onsets


def write_ethz(rng: np.random.Generator | None = None) -> Path:
    """ETHZ miniature via ``seisbench.data.ETHZ._download_dataset``; returns its folder."""
    import seisbench.data as sbd

    rng = rng or np.random.default_rng(1)
    ethz = object.__new__(sbd.ETHZ)  # the conversion code, without the remote lookup of __init__
    ethz.path.mkdir(parents=True, exist_ok=True)
    catalog, onsets = _ethz_catalog(rng)
    catalog.write(str(ethz.path / "ethz_events.xml"), format="QUAKEML")
    ethz._client = _FakeETHClient(onsets, rng)
    with sbd.WaveformDataWriter(ethz.path / "metadata.csv", ethz.path / "waveforms.hdf5") as w:
        sbd.ETHZ._download_dataset(ethz, w)
    return ethz.path


# ------------------------------------------------------------------------------------ DiTing
def write_diting(rng: np.random.Generator | None = None) -> Path:
    """DiTing-light miniature: one original-format part converted by ``convert_diting``."""
    from seisbench_llm.data.diting import convert_diting, default_diting_path

    rng = rng or np.random.default_rng(2)
    dst = default_diting_path(light=True)
    src = dst.parent / "diting_raw"
    src.mkdir(parents=True, exist_ok=True)
    rows, waves = [], {}
    for i in range(DITING_TRACES):
        key = f"{100 + i // 4:06d}.{1 + i % 4:04d}"
        p = int(rng.integers(500, 3000))
        s = p + int(rng.integers(100, 1500))
        rows.append(
            {
                "part": 0,
                "key": key,
                "ev_id": 100 + i // 4,
                "evmag": round(float(rng.uniform(1, 5)), 1),
                "mag_type": ("ML", "Ms", "mb")[i % 3],
                "p_pick": p,
                "p_clarity": "IE"[i % 2],
                "p_motion": "UCRD"[i % 4],
                "s_pick": s,
                "net": "SC",
                "sta_id": 1 + i % 4,
                "dis": round((s - p) / 50 * 8.0, 1),
                "st_mag": 2.0,
                "baz": float(rng.uniform(0, 360)),
                **{
                    f"{c}_{ph}_{k}_snr": 10.0
                    for c in "ZNE"
                    for ph in "PS"
                    for k in ("amplitude", "power")
                },
                "P_residual": 0.1,
                "S_residual": -0.1,
            }
        )
        waves[key] = _event_wave(9000, {p: 20.0, s: 40.0}, rng).T.astype(np.float32)  # (9000, 3)
    pd.DataFrame(rows).to_csv(src / "DiTing330km_part_0.csv")
    with h5py.File(src / "DiTing330km_part_0.hdf5", "w") as f:
        group = f.create_group("earthquake")
        for key, data in waves.items():
            group.create_dataset(key, data=data)
    convert_diting(src, dst, light=True, parts=[0], overwrite=True, progress=False, verbose=False)
    return dst


def write_all() -> dict[str, Path]:
    """All three miniatures into the current SeisBench cache."""
    return {"STEAD": write_stead(), "ETHZ": write_ethz(), "DiTing": write_diting()}


_ROOT: list[Path] = []


def miniature_root() -> Path:
    """A SeisBench cache root holding the three miniatures, written once per test session."""
    if not _ROOT:
        import tempfile

        import seisbench

        root = Path(tempfile.mkdtemp(prefix="seisbench_llm_miniatures_"))
        with mock.patch.object(seisbench, "cache_data_root", root / "datasets"):
            write_all()
        _ROOT.append(root)
    return _ROOT[0]


def use_miniatures(monkeypatch) -> Path:
    """Point SeisBench (and subprocesses, through ``SEISBENCH_CACHE_ROOT``) at the miniatures."""
    import seisbench

    root = miniature_root()
    monkeypatch.setattr(seisbench, "cache_data_root", root / "datasets")
    monkeypatch.setattr(seisbench, "cache_model_root", root / "models" / "v3")
    monkeypatch.setenv("SEISBENCH_CACHE_ROOT", str(root))
    return root


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(
            "usage: python tests/miniatures.py CACHE_ROOT   (then SEISBENCH_CACHE_ROOT=CACHE_ROOT)"
        )
    import os

    os.environ["SEISBENCH_CACHE_ROOT"] = sys.argv[1]  # read by seisbench at import
    for name, path in write_all().items():
        print(f"{name}: {path}")
