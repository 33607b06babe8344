"""Lightning modules of the benchmark harness: one base, one module per model.

Every module exposes ``shared_step(batch) -> dict`` of named losses (``loss`` and its parts),
which ``training_step`` / ``validation_step`` log as ``train_<name>`` / ``val_<name>`` (validation
values synchronised across DDP ranks), and the augmentation pipelines it trains and evaluates with.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import seisbench.models as sbm
import torch
import torch.nn.functional as F

from seisbench_llm.models.seismoe import SeisMoE
from seisbench_llm.models.seismollm import SeisMoLLM
from seisbench_llm.training import baseline_pipelines, pipelines


class BaseLit(L.LightningModule):
    """Shared training logic: optimiser and schedule from the config, logging of named losses.

    :param optimizer: ``{"name": "adam"|"adamw"|"sgd", "lr": ..., "weight_decay": ..., "momentum": ...}``.
    :param lr_scheduler: ``{"name": "cyclic"|"cosine"|"step"|"plateau", ...}`` or None.
    """

    model: torch.nn.Module

    def __init__(
        self,
        optimizer: dict | None = None,
        lr_scheduler: dict | None = None,
        lr: float | None = None,
    ):
        super().__init__()
        self.optimizer_config = dict(optimizer or {"name": "adam", "lr": 1e-3})
        if lr is not None:  # the original configs give lr in model_args
            self.optimizer_config["lr"] = lr
        self.scheduler_config = dict(lr_scheduler) if lr_scheduler else None

    def forward(self, x: torch.Tensor) -> Any:
        return self.model(x)

    def shared_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        losses = self.shared_step(batch)
        bs = batch["X"].shape[0]
        self.log_dict(
            {f"train_{k}": v for k, v in losses.items() if k != "loss"},
            batch_size=bs,
            on_step=True,
            on_epoch=True,
        )
        self.log(
            "train_loss", losses["loss"], prog_bar=True, batch_size=bs, on_step=True, on_epoch=True
        )
        return losses["loss"]

    def validation_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        losses = self.shared_step(batch)
        bs = batch["X"].shape[0]
        self.log_dict(
            {f"val_{k}": v for k, v in losses.items() if k != "loss"}, batch_size=bs, sync_dist=True
        )
        self.log("val_loss", losses["loss"], prog_bar=True, batch_size=bs, sync_dist=True)
        return losses["loss"]

    def configure_optimizers(self):
        cfg = self.optimizer_config
        params = [p for p in self.parameters() if p.requires_grad]
        lr, wd = cfg.get("lr", 1e-3), cfg.get("weight_decay", 0.0)
        name = cfg.get("name", "adam")
        if name == "adam":
            opt = torch.optim.Adam(params, lr=lr, weight_decay=wd)
        elif name == "adamw":
            opt = torch.optim.AdamW(params, lr=lr, weight_decay=wd)
        elif name == "sgd":
            opt = torch.optim.SGD(params, lr=lr, weight_decay=wd, momentum=cfg.get("momentum", 0.9))
        else:
            raise ValueError(f"Unknown optimizer '{name}'")
        if not self.scheduler_config:
            return opt
        s = dict(self.scheduler_config)
        kind = s.pop("name")
        interval, monitor = "epoch", None
        if kind == "cyclic":
            s.setdefault("base_lr", lr / 2)
            s.setdefault("max_lr", lr)
            sched = torch.optim.lr_scheduler.CyclicLR(opt, cycle_momentum=name == "sgd", **s)
            interval = "step"  # stepped every batch, as in SeisMoLLM's recipe
        elif kind == "cosine":
            s.setdefault(
                "T_max", max(int(self.trainer.max_epochs or 1), 1) if self._trainer else 100
            )
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, **s)
        elif kind == "step":
            sched = torch.optim.lr_scheduler.StepLR(opt, **{"step_size": 10, **s})
        elif kind == "plateau":
            s = {"min_lr": s.pop("min_lr", 0.0), **s}
            sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **s)
            monitor = "val_loss"
        else:
            raise ValueError(f"Unknown lr_scheduler '{kind}'")
        sched_cfg = {"scheduler": sched, "interval": interval}
        if monitor:
            sched_cfg["monitor"] = monitor
        return {"optimizer": opt, "lr_scheduler": sched_cfg}

    label_index = {"P": 0, "S": 1}  # channel of each phase in the pipeline's label array "y"

    def curves(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Picking models: probability curves ``{"P": (B, L), "S": (B, L)[, "Detection": (B, L)]}``
        for normalised input ``x``."""
        raise NotImplementedError

    @torch.no_grad()
    def predict_batch(self, batch: dict) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """Evaluation outputs: ``{phase: (probability curves (B, L), label curves (B, L))}`` for
        picking, ``{"task": (prediction, target)}`` otherwise."""
        curves = self.curves(batch["X"])
        return {phase: (curves[phase], batch["y"][:, i]) for phase, i in self.label_index.items()}

    # pipelines: implemented per model
    def get_train_augmentations(self) -> list:
        raise NotImplementedError

    def get_val_augmentations(self) -> list:
        raise NotImplementedError

    @property
    def clean_and_augmented(self) -> bool:
        """Whether an epoch shows every trace once clean and once augmented (SeisMoLLM's recipe)."""
        return False


class SeisMoLLMLit(BaseLit):
    """SeisMoLLM for one task with the task's loss (:py:data:`seisbench_llm.tasks.TASKS`, the
    paper's): picking: BCE on [noise, P, S] with channel weights [0, 1, 1]; polarity:
    cross-entropy (label -1 ignored); magnitude, distance: Huber (delta 1); back-azimuth:
    Huber(cos) + Huber(sin).

    :param task: SeisMoLLM task.
    :param setting: ``"stead"`` (6000 samples, 100 Hz) or ``"diting"`` (8192 samples, 50 Hz).
    :param gpt2: Source of pretrained GPT-2 weights (directory or hub id); None keeps random init.
    :param window: Window placement (``"start"``, ``"pick"``, ``"diting"``; None: from the setting),
                   see :py:func:`~seisbench_llm.training.pipelines.seismollm_train_pipeline`.
    :param augmentation: Probabilities of the augmented copy's steps (keyword arguments of
                         :py:func:`~seisbench_llm.training.pipelines.seismollm_augmentation`);
                         None: the paper's.
    :param model_kwargs: Further SeisMoLLM constructor arguments (``in_samples`` overrides the
                         setting's window length, e.g. for a shorter, faster demo model).
    """

    def __init__(
        self,
        task: str = "picking",
        setting: str = "stead",
        gpt2: str | None = None,
        window: str | None = None,
        augmentation: dict | None = None,
        optimizer: dict | None = None,
        lr_scheduler: dict | None = None,
        lr: float | None = None,
        **model_kwargs,
    ):
        super().__init__(optimizer, lr_scheduler, lr)
        self.save_hyperparameters()
        self.task, self.setting, self.window = task, setting, window
        self.augmentation = dict(augmentation or {})
        geometry = pipelines.SEISMOLLM_SETTINGS[setting]
        self.model = SeisMoLLM(task=task, **{**geometry, **model_kwargs})
        if gpt2:
            self.model.load_gpt2_weights(gpt2)

    @property
    def clean_and_augmented(self) -> bool:
        return True

    def get_train_augmentations(self) -> list:
        return pipelines.seismollm_train_pipeline(
            self.task,
            self.setting,
            in_samples=self.model.in_samples,
            window=self.window,
            **self.augmentation,
        )

    def get_val_augmentations(self) -> list:
        return pipelines.seismollm_eval_pipeline(
            self.task, self.setting, in_samples=self.model.in_samples, window=self.window
        )

    label_index = {"P": 1, "S": 2}

    def curves(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        pred = self.model(x)
        return {"P": pred[:, 1], "S": pred[:, 2]}

    @torch.no_grad()
    def predict_batch(self, batch: dict) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        task = self.model.task_spec
        if task.output_type == "array":
            return super().predict_batch(batch)
        return {task.name: task.evaluation_pair(self.model(batch["X"]), batch[task.key])}

    def shared_step(self, batch: dict) -> dict[str, torch.Tensor]:
        task = self.model.task_spec
        return task.loss(self.model(batch["X"], logits=True), batch[task.key])


def eqtransformer_losses(
    det: torch.Tensor, p: torch.Tensor, s: torch.Tensor, batch: dict
) -> dict[str, torch.Tensor]:
    """Pick-benchmark EQTransformer loss: BCE on detection, P and S with weights 0.05 / 0.40 / 0.55."""
    y = batch["y"]
    loss_det = F.binary_cross_entropy(det, batch["detections"][:, 0])
    loss_p = F.binary_cross_entropy(p, y[:, 0])
    loss_s = F.binary_cross_entropy(s, y[:, 1])
    return {
        "loss": 0.05 * loss_det + 0.40 * loss_p + 0.55 * loss_s,
        "loss_det": loss_det,
        "loss_p": loss_p,
        "loss_s": loss_s,
    }


class EQTransformerLit(BaseLit):
    """SeisBench's EQTransformer trained with the pick benchmark's recipe, built with
    ``norm="peak"`` (the normalisation of its pipelines) unless ``norm`` is given."""

    def __init__(
        self,
        rotate_array: bool = False,
        optimizer: dict | None = None,
        lr_scheduler: dict | None = None,
        lr: float | None = None,
        **model_kwargs,
    ):
        super().__init__(optimizer, lr_scheduler, lr)
        self.save_hyperparameters()
        self.rotate_array = rotate_array
        self.model = sbm.EQTransformer(**{"norm": baseline_pipelines.EQTRANSFORMER_NORM, **model_kwargs})

    def get_train_augmentations(self) -> list:
        return baseline_pipelines.eqtransformer_train_pipeline(
            rotate_array=self.rotate_array, in_samples=self.model.in_samples
        )

    def get_val_augmentations(self) -> list:
        return baseline_pipelines.eqtransformer_eval_pipeline(in_samples=self.model.in_samples)

    def shared_step(self, batch: dict) -> dict[str, torch.Tensor]:
        det, p, s = self.model(batch["X"])
        return eqtransformer_losses(det, p, s, batch)

    def curves(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        det, p, s = self.model(x)
        return {"P": p, "S": s, "Detection": det}


class SeisMoELit(EQTransformerLit):
    """SeisMoE with the original reference's arguments; logs loss, loss_det, loss_p, loss_s,
    moe_loss and per-expert usage.

    :param base_model: EQTransformer to start from: a SeisBench weight name such as "stead", a weight
                       file path, a harness checkpoint (``.ckpt``) of an EQTransformer run, or None
                       for a randomly initialised EQTransformer.
    :param moe_loss_coef: Weight of the MoE auxiliary loss (balancing + z-loss).
    :param freeze_non_moe: Train only experts and routers.
    """

    def __init__(
        self,
        base_model: str | sbm.EQTransformer | None = "stead",
        num_experts: int = 4,
        num_experts_per_token: int = 2,
        moe_loss_coef: float = 0.01,
        rotate_array: bool = False,
        freeze_non_moe: bool = False,
        moe_blocks: tuple[str, ...] = ("transformer_d0", "transformer_d"),
        expert_noise: float = 0.01,
        router_jitter: float = 0.01,
        z_loss_coef: float = 1e-3,
        optimizer: dict | None = None,
        lr_scheduler: dict | None = None,
        lr: float | None = None,
        seed: int = 0,
    ):
        super(EQTransformerLit, self).__init__(
            optimizer, lr_scheduler, lr
        )  # skip building an EQTransformer
        self.save_hyperparameters(
            ignore=["base_model"] if not isinstance(base_model, str | None) else None
        )
        self.rotate_array = rotate_array
        self.moe_loss_coef = moe_loss_coef
        self.z_loss_coef = z_loss_coef
        if base_model is None:
            base = sbm.EQTransformer(norm=baseline_pipelines.EQTRANSFORMER_NORM)
        elif isinstance(base_model, str) and base_model.endswith(
            ".ckpt"
        ):  # a harness EQTransformer run
            base = EQTransformerLit.load_from_checkpoint(base_model, map_location="cpu").model
        else:
            base = base_model
        self.model = SeisMoE.from_eqtransformer(
            base,
            num_experts=num_experts,
            num_experts_per_token=num_experts_per_token,
            moe_blocks=moe_blocks,
            expert_noise=expert_noise,
            router_jitter=router_jitter,
            seed=seed,
        )
        # trained on peak-normalised windows: annotate and exported weights must normalise alike,
        # whatever normalisation the base weights were published with
        self.model.norm = baseline_pipelines.EQTRANSFORMER_NORM
        if freeze_non_moe:
            self.model.freeze_non_moe()

    def shared_step(self, batch: dict) -> dict[str, torch.Tensor]:
        det, p, s = self.model(batch["X"])
        losses = eqtransformer_losses(det, p, s, batch)
        moe_loss = self.model.moe_loss(self.z_loss_coef)
        losses["loss"] = losses["loss"] + self.moe_loss_coef * moe_loss
        losses["moe_loss"] = moe_loss
        return losses

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = super().training_step(batch, batch_idx)
        for block, usage in self.model.expert_usage().items():
            share = usage / usage.sum().clamp(min=1)
            for i, value in enumerate(share):
                self.log(
                    f"usage_{block}_e{i}",
                    value,
                    on_step=False,
                    on_epoch=True,
                    batch_size=batch["X"].shape[0],
                )
        return loss


class PhaseNetLit(BaseLit):
    """SeisBench's PhaseNet with the pick benchmark's recipe (cross-entropy over P, S, noise)."""

    def __init__(
        self,
        optimizer: dict | None = None,
        lr_scheduler: dict | None = None,
        lr: float | None = None,
        **model_kwargs,
    ):
        super().__init__(optimizer, lr_scheduler, lr)
        self.save_hyperparameters()
        self.model = sbm.PhaseNet(**{"phases": "PSN", **model_kwargs})

    def get_train_augmentations(self) -> list:
        return baseline_pipelines.phasenet_train_pipeline()

    def get_val_augmentations(self) -> list:
        return baseline_pipelines.phasenet_eval_pipeline()

    def shared_step(self, batch: dict) -> dict[str, torch.Tensor]:
        pred = self.model(batch["X"])
        y = batch["y"]
        loss = -(y * torch.log(pred + 1e-5)).mean(-1).sum(-1).mean()
        return {"loss": loss}

    def curves(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        pred = self.model(x)
        return {"P": pred[:, 0], "S": pred[:, 1]}


LIT_MODULES = {
    "seismollm": SeisMoLLMLit,
    "seismoe": SeisMoELit,
    "eqtransformer": EQTransformerLit,
    "phasenet": PhaseNetLit,
}
