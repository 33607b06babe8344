"""SeisMoLLM: architecture, GPT-2 loading, LoRA, annotate/classify and bad input."""

import hashlib
import inspect
import json
import sys
from pathlib import Path

import numpy as np
import obspy
import pytest
import seisbench.models as sbm
import seisbench.util as sbu
import torch
from curves import annotation_curves

import seisbench_llm
from seisbench_llm.models.config import SeisMoLLMConfig
from seisbench_llm.models.gpt2 import PretrainedGPT2NotFoundError
from seisbench_llm.models.seismollm import SeisMoLLM
from seisbench_llm.tasks import TASKS
from seisbench_llm.training.config import (
    SEISMOLLM_SET_BY_HARNESS,
    ConfigError,
    model_arg_rules,
    validate_config,
)

TINY = dict(
    d_model=32,
    n_heads=2,
    n_layers=2,
    n_positions=128,
    embed_channels=(4, 8, 4, None),
    head_channels=(8, 8, 8, 6),
    lora_r=2,
    lora_alpha=2,
)


def tiny(task="picking", seed=0, **kwargs):
    torch.manual_seed(seed)
    return SeisMoLLM(task=task, **{**TINY, **kwargs}).eval()


def randomize_lora(model, seed=1):
    """LoRA B starts at zero; give it values so merging has something to fold."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)


@pytest.fixture
def example_stream():
    return obspy.read()  # ObsPy's offline 30 s example recording, ZNE at 100 Hz


# ---------------------------------------------------------------------------- architecture
def test_registered_in_seisbench():
    assert sbm.SeisMoLLM is SeisMoLLM
    assert seisbench_llm.SeisMoLLM is SeisMoLLM


@pytest.mark.parametrize(
    "task, trainable, total",
    [("picking", 2_489_463, 23_743_863), ("magnitude", 2_242_117, 23_496_517)],
)
def test_parameter_counts_match_paper(task, trainable, total):
    model = SeisMoLLM(task=task)
    n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert n_trainable == trainable
    assert sum(p.numel() for p in model.parameters()) == total
    assert sum(p.numel() for p in model.embedder.parameters()) == 559_908


def test_trainable_split_is_lora_layernorm_wpe():
    model = tiny()
    for name, p in model.llm.named_parameters():
        expected = "lora_" in name or ".ln_" in name or name.startswith(("ln_f", "wpe"))
        assert p.requires_grad == expected, name
    assert all(p.requires_grad for p in model.embedder.parameters())
    assert all(p.requires_grad for p in model.head.parameters())


def test_diting_setting_shapes():
    model = tiny(in_samples=8192, sampling_rate=50)
    assert model.n_tokens == 128
    assert [layer.size for layer in model.head.up] == [1721, 2895, 4870, 8192]
    assert model(torch.randn(1, 3, 8192)).shape == (1, 3, 8192)


def test_stead_setting_drops_incomplete_patch():
    model = tiny()
    assert model.n_tokens == 93
    assert [layer.size for layer in model.head.up] == [1253, 2112, 3560, 6000]


@pytest.mark.parametrize("task", TASKS)
def test_forward_every_task(task):
    model = tiny(task)
    y = model(torch.randn(4, 3, 6000))
    if task == "picking":
        assert y.shape == (4, 3, 6000) and 0 <= y.min() and y.max() <= 1
    elif task == "polarity":
        assert y.shape == (4, 2)
        torch.testing.assert_close(y.sum(-1), torch.ones(4))
    elif task == "back_azimuth":
        assert y.shape == (4, 2) and y.abs().max() <= 1
    else:
        scale = 8.0 if task == "magnitude" else 500.0
        assert y.shape == (4,) and 0 <= y.min() and y.max() <= scale


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="Valid tasks"):
        SeisMoLLM(task="detection")
    with pytest.raises(ValueError, match="d_model / patch_size"):
        SeisMoLLM(**{**TINY, "embed_channels": (4, 8, 4, 5)})
    with pytest.raises(ValueError, match="no complete patch"):
        SeisMoLLM(**{**TINY, "in_samples": 32})


def test_constructor_never_touches_network(no_network):
    SeisMoLLM(**TINY)


# ---------------------------------------------------------------------------- GPT-2 weights
@pytest.fixture
def gpt2_dir(tmp_path):
    """A GPT-2 checkpoint with random weights, written with transformers' save_pretrained."""
    from transformers import GPT2Config, GPT2Model

    torch.manual_seed(42)
    config = GPT2Config(n_embd=32, n_head=2, n_layer=3, n_positions=256, vocab_size=50)
    hf = GPT2Model(config).eval()
    hf.save_pretrained(tmp_path / "gpt2-tiny")
    return tmp_path / "gpt2-tiny", hf


def test_gpt2_loading_reproduces_transformers(gpt2_dir):
    path, hf = gpt2_dir
    model = tiny(n_layers=3)
    origin = model.load_gpt2_weights(str(path))
    assert str(path.resolve()) in origin and model.llm_source == origin
    x = torch.randn(2, 20, 32)
    with torch.no_grad():
        ours = model.llm(x)  # LoRA B is zero: adapters do not change the output yet
        theirs = hf(inputs_embeds=x, use_cache=False).last_hidden_state
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
    # causal: the first token does not see the others
    x2 = x.clone()
    x2[:, 5:] += 1.0
    with torch.no_grad():
        torch.testing.assert_close(model.llm(x2)[:, :5], ours[:, :5])


def test_gpt2_loading_uses_first_blocks(gpt2_dir):
    path, hf = gpt2_dir
    model = tiny(n_layers=2)
    model.load_gpt2_weights(str(path))
    torch.testing.assert_close(model.llm.h[1].mlp.c_fc.base_layer.weight, hf.h[1].mlp.c_fc.weight)
    torch.testing.assert_close(model.llm.wpe.weight, hf.wpe.weight[:128])


def test_gpt2_shape_mismatch_is_explained(gpt2_dir):
    path, _ = gpt2_dir
    model = tiny(d_model=64, embed_channels=(4, 8, 8, None))
    with pytest.raises(ValueError, match="does not fit this backbone"):
        model.load_gpt2_weights(str(path))


def test_missing_gpt2_weights_clear_error(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = tiny()
    with pytest.raises(PretrainedGPT2NotFoundError, match="save_pretrained") as err:
        model.load_gpt2_weights(str(tmp_path / "nowhere"))
    assert "nowhere" in str(err.value)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(PretrainedGPT2NotFoundError, match="Hugging Face cache"):
        model.load_gpt2_weights("gpt2", local_files_only=True)


# ---------------------------------------------------------------------------- LoRA merge
@pytest.mark.parametrize("task", ["picking", "magnitude"])
def test_merge_lora_keeps_outputs(task):
    model = tiny(task)
    randomize_lora(model)
    x = torch.randn(3, 3, 6000)
    with torch.no_grad():
        before = model(x)
        model.merge_lora()
        after = model(x)
    torch.testing.assert_close(after, before, atol=1e-5, rtol=1e-5)
    assert model.lora_r == 0 and model.get_model_args()["lora_r"] == 0
    assert not any("lora_" in k for k in model.state_dict())


def test_merged_model_saves_and_loads_without_peft(tmp_path, monkeypatch, example_stream):
    model = tiny()
    randomize_lora(model)
    model.merge_lora()
    model.save(tmp_path / "merged")
    monkeypatch.setitem(sys.modules, "peft", None)  # any `import peft` now fails
    loaded = SeisMoLLM.load(tmp_path / "merged")
    a = model.annotate(example_stream)
    b = loaded.annotate(example_stream)
    for ta, tb in zip(a, b, strict=True):
        np.testing.assert_array_equal(ta.data, tb.data)


def test_save_load_unmerged_identical_annotate(tmp_path, example_stream):
    model = tiny()
    randomize_lora(model)
    model.save(tmp_path / "m")
    loaded = SeisMoLLM.load(tmp_path / "m")
    assert loaded.lora_r == TINY["lora_r"]
    for ta, tb in zip(model.annotate(example_stream), loaded.annotate(example_stream), strict=True):
        np.testing.assert_array_equal(ta.data, tb.data)


# ---------------------------------------------------------------------------- annotate / classify
def test_annotate_example_stream_covers_it(example_stream):
    model = tiny()
    ann = model.annotate(example_stream)
    assert sorted(tr.stats.channel for tr in ann) == ["SeisMoLLM_P", "SeisMoLLM_S"]
    for tr in ann:
        assert tr.stats.sampling_rate == 100
        assert abs(tr.stats.starttime - example_stream[0].stats.starttime) < 0.011
        assert abs(tr.stats.endtime - example_stream[0].stats.endtime) < 0.011
        assert np.isfinite(tr.data).all()
        assert 0 <= tr.data.min() and tr.data.max() <= 1


def test_annotate_long_stream_is_continuous():
    rng = np.random.default_rng(0)
    t0 = obspy.UTCDateTime(2020, 1, 1)
    st = obspy.Stream(
        [
            obspy.Trace(
                rng.normal(size=20000),
                header=dict(station="LONG", channel=f"HH{c}", sampling_rate=100, starttime=t0),
            )
            for c in "ZNE"
        ]
    )
    ann = tiny().annotate(st)
    assert len(ann) == 2
    for tr in ann:
        assert tr.stats.npts == 20000 and np.isfinite(tr.data).all()


def test_classify_picks_and_thresholds(example_stream):
    model = tiny()
    ann = model.annotate(example_stream)
    out = model.classify(example_stream)
    assert isinstance(out.picks, sbu.PickList)
    expect_p = ann.select(channel="SeisMoLLM_P")[0].data.max() >= 0.3
    assert any(p.phase == "P" for p in out.picks) == expect_p
    low = model.classify(example_stream, P_threshold=0.01, S_threshold=0.99)
    assert [p.phase for p in low.picks] == ["P"]
    assert low.picks[0].trace_id == "BW.RJOB."


def test_classify_every_regression_task(example_stream):
    t_p = example_stream[0].stats.starttime + 10
    for task, attr in [
        ("magnitude", "magnitude"),
        ("distance", "distance_km"),
        ("back_azimuth", "back_azimuth_deg"),
        ("polarity", "polarity"),
    ]:
        model = tiny(task)
        out = model.classify(example_stream, p_times={"BW.RJOB.": t_p})
        value = getattr(out, attr)["BW.RJOB."]
        assert out.window_start["BW.RJOB."] == t_p - model.p_position / 100
        if task == "polarity":
            assert value in ("U", "D") and 0.5 <= out.polarity_probability["BW.RJOB."] <= 1
        elif task == "back_azimuth":
            assert 0 <= value < 360
        else:
            assert np.isfinite(value) and value >= 0
        ann = model.annotate(example_stream, stride=500)
        assert len(ann) >= 1 and all(np.isfinite(tr.data).all() for tr in ann)


def test_classify_regression_window_placement_matters(example_stream):
    model = tiny("magnitude")
    t = example_stream[0].stats.starttime
    a = model.classify(example_stream, p_times=t + 5).magnitude["BW.RJOB."]
    b = model.classify(example_stream, p_times=t + 25).magnitude["BW.RJOB."]
    c = model.classify(example_stream, p_times=t + 5).magnitude["BW.RJOB."]
    assert a == c and a != b
    with pytest.raises(TypeError, match="p_times"):
        model.classify(example_stream, p_times=[1, 2])


# ---------------------------------------------------------------------------- bad input
def test_empty_stream_gives_empty_output():
    model = tiny()
    assert len(model.annotate(obspy.Stream())) == 0
    assert len(model.classify(obspy.Stream()).picks) == 0
    assert tiny("magnitude").classify(obspy.Stream()).magnitude == {}


def test_non_stream_input_is_rejected():
    with pytest.raises(TypeError, match="obspy.Stream"):
        tiny().annotate(np.zeros((3, 6000)))


def test_nan_and_inf_samples_are_masked(example_stream):
    st = example_stream.copy()
    st[0].data = st[0].data.astype(np.float64)
    st[0].data[1000:1100] = np.nan
    st[1].data = st[1].data.astype(np.float64)
    st[1].data[2000] = np.inf
    ann = tiny().annotate(st)
    assert len(ann) == 2
    for tr in ann:
        bad = ~np.isfinite(tr.data)
        assert bad[1000:1100].all() and bad[2000]
        assert bad.sum() == 101  # only the non-finite input samples are masked
        assert np.isfinite(tr.data[:1000]).all()


def test_all_nan_stream_does_not_crash(example_stream):
    st = example_stream.copy()
    for tr in st:
        tr.data = np.full(tr.stats.npts, np.nan)
    ann = tiny().annotate(st)
    assert all(np.isnan(tr.data).all() for tr in ann)


def test_gaps_and_overlaps(example_stream):
    model = tiny()
    st = example_stream.copy()
    gapped = obspy.Stream()
    for tr in st:
        gapped += tr.slice(tr.stats.starttime, tr.stats.starttime + 10)
        gapped += tr.slice(tr.stats.starttime + 12, tr.stats.endtime)
    ann = model.annotate(gapped)
    assert len(ann) == 2  # one continuous trace per phase; the gap is masked with NaN
    for tr in ann:
        assert tr.stats.npts == 3000
        t = tr.times()
        in_gap = (t > 10.005) & (t < 11.995)
        assert np.isnan(tr.data[in_gap]).all()
        assert np.isfinite(tr.data[~in_gap]).all()
    # overlapping duplicate records are resolved, not crashed on
    overlapping = example_stream.copy() + example_stream.copy().slice(
        example_stream[0].stats.starttime + 5, example_stream[0].stats.starttime + 20
    )
    ann = model.annotate(overlapping)
    assert len(ann) == 2 and all(np.isfinite(tr.data).all() for tr in ann)


def test_integer_data(example_stream):
    model = tiny()
    st = example_stream.copy()
    for tr in st:
        tr.data = tr.data.astype(np.int32)
    ann = model.annotate(st)
    ref = model.annotate(example_stream)
    assert len(ann) == 2
    for a, b in zip(ann, ref, strict=True):
        np.testing.assert_allclose(a.data, b.data, atol=0.05)


def test_wrong_sampling_rate_is_resampled(example_stream):
    st = example_stream.copy().resample(50)
    ann = tiny().annotate(st)
    assert len(ann) == 2
    for tr in ann:
        assert tr.stats.sampling_rate == 100
        assert np.isfinite(tr.data).all()
        assert abs(tr.stats.endtime - example_stream[0].stats.endtime) < 0.03


def test_missing_horizontals_zero_filled_unless_strict(example_stream):
    model = tiny()
    z_only = example_stream.select(component="Z")
    ann = model.annotate(z_only)
    assert len(ann) == 2 and all(np.isfinite(tr.data).all() for tr in ann)
    assert len(model.annotate(z_only, strict=True)) == 0
    mag = tiny("magnitude")
    assert "BW.RJOB." in mag.classify(z_only).magnitude
    assert mag.classify(z_only, strict=True).magnitude == {}


def test_export_then_from_pretrained_identical_annotate(example_stream, no_network):
    from seisbench_llm import export_weights

    model = tiny()
    randomize_lora(model)
    export_weights(model, "seismollm_unit", docstring="tiny test model")
    loaded = sbm.SeisMoLLM.from_pretrained("seismollm_unit")
    assert loaded.lora_r == 0 and model.lora_r == TINY["lora_r"]
    for a, b in zip(model.annotate(example_stream), loaded.annotate(example_stream), strict=True):
        np.testing.assert_allclose(a.data, b.data, atol=1e-5)


# ---------------------------------------------------------------------------- one config
#: get_model_args() of ``SeisMoLLM(task="back_azimuth", **TINY)`` as written by the code before
#: SeisMoLLMConfig (commit 69adf3f), and a digest of its state_dict layout (names and shapes)
#: per task: weights saved by that version must load unchanged.
MODEL_ARGS_BEFORE_CONFIG = {
    "sampling_rate": 100.0, "component_order": "ZNE", "in_samples": 6000, "filter_args": None,
    "filter_kwargs": None, "grouping": "instrument", "task": "back_azimuth", "lora_r": 2,
    "lora_alpha": 2, "lora_dropout": 0.1, "magnitude_scale": 8.0, "distance_scale": 500.0,
    "p_position": 1000, "phases": ["P", "S"], "d_model": 32, "n_layers": 2, "n_heads": 2,
    "n_positions": 128, "dropout": 0.1, "patch_size": 8, "embed_channels": [4, 8, 4, 4],
    "embed_kernels": [16, 8, 6, 1], "embed_scale_strides": [8, 6, 4, 2],
    "embed_strides": [2, 2, 2, 1], "head_channels": [8, 8, 8, 6], "head_kernels": [1, 6, 8, 16],
}  # fmt: skip
LAYOUT_BEFORE_CONFIG = {
    "picking": "56008a791cafa4d0",
    "polarity": "d9e9b7982768fded",
    "magnitude": "29fbc208f3e4e0da",
    "distance": "29fbc208f3e4e0da",
    "back_azimuth": "d9e9b7982768fded",
}


def state_layout(model):
    layout = ";".join(f"{k}:{tuple(v.shape)}" for k, v in model.state_dict().items())
    return hashlib.sha256(layout.encode()).hexdigest()[:16]


@pytest.mark.parametrize("task", TASKS)
def test_state_dict_layout_unchanged(task):
    assert state_layout(SeisMoLLM(task=task, **TINY)) == LAYOUT_BEFORE_CONFIG[task]


def test_weights_saved_before_config_load(tmp_path, example_stream):
    """A json/pt pair as the previous version wrote it loads through SeisBench's ``load``
    (``cls(**model_args)``) and annotates like the model it was saved from."""
    saved = tiny("back_azimuth", **{"p_position": None})
    randomize_lora(saved)
    content = {"docstring": "", "model_args": MODEL_ARGS_BEFORE_CONFIG, "default_args": {}}
    content["seisbench_requirement"] = "0.3.0"
    (tmp_path / "old.json").write_text(json.dumps(content))
    torch.save(saved.state_dict(), tmp_path / "old.pt")
    loaded = SeisMoLLM.load(tmp_path / "old")
    assert loaded.get_model_args() == MODEL_ARGS_BEFORE_CONFIG == saved.get_model_args()
    assert loaded.config == saved.config and loaded.task == "back_azimuth"
    a = saved.classify(example_stream).back_azimuth_deg
    assert loaded.classify(example_stream).back_azimuth_deg == a


def test_config_is_the_constructor_signature_and_model_args():
    specs = SeisMoLLMConfig.arg_specs()
    params = inspect.signature(SeisMoLLM).parameters
    assert [p for p in params if p != "kwargs"] == list(specs)
    assert {p: params[p].default for p in specs} == {n: s.default for n, s in specs.items()}
    model = tiny("magnitude")
    assert model.config == SeisMoLLMConfig(task="magnitude", **TINY)
    args = model.get_model_args()
    assert {k: args[k] for k in specs} == model.config.to_dict()
    # a config object builds the same model; mixing it with keyword arguments is refused
    torch.manual_seed(0)
    same = SeisMoLLM(model.config).eval()
    x = torch.randn(2, 3, 6000)
    with torch.no_grad():
        torch.testing.assert_close(same(x), model(x))
    with pytest.raises(TypeError, match="either config or SeisMoLLM arguments"):
        SeisMoLLM(model.config, d_model=64)


def test_config_checks_every_argument():
    with pytest.raises(
        ValueError, match=r"^SeisMoLLM argument d_model = \"768\": must be an integer >= 1$"
    ):
        SeisMoLLM(d_model="768")
    with pytest.raises(
        ValueError, match="embed_kernels = \\[16, 0\\]: must be a list of integers >= 1"
    ):
        SeisMoLLM(embed_kernels=[16, 0])
    with pytest.raises(ValueError, match="lora_dropout = 1.0: must be a number in"):
        SeisMoLLM(lora_dropout=1.0)
    with pytest.raises(ValueError, match="p_position = true: must be null or an integer"):
        SeisMoLLM(p_position=True)
    assert SeisMoLLMConfig(embed_channels=None).embed_channels == (16, 48, 96, 96)
    assert SeisMoLLMConfig(in_samples=8192).p_position == 8192 // 6


def test_harness_model_args_come_from_the_config():
    rules = model_arg_rules("seismollm")
    fields = set(SeisMoLLMConfig.arg_specs())
    assert set(rules) == fields - set(SEISMOLLM_SET_BY_HARNESS) | {"gpt2", "lr"}
    base = {"model": "seismollm", "data": "Synthetic"}
    validate_config({**base, "model_args": {"head_kernels": [1, 3, 5, 7], "p_position": None}})
    with pytest.raises(
        ConfigError, match=r"model_args.head_kernels = \[1, 2.5\]: must be a list of integers >= 1"
    ):
        validate_config({**base, "model_args": {"head_kernels": [1, 2.5]}})
    with pytest.raises(ConfigError, match="Unknown key.*phases"):
        validate_config({**base, "model_args": {"phases": ["P"]}})


def argument_table() -> list[str]:
    """The rows docs/user_guide.md must show for SeisMoLLM's arguments."""
    rows = ["| argument | default | allowed | meaning |", "|---|---|---|---|"]
    for name, spec in SeisMoLLMConfig.arg_specs().items():
        default = json.dumps(spec.default)
        rows.append(f"| `{name}` | `{default}` | {spec.allowed} | {spec.doc} |")
    return rows


def test_user_guide_lists_every_argument():
    text = (Path(__file__).resolve().parents[1] / "docs" / "user_guide.md").read_text()
    lines = text.splitlines()
    start = lines.index("| argument | default | allowed | meaning |")
    table = lines[start : start + len(SeisMoLLMConfig.arg_specs()) + 2]
    assert table == argument_table(), (
        "regenerate the table with tests/test_seismollm.py:argument_table"
    )


def test_untrained_picking_outputs_start_at_the_label_prior():
    from seisbench_llm.models.heads import PICK_PRIOR

    torch.manual_seed(0)
    model = SeisMoLLM(in_samples=3072, n_layers=1, head_channels=[8, 8, 8, 6]).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 3072))
    assert out.shape == (2, 3, 3072)
    assert abs(float(out.mean()) - PICK_PRIOR) < 0.005  # not 0.5: no steps wasted pushing down


# ---------------------------------------------------------------------------- one phase per onset
def _pick(phase, seconds, value, station="A"):
    t = obspy.UTCDateTime(2020, 1, 1) + seconds
    return sbu.Pick(f"XX.{station}.", t, t, t, peak_value=value, phase=phase)


def test_separate_phases_keeps_the_more_probable_of_close_p_and_s():
    from seisbench_llm.models.picks import separate_phases

    picks = [
        _pick("P", 10.0, 0.9),
        _pick("S", 10.05, 0.4),  # S on the P onset: dropped
        _pick("S", 11.0, 0.8),  # a real S, 1 s later: kept
        _pick("S", 10.0, 0.5, station="B"),  # another station: kept
        _pick("P", 20.1, 0.5),  # P under a stronger S: dropped
        _pick("S", 20.0, 0.9),
        _pick("P", 30.0, 0.6),  # a tie: the S goes
        _pick("S", 30.0, 0.6),
    ]
    kept = separate_phases(picks, 0.2)
    assert [(p.phase, p.peak_value) for p in kept] == [
        ("P", 0.9),
        ("S", 0.8),
        ("S", 0.5),
        ("S", 0.9),
        ("P", 0.6),
    ]
    assert separate_phases(picks, 0.0) == picks
    assert len(separate_phases(picks, 0.04)) == len(picks) - 1  # only the coincidence at 30 s
    for bad in (-0.1, float("nan")):
        with pytest.raises(ValueError, match="ps_separation must be >= 0"):
            separate_phases(picks, bad)


def test_classify_puts_one_phase_on_each_onset():
    model = tiny()
    curves = annotation_curves("SeisMoLLM", [("P", 5.0, 0.9), ("S", 5.02, 0.4), ("S", 6.0, 0.7)])
    picks = model.classify_aggregate(curves, {}).picks
    assert [(p.phase, round(p.peak_time - curves[0].stats.starttime, 2)) for p in picks] == [
        ("P", 5.0),
        ("S", 6.0),
    ]
    both = model.classify_aggregate(curves, {"ps_separation": 0}).picks
    assert sorted(p.phase for p in both) == ["P", "S", "S"]
    for bad in (-1, float("nan"), "0.2"):
        with pytest.raises(ValueError, match="ps_separation"):
            model.classify(obspy.read(), ps_separation=bad)


def test_separation_args_only_for_models_with_the_rule():
    from seisbench_llm.models.picks import separation_args

    assert separation_args(tiny(), 0.5) == {"ps_separation": 0.5}
    assert separation_args(sbm.PhaseNet(), None) == {}
    with pytest.raises(ValueError, match="ps_separation applies to SeisMoLLM and SeisMoE only .PhaseNet"):
        separation_args(sbm.PhaseNet(), 0.5)
