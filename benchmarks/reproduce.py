"""Reproduce the papers' benchmark tables: train and evaluate every shipped config of the chosen
datasets, then write one table of our figures next to the published ones.

Steps: (1) check which datasets (SeisBench cache: STEAD, ETHZ; converted DiTing) and pretrained
weights (GPT-2 for SeisMoLLM, SeisBench's EQTransformer for SeisMoE) are present; (2) print the
plan with a cost estimate; (3) train each config (``benchmarks/train.py``; an interrupted run is
resumed from its last checkpoint, a finished one skipped); (4) evaluate it (``benchmarks/eval.py``:
protocol B on the test split, plus protocol A, the pick benchmark, for picking configs trained on
the dataset's own split); (5) write ``reproduce.md`` / ``reproduce.csv`` with the published figures
of ``benchmarks/published.csv`` side by side.

Examples::

    python benchmarks/reproduce.py --datasets stead ethz diting --gpus 4
    python benchmarks/reproduce.py --datasets stead --gpus 4 --dry-run     # checks and plan only
    python benchmarks/reproduce.py --coverage                              # label coverage per config
    python benchmarks/reproduce.py --tiny --datasets ethz                  # minutes on CPU, tiny models

``--tiny`` runs every config with a tiny budget on CPU (8 traces, 2 steps, tiny SeisMoLLM, no
pretrained weights): a check of the whole chain, e.g. on the miniatures of ``tests/miniatures.py``
(``python tests/miniatures.py ROOT`` then ``SEISBENCH_CACHE_ROOT=ROOT``); its figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
CONFIGS = HERE / "configs"
PUBLISHED = HERE / "published.csv"
DATASETS = {"stead": "STEAD", "ethz": "ETHZ", "diting": "DiTing"}

#: Training time per batch on one GPU in ms, for the estimate (SeisMoLLM paper's efficiency
#: figures; SeisMoE counted as EQTransformer).
MS_PER_BATCH = {"seismollm": 179.6, "eqtransformer": 39.0, "seismoe": 39.0, "phasenet": 12.5}
#: Approximate training-split sizes, for the estimate when a dataset is absent.
NOMINAL_TRAIN = {"STEAD": 1_070_000, "ETHZ": 24_000, "DiTing": 222_000}
#: Protocol B / A metrics that go into the table.
B_METRICS = ("f1", "precision", "recall", "mae", "mae_all_traces", "r2", "macro_f1")
A_METRICS = (
    "test_det_auc",
    "test_phase_mcc",
    "test_P_rmse_s",
    "test_P_mae_s",
    "test_S_rmse_s",
    "test_S_mae_s",
)
OWN_SPLITS = {
    "STEAD": "STEAD's own (EQTransformer test list)",
    "ETHZ": "ETHZ's own (by event time)",
    "DiTing": "random 80/10/10 by trace (seed 0)",  # the converter's default split
}
#: Overrides of --tiny: a few steps of tiny models on CPU, no pretrained weights.
TINY = {
    "max_train_samples": 8,
    "max_eval_samples": 8,
    "batch_size": 4,
    "num_workers": 0,
    "early_stopping_patience": None,
    "trainer_args": {
        "accelerator": "cpu",
        "devices": 1,
        "max_epochs": 1,
        "limit_train_batches": 2,
        "limit_val_batches": 1,
        "enable_progress_bar": False,
    },
}


# ------------------------------------------------------------------------------------- checks
def dataset_present(cfg) -> bool:
    """Whether the config's dataset is on disk (never downloads)."""
    import seisbench

    if cfg.data == "DiTing":
        from seisbench_llm.data.diting import default_diting_path

        light = bool(cfg.data_args.get("light"))
        folders = (
            [Path(cfg.data_args["path"])]
            if cfg.data_args.get("path")
            else (
                [default_diting_path(True), default_diting_path(False)]
                if light
                else [default_diting_path(False)]
            )
        )
    else:
        folders = [Path(seisbench.cache_data_root) / cfg.data.lower()]
    return any((f / "metadata.csv").is_file() and (f / "waveforms.hdf5").is_file() for f in folders)


def missing_weights(cfg) -> list[str]:
    """Pretrained weights a config needs that are not on disk."""
    import seisbench

    missing = []
    gpt2 = cfg.model_args.get("gpt2") if cfg.model == "seismollm" else None
    if gpt2 and not Path(gpt2).expanduser().is_dir():
        from huggingface_hub import try_to_load_from_cache

        if not isinstance(try_to_load_from_cache(gpt2, "config.json"), str):
            missing.append(f"GPT-2 '{gpt2}' (Hugging Face cache)")
    base = cfg.model_args.get("base_model", "stead") if cfg.model == "seismoe" else None
    if base and not Path(base).expanduser().exists():
        folder = Path(seisbench.cache_model_root) / "eqtransformer"
        if not list(folder.glob(f"{base}.json*")):
            missing.append(f"EQTransformer weights '{base}' ({folder})")
    return missing


def effective_config(path: Path, gpus: int, tiny: bool) -> dict[str, Any]:
    """The config as run: devices limited to ``gpus`` (DDP above one), or the --tiny budget."""
    from seisbench_llm.benchmarking import TINY_SEISMOLLM

    raw = json.loads(path.read_text())
    raw.setdefault("name", path.stem)
    if tiny:
        raw.update({k: v for k, v in TINY.items() if k != "trainer_args"})
        raw["trainer_args"] = dict(TINY["trainer_args"])
        raw["lr_scheduler"] = None
        args = dict(raw.get("model_args", {}))
        if raw["model"] == "seismollm":
            args = {**args, **TINY_SEISMOLLM, "gpt2": None}
        if raw["model"] == "seismoe":
            args.update(base_model=None, num_experts=2)
        raw["model_args"] = args
        return raw
    trainer = dict(raw.get("trainer_args", {}))
    devices = min(int(trainer.get("devices", 1)), max(gpus, 1))
    trainer.update(accelerator="gpu" if gpus > 0 else "cpu", devices=devices)
    if devices > 1:
        trainer["strategy"] = "ddp"
    else:
        trainer.pop("strategy", None)
    raw["trainer_args"] = trainer
    return raw


def split_label(cfg) -> str:
    if cfg.random_split:
        f = "/".join(f"{100 * x:g}" for x in cfg.random_split["fractions"])
        return f"random {f} by trace (seed {cfg.random_split['seed']})"
    return OWN_SPLITS.get(cfg.data, "the dataset's own")


def runs_protocol_a(cfg) -> bool:
    """Protocol A scores picking models on the dataset's own dev/test split; a model trained on a
    re-split has seen part of that test split."""
    return cfg.task == "picking" and not cfg.random_split and cfg.data != "DiTing"


# --------------------------------------------------------------------------------------- plan
def plan_rows(configs: list, present: dict[str, bool]) -> list[dict[str, Any]]:
    """One row per config: what runs, on how many devices, and an upper-bound GPU time."""
    rows = []
    for cfg in configs:
        trainer = cfg.trainer_args
        devices = int(trainer.get("devices", 1))
        n_train = NOMINAL_TRAIN.get(cfg.data, 0)
        if present[cfg.run_name] and cfg.max_train_samples is None:
            from seisbench_llm.training.harness import split_datasets

            n_train = len(split_datasets(cfg)["train"])
        elif cfg.max_train_samples:
            n_train = cfg.max_train_samples
        shown = 2 if cfg.model == "seismollm" else 1  # clean + augmented copy per epoch
        steps = math.ceil(shown * n_train / (cfg.batch_size * devices))
        epochs = int(trainer.get("max_epochs", 1))
        hours = steps * epochs * MS_PER_BATCH[cfg.model] / 3.6e6
        rows.append(
            {
                "config": cfg.run_name,
                "model": cfg.model,
                "task": cfg.task,
                "split": split_label(cfg),
                "protocols": "B + A" if runs_protocol_a(cfg) else "B",
                "devices": f"{devices} {trainer.get('accelerator', 'auto')}",
                "train traces": n_train,
                "steps/epoch": steps,
                "max epochs": epochs,
                "wall h (max)": round(hours, 1),
                "GPU h (max)": round(hours * devices, 1),
            }
        )
    return rows


# ---------------------------------------------------------------------------------------- run
def _script(name: str, *args: str, log: Path) -> int:
    env = dict(os.environ)  # the scripts import the same seisbench_llm as this one
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
    with open(log, "a") as f:
        f.write(f"\n$ {name} {' '.join(args)}\n")
        f.flush()
        cmd = [sys.executable, str(HERE / name), *args]
        return subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT).returncode


def run_config(cfg, config_path: Path, run: Path) -> str:
    """Train (resuming, or skipping a finished run) and evaluate one config; returns its state."""
    run.mkdir(parents=True, exist_ok=True)
    log = run / "reproduce.log"
    if not (run / "train.done").is_file():
        resume = ["--resume"] if (run / "checkpoints" / "last.ckpt").is_file() else []
        if _script("train.py", str(config_path), "--out", str(run), *resume, log=log):
            return f"training failed (see {log})"
        (run / "train.done").write_text(time.strftime("%Y-%m-%d %H:%M:%S"))
    if not (run / "results.json").is_file():
        ckpt = run / "checkpoints" / "best.ckpt"
        if not ckpt.is_file():
            ckpt = run / "checkpoints" / "last.ckpt"
        extra = ["--protocol-a"] if runs_protocol_a(cfg) else []
        args = ["--model_path", str(ckpt), "--config", str(config_path), "--out", str(run)]
        if _script("eval.py", *args, *extra, log=log):
            return f"evaluation failed (see {log})"
    return "done"


# -------------------------------------------------------------------------------------- table
def collect(configs: list, runs: Path, published: pd.DataFrame) -> pd.DataFrame:
    """Our figures (long format) joined with the published ones on dataset, protocol, model,
    target and metric; published figures without a run stay, with an empty ``ours``."""
    rows = []
    for cfg in configs:
        run = runs / cfg.run_name
        base = {"dataset": cfg.data, "model": cfg.model, "config": cfg.run_name}
        b = run / "results_test.csv"
        if b.is_file():
            for rec in pd.read_csv(b).to_dict("records"):
                for metric in B_METRICS:
                    if pd.notna(rec.get(metric)):
                        rows.append(
                            {
                                **base,
                                "protocol": "B",
                                "our split": split_label(cfg),
                                "target": rec["target"],
                                "metric": metric,
                                "ours": rec[metric],
                            }
                        )
        a = run / "protocol_a.json"
        if a.is_file():
            result = json.loads(a.read_text())
            for metric in A_METRICS:
                if result.get(metric) is not None:
                    target = {"det": "detection", "phase": "phase identification"}.get(
                        metric.split("_")[1], metric.split("_")[1]
                    )
                    rows.append(
                        {
                            **base,
                            "protocol": "A",
                            "our split": split_label(cfg),
                            "target": target,
                            "metric": metric,
                            "ours": result[metric],
                        }
                    )
    ours = pd.DataFrame(
        rows,
        columns=["dataset", "model", "config", "protocol", "our split", "target", "metric", "ours"],
    )
    pub = published.rename(columns={"value": "published", "split": "published split"})
    keys = ["dataset", "protocol", "model", "target", "metric"]
    table = ours.merge(pub, on=keys, how="outer")
    return table.sort_values(["dataset", "protocol", "model", "target", "metric"], kind="stable")


def markdown(table: pd.DataFrame) -> str:
    from seisbench_llm.training.metrics import results_table

    cols = [
        "dataset",
        "protocol",
        "model",
        "target",
        "metric",
        "ours",
        "published",
        "our split",
        "published split",
        "source",
    ]
    records = table[cols].astype(object).where(table[cols].notna(), None).to_dict("records")
    return results_table(records, columns=cols)


def coverage_rows(configs: list, n: int) -> list[dict[str, Any]]:
    """Label coverage of each config's training and evaluation pipelines (no weights loaded)."""
    from seisbench_llm.training.config import validate_config
    from seisbench_llm.training.coverage import lit_coverage
    from seisbench_llm.training.harness import build_lit, split_datasets

    rows = []
    for cfg in configs:
        raw = cfg.to_dict()
        raw["model_args"] = {
            **raw["model_args"],
            **{k: None for k in ("gpt2", "base_model") if k in raw["model_args"]},
        }
        plain = validate_config(raw, cfg.path)
        cov = lit_coverage(build_lit(plain), split_datasets(plain), n)
        for pipeline, c in cov.items():
            rows.append(
                {
                    "config": cfg.run_name,
                    "pipeline": pipeline,
                    "windows": c["n"],
                    **{k: c[k] for k in ("P", "S", "any", "all")},
                }
            )
    return rows


# --------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=list(DATASETS),
        choices=list(DATASETS),
        help="datasets whose configs run (default: all three)",
    )
    parser.add_argument(
        "--configs",
        nargs="+",
        metavar="NAME",
        help="only these configs (names as in benchmarks/configs, without .json)",
    )
    parser.add_argument("--gpus", type=int, default=1, help="GPUs per run (default 1; 0: CPU)")
    parser.add_argument(
        "--runs", type=Path, help="run folders (default benchmarks/runs/reproduce[_tiny])"
    )
    parser.add_argument("--dry-run", action="store_true", help="checks and plan only")
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="tiny budget on CPU (8 traces, 2 steps, tiny models): checks the chain",
    )
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="print the label coverage of every config's pipelines and exit",
    )
    parser.add_argument("--coverage-windows", type=int, default=64, help="windows per pipeline")
    args = parser.parse_args(argv)

    from seisbench_llm.training.config import load_config, validate_config

    runs = args.runs or HERE / "runs" / ("reproduce_tiny" if args.tiny else "reproduce")
    paths = sorted(p for d in args.datasets for p in CONFIGS.glob(f"{d}_*.json"))
    if args.configs:
        unknown = set(args.configs) - {p.stem for p in paths}
        if unknown:
            parser.error(f"unknown config(s) for these datasets: {', '.join(sorted(unknown))}")
        paths = [p for p in paths if p.stem in args.configs]
    configs = [load_config(p) for p in paths]
    present = {c.run_name: dataset_present(c) for c in configs}
    print("Datasets:")
    for name in sorted({c.data for c in configs}):
        ok = any(present[c.run_name] for c in configs if c.data == name)
        print(f"  {name:7s} {'present' if ok else 'MISSING (its configs are skipped)'}")
    if args.coverage:
        from seisbench_llm.training.metrics import results_table

        rows = coverage_rows([c for c in configs if present[c.run_name]], args.coverage_windows)
        print("\nLabel coverage (share of sampled earthquake windows holding the phase):\n")
        print(results_table(rows, float_format=".2f"))
        return 0

    runnable, blocked = [], {}
    for path, cfg in zip(paths, configs, strict=True):
        if not present[cfg.run_name]:
            continue
        eff = validate_config(effective_config(path, args.gpus, args.tiny), path)
        missing = missing_weights(eff)
        if missing:
            blocked[cfg.run_name] = ", ".join(missing)
        else:
            runnable.append((eff, path))
    print("Pretrained weights:")
    for name, what in blocked.items():
        print(f"  {name}: MISSING {what} (config skipped; see docs/harness.md)")
    if not blocked:
        print("  all present" if runnable else "  (nothing to run)")

    from seisbench_llm.training.metrics import results_table

    rows = plan_rows([c for c, _ in runnable], {c.run_name: True for c, _ in runnable})
    print(f"\nPlan ({len(rows)} configs, run one after the other; runs in {runs}):\n")
    if rows:
        print(results_table(rows, float_format=".1f"))
        wall = sum(r["wall h (max)"] for r in rows)
        if args.tiny:
            print("Tiny budget: 2 training steps and 8 evaluation traces per config, on CPU.")
        else:
            print(
                f"Estimate: at most {wall:.0f} h wall time (max_epochs; early stopping ends most "
                "runs sooner), from the SeisMoLLM paper's GPU training time per batch."
            )
    if args.dry_run or not runnable:
        return 0

    states = {}
    for i, (cfg, _) in enumerate(runnable, 1):
        run = runs / cfg.run_name
        run.mkdir(parents=True, exist_ok=True)
        config_path = run / "reproduce_config.json"
        config_path.write_text(json.dumps(cfg.to_dict(), indent=2))
        print(f"[{i}/{len(runnable)}] {cfg.run_name} ...", flush=True)
        t0 = time.time()
        states[cfg.run_name] = run_config(cfg, config_path, run)
        print(
            f"[{i}/{len(runnable)}] {cfg.run_name}: {states[cfg.run_name]} "
            f"({time.time() - t0:.0f} s)",
            flush=True,
        )

    table = collect([c for c, _ in runnable], runs, pd.read_csv(PUBLISHED))
    table = table[table["dataset"].isin({c.data for c in configs})]
    table.to_csv(runs / "reproduce.csv", index=False)
    text = markdown(table)
    (runs / "reproduce.md").write_text(text)
    print(f"\n{text}\nwritten: {runs / 'reproduce.md'}, {runs / 'reproduce.csv'}")
    failed = {k: v for k, v in states.items() if v != "done"}
    for name, state in failed.items():
        print(f"{name}: {state}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
