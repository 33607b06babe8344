"""Weight registry: export, offline from_pretrained, listing, clear errors, corrupt files."""

import json
import os

import numpy as np
import obspy
import pytest
import seisbench.models as sbm
import torch

from seisbench_llm import SeisMoE, SeisMoLLM, WeightsNotFoundError, export_weights
from seisbench_llm.weights import REMOTE_ENV, WeightsCorruptError, list_local_weights

TINY = dict(
    d_model=32,
    n_heads=2,
    n_layers=1,
    n_positions=128,
    embed_channels=(4, 8, 4, None),
    head_channels=(8, 8, 8, 6),
    lora_r=2,
)


@pytest.fixture
def model():
    torch.manual_seed(0)
    m = SeisMoLLM(**TINY).eval()
    with torch.no_grad():
        for name, p in m.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.1)
    return m


def test_export_then_from_pretrained_identical_annotate(model, no_network):
    st = obspy.read()
    path = export_weights(
        model,
        "unit",
        docstring="tiny test model",
        metadata={"data": "none", "metrics": {"f1": 0.5}},
    )
    assert path == SeisMoLLM._model_path() / "unit.json.v1"
    assert (SeisMoLLM._model_path() / "unit.pt.v1").is_file()
    assert model.lora_r == 2  # the caller's model keeps its adapters
    loaded = sbm.SeisMoLLM.from_pretrained("unit")
    assert loaded.lora_r == 0  # exported merged
    for a, b in zip(model.annotate(st), loaded.annotate(st), strict=True):
        np.testing.assert_allclose(a.data, b.data, atol=1e-5)
    content = json.loads(path.read_text())
    assert "tiny test model" in content["docstring"] and '"f1": 0.5' in content["docstring"]
    assert content["seisbench_llm"]["metrics"] == {"f1": 0.5}
    assert content["model_args"]["lora_r"] == 0
    assert loaded.weights_docstring.startswith("tiny test model")


def test_versions_and_latest(model, no_network):
    export_weights(model, "ver")
    with torch.no_grad():
        model.head.out.bias.add_(1.0)
    export_weights(model, "ver")
    assert SeisMoLLM.local_versions("ver") == [1, 2]
    latest = SeisMoLLM.from_pretrained("ver")
    first = SeisMoLLM.from_pretrained("ver", version_str="1")
    assert torch.equal(latest.head.out.bias, model.head.out.bias)
    assert not torch.equal(first.head.out.bias, model.head.out.bias)
    with pytest.raises(FileExistsError):
        export_weights(model, "ver", version=2)
    with pytest.raises(ValueError, match="may only contain"):
        export_weights(model, "bad/name")


def test_list_pretrained_shows_local_offline(model, no_network):
    export_weights(model, "listed")
    assert "listed" in SeisMoLLM.list_pretrained()  # remote unreachable: local still listed
    assert "listed" in SeisMoLLM.list_pretrained(remote=False)
    assert SeisMoLLM.list_pretrained(details=True)["listed"].startswith("SeisMoLLM weights")
    rows = list_local_weights()
    assert ("seismollm", "listed", 1) in [r[:3] for r in rows]


def test_missing_weights_clear_error(no_network, monkeypatch):
    monkeypatch.setenv(REMOTE_ENV, "https://weights.example.invalid/models/v3")
    with pytest.raises(WeightsNotFoundError) as err:
        SeisMoLLM.from_pretrained("stead")
    msg = str(err.value)
    assert str(SeisMoLLM._model_path()) in msg
    assert "https://weights.example.invalid/models/v3/seismollm" in msg
    assert "benchmarks/train.py" in msg and "export_weights" in msg
    assert isinstance(err.value, FileNotFoundError)


def test_remote_root_default_is_seisbench(monkeypatch):
    import seisbench

    monkeypatch.delenv(REMOTE_ENV, raising=False)
    assert SeisMoE._remote_path() == seisbench.remote_model_root.rstrip("/") + "/seismoe"


def test_corrupt_files_clear_error_and_cache_stays_usable(model, no_network):
    export_weights(model, "good")
    export_weights(model, "broken_json")
    export_weights(model, "broken_pt")
    folder = SeisMoLLM._model_path()
    (folder / "broken_json.json.v1").write_text("{not json")
    pt = folder / "broken_pt.pt.v1"
    pt.write_bytes(pt.read_bytes()[:100])
    with pytest.raises(WeightsCorruptError, match="broken_json.json.v1"):
        SeisMoLLM.from_pretrained("broken_json")
    with pytest.raises(WeightsCorruptError, match="broken_pt.pt.v1"):
        SeisMoLLM.from_pretrained("broken_pt")
    assert isinstance(SeisMoLLM.from_pretrained("good"), SeisMoLLM)
    export_weights(model, "broken_pt", version=1, overwrite=True)
    assert isinstance(SeisMoLLM.from_pretrained("broken_pt"), SeisMoLLM)


def test_export_is_atomic(model, monkeypatch):
    folder = SeisMoLLM._model_path()

    def failing_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        export_weights(model, "atomic")
    monkeypatch.undo()
    leftovers = [
        p.name for p in folder.iterdir() if "atomic" in p.name or p.name.startswith(".tmp")
    ]
    assert leftovers == []
    assert "atomic" not in SeisMoLLM.list_pretrained(remote=False)

    real_replace = os.replace
    calls = []

    def replace_once_then_fail(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # weights moved, json not: no complete (visible) version
            raise OSError("interrupted")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_once_then_fail)
    with pytest.raises(OSError, match="interrupted"):
        export_weights(model, "atomic2")
    monkeypatch.undo()
    assert SeisMoLLM.local_versions("atomic2") == []
    assert not any(p.name.startswith(".tmp") for p in folder.iterdir())


def test_seismoe_export_round_trip(no_network):
    torch.manual_seed(0)
    moe = SeisMoE(num_experts=3).eval()
    export_weights(moe, "moe_unit", metadata={"config": {"num_experts": 3}})
    loaded = SeisMoE.from_pretrained("moe_unit").eval()
    x = torch.randn(1, 3, 6000)
    with torch.no_grad():
        for a, b in zip(moe(x), loaded(x), strict=True):
            torch.testing.assert_close(a, b)
