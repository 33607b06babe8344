"""The demo's figures: synthetic test examples with both models' curves, and training curves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_test_examples", "plot_training_curves"]


def plot_test_examples(
    lits: dict[str, Any], configs: dict[str, Any], test: Any, path: Path, seed: int, n: int = 4
) -> Path:
    """Synthetic test traces (Z component) with the P/S probabilities of both models and the true
    onsets (dashed).

    :param lits: Trained Lightning modules, keyed like ``configs``.
    :param configs: The demo's harness configs.
    :param test: Test split (a SeisBench dataset).
    :param path: Output PNG.
    :param seed: Seed of the choice of traces.
    :param n: Number of traces shown.
    :return: ``path``.
    """
    import torch
    from matplotlib.figure import Figure

    from seisbench_llm.training.harness import make_generator
    from seisbench_llm.training.metrics import label_onsets

    rng = np.random.default_rng(seed)
    meta = test.metadata
    quakes = np.flatnonzero(meta["trace_p_arrival_sample"].notna().to_numpy())
    chosen = rng.choice(quakes, size=min(n, len(quakes)), replace=False) if len(quakes) else []
    fig = Figure(figsize=(12, 2.6 * max(len(chosen), 1)), layout="constrained")
    axes = fig.subplots(max(len(chosen), 1) * 2, 1, squeeze=False)[:, 0]
    colors = {"P": "tab:blue", "S": "tab:red"}
    for row, idx in enumerate(chosen):
        ax_w, ax_p = axes[2 * row], axes[2 * row + 1]
        sr = None
        for key, lit in lits.items():
            item = make_generator(lit, test, train=False)[int(idx)]
            x = torch.as_tensor(item["X"])[None]
            with torch.no_grad():
                curves = {k: v[0].float().numpy() for k, v in lit.curves(x).items()}
            sr = lit.model.sampling_rate
            t = np.arange(x.shape[-1]) / sr
            style = "-" if key == "seismollm" else ":"
            for phase in ("P", "S"):
                ax_p.plot(
                    t[: len(curves[phase])],
                    curves[phase],
                    style,
                    color=colors[phase],
                    lw=0.9,
                    label=f"{type(lit.model).__name__} {phase}",
                )
            if key == "seismollm":
                ax_w.plot(t, item["X"][0], "k", lw=0.5)
                labels = item["y"]
                for phase, channel in (("P", 1), ("S", 2)):
                    onset = label_onsets(labels[channel][None])[0]
                    if np.isfinite(onset):
                        for ax in (ax_w, ax_p):
                            ax.axvline(onset / sr, color=colors[phase], ls="--", lw=0.8)
        name = meta["trace_name"].iloc[int(idx)]
        snr = meta["trace_snr_db"].iloc[int(idx)] if "trace_snr_db" in meta else float("nan")
        ax_w.set_title(f"synthetic test trace {name} (SNR {snr:.0f} dB); dashed: true onsets")
        ax_w.set_ylabel("Z (normalised)")
        ax_p.set_ylim(-0.05, 1.05)
        ax_p.set_ylabel("probability")
        ax_p.legend(loc="upper right", fontsize="x-small", ncol=2)
    axes[-1].set_xlabel("seconds (each model's own window from the trace start)")
    fig.savefig(path, dpi=100)
    return path


def plot_training_curves(runs: Path, path: Path) -> Path:
    """Training loss (per logged step) and validation loss (per epoch) of each demo run.

    :param runs: Folder of the runs (each with the harness's ``logs/metrics.csv``).
    :param path: Output PNG.
    :return: ``path``.
    """
    import pandas as pd
    from matplotlib.figure import Figure

    run_dirs = sorted(p for p in runs.iterdir() if (p / "logs" / "metrics.csv").is_file())
    fig = Figure(figsize=(6 * max(len(run_dirs), 1), 4), layout="constrained")
    axes = fig.subplots(1, max(len(run_dirs), 1), squeeze=False)[0]
    for ax, run in zip(axes, run_dirs, strict=False):
        df = pd.read_csv(run / "logs" / "metrics.csv")
        if "train_loss_step" in df:
            steps = df.dropna(subset=["train_loss_step"])
            ax.plot(
                steps["step"], steps["train_loss_step"], color="0.6", lw=0.8, label="train (step)"
            )
        if "train_loss_epoch" in df:
            ep = df.dropna(subset=["train_loss_epoch"])
            ax.plot(ep["step"], ep["train_loss_epoch"], "o-", color="k", label="train (epoch)")
        if "val_loss" in df:
            val = df.dropna(subset=["val_loss"])
            ax.plot(val["step"], val["val_loss"], "s-", color="tab:orange", label="validation")
        ax.set_title(f"{run.name}: loss")
        ax.set_xlabel("optimiser step")
        ax.set_yscale("log")
        ax.legend(fontsize="small")
    fig.savefig(path, dpi=100)
    return path
