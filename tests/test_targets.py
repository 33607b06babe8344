"""Protocol A target generation on a small hand-made SeisBench dataset with known arrivals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import seisbench.data as sbd

from seisbench_llm.training.targets import (
    PHASE_DICT,
    TASK1_COLUMNS,
    TASK23_COLUMNS,
    eval_metadata,
    generate_targets,
    load_targets,
    phase_columns,
    select_window,
    write_targets,
)

NAN = np.nan
# name, split, npts (at 100 Hz), p, Pg, s arrival samples (at 100 Hz)
TRACES = [
    ("eq_dev", "dev", 6000, 1000, NAN, 1500),
    ("noise_dev", "dev", 6000, NAN, NAN, NAN),
    ("eq_train", "train", 6000, 1000, NAN, 1500),  # not evaluated, must not draw
    ("late_test", "test", 6000, NAN, 4000, 4600),  # Pg; noise window before the event
    ("close_test", "test", 6000, 2000, NAN, 2040),  # P and S too close to isolate
    ("short_test", "test", 3000, 1200, NAN, NAN),  # one window long
    ("edge_test", "test", 3000, 50, NAN, NAN),  # arrival too close to the trace start
]


def _write(path, factor: int = 1) -> sbd.WaveformDataset:
    """Write TRACES with the sampling rate divided by ``factor`` (arrivals and lengths too)."""
    sr = 100.0 / factor
    rng = np.random.default_rng(0)
    with sbd.WaveformDataWriter(path / "metadata.csv", path / "waveforms.hdf5") as writer:
        writer.data_format = {
            "dimension_order": "CW",
            "component_order": "ZNE",
            "sampling_rate": sr,
            "measurement": "velocity",
            "unit": "counts",
            "instrument_response": "not restituted",
        }
        for name, split, npts, p, pg, s in TRACES:
            meta = {
                "station_code": name,  # the writer replaces trace_name by the HDF5 location
                "split": split,
                "trace_sampling_rate_hz": sr,
                "trace_p_arrival_sample": p / factor,
                "trace_Pg_arrival_sample": pg / factor,
                "trace_s_arrival_sample": s / factor,
            }
            writer.add_trace(meta, rng.normal(size=(3, npts // factor)).astype(np.float32))
    return sbd.WaveformDataset(path)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> sbd.WaveformDataset:
    return _write(tmp_path_factory.mktemp("targets_ds"))


def _expected_windows() -> tuple[list, list]:
    """The windows worked out by hand, drawing from RandomState(42) in the benchmark's order."""
    rng = np.random.RandomState(42)
    # task 1, window 3000, first arrival >= 100 samples from both edges
    a = rng.randint(0, 901)  # eq_dev: P 1000 -> start in [0, 900]
    b = rng.randint(0, 3001)  # noise_dev: anywhere in 6000 samples
    c = rng.randint(1100, 3001)  # late_test: Pg 4000 -> start in [1100, 3000]
    d = rng.randint(0, 1001)  # late_test: noise inside the first 4000 samples
    e = rng.randint(0, 1901)  # close_test: P 2000 -> start in [0, 1900]
    task1 = [
        ("eq_dev", "dev", a, a + 3000, "earthquake"),
        ("noise_dev", "dev", b, b + 3000, "noise"),
        ("late_test", "test", c, c + 3000, "earthquake"),
        ("late_test", "test", d, d + 3000, "noise"),
        ("close_test", "test", e, e + 3000, "earthquake"),
        ("short_test", "test", 0, 3000, "earthquake"),  # whole trace, no draw
    ]  # edge_test: P at 50 < 100 samples from the trace start -> no window
    # tasks 2/3, window 1000, pick >= 50 samples from edges, neighbours >= 50 samples outside
    rng = np.random.RandomState(42)
    f = rng.randint(50, 451)  # eq_dev P 1000, S 1500: window inside [0, 1450)
    g = 1050 + rng.randint(0, 401)  # eq_dev S: window inside [1050, 6000)
    h = rng.randint(3050, 3551)  # late_test Pg 4000, S 4600: window inside [0, 4550)
    i = 4050 + rng.randint(0, 501)  # late_test S: window inside [4050, 6000)
    j = rng.randint(250, 1151)  # short_test P 1200 in a 3000 sample trace
    task23 = [
        ("eq_dev", "dev", f, f + 1000, "P", "p", 1000),
        ("eq_dev", "dev", g, g + 1000, "S", "s", 1500),
        ("late_test", "test", h, h + 1000, "P", "Pg", 4000),
        ("late_test", "test", i, i + 1000, "S", "s", 4600),
        ("short_test", "test", j, j + 1000, "P", "p", 1200),
    ]  # close_test: 40 samples between P and S -> neither isolated; edge_test: too close
    return task1, task23


def _rows(df: pd.DataFrame, cols: list[str], dataset: sbd.WaveformDataset) -> list[tuple]:
    """Rows of ``cols`` with the trace name replaced by the label in TRACES."""
    meta = dataset.metadata
    label = dict(zip(meta["trace_name"], meta["station_code"], strict=True))
    rows = df[cols].assign(trace_name=df["trace_name"].map(label))
    return [tuple(r) for r in rows.itertuples(index=False)]


def test_phase_mapping():
    p = ["p", "P", "P1", "Pg", "Pn", "pP", "PmP", "pwP", "pwPm", "P2"]
    s = ["s", "S", "S1", "Sg", "SmS", "Sn", "S2"]
    assert PHASE_DICT == {
        **{f"trace_{x}_arrival_sample": "P" for x in p},
        **{f"trace_{x}_arrival_sample": "S" for x in s},
    }
    cols = ["trace_name", "trace_Pn_arrival_sample", "trace_Sg_arrival_sample", "trace_X_sample"]
    assert phase_columns(cols) == {"trace_Pn_arrival_sample": "P", "trace_Sg_arrival_sample": "S"}


def test_select_window_rules():
    rng = np.random.RandomState(0)
    assert select_window(rng, 800, 1000, containing=400) == (0, 800)
    for _ in range(50):
        start, end = select_window(rng, 6000, 1000, containing=700, bounds=(50, 50))
        assert end - start == 1000 and start + 50 <= 700 <= end - 50
    # a single valid start is not drawn (benchmark rule): the whole trace comes back
    assert select_window(rng, 1001, 1000, containing=951, bounds=(50, 50)) == (0, 1001)


def test_eval_metadata(dataset):
    meta = eval_metadata(dataset, sampling_rate=100.0)
    names = dataset.metadata["trace_name"]
    assert list(meta["trace_name"]) == [names[i] for i in (0, 1, 3, 4, 5, 6)]
    assert list(meta["trace_idx"]) == [0, 1, 3, 4, 5, 6]  # rows of the full dataset
    assert list(meta["trace_npts"]) == [6000, 6000, 6000, 6000, 3000, 3000]
    assert meta.loc[2, "trace_Pg_arrival_sample"] == 4000
    with pytest.raises(ValueError, match="split"):
        eval_metadata(type("D", (), {"metadata": pd.DataFrame({"trace_name": ["a"]})})())


def test_targets_exact_windows(dataset):
    targets = generate_targets(dataset)
    exp1, exp23 = _expected_windows()

    task1 = pd.concat([targets["task1"]["dev"], targets["task1"]["test"]])
    assert list(task1.columns) == TASK1_COLUMNS
    cols1 = ["trace_name", "trace_split", "start_sample", "end_sample", "trace_type"]
    assert _rows(task1, cols1, dataset) == exp1
    assert (targets["task1"]["dev"]["trace_split"] == "dev").all()
    assert set(task1["sampling_rate"]) == {100.0}

    task23 = pd.concat([targets["task23"]["dev"], targets["task23"]["test"]])
    assert list(task23.columns) == TASK23_COLUMNS
    cols23 = [
        "trace_name",
        "trace_split",
        "start_sample",
        "end_sample",
        "phase_label",
        "full_phase_label",
        "phase_onset_sample",
    ]
    assert _rows(task23, cols23, dataset) == exp23
    np.testing.assert_array_equal(
        task23["phase_onset"], task23["phase_onset_sample"] - task23["start_sample"]
    )


def test_target_invariants(dataset):
    targets = generate_targets(dataset)
    arrivals = {
        name: [x for x in t[3:] if np.isfinite(x)]
        for name, t in zip(dataset.metadata["trace_name"], TRACES, strict=True)
    }
    for df in targets["task1"].values():
        for row in df.itertuples():
            assert row.end_sample - row.start_sample <= 3000
            if row.trace_type == "earthquake":
                first = min(arrivals[row.trace_name])
                assert row.start_sample + 100 <= first <= row.end_sample - 100
            else:  # noise windows hold no arrival
                assert not any(
                    row.start_sample <= a < row.end_sample for a in arrivals[row.trace_name]
                )
    for df in targets["task23"].values():
        for row in df.itertuples():
            assert row.end_sample - row.start_sample == 1000
            assert 50 <= row.phase_onset <= 1000 - 50  # >= 0.5 s from both edges
            others = [a for a in arrivals[row.trace_name] if a != row.phase_onset_sample]
            # exactly one pick in the window, the others at least 0.5 s outside
            assert all(a <= row.start_sample - 50 or a >= row.end_sample + 50 for a in others)


def test_targets_deterministic_and_seeded(dataset):
    first = generate_targets(dataset)
    second = generate_targets(dataset)
    for task in ("task1", "task23"):
        for split in ("dev", "test"):
            pd.testing.assert_frame_equal(first[task][split], second[task][split])
    other = generate_targets(dataset, seed=7)
    assert not first["task1"]["dev"].equals(other["task1"]["dev"])


def test_targets_resampled_dataset(tmp_path, dataset):
    """A 50 Hz copy of the dataset gives the same targets at 100 Hz."""
    low = _write(tmp_path, factor=2)
    meta = eval_metadata(low, sampling_rate=100.0)
    assert list(meta["trace_npts"]) == [6000, 6000, 6000, 6000, 3000, 3000]
    assert meta.loc[0, "trace_p_arrival_sample"] == 1000.0
    ref, got = generate_targets(dataset), generate_targets(low)
    for task in ("task1", "task23"):
        for split in ("dev", "test"):
            cols = ["trace_idx", "start_sample", "end_sample"]
            pd.testing.assert_frame_equal(ref[task][split][cols], got[task][split][cols])


def test_write_and_load_targets(tmp_path, dataset):
    paths = write_targets(dataset, tmp_path / "targets")
    assert {p.name for p in paths.values()} == {"task1.csv", "task23.csv"}
    task1_csv = pd.read_csv(paths["task1"])
    assert set(task1_csv["trace_split"]) == {"dev", "test"}  # one file, all splits

    loaded = load_targets(tmp_path / "targets")
    ref = generate_targets(dataset)
    for task in ("task1", "task23"):
        for split in ("dev", "test"):
            pd.testing.assert_frame_equal(loaded[task][split], ref[task][split], check_dtype=False)

    # benchmark files: phase_onset relative to the trace, no phase_onset_sample
    bench = pd.read_csv(paths["task23"])
    bench["phase_onset"] = bench.pop("phase_onset_sample")
    bench_dir = tmp_path / "bench"
    bench_dir.mkdir()
    bench.to_csv(bench_dir / "task23.csv", index=False)
    converted = load_targets(bench_dir)
    assert set(converted) == {"task23"}
    pd.testing.assert_series_equal(
        converted["task23"]["test"]["phase_onset"],
        ref["task23"]["test"]["phase_onset"],
        check_dtype=False,
    )
