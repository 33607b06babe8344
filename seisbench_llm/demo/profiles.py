"""What the demo trains: its profiles and the one place where its harness configs are built."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

__all__ = [
    "BUDGET_MINUTES",
    "DEMO_MINUTES",
    "DEMO_PRECISION",
    "DEMO_PROFILES",
    "TARGET_F1",
    "check_profile",
    "demo_configs",
    "find_local_gpt2",
]

#: Targets of the trained SeisMoLLM on the synthetic test split (protocol B, 0.1 s tolerance).
TARGET_F1 = {"P": 90.0, "S": 80.0}

#: The default demo's time budget on 2 CPU cores, in minutes. Its step count is fixed (so that its
#: figures do not depend on the machine's speed), so slower CPUs take longer (docs/demo.md).
BUDGET_MINUTES = 15.0

#: How long the default demo took on the 2-core machines measured (docs/demo.md), for help texts.
DEMO_MINUTES = "11-27"

#: The demo's training precision. bfloat16 (mixed precision) trains faster per step on CPUs that
#: compute it natively, but its three-seed spread scored lower than float32's on the same kind of
#: machine (docs/demo.md), so the demo trains in float32 unless asked.
DEMO_PRECISION = "float32"

_SEISMOLLM_DEMO = {
    # SeisMoLLM as in docs/reference.md section 1 (multi-scale embedder, GPT-2 blocks with LoRA,
    # picking head) but sized to train in minutes on 2 CPU cores; see DEMO_PROFILES["default"]["note"].
    "in_samples": 3072,
    "n_layers": 1,
    "head_channels": [64, 48, 32, 6],
}

#: What each demo profile trains. ``default`` is the README's demo (:py:data:`DEMO_MINUTES`
#: minutes on 2 CPU cores, by CPU); ``tiny`` is a smoke test (a minute) that exercises every step
#: with toy models.
DEMO_PROFILES: dict[str, dict[str, Any]] = {
    "default": {
        "n_traces": 2000,
        "max_eval_samples": 200,
        "seismollm": {
            "model_args": _SEISMOLLM_DEMO,
            "batch_size": 8,
            "max_epochs": 7,
            "max_train_samples": 1000,  # x2 (clean + augmented copy): 250 steps per epoch
            "cycle_steps": 125,
            # the average of the last ~200 steps' weights: steadier on real data (docs/demo.md)
            "ema_decay": 0.995,
            # a quarter of the augmented copies from a vertical-only station (docs/demo.md)
            "augmentation": {"vertical_only_p": 0.25},
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
            "ema_decay": 0.5,
            "augmentation": {"vertical_only_p": 0.25},
        },
        "eqtransformer": {"batch_size": 8, "max_epochs": 1, "max_train_samples": 16},
        "note": "toy models for a smoke test: the numbers mean nothing.",
    },
}


def find_local_gpt2(source: str | os.PathLike = "gpt2") -> tuple[str, str] | None:
    """Pretrained GPT-2 weights available without network: a ``save_pretrained`` directory, or
    ``source`` in the Hugging Face cache. Nothing is downloaded.

    :param source: A ``save_pretrained`` directory or a hub id.
    :return: ``(source for the harness config, description of where they are)``, or None.
    """
    from seisbench_llm.models.gpt2 import PretrainedGPT2NotFoundError, _read_gpt2_state_dict

    try:
        _, origin = _read_gpt2_state_dict(source, local_files_only=True)
    except (PretrainedGPT2NotFoundError, OSError, ValueError):
        return None
    path = Path(source).expanduser()
    return (str(path.resolve()) if path.is_dir() else str(source)), origin


def check_profile(profile: str) -> str:
    """Check a demo profile name.

    :param profile: Profile name.
    :return: ``profile``.
    :raises ValueError: If it is not a key of :py:data:`DEMO_PROFILES`.
    """
    if profile not in DEMO_PROFILES:
        raise ValueError(f"Unknown demo profile '{profile}'. Valid: {', '.join(DEMO_PROFILES)}")
    return profile


def demo_configs(
    profile: str = "default", gpt2: str | None = None, seed: int = 0, precision: str = "float32"
) -> dict[str, Any]:
    """Validated harness configs (:py:class:`~seisbench_llm.training.config.Config`) of the demo's
    SeisMoLLM and EQTransformer runs. The one place where the demo's training settings are set.

    :param profile: A key of :py:data:`DEMO_PROFILES`.
    :param gpt2: Source of pretrained GPT-2 weights for SeisMoLLM; None keeps random init.
    :param seed: Seed of data splits, initialisation and training.
    :param precision: Training precision of both runs (:py:mod:`seisbench_llm.precision`).
    :return: ``{"seismollm": Config, "eqtransformer": Config}``.
    :raises ValueError: For an unknown profile.
    """
    from seisbench_llm.training.config import validate_config

    prof = DEMO_PROFILES[check_profile(profile)]
    common = {
        "data": "Synthetic",
        "data_args": {"n_traces": prof["n_traces"]},
        "max_eval_samples": prof["max_eval_samples"],
        "num_workers": 0,
        "seed": seed,
    }
    trainer = {"accelerator": "cpu", "devices": 1, "log_every_n_steps": 5, "precision": precision}
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
        "ema_decay": llm["ema_decay"],
        "augmentation": llm["augmentation"],
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
