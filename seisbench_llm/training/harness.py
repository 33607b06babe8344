"""Benchmark harness: datasets, data loaders, training (Lightning, DDP), resume and export."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import requests
import seisbench
import seisbench.data as sbd
import seisbench.generate as sbg
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint, WeightAveraging
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from torch.optim.swa_utils import get_ema_multi_avg_fn
from torch.utils.data import DataLoader, Dataset

from seisbench_llm.precision import PRECISIONS, lightning_precision
from seisbench_llm.tasks import get_task
from seisbench_llm.training import pipelines
from seisbench_llm.training.config import Config, ConfigError
from seisbench_llm.training.coverage import check_label_coverage
from seisbench_llm.training.lit import LIT_MODULES, BaseLit

logger = logging.getLogger("seisbench_llm")


def rank() -> int:
    """Global rank of this process (0 outside distributed runs)."""
    return int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", 0)))


def model_sampling_rate(cfg: Config) -> float:
    return 50.0 if cfg.model == "seismollm" and cfg.setting == "diting" else 100.0


def load_dataset(cfg: Config) -> sbd.WaveformDataset:
    """The dataset named by ``cfg.data``, at the model's sampling rate in ZNE order."""
    args = {"sampling_rate": model_sampling_rate(cfg), "component_order": "ZNE", **cfg.data_args}
    name = cfg.data
    if name.lower() == "synthetic":
        from seisbench_llm.data import Synthetic

        args.setdefault("preset", "diting" if cfg.setting == "diting" else "stead")
        return Synthetic(**args)
    if name.lower() == "diting":
        from seisbench_llm.data.diting import DiTing

        return DiTing(**args)
    if Path(name).expanduser().is_dir():
        return sbd.WaveformDataset(Path(name).expanduser(), **args)
    cls = getattr(sbd, name, None)
    if (
        isinstance(cls, type)
        and issubclass(cls, sbd.WaveformDataset)
        and cls is not sbd.WaveformDataset
    ):
        try:
            return cls(**args)
        except requests.exceptions.RequestException as error:  # not cached, and offline
            raise ConfigError(
                f"data {name!r}: dataset not in the SeisBench cache "
                f"({seisbench.cache_data_root}), needs a download, and the download failed "
                f"(offline? {type(error).__name__}); download it once on a machine with network"
            ) from error
    valid = sorted(
        n
        for n in dir(sbd)
        if isinstance(getattr(sbd, n), type)
        and issubclass(getattr(sbd, n), sbd.BenchmarkDataset)
        and n != "BenchmarkDataset"
    )
    raise ConfigError(
        f"Unknown dataset '{name}': not a folder and not a SeisBench dataset. Valid names: Synthetic, DiTing, {', '.join(valid)}"
    )


def _limit(ds: sbd.WaveformDataset, n: int | None, seed: int) -> sbd.WaveformDataset:
    if n is None or len(ds) <= n:
        return ds
    mask = np.zeros(len(ds), dtype=bool)
    mask[np.random.default_rng(seed).choice(len(ds), n, replace=False)] = True
    return ds.filter(mask, inplace=False)


def task_mask(cfg: Config, metadata) -> np.ndarray:
    """Traces usable for the config's task: all for picking; otherwise earthquakes with a target
    (:py:meth:`seisbench_llm.tasks.Task.has_target`: a finite value, a known U/D polarity)."""
    task = get_task(cfg.task)
    n = len(metadata)
    if task.output_type == "array":
        return np.ones(n, dtype=bool)
    mask = np.ones(n, dtype=bool)
    if "trace_category" in metadata:
        mask &= (metadata["trace_category"].fillna("earthquake") != "noise").to_numpy()
    try:
        return mask & task.has_target(metadata)
    except KeyError as error:
        raise ConfigError(error.args[0]) from None


def resplit(dataset: sbd.WaveformDataset, fractions: list[float], seed: int) -> sbd.WaveformDataset:
    """A copy of ``dataset`` split at random by trace (SeisT's and SeisMoLLM's shuffle: the first
    ``floor(f_train * N)`` shuffled traces train, the next ``floor(f_dev * N)`` dev, the rest test),
    before any task filter, so a trace has the same split in every task."""
    from seisbench_llm.data.diting.splits import random_splits

    out = dataset.copy()
    codes = random_splits(np.arange(len(out)), fractions, seed)
    out.metadata["split"] = np.array(["train", "dev", "test"])[codes]
    return out


def split_datasets(
    cfg: Config, dataset: sbd.WaveformDataset | None = None
) -> dict[str, sbd.WaveformDataset]:
    """train/dev/test parts of the dataset (only traces usable for the task; train and dev limited
    by the config's max sizes)."""
    dataset = dataset if dataset is not None else load_dataset(cfg)
    if cfg.random_split:
        dataset = resplit(dataset, **cfg.random_split)
    if cfg.task != "picking":
        dataset = dataset.filter(task_mask(cfg, dataset.metadata), inplace=False)
    train, dev, test = dataset.train_dev_test()
    return {
        "train": _limit(train, cfg.max_train_samples, cfg.seed),
        "dev": _limit(dev, cfg.max_eval_samples, cfg.seed + 1),
        "test": _limit(test, cfg.max_eval_samples, cfg.seed + 2),
    }


def make_generator(lit: BaseLit, dataset: sbd.WaveformDataset, train: bool) -> Dataset:
    """A ``GenericGenerator`` with the module's augmentation pipeline (SeisMoLLM: clean + augmented)."""
    gen = sbg.GenericGenerator(dataset)
    gen.add_augmentations(lit.get_train_augmentations() if train else lit.get_val_augmentations())
    if train and lit.clean_and_augmented:
        return pipelines.CleanAndAugmented(make_generator(lit, dataset, train=False), gen)
    return gen


def make_loader(cfg: Config, generator: Dataset, shuffle: bool) -> DataLoader:
    return DataLoader(
        generator,
        batch_size=cfg.batch_size,
        shuffle=shuffle,
        num_workers=cfg.num_workers,
        persistent_workers=cfg.num_workers > 0,
        drop_last=False,
    )


def build_lit(cfg: Config) -> BaseLit:
    """The Lightning module of ``cfg.model`` with the config's model arguments and optimiser."""
    args = dict(cfg.model_args)
    kwargs: dict[str, Any] = dict(optimizer=cfg.optimizer, lr_scheduler=cfg.lr_scheduler)
    if cfg.model == "seismollm":
        kwargs.update(
            task=cfg.task, setting=cfg.setting, window=cfg.window, augmentation=cfg.augmentation
        )
    if cfg.model == "seismoe":
        kwargs["seed"] = cfg.seed
    return LIT_MODULES[cfg.model](**kwargs, **args)


def _trainer(cfg: Config, out_dir: Path, extra_callbacks: list | None = None) -> L.Trainer:
    ckpt = cfg.checkpointing
    callbacks = [
        ModelCheckpoint(
            dirpath=out_dir / "checkpoints",
            filename="best",
            monitor=ckpt["monitor"],
            mode="min",
            save_top_k=ckpt["save_top_k"],
            save_last=ckpt["save_last"],
        )
    ]
    if cfg.early_stopping_patience:
        callbacks.append(
            EarlyStopping(  # not strict: a run may end before its first validation
                monitor=ckpt["monitor"],
                patience=cfg.early_stopping_patience,
                mode="min",
                strict=False,
            )
        )
    if cfg.ema_decay:  # validation, checkpoints and so export use the moving average
        callbacks.append(WeightAveraging(multi_avg_fn=get_ema_multi_avg_fn(cfg.ema_decay)))
    callbacks += extra_callbacks or []
    loggers = [CSVLogger(out_dir, name="logs", version="")]
    try:
        loggers.append(TensorBoardLogger(out_dir, name="tensorboard", version=""))
    except ModuleNotFoundError:  # tensorboard is optional
        pass
    trainer_args = {
        "accelerator": "auto",
        "devices": 1,
        "log_every_n_steps": 10,
        **cfg.trainer_args,
    }
    if trainer_args.get("precision") in PRECISIONS:  # the package's names, "auto" included
        trainer_args["precision"] = lightning_precision(
            trainer_args["precision"], trainer_args["accelerator"]
        )
    return L.Trainer(
        default_root_dir=out_dir,
        callbacks=callbacks,
        logger=loggers,
        gradient_clip_val=cfg.gradient_clip,
        **trainer_args,
    )


def train(
    cfg: Config,
    out_dir: str | os.PathLike,
    resume: bool = False,
    extra_callbacks: list | None = None,
) -> Path:
    """Train ``cfg`` into ``out_dir`` (checkpoints/, logs/, tensorboard/, config.json).

    :param resume: Continue from ``out_dir/checkpoints/last.ckpt`` (model, optimiser, scheduler, epoch).
    :return: Path of the best checkpoint.
    """
    out_dir = Path(out_dir)
    last = out_dir / "checkpoints" / "last.ckpt"
    if resume and not last.is_file():
        raise FileNotFoundError(f"Cannot resume: {last} does not exist")
    if not resume and last.is_file():
        raise FileExistsError(
            f"{out_dir} already holds a run; pass --resume to continue it or choose another output folder"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    L.seed_everything(
        cfg.seed + rank(), workers=True, verbose=False
    )  # rank-aware augmentation streams
    torch.manual_seed(cfg.seed)  # identical initial weights on every rank
    lit = build_lit(cfg)
    parts = split_datasets(cfg)
    check_label_coverage(cfg.run_name, lit, parts)  # before any long work
    train_loader = make_loader(cfg, make_generator(lit, parts["train"], train=True), shuffle=True)
    dev_loader = make_loader(cfg, make_generator(lit, parts["dev"], train=False), shuffle=False)
    if rank() == 0:
        (out_dir / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
    metrics_csv = out_dir / "logs" / "metrics.csv"
    earlier = metrics_csv.read_text() if resume and metrics_csv.is_file() and rank() == 0 else None
    trainer = _trainer(cfg, out_dir, extra_callbacks)
    try:
        trainer.fit(lit, train_loader, dev_loader, ckpt_path=str(last) if resume else None)
    finally:
        if (
            earlier is not None
        ):  # the CSV logger starts a new file: keep the rows logged before the resume
            _prepend_csv(metrics_csv, earlier)
    best = trainer.checkpoint_callback.best_model_path
    return Path(best) if best else last


def _prepend_csv(path: Path, earlier: str) -> None:
    import io

    import pandas as pd

    before = pd.read_csv(io.StringIO(earlier))
    after = pd.read_csv(path) if path.is_file() else pd.DataFrame()
    pd.concat([before, after], ignore_index=True).to_csv(path, index=False)


def load_lit(cfg: Config, checkpoint: str | os.PathLike) -> BaseLit:
    """Load a trained module from a checkpoint written by :py:func:`train`."""
    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        raise FileNotFoundError(f"Checkpoint {checkpoint} does not exist")
    cls = LIT_MODULES[cfg.model]
    # the weights come from the checkpoint: never re-read GPT-2 or the base EQTransformer
    kwargs = {"seismoe": {"base_model": None}, "seismollm": {"gpt2": None}}.get(cfg.model, {})
    lit = cls.load_from_checkpoint(checkpoint, map_location="cpu", **kwargs)
    return lit.eval()


def collect_predictions(
    lit: BaseLit,
    dataset: sbd.WaveformDataset,
    batch_size: int = 64,
    device: str | torch.device = "cpu",
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Run the module's evaluation pipeline over ``dataset`` and stack :py:meth:`BaseLit.predict_batch`.

    Picking: ``{phase: (probability curves (N, L) float16, label curves (N, L) float16)}``;
    other tasks: ``{task: (predictions (N,), targets (N,))}``.
    """
    from tqdm.auto import tqdm

    lit = lit.to(device).eval()
    loader = DataLoader(
        make_generator(lit, dataset, train=False), batch_size=batch_size, shuffle=False
    )
    parts: dict[str, tuple[list, list]] = {}
    for batch in tqdm(loader, desc="predict", leave=False, disable=rank() != 0):
        batch = {k: (v.to(device) if torch.is_tensor(v) else v) for k, v in batch.items()}
        for key, (pred, target) in lit.predict_batch(batch).items():
            dtype = np.float16 if pred.ndim == 2 else np.float64
            parts.setdefault(key, ([], []))
            parts[key][0].append(pred.float().cpu().numpy().astype(dtype))
            parts[key][1].append(target.float().cpu().numpy().astype(dtype))
    return {k: (np.concatenate(p), np.concatenate(t)) for k, (p, t) in parts.items()}


def evaluate_protocol_b(
    cfg: Config,
    lit: BaseLit,
    dataset: sbd.WaveformDataset,
    out_dir: str | os.PathLike,
    split: str = "test",
) -> list[dict[str, Any]]:
    """SeisT / SeisMoLLM protocol (docs/reference.md, section 3) on one split: one row of metrics per phase or task,
    residual histograms (PNG) for picking. Rows are also written to ``<out_dir>/results_<split>.csv``."""
    import pandas as pd

    from seisbench_llm.training import metrics

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    preds = collect_predictions(lit, dataset, batch_size=cfg.batch_size)
    sampling_rate = model_sampling_rate(cfg)
    rows = []
    for key, (pred, target) in preds.items():
        row: dict[str, Any] = {
            "run": cfg.run_name,
            "model": cfg.model,
            "data": cfg.data,
            "split": split,
            "protocol": "B",
            "target": key,
            "n": len(pred),
        }
        if key in ("P", "S"):
            pred = pred.astype(np.float32)
            picks = metrics.top1_picks(pred, sampling_rate)
            onsets = metrics.label_onsets(target, near=picks)
            result = metrics.pick_metrics(pred, onsets, sampling_rate, picks=picks)
            residuals = result.pop("residuals", None)
            if residuals is not None and len(residuals):
                metrics.residual_histogram(
                    np.asarray(residuals) / sampling_rate,
                    out_dir / f"residuals_{key}_{split}.png",
                    f"{cfg.run_name}: {key} residuals ({split})",
                )
        elif key == "polarity":
            result = metrics.polarity_metrics(pred.astype(int), target.astype(int))
        else:
            result = metrics.regression_metrics(pred, target, wrap_degrees=key == "back_azimuth")
        row.update({k: v for k, v in result.items() if np.isscalar(v)})
        rows.append(row)
    pd.DataFrame(rows).to_csv(out_dir / f"results_{split}.csv", index=False)
    return rows


def _window_curves(
    lit: BaseLit, dataset: sbd.WaveformDataset, rows, batch_size: int
) -> list[dict[str, np.ndarray]]:
    """Probability curves over each target window ``[start_sample, end_sample)``: a model window of
    ``in_samples`` centred on the target (zero-padded at trace edges), normalised as in annotate."""
    model = lit.model
    n_in = model.in_samples
    out: list[dict[str, np.ndarray]] = []
    rows = list(rows)
    for i in range(0, len(rows), batch_size):
        chunk = rows[i : i + batch_size]
        xs, offsets = [], []
        for row in chunk:
            wave = dataset.get_waveforms(int(row["trace_idx"]))
            start, end = int(row["start_sample"]), int(row["end_sample"])
            w0 = start - (n_in - (end - start)) // 2
            x = np.zeros((wave.shape[0], n_in), dtype=np.float32)
            a0, a1 = max(w0, 0), min(w0 + n_in, wave.shape[-1])
            x[:, a0 - w0 : a1 - w0] = wave[:, a0:a1]
            xs.append(x)
            offsets.append((start - w0, end - w0))
        x = torch.as_tensor(np.stack(xs))
        with torch.no_grad():
            x = model.annotate_batch_pre(x, {})
            if isinstance(x, tuple):
                x = x[0]
            curves = {k: v.float().numpy() for k, v in lit.curves(x).items()}
        for j, (s0, s1) in enumerate(offsets):
            out.append({k: v[j, s0:s1] for k, v in curves.items()})
    return out


def evaluate_protocol_a(
    cfg: Config, lit: BaseLit, dataset: sbd.WaveformDataset, out_dir: str | os.PathLike
) -> dict[str, Any]:
    """Pick benchmark (docs/reference.md, section 3): targets from dev and test (seed 42), thresholds tuned on dev,
    detection AUC/F1, phase-identification MCC, onset residual mean/RMSE/MAE in seconds.
    Written to ``<out_dir>/protocol_a.json``, with residual histograms."""
    import pandas as pd
    from tqdm.auto import tqdm

    from seisbench_llm.training import metrics, protocol_a, targets

    out_dir = Path(out_dir)
    sampling_rate = model_sampling_rate(cfg)
    tgt = targets.generate_targets(dataset, sampling_rate=sampling_rate)
    scored: dict[str, dict[str, pd.DataFrame]] = {}
    for task, per_split in tgt.items():
        for split, df in per_split.items():
            rows = df.to_dict("records")
            curves = []
            for i in tqdm(range(0, len(rows), 256), desc=f"protocol A {task} {split}", leave=False):
                curves += _window_curves(lit, dataset, rows[i : i + 256], cfg.batch_size)
            scores = pd.DataFrame(
                [protocol_a.window_scores(c["P"], c["S"], c.get("Detection")) for c in curves]
            )
            scored.setdefault(task, {})[split] = pd.concat(
                [df.reset_index(drop=True), scores], axis=1
            )
    result = protocol_a.evaluate_protocol_a(
        task1=scored.get("task1"), task23=scored.get("task23"), sampling_rate=sampling_rate
    )
    for phase in ("P", "S"):
        res = result.get(f"test_{phase}_residuals_s")
        if res is not None and len(res):
            metrics.residual_histogram(
                res,
                out_dir / f"protocol_a_residuals_{phase}.png",
                f"{cfg.run_name}: {phase} onset residuals (protocol A, test)",
            )
    scalars = {
        k: (float(v) if isinstance(v, np.floating) else v)
        for k, v in result.items()
        if np.isscalar(v)
    }
    (out_dir / "protocol_a.json").write_text(json.dumps(scalars, indent=2, default=str))
    return scalars


def evaluate(
    cfg: Config,
    checkpoint: str | os.PathLike,
    out_dir: str | os.PathLike,
    split: str = "test",
    protocol_a: bool = False,
) -> dict[str, Any]:
    """Evaluate a checkpoint: protocol B on ``split`` (and protocol A for picking models), on one process."""
    lit = load_lit(cfg, checkpoint)
    dataset = load_dataset(cfg)
    parts = split_datasets(cfg, dataset)
    results: dict[str, Any] = {
        "protocol_b": evaluate_protocol_b(cfg, lit, parts[split], out_dir, split)
    }
    if protocol_a:
        if cfg.task != "picking":
            raise ConfigError("Protocol A (pick benchmark) applies to picking models only")
        eval_ds = (
            dataset if cfg.max_eval_samples is None else _limit_eval_for_protocol_a(dataset, parts)
        )
        results["protocol_a"] = evaluate_protocol_a(cfg, lit, eval_ds, out_dir)
    (Path(out_dir) / "results.json").write_text(json.dumps(results, indent=2, default=str))
    return results


def _limit_eval_for_protocol_a(
    dataset: sbd.WaveformDataset, parts: dict[str, sbd.WaveformDataset]
) -> sbd.WaveformDataset:
    """Keep only the (limited) dev and test traces, so max_eval_samples bounds protocol A too."""
    names = set(parts["dev"].metadata["trace_name"]) | set(parts["test"].metadata["trace_name"])
    return dataset.filter(dataset.metadata["trace_name"].isin(names).to_numpy(), inplace=False)


def export_checkpoint(
    cfg: Config, checkpoint: str | os.PathLike, name: str, results: dict | None = None
) -> Path:
    """Export a checkpoint's model to the SeisBench cache as weights ``name`` (LoRA merged), with the
    config and the evaluation results in its docstring."""
    from seisbench_llm.weights import export_weights

    lit = load_lit(cfg, checkpoint)
    gpt2 = getattr(lit.model, "llm_source", None) if cfg.model == "seismollm" else None
    doc = (
        f"{type(lit.model).__name__} trained by the seisbench_llm harness on {cfg.data} "
        f"(config {cfg.run_name}, task {cfg.task})."
    )
    if cfg.model == "seismollm":
        doc += f" GPT-2 initialisation: {cfg.model_args.get('gpt2') or 'random (no pretrained GPT-2)'}."
    if cfg.data.lower() == "synthetic":
        doc += " Trained on the project's SYNTHETIC dataset: not STEAD weights, not for real data without checking."
    metadata = {
        "data": cfg.data,
        "config": cfg.to_dict(),
        "metrics": results or {},
        "checkpoint": str(checkpoint),
        "gpt2": gpt2,
    }
    return export_weights(lit.model, name, docstring=doc, metadata=metadata)
