"""The main job in one call: ``seisbench-llm demo`` / :py:func:`run_demo`.

Offline and on CPU: generate the synthetic dataset (cached), train SeisMoLLM (picking) and an
EQTransformer baseline with the benchmark harness, evaluate both on the synthetic test split
(protocol B, docs/reference.md section 3), export the SeisMoLLM weights to the SeisBench cache, reload them with
``SeisMoLLM.from_pretrained``, annotate ObsPy's example recording and write a results table, a
picks CSV and figures into one output folder.

Everything the demo trains is labelled for what it is: GPT-2 is randomly initialised unless
pretrained GPT-2 weights are found locally, and weights trained on synthetic waveforms are not
STEAD weights.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger("seisbench_llm")

#: Targets of the trained SeisMoLLM on the synthetic test split (protocol B, 0.1 s tolerance).
TARGET_F1 = {"P": 90.0, "S": 80.0}

_SEISMOLLM_DEMO = {
    # SeisMoLLM as in docs/reference.md section 1 (multi-scale embedder, GPT-2 blocks with LoRA,
    # picking head) but sized to train in minutes on 2 CPU cores; see DEMO_PROFILES["default"]["note"].
    "in_samples": 3072,
    "n_layers": 1,
    "head_channels": [64, 48, 32, 6],
}

#: What each demo profile trains. ``default`` is the README's demo (about 12 minutes on 2 CPU
#: cores); ``tiny`` is a smoke test (a minute) that exercises every step with toy models.
DEMO_PROFILES: dict[str, dict[str, Any]] = {
    "default": {
        "n_traces": 2000,
        "max_eval_samples": 200,
        "seismollm": {
            "model_args": _SEISMOLLM_DEMO,
            "batch_size": 8,
            "max_epochs": 5,
            "max_train_samples": 1000,  # x2 (clean + augmented copy): 250 steps per epoch
            "cycle_steps": 125,
        },
        # batch 8: 600 steps learn far more than 150 steps of batch 32 in the same minutes
        "eqtransformer": {"batch_size": 8, "max_epochs": 6, "max_train_samples": 800},
        "note": "SeisMoLLM demo size: 3072-sample (30.7 s) windows, 1 GPT-2 block (of the "
        "paper's 3), picking head with 64/48/32/6 channels (paper: 224/192/160/6); the "
        "embedder, patching, LoRA and GPT-2 width are the paper's.",
    },
    "tiny": {
        "n_traces": 60,
        "max_eval_samples": 12,
        "seismollm": {
            "model_args": {
                "in_samples": 3072,
                "n_layers": 1,
                "n_heads": 2,
                "d_model": 64,
                "n_positions": 64,
                "patch_size": 8,
                "embed_channels": [4, 8, 8, None],
                "head_channels": [8, 8, 8, 6],
                "lora_r": 2,
            },
            "batch_size": 8,
            "max_epochs": 1,
            "max_train_samples": 24,
            "cycle_steps": 4,
        },
        "eqtransformer": {"batch_size": 8, "max_epochs": 1, "max_train_samples": 16},
        "note": "toy models for a smoke test: the numbers mean nothing.",
    },
}


@dataclass
class DemoResult:
    """What :py:func:`run_demo` produced."""

    out_dir: Path
    rows: list[dict[str, Any]]
    weights: Path
    weight_name: str
    weight_version: str
    gpt2: str | None
    picks: list[Any] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)

    def f1(self, model: str, phase: str) -> float:
        """Protocol B F1 (%) of ``model`` ("seismollm" or "eqtransformer") for ``phase``."""
        for row in self.rows:
            if row["model"] == model and row["target"] == phase:
                return float(row["f1"])
        raise KeyError(f"no result for {model} {phase}")


def find_local_gpt2(source: str | os.PathLike = "gpt2") -> tuple[str, str] | None:
    """Pretrained GPT-2 weights available without network: a ``save_pretrained`` directory, or
    ``source`` in the Hugging Face cache. Nothing is downloaded.

    :return: ``(source for the harness config, description of where they are)``, or None.
    """
    from seisbench_llm.models.gpt2 import PretrainedGPT2NotFoundError, _read_gpt2_state_dict

    try:
        _, origin = _read_gpt2_state_dict(source, local_files_only=True)
    except (PretrainedGPT2NotFoundError, OSError, ValueError):
        return None
    path = Path(source).expanduser()
    return (str(path.resolve()) if path.is_dir() else str(source)), origin


def demo_configs(
    profile: str = "default", gpt2: str | None = None, seed: int = 0
) -> dict[str, Any]:
    """Validated harness configs (:py:class:`~seisbench_llm.training.config.Config`) of the demo's
    SeisMoLLM and EQTransformer runs, keyed ``"seismollm"`` and ``"eqtransformer"``."""
    from seisbench_llm.training.config import validate_config

    if profile not in DEMO_PROFILES:
        raise ValueError(f"Unknown demo profile '{profile}'. Valid: {', '.join(DEMO_PROFILES)}")
    prof = DEMO_PROFILES[profile]
    common = {
        "data": "Synthetic",
        "data_args": {"n_traces": prof["n_traces"]},
        "max_eval_samples": prof["max_eval_samples"],
        "num_workers": 0,
        "seed": seed,
    }
    trainer = {"accelerator": "cpu", "devices": 1, "log_every_n_steps": 5}
    llm = prof["seismollm"]
    model_args = copy.deepcopy(llm["model_args"])
    if gpt2:
        model_args["gpt2"] = gpt2
    seismollm = {
        **common,
        "name": f"demo_seismollm_{profile}",
        "model": "seismollm",
        "task": "picking",
        "model_args": model_args,
        "batch_size": llm["batch_size"],
        "max_train_samples": llm["max_train_samples"],
        "trainer_args": {**trainer, "max_epochs": llm["max_epochs"]},
        "optimizer": {"name": "adam", "lr": 1e-3},
        "lr_scheduler": {  # the paper's CyclicLR, with cycles sized to the short run
            "name": "cyclic",
            "base_lr": 5e-4,
            "max_lr": 1e-3,
            "step_size_up": llm["cycle_steps"],
            "step_size_down": llm["cycle_steps"],
        },
    }
    eqt = prof["eqtransformer"]
    eqtransformer = {
        **common,
        "name": f"demo_eqtransformer_{profile}",
        "model": "eqtransformer",
        "model_args": {"lr": 1e-3},
        "batch_size": eqt["batch_size"],
        "max_train_samples": eqt["max_train_samples"],
        "trainer_args": {**trainer, "max_epochs": eqt["max_epochs"]},
    }
    return {
        "seismollm": validate_config(seismollm),
        "eqtransformer": validate_config(eqtransformer),
    }


def default_out_dir() -> Path:
    """``./seisbench-llm-demo-<UTC date>-<time>`` in the working directory."""
    return Path.cwd() / time.strftime("seisbench-llm-demo-%Y%m%d-%H%M%S", time.gmtime())


class _Stages:
    """Numbered stage headers on stdout, and the duration of each stage."""

    def __init__(self, n: int, say: Callable[[str], None]):
        self.n, self.i, self.say = n, 0, say
        self.durations: dict[str, float] = {}
        self._name: str | None = None
        self._start = 0.0

    def __call__(self, key: str, title: str) -> None:
        self.done()
        self.i += 1
        self._name, self._start = key, time.perf_counter()
        self.say(f"\n[{self.i}/{self.n}] {title}")

    def done(self) -> None:
        if self._name is not None:
            self.durations[self._name] = time.perf_counter() - self._start
            self._name = None


def run_demo(
    out_dir: str | os.PathLike | None = None,
    profile: str = "default",
    gpt2: str | None = "gpt2",
    weight_name: str = "synthetic",
    seed: int = 0,
    progress: bool = True,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Run the whole demo (see the module docstring) into ``out_dir``.

    :param out_dir: Output folder; must not exist or be empty. Default :py:func:`default_out_dir`.
    :param profile: A key of :py:data:`DEMO_PROFILES`.
    :param gpt2: Pretrained GPT-2 to use if it is found locally (a ``save_pretrained`` directory or
                 a hub id in the Hugging Face cache); never downloaded. None: random init.
    :param weight_name: Name under which the SeisMoLLM weights are exported.
    :param seed: Seed of data splits, initialisation and training.
    :param progress: Show progress bars.
    :param say: Where the stage headers and the summary go.
    :return: The results, written files and stage durations.
    """
    import lightning as L
    import seisbench.models as sbm

    from seisbench_llm.training import harness

    if profile not in DEMO_PROFILES:
        raise ValueError(f"Unknown demo profile '{profile}'. Valid: {', '.join(DEMO_PROFILES)}")
    out = Path(out_dir).expanduser() if out_dir is not None else default_out_dir()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} exists and is not an empty folder; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    stages = _Stages(7, say)
    say(f"seisbench-llm demo (profile '{profile}'): writing to {out}")
    say(f"Profile: {DEMO_PROFILES[profile]['note']}")

    found = find_local_gpt2(gpt2) if gpt2 else None
    gpt2_source = found[0] if found else None
    if found:
        gpt2_text = f"GPT-2 blocks initialised from pretrained GPT-2 found locally ({found[1]})."
    else:
        looked = f" ('{gpt2}' not found locally; nothing is downloaded)" if gpt2 else ""
        gpt2_text = f"GPT-2 blocks RANDOMLY initialised: no pretrained GPT-2 weights{looked}."
    say(gpt2_text)
    configs = demo_configs(profile, gpt2=gpt2_source, seed=seed)
    (out / "configs").mkdir()
    for key, cfg in configs.items():
        (out / "configs" / f"{key}.json").write_text(json.dumps(cfg.to_dict(), indent=2))

    stages("data", "Synthetic dataset (generated once, then read from the SeisBench cache)")
    dataset = harness.load_dataset(configs["seismollm"])
    say(f"{len(dataset)} traces in {dataset.path}")

    best: dict[str, Path] = {}
    for key, title in (("seismollm", "SeisMoLLM"), ("eqtransformer", "EQTransformer baseline")):
        stages(f"train {key}", f"Train {title} (benchmark harness, CPU)")
        cfg = configs[key]
        if not progress:
            cfg.trainer_args["enable_progress_bar"] = False
        cfg.trainer_args.setdefault("enable_model_summary", False)
        with _quiet_lightning():
            best[key] = harness.train(cfg, out / "runs" / key)

    stages("evaluate", "Evaluate both on the synthetic test split (protocol B, 0.1 s tolerance)")
    rows: list[dict[str, Any]] = []
    lits = {}
    for key, cfg in configs.items():
        lits[key] = harness.load_lit(cfg, best[key])
        parts = harness.split_datasets(cfg, dataset)
        rows += harness.evaluate_protocol_b(cfg, lits[key], parts["test"], out / "runs" / key)

    stages(
        "export", f"Export the SeisMoLLM weights as '{weight_name}', reload with from_pretrained"
    )
    results = {"protocol_b": [r for r in rows if r["model"] == "seismollm"]}
    weights = harness.export_checkpoint(
        configs["seismollm"], best["seismollm"], weight_name, results
    )
    version = weights.name.rsplit(".v", 1)[-1]
    model = sbm.SeisMoLLM.from_pretrained(weight_name, version_str=version).eval()
    say(
        f"Exported {weights} and reloaded: sbm.SeisMoLLM.from_pretrained('{weight_name}', "
        f"version_str='{version}')"
    )

    stages("annotate", "Annotate ObsPy's example recording with the reloaded model")
    picks, files = _annotate_example(model, out)

    stages("figures", "Figures and results table")
    test = harness.split_datasets(configs["seismollm"], dataset)["test"]
    files += [
        _plot_test_examples(lits, configs, test, out / "test_examples.png", seed),
        _plot_training_curves(out / "runs", out / "training_curves.png"),
    ]
    stages.done()
    durations = dict(stages.durations)
    durations["total"] = time.perf_counter() - start
    L.seed_everything(seed, verbose=False)  # leave the global RNGs as a fresh process would
    result = DemoResult(
        out_dir=out,
        rows=rows,
        weights=weights,
        weight_name=weight_name,
        weight_version=version,
        gpt2=gpt2_source,
        picks=picks,
        files=files,
        durations=durations,
    )
    table = results_markdown(result, configs, profile, gpt2_text)
    (out / "results.md").write_text(table)
    result.files.append(out / "results.md")
    _write_rows_csv(rows, out / "results.csv")
    result.files.append(out / "results.csv")
    say("\n" + summary(result, table))
    return result


@contextlib.contextmanager
def _quiet_lightning() -> Iterator[None]:
    """Hide Lightning's start-up chatter (hardware lines, tips, deprecation notes) for a clean demo
    log; its progress bars and real warnings stay."""
    loggers = [logging.getLogger(n) for n in ("lightning.pytorch", "lightning.fabric")]
    levels = [lg.level for lg in loggers]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        for lg in loggers:
            lg.setLevel(logging.WARNING)
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


def _annotate_example(model: Any, out: Path) -> tuple[list[Any], list[Path]]:
    """Annotate ``obspy.read()`` (3-component, 30 s, 100 Hz, station BW.RJOB) with the reloaded
    SeisMoLLM: picks CSV and a figure (waveforms, P/S probabilities, picks).

    The EQTransformer baseline is not run here: its 60 s window is longer than the recording."""
    import obspy

    from seisbench_llm.picks_io import annotate_and_pick, plot_station, station_key, write_picks_csv

    stream = obspy.read()
    key = station_key(stream[0])
    sources = {key: [(stream[0].stats.starttime, stream[0].stats.endtime, "obspy.read()")]}
    annotations, picks = annotate_and_pick(model, stream.copy(), {})
    default = model._annotate_args["*_threshold"][1]
    thresholds = {p: float(model.default_args.get(f"{p}_threshold", default)) for p in ("P", "S")}
    figure = out / "obspy_example_SeisMoLLM.png"
    plot_station(
        figure,
        key,
        stream,
        annotations,
        picks,
        thresholds,
        "SeisMoLLM demo weights (trained on SYNTHETIC data), ObsPy's example recording",
    )
    write_picks_csv(out / "picks.csv", picks, sources)
    return picks, [out / "picks.csv", figure]


def _plot_test_examples(
    lits: dict[str, Any], configs: dict[str, Any], test: Any, path: Path, seed: int, n: int = 4
) -> Path:
    """Four synthetic test traces (Z component) with the P/S probabilities of both models and the
    true onsets (dashed)."""
    import torch
    from matplotlib.figure import Figure

    from seisbench_llm.training.harness import label_onsets, make_generator

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


def _plot_training_curves(runs: Path, path: Path) -> Path:
    """Training loss (per logged step) and validation loss (per epoch) of each demo run."""
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


def _write_rows_csv(rows: list[dict[str, Any]], path: Path) -> None:
    import pandas as pd

    pd.DataFrame(rows).to_csv(path, index=False)


def _fmt_minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def results_markdown(
    result: DemoResult, configs: dict[str, Any], profile: str, gpt2_text: str
) -> str:
    """The demo's results as markdown: protocol B table, targets, what the weights are."""
    from seisbench_llm.training.metrics import results_table

    names = {"seismollm": "SeisMoLLM (demo size)", "eqtransformer": "EQTransformer"}
    rows = []
    for row in result.rows:
        rows.append(
            {
                "model": names.get(row["model"], row["model"]),
                "phase": row["target"],
                "precision %": row.get("precision"),
                "recall %": row.get("recall"),
                "F1 %": row.get("f1"),
                "MAE (samples, TP)": row.get("mae"),
                "test traces": row.get("n_traces", row.get("n")),
                "labelled": row.get("n_labelled"),
            }
        )
    lines = [
        f"# seisbench-llm demo results (profile '{profile}')",
        "",
        "Synthetic test split, protocol B: top-1 peak >= 0.3, at least 1 s apart, "
        "true positive within 0.1 s.",
        "",
        results_table(rows, float_format=".1f"),
        "Targets for SeisMoLLM: "
        + ", ".join(
            f"{p} F1 >= {t:.0f} % -> {result.f1('seismollm', p):.1f} % "
            f"({'met' if result.f1('seismollm', p) >= t else 'MISSED'})"
            for p, t in TARGET_F1.items()
        )
        + ".",
        "",
        f"- {gpt2_text}",
        f"- Weights '{result.weight_name}' (version {result.weight_version}) were trained on the "
        "project's SYNTHETIC dataset: they are NOT STEAD weights and not meant for real data.",
        f"- {DEMO_PROFILES[profile]['note']}",
    ]
    for key, cfg in configs.items():
        epochs = cfg.trainer_args.get("max_epochs")
        n = cfg.max_train_samples or "all"
        lines.append(
            f"- {names[key]}: {epochs} epochs on {n} training traces, batch {cfg.batch_size}; "
            f"config: configs/{key}.json"
        )
    lines.append(
        "- Durations: " + ", ".join(f"{k}: {_fmt_minutes(v)}" for k, v in result.durations.items())
    )
    return "\n".join(lines) + "\n"


def summary(result: DemoResult, table: str) -> str:
    """The final summary printed by the demo."""
    n_p = sum(p.phase == "P" for p in result.picks)
    n_s = sum(p.phase == "S" for p in result.picks)
    files = "\n".join(f"  {f.relative_to(result.out_dir)}" for f in result.files)
    return (
        f"{table}\n"
        f"ObsPy example (RJOB, 30 s): SeisMoLLM picked {n_p} P and {n_s} S.\n"
        f"Output folder: {result.out_dir}\n{files}\n"
        f"Done in {_fmt_minutes(result.durations['total'])}."
    )
