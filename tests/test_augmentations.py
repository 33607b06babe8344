"""The SeisBench-style augmentations of ``seisbench_llm.data.augmentations`` on hand-made arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest
import seisbench.generate as sbg

from seisbench_llm.data.augmentations import (
    CircularShift,
    Compose,
    DiTingCrop,
    DropChannels,
    DuplicateEvent,
    EventToNoise,
    GaussianNoiseSNR,
    MultiTaskLabeller,
    PreEmphasis,
    RandomAmplitudeScale,
    Seeded,
    StdNormalize,
    TruncatedGaussianLabeller,
    VerticalOnly,
    ZeroGapBetweenPhases,
    polarity_class,
    trace_seed,
    with_probability,
)

P, S = "trace_p_arrival_sample", "trace_s_arrival_sample"


def state(x: np.ndarray, **metadata) -> dict:
    metadata.setdefault("trace_sampling_rate_hz", 100.0)
    return {"X": (x, metadata)}


def spiky(n: int = 6000, p: float = 1000, s: float = 2500, seed: int = 0) -> np.ndarray:
    """Unit noise with +1000 at P and -500 at S on every channel."""
    x = np.random.default_rng(seed).standard_normal((3, n)).astype(np.float32)
    if not math.isnan(p):
        x[:, int(p)] = 1000
    if not math.isnan(s):
        x[:, int(s)] = -500
    return x


def test_pre_emphasis_exact_values():
    x = np.array([[1.0, 2.0, 4.0, 8.0], [0.0, 1.0, 0.0, -1.0]])
    sd = state(x.copy())
    PreEmphasis(0.97)(sd)
    expected = np.array([[1.0, 2 - 0.97, 4 - 1.94, 8 - 3.88], [0.0, 1.0, -0.97, -1.0]])
    np.testing.assert_allclose(sd["X"][0], expected)
    np.testing.assert_array_equal(x, state(x)["X"][0])  # input untouched


def test_pre_emphasis_separate_keys_keep_input():
    x = np.arange(6.0).reshape(2, 3)
    sd = state(x)
    PreEmphasis(key=("X", "Z"))(sd)
    assert sd["X"][0] is x
    np.testing.assert_allclose(sd["Z"][0][:, 1:], x[:, 1:] - 0.97 * x[:, :-1])


def test_random_amplitude_scale_range_and_both_directions():
    np.random.seed(0)
    ratios = []
    for _ in range(200):
        x = np.ones((3, 10), dtype=np.float32)
        sd = state(x)
        RandomAmplitudeScale((1.0, 3.0))(sd)
        y = sd["X"][0]
        assert y.dtype == np.float32
        assert np.allclose(y, y[0, 0])  # one factor for the whole trace
        ratios.append(float(y[0, 0]))
    ratios = np.array(ratios)
    assert ratios.min() >= 1 / 3 - 1e-6 and ratios.max() <= 3 + 1e-6
    assert (ratios > 1).mean() > 0.3 and (ratios < 1).mean() > 0.3


def test_gaussian_noise_snr_within_tolerance():
    np.random.seed(1)
    t = np.arange(40000)
    x = np.stack([np.sin(t / 7.0), 3 * np.cos(t / 11.0), np.zeros_like(t, dtype=float)])
    sd = state(x)
    GaussianNoiseSNR(snr_db=(20, 20))(sd)
    noise = sd["X"][0] - x
    snr = 10 * np.log10(x[:2].var(axis=-1) / noise[:2].var(axis=-1))
    np.testing.assert_allclose(snr, 20, atol=0.15)
    assert np.all(noise[2] == 0)  # silent (e.g. dropped) channel stays silent

    draws = []
    for _ in range(30):
        sd = state(x)
        GaussianNoiseSNR()(sd)
        noise = sd["X"][0] - x
        snr = 10 * np.log10(x[:2].var(axis=-1) / noise[:2].var(axis=-1))
        assert abs(snr[0] - snr[1]) < 0.3  # one SNR per trace
        assert 10 - 0.3 < snr.mean() < 49 + 0.3
        assert abs(snr.mean() - round(snr.mean())) < 0.3  # integer dB
        draws.append(round(snr.mean()))
    assert len(set(draws)) > 5


def test_zero_gap_lies_between_phases():
    np.random.seed(2)
    for _ in range(50):
        x = np.ones((3, 1000))
        sd = state(x, **{P: 100.0, S: 500.0})
        ZeroGapBetweenPhases(margin=10)(sd)
        zero = np.flatnonzero(np.all(sd["X"][0] == 0, axis=0))
        assert zero.size >= 1
        assert zero.min() >= 110 and zero.max() < 490
        assert np.all(np.diff(zero) == 1)  # one contiguous gap
        assert np.all(sd["X"][0][:, :110] == 1) and np.all(sd["X"][0][:, 490:] == 1)
        assert sd["X"][1][P] == 100.0 and sd["X"][1][S] == 500.0


@pytest.mark.parametrize(
    "metadata", [{P: 100.0}, {S: 500.0}, {P: 100.0, S: 115.0}, {P: np.nan, S: np.nan}, {}]
)
def test_zero_gap_needs_room_between_both_phases(metadata):
    x = np.ones((3, 1000))
    sd = state(x, **metadata)
    ZeroGapBetweenPhases(margin=10)(sd)
    assert np.all(sd["X"][0] == 1)


def test_event_to_noise_replaces_event_and_clears_labels():
    np.random.seed(3)
    x = np.random.default_rng(0).standard_normal((3, 6000))
    x[:, 1000:4000] *= 100  # the "event"
    metadata = {
        P: 1000.0,
        S: 1500.0,
        "trace_polarity": "U",
        "trace_category": "earthquake",
        "source_magnitude": 2.5,
    }
    sd = state(x.copy(), **metadata)
    sd["y"] = (np.tile([[0.0], [1.0], [0.0]], 6000), None)
    EventToNoise(label_keys="y", noise_id={"y": 0})(sd)
    out, meta = sd["X"]
    coda_end = 1500 + 2 * 500
    np.testing.assert_array_equal(out[:, :1000], x[:, :1000])
    np.testing.assert_array_equal(out[:, coda_end:], x[:, coda_end:])
    assert 0.8 < out[:, 1000:coda_end].std() < 1.2  # noise level of the pre-P noise
    assert math.isnan(meta[P]) and math.isnan(meta[S])
    assert meta["trace_polarity"] == "" and meta["trace_category"] == "noise"
    assert meta["source_magnitude"] == 2.5
    np.testing.assert_array_equal(sd["y"][0][0], 1)
    np.testing.assert_array_equal(sd["y"][0][1:], 0)

    TruncatedGaussianLabeller()(sd)
    assert sd["y"][0][1:].max() == 0 and sd["y"][0][0].min() == 1


def test_event_to_noise_without_s_and_for_noise_traces():
    x = np.random.default_rng(0).standard_normal((3, 1000))
    sd = state(x.copy(), **{P: 400.0, S: np.nan})
    EventToNoise()(sd)
    np.testing.assert_array_equal(sd["X"][0][:, :400], x[:, :400])
    assert not np.array_equal(sd["X"][0][:, 400:], x[:, 400:])
    sd = state(x.copy(), **{P: np.nan})
    EventToNoise()(sd)
    np.testing.assert_array_equal(sd["X"][0], x)


@pytest.mark.parametrize("shift", [0, 700, 5500, -100])
def test_circular_shift_moves_arrivals_modulo_length(shift):
    x = spiky(p=1000, s=2500)
    sd = state(x, **{P: 1000.0, S: 2500.0, "trace_Pg_arrival_sample": np.nan, "trace_npts": 6000})
    CircularShift(shift=shift)(sd)
    out, meta = sd["X"]
    assert meta[P] == (1000 + shift) % 6000 and meta[S] == (2500 + shift) % 6000
    assert math.isnan(meta["trace_Pg_arrival_sample"]) and meta["trace_npts"] == 6000
    assert out[0, int(meta[P])] == 1000 and out[0, int(meta[S])] == -500
    TruncatedGaussianLabeller()(sd)
    assert np.argmax(sd["y"][0][1]) == meta[P] and np.argmax(sd["y"][0][2]) == meta[S]


def test_circular_shift_random_rolls_existing_labels_too():
    np.random.seed(4)
    for _ in range(20):
        sd = state(spiky(p=1000, s=2500), **{P: 1000.0, S: 2500.0})
        TruncatedGaussianLabeller()(sd)
        CircularShift(label_keys="y")(sd)
        x, meta = sd["X"]
        y = sd["y"][0]
        assert np.argmax(y[1]) == meta[P] == np.argmax(x[0])
        assert np.argmax(y[2]) == meta[S] == np.argmin(x[0])


def test_drop_channels_drops_one_to_c_minus_one_and_rescales():
    np.random.seed(5)
    counts = set()
    for _ in range(100):
        sd = state(np.ones((3, 50)))
        DropChannels()(sd)
        x = sd["X"][0]
        dropped = int(np.sum(np.all(x == 0, axis=-1)))
        assert 1 <= dropped <= 2
        np.testing.assert_allclose(x[np.any(x != 0, axis=-1)], 3 / (3 - dropped))
        counts.add(dropped)
    assert counts == {1, 2}
    sd = state(np.ones((1, 5)))
    DropChannels()(sd)
    np.testing.assert_array_equal(sd["X"][0], 1)


def test_vertical_only_keeps_the_vertical_and_zeroes_the_rest():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 50)).astype(np.float32)
    sd = state(x.copy(), **{P: 10.0})
    VerticalOnly()(sd)
    out, meta = sd["X"]
    np.testing.assert_array_equal(out[0], x[0])
    np.testing.assert_array_equal(out[1:], 0)
    assert out.dtype == np.float32 and meta[P] == 10.0
    sd = state(np.swapaxes(x, 0, 1).copy())  # channels last, vertical at index 2
    VerticalOnly(vertical=2, axis=-1)(sd)
    np.testing.assert_array_equal(sd["X"][0][:, 2], x[2])
    np.testing.assert_array_equal(sd["X"][0][:, :2], 0)


@pytest.mark.parametrize("p", [30.0, 500.0, 808.0, 2000.0, 8800.0])
def test_diting_crop_start_range_keeps_p_inside(p):
    np.random.seed(6)
    starts = []
    for _ in range(100):
        sd = state(spiky(9000, p=p, s=np.nan), **{P: p}, trace_sampling_rate_hz=50.0)
        DiTingCrop(windowlen=8192, margin=25)(sd)
        x, meta = sd["X"]
        assert x.shape == (3, 8192)
        start = p - meta[P]
        starts.append(start)
        assert 0 <= start < min(p, 808) - 25
        assert 25 <= meta[P] <= 8192 - 25
        assert x[0, int(meta[P])] == 1000
    assert len(set(starts)) >= min(5, int(min(p, 808) - 25))


@pytest.mark.parametrize("p", [0.0, 10.0, np.nan])
def test_diting_crop_early_or_missing_p(p):
    np.random.seed(7)
    starts = set()
    for _ in range(50):
        sd = state(np.zeros((3, 9000)), **{P: p}, trace_npts_sample=0.0)
        DiTingCrop()(sd)
        starts.add(-sd["X"][1]["trace_npts_sample"])
    if math.isnan(p):
        assert min(starts) >= 0 and max(starts) <= 808 and len(starts) > 5
    else:
        assert starts == {0}


def test_diting_crop_seeded_is_deterministic_per_trace():
    starts = {}
    for name in [f"trace_{i}" for i in range(20)]:
        runs = []
        for _ in range(2):
            np.random.seed(len(runs))  # global state must not matter
            sd = state(np.zeros((3, 9000)), **{P: 1500.0}, trace_name=name)
            DiTingCrop(seed=0)(sd)
            runs.append(1500.0 - sd["X"][1][P])
        assert runs[0] == runs[1]
        starts[name] = runs[0]
        assert 0 <= runs[0] < 808 - 25
    assert len(set(starts.values())) > 5
    sd = state(np.zeros((3, 9000)), **{P: 1500.0}, trace_name="trace_0")
    DiTingCrop(seed=1)(sd)
    other = [1500.0 - sd["X"][1][P]]
    assert trace_seed({"trace_name": "trace_0"}, 0) != trace_seed({"trace_name": "trace_0"}, 1)
    assert 0 <= other[0] < 783


def test_std_normalize_and_zero_std():
    x = np.zeros((3, 1000), dtype=np.float32)
    x[0] = 5 + 3 * np.random.default_rng(0).standard_normal(1000)
    x[2] = 0.1  # constant, not exactly representable: SeisBench's Normalize gives about -300 here
    sd = state(x)
    StdNormalize()(sd)
    y = sd["X"][0]
    assert y.dtype == np.float32
    np.testing.assert_allclose(y[0].mean(), 0, atol=1e-5)
    np.testing.assert_allclose(y[0].std(), 1, atol=1e-5)
    np.testing.assert_array_equal(y[1], 0)
    assert np.abs(y[2]).max() < 1e-6


def test_truncated_gaussian_labels():
    sd = state(np.zeros((3, 6000)), **{P: 1000.0, S: 2000.5})
    TruncatedGaussianLabeller(sigma=10, truncate_s=0.25)(sd)
    y = sd["y"][0]
    assert y.shape == (3, 6000) and y.dtype == np.float32
    assert y[1, 1000] == 1 and np.argmax(y[1]) == 1000
    np.testing.assert_allclose(y[1, 1010], math.exp(-0.5), rtol=1e-6)
    assert y[1, 1025] > 0 and y[1, 1026] == 0 and y[1, 974] == 0
    np.testing.assert_allclose(np.flatnonzero(y[1]), np.arange(975, 1026))
    np.testing.assert_allclose(np.flatnonzero(y[2]), np.arange(1976, 2026))  # |t - 2000.5| <= 25
    np.testing.assert_allclose(y[0], 1 - y[1] - y[2], atol=1e-6)

    sd = state(np.zeros((3, 8192)), **{P: 1000.0}, trace_sampling_rate_hz=50.0)
    TruncatedGaussianLabeller()(sd)
    np.testing.assert_array_equal(np.flatnonzero(sd["y"][0][1]), np.arange(988, 1013))


def test_multitask_labeller_values():
    sd = state(
        np.zeros((3, 6000)),
        **{
            P: 1000.0,
            S: 2000.0,
            "trace_polarity": "c",
            "source_magnitude": 3.2,
            "source_distance_km": np.nan,
            "path_ep_distance_km": 42.0,
            "path_back_azimuth_deg": 90.0,
        },
    )
    MultiTaskLabeller()(sd)
    assert sd["y"][0].shape == (3, 6000) and np.argmax(sd["y"][0][2]) == 2000
    assert sd["polarity"][0] == 0 and sd["polarity"][0].dtype == np.int64
    assert sd["magnitude"][0].dtype == np.float32 and sd["magnitude"][0] == np.float32(3.2)
    assert sd["distance"][0] == 42.0
    np.testing.assert_allclose(sd["baz"][0], [0, 1], atol=1e-7)
    assert sd["baz"][0].dtype == np.float32

    sd = state(np.zeros((3, 100)))
    MultiTaskLabeller(tasks=("polarity", "magnitude", "back_azimuth"))(sd)
    assert "y" not in sd and sd["polarity"][0] == -1
    assert np.isnan(sd["magnitude"][0]) and np.all(np.isnan(sd["baz"][0]))
    with pytest.raises(ValueError):
        MultiTaskLabeller(tasks=("detection",))


@pytest.mark.parametrize(
    "value, expected",
    [
        ("U", 0),
        ("C", 0),
        ("u", 0),
        ("R", 1),
        ("D", 1),
        ("d", 1),
        ("n", -1),
        ("", -1),
        (np.nan, -1),
        (None, -1),
    ],
)
def test_polarity_class(value, expected):
    assert polarity_class(value) == expected


def test_with_probability_and_compose():
    calls = []
    aug = Compose([lambda sd: calls.append("a"), lambda sd: calls.append("b")])
    np.random.seed(8)
    for _ in range(20):
        with_probability(aug, 1.0)({})
        with_probability(aug, 0.0)({})
    assert calls == ["a", "b"] * 20
    with pytest.raises(ValueError):
        with_probability(aug, 1.5)


def test_seeded_is_deterministic_and_restores_global_state():
    window = [sbg.RandomWindow(windowlen=100), GaussianNoiseSNR()]

    def run(name):
        sd = state(
            np.random.default_rng(0).standard_normal((3, 1000)), **{P: 500.0}, trace_name=name
        )
        Seeded(window, seed=3)(sd)
        return sd["X"]

    np.random.seed(9)
    a = run("a")
    after_a = np.random.random()
    np.random.seed(9)
    b = run("a")
    np.random.seed(9)
    assert np.random.random() == after_a  # the outer random stream is untouched
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1][P] == b[1][P]
    assert len({run(name)[1][P] for name in "bcdefgh"}) > 1  # windows differ between traces


def test_duplicate_event_moves_labels_and_detection():
    np.random.seed(10)
    x = np.zeros((3, 6000), dtype=np.float32)
    x[:, 500] = 1.0
    sd = state(x, **{P: 500.0, S: 800.0})
    sbg.ProbabilisticLabeller(label_columns={P: "P", S: "S"}, sigma=20, dim=0)(sd)
    sbg.DetectionLabeller(P, s_phases=S, key=("X", "detections"))(sd)
    DuplicateEvent(label_keys="y", noise_id={"y": -1})(sd)
    out = sd["X"][0]
    copy_at = np.flatnonzero(out[0])
    assert copy_at[0] == 500 and len(copy_at) == 2
    second = copy_at[1]
    assert second > 800 + 420 + 20 and 0.1 - 1e-6 <= out[0, second] <= 1.0
    y, det = sd["y"][0], sd["detections"][0]
    shift = second - 500
    assert np.isclose(y[0, 500], 1) and np.isclose(y[0, second], 1)
    assert np.isclose(y[1, 800 + shift], 1)
    np.testing.assert_allclose(y[2], np.clip(1 - y[0] - y[1], 0, 1), atol=1e-6)
    assert det[0, second] == 1 and det[0, 500] == 1 and det[0, second - 1] == 0
    assert y.max() <= 1 and det.max() <= 1
