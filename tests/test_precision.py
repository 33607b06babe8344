"""Precision choice: CPU feature detection, ``auto`` falling back to float32, Lightning's names."""

import logging

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


def test_auto_takes_bf16_on_a_cpu_that_computes_it(monkeypatch):
    monkeypatch.setattr(prec, "cpu_flags", lambda: {"avx2", "avx512_bf16"})
    assert prec.resolve_precision("auto", torch.device("cpu")) == "bfloat16"
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
