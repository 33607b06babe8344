"""Tests of the synthetic SeisBench dataset: format, caching, determinism and physics."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import scipy.signal
import seisbench
import seisbench.data as sbd
import seisbench.generate as sbg
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
from seisbench_llm.data.synthetic.sampling import S_AMPLITUDE_SCATTER_LOG10

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
    assert set(ds.metadata["trace_sampling_rate_hz"]) <= {20.0, 40.0, 50.0, 100.0}
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
    assert snr.min() >= p.min_snr_db and snr.quantile(0.1) < 12.0 and snr.quantile(0.95) > 40.0
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


def test_s_amplitude_factor_scales_only_the_s_wave():
    p_part, s_part, labels = [], [], []
    for factor in (0.5, 1.0, 2.0):
        w, info = synthesize_trace(3.0, 40.0, s_amp_factor=factor, seed=5)
        p, s = info["p_sample"], info["s_sample"]
        labels.append((p, s, info["polarity"]))
        p_part.append(np.abs(w[:, p : s - 10]).max())
        s_part.append(np.abs(w[:, s : s + 300]).max())
    assert labels[0] == labels[1] == labels[2]  # the labels stay exact
    assert np.allclose(p_part, p_part[1], rtol=1e-3)  # P and its coda untouched
    assert s_part[0] < 0.6 * s_part[1] and s_part[2] > 1.7 * s_part[1]


def test_s_amplitude_factor_in_the_metadata(stead_batch):
    _, meta = stead_batch
    eq = meta[meta.trace_category == "earthquake"]
    log_factor = np.log10(eq.source_s_amplitude_factor)
    assert abs(log_factor.mean()) < 0.05
    assert abs(log_factor.std() - S_AMPLITUDE_SCATTER_LOG10) < 0.05
    assert meta.loc[meta.trace_category == "noise", "source_s_amplitude_factor"].isna().all()


def test_corner_frequency_falls_with_magnitude():
    def dominant_frequency(magnitude: float) -> float:
        w, info = synthesize_trace(magnitude, 30.0, kappa=0.01)
        s = info["s_sample"]
        spec = np.abs(np.fft.rfft(w[1:, s : s + 512], axis=-1)).sum(axis=0)
        f = np.fft.rfftfreq(512, 1 / FS)
        return float(np.sum(f * spec) / np.sum(spec))

    freqs = [dominant_frequency(m) for m in (1.0, 3.0, 5.0)]
    assert freqs[0] > freqs[1] > freqs[2]


# ---------------------------------------------------------------------------------------------
# Noise, components, instruments, second events, labels through SeisBench
# ---------------------------------------------------------------------------------------------
INSTRUMENT_TYPES = list(synthetic.INSTRUMENTS)
RATES = [20.0, 40.0, 50.0, 100.0, 200.0, 250.0]


@pytest.fixture(scope="module")
def mixed_batch() -> tuple[list[np.ndarray], pd.DataFrame]:
    return simulate_synthetic(256, preset="stead", seed=5, noise_fraction=0.4)


def _onset(x: np.ndarray, start: int, fraction: float = 0.02) -> int:
    """First sample from ``start - 50`` on where any component exceeds ``fraction`` of the peak
    in the following second."""
    z = np.abs(x).max(axis=0)
    lo = max(start - 50, 0)
    peak = z[start : start + 100].max()
    return lo + int(np.argmax(z[lo:] > fraction * peak))


def test_noise_models_match_obspy():
    from obspy.signal.spectral_estimation import get_nhnm, get_nlnm

    for name, reference in (("nlnm", get_nlnm), ("nhnm", get_nhnm)):
        period, db = reference()
        np.testing.assert_allclose(synthetic.noise_model_db(1 / period, name), db, atol=0.01)


def test_noise_spectra_between_peterson_models(mixed_batch):
    from seisbench_llm.data.synthetic.instruments import _response

    waves, meta = mixed_batch
    noise = meta[meta.trace_category == "noise"]
    inside = []
    for i, row in noise.iterrows():
        fs = row.trace_sampling_rate_hz
        f, psd = scipy.signal.welch(waves[i][0], fs=fs, nperseg=int(20 * fs), average="median")
        keep = (f >= 0.1) & (f <= min(20.0, 0.35 * fs))
        f, psd = f[keep], psd[keep]
        kind = np.array([INSTRUMENT_TYPES.index(row.station_instrument)])
        response = _response(f, kind, np.array([row.trace_gain]))[0]  # counts per nm/s
        acc_db = 10 * np.log10(psd / np.abs(response) ** 2 * 1e-18 * (2 * np.pi * f) ** 2)
        low = synthetic.noise_model_db(f, "nlnm") - 3.0
        high = synthetic.noise_model_db(f, "nhnm") + 3.0
        inside.append(np.mean((acc_db > low) & (acc_db < high)) > 0.95)
    assert len(inside) > 80 and np.mean(inside) > 0.9
    # quiet and noisy stations alike: levels spread over the band
    assert noise.trace_noise_position.min() < 0.2 and noise.trace_noise_position.max() > 0.5


def test_p_and_s_energy_per_component(stead_batch, high_snr):
    waves, _ = stead_batch
    hv_p, z_share_s = [], []
    for i, row in high_snr.iterrows():
        p, s = int(row.trace_p_arrival_sample), int(row.trace_s_arrival_sample)
        x = _bandpass(waves[i])
        e_p = np.sum(x[:, p : min(p + int(1.5 * FS), s)] ** 2, axis=1)
        e_s = np.sum(x[:, s : s + int(3 * FS)] ** 2, axis=1)
        hv_p.append((e_p[1] + e_p[2]) / e_p[0])
        z_share_s.append(e_s[0] / e_s.sum())
    hv_p, z_share_s = np.array(hv_p), np.array(z_share_s)
    # P: clearly on the horizontals too (radial from the incidence angle, scattered P coda) but
    # less than on Z
    assert 0.15 < np.median(hv_p) < 1.0 and np.mean(hv_p > 0.05) > 0.95
    # S: SV and S coda put a share of the S energy on Z, less than on the horizontals
    assert 0.1 < np.median(z_share_s) < 0.4 and np.mean(z_share_s > 0.03) > 0.95


@pytest.mark.parametrize("instrument", INSTRUMENT_TYPES)
def test_p_label_is_the_first_motion_for_every_instrument_and_rate(tmp_path, instrument):
    path = tmp_path / instrument
    with sbd.WaveformDataWriter(path / "metadata.csv", path / "waveforms.hdf5") as writer:
        writer.data_format = {"component_order": "ZNE", "dimension_order": "CW"}
        for k, fs in enumerate(RATES):
            w, info = synthesize_trace(
                3.0, 30.0, instrument=instrument, sampling_rate=fs, p_arrival_s=9.0 + 0.37 * k
            )
            p = info["p_sample"]
            assert p == round((9.0 + 0.37 * k) * fs)
            assert p <= _onset(w, p) <= p + 2  # noise-free: the onset is the label
            assert not info["clipped"] and np.array_equal(w, np.rint(w))
            row = {"trace_sampling_rate_hz": fs, "trace_p_arrival_sample": p}
            writer.add_trace(row | {"trace_name": f"t{k}"}, w)
    # read at 100 Hz: SeisBench resamples the trace and rescales the label
    ds = sbd.WaveformDataset(path, sampling_rate=100, resample_zerophase=True)
    for k, fs in enumerate(RATES):
        w, meta = ds.get_sample(k)
        p = meta["trace_p_arrival_sample"]
        assert w.shape == (3, 6000) and p == pytest.approx(100 * (9.0 + 0.37 * k), abs=0.6)
        # zero-phase decimation (200 Hz) and FFT resampling (others) ring a little
        assert p - 3 <= _onset(w, int(p), 0.05) <= p + 2 + 100 / fs


def test_second_event_labels_are_exact():
    from seisbench_llm.data.synthetic.sampling import _sample_parameters, _stations
    from seisbench_llm.data.synthetic.traces import _synthesize

    preset = STEAD_100HZ
    par = _sample_parameters(np.random.default_rng(1), 24, preset, _stations(0, preset))
    par["e2_magnitude"] = par["e2_magnitude"] + 1.0  # well above the digitiser's rounding
    is_event = np.ones(24, dtype=bool)
    traces = {}
    for second in (False, True):
        par["second_event"] = np.full(24, second)
        rng = np.random.default_rng(2)
        traces[second] = _synthesize(
            par, FS, preset.n_samples, preset.p_arrival_s, rng, is_event, with_noise=False
        )
    (main, labels_main), (both, labels) = traces[False], traces[True]
    np.testing.assert_array_equal(labels["p_sample"], labels_main["p_sample"])
    assert (labels_main["p2_sample"] == -1).all() and (labels["p2_sample"] >= 0).all()
    n = preset.n_samples
    for i in range(24):
        p2, s2 = labels["p2_sample"][i], labels["s2_sample"][i]
        assert FS <= p2 <= n - 3 * FS and abs(p2 - labels["p_sample"][i]) >= FS
        assert (s2 == -1) or (p2 < s2 < n)
        second = both[i] - main[i]
        if np.abs(second).max() > 1e3 and not labels["clipped"][i]:
            assert p2 - 2 <= _onset(second, p2, 0.01) <= p2 + 4


def test_instrument_metadata_and_clipping(mixed_batch):
    waves, meta = mixed_batch
    assert set(meta.station_instrument) == set(INSTRUMENT_TYPES)
    assert meta.trace_sampling_rate_hz.nunique() >= 5
    assert (meta.trace_sampling_rate_hz == 100).mean() > 0.4
    for _, row in meta.drop_duplicates(["station_instrument", "trace_sampling_rate_hz"]).iterrows():
        code = synthetic.channel_code(row.station_instrument, row.trace_sampling_rate_hz)
        assert row.station_channels == code
    assert set(meta.station_channels) >= {"HH", "EH", "HN"}
    acc = meta.station_instrument == "accelerometer"
    assert (meta.trace_measurement[acc] == "acceleration").all()
    assert meta.trace_gain[acc].between(1e5, 2e6).all()
    assert meta.trace_gain[~acc].between(3e7, 2e9).all()
    for w, (_, row) in zip(waves, meta.iterrows(), strict=True):
        assert w.shape == (3, row.trace_npts)
        top = 2.0 ** (row.trace_digitizer_bits - 1)
        assert np.abs(w).max() <= top
        assert row.trace_clipped == bool(np.any((w <= -top) | (w >= top - 1)))
    # a large nearby event saturates a 16-bit digitiser, not a 24-bit one
    big, info = synthesize_trace(4.0, 20.0, adc_bits=16)
    assert info["clipped"] and np.abs(big).max() == 2**15
    _, info = synthesize_trace(4.0, 20.0, adc_bits=24)
    assert not info["clipped"]


def test_transients_and_second_events_in_the_dataset(mixed_batch):
    waves, meta = mixed_batch
    noise = meta[meta.trace_category == "noise"]
    eq = meta[meta.trace_category == "earthquake"]
    # bursts, spikes and distant events occur, in noise traces too, and never carry labels
    for column in ("trace_noise_bursts", "trace_spikes", "trace_distant_event"):
        assert (noise[column] > 0).any()
    pick_columns = [c for c in meta.columns if c.endswith("_arrival_sample")]
    assert noise[pick_columns].isna().all().all()
    # the distant event is in progress at the first sample: no onset inside the window
    distant = noise[noise.trace_distant_event & (noise.station_instrument == "broadband")]
    assert len(distant) > 0
    for i, row in distant.iterrows():
        fs = row.trace_sampling_rate_hz
        sos = scipy.signal.butter(2, [0.03, 1.0], "bandpass", fs=fs, output="sos")
        lf = scipy.signal.sosfiltfilt(sos, waves[i][0].astype(float))
        rms = np.sqrt(np.mean(lf.reshape(-1, int(10 * fs)) ** 2, axis=1))  # 10 s windows
        assert rms[0] > 0.25 * rms.max()
    # about 10 % of the events carry a second one, with exact labels inside the trace
    has_second = eq.trace_P2_arrival_sample.notna()
    assert 0.03 < has_second.mean() < 0.2
    assert (eq.trace_P2_arrival_sample[has_second] < eq.trace_npts[has_second]).all()
    s2 = eq.trace_S2_arrival_sample.dropna()
    assert (s2 > eq.trace_P2_arrival_sample[s2.index]).all()
    assert eq.loc[~has_second, "trace_S2_arrival_sample"].isna().all()


def test_second_event_reaches_the_training_labels(tmp_path):
    from seisbench_llm.tasks import PHASE_DICT

    preset = replace(STEAD_100HZ, second_event_fraction=1.0)
    path = generate_synthetic(
        tmp_path / "two", n_traces=6, preset=preset, seed=4, noise_fraction=0.0
    )
    ds = sbd.WaveformDataset(path, sampling_rate=FS)
    generator = sbg.GenericGenerator(ds)
    generator.add_augmentations(
        [sbg.ProbabilisticLabeller(label_columns=PHASE_DICT, sigma=10, dim=0)]
    )
    for k in range(len(ds)):
        row = ds.metadata.iloc[k]
        y = generator[k]["y"]
        p2 = int(row.trace_P2_arrival_sample)
        assert y[0, p2] == pytest.approx(1.0, abs=0.05)  # P probability at the second P
        if np.isfinite(row.trace_S2_arrival_sample):
            assert y[1, int(row.trace_S2_arrival_sample)] == pytest.approx(1.0, abs=0.05)


def test_synthetic_is_read_at_one_rate_with_rescaled_labels():
    ds = Synthetic(preset="stead", n_traces=40, seed=6)
    raw = sbd.WaveformDataset(ds.path)  # at the traces' own rates
    assert raw.metadata.trace_sampling_rate_hz.nunique() > 2
    for k in range(0, 40, 3):
        w, meta = ds.get_sample(k)
        assert w.shape == (3, 6000)
        row = raw.metadata.iloc[k]
        if row.trace_category == "earthquake":
            factor = FS / row.trace_sampling_rate_hz
            assert meta["trace_p_arrival_sample"] == pytest.approx(
                row.trace_p_arrival_sample * factor
            )


def test_catalogue_selection_keeps_only_visible_onsets():
    import dataclasses

    waves, meta = simulate_synthetic(256, seed=5, workers=1)
    events = meta[meta["trace_category"] == "earthquake"]
    assert len(events) > 200 and events["trace_snr_db"].min() >= PRESETS["stead"].min_snr_db
    assert meta["trace_name"].is_unique and len(waves) == len(meta) == 256
    for i in events.index[:20]:  # redrawn traces keep their own labels and rate
        row = meta.loc[i]
        assert waves[i].shape[1] == round(60.0 * row["trace_sampling_rate_hz"])
        assert row["trace_p_arrival_sample"] < waves[i].shape[1]
    unselected = dataclasses.replace(PRESETS["stead"], min_snr_db=None)
    _, raw = simulate_synthetic(256, preset=unselected, seed=5, workers=1)
    raw_events = raw[raw["trace_category"] == "earthquake"]
    assert (raw_events["trace_snr_db"] < PRESETS["stead"].min_snr_db).sum() >= 10
