"""SeisMoE: EQTransformer whose transformer feed-forward layers are mixtures of experts."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import seisbench
import seisbench.models as sbm
import seisbench.util as sbu
import torch
from torch import nn

from seisbench_llm.models.inputs import InputHandling
from seisbench_llm.models.moe import MoEFeedForward
from seisbench_llm.models.picks import PS_SEPARATION_ARG, one_phase_per_onset
from seisbench_llm.weights import RegistryMixin, WeightsNotFoundError, model_folder

MOE_BLOCKS = ("transformer_d0", "transformer_d")


class SeisMoE(InputHandling, RegistryMixin, sbm.EQTransformer):
    """EQTransformer with mixture-of-experts feed-forwards in its transformer blocks.

    Everything else (architecture, annotate/classify, labels ``SeisMoE_Detection``, ``SeisMoE_P``,
    ``SeisMoE_S``, thresholds, blinding, overlap) is EQTransformer's, with the package's input
    handling around annotate (as SeisMoLLM's: :py:class:`~seisbench_llm.models.inputs.InputHandling`)
    and SeisMoLLM's one phase per onset in ``classify`` (argument ``ps_separation``,
    :py:mod:`seisbench_llm.models.picks`). Build it from a pretrained EQTransformer with
    :py:meth:`from_eqtransformer`; the constructor itself never downloads.

    :param num_experts: Experts per MoE layer.
    :param num_experts_per_token: Top-k experts each token is routed to.
    :param moe_blocks: Which transformer blocks get experts (``"transformer_d0"``, ``"transformer_d"``).
    :param router_jitter: Multiplicative router-input noise in training.
    :param kwargs: EQTransformer's arguments (``in_samples``, ``phases``, ``sampling_rate``, ...).
    """

    #: SeisBench's per-class weight warnings: EQTransformer's concern SeisBench's own version-1
    #: weights (their normalisation), never weights exported for SeisMoE.
    _weight_warnings: list = []

    _annotate_args = sbm.EQTransformer._annotate_args.copy()
    _annotate_args["ps_separation"] = PS_SEPARATION_ARG

    def __init__(
        self,
        num_experts: int = 4,
        num_experts_per_token: int = 2,
        moe_blocks: Sequence[str] = MOE_BLOCKS,
        router_jitter: float = 0.01,
        **kwargs,
    ):
        super().__init__(**kwargs)
        unknown = set(moe_blocks) - set(MOE_BLOCKS)
        if unknown or not moe_blocks:
            raise ValueError(
                f"moe_blocks must be a non-empty subset of {MOE_BLOCKS}, got {list(moe_blocks)}"
            )
        self.num_experts = num_experts
        self.num_experts_per_token = num_experts_per_token
        self.moe_blocks = [b for b in MOE_BLOCKS if b in moe_blocks]
        self.router_jitter = router_jitter
        for name in self.moe_blocks:
            block = getattr(self, name)
            ff = block.ff
            block.ff = MoEFeedForward(
                ff.lin1.in_features,
                ff.lin1.out_features,
                num_experts,
                num_experts_per_token,
                ff.dropout.p,
                router_jitter,
            )

    def classify_aggregate(self, annotations, argdict: dict) -> sbu.ClassifyOutput:
        """EQTransformer's picks and detections; of a P and an S pick closer than
        ``ps_separation`` only the more probable is kept."""
        output = super().classify_aggregate(annotations, argdict)
        picks = sbu.PickList(sorted(one_phase_per_onset(self, output.picks, argdict)))
        return sbu.ClassifyOutput(self.name, picks=picks, detections=output.detections)

    def moe_layers(self) -> list[MoEFeedForward]:
        """The mixture-of-experts layers, in forward order."""
        return [getattr(self, name).ff for name in self.moe_blocks]

    def moe_loss(self, z_loss_coef: float = 1e-3) -> torch.Tensor:
        """Load-balancing loss plus ``z_loss_coef`` x router z-loss, averaged over the MoE layers,
        from the latest forward pass."""
        layers = self.moe_layers()
        return sum(m.aux_loss + z_loss_coef * m.z_loss for m in layers) / len(layers)

    def expert_usage(self) -> dict[str, torch.Tensor]:
        """Tokens routed to each expert in the latest forward pass, per MoE block."""
        return {
            name: layer.usage.clone()
            for name, layer in zip(self.moe_blocks, self.moe_layers(), strict=True)
        }

    def freeze_non_moe(self) -> None:
        """Train only the experts and routers; freeze everything else."""
        moe_params = {id(p) for layer in self.moe_layers() for p in layer.parameters()}
        for p in self.parameters():
            p.requires_grad = id(p) in moe_params

    def get_model_args(self) -> dict[str, Any]:
        model_args = super().get_model_args()
        model_args.update(
            num_experts=self.num_experts,
            num_experts_per_token=self.num_experts_per_token,
            moe_blocks=list(self.moe_blocks),
            router_jitter=self.router_jitter,
        )
        return model_args

    @classmethod
    def from_eqtransformer(
        cls,
        base: sbm.EQTransformer | str | os.PathLike = "stead",
        num_experts: int = 4,
        num_experts_per_token: int = 2,
        moe_blocks: Sequence[str] = MOE_BLOCKS,
        expert_noise: float = 0.01,
        router_jitter: float = 0.01,
        seed: int = 0,
    ) -> SeisMoE:
        """Build SeisMoE from a (pretrained) EQTransformer.

        Every weight except the feed-forwards of ``moe_blocks`` is copied; expert 0 of each MoE layer
        is an exact copy of the pretrained feed-forward, the others add ``expert_noise * N(0, 1)``.
        With ``expert_noise=0`` the model in eval mode reproduces the EQTransformer.

        :param base: An ``EQTransformer``, a SeisBench weight name (``"stead"``, via
                     ``EQTransformer.from_pretrained``, which needs the files cached or a network),
                     or a path to saved weights (``model.save(path)`` output, with or without the
                     ``.pt`` suffix, or a bare state-dict ``.pt`` file for the default architecture).
        """
        base = _resolve_eqtransformer(base)
        args = base.get_model_args()
        model = cls(
            num_experts=num_experts,
            num_experts_per_token=num_experts_per_token,
            moe_blocks=moe_blocks,
            router_jitter=router_jitter,
            **args,
        )
        state = {
            k: v
            for k, v in base.state_dict().items()
            if not any(k.startswith(f"{b}.ff.") for b in model.moe_blocks)
        }
        missing, unexpected = model.load_state_dict(state, strict=False)
        assert not unexpected, unexpected
        assert all(any(k.startswith(f"{b}.ff.") for b in model.moe_blocks) for k in missing), (
            missing
        )
        generator = torch.Generator().manual_seed(seed)
        for name, layer in zip(model.moe_blocks, model.moe_layers(), strict=True):
            ff = getattr(base, name).ff
            layer.init_from_feedforward(ff.lin1, ff.lin2, expert_noise, generator)
        model.to(base.device)
        return model.train(base.training)


def _resolve_eqtransformer(base: nn.Module | str | os.PathLike) -> sbm.EQTransformer:
    if isinstance(base, sbm.EQTransformer):
        return base
    if isinstance(base, nn.Module):
        raise TypeError(f"base must be an EQTransformer, got {type(base).__name__}")
    path = Path(base).expanduser()
    stem = path.with_suffix("") if path.suffix == ".pt" else path
    if stem.with_suffix(".json").is_file() and stem.with_suffix(".pt").is_file():
        return sbm.EQTransformer.load(str(stem))
    if path.is_file():
        model = sbm.EQTransformer()
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return model
    if os.sep in str(base) or path.suffix:
        raise FileNotFoundError(
            f"No EQTransformer weights at {path} (expected {stem}.json and {stem}.pt, or a state-dict file)"
        )
    try:
        return sbm.EQTransformer.from_pretrained(str(base))
    except Exception as e:  # offline and uncached: requests' ConnectionError, 404s, ...
        cache = model_folder(sbm.EQTransformer)
        raise WeightsNotFoundError(
            f"Pretrained EQTransformer weights '{base}' are neither in the SeisBench cache ({cache}) nor "
            f"reachable from {seisbench.remote_model_root} ({type(e).__name__}: {e}). On a machine with "
            f"internet run `python -c \"import seisbench.models as sbm; sbm.EQTransformer.from_pretrained('{base}')\"` "
            f"and copy {cache} here, or pass an EQTransformer instance or a weight file path."
        ) from e
