"""Benchmark harness end to end on tiny models and a tiny synthetic dataset."""

import json
import os
import subprocess
import sys
from pathlib import Path

import lightning as L
import numpy as np
import obspy
import pandas as pd
import pytest
import seisbench.models as sbm
import torch

from seisbench_llm.benchmarking import TINY_SEISMOLLM
from seisbench_llm.training.config import ConfigError, validate_config
from seisbench_llm.training.harness import (
    build_lit,
    evaluate,
    export_checkpoint,
    load_lit,
    split_datasets,
    train,
)

REPO = Path(__file__).parents[1]
SMALL_DATA = {
    "data": "Synthetic",
    "data_args": {"n_traces": 120, "seed": 3},
    "max_train_samples": 16,
    "max_eval_samples": 12,
}
QUIET = {
    "accelerator": "cpu",
    "devices": 1,
    "enable_progress_bar": False,
    "enable_model_summary": False,
    "log_every_n_steps": 1,
}


def cfg_for(model, task="picking", epochs=1, **extra):
    raw = {
        "model": model,
        "task": task,
        **SMALL_DATA,
        "batch_size": 8,
        "trainer_args": {**QUIET, "max_epochs": epochs},
    }
    if model == "seismollm":
        raw["model_args"] = dict(TINY_SEISMOLLM)
    if model == "seismoe":
        raw["model_args"] = {"base_model": None, "num_experts": 2, "num_experts_per_token": 1}
    raw.update(extra)
    return validate_config(raw)


def test_train_eval_export_from_pretrained_round_trip(tmp_path, no_network):
    cfg = cfg_for("seismollm", epochs=2)
    best = train(cfg, tmp_path / "run")
    assert best.name == "best.ckpt" and (tmp_path / "run/checkpoints/last.ckpt").is_file()
    log = pd.read_csv(tmp_path / "run/logs/metrics.csv")
    assert {"train_loss_epoch", "val_loss", "val_loss_p", "val_loss_s"} <= set(log.columns)
    assert log["val_loss"].notna().sum() == 2

    results = evaluate(cfg, best, tmp_path / "run", protocol_a=True)
    rows = {r["target"]: r for r in results["protocol_b"]}
    assert set(rows) == {"P", "S"}
    for r in rows.values():
        assert 0 <= r["f1"] <= 100 and r["n"] == 12
    assert 0 <= results["protocol_a"]["test_det_auc"] <= 1 or np.isnan(
        results["protocol_a"]["test_det_auc"]
    )
    assert (tmp_path / "run/results_test.csv").is_file() and (
        tmp_path / "run/protocol_a.json"
    ).is_file()

    path = export_checkpoint(cfg, best, "harness_unit", results)
    assert "SYNTHETIC" in json.loads(path.read_text())["docstring"]
    loaded = sbm.SeisMoLLM.from_pretrained("harness_unit")
    lit = load_lit(cfg, best)
    st = obspy.read()
    for a, b in zip(lit.model.annotate(st), loaded.annotate(st), strict=True):
        np.testing.assert_allclose(a.data, b.data, atol=1e-5)


@pytest.mark.parametrize("task", ["polarity", "magnitude", "distance", "back_azimuth"])
def test_seismollm_tasks_train_and_evaluate(tmp_path, task):
    cfg = cfg_for("seismollm", task=task)
    best = train(cfg, tmp_path / task)
    results = evaluate(cfg, best, tmp_path / task)["protocol_b"]
    assert len(results) == 1 and results[0]["target"] == task
    key = "macro_f1" if task == "polarity" else "mae"
    assert np.isfinite(results[0][key])


def test_regression_tasks_use_earthquakes_with_targets():
    cfg = cfg_for("seismollm", task="magnitude")
    parts = split_datasets(cfg)
    for ds in parts.values():
        assert (ds.metadata["trace_category"] == "earthquake").all()
        assert np.isfinite(ds.metadata["source_magnitude"]).all()


@pytest.mark.parametrize("model", ["eqtransformer", "phasenet", "seismoe"])
def test_baselines_train_and_evaluate(tmp_path, model):
    cfg = cfg_for(model)
    best = train(cfg, tmp_path / model)
    results = evaluate(cfg, best, tmp_path / model)["protocol_b"]
    assert {r["target"] for r in results} == {"P", "S"}
    if model == "seismoe":
        log = pd.read_csv(tmp_path / model / "logs/metrics.csv")
        assert {"val_moe_loss", "val_loss_det", "usage_transformer_d0_e0"} <= set(log.columns)


def test_augmentation_config_reaches_the_training_copies():
    from seisbench_llm.training.harness import load_dataset, make_generator

    cfg = cfg_for("seismollm", augmentation={"vertical_only_p": 1.0, "event_to_noise_p": 0.0})
    lit = build_lit(cfg)
    dataset = split_datasets(cfg, load_dataset(cfg))["train"]
    np.random.seed(0)
    train_copies = make_generator(lit, dataset, train=True)
    augmented = [train_copies[i]["X"] for i in range(len(dataset), len(dataset) + 4)]
    assert all(np.all(x[1:] == 0) and np.std(x[0]) > 0.5 for x in augmented)
    clean = train_copies[0]["X"]
    assert np.std(clean[1]) > 0.5  # the clean copy keeps its horizontals
    assert lit.hparams["augmentation"] == {"vertical_only_p": 1.0, "event_to_noise_p": 0.0}


def test_shared_step_returns_named_losses():
    lit = build_lit(cfg_for("seismoe"))
    batch = {
        "X": torch.randn(2, 3, 6000),
        "y": torch.rand(2, 3, 6000),
        "detections": torch.rand(2, 1, 6000),
    }
    losses = lit.shared_step(batch)
    assert set(losses) == {"loss", "loss_det", "loss_p", "loss_s", "moe_loss"}
    expected = (
        0.05 * losses["loss_det"]
        + 0.4 * losses["loss_p"]
        + 0.55 * losses["loss_s"]
        + 0.01 * losses["moe_loss"]
    )
    torch.testing.assert_close(losses["loss"], expected)


class _Interrupt(L.Callback):
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.current_epoch == 1 and batch_idx == 1:
            raise RuntimeError("simulated crash")


def test_resume_after_interruption(tmp_path):
    cfg = cfg_for(
        "eqtransformer", epochs=3, lr_scheduler={"name": "step", "step_size": 1, "gamma": 0.5}
    )
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(cfg, tmp_path / "run", extra_callbacks=[_Interrupt()])
    last = tmp_path / "run/checkpoints/last.ckpt"
    state = torch.load(last, map_location="cpu", weights_only=False)
    assert state["epoch"] == 0 and state["optimizer_states"] and state["lr_schedulers"]
    with pytest.raises(FileExistsError):
        train(cfg, tmp_path / "run")
    train(cfg, tmp_path / "run", resume=True)
    state = torch.load(last, map_location="cpu", weights_only=False)
    assert state["epoch"] == 2
    assert state["lr_schedulers"][0]["last_epoch"] == 3  # schedule continued, not restarted
    epochs = pd.read_csv(tmp_path / "run/logs/metrics.csv")["epoch"].dropna().unique()
    assert set(epochs) >= {0, 1, 2}
    with pytest.raises(FileNotFoundError, match="Cannot resume"):
        train(cfg, tmp_path / "other", resume=True)


def test_ddp_two_cpu_processes(tmp_path):
    raw = {
        "model": "phasenet",
        **SMALL_DATA,
        "batch_size": 4,
        "trainer_args": {**QUIET, "max_epochs": 1, "devices": 2, "strategy": "ddp"},
    }
    cfg_path = tmp_path / "ddp.json"
    cfg_path.write_text(json.dumps(raw))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks/train.py"),
            str(cfg_path),
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "best checkpoint" in proc.stdout
    assert (tmp_path / "run/checkpoints/best.ckpt").is_file()
    log = pd.read_csv(tmp_path / "run/logs/metrics.csv")
    assert log["val_loss"].notna().sum() == 1  # one synced value per epoch, written by rank 0


class _Recorder(L.Callback):
    """Copies of the trainable parameters after every optimiser step."""

    def __init__(self):
        self.steps = []

    def on_train_batch_end(self, trainer, pl_module, *args):
        self.steps.append(
            {n: p.detach().clone() for n, p in pl_module.named_parameters() if p.requires_grad}
        )


def test_ema_decay_checkpoints_the_moving_average(tmp_path):
    decay = 0.6
    cfg = cfg_for("seismollm", ema_decay=decay)
    recorder = _Recorder()
    train(cfg, tmp_path / "run", extra_callbacks=[recorder])
    state = torch.load(
        tmp_path / "run/checkpoints/last.ckpt", map_location="cpu", weights_only=False
    )
    assert len(recorder.steps) == 4  # 16 traces, clean + augmented, batch 8
    for name in recorder.steps[0]:
        average = recorder.steps[0][name]
        for step in recorder.steps[1:]:
            average = decay * average + (1 - decay) * step[name]
        torch.testing.assert_close(state["state_dict"][name], average)
        torch.testing.assert_close(state["current_model_state"][name], recorder.steps[-1][name])
    assert any(  # the average is not the last step's weights
        not torch.equal(state["state_dict"][n], recorder.steps[-1][n]) for n in recorder.steps[0]
    )
    for bad in (1.0, -0.1, "0.9"):
        with pytest.raises(ConfigError, match="ema_decay"):
            cfg_for("seismollm", ema_decay=bad)
