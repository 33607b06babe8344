"""The ``annotate``, ``export`` and ``list`` subcommands of ``seisbench-llm``, on a tiny SeisMoLLM."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import lightning
import obspy
import pytest
import seisbench
import torch

from seisbench_llm import SeisMoLLM, cli, export_weights
from seisbench_llm.benchmarking import TINY_SEISMOLLM
from seisbench_llm.training.config import validate_config
from seisbench_llm.training.harness import build_lit
from seisbench_llm.weights import model_folder


@pytest.fixture(scope="module")
def weights() -> Path:
    """Export a tiny random SeisMoLLM as weights ``clitest``; the json path."""
    torch.manual_seed(0)
    return export_weights(SeisMoLLM(**TINY_SEISMOLLM), "clitest")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with ObsPy's example stream as miniSEED and a file ObsPy cannot read."""
    data = tmp_path / "data"
    data.mkdir()
    obspy.read().write(str(data / "example.mseed"), format="MSEED")
    (data / "garbage.bin").write_bytes(b"this is no waveform\n" * 20)
    return data


def test_subcommand_help(capsys):
    for command in ("annotate", "export", "list"):
        assert cli.main([command, "--help"]) == 0
        text = capsys.readouterr().out
        assert "examples:" in text and f"seisbench-llm {command}" in text
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in ("annotate", "export", "list", "convert-diting"))


@pytest.mark.parametrize(
    "argv",
    [
        ["annotate", "x.mseed", "--model", "SeisMoLLM"],  # --weights missing
        ["annotate", "x.mseed", "--model", "NoSuchModel", "--weights", "w"],
        ["annotate", "--model", "SeisMoLLM", "--weights", "w"],  # no PATH
        ["annotate", "x.mseed", "--model", "SeisMoLLM", "--weights", "w", "--P-threshold", "2"],
        ["annotate", "x.mseed", "--model", "PhaseNet", "--weights", "w", "--batch-size", "0"],
        ["annotate", "x.mseed", "--model", "SeisMoLLM", "--weights", "w", "--ps-separation", "-1"],
        ["export", "a.ckpt", "--name", "n"],  # --config missing
        ["list", "--model", "NoSuchModel"],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    assert cli.main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_annotate(weights, folder, tmp_path, capsys, no_network):
    out, quakeml = tmp_path / "out", tmp_path / "qml" / "picks.xml"
    argv = ["annotate", str(folder), "--model", "seismollm", "--weights", "clitest"]
    argv += ["--out", str(out), "--P-threshold", "0.001", "--plot", "--quakeml", str(quakeml)]
    assert cli.main(argv) == 0
    captured = capsys.readouterr()
    garbage = [line for line in captured.err.splitlines() if "garbage.bin" in line]
    assert len(garbage) == 1 and "skipped" in garbage[0] and "Traceback" not in captured.err
    assert "1 read, 1 skipped" in captured.out and "Picks:" in captured.out

    with open(out / "picks.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and list(rows[0]) == list(cli.PICK_COLUMNS)
    assert {row["trace_id"] for row in rows} == {"BW.RJOB."}
    assert any(row["phase"] == "P" for row in rows)  # threshold 0.001: the untrained model (outputs near the 0.01 prior) picks
    for row in rows:
        assert row["source_file"] == str(folder / "example.mseed")
        peak = obspy.UTCDateTime(row["peak_time"])
        assert obspy.UTCDateTime(row["start_time"]) <= peak <= obspy.UTCDateTime(row["end_time"])
        assert 0.01 <= float(row["peak_value"]) <= 1
    assert (out / "BW.RJOB.png").stat().st_size > 0

    event = obspy.read_events(str(quakeml))[0]
    assert len(event.picks) == len(rows)
    assert sorted(p.phase_hint for p in event.picks) == sorted(row["phase"] for row in rows)
    assert {p.waveform_id.station_code for p in event.picks} == {"RJOB"}


def test_annotate_passes_ps_separation_to_classify(weights, folder, tmp_path, monkeypatch):
    from seisbench_llm.cli import annotate as annotate_command

    seen = []

    def spy(model, stream, argdict):
        seen.append(argdict)
        return real(model, stream, argdict)

    real = annotate_command.annotate_and_pick
    monkeypatch.setattr(annotate_command, "annotate_and_pick", spy)
    argv = ["annotate", str(folder / "example.mseed"), "--model", "SeisMoLLM", "--weights"]
    assert cli.main([*argv, "clitest", "--out", str(tmp_path / "a"), "--ps-separation", "0.5"]) == 0
    assert cli.main([*argv, "clitest", "--out", str(tmp_path / "b")]) == 0
    assert seen[0]["ps_separation"] == 0.5 and "ps_separation" not in seen[1]


def test_annotate_weight_files_and_file_paths(weights, folder, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["annotate", str(folder / "example.mseed"), "--model", "SeisMoLLM"]
    assert cli.main([*argv, "--weights", str(weights), "--out", str(out)]) == 0
    assert (out / "picks.csv").is_file() and not list(out.glob("*.png"))
    capsys.readouterr()
    assert (
        cli.main([*argv, "--weights", str(tmp_path / "none"), "--out", str(tmp_path / "o2")]) == 1
    )
    err = capsys.readouterr().err
    assert "weight file(s) not found" in err and "Traceback" not in err


def test_annotate_errors_are_messages(weights, folder, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEISBENCH_LLM_REMOTE_ROOT", "off")
    out = str(tmp_path / "out")
    argv = ["annotate", str(folder), "--model", "SeisMoLLM", "--out", out]
    assert cli.main([*argv, "--weights", "no_such_weights"]) == 1
    err = capsys.readouterr().err
    assert "no_such_weights" in err and "error" in err and "Traceback" not in err
    garbage_only = ["annotate", str(folder / "garbage.bin"), str(tmp_path / "missing")]
    assert cli.main([*garbage_only, "--model", "SeisMoLLM", "--weights", "clitest"]) == 1
    err = capsys.readouterr().err
    assert "missing: no such file or folder" in err and "could be read" in err


def test_list(weights, capsys, monkeypatch):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "clitest" in line)
    assert "SeisMoLLM" in line and str(weights) in line and "SeisMoLLM weights 'clitest'" in line
    assert out.splitlines()[0].split() == [
        "CLASS",
        "NAME",
        "VERSION",
        "PATH",
        "STATUS",
        "DESCRIPTION",
    ]
    assert cli.main(["list", "--model", "SeisMoLLM"]) == 0
    assert "clitest" in capsys.readouterr().out

    import seisbench_llm.weights

    monkeypatch.setattr(seisbench_llm.weights, "list_local_weights", lambda cls=None: [])
    assert cli.main(["list"]) == 0
    assert capsys.readouterr().out.strip() == f"no local weights in {seisbench.cache_model_root}"


def test_export(tmp_path, capsys):
    raw = {"model": "seismollm", "data": "Synthetic", "model_args": TINY_SEISMOLLM}
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(raw))
    lit = build_lit(validate_config(raw))  # untrained: only the checkpoint format matters
    checkpoint = tmp_path / "tiny.ckpt"
    torch.save(
        {
            "state_dict": lit.state_dict(),
            "hyper_parameters": dict(lit.hparams),
            "pytorch-lightning_version": lightning.__version__,
        },
        checkpoint,
    )
    argv = ["export", str(checkpoint), "--config", str(config), "--name", "fromckpt"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    written = model_folder(SeisMoLLM) / "fromckpt.json.v1"
    assert str(written) in out and written.is_file()
    model = SeisMoLLM.from_pretrained("fromckpt")
    assert model.lora_r == 0  # LoRA merged on export
    reference = lit.model
    reference.merge_lora()
    x = torch.randn(1, 3, 6000)
    torch.testing.assert_close(model.eval()(x), reference.eval()(x))

    magnitude = tmp_path / "magnitude.json"  # the checkpoint is a picking model
    magnitude.write_text(json.dumps({**raw, "task": "magnitude"}))
    assert cli.main(["export", str(checkpoint), "--config", str(magnitude), "--name", "m"]) == 1
    err = capsys.readouterr().err
    assert "holds model seismollm, task picking" in err and "Traceback" not in err
    assert not (model_folder(SeisMoLLM) / "m.json.v1").exists()


def test_export_errors_are_messages(tmp_path, capsys):
    config = tmp_path / "cfg.json"
    config.write_text(
        json.dumps({"model": "seismollm", "data": "Synthetic", "model_args": TINY_SEISMOLLM})
    )
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"not a checkpoint")
    bad_config = tmp_path / "bad.json"
    bad_config.write_text(json.dumps({"model": "seismollm", "data": "Synthetic", "epochs": 3}))
    cases = [
        ([str(tmp_path / "missing.ckpt"), "--config", str(config)], "does not exist"),
        ([str(garbage), "--config", str(tmp_path / "missing.json")], "does not exist"),
        ([str(garbage), "--config", str(bad_config)], "epochs"),
        ([str(garbage), "--config", str(config)], "garbage.ckpt is truncated or not a checkpoint"),
    ]
    for args, message in cases:
        assert cli.main(["export", *args, "--name", "broken"]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert cli.main(["export", str(garbage), "--config", str(config), "--name", "a/b"]) == 1
    assert "Invalid weight name" in capsys.readouterr().err
