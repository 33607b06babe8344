"""Precision choice: CPU feature detection, ``auto`` falling back to float32, Lightning's names."""

import logging

import numpy as np
import pytest
import torch

from seisbench_llm import precision as prec


@pytest.fixture(autouse=True)
def fresh_auto_cache():
    prec._auto_precision.cache_clear()
    yield
    prec._auto_precision.cache_clear()


def _cpuinfo(tmp_path, flags):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: test\nflags\t\t: {flags}\n\n")
    return path


def test_cpu_flags_read_from_cpuinfo(tmp_path):
    path = _cpuinfo(tmp_path, "fpu sse2 avx2 avx512f avx512_bf16")
    assert prec.cpu_flags(path) == {"fpu", "sse2", "avx2", "avx512f", "avx512_bf16"}
    assert prec.cpu_flags(tmp_path / "missing") == set()


@pytest.mark.parametrize(
    "flags, native",
    [
        ({"avx2", "avx512f", "avx512_bf16"}, True),
        ({"avx2", "amx_bf16", "amx_tile"}, True),
        ({"avx2", "avx512f", "avx512bw"}, False),  # AVX-512 without BF16: emulated
        (set(), False),
    ],
)
def test_native_bf16_from_flags(flags, native):
    assert prec.cpu_has_native_bf16(flags) is native


def test_auto_falls_back_to_float32_on_a_cpu_that_emulates_bf16(monkeypatch, caplog):
    monkeypatch.setattr(prec, "cpu_flags", lambda: {"avx2", "fma"})
    with caplog.at_level(logging.INFO, logger="seisbench_llm"):
        assert prec.resolve_precision("auto", "cpu") == "float32"
        assert prec.resolve_precision("auto", "cpu") == "float32"
    messages = [r.getMessage() for r in caplog.records if "precision 'auto'" in r.getMessage()]
    assert len(messages) == 1, "the choice is logged once"
    assert "emulate" in messages[0]


def test_auto_keeps_float32_where_native_bf16_moved_picks(monkeypatch, caplog):
    """bfloat16 is native here but failed the pick check on trained weights: not chosen."""
    monkeypatch.setattr(prec, "cpu_flags", lambda: {"avx2", "avx512_bf16"})
    assert prec.native_precision("cpu") == "bfloat16"
    with caplog.at_level(logging.INFO, logger="seisbench_llm"):
        assert prec.resolve_precision("auto", torch.device("cpu")) == "float32"
    assert "has not given the same picks" in caplog.text
    assert prec.lightning_precision("auto", "cpu") == "32-true"


def test_auto_takes_a_checked_native_precision(monkeypatch):
    monkeypatch.setattr(prec, "cpu_flags", lambda: {"avx2", "avx512_bf16"})
    monkeypatch.setattr(prec, "AUTO_PRECISIONS", frozenset({"bfloat16"}))
    assert prec.resolve_precision("auto", "cpu") == "bfloat16"
    assert prec.lightning_precision("auto", "cpu") == "bf16-mixed"


def test_explicit_precisions_and_errors():
    assert prec.resolve_precision("float32") == "float32"
    assert prec.resolve_precision("bfloat16", "cpu") == "bfloat16"  # allowed even if emulated
    with pytest.raises(ValueError, match="float16' is for GPUs"):
        prec.resolve_precision("float16", "cpu")
    with pytest.raises(ValueError, match="precision must be one of auto, float32, bfloat16"):
        prec.resolve_precision("half")
    assert prec.lightning_precision("float32", "cpu") == "32-true"
    assert prec.torch_dtype("bfloat16") is torch.bfloat16


def test_autocast_runs_matmuls_in_the_reduced_type():
    a = torch.randn(4, 4)
    with prec.autocast("bfloat16", "cpu"):
        assert (a @ a).dtype == torch.bfloat16
    with prec.autocast("float32", "cpu"):
        assert (a @ a).dtype == torch.float32


# ------------------------------------------------------------------ pick-level equivalence
def _pick(trace_id, phase, t, value):
    import obspy
    import seisbench.util as sbu

    t = obspy.UTCDateTime(2020, 1, 1) + t
    return sbu.Pick(trace_id, start_time=t, end_time=t, peak_time=t, peak_value=value, phase=phase)


def test_compare_picks_accepts_one_sample_and_small_peak_changes():
    ref = [_pick("XX.A.", "P", 10.0, 0.80), _pick("XX.A.", "S", 15.0, 0.50)]
    other = [_pick("XX.A.", "P", 10.01, 0.795), _pick("XX.A.", "S", 15.0, 0.505)]
    result = prec.compare_picks(ref, other, sampling_rate=100.0)
    assert result.equivalent
    assert result.max_time_error_samples == pytest.approx(1.0, abs=1e-3)
    assert result.max_peak_difference == pytest.approx(0.005, abs=1e-6)


@pytest.mark.parametrize(
    "other, broken",
    [
        ([_pick("XX.A.", "P", 10.02, 0.80)], "two samples late"),
        ([_pick("XX.A.", "P", 10.0, 0.78)], "peak 0.02 lower"),
        ([_pick("XX.A.", "S", 10.0, 0.80)], "other phase"),
        ([_pick("XX.B.", "P", 10.0, 0.80)], "other station"),
        ([_pick("XX.A.", "P", 10.0, 0.80), _pick("XX.A.", "P", 20.0, 0.4)], "extra pick"),
        ([], "missing pick"),
    ],
)
def test_compare_picks_rejects(other, broken):
    result = prec.compare_picks([_pick("XX.A.", "P", 10.0, 0.80)], other, sampling_rate=100.0)
    assert not result.equivalent, broken


def test_reduced_precision_path_runs_even_where_emulated():
    """bfloat16 through annotate: outputs float32, close to float32's, model unchanged."""
    from seisbench_llm import SeisMoLLM
    from seisbench_llm.benchmarking import TINY_SEISMOLLM, event_stream

    torch.manual_seed(0)
    model = SeisMoLLM(**TINY_SEISMOLLM).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    stream = event_stream(60.0, seed=1)
    full = model.annotate(stream)
    reduced = model.annotate(stream, precision="bfloat16")
    assert len(full) == len(reduced) == 2
    for a, b in zip(full, reduced, strict=True):
        assert b.data.dtype == np.float32 and a.stats.npts == b.stats.npts
        assert np.nanmax(np.abs(a.data - b.data)) < 0.01
    assert max(np.nanmax(np.abs(a.data - b.data)) for a, b in zip(full, reduced, strict=True)) > 0
    fast = model.inference_model("bfloat16")
    assert fast.precision == "bfloat16" and fast.inference_model("float32").precision == "float32"
    # a reduced copy annotates at its own precision unless told otherwise
    for a, b in zip(reduced, fast.annotate(stream), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    for a, b in zip(full, fast.annotate(stream, precision="float32"), strict=True):
        np.testing.assert_allclose(a.data, b.data, atol=1e-6)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    with pytest.raises(ValueError, match="needs optimized=True"):
        model.annotate(stream, optimized=False, precision="bfloat16")


def test_loaded_baselines_accept_only_float32():
    import seisbench.models as sbm

    from seisbench_llm.models.loading import ready_for_annotation

    model = ready_for_annotation(sbm.PhaseNet().eval(), "auto")
    assert type(model).__name__ == "PhaseNet"
    with pytest.raises(ValueError, match="SeisMoLLM only"):
        ready_for_annotation(sbm.PhaseNet().eval(), "bfloat16")


def test_harness_trains_in_bf16_with_finite_losses(tmp_path):
    import pandas as pd

    from seisbench_llm.benchmarking import TINY_SEISMOLLM
    from seisbench_llm.training.config import validate_config
    from seisbench_llm.training.harness import train

    cfg = validate_config(
        {
            "model": "seismollm",
            "task": "picking",
            "data": "Synthetic",
            "data_args": {"n_traces": 120, "seed": 3},
            "max_train_samples": 16,
            "max_eval_samples": 8,
            "batch_size": 8,
            "model_args": dict(TINY_SEISMOLLM),
            "trainer_args": {
                "accelerator": "cpu",
                "max_epochs": 1,
                "precision": "bfloat16",
                "enable_progress_bar": False,
                "enable_model_summary": False,
                "log_every_n_steps": 1,
            },
        }
    )
    train(cfg, tmp_path / "run")
    log = pd.read_csv(tmp_path / "run/logs/metrics.csv")
    losses = log["train_loss_step"].dropna().to_numpy()
    assert len(losses) >= 2 and np.isfinite(losses).all()
    assert np.isfinite(log["val_loss"].dropna().to_numpy()).all()
