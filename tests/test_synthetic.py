"""Tests of the synthetic SeisBench dataset: format, caching, determinism and physics."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import scipy.signal
import seisbench
import seisbench.data as sbd
from obspy.signal.trigger import aic_simple, recursive_sta_lta, trigger_onset

import seisbench_llm.data.synthetic as synthetic
import seisbench_llm.data.synthetic.dataset as synthetic_dataset
from seisbench_llm.data import (
    PRESETS,
    Synthetic,
    generate_synthetic,
    simulate_synthetic,
    synthesize_trace,
    travel_times,
)

FS = PRESETS["stead"].sampling_rate
STEAD_100HZ = replace(PRESETS["stead"], sampling_rates=((FS, 1.0),))
REQUIRED_COLUMNS = [
    "trace_name",
    "trace_p_arrival_sample",
    "trace_s_arrival_sample",
    "trace_polarity",
    "source_magnitude",
    "source_magnitude_type",
    "source_distance_km",
    "path_back_azimuth_deg",
    "source_depth_km",
    "trace_snr_db",
    "trace_category",
    "split",
    "station_code",
    "station_network_code",
    "trace_sampling_rate_hz",
    "trace_start_time",
]


@pytest.fixture(scope="module")
def stead_batch() -> tuple[np.ndarray, pd.DataFrame]:
    waves, meta = simulate_synthetic(640, preset=STEAD_100HZ, seed=3)
    return np.stack(waves), meta


@pytest.fixture(scope="module")
def high_snr(stead_batch) -> pd.DataFrame:
    _, meta = stead_batch
    sel = meta[(meta.trace_category == "earthquake") & (meta.trace_snr_db > 25)]
    assert len(sel) > 100
    return sel


def _bandpass(x: np.ndarray, low: float = 2.0, high: float = 15.0) -> np.ndarray:
    sos = scipy.signal.butter(4, [low, high], "bandpass", fs=FS, output="sos")
    return scipy.signal.sosfilt(sos, x.astype(float))


# ---------------------------------------------------------------------------------------------
# Format and caching
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("preset", ["stead", "diting"])
def test_round_trip_through_waveform_dataset(tmp_path, preset):
    n = 40
    path = generate_synthetic(tmp_path / preset, n_traces=n, preset=preset, seed=11)
    assert (path / "metadata.csv").is_file() and (path / "waveforms.hdf5").is_file()

    ds = sbd.WaveformDataset(path)
    p = PRESETS[preset]
    assert len(ds) == n
    assert ds.data_format["component_order"] == "ZNE"
    assert ds.data_format["dimension_order"] == "CW"
    assert ds.component_order == "ZNE"
    assert set(REQUIRED_COLUMNS) <= set(ds.metadata.columns)
    rates = ds.metadata["trace_sampling_rate_hz"]
    assert set(rates) <= {r for r, _ in p.sampling_rates} and rates.nunique() > 2
    assert set(ds.metadata["split"]) == {"train", "dev", "test"}
    assert (ds.metadata["trace_category"] == "noise").sum() == round(0.12 * n)

    waves, meta = simulate_synthetic(n, preset=preset, seed=11)
    for i in (0, 7, n - 1):
        w = ds.get_waveforms(i)  # at the trace's own sampling rate
        assert w.shape == (3, round(p.duration_s * rates[i]))
        np.testing.assert_array_equal(w, waves[i])
    np.testing.assert_array_equal(
        ds.metadata["trace_p_arrival_sample"].to_numpy(), meta["trace_p_arrival_sample"]
    )

    eq = ds.metadata[ds.metadata.trace_category == "earthquake"]
    assert eq["trace_polarity"].isin(["U", "D"]).all()
    assert (eq["source_magnitude_type"] == "ML").all()
    assert (0 < eq.trace_p_arrival_sample).all()
    assert (eq.trace_p_arrival_sample < eq.trace_s_arrival_sample).all()
    assert (eq.trace_s_arrival_sample < eq.trace_npts).all()


def test_synthetic_is_created_in_cache_once(no_network, monkeypatch):
    ds = Synthetic(preset="stead", n_traces=30, seed=1)
    assert ds.path.parent == seisbench.cache_data_root / "synthetic"
    assert ds.path.name.startswith("stead_n30_seed1_")
    assert (ds.path / "metadata.csv").is_file() and (ds.path / "waveforms.hdf5").is_file()
    assert (ds.path / "synthetic_config.json").is_file()
    assert len(ds) == 30
    assert ds.get_waveforms(0).shape == (3, 6000)
    assert isinstance(ds, sbd.WaveformDataset)
    train, dev, test = ds.train_dev_test()
    assert len(train) + len(dev) + len(test) == 30 and len(dev) > 0 and len(test) > 0

    def fail(*args, **kwargs):
        raise AssertionError("the cached dataset was generated again")

    monkeypatch.setattr(synthetic_dataset, "_write_dataset", fail)
    again = Synthetic(preset="stead", n_traces=30, seed=1)
    pd.testing.assert_frame_equal(again.metadata, ds.metadata)
    np.testing.assert_array_equal(again.get_waveforms(3), ds.get_waveforms(3))

    # another seed, size or preset is another folder (and would be generated)
    for kwargs in ({"seed": 2}, {"n_traces": 31}, {"preset": "diting"}, {"noise_fraction": 0.2}):
        config = {"preset": "stead", "n_traces": 30, "seed": 1} | kwargs
        with pytest.raises(AssertionError, match="generated again"):
            Synthetic(**config)


def test_synthetic_diting_preset():
    ds = Synthetic(preset="diting", n_traces=12, seed=0)
    assert ds.get_waveforms(0).shape == (3, 9000)  # read at the preset's 50 Hz
    assert set(ds.metadata["trace_sampling_rate_hz"]) <= {20.0, 40.0, 50.0, 100.0, 200.0}
    assert ds.path.name.startswith("diting_n12_seed0_")


def test_invalid_arguments(tmp_path):
    with pytest.raises(ValueError, match="Unknown preset"):
        simulate_synthetic(4, preset="instance")
    with pytest.raises(ValueError, match="split_fractions"):
        simulate_synthetic(4, split_fractions=(0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="polarity"):
        synthesize_trace(2.0, 20.0, polarity="X")
    with pytest.raises(ValueError, match="Unknown instrument"):
        synthesize_trace(2.0, 20.0, instrument="strainmeter")
    with pytest.raises(ValueError, match="Unknown noise model"):
        synthetic.noise_model_db(1.0, "alnm")


def test_deterministic_for_a_seed():
    w1, m1 = simulate_synthetic(150, seed=7, workers=1)
    w2, m2 = simulate_synthetic(150, seed=7, workers=2)
    for a, b in zip(w1, w2, strict=True):
        np.testing.assert_array_equal(a, b)
    pd.testing.assert_frame_equal(m1, m2)
    w3, m3 = simulate_synthetic(150, seed=8)
    assert not np.array_equal(w1[0], w3[0])
    assert not m1["source_magnitude"].equals(m3["source_magnitude"])
    for w in w1:
        assert w.dtype == np.float32 and np.isfinite(w).all()
        np.testing.assert_array_equal(w, np.rint(w))  # integer counts


# ---------------------------------------------------------------------------------------------
# Labels and distributions
# ---------------------------------------------------------------------------------------------
def test_label_distributions(stead_batch):
    waves, meta = stead_batch
    eq = meta[meta.trace_category == "earthquake"]
    p = PRESETS["stead"]
    p_s = eq.trace_p_arrival_sample / FS
    assert p_s.min() >= 5.0 and p_s.max() <= 25.0 and p_s.std() > 4.0
    assert (eq.trace_s_arrival_sample < p.n_samples - 3 * FS).all()
    assert eq.source_distance_km.between(5, 150).all() and eq.source_depth_km.between(0, 30).all()
    assert eq.source_magnitude.between(0.5, 5.0).all() and eq.source_magnitude.max() > 3.5
    assert 0.3 < (eq.trace_polarity == "U").mean() < 0.7
    assert eq.path_back_azimuth_deg.between(0, 360).all()
    # S - P follows the travel-time model
    tt = travel_times(eq.source_distance_km.to_numpy(), eq.source_depth_km.to_numpy())
    sp = (eq.trace_s_arrival_sample - eq.trace_p_arrival_sample).to_numpy() / FS
    np.testing.assert_allclose(sp, tt["s"] - tt["p"], atol=0.02)
    # SNR from hard to easy
    snr = eq.trace_snr_db
    assert snr.quantile(0.05) < 5.0 and snr.quantile(0.95) > 40.0
    assert 10.0 < snr.median() < 40.0


def test_noise_traces_have_no_arrivals(stead_batch):
    waves, meta = stead_batch
    noise = meta[meta.trace_category == "noise"]
    assert len(noise) == round(0.12 * len(meta))
    picks = ["trace_p_arrival_sample", "trace_s_arrival_sample"]
    assert noise[picks + ["trace_P2_arrival_sample", "trace_S2_arrival_sample"]].isna().all().all()
    assert noise[["source_magnitude", "source_distance_km", "trace_snr_db"]].isna().all().all()
    assert (noise["trace_polarity"] == "").all()
    x = waves[noise.index]
    x = x - x.mean(axis=-1, keepdims=True)
    assert (x.std(axis=-1) > 0).all()
    # without bursts, spikes and distant events: stationary-looking in the high-frequency band
    calm = (noise.trace_noise_bursts == 0) & (noise.trace_spikes == 0) & ~noise.trace_distant_event
    x = waves[noise.index[calm.to_numpy()]]
    hf = _bandpass(x.reshape(-1, x.shape[-1]), 2.0, 15.0)[:, 500:]
    assert np.percentile(np.abs(hf).max(axis=-1) / hf.std(axis=-1), 95) < 7.0


def test_travel_times():
    tt = travel_times(np.array([10.0, 60.0, 150.0, 300.0]), 10.0)
    assert np.all(np.diff(tt["p"]) > 0)
    assert tt["p_phase"][0] == "Pg" and tt["p_phase"][-1] == "Pn"
    np.testing.assert_allclose(tt["s"], synthetic.VP_VS_RATIO * tt["p"])
    # direct ray at 10 km depth below the epicentre: straight through the layers above
    t0 = travel_times(0.0, 10.0)["p"][0]
    assert t0 == pytest.approx(2.0 / 4.8 + 8.0 / 6.0, rel=1e-6)
    assert travel_times(60.0, 10.0)["p"][0] > np.hypot(60.0, 10.0) / 6.6


# ---------------------------------------------------------------------------------------------
# Physics
# ---------------------------------------------------------------------------------------------
def test_classical_picker_finds_p_onset(stead_batch, high_snr):
    waves, _ = stead_batch
    errors = []
    for i, row in high_snr.iterrows():
        z = _bandpass(waves[i, 0])
        cft = recursive_sta_lta(z, int(0.2 * FS), int(2.0 * FS))
        cft[: int(4 * FS)] = 0.0  # LTA warm-up
        onsets = trigger_onset(cft, 6.0, 1.5)
        if len(onsets) == 0:
            errors.append(np.inf)
            continue
        trig = int(onsets[0][0])
        lo = max(trig - int(1.0 * FS), 0)
        pick = lo + int(np.argmin(aic_simple(z[lo : trig + int(0.3 * FS)])))
        errors.append((pick - row.trace_p_arrival_sample) / FS)
    errors = np.abs(np.array(errors))
    assert np.mean(errors <= 0.1) >= 0.9


def test_first_motion_matches_polarity(stead_batch, high_snr):
    waves, _ = stead_batch
    sos = scipy.signal.butter(2, 1.0, "highpass", fs=FS, output="sos")  # causal: keeps the sign
    match = []
    for i, row in high_snr.iterrows():
        p = int(row.trace_p_arrival_sample)
        z = scipy.signal.sosfilt(sos, waves[i, 0].astype(float))
        seg = z[p : p + int(0.15 * FS)] - z[p - 1]
        first = seg[np.argmax(np.abs(seg) > 0.3 * np.abs(seg).max())]
        match.append(("U" if first > 0 else "D") == row.trace_polarity)
    assert np.mean(match) >= 0.9


def test_back_azimuth_from_p_particle_motion(stead_batch, high_snr):
    waves, _ = stead_batch
    errors = []
    for i, row in high_snr.iterrows():
        p = int(row.trace_p_arrival_sample)
        ne = np.stack([_bandpass(waves[i, c])[p : p + int(0.25 * FS)] for c in (1, 2)])
        _, vectors = np.linalg.eigh(np.cov(ne))
        azimuth = np.degrees(np.arctan2(vectors[1, -1], vectors[0, -1])) % 180.0
        errors.append(abs((azimuth - row.path_back_azimuth_deg % 180.0 + 90.0) % 180.0 - 90.0))
    errors = np.array(errors)
    assert np.mean(errors < 20.0) >= 0.8
    assert np.median(errors) < 12.0


def test_back_azimuth_sign_from_z_and_radial():
    # compressional P moves up and away from the source: N/E motion opposite to the BAZ vector
    for baz in (30.0, 160.0, 250.0):
        for polarity, sign in (("U", 1.0), ("D", -1.0)):
            w, info = synthesize_trace(3.0, 40.0, 10.0, baz, polarity=polarity)
            p = info["p_sample"]
            k = p + int(np.argmax(np.abs(w[0, p : p + 20])))
            assert np.sign(w[0, k]) == sign
            radial = w[1, k] * np.cos(np.radians(baz)) + w[2, k] * np.sin(np.radians(baz))
            assert np.sign(radial) == -sign


def test_amplitude_grows_with_magnitude_and_falls_with_distance():
    def peak(magnitude: float, distance: float) -> float:
        w, _ = synthesize_trace(magnitude, distance, 10.0, 70.0, seed=5)
        return float(np.abs(w).max())

    by_magnitude = [peak(m, 40.0) for m in (1.0, 2.0, 3.0, 4.0, 5.0)]
    assert np.all(np.diff(np.log10(by_magnitude)) > 0.5)
    by_distance = [peak(3.0, d) for d in (10.0, 20.0, 40.0, 80.0, 150.0)]
    assert np.all(np.diff(by_distance) < 0)

    w, info = synthesize_trace(3.0, 40.0)
    p, s = info["p_sample"], info["s_sample"]
    assert np.abs(w[:, s : s + 300]).max() > 2 * np.abs(w[:, p : s - 10]).max()  # S >> P
    # S energy mostly on the horizontals (H/V amplitude above ~1.2)
    assert np.sum(w[1:, s : s + 300] ** 2) > 1.5 * np.sum(w[0, s : s + 300] ** 2)
    # causal: no energy before the P arrival
    assert np.sum(w[:, : p - 2] ** 2) < 1e-6 * np.sum(w**2)


def test_amplitude_scaling_in_dataset(stead_batch):
    waves, meta = stead_batch
    eq = meta[
        (meta.trace_category == "earthquake")
        & (meta.trace_snr_db > 10)
        & (meta.trace_measurement == "velocity")
        & ~meta.trace_clipped
    ]
    peak = np.log10(np.abs(waves[eq.index]).max(axis=(1, 2)) / eq.trace_gain)  # m/s
    design = np.stack(
        [eq.source_magnitude, np.log10(eq.source_distance_km), np.ones(len(eq))], axis=1
    )
    (a_mag, a_dist, _), *_ = np.linalg.lstsq(design, peak, rcond=None)
    assert a_mag > 0.7
    assert a_dist < -0.7


def test_corner_frequency_falls_with_magnitude():
    def dominant_frequency(magnitude: float) -> float:
        w, info = synthesize_trace(magnitude, 30.0, kappa=0.01)
        s = info["s_sample"]
        spec = np.abs(np.fft.rfft(w[1:, s : s + 512], axis=-1)).sum(axis=0)
        f = np.fft.rfftfreq(512, 1 / FS)
        return float(np.sum(f * spec) / np.sum(spec))

    freqs = [dominant_frequency(m) for m in (1.0, 3.0, 5.0)]
    assert freqs[0] > freqs[1] > freqs[2]
