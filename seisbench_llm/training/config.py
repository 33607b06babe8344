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
      "random_split": null,              # or {"fractions": [0.8, 0.1, 0.1], "seed": 0}: re-split the
                                         # dataset at random by trace instead of its own split
      "model_args": {...},               # model constructor / Lightning-module arguments
      "trainer_args": {"max_epochs": 5, "accelerator": "cpu", "devices": 1},   # lightning.Trainer
      "batch_size": 32, "num_workers": 0,
      "optimizer": {"name": "adam", "lr": 1e-3, "weight_decay": 0.0},
      "lr_scheduler": {"name": "cyclic", "base_lr": 5e-4, "max_lr": 1e-3, "step_size_up": 4500, "step_size_down": 5000},
      "early_stopping_patience": 30, "gradient_clip": null, "seed": 0,
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

MODELS = ("seismollm", "seismoe", "eqtransformer", "phasenet")
TASKS = ("picking", "polarity", "magnitude", "distance", "back_azimuth")
SETTINGS = ("stead", "diting")
OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULERS = ("cyclic", "cosine", "step", "plateau")

SCHEDULER_KEYS = {
    "cyclic": {"base_lr", "max_lr", "step_size_up", "step_size_down", "mode"},
    "cosine": {"T_max", "eta_min"},
    "step": {"step_size", "gamma"},
    "plateau": {"factor", "patience", "min_lr"},
}
OPTIMIZER_KEYS = {"name", "lr", "weight_decay", "momentum"}
CHECKPOINT_KEYS = {"monitor", "save_last", "save_top_k"}

MODEL_ARGS = {
    "seismollm": {
        "d_model",
        "n_layers",
        "n_heads",
        "n_positions",
        "dropout",
        "patch_size",
        "embed_channels",
        "embed_kernels",
        "embed_scale_strides",
        "embed_strides",
        "head_channels",
        "head_kernels",
        "lora_r",
        "lora_alpha",
        "lora_dropout",
        "magnitude_scale",
        "distance_scale",
        "p_position",
        "in_samples",
        "gpt2",
        "lr",
    },
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
    "random_split": None,
    "model_args": {},
    "trainer_args": {},
    "batch_size": 32,
    "num_workers": 0,
    "optimizer": {"name": "adam", "lr": 1e-3, "weight_decay": 0.0},
    "lr_scheduler": None,
    "early_stopping_patience": None,
    "gradient_clip": None,
    "seed": 0,
    "checkpointing": {"monitor": "val_loss", "save_last": True, "save_top_k": 1},
    "max_train_samples": None,
    "max_eval_samples": None,
}
REQUIRED = ("model", "data")


class ConfigError(ValueError):
    """An invalid harness configuration; the message lists the valid keys or values."""


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


def _choice(value: Any, valid: tuple[str, ...], what: str) -> str:
    if not isinstance(value, str) or value.lower() not in valid:
        raise ConfigError(f"Invalid {what} {value!r}. Valid values: {', '.join(valid)}")
    return value.lower()


def _keys(given: dict, valid: set[str] | tuple[str, ...], what: str) -> None:
    if not isinstance(given, dict):
        raise ConfigError(f"{what} must be a JSON object, got {type(given).__name__}")
    unknown = sorted(set(given) - set(valid))
    if unknown:
        raise ConfigError(
            f"Unknown key(s) in {what}: {', '.join(unknown)}. Valid keys: {', '.join(sorted(valid))}"
        )


def validate_config(raw: dict[str, Any], path: str | os.PathLike | None = None) -> Config:
    """Check a config dict and fill defaults.

    :raises ConfigError: On a missing or unknown key or an invalid value.
    """
    _keys(raw, set(DEFAULTS) | set(REQUIRED), "config")
    for key in REQUIRED:
        if key not in raw:
            raise ConfigError(f"Missing required key '{key}'")
    cfg = copy.deepcopy(DEFAULTS)
    cfg.update(copy.deepcopy(raw))

    cfg["model"] = _choice(cfg["model"], MODELS, "model")
    cfg["task"] = _choice(cfg["task"], TASKS, "task")
    if cfg["model"] != "seismollm" and cfg["task"] != "picking":
        raise ConfigError(
            f"Model '{cfg['model']}' only supports task 'picking', got '{cfg['task']}'"
        )
    cfg["setting"] = _choice(cfg["setting"], SETTINGS, "setting")
    if not isinstance(cfg["data"], str) or not cfg["data"]:
        raise ConfigError("data must be a dataset class name or a path")
    _keys(cfg["data_args"], set(cfg["data_args"]), "data_args")
    _keys(cfg["model_args"], MODEL_ARGS[cfg["model"]], f"model_args of {cfg['model']}")
    _keys(cfg["trainer_args"], set(cfg["trainer_args"]), "trainer_args")

    opt = cfg["optimizer"]
    if isinstance(opt, str):
        opt = {"name": opt}
    _keys(opt, OPTIMIZER_KEYS, "optimizer")
    opt = {**DEFAULTS["optimizer"], **opt}
    opt["name"] = _choice(opt["name"], OPTIMIZERS, "optimizer")
    cfg["optimizer"] = opt

    sched = cfg["lr_scheduler"]
    if sched is not None:
        if isinstance(sched, str):
            sched = {"name": sched}
        _keys(sched, {"name"} | set().union(*SCHEDULER_KEYS.values()), "lr_scheduler")
        name = _choice(sched.get("name"), SCHEDULERS, "lr_scheduler")
        _keys(
            {k: v for k, v in sched.items() if k != "name"},
            SCHEDULER_KEYS[name],
            f"lr_scheduler '{name}'",
        )
        sched["name"] = name
        cfg["lr_scheduler"] = sched

    ckpt = cfg["checkpointing"]
    _keys(ckpt, CHECKPOINT_KEYS, "checkpointing")
    cfg["checkpointing"] = {**DEFAULTS["checkpointing"], **ckpt}

    for key in ("batch_size", "num_workers", "seed"):
        if not isinstance(cfg[key], int) or cfg[key] < (1 if key == "batch_size" else 0):
            raise ConfigError(
                f"{key} must be a {'positive' if key == 'batch_size' else 'non-negative'} integer, got {cfg[key]!r}"
            )
    for key in ("early_stopping_patience", "max_train_samples", "max_eval_samples"):
        if cfg[key] is not None and (not isinstance(cfg[key], int) or cfg[key] < 1):
            raise ConfigError(f"{key} must be null or a positive integer, got {cfg[key]!r}")
    if cfg["gradient_clip"] is not None and not isinstance(cfg["gradient_clip"], int | float):
        raise ConfigError(f"gradient_clip must be null or a number, got {cfg['gradient_clip']!r}")
    _check_data_options(cfg)
    return Config(cfg, Path(path) if path is not None else None)


def _check_data_options(cfg: dict[str, Any]) -> None:
    """``window`` (SeisMoLLM only) and ``random_split``."""
    from seisbench_llm.training.windows import WINDOWS

    if cfg["window"] is not None:
        if cfg["model"] != "seismollm":
            raise ConfigError(
                f"window applies to seismollm only ({cfg['model']} always uses the pick benchmark's windows)"
            )
        cfg["window"] = _choice(cfg["window"], WINDOWS, "window")
    split = cfg["random_split"]
    if split is None:
        return
    _keys(split, {"fractions", "seed"}, "random_split")
    fractions = split.get("fractions", [0.8, 0.1, 0.1])
    if (
        not isinstance(fractions, list | tuple)
        or len(fractions) != 3
        or not all(isinstance(f, int | float) and f >= 0 for f in fractions)
        or abs(sum(fractions) - 1) > 1e-6
    ):
        raise ConfigError(
            f"random_split.fractions must be 3 non-negative numbers (train, dev, test) summing to 1, got {fractions!r}"
        )
    seed = split.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"random_split.seed must be an integer, got {seed!r}")
    cfg["random_split"] = {"fractions": [float(f) for f in fractions], "seed": seed}


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
