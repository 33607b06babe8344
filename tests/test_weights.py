"""Weight registry: atomic export, offline from_pretrained, listing, not-found and corrupt errors."""

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import obspy
import pytest
import requests
import seisbench
import seisbench.models as sbm
import seisbench.util
import torch
import torch.nn.functional as F
from torch import nn

from seisbench_llm import WeightsNotFoundError, export_weights
from seisbench_llm.weights import (
    REMOTE_ENV,
    RegistryMixin,
    WeightsCorruptError,
    list_local_weights,
    model_folder,
)


class ToyNet(RegistryMixin, sbm.WaveformModel):
    """A tiny picker with a LoRA-like extra parameter that ``merge_lora`` folds into a conv weight."""

    def __init__(self, channels: int = 4, lora: bool = True, sampling_rate: float = 100.0):
        super().__init__(
            component_order="ZNE",
            sampling_rate=sampling_rate,
            output_type="array",
            in_samples=200,
            pred_sample=(0, 200),
            labels="NPS",
        )
        self.channels = channels
        self.lora = lora
        self.conv1 = nn.Conv1d(3, channels, 5, padding=2)
        self.norm = nn.BatchNorm1d(channels)
        self.conv2 = nn.Conv1d(channels, 3, 5, padding=2)
        if lora:
            self.lora_delta = nn.Parameter(torch.zeros_like(self.conv2.weight))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.conv2.weight + self.lora_delta if self.lora else self.conv2.weight
        h = torch.relu(self.norm(self.conv1(x)))
        return torch.softmax(F.conv1d(h, weight, self.conv2.bias, padding=2), dim=1)

    def get_model_args(self) -> dict:
        return {"channels": self.channels, "lora": self.lora, "sampling_rate": self.sampling_rate}

    def merge_lora(self) -> None:
        if self.lora:
            with torch.no_grad():
                self.conv2.weight += self.lora_delta
            del self.lora_delta
            self.lora = False


class MyPhaseNet(RegistryMixin, sbm.PhaseNet):
    """SeisBench's PhaseNet with the registry."""


def make_toy(seed: int = 0) -> ToyNet:
    torch.manual_seed(seed)
    model = ToyNet()
    with torch.no_grad():
        model.lora_delta.normal_(0, 0.1)
        model.norm.running_mean.normal_(0, 0.1)
    return model.eval()


@pytest.fixture(autouse=True)
def clean_cache(monkeypatch):
    """Each test starts with empty model folders and SeisBench's default remote."""
    monkeypatch.delenv(REMOTE_ENV, raising=False)
    for cls in (ToyNet, MyPhaseNet):
        shutil.rmtree(model_folder(cls), ignore_errors=True)


@pytest.fixture
def remote_calls(monkeypatch):
    """Record (and refuse) every use of SeisBench's remote functions."""
    calls = []

    def refuse(url, *args, **kwargs):
        calls.append(url)
        raise requests.exceptions.ConnectionError(f"no route to {url}")

    monkeypatch.setattr(seisbench.util, "ls_webdav", refuse)
    monkeypatch.setattr(seisbench.util, "download_http", refuse)
    return calls


@pytest.fixture
def fake_remote(monkeypatch, tmp_path):
    """A remote served from a local folder: ``ls_webdav`` lists it, ``download_http`` copies."""
    folder = tmp_path / "remote" / "toynet"
    folder.mkdir(parents=True)
    monkeypatch.setattr(seisbench, "remote_model_root", "https://weights.example.org/models/")

    def url_to_path(url: str) -> Path:
        assert url.startswith("https://weights.example.org/models/toynet"), url
        return folder / url[len("https://weights.example.org/models/toynet") :].lstrip("/")

    def ls_webdav(url, *args, **kwargs):
        if not url_to_path(url).is_dir():
            raise ValueError("Invalid URL. Request returned status code 404.")
        return ["."] + sorted(p.name for p in folder.iterdir())

    def download_http(url, target, *args, **kwargs):
        source = url_to_path(url)
        if not source.is_file():
            raise ValueError("Invalid URL. Request returned status code 404.")
        shutil.copyfile(source, target)

    monkeypatch.setattr(seisbench.util, "ls_webdav", ls_webdav)
    monkeypatch.setattr(seisbench.util, "download_http", download_http)
    return folder


def publish(folder: Path, name: str, version: str) -> None:
    """Move an exported weight pair from the cache to the fake remote."""
    for kind in ("json", "pt"):
        shutil.move(model_folder(ToyNet) / f"{name}.{kind}.v{version}", folder)


def toy_input(seed: int = 1) -> torch.Tensor:
    return torch.randn(2, 3, 200, generator=torch.Generator().manual_seed(seed))


def test_export_then_from_pretrained_is_identical_and_merged(no_network, remote_calls):
    model = make_toy()
    path = export_weights(model, "unit", docstring="toy weights")
    assert path == model_folder(ToyNet) / "unit.json.v1"
    assert (model_folder(ToyNet) / "unit.pt.v1").is_file()

    loaded = ToyNet.from_pretrained("unit")
    assert remote_calls == []
    assert isinstance(loaded, ToyNet) and not loaded.lora and not hasattr(loaded, "lora_delta")
    assert loaded.weights_version == "1" and loaded.weights_docstring.startswith("toy weights")
    x = toy_input()
    with torch.no_grad():
        torch.testing.assert_close(loaded.eval()(x), model(x))
    merged = ToyNet(lora=False)
    with torch.no_grad():
        state = {k: v for k, v in model.state_dict().items() if k != "lora_delta"}
        state["conv2.weight"] = model.conv2.weight + model.lora_delta
    merged.load_state_dict(state)
    for key, value in merged.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value)


def test_export_leaves_the_callers_model_unchanged():
    model = make_toy().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    export_weights(model, "unchanged")
    assert model.training and model.lora and hasattr(model, "lora_delta")
    assert model.get_model_args()["lora"] is True
    after = model.state_dict()
    assert before.keys() == after.keys()
    for key, value in before.items():
        assert torch.equal(after[key], value), key
    content = json.loads((model_folder(ToyNet) / "unchanged.json.v1").read_text())
    assert content["model_args"] == {"channels": 4, "lora": False, "sampling_rate": 100.0}


def test_phasenet_round_trip_offline(no_network, remote_calls):
    torch.manual_seed(0)
    model = MyPhaseNet().eval()
    export_weights(model, "pn", metadata={"data": "none"})
    loaded = MyPhaseNet.from_pretrained("pn")
    assert remote_calls == []
    assert type(loaded) is MyPhaseNet
    assert loaded.state_dict().keys() == model.state_dict().keys()
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    stream = obspy.read()
    for a, b in zip(model.annotate(stream), loaded.annotate(stream), strict=True):
        np.testing.assert_allclose(a.data, b.data)


def test_version_numbering_and_latest(no_network, remote_calls):
    model = make_toy()
    assert export_weights(model, "ver").name == "ver.json.v1"
    with torch.no_grad():
        model.conv2.bias.add_(1.0)
    assert export_weights(model, "ver").name == "ver.json.v2"
    assert ToyNet.list_versions("ver", remote=False) == ["1", "2"]
    latest = ToyNet.from_pretrained("ver")
    first = ToyNet.from_pretrained("ver", version_str="1")
    assert latest.weights_version == "2" and first.weights_version == "1"
    assert torch.equal(latest.conv2.bias, model.conv2.bias)
    assert not torch.equal(first.conv2.bias, model.conv2.bias)

    export_weights(model, "ver", version=10)
    assert export_weights(model, "ver").name == "ver.json.v11"
    assert ToyNet.list_versions("ver", remote=False) == ["1", "2", "10", "11"]
    assert ToyNet.from_pretrained("ver").weights_version == "11"  # numeric, not string order
    with pytest.raises(FileExistsError, match="overwrite=True"):
        export_weights(model, "ver", version=2)
    for bad in ("bad/name", ".hidden", "x.pt", "a.json", ""):
        with pytest.raises(ValueError, match="Invalid weight name"):
            export_weights(model, bad)
    for bad in ("v3", "1a", True):
        with pytest.raises(ValueError, match="Invalid version"):
            export_weights(model, "ver", version=bad)
    with pytest.raises(TypeError):
        export_weights(nn.Linear(2, 2), "plain")
    assert remote_calls == []


def test_json_records_what_the_weights_are():
    path = export_weights(
        make_toy(),
        "documented",
        docstring="Toy picker trained on nothing.",
        metadata={
            "data": "synthetic (stead preset, 3000 traces)",
            "config": Path("benchmarks/configs/toy.json"),
            "metrics": {"P_F1": np.float32(0.9531), "S_F1": 0.875},
            "epochs": 3,
        },
    )
    content = json.loads(path.read_text())
    assert {"docstring", "model_args", "seisbench_requirement", "default_args"} <= set(content)
    assert content["version"] == "1"
    assert content["seisbench_requirement"] == seisbench.__version__
    assert content["docstring"].splitlines() == [
        "Toy picker trained on nothing.",
        "Data: synthetic (stead preset, 3000 traces)",
        "Config: benchmarks/configs/toy.json",
        "Metrics: P_F1=0.9531, S_F1=0.875",
    ]
    block = content["seisbench_llm"]
    assert block["model_class"] == f"{__name__}.ToyNet"
    assert block["package_version"] and block["created"].endswith("+00:00")
    assert block["metadata"]["epochs"] == 3
    assert block["metadata"]["metrics"]["P_F1"] == pytest.approx(0.9531)
    assert block["metadata"]["config"] == "benchmarks/configs/toy.json"

    default = json.loads(export_weights(make_toy(), "plain").read_text())
    assert default["docstring"] == "ToyNet weights 'plain', version 1."


def hidden_entries(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_export_is_atomic(monkeypatch):
    folder = model_folder(ToyNet)
    model = make_toy()
    export_weights(model, "keep")

    def failing_save(*args, **kwargs):
        raise OSError("disk full, interrupted")

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        export_weights(model, "atomic")
    with pytest.raises(OSError, match="disk full"):
        export_weights(model, "keep", version=1, overwrite=True)
    monkeypatch.undo()
    assert sorted(p.name for p in folder.iterdir()) == ["keep.json.v1", "keep.pt.v1"]
    assert ToyNet.from_pretrained("keep").weights_version == "1"  # failed overwrite: old kept

    real_link = os.link
    for fail_at in (1, 2):  # weights link fails / json link fails after the weights are in place
        calls = []

        def flaky_link(src, dst, fail_at=fail_at, calls=calls):
            calls.append(dst)
            if len(calls) == fail_at:
                raise PermissionError("interrupted")  # not a FileExistsError: no retry
            real_link(src, dst)

        monkeypatch.setattr(os, "link", flaky_link)
        monkeypatch.setattr(os, "replace", failing_save)  # the fallback where links fail
        with pytest.raises(OSError, match="interrupted"):
            export_weights(model, "atomic")
        monkeypatch.undo()
        assert [p.name for p in folder.iterdir() if "atomic" in p.name] == []
        assert hidden_entries(folder) == []
    assert ToyNet.list_pretrained(remote=False) == ["keep"]


def test_no_half_written_version_is_ever_visible(monkeypatch):
    """At every rename, SeisBench's own listing sees either no new version or a complete one."""
    folder = model_folder(ToyNet)
    model = make_toy()
    export_weights(model, "seen")
    real_link = os.link
    observed = []

    def watching_link(src, dst):
        assert Path(src).parent.name.startswith(".seisbench-llm-export-")
        # SeisBench's own (json based) view, and what its filename parser makes of the temp folder
        observed.append(sbm.WaveformModel.list_versions.__func__(ToyNet, "seen", remote=False))
        assert all(
            sbm.WaveformModel._parse_weight_filename(name) == (None, None, None)
            for name in hidden_entries(folder)
        )
        real_link(src, dst)

    monkeypatch.setattr(os, "link", watching_link)
    export_weights(model, "seen")
    export_weights(model, "seen", version=1, overwrite=True)
    monkeypatch.undo()
    assert observed == [["1"], ["1"], ["2"], ["2"]]
    assert ToyNet.list_versions("seen", remote=False) == ["1", "2"]
    assert hidden_entries(folder) == []


def test_from_pretrained_offline_makes_no_network_attempt(no_network, remote_calls):
    export_weights(make_toy(), "cached")
    assert isinstance(ToyNet.from_pretrained("cached"), ToyNet)
    assert isinstance(ToyNet.from_pretrained("cached", version_str="1"), ToyNet)
    assert isinstance(ToyNet.load(model_folder(ToyNet) / "cached", version_str="1"), ToyNet)
    assert remote_calls == []


def test_update_with_unreachable_remote_uses_local(remote_calls, caplog):
    export_weights(make_toy(), "upd")
    with caplog.at_level(logging.WARNING, logger="seisbench_llm"):
        model = ToyNet.from_pretrained("upd", update=True)
    assert model.weights_version == "1"
    assert remote_calls and "showing local ones only" in caplog.text


def test_list_pretrained_shows_local_weights_when_remote_fails(no_network, caplog):
    export_weights(make_toy(), "listed", docstring="listed toy")
    export_weights(make_toy(), "other")
    with caplog.at_level(logging.WARNING, logger="seisbench_llm"):
        assert ToyNet.list_pretrained() == ["listed", "other"]  # the guarded socket fails
    assert "showing local ones only" in caplog.text
    assert ToyNet.list_pretrained(remote=False) == ["listed", "other"]
    details = ToyNet.list_pretrained(details=True)
    assert details["listed"] == "listed toy" and details["other"].startswith("ToyNet weights")
    assert ToyNet.list_versions("listed") == ["1"]


def test_list_pretrained_survives_404_and_merges_remote(monkeypatch, fake_remote):
    export_weights(make_toy(), "local_only")
    assert ToyNet.list_pretrained() == ["local_only"]  # empty remote folder: local names stay
    shutil.rmtree(fake_remote)
    assert ToyNet.list_pretrained() == ["local_only"]  # remote 404 (SeisBench's gives [])
    fake_remote.mkdir()
    export_weights(make_toy(), "remote_only", docstring="from the remote")
    publish(fake_remote, "remote_only", "1")
    assert ToyNet.list_pretrained() == ["local_only", "remote_only"]
    assert ToyNet.list_pretrained(remote=False) == ["local_only"]
    assert ToyNet.list_pretrained(details=True)["remote_only"] == "from the remote"


def test_download_from_remote_and_update(fake_remote):
    model = make_toy()
    export_weights(model, "dl")
    publish(fake_remote, "dl", "1")
    assert ToyNet.list_pretrained(remote=False) == []
    assert ToyNet.from_pretrained("dl").weights_version == "1"  # not cached: downloaded
    assert ToyNet.list_versions("dl", remote=False) == ["1"]
    export_weights(model, "dl")
    publish(fake_remote, "dl", "2")
    assert ToyNet.from_pretrained("dl").weights_version == "1"  # cached copy, remote not asked
    assert ToyNet.from_pretrained("dl", update=True).weights_version == "2"
    with pytest.raises(WeightsNotFoundError, match="version 7"):
        ToyNet.from_pretrained("dl", version_str="7")


def test_missing_weights_clear_error(no_network):
    with pytest.raises(WeightsNotFoundError) as info:
        ToyNet.from_pretrained("nowhere")
    error = info.value
    message = str(error)
    url = seisbench.remote_model_root.rstrip("/") + "/toynet"
    assert str(model_folder(ToyNet)) in message and url in message
    assert "python benchmarks/train.py CONFIG" in message
    assert "seisbench-llm export CKPT --config CONFIG.json --name nowhere" in message
    assert 'export_weights(model, "nowhere")' in message
    assert REMOTE_ENV in message
    assert isinstance(error, FileNotFoundError) and isinstance(error, ValueError)
    assert error.weight_name == "nowhere" and error.cache_path == model_folder(ToyNet)
    assert error.remote_url == url


def test_missing_version_and_cached_names_are_named(no_network):
    export_weights(make_toy(), "present")
    with pytest.raises(WeightsNotFoundError, match="'present' version 3") as info:
        ToyNet.from_pretrained("present", version_str="3")
    assert "Cached ToyNet weights: present" in str(info.value)


def test_remote_can_be_disabled(monkeypatch, no_network, remote_calls, caplog):
    monkeypatch.setenv(REMOTE_ENV, "off")
    export_weights(make_toy(), "here")
    with caplog.at_level(logging.WARNING, logger="seisbench_llm"):
        assert ToyNet.list_pretrained(details=True) == {"here": "ToyNet weights 'here', version 1."}
        assert ToyNet.list_versions("here") == ["1"]
        assert ToyNet.from_pretrained("here", update=True).weights_version == "1"
    assert caplog.text == ""
    with pytest.raises(WeightsNotFoundError, match="remote is disabled") as info:
        ToyNet.from_pretrained("absent")
    assert info.value.remote_url is None
    monkeypatch.setenv(REMOTE_ENV, "")
    with pytest.raises(WeightsNotFoundError, match="remote is disabled"):
        ToyNet.from_pretrained("here", version_str="2")
    assert remote_calls == []


def test_corrupt_files_clear_error_cache_stays_usable(no_network, caplog):
    model = make_toy()
    for name in ("good", "bad_json", "bad_pt", "empty_pt"):
        export_weights(model, name)
    folder = model_folder(ToyNet)
    (folder / "bad_json.json.v1").write_text("{not json")
    pt = folder / "bad_pt.pt.v1"
    pt.write_bytes(pt.read_bytes()[:200])
    (folder / "empty_pt.pt.v1").write_bytes(b"")

    for name, broken in (
        ("bad_json", "bad_json.json.v1"),
        ("bad_pt", "bad_pt.pt.v1"),
        ("empty_pt", "empty_pt.pt.v1"),
    ):
        with pytest.raises(WeightsCorruptError) as info:
            ToyNet.from_pretrained(name)
        message = str(info.value)
        assert str(folder / broken) in message and "corrupt or truncated" in message
        assert f'export_weights(model, "{name}", version=1, overwrite=True)' in message
        assert info.value.path == folder / broken
    with pytest.raises(WeightsCorruptError, match="bad_pt.pt.v1"):
        ToyNet.load(folder / "bad_pt", version_str="1")

    assert ToyNet.from_pretrained("good").weights_version == "1"
    with caplog.at_level(logging.WARNING, logger="seisbench_llm"):
        details = ToyNet.list_pretrained(details=True, remote=False)
    assert details["bad_json"] is None and "bad_json.json.v1" in caplog.text
    assert details["good"].startswith("ToyNet weights")
    assert len(list_local_weights(ToyNet)) == 4

    export_weights(model, "bad_json", version=1, overwrite=True)
    export_weights(model, "bad_pt", version=1, overwrite=True)
    x = toy_input()
    with torch.no_grad():
        for name in ("bad_json", "bad_pt"):
            torch.testing.assert_close(ToyNet.from_pretrained(name).eval()(x), model(x))


def test_state_dict_mismatch_is_not_called_corrupt():
    export_weights(make_toy(), "mismatch")
    path = model_folder(ToyNet) / "mismatch.json.v1"
    content = json.loads(path.read_text())
    content["model_args"]["channels"] = 8
    path.write_text(json.dumps(content))
    with pytest.raises(RuntimeError, match="size mismatch") as info:
        ToyNet.from_pretrained("mismatch")
    assert not isinstance(info.value, WeightsCorruptError)


def test_list_local_weights():
    export_weights(make_toy(), "b")
    export_weights(make_toy(), "a")
    export_weights(make_toy(), "a")
    export_weights(MyPhaseNet(), "pn")
    folder = model_folder(ToyNet)
    (folder / "orphan.pt.v1").write_bytes(b"")  # no json: not a complete set
    (folder / "a.json.v3.partial").write_text("")
    rows = list_local_weights(ToyNet)
    assert rows == [
        ("ToyNet", "a", "1", folder / "a.json.v1"),
        ("ToyNet", "a", "2", folder / "a.json.v2"),
        ("ToyNet", "b", "1", folder / "b.json.v1"),
    ]
    everything = list_local_weights()
    assert set(rows) <= set(everything)
    assert ("MyPhaseNet", "pn", "1", model_folder(MyPhaseNet) / "pn.json.v1") in everything
    assert export_weights(make_toy(), "orphan").name == "orphan.json.v2"  # orphan v1 not reused


def test_mixin_must_come_first():
    with pytest.raises(TypeError, match="RegistryMixin before"):

        class Wrong(sbm.PhaseNet, RegistryMixin):
            pass


def rename_version(name: str, old: str, new: str) -> None:
    """Turn the cached pair ``name`` version ``old`` into version ``new`` (files and json)."""
    folder = model_folder(ToyNet)
    for kind in ("json", "pt"):
        (folder / f"{name}.{kind}.v{old}").rename(folder / f"{name}.{kind}.v{new}")
    path = folder / f"{name}.json.v{new}"
    content = json.loads(path.read_text())
    content["version"] = new
    path.write_text(json.dumps(content))


def seisbench_versions(name: str) -> list[str]:
    """What SeisBench's own ``list_versions`` (no mixin) finds locally."""
    return sbm.WaveformModel.list_versions.__func__(ToyNet, name, remote=False)


def test_non_numeric_versions_behave_as_in_seisbench(no_network, remote_calls):
    export_weights(make_toy(), "mine")
    rename_version("mine", "1", "1rc1")
    assert seisbench_versions("mine") == ["1rc1"]
    assert ToyNet.list_versions("mine", remote=False) == ["1rc1"]
    assert ToyNet.from_pretrained("mine").weights_version == "1rc1"
    assert ToyNet.from_pretrained("mine", version_str="1rc1").weights_version == "1rc1"
    assert [row[2] for row in list_local_weights(ToyNet)] == ["1rc1"]

    assert export_weights(make_toy(), "mine").name == "mine.json.v2"  # after release 1
    export_weights(make_toy(), "mine", version=1)
    assert sorted(seisbench_versions("mine")) == sorted(ToyNet.list_versions("mine", False))
    assert ToyNet.list_versions("mine", remote=False) == [
        "1rc1",
        "1",
        "2",
    ]  # PEP 440 order, as SeisBench's max
    assert ToyNet.from_pretrained("mine").weights_version == "2"
    assert remote_calls == []


def test_not_found_names_missing_files_only(no_network, monkeypatch):
    monkeypatch.setenv(REMOTE_ENV, "off")
    export_weights(make_toy(), "pair")
    rename_version("pair", "1", "1rc1")
    with pytest.raises(WeightsNotFoundError) as info:
        ToyNet.from_pretrained("pair", version_str="3")
    assert "only" not in str(info.value)  # neither file of version 3 is there
    (model_folder(ToyNet) / "pair.pt.v1rc1").unlink()
    with pytest.raises(WeightsNotFoundError, match=r"only pair.json.v1rc1 is there"):
        ToyNet.from_pretrained("pair", version_str="1rc1")


def test_default_versions_match_seisbench(no_network, remote_calls):
    model = make_toy()
    for version in (None, None, 10, None):
        export_weights(model, "dv", version=version)
    assert sorted(ToyNet.list_versions("dv", remote=False)) == sorted(seisbench_versions("dv"))
    assert ToyNet.list_versions("dv", remote=False) == ["1", "2", "10", "11"]
    assert ToyNet.from_pretrained("dv").weights_version == "11"
    assert ToyNet.from_pretrained("dv", version_str=2).weights_version == "2"  # int accepted


def test_seismoe_weights_carry_no_eqtransformer_warnings(no_network, caplog):
    from seisbench_llm import SeisMoE

    torch.manual_seed(0)
    export_weights(SeisMoE(num_experts=2), "stead", version=1)  # EQTransformer warns for stead v1
    with caplog.at_level(logging.WARNING):
        model = SeisMoE.from_pretrained("stead", version_str="1")
    assert model.weights_version == "1"
    assert "Weight version warning" not in caplog.text and "normalization" not in caplog.text
    shutil.rmtree(model_folder(SeisMoE))


def test_slow_remote_never_blocks(monkeypatch, caplog):
    import time

    import seisbench_llm.weights as registry

    def hanging(*args, **kwargs):
        time.sleep(30)

    monkeypatch.setattr(seisbench.util, "ls_webdav", hanging)
    monkeypatch.setattr(registry, "REMOTE_TIMEOUT", 0.5)
    export_weights(make_toy(), "slow")
    start = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="seisbench_llm"):
        assert ToyNet.list_pretrained() == ["slow"]
        assert ToyNet.list_versions("slow") == ["1"]
        assert ToyNet.from_pretrained("slow", update=True).weights_version == "1"
        with pytest.raises(WeightsNotFoundError, match="did not answer within 0.5 s"):
            ToyNet.from_pretrained("elsewhere")
    assert time.monotonic() - start < 10
    assert "did not answer" in caplog.text


def test_hand_edited_json_with_a_string_size_is_a_clear_error(no_network):
    path = export_weights(make_toy(), "edited")
    content = json.loads(path.read_text())
    content["model_args"]["channels"] = "8"
    path.write_text(json.dumps(content))
    with pytest.raises(WeightsCorruptError) as info:
        ToyNet.from_pretrained("edited")
    message = str(info.value)
    assert 'model_args.channels = "8": must be an integer' in message and str(path) in message
    assert "\n" not in message


EXPORT_SCRIPT = """
import sys, time
from pathlib import Path
import seisbench.models as sbm
import torch
from seisbench_llm import export_weights

go = Path(sys.argv[1])
torch.manual_seed(int(sys.argv[2]))
model = sbm.PhaseNet()
Path(sys.argv[1] + f".ready{sys.argv[2]}").touch()
while not go.exists():
    time.sleep(0.001)
for _ in range(3):
    print(export_weights(model, "race").name, flush=True)
"""


def test_concurrent_exports_in_two_processes_never_share_a_version(tmp_path):
    import time

    env = {**os.environ, "SEISBENCH_CACHE_ROOT": str(tmp_path / "cache")}
    # SeisBench writes config.json into a new cache root on import without a lock; a second
    # process importing at that moment can read the half-written file. Create it first, so the
    # race under test is the export's and not SeisBench's.
    subprocess.run([sys.executable, "-c", "import seisbench"], env=env, check=True)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", EXPORT_SCRIPT, str(go), str(seed)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"go.ready{seed}").exists() for seed in (1, 2)):
        exited = [p for p in procs if p.poll() is not None]
        assert not exited, [p.communicate()[1] for p in exited]  # the exporter's traceback
        assert time.monotonic() < deadline
        time.sleep(0.05)
    go.touch()  # both start exporting at the same moment
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    names = [line for out, _ in outputs for line in out.split()]
    assert sorted(names) == sorted(f"race.json.v{v}" for v in range(1, 7))  # six distinct versions
    folder = tmp_path / "cache" / "models" / "v3" / "phasenet"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"race.{kind}.v{v}" for kind in ("json", "pt") for v in range(1, 7)
    )
    for version in range(1, 7):  # every pair is complete and readable
        json.loads((folder / f"race.json.v{version}").read_text())
        torch.load(folder / f"race.pt.v{version}", weights_only=True)


KILLED_SCRIPT = """
import os, sys, time
import torch
from seisbench_llm import export_weights
import seisbench.models as sbm

def hang(src, dst):
    print("linking", flush=True)
    time.sleep(120)

os.link = hang
export_weights(sbm.PhaseNet(), "killed")
"""


def test_stale_export_folders_are_invisible_and_removed():
    folder = model_folder(ToyNet)
    export_weights(make_toy(), "base")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process id that is gone
    stale = folder / f".seisbench-llm-export-{dead.pid}-abc"
    stale.mkdir()
    for kind in ("json", "pt"):
        shutil.copy(folder / f"base.{kind}.v1", stale / f"stale.{kind}")
    alive = folder / f".seisbench-llm-export-{os.getpid()}-xyz"  # an export still running
    alive.mkdir()
    assert ToyNet.list_pretrained(remote=False) == ["base"]
    assert [row[1] for row in list_local_weights(ToyNet)] == ["base"]
    export_weights(make_toy(), "next")
    assert not stale.exists() and alive.is_dir()
    alive.rmdir()


@pytest.mark.slow
def test_killed_export_leaves_nothing_that_confuses_listing_or_loading(tmp_path, monkeypatch):
    env = {**os.environ, "SEISBENCH_CACHE_ROOT": str(seisbench.cache_root)}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_SCRIPT], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "linking"  # mid-export: temp files written
    finally:
        proc.kill()
        proc.wait()
    folder = model_folder(MyPhaseNet)
    leftovers = [p for p in folder.parent.joinpath("phasenet").iterdir()]
    assert leftovers and all(p.name.startswith(".seisbench-llm-export-") for p in leftovers)
    assert sbm.PhaseNet.list_versions("killed", remote=False) == []  # SeisBench's own view
    assert sbm.PhaseNet.list_pretrained(remote=False) == []
    assert list_local_weights(sbm.PhaseNet) == []
    path = export_weights(sbm.PhaseNet(), "killed")  # the next export removes the leftovers
    assert path.name == "killed.json.v1"
    assert sorted(p.name for p in path.parent.iterdir()) == ["killed.json.v1", "killed.pt.v1"]
    shutil.rmtree(path.parent)


def test_model_cache_folder_made_only_without_a_legacy_cache(tmp_path, monkeypatch):
    from seisbench_llm.export import _ensure_model_cache

    monkeypatch.setattr(seisbench, "cache_root", tmp_path)
    monkeypatch.setattr(seisbench, "cache_model_root", tmp_path / "models" / "v3")
    models = tmp_path / "models"
    models.mkdir()  # what another process's mkdir leaves for a moment: models/ without v3/
    _ensure_model_cache()
    assert seisbench.cache_model_root.is_dir()  # so SeisBench's racy migration is skipped
    other = tmp_path / "legacy"
    monkeypatch.setattr(seisbench, "cache_root", other)
    monkeypatch.setattr(seisbench, "cache_model_root", other / "models" / "v3")
    (other / "models" / "phasenet").mkdir(parents=True)  # a real pre-v3 cache
    _ensure_model_cache()
    assert not seisbench.cache_model_root.exists()  # left to SeisBench's migration
