"""Pipelines of ``seisbench_llm.training.pipelines`` on small SeisBench-format fixture datasets.

The fixture traces are unit noise with a +1000 spike at P and a -500 spike at S on every
channel, so a label peak can be checked against the waveform after windows, shifts and crops.
"""

from __future__ import annotations

import numpy as np
import pytest
import seisbench.data as sbd
import seisbench.generate as sbg
import torch
from torch.utils.data import DataLoader

from seisbench_llm.training import baseline_pipelines, pipelines

N_EVENTS, N_NOISE = 20, 4


def write_dataset(path, n_samples: int, sampling_rate: float, p_range: tuple[int, int], seed: int):
    """Fixture dataset: ``N_EVENTS`` events (P/S spikes) and ``N_NOISE`` noise traces, ZNE."""
    rng = np.random.default_rng(seed)
    splits = ["train", "dev", "test"]
    with sbd.WaveformDataWriter(path / "metadata.csv", path / "waveforms.hdf5") as writer:
        writer.data_format = {
            "dimension_order": "CW",
            "component_order": "ZNE",
            "sampling_rate": sampling_rate,
            "measurement": "velocity",
            "unit": "counts",
            "instrument_response": "not restituted",
        }
        for i in range(N_EVENTS + N_NOISE):
            x = rng.standard_normal((3, n_samples)).astype(np.float32)
            metadata = {
                "trace_name": f"FX.STA{i:02d}",
                "trace_sampling_rate_hz": sampling_rate,
                "split": splits[i % 3],
            }
            if i < N_EVENTS:
                p = int(rng.integers(*p_range))
                s = p + int(rng.integers(150, 1500))
                x[:, p], x[:, s] = 1000, -500
                metadata.update(
                    trace_category="earthquake",
                    trace_p_arrival_sample=p,
                    trace_s_arrival_sample=s,
                    trace_polarity=["U", "D", ""][i % 3],
                    source_magnitude=1.0 + 0.1 * i,
                    source_distance_km=10.0 + i,
                    path_back_azimuth_deg=18.0 * i,
                )
            else:
                metadata.update(
                    trace_category="noise",
                    trace_p_arrival_sample=np.nan,
                    trace_s_arrival_sample=np.nan,
                    trace_polarity="",
                    source_magnitude=np.nan,
                    source_distance_km=np.nan,
                    path_back_azimuth_deg=np.nan,
                )
            writer.add_trace(metadata, x)
    return sbd.WaveformDataset(path, sampling_rate=sampling_rate, component_order="ZNE")


@pytest.fixture(scope="module")
def stead(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("stead"), 6000, 100.0, (200, 4000), seed=0)


@pytest.fixture(scope="module")
def diting(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("diting"), 9000, 50.0, (100, 5000), seed=1)


def generator(dataset, pipeline) -> sbg.GenericGenerator:
    gen = sbg.GenericGenerator(dataset)
    gen.add_augmentations(pipeline)
    return gen


def first_batch(dataset, batch_size: int = 4) -> dict[str, torch.Tensor]:
    return next(iter(DataLoader(dataset, batch_size=batch_size, shuffle=False)))


def assert_labels_on_spikes(x: np.ndarray, y: np.ndarray, p: int, s: int) -> int:
    """Every full label peak (>= 0.999) of channel ``p``/``s`` sits on the P (+) / S (-) spike."""
    peaks = 0
    scale = np.abs(x).max()
    for channel, sign in ((p, 1), (s, -1)):
        if y[channel].max() < 0.999:
            continue
        pos = int(np.argmax(y[channel]))
        column = x[:, pos]
        c = int(np.argmax(np.abs(column)))
        assert abs(column[c]) >= 0.4 * scale, f"no spike under the label of channel {channel}"
        assert np.sign(column[c]) == sign
        peaks += 1
    return peaks


def assert_deterministic(gen) -> None:
    for idx in range(len(gen)):
        a, b = gen[idx], gen[idx]
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


# ------------------------------------------------------------------------------------ SeisMoLLM
def test_seismollm_train_batch_shapes_and_labels(stead):
    np.random.seed(0)
    data = pipelines.seismollm_train_generator(stead, task="picking", setting="stead")
    assert len(data) == 2 * len(stead)
    batch = first_batch(data)
    assert batch["X"].shape == (4, 3, 6000) and batch["X"].dtype == torch.float32
    assert batch["y"].shape == (4, 3, 6000) and batch["y"].dtype == torch.float32
    assert batch["polarity"].shape == (4,) and batch["polarity"].dtype == torch.int64
    assert batch["polarity"].tolist() == [0, 1, -1, 0]
    for key in ("magnitude", "distance"):
        assert batch[key].shape == (4,) and batch[key].dtype == torch.float32
    assert batch["baz"].shape == (4, 2) and batch["baz"].dtype == torch.float32
    np.testing.assert_allclose(batch["baz"][1], [np.cos(np.pi / 10), np.sin(np.pi / 10)], atol=1e-6)
    np.testing.assert_allclose(batch["magnitude"], [1.0, 1.1, 1.2, 1.3], rtol=1e-6)

    peaks = 0
    for idx in range(len(data)):
        item = data[idx]
        x, y = item["X"], item["y"]
        np.testing.assert_allclose(x.mean(-1), 0, atol=1e-4)
        np.testing.assert_allclose(y[0], np.clip(1 - y[1] - y[2], 0, 1), atol=1e-6)
        peaks += assert_labels_on_spikes(x, y, 1, 2)
        if idx % len(stead) >= N_EVENTS:
            assert y[1:].max() == 0
    assert peaks >= 2 * N_EVENTS  # P and S of every clean copy at least


@pytest.mark.parametrize(
    "probabilities",
    [
        dict(shift_p=1, drop_p=1, amplitude_p=1, pre_emphasis_p=1, noise_p=1, gap_p=1),
        dict(shift_p=1, drop_p=0, amplitude_p=0, pre_emphasis_p=0, noise_p=0, gap_p=1),
        dict(shift_p=0, drop_p=1, amplitude_p=1, pre_emphasis_p=1, noise_p=1, gap_p=0),
        dict(shift_p=1, drop_p=0, amplitude_p=1, pre_emphasis_p=0, noise_p=1, vertical_only_p=1),
    ],
)
def test_seismollm_all_augmentations_keep_labels_on_spikes(stead, probabilities):
    np.random.seed(1)
    pipeline = pipelines.seismollm_train_pipeline(
        "picking", "stead", event_to_noise_p=0.0, **probabilities
    )
    gen = generator(stead, pipeline)
    for idx in range(N_EVENTS):
        item = gen[idx]
        assert assert_labels_on_spikes(item["X"], item["y"], 1, 2) == 2


def test_seismollm_vertical_only_probability(stead):
    def steps(**probabilities):
        return pipelines.seismollm_augmentation(**probabilities).augmentations[1].augmentations

    paper, mixed = steps()[1], steps(vertical_only_p=0.3, drop_p=0.5)[1]
    assert len(paper.augmentations) == 2  # the paper's recipe: DropChannels or nothing
    np.testing.assert_allclose(mixed.probabilities, [0.3, 0.35, 0.35])
    np.random.seed(4)
    pipeline = pipelines.seismollm_train_pipeline(
        "picking", "stead", event_to_noise_p=0.0, vertical_only_p=1.0
    )
    for idx in range(N_EVENTS):
        x = generator(stead, pipeline)[idx]["X"]
        assert np.all(x[1:] == 0) and np.std(x[0]) > 0.5


def test_seismollm_event_to_noise_clears_labels(stead):
    np.random.seed(2)
    gen = generator(stead, pipelines.seismollm_train_pipeline("picking", event_to_noise_p=1.0))
    for idx in range(N_EVENTS):
        item = gen[idx]
        assert item["y"][1:].max() == 0 and item["y"][0].min() == 1
        assert np.abs(item["X"]).max() < 10  # spikes gone, std-normalised noise left
        assert item["polarity"] == -1


@pytest.mark.parametrize("task", ["polarity", "magnitude", "distance", "back_azimuth"])
def test_seismollm_other_tasks_keep_the_event(stead, task):
    aug = pipelines.seismollm_augmentation(task)
    assert aug.probabilities[0] == 0  # no event -> noise for non-picking tasks
    np.random.seed(3)
    batch = first_batch(generator(stead, pipelines.seismollm_train_pipeline(task, "stead")))
    assert batch["X"].shape == (4, 3, 6000)
    assert {"y", "polarity", "magnitude", "distance", "baz"} <= batch.keys()


def test_seismollm_diting_crop(diting):
    np.random.seed(4)
    data = pipelines.seismollm_train_generator(diting, task="picking", setting="diting")
    batch = first_batch(data)
    assert batch["X"].shape == (4, 3, 8192) and batch["y"].shape == (4, 3, 8192)
    gen = generator(diting, pipelines.seismollm_eval_pipeline("picking", "diting"))
    for idx in range(len(data)):
        item = data[idx]
        assert_labels_on_spikes(item["X"], item["y"], 1, 2)
    for idx in range(N_EVENTS):
        p = diting.metadata["trace_p_arrival_sample"].iloc[idx]
        y = gen[idx]["y"]
        assert y[1].max() == 1  # P always inside
        start = p - int(np.argmax(y[1]))
        assert 0 <= start < min(p, 808) - 25
        assert assert_labels_on_spikes(gen[idx]["X"], y, 1, 2) >= 1


@pytest.mark.parametrize("setting", ["stead", "diting"])
def test_seismollm_eval_is_deterministic(stead, diting, setting):
    dataset = stead if setting == "stead" else diting
    gen = generator(dataset, pipelines.seismollm_eval_pipeline("picking", setting, seed=5))
    np.random.seed(5)
    assert_deterministic(gen)


def test_clean_and_augmented_indexing(stead):
    clean = generator(stead, pipelines.seismollm_eval_pipeline())
    data = pipelines.CleanAndAugmented(clean, clean)
    assert len(data) == 2 * len(stead)
    np.testing.assert_array_equal(data[3]["X"], data[3 + len(stead)]["X"])
    np.testing.assert_array_equal(data[-1]["X"], clean[len(stead) - 1]["X"])
    with pytest.raises(IndexError):
        data[2 * len(stead)]
    with pytest.raises(ValueError):
        pipelines.CleanAndAugmented(
            clean, generator(stead.filter(stead.metadata.index < 3, inplace=False), [])
        )


def test_seismollm_bad_arguments():
    with pytest.raises(ValueError):
        pipelines.seismollm_train_pipeline("detection")
    with pytest.raises(ValueError):
        pipelines.seismollm_eval_pipeline("picking", "instance")


# --------------------------------------------------------------------- EQTransformer / PhaseNet
def test_eqtransformer_eval_batch_and_labels(stead):
    gen = generator(stead, baseline_pipelines.eqtransformer_eval_pipeline())
    batch = first_batch(gen)
    assert batch["X"].shape == (4, 3, 6000) and batch["X"].dtype == torch.float32
    assert batch["y"].shape == (4, 3, 6000) and batch["y"].dtype == torch.float32
    assert batch["detections"].shape == (4, 1, 6000)
    assert batch["detections"].dtype == torch.float32
    np.random.seed(6)
    assert_deterministic(gen)
    meta = stead.metadata
    for idx in range(len(stead)):
        item = gen[idx]
        x, y, det = item["X"], item["y"], item["detections"][0]
        np.testing.assert_allclose(np.abs(x).max(-1), 1, rtol=1e-5)  # peak-normalised
        if idx < N_EVENTS:
            p, s = meta["trace_p_arrival_sample"][idx], meta["trace_s_arrival_sample"][idx]
            assert np.argmax(y[0]) == p and np.argmax(y[1]) == s  # [P, S, noise]
            assert assert_labels_on_spikes(x, y, 0, 1) == 2
            on = np.flatnonzero(det)
            assert on[0] == p and on[-1] + 1 == min(int(s + 1.4 * (s - p)), 6000)
        else:
            assert y[:2].max() == 0 and det.max() == 0 and y[2].min() == 1


@pytest.mark.parametrize("rotate_array", [False, True])
def test_eqtransformer_train_batch(stead, rotate_array):
    np.random.seed(7)
    gen = generator(stead, baseline_pipelines.eqtransformer_train_pipeline(rotate_array=rotate_array))
    batch = first_batch(gen)
    assert batch["X"].shape == (4, 3, 6000) and batch["X"].dtype == torch.float32
    assert batch["y"].shape == (4, 3, 6000) and batch["detections"].shape == (4, 1, 6000)
    for idx in range(len(stead)):
        item = gen[idx]
        y, det = item["y"], item["detections"][0]
        assert y.min() >= 0 and y.max() <= 1 + 1e-6
        assert set(np.unique(det)) <= {0.0, 1.0}
        for peak in np.flatnonzero(y[0] >= 0.999):  # every P onset (and copy) starts a detection
            assert det[peak] == 1


def test_eqtransformer_window_follows_picks(tmp_path):
    # Long traces: the 12000-sample window around a pick and the random 6000 window really cut.
    # (Checked on the seeded validation windows: in training, AddGap may zero a labelled onset.)
    dataset = write_dataset(tmp_path, 20000, 100.0, (3000, 15000), seed=3)
    gen = generator(dataset, baseline_pipelines.eqtransformer_eval_pipeline())
    found, starts = 0, set()
    for idx in range(N_EVENTS):
        item = gen[idx]
        assert item["X"].shape == (3, 6000)
        found += assert_labels_on_spikes(item["X"], item["y"], 0, 1) > 0
        if item["y"][0].max() == 1:
            starts.add(dataset.metadata["trace_p_arrival_sample"][idx] - np.argmax(item["y"][0]))
    assert found > N_EVENTS // 2 and len(starts) > 5
    train = generator(dataset, baseline_pipelines.eqtransformer_train_pipeline())
    assert first_batch(train)["X"].shape == (4, 3, 6000)


@pytest.mark.parametrize("phases, p, s, n", [("PSN", 0, 1, 2), ("NPS", 1, 2, 0)])
def test_phasenet_pipelines(stead, phases, p, s, n):
    np.random.seed(9)
    train = generator(stead, baseline_pipelines.phasenet_train_pipeline(phases=phases))
    batch = first_batch(train)
    assert batch["X"].shape == (4, 3, 3001) and batch["X"].dtype == torch.float32
    assert batch["y"].shape == (4, 3, 3001) and batch["y"].dtype == torch.float32
    evaluation = generator(stead, baseline_pipelines.phasenet_eval_pipeline(phases=phases))
    assert_deterministic(evaluation)
    peaks = 0
    for gen in (train, evaluation):
        for idx in range(len(stead)):
            item = gen[idx]
            x, y = item["X"], item["y"]
            np.testing.assert_allclose(x.std(-1)[x.std(-1) > 0], 1, rtol=1e-4)
            np.testing.assert_allclose(y.sum(0), 1, atol=1e-6)
            assert y[n].min() >= 0
            peaks += assert_labels_on_spikes(x, y, p, s)
    assert peaks > N_EVENTS
