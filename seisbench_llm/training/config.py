"""Benchmark-harness configuration: JSON files, validated with errors that list the valid choices.

A config (see ``benchmarks/configs/``)::

    {
      "model": "seismollm",              # seismollm | seismoe | eqtransformer | phasenet
      "task": "picking",                 # seismollm: picking | polarity | magnitude | distance | back_azimuth
      "data": "Synthetic",               # a SeisBench dataset class name ("STEAD", "ETHZ", ...), "DiTing",
                                         # "Synthetic", or a path to any SeisBench-format dataset
      "data_args": {"n_traces": 2000},   # keyword arguments of the dataset class
      "setting": "stead",                # seismollm pipelines: stead (6000 @ 100 Hz) | diting (8192 @ 50 Hz)
      "window": null,                    # seismollm window placement: start | pick | diting (default
                                         # from the setting: diting -> diting, else start)
      "augmentation": {},                # seismollm: probabilities of the augmented copy's steps,
                                         # e.g. {"vertical_only_p": 0.25} (seismollm_augmentation)
      "random_split": null,              # or {"fractions": [0.8, 0.1, 0.1], "seed": 0}: re-split the
                                         # dataset at random by trace instead of its own split
      "model_args": {...},               # model constructor / Lightning-module arguments
      "trainer_args": {"max_epochs": 5, "accelerator": "cpu", "devices": 1},   # lightning.Trainer
      "batch_size": 32, "num_workers": 0,
      "optimizer": {"name": "adam", "lr": 1e-3, "weight_decay": 0.0},
      "lr_scheduler": {"name": "cyclic", "base_lr": 5e-4, "max_lr": 1e-3, "step_size_up": 4500, "step_size_down": 5000},
      "early_stopping_patience": 30, "gradient_clip": null, "seed": 0,
      "ema_decay": null,                 # or e.g. 0.995: validate, checkpoint and export an
                                         # exponential moving average of the weights
      "checkpointing": {"monitor": "val_loss", "save_last": true},
      "max_train_samples": null, "max_eval_samples": null
    }

SeisMoE keeps the original reference's keys in ``model_args``: ``base_model``, ``num_experts``,
``num_experts_per_token``, ``moe_loss_coef``, ``lr``, ``rotate_array``, ``freeze_non_moe``.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seisbench_llm.tasks import TASKS
from seisbench_llm.training.rules import (
    ANY,
    BOOL,
    COUNT,
    FRACTION,
    NON_NEGATIVE,
    OBJECT,
    POSITIVE,
    POSITIVE_INT,
    PROBABILITY,
    STEPS,
    TEXT,
    ConfigError,
    Rule,
    check_section,
    choice,
    signature_rules,
)

MODELS = ("seismollm", "seismoe", "eqtransformer", "phasenet")
SETTINGS = ("stead", "diting")
OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULERS = ("cyclic", "cosine", "step", "plateau")

#: SeisMoLLM arguments the harness sets itself: ``task`` from the config's ``task``,
#: ``sampling_rate`` from its ``setting``; the pipelines fix ``component_order`` and ``phases``.
SEISMOLLM_SET_BY_HARNESS = ("task", "sampling_rate", "component_order", "phases")

#: ``model_args`` keys per model. SeisMoLLM's: its Lightning module's ``gpt2`` and ``lr`` and the
#: fields of :py:class:`~seisbench_llm.models.config.SeisMoLLMConfig` (see :py:func:`model_arg_rules`).
MODEL_ARGS = {
    "seismoe": {
        "base_model",
        "num_experts",
        "num_experts_per_token",
        "moe_loss_coef",
        "lr",
        "rotate_array",
        "freeze_non_moe",
        "moe_blocks",
        "expert_noise",
        "router_jitter",
        "z_loss_coef",
    },
    "eqtransformer": {"lr", "rotate_array", "in_samples", "lstm_blocks", "drop_rate", "norm"},
    "phasenet": {"lr", "in_samples", "norm"},
}

DEFAULTS: dict[str, Any] = {
    "name": None,
    "task": "picking",
    "data_args": {},
    "setting": "stead",
    "window": None,
    "augmentation": {},
    "random_split": None,
    "model_args": {},
    "trainer_args": {},
    "batch_size": 32,
    "num_workers": 0,
    "optimizer": {"name": "adam", "lr": 1e-3, "weight_decay": 0.0},
    "lr_scheduler": None,
    "early_stopping_patience": None,
    "gradient_clip": None,
    "ema_decay": None,
    "seed": 0,
    "checkpointing": {"monitor": "val_loss", "save_last": True, "save_top_k": 1},
    "max_train_samples": None,
    "max_eval_samples": None,
}
REQUIRED = ("model", "data")


@dataclass
class Config:
    """A validated harness configuration (all keys present, defaults filled)."""

    raw: dict[str, Any]
    path: Path | None = None

    def __getattr__(self, key: str) -> Any:
        try:
            return self.__dict__["raw"][key]
        except KeyError as e:
            raise AttributeError(key) from e

    @property
    def run_name(self) -> str:
        if self.raw.get("name"):
            return self.raw["name"]
        if self.path is not None:
            return self.path.stem
        data = Path(str(self.raw["data"])).name.lower()
        suffix = "" if self.raw["task"] == "picking" else f"_{self.raw['task']}"
        return f"{data}_{self.raw['model']}{suffix}"

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.raw)


# ------------------------------------------------------------------------------ the schema
#: Top-level keys of a config (``model`` and ``data`` are required, see :py:data:`DEFAULTS`).
CONFIG_RULES: dict[str, Rule] = {
    "name": TEXT.or_null(),
    "model": choice(MODELS),
    "task": choice(TASKS),
    "data": TEXT,
    "data_args": OBJECT,
    "setting": choice(SETTINGS),
    "model_args": OBJECT,
    "trainer_args": OBJECT,
    "batch_size": POSITIVE_INT,
    "num_workers": COUNT,
    "optimizer": Rule((dict, str), "an optimizer name or a JSON object"),
    "lr_scheduler": Rule((dict, str, type(None)), "null, a scheduler name or a JSON object"),
    "early_stopping_patience": POSITIVE_INT.or_null(),
    "gradient_clip": POSITIVE.or_null(),
    "ema_decay": FRACTION.or_null(),
    "seed": COUNT,
    "checkpointing": OBJECT,
    "max_train_samples": POSITIVE_INT.or_null(),
    "max_eval_samples": POSITIVE_INT.or_null(),
    "window": TEXT.or_null(),
    "augmentation": OBJECT,
    "random_split": Rule(
        (dict, type(None)), 'null or {"fractions": [train, dev, test], "seed": N}'
    ),
}
RANDOM_SPLIT_RULES = {
    "fractions": Rule(
        (list, tuple),
        "3 numbers >= 0 (train, dev, test) summing to 1",
        lambda v: (
            len(v) == 3
            and all(isinstance(f, int | float) and not isinstance(f, bool) and f >= 0 for f in v)
            and abs(sum(v) - 1) < 1e-6
        ),
    ),
    "seed": COUNT,
}
OPTIMIZER_RULES = {
    "name": choice(OPTIMIZERS),
    "lr": POSITIVE,
    "weight_decay": NON_NEGATIVE,
    "momentum": NON_NEGATIVE,
}
SCHEDULER_RULES: dict[str, dict[str, Rule]] = {
    "cyclic": {
        "base_lr": POSITIVE,
        "max_lr": POSITIVE,
        "step_size_up": POSITIVE_INT,
        "step_size_down": POSITIVE_INT,
        "mode": choice(("triangular", "triangular2", "exp_range")),
    },
    "cosine": {"T_max": POSITIVE_INT, "eta_min": NON_NEGATIVE},
    "step": {"step_size": POSITIVE_INT, "gamma": POSITIVE},
    "plateau": {"factor": FRACTION, "patience": COUNT, "min_lr": NON_NEGATIVE},
}
CHECKPOINT_RULES = {
    "monitor": TEXT,
    "save_last": BOOL,
    "save_top_k": Rule((int,), "an integer >= -1 (-1: keep all)", lambda v: v >= -1),
}
#: ``lightning.Trainer`` arguments a config may set (the harness sets callbacks, loggers, the
#: output folder and ``gradient_clip_val`` itself).
TRAINER_RULES: dict[str, Rule] = {
    "max_epochs": STEPS.or_null(),
    "min_epochs": COUNT.or_null(),
    "max_steps": STEPS,
    "min_steps": COUNT.or_null(),
    "max_time": Rule((str, dict, type(None)), 'null, "DD:HH:MM:SS" or {"hours": ...}'),
    "accelerator": TEXT,
    "devices": Rule(
        (int, str, list),
        'an integer >= 1, "auto" or a list of device ids',
        lambda v: not isinstance(v, int) or v >= 1,
    ),
    "num_nodes": POSITIVE_INT,
    "strategy": TEXT,
    "precision": Rule(
        (int, str, type(None)),
        '"auto", "float32", "bfloat16", "float16" (see seisbench_llm.precision) or Lightning\'s '
        'own (32, "bf16-mixed", ...)',
    ),
    "log_every_n_steps": POSITIVE_INT,
    "val_check_interval": Rule(
        (int, float, type(None)), "null or a number > 0", lambda v: v is None or v > 0
    ),
    "check_val_every_n_epoch": POSITIVE_INT.or_null(),
    "num_sanity_val_steps": STEPS,
    "limit_train_batches": POSITIVE.or_null(),
    "limit_val_batches": NON_NEGATIVE.or_null(),
    "limit_test_batches": NON_NEGATIVE.or_null(),
    "overfit_batches": NON_NEGATIVE,
    "accumulate_grad_batches": POSITIVE_INT,
    "fast_dev_run": Rule(
        (bool, int), "true, false or an integer >= 0", lambda v: isinstance(v, bool) or v >= 0
    ),
    "enable_progress_bar": BOOL,
    "enable_model_summary": BOOL,
    "deterministic": Rule((bool, str, type(None)), 'null, true, false or "warn"'),
    "benchmark": BOOL.or_null(),
    "detect_anomaly": BOOL,
    "sync_batchnorm": BOOL,
    "use_distributed_sampler": BOOL,
    "reload_dataloaders_every_n_epochs": COUNT,
    "profiler": TEXT.or_null(),
}
#: Constraints on model arguments beyond the type of their default (SeisMoE, EQTransformer,
#: PhaseNet and the Lightning modules; SeisMoLLM's come with its config).
MODEL_ARG_RULES: dict[str, Rule] = {
    "lr": POSITIVE,
    "drop_rate": FRACTION,
    "in_samples": POSITIVE_INT,
    "num_experts": POSITIVE_INT,
    "num_experts_per_token": POSITIVE_INT,
    "moe_loss_coef": NON_NEGATIVE,
    "base_model": TEXT.or_null(),
}


def seismollm_arg_rules() -> dict[str, Rule]:
    """Rules of the SeisMoLLM arguments a config may set: type, check and words from
    :py:class:`~seisbench_llm.models.config.SeisMoLLMConfig`."""
    from seisbench_llm.models.config import SeisMoLLMConfig

    return {
        name: Rule((object,), spec.allowed, spec.accepts)
        for name, spec in SeisMoLLMConfig.arg_specs().items()
        if name not in SEISMOLLM_SET_BY_HARNESS
    }


def model_arg_rules(model: str) -> dict[str, Rule]:
    """Rules of ``model_args`` for ``model``: SeisMoLLM's from its config (plus ``gpt2``, ``lr``);
    the others' the keys of :py:data:`MODEL_ARGS`, typed by the defaults of the model's (and its
    Lightning module's) constructor and :py:data:`MODEL_ARG_RULES`."""
    from seisbench_llm.training.lit import LIT_MODULES

    if model == "seismollm":
        return {"gpt2": TEXT.or_null(), "lr": MODEL_ARG_RULES["lr"], **seismollm_arg_rules()}
    lit = LIT_MODULES[model]
    inner = lit.__init__
    if model in ("eqtransformer", "phasenet"):
        import seisbench.models as sbm

        inner = {"eqtransformer": sbm.EQTransformer, "phasenet": sbm.PhaseNet}[model].__init__
    typed = signature_rules(lit.__init__, inner)
    return {key: MODEL_ARG_RULES.get(key, typed.get(key, ANY)) for key in MODEL_ARGS[model]}


def data_arg_rules(data: str) -> dict[str, Rule] | None:
    """Rules of ``data_args`` for dataset ``data`` from its class's constructor (and SeisBench's
    ``WaveformDataset``, which receives the remaining keyword arguments); None if ``data`` names
    no known dataset class (the harness reports that when it loads the data)."""
    import seisbench.data as sbd

    if data.lower() == "synthetic":
        from seisbench_llm.data import Synthetic as cls
    elif data.lower() == "diting":
        from seisbench_llm.data.diting import DiTing as cls
    elif Path(data).expanduser().is_dir():
        cls = sbd.WaveformDataset
    else:
        cls = getattr(sbd, data, None)
        if not (isinstance(cls, type) and issubclass(cls, sbd.WaveformDataset)):
            return None
    rules = signature_rules(
        cls.__init__, sbd.BenchmarkDataset.__init__, sbd.WaveformDataset.__init__
    )
    if cls is sbd.WaveformDataset:
        rules.pop("path")  # given by ``data`` itself
    return rules


def _named(value: dict | str) -> dict[str, Any]:
    """``"adam"`` -> ``{"name": "adam"}``; a copy of dicts."""
    return {"name": value} if isinstance(value, str) else dict(value)


def validate_config(raw: dict[str, Any], path: str | os.PathLike | None = None) -> Config:
    """Check a config dict against the typed schema and fill defaults.

    :raises ConfigError: On a missing or unknown key or a value of the wrong type or range; the
                         message names the key, the value and what is allowed.
    """
    check_section(raw, CONFIG_RULES, "config")
    for key in REQUIRED:
        if key not in raw:
            raise ConfigError(f"Missing required key '{key}'")
    cfg = copy.deepcopy(DEFAULTS)
    cfg.update(copy.deepcopy(raw))
    for key in ("model", "task", "setting"):
        cfg[key] = cfg[key].lower()
    if cfg["model"] != "seismollm" and cfg["task"] != "picking":
        raise ConfigError(
            f"Model '{cfg['model']}' only supports task 'picking', got '{cfg['task']}'"
        )
    data_rules = data_arg_rules(cfg["data"])
    if data_rules is not None:
        check_section(cfg["data_args"], data_rules, "data_args")
    check_section(cfg["model_args"], model_arg_rules(cfg["model"]), "model_args")
    check_section(cfg["trainer_args"], TRAINER_RULES, "trainer_args")

    opt = check_section(_named(cfg["optimizer"]), OPTIMIZER_RULES, "optimizer")
    cfg["optimizer"] = {**DEFAULTS["optimizer"], **opt, "name": opt.get("name", "adam").lower()}
    if cfg["lr_scheduler"] is not None:
        sched = _named(cfg["lr_scheduler"])
        name = sched.get("name")
        choice(SCHEDULERS).check("lr_scheduler.name", name)
        name = name.lower()
        params = {k: v for k, v in sched.items() if k != "name"}
        check_section(params, SCHEDULER_RULES[name], f"lr_scheduler '{name}'")
        cfg["lr_scheduler"] = {"name": name, **params}
    ckpt = check_section(cfg["checkpointing"], CHECKPOINT_RULES, "checkpointing")
    cfg["checkpointing"] = {**DEFAULTS["checkpointing"], **ckpt}
    _check_data_options(cfg)
    return Config(cfg, Path(path) if path is not None else None)


def augmentation_rules() -> dict[str, Rule]:
    """Rules of ``augmentation``: the probabilities of
    :py:func:`~seisbench_llm.training.pipelines.seismollm_augmentation` (``event_to_noise_p`` may
    be null: the task's default)."""
    from seisbench_llm.training.pipelines import seismollm_augmentation

    rules = {key: PROBABILITY for key in signature_rules(seismollm_augmentation) if key != "task"}
    rules["event_to_noise_p"] = PROBABILITY.or_null()
    return rules


def _check_data_options(cfg: dict[str, Any]) -> None:
    """``window`` and ``augmentation`` (SeisMoLLM only) and ``random_split`` (filled with its
    defaults)."""
    from seisbench_llm.training.windows import WINDOWS

    for key, why in (
        ("window", "it always uses the pick benchmark's windows"),
        ("augmentation", "it uses the pick benchmark's augmentations"),
    ):
        if cfg[key] and cfg["model"] != "seismollm":
            raise ConfigError(
                f"{key} applies to seismollm only: {key} = {json.dumps(cfg[key])} is not "
                f"allowed for {cfg['model']} ({why})"
            )
    check_section(cfg["augmentation"], augmentation_rules(), "augmentation")
    if cfg["window"] is not None:
        choice(WINDOWS).check("window", cfg["window"])
        cfg["window"] = cfg["window"].lower()
    if cfg["random_split"] is not None:
        split = check_section(cfg["random_split"], RANDOM_SPLIT_RULES, "random_split")
        fractions = split.get("fractions", [0.8, 0.1, 0.1])
        cfg["random_split"] = {
            "fractions": [float(f) for f in fractions],
            "seed": split.get("seed", 0),
        }


def load_config(path: str | os.PathLike) -> Config:
    """Read and validate a JSON config file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Config file {path} does not exist")
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ConfigError(f"Config file {path} is not valid JSON: {e}") from e
    return validate_config(raw, path)


def checkpoint_identity(hparams: dict[str, Any]) -> dict[str, str]:
    """Model, task and setting of a harness checkpoint, from the Lightning module's hyperparameters
    (only SeisMoLLM's module has ``setting``, only SeisMoE's ``num_experts``, EQTransformer's
    ``rotate_array``)."""
    if "setting" in hparams:
        return {
            "model": "seismollm",
            "task": str(hparams.get("task", "picking")),
            "setting": str(hparams["setting"]),
        }
    if "num_experts" in hparams:
        return {"model": "seismoe", "task": "picking"}
    if "rotate_array" in hparams:
        return {"model": "eqtransformer", "task": "picking"}
    return {"model": "phasenet", "task": "picking"}


def check_checkpoint(cfg: Config, path: str | os.PathLike) -> Path:
    """Refuse a checkpoint that is missing, unreadable or of another model, task or setting than
    ``cfg``, with one line naming the file and what it holds.

    :param cfg: The validated config the checkpoint is used with.
    :param path: A Lightning checkpoint written by the harness.
    :return: The checkpoint path.
    :raises ConfigError: The checkpoint cannot be used with ``cfg``.
    """
    import pickle

    import torch

    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"checkpoint {path} does not exist")
    try:
        content = torch.load(path, map_location="cpu", weights_only=False, mmap=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, ValueError, OSError) as error:
        first = (str(error).strip().splitlines() or [""])[0][:160]
        raise ConfigError(
            f"checkpoint {path} is truncated or not a checkpoint ({type(error).__name__}: "
            f"{first}); use a .ckpt written by benchmarks/train.py"
        ) from error
    if not isinstance(content, dict) or "state_dict" not in content:
        raise ConfigError(
            f"checkpoint {path} holds no Lightning state_dict; use a .ckpt written by "
            "benchmarks/train.py"
        )
    found = checkpoint_identity(dict(content.get("hyper_parameters") or {}))
    wanted = {key: cfg.raw[key] for key in found}
    if found != wanted:
        held = ", ".join(f"{k} {v}" for k, v in found.items())
        expected = ", ".join(f"{k} {v}" for k, v in wanted.items())
        raise ConfigError(
            f"checkpoint {path} holds {held}, but config {cfg.run_name} is {expected}; use the "
            "config the checkpoint was trained with"
        )
    return path
