"""Harness entry points (benchmarks/train.py, benchmarks/eval.py) check every input up front:
each problem is one line on stderr naming the key, the value and what is allowed, exit code 1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest
import torch
from scripts import load_benchmark

from seisbench_llm.benchmarking import TINY_SEISMOLLM

REPO = Path(__file__).parents[1]


def entry_point(name: str):
    """``main`` of ``benchmarks/<name>.py``."""
    return load_benchmark(name).main


train_main, eval_main = entry_point("train"), entry_point("eval")

TINY = {
    "model": "seismollm",
    "data": "Synthetic",
    "data_args": {"n_traces": 60, "seed": 3},
    "model_args": dict(TINY_SEISMOLLM),
    "batch_size": 4,
    "max_train_samples": 16,
    "max_eval_samples": 8,
    "early_stopping_patience": 2,
    "trainer_args": {
        "accelerator": "cpu",
        "devices": 1,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "log_every_n_steps": 1,
        "max_steps": 2,  # ends before the first validation (4 batches per epoch)
    },
}


def write_config(folder: Path, name: str = "tiny", **changes) -> Path:
    raw = json.loads(json.dumps(TINY))
    for key, value in changes.items():
        section, _, sub = key.partition("__")
        if sub:
            raw[section][sub] = value
        else:
            raw[section] = value
    path = folder / f"{name}.json"
    path.write_text(json.dumps(raw))
    return path


def one_line_error(capsys, *expected: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    for text in expected:
        assert text in err, err
    return err


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder nobody can write into (root included: the immutable flag where chmod is ignored)."""
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = False
    if os.geteuid() == 0:
        immutable = (
            subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
        )
    try:
        (folder / "probe").touch()
    except OSError:
        pass
    else:
        (folder / "probe").unlink()
        pytest.skip("cannot make a read-only folder here")
    yield folder
    if immutable:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {"trainer_args__max_stepz": 2},
            ["Unknown key(s) in trainer_args: max_stepz", "max_steps"],
        ),
        ({"model_args__d_model": "32"}, ['model_args.d_model = "32"', "an integer"]),
        ({"trainer_args__max_steps": "2"}, ['trainer_args.max_steps = "2"', "an integer"]),
        ({"model_args__lr": "fast"}, ['model_args.lr = "fast"', "a number > 0"]),
        ({"optimizer": {"name": "adam", "lr": -0.001}}, ["optimizer.lr = -0.001", "> 0"]),
        ({"data_args__n_tracez": 5}, ["Unknown key(s) in data_args: n_tracez", "n_traces"]),
    ],
)
def test_train_rejects_bad_config_in_one_line(tmp_path, capsys, changes, expected):
    config = write_config(tmp_path, **changes)
    assert train_main([str(config), "--out", str(tmp_path / "run")]) == 1
    one_line_error(capsys, "error:", *expected)
    assert not (tmp_path / "run").exists()  # nothing started


def test_train_offline_dataset_is_one_line(tmp_path, capsys, monkeypatch):
    def offline(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "offline (test)")

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    config = write_config(tmp_path, data="ETHZ", data_args={}, model="phasenet", model_args={})
    assert train_main([str(config), "--out", str(tmp_path / "run")]) == 1
    one_line_error(capsys, "data 'ETHZ'", "not in the SeisBench cache", "offline")


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """A 2-step SeisMoLLM run (shorter than one validation) with early stopping: its folder."""
    folder = tmp_path_factory.mktemp("short")
    config = write_config(folder)
    assert train_main([str(config), "--out", str(folder / "run")]) == 0
    return folder


def test_run_shorter_than_one_validation_ends_with_a_checkpoint(short_run):
    assert (short_run / "run" / "checkpoints" / "last.ckpt").is_file()


def test_resume_with_corrupt_last_checkpoint(short_run, tmp_path, capsys):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    last = short_run / "run" / "checkpoints" / "last.ckpt"
    (run / "checkpoints" / "last.ckpt").write_bytes(last.read_bytes()[:1000])
    config = write_config(tmp_path)
    assert train_main([str(config), "--out", str(run), "--resume"]) == 1
    one_line_error(capsys, "last.ckpt is truncated or not a checkpoint")


def test_train_read_only_out(read_only_dir, tmp_path, capsys):
    config = write_config(tmp_path)
    assert train_main([str(config), "--out", str(read_only_dir / "run")]) == 1
    one_line_error(capsys, "--out", "not writable")


def eval_args(config: Path, ckpt: Path, out: Path, *extra: str) -> list[str]:
    return ["--model_path", str(ckpt), "--config", str(config), "--out", str(out), *extra]


def test_eval_refuses_checkpoint_of_another_task_or_model(short_run, tmp_path, capsys):
    ckpt = short_run / "run" / "checkpoints" / "last.ckpt"
    out = tmp_path / "eval"
    magnitude = write_config(tmp_path, "mag", task="magnitude")
    assert eval_main(eval_args(magnitude, ckpt, out)) == 1
    one_line_error(capsys, "holds model seismollm, task picking", "task magnitude")
    phasenet = write_config(tmp_path, "pn", model="phasenet", model_args={})
    assert eval_main(eval_args(phasenet, ckpt, out)) == 1
    one_line_error(capsys, "holds model seismollm", "is model phasenet")
    # the other direction: a magnitude checkpoint with the picking config
    fake = tmp_path / "magnitude.ckpt"
    torch.save(
        {"state_dict": {}, "hyper_parameters": {"task": "magnitude", "setting": "stead"}}, fake
    )
    assert eval_main(eval_args(write_config(tmp_path), fake, out)) == 1
    one_line_error(capsys, "task magnitude", "task picking")
    assert not out.exists()


@pytest.mark.parametrize("content", [b"this is a text file\n", "truncated"])
def test_eval_truncated_or_text_checkpoint(short_run, tmp_path, capsys, content):
    ckpt = tmp_path / "bad.ckpt"
    if content == "truncated":
        content = (short_run / "run" / "checkpoints" / "last.ckpt").read_bytes()[:5000]
    ckpt.write_bytes(content)
    assert eval_main(eval_args(write_config(tmp_path), ckpt, tmp_path / "eval")) == 1
    one_line_error(capsys, "bad.ckpt is truncated or not a checkpoint")


def test_eval_bad_export_name_and_read_only_out_before_evaluating(
    short_run, tmp_path, capsys, read_only_dir
):
    ckpt = short_run / "run" / "checkpoints" / "last.ckpt"
    config = write_config(tmp_path)
    out = tmp_path / "eval"
    assert eval_main(eval_args(config, ckpt, out, "--export", "../x")) == 1
    one_line_error(capsys, "--export", "Invalid weight name '../x'")
    assert not out.exists()  # rejected before the evaluation wrote anything
    assert eval_main(eval_args(config, ckpt, read_only_dir / "eval")) == 1
    one_line_error(capsys, "--out", "not writable")
