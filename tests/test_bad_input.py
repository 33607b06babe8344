"""Bad input to annotate/classify, the same for SeisMoLLM and SeisMoE (seisbench_llm.models.inputs)."""

import logging

import numpy as np
import obspy
import pytest
import seisbench.models as sbm
import seisbench.util as sbu
import torch

from seisbench_llm import SeisMoE
from seisbench_llm.benchmarking import TINY_SEISMOLLM as TINY
from seisbench_llm.models.inputs import add_input_handling
from seisbench_llm.models.seismollm import SeisMoLLM

T0 = obspy.UTCDateTime(2024, 1, 1)


def seismollm(task="picking"):
    torch.manual_seed(0)
    return SeisMoLLM(task=task, **TINY).eval()


def seismoe():
    torch.manual_seed(0)
    return SeisMoE.from_eqtransformer(sbm.EQTransformer(), expert_noise=0.0).eval()


MODELS = {"SeisMoLLM": seismollm, "SeisMoE": seismoe}


@pytest.fixture(params=list(MODELS), scope="module")
def model(request):
    return MODELS[request.param]()


def noise_stream(seconds=30.0, seed=0, station="STA", channels="ZNE", band="HH", rate=100.0):
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    return obspy.Stream(
        [
            obspy.Trace(
                rng.normal(size=n) * 100,
                header=dict(
                    network="XX",
                    station=station,
                    channel=f"{band}{c}",
                    sampling_rate=rate,
                    starttime=T0,
                ),
            )
            for c in channels
        ]
    )


def phase_traces(ann, model):
    return [tr for tr in ann if tr.stats.channel != f"{type(model).__name__}_Detection"]


# ---------------------------------------------------------------------------- arguments that hung
@pytest.mark.parametrize(
    "kwargs, key",
    [
        (dict(batch_size=0), "batch_size"),
        (dict(batch_size=-2), "batch_size"),
        (dict(batch_size=2.5), "batch_size"),
        (dict(overlap=6000), "overlap"),
        (dict(overlap=7000), "overlap"),
        (dict(overlap=-1), "overlap"),
        (dict(stacking="median"), "stacking"),
        (dict(blinding=(4000, 3000)), "blinding"),
    ],
)
def test_arguments_that_hang_seisbench_are_rejected(model, kwargs, key):
    stream = noise_stream()
    for call in (model.annotate, model.classify):
        with pytest.raises(ValueError, match=f"annotate argument {key}=.* not allowed"):
            call(stream, **kwargs)
    model.default_args = dict(kwargs)  # the same from default_args
    try:
        with pytest.raises(ValueError, match=key):
            model.annotate(stream)
    finally:
        model.default_args = {}


def test_point_tasks_check_their_arguments():
    model = seismollm("magnitude")
    with pytest.raises(ValueError, match="stride=0"):
        model.annotate(noise_stream(), stride=0)
    with pytest.raises(ValueError, match="batch_size=0"):
        model.classify(noise_stream(), batch_size=0)


# ---------------------------------------------------------------------------- the same bad input
def test_numpy_input_is_a_clear_type_error(model):
    for call in (model.annotate, model.classify):
        with pytest.raises(TypeError, match="Expected an obspy.Stream, got ndarray"):
            call(np.zeros((3, 6000)))


def test_nan_inf_integer_and_gaps_handled_alike(model):
    stream = noise_stream()
    reference = phase_traces(model.annotate(stream), model)
    assert len(reference) == 2 and all(tr.stats.npts == 3000 for tr in reference)

    bad = stream.copy()
    bad[0].data[1000:1100] = np.nan
    bad[1].data[2000] = np.inf
    ann = phase_traces(model.annotate(bad), model)
    assert [tr.stats.npts for tr in ann] == [3000, 3000]
    for tr in ann:
        masked = np.isnan(tr.data)
        assert masked[1000:1100].all() and masked[2000] and masked.sum() == 101

    integers = stream.copy()
    for tr in integers:
        tr.data = np.round(tr.data).astype(np.int32)
    for a, b in zip(phase_traces(model.annotate(integers), model), reference, strict=True):
        np.testing.assert_allclose(a.data, b.data, atol=0.05)

    gapped = obspy.Stream()
    for tr in stream:
        gapped += tr.slice(T0, T0 + 10) + tr.slice(T0 + 12, tr.stats.endtime)
    for tr in phase_traces(model.annotate(gapped), model):
        in_gap = (tr.times() > 10.005) & (tr.times() < 11.995)
        assert tr.stats.npts == 3000 and np.isnan(tr.data[in_gap]).all()
        assert np.isfinite(tr.data[~in_gap]).all()


def test_values_beyond_float32_still_annotated(model):
    stream = noise_stream(180.0)
    reference = phase_traces(model.annotate(stream), model)
    spike = stream.copy()
    spike[0].data[15000] = 1e39  # finite in float64, inf in float32
    scaled = stream.copy()
    for tr in scaled:
        tr.data = tr.data * 1e38
    for bad in (spike, scaled):
        ann = phase_traces(model.annotate(bad), model)
        assert [tr.stats.npts for tr in ann] == [18000, 18000]
        for tr, ref in zip(ann, reference, strict=True):
            assert np.isfinite(tr.data).all()
            far = slice(0, 11000) if bad is spike else slice(None)  # windows without the spike
            np.testing.assert_allclose(tr.data[far], ref.data[far], atol=1e-4)


class OnsetDetector(SeisMoLLM):
    """Picks P wherever the energy steps up: an STA/LTA onset detector (0.5 s / 2 s)."""

    def forward(self, x, logits=False):
        energy = torch.nn.functional.pad(x[:, 0] ** 2, (200, 50))
        total = torch.nn.functional.pad(energy.cumsum(-1), (1, 0))
        n = x.shape[-1]
        sta = (total[:, 250 : 250 + n] - total[:, 200 : 200 + n]) / 50
        lta = (total[:, 200 : 200 + n] - total[:, :n]) / 200
        p = torch.sigmoid(sta / (lta + 1e-3) - 5)
        return torch.stack([1 - p, p, torch.zeros_like(p)], dim=1)


def onset_detector():
    torch.manual_seed(0)
    return OnsetDetector(**TINY).eval()


def test_padding_makes_no_pick_at_the_stream_start():
    """The onset detector picks nothing on pure noise; padding the stream start with a constant
    would look like an energy step."""
    detector = onset_detector()
    stream = noise_stream(60.0, seed=3)
    ann = detector.annotate(stream)
    p = ann.select(channel="OnsetDetector_P")[0]
    assert p.stats.starttime == T0 and np.isfinite(p.data).all()
    assert p.data.max() < 0.1  # nowhere near a pick, first samples included
    assert [pick for pick in detector.classify(stream).picks if pick.phase == "P"] == []
    onset = stream.copy()  # the detector does pick a real energy step
    for tr in onset:
        tr.data[3000:] *= 30
    picks = detector.classify(onset).picks
    assert [pick.phase for pick in picks] == ["P"] and abs(picks[0].peak_time - (T0 + 30)) < 0.5


def test_onset_right_after_the_stream_start_is_not_copied_into_the_padding():
    """An event record cut 0.5 s before its P: mirroring the whole channel put the loud P coda
    into the padding just before the onset, which then no longer looked like one."""
    from seisbench_llm.models.inputs import pad_stream

    stream = noise_stream(60.0, seed=3)
    for tr in stream:
        tr.data[50:] *= 30
    padded = stream.copy()
    pad_stream(padded, 30.0, 5.0, 5.0)
    assert padded[0].stats.starttime == T0 - 5 and padded[0].stats.npts == 7000
    assert np.abs(padded[0].data[:500]).max() < 5 * 100  # noise level (std 100), not 3000
    np.testing.assert_array_equal(padded[0].data[500:6500], stream[0].data)
    picks = onset_detector().classify(stream).picks
    assert [pick.phase for pick in picks] == ["P"] and abs(picks[0].peak_time - (T0 + 0.5)) < 0.5


def test_blinding_from_default_args_keeps_edges_annotated():
    model = seismollm()
    stream = noise_stream()
    expected = model.annotate(stream, blinding=(1000, 1000))
    model.default_args = {"blinding": (1000, 1000)}
    ann = model.annotate(stream)
    for tr, ref in zip(ann, expected, strict=True):
        assert tr.stats.starttime == T0 and tr.stats.npts == 3000
        np.testing.assert_array_equal(tr.data, ref.data)


# ---------------------------------------------------------------------------- classify
def test_pick_list_p_times_match_stations_exactly():
    model = seismollm("magnitude")
    stream = noise_stream(120.0, station="STA")
    other = sbu.Pick("XX.STA1.", T0 + 60, phase="P")
    out = model.classify(stream, p_times=sbu.PickList([other]))
    assert out.window_start["XX.STA."] == T0  # no P for XX.STA: the stream start
    own = sbu.Pick("XX.STA.", T0 + 30, phase="P")
    out = model.classify(stream, p_times=sbu.PickList([other, own]))
    assert out.window_start["XX.STA."] == T0 + 30 - model.p_position / 100


@pytest.mark.parametrize(
    "task, attr",
    [
        ("magnitude", "magnitude"),
        ("distance", "distance_km"),
        ("back_azimuth", "back_azimuth_deg"),
        ("polarity", "polarity"),
    ],
)
def test_window_without_data_is_left_out_with_a_warning(task, attr):
    model = seismollm(task)
    stream = noise_stream(30.0) + noise_stream(30.0, station="OTHER")
    p_times = {"XX.STA.": T0 + 3600, "XX.OTHER.": T0 + 15}  # STA: an hour after its data
    with pytest.warns(UserWarning, match=r"Station XX\.STA\.: no data in the .* window"):
        out = model.classify(stream, p_times=p_times)
    assert list(getattr(out, attr)) == ["XX.OTHER."]
    nan_only = noise_stream(30.0)
    for tr in nan_only:
        tr.data[:] = np.nan
    with pytest.warns(UserWarning, match="no data"):
        assert getattr(model.classify(nan_only), attr) == {}


# ---------------------------------------------------------------------------- channel warnings
def test_rt_channels_are_dropped_with_a_warning(model, caplog):
    stream = noise_stream(channels="ZRT")
    with caplog.at_level(logging.WARNING, logger="seisbench_llm"):
        ann = model.annotate(stream)
    assert "channel(s) HHR, HHT ignored: not among the model's components" in caplog.text
    assert "XX.STA.: no " in caplog.text and "zero-filled" in caplog.text
    assert len(phase_traces(ann, model)) == 2


def test_one_horizontal_only_is_zero_filled_with_a_warning(model, caplog):
    stream = noise_stream(channels="1")
    with caplog.at_level(logging.WARNING, logger="seisbench_llm"):
        ann = model.annotate(stream)
    assert "Station XX.STA.: no Z, E component; zero-filled" in caplog.text
    assert [tr.stats.npts for tr in phase_traces(ann, model)] == [3000, 3000]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="seisbench_llm"):
        assert len(model.annotate(stream, strict=True)) == 0
    assert "station skipped (strict=True)" in caplog.text


def test_two_bands_at_one_station_warn_which_is_used(model, caplog):
    hh = noise_stream(seed=1)
    bh = noise_stream(seed=2, band="BH", rate=40.0)
    with caplog.at_level(logging.WARNING, logger="seisbench_llm"):
        ann = model.annotate(hh + bh)
    assert "Station XX.STA. has channels HH? and BH?; using HH?" in caplog.text
    for a, b in zip(ann, model.annotate(hh), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


# ---------------------------------------------------------------------------- baselines
def test_baseline_gets_the_same_input_handling():
    torch.manual_seed(0)
    phasenet = add_input_handling(sbm.PhaseNet().eval())
    assert type(phasenet).__name__ == "PhaseNet" and isinstance(phasenet, sbm.PhaseNet)
    assert add_input_handling(phasenet) is phasenet
    stream = noise_stream()
    stream[0].data[100:200] = np.nan
    ann = phasenet.annotate(stream)
    assert {tr.stats.channel for tr in ann} == {"PhaseNet_P", "PhaseNet_S", "PhaseNet_N"}
    for tr in ann:
        assert tr.stats.starttime == T0 and tr.stats.npts == 3000
        assert np.isnan(tr.data[100:200]).all() and np.isfinite(tr.data[300:]).all()
    with pytest.raises(ValueError, match="batch_size"):
        phasenet.annotate(stream, batch_size=0)
