"""``seisbench-llm demo``: argument errors, the tiny profile end to end, GPT-2 detection."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import obspy
import pytest
import seisbench.models as sbm
import torch

from seisbench_llm import cli
from seisbench_llm.demo import (
    BUDGET_MINUTES,
    DEMO_PRECISION,
    DEMO_PROFILES,
    TARGET_F1,
    DemoResult,
    demo_configs,
    find_local_gpt2,
)
from seisbench_llm.demo.clock import TrainingClock
from seisbench_llm.demo.report import budget_remark
from seisbench_llm.demo.run import _precision_text
from seisbench_llm.precision import resolve_precision


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--profile", "huge"],
        ["demo", "--name", "bad/name"],
        ["demo", "--name", "x.json"],
        ["demo", "--threads", "0"],
        ["demo", "--seed", "one"],
        ["demo", "--gpt2", "gpt2", "--no-gpt2"],
        ["demo", "unexpected"],
    ],
)
def test_demo_usage_errors_exit_2(argv, capsys):
    assert cli.main(argv) == 2
    assert "usage: seisbench-llm" in capsys.readouterr().err


def test_demo_help(capsys):
    assert cli.main(["demo", "--help"]) == 0
    text = capsys.readouterr().out
    for words in ("SYNTHETIC", "randomly initialised", "--profile", "--gpt2", "protocol B"):
        assert words in text


def test_demo_refuses_a_non_empty_folder(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("user data")
    assert cli.main(["demo", "--profile", "tiny", "--out", str(tmp_path), "--no-gpt2"]) == 1
    err = capsys.readouterr().err
    assert "not an empty folder" in err and "Traceback" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]  # nothing written, nothing lost


def test_demo_configs_are_valid_and_labelled():
    for profile in DEMO_PROFILES:
        configs = demo_configs(profile)
        assert set(configs) == {"seismollm", "eqtransformer"}
        assert configs["seismollm"].data == configs["eqtransformer"].data == "Synthetic"
        assert configs["seismollm"].task == "picking"
        assert "gpt2" not in configs["seismollm"].model_args
    cfg = demo_configs("default", gpt2="/some/gpt2")["seismollm"]
    assert cfg.model_args["gpt2"] == "/some/gpt2"
    with pytest.raises(ValueError, match="Valid: default, tiny"):
        demo_configs("huge")


def test_find_local_gpt2(tmp_path, no_network):
    from transformers import GPT2Config, GPT2Model

    assert find_local_gpt2(tmp_path / "absent") is None
    assert find_local_gpt2("no-such-model-in-the-cache") is None  # never downloads
    torch.manual_seed(0)
    GPT2Model(GPT2Config(n_embd=64, n_head=2, n_layer=1, n_positions=64)).save_pretrained(
        tmp_path / "gpt2"
    )
    source, origin = find_local_gpt2(tmp_path / "gpt2")
    assert Path(source) == (tmp_path / "gpt2").resolve()
    assert str((tmp_path / "gpt2").resolve()) in origin


@pytest.fixture(scope="module")
def tiny_demo(tmp_path_factory):
    """The tiny profile run once through the command line; (output folder, stdout)."""
    out = tmp_path_factory.mktemp("demo") / "out"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = cli.main(["demo", "--profile", "tiny", "--out", str(out), "--no-progress"])
    assert code == 0
    return out, stdout.getvalue()


def test_tiny_demo_writes_every_output(tiny_demo):
    out, stdout = tiny_demo
    for name in (
        "results.md",
        "results.csv",
        "picks.csv",
        "real_recordings.png",
        "test_examples.png",
        "training_curves.png",
        "configs/seismollm.json",
        "configs/eqtransformer.json",
        "runs/seismollm/checkpoints/best.ckpt",
        "runs/eqtransformer/checkpoints/best.ckpt",
    ):
        assert (out / name).is_file(), name
    for png in out.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"Output folder: {out}" in stdout
    assert "RANDOMLY initialised" in stdout  # no GPT-2 in the test cache
    assert "NOT STEAD weights" in stdout
    for i in range(1, 8):
        assert f"[{i}/7]" in stdout
    # the early estimate of each training run: SeisMoLLM 24 traces x 2 copies / batch 8, EQT 16 / 8
    assert "SeisMoLLM: " in stdout and " s per step on this machine; 6 steps: about " in stdout
    assert "EQTransformer baseline: " in stdout and "; 2 steps: about " in stdout
    assert "budget" not in stdout  # the budget remark concerns the default profile only
    assert _precision_text(resolve_precision(DEMO_PRECISION, "cpu")) in stdout


@pytest.mark.parametrize(
    "flags, asked, line",
    [
        ({"amx_bf16"}, "bfloat16", "Training in bfloat16 (mixed precision): this CPU computes it"),
        ({"avx2"}, "bfloat16", "Training in bfloat16 (mixed precision): EMULATED here"),
        ({"avx512_bf16"}, "float32", "Training in float32 (--precision bfloat16 is about 1.5x"),
        ({"avx2"}, "auto", "Training in float32."),
    ],
)
def test_demo_says_its_training_precision(monkeypatch, flags, asked, line):
    from seisbench_llm import precision

    monkeypatch.setattr(precision, "cpu_flags", lambda: flags)
    assert _precision_text(resolve_precision(asked, "cpu")).startswith(line)


def test_tiny_demo_results_table(tiny_demo):
    out, _ = tiny_demo
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert {(r["model"], r["target"]) for r in rows} == {
        (m, p) for m in ("seismollm", "eqtransformer") for p in ("P", "S")
    }
    n_test = None
    for row in rows:
        assert 0.0 <= float(row["f1"]) <= 100.0
        assert int(row["tp"]) + int(row["fn"]) == int(row["n_labelled"])
        n_test = n_test or int(row["n_traces"])
        assert int(row["n_traces"]) == n_test > 0  # both models on the same test traces
    text = (out / "results.md").read_text()
    assert "batch 8 (6 steps, " in text and "batch 8 (2 steps, " in text
    used = resolve_precision(DEMO_PRECISION, "cpu")
    assert text.count(f" s per step on this machine, {used}); config: configs/") == 2
    trainer = json.loads((out / "configs" / "seismollm.json").read_text())["trainer_args"]
    assert trainer["precision"] == used
    f1 = {r["target"]: float(r["f1"]) for r in rows if r["model"] == "seismollm"}
    for phase, target in TARGET_F1.items():
        verdict = "met" if f1[phase] >= target else "MISSED"
        assert f"{phase} F1 >= {target:.0f} % -> {f1[phase]:.1f} % ({verdict})" in text


def test_tiny_demo_scores_the_real_set(tiny_demo):
    from seisbench_llm.data.real_events import SPECS

    out, stdout = tiny_demo
    text = (out / "results.md").read_text()
    assert "## Real recordings" in text
    for spec in SPECS:  # both pickers on every record
        assert f"| {spec.name} | SeisMoLLM demo weights |" in text
        assert f"| {spec.name} | classical (ObsPy AR / Baer) |" in text
    line = next(x for x in text.splitlines() if x.startswith("Real-set targets for SeisMoLLM"))
    assert line.count("met") + line.count("MISSED") == 3
    assert "Real recordings (7): SeisMoLLM picked" in stdout


def test_tiny_demo_weights_reload_and_picks_match(tiny_demo):
    out, stdout = tiny_demo
    version = stdout.split("version_str='", 1)[1].split("'", 1)[0]
    model = sbm.SeisMoLLM.from_pretrained("synthetic", version_str=version)
    assert "SYNTHETIC" in model.weights_docstring
    picks = model.classify(obspy.read()).picks  # RJOB_2009 of the real set
    with open(out / "picks.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["source_file"].startswith("RJOB_2009:")]
    assert len(rows) == len(picks)
    for row, pick in zip(rows, sorted(picks, key=lambda p: (p.peak_time, p.phase)), strict=True):
        assert row["phase"] == pick.phase
        assert abs(obspy.UTCDateTime(row["peak_time"]) - pick.peak_time) < 1e-3
        assert np.isclose(float(row["peak_value"]), pick.peak_value, atol=1e-3)


class _FakeTrainer:
    """What :py:class:`TrainingClock` reads of a Lightning trainer."""

    def __init__(self, total: int):
        self.estimated_stepping_batches = total
        self.global_step = 0


def _run_clock(total: int, seconds_per_step: float, **kwargs) -> tuple[TrainingClock, list[str]]:
    """Drive a clock through ``total`` steps of ``seconds_per_step`` each (a start-up of 5 s
    before the first step), on a fake clock."""
    now = [100.0]
    said: list[str] = []
    clock = TrainingClock("Model", said.append, clock=lambda: now[0], **kwargs)
    trainer = _FakeTrainer(total)
    clock.on_train_start(trainer, None)
    now[0] += 5.0
    for step in range(1, total + 1):
        now[0] += seconds_per_step
        trainer.global_step = step
        clock.on_train_batch_end(trainer, None, None, None, step - 1)
    clock.on_train_end(trainer, None)
    return clock, said


def test_training_clock_estimates_once_and_times_the_run():
    clock, said = _run_clock(1750, 0.5)
    # steps 10..40 are timed: the start-up second count is left out of the estimate
    assert said == ["Model: 0.50 s per step on this machine; 1750 steps: about 14.6 min"]
    assert clock.steps == 1750
    assert clock.seconds == pytest.approx(5.0 + 875.0)
    assert clock.seconds_per_step == pytest.approx(880.0 / 1750)


def test_training_clock_on_short_runs():
    _, said = _run_clock(6, 2.0)  # window capped: steps 1..6
    assert said == ["Model: 2.00 s per step on this machine; 6 steps: about 0.2 min"]
    _, said = _run_clock(1, 3.0)  # one step: timed from the start, start-up included
    assert said == ["Model: 8.00 s per step on this machine; 1 steps: about 0.1 min"]
    assert math.isnan(TrainingClock("Model", print).seconds_per_step)  # before any step


def test_budget_remark_only_for_a_slow_default_run(tmp_path):
    result = DemoResult(
        out_dir=tmp_path,
        rows=[],
        weights=tmp_path / "w",
        weight_name="synthetic",
        weight_version="1",
        gpt2=None,
        durations={"total": 19.1 * 60},
        steps={"seismollm": (1750, 0.54)},
    )
    remark = budget_remark(result, "default")
    assert remark.startswith(f"Over the demo's {BUDGET_MINUTES:.0f}-minute budget on this machine")
    assert "0.54 s per step" in remark
    assert budget_remark(result, "tiny") == ""
    result.durations["total"] = BUDGET_MINUTES * 60 - 1
    assert budget_remark(result, "default") == ""
