"""The GPT-2 backbone of SeisMoLLM: the first blocks of GPT-2, LoRA adaptation and weight loading.

The blocks are written here with GPT-2's exact parameter names and layouts (``transformers``'
``Conv1D`` stores weights as ``(in, out)``), so a GPT-2 checkpoint's ``wpe``, ``h.<i>.*`` and
``ln_f`` tensors copy in one to one. Attention is causal, computed with PyTorch's fused
``scaled_dot_product_attention``.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import socket
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from transformers.pytorch_utils import Conv1D

logger = logging.getLogger("seisbench_llm")

LORA_TARGETS = ("c_attn", "c_proj", "c_fc")


class PretrainedGPT2NotFoundError(FileNotFoundError):
    """Pretrained GPT-2 weights could not be found locally (and not downloaded)."""


class GPT2Attention(nn.Module):
    """Causal multi-head self-attention of GPT-2."""

    def __init__(self, d_model: int, n_heads: int, dropout: float):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.n_heads = n_heads
        self.dropout = dropout
        self.c_attn = Conv1D(3 * d_model, d_model)
        self.c_proj = Conv1D(d_model, d_model)
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.c_attn(x).split(d, dim=2)
        q, k, v = (t.view(b, n, self.n_heads, -1).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0
        )
        y = y.transpose(1, 2).reshape(b, n, d)
        return self.resid_dropout(self.c_proj(y))


class GPT2MLP(nn.Module):
    """GPT-2 feed-forward: Conv1D -> gelu_new (tanh GELU) -> Conv1D -> dropout."""

    def __init__(self, d_model: int, dropout: float):
        super().__init__()
        self.c_fc = Conv1D(4 * d_model, d_model)
        self.c_proj = Conv1D(d_model, 4 * d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))


class GPT2Block(nn.Module):
    """Pre-norm GPT-2 transformer block."""

    def __init__(self, d_model: int, n_heads: int, dropout: float, eps: float):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model, eps=eps)
        self.attn = GPT2Attention(d_model, n_heads, dropout)
        self.ln_2 = nn.LayerNorm(d_model, eps=eps)
        self.mlp = GPT2MLP(d_model, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2Backbone(nn.Module):
    """Learned position embeddings, dropout, ``n_layers`` GPT-2 blocks and the final LayerNorm.

    Token embeddings (``wte``) are not part of the model: inputs are embeddings already.

    :param d_model: Embedding width (768 for GPT-2 small).
    :param n_layers: Number of GPT-2 blocks used.
    :param n_heads: Attention heads.
    :param n_positions: Size of the learned position embedding table.
    :param dropout: Embedding, attention and residual dropout.
    :param eps: LayerNorm epsilon.
    """

    def __init__(
        self,
        d_model: int = 768,
        n_layers: int = 3,
        n_heads: int = 12,
        n_positions: int = 1024,
        dropout: float = 0.1,
        eps: float = 1e-5,
    ):
        super().__init__()
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.n_positions = n_positions
        self.wpe = nn.Embedding(n_positions, d_model)
        self.drop = nn.Dropout(dropout)
        self.h = nn.ModuleList(GPT2Block(d_model, n_heads, dropout, eps) for _ in range(n_layers))
        self.ln_f = nn.LayerNorm(d_model, eps=eps)
        self.lora_r = 0
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """GPT-2's initialisation (normal 0.02; residual projections scaled by 1/sqrt(2 n_layers))."""
        for name, p in self.named_parameters():
            if "lora_" in name:
                continue
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif "ln_" in name:
                nn.init.ones_(p)
            else:
                std = 0.02
                if name.endswith("c_proj.weight") or name.endswith("c_proj.base_layer.weight"):
                    std = 0.02 / math.sqrt(2 * self.n_layers)
                nn.init.normal_(p, 0.0, std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[1]
        if n > self.n_positions:
            raise ValueError(
                f"{n} tokens exceed the {self.n_positions} position embeddings of the backbone"
            )
        x = self.drop(x + self.wpe.weight[:n])
        for block in self.h:
            x = block(x)
        return self.ln_f(x)

    # ------------------------------------------------------------------ LoRA
    def add_lora(self, r: int = 16, alpha: float = 16, dropout: float = 0.1) -> None:
        """Inject LoRA adapters (PEFT) into every linear map of the blocks and set the trainable split.

        Trainable afterwards: LoRA A/B, every LayerNorm and ``wpe``. Frozen: attention and MLP
        weights and biases.
        """
        from peft import LoraConfig, inject_adapter_in_model

        if self.lora_r:
            raise RuntimeError("LoRA adapters are already present")
        config = LoraConfig(
            r=r,
            lora_alpha=alpha,
            lora_dropout=dropout,
            target_modules=list(LORA_TARGETS),
            fan_in_fan_out=True,
            bias="none",
        )
        inject_adapter_in_model(config, self)
        self.lora_r = r
        self.set_trainable_split()

    def set_trainable_split(self) -> None:
        """Freeze block weights and biases; train LoRA, LayerNorms and position embeddings."""
        for name, p in self.named_parameters():
            p.requires_grad = "lora_" in name or ".ln_" in name or name.startswith(("ln_f", "wpe"))

    def merge_lora(self) -> None:
        """Fold the LoRA updates into the base weights and remove the adapters (PEFT-free model)."""
        from peft.tuners.lora import LoraLayer

        if not self.lora_r:
            return
        for block in self.h:
            for parent in (block.attn, block.mlp):
                for child_name, child in list(parent.named_children()):
                    if isinstance(child, LoraLayer):
                        child.merge()
                        setattr(parent, child_name, child.get_base_layer())
        self.lora_r = 0

    def inference_copy(self) -> GPT2Backbone:
        """A backbone for inference in eval mode, with LoRA merged; never changes this module.

        Without LoRA adapters the new module shares this one's weight tensors (no copy); with
        adapters it is a deep copy, merged (:py:meth:`merge_lora`).
        """
        if self.lora_r:
            backbone = copy.deepcopy(self)
            backbone.merge_lora()
        else:  # new modules around the same tensors: built on "meta", then given our tensors
            with torch.device("meta"):
                backbone = GPT2Backbone(
                    self.d_model, self.n_layers, self.n_heads, self.n_positions, eps=self.ln_f.eps
                )
            backbone.load_state_dict(self.state_dict(), assign=True)
        return backbone.eval()

    # ------------------------------------------------------------------ pretrained weights
    def load_gpt2_weights(
        self, source: str | os.PathLike = "gpt2", local_files_only: bool | None = None
    ) -> str:
        """Copy pretrained GPT-2 weights (``wpe``, the first ``n_layers`` blocks, ``ln_f``) in place.

        :param source: A local directory written by ``save_pretrained`` (or a Hugging Face snapshot),
                       or a hub id such as ``"gpt2"`` looked up in the Hugging Face cache.
        :param local_files_only: Never download. Defaults to True when ``HF_HUB_OFFLINE`` is set,
                                 otherwise the cache is tried first and the hub second.
        :return: Description of where the weights came from.
        """
        state, origin = _read_gpt2_state_dict(source, local_files_only)
        own = self.state_dict()
        copied = {}
        for key, value in own.items():
            if "lora_" in key:
                continue
            src_key = key.replace(".base_layer", "")
            if src_key not in state:
                raise KeyError(f"GPT-2 checkpoint at {origin} lacks '{src_key}'")
            src = state[src_key]
            if key == "wpe.weight":
                src = src[: value.shape[0]]
            if src.shape != value.shape:
                raise ValueError(
                    f"GPT-2 checkpoint at {origin} does not fit this backbone: '{src_key}' has "
                    f"shape {tuple(src.shape)}, expected {tuple(value.shape)} (check d_model, "
                    "n_heads and n_positions against the checkpoint's config)"
                )
            copied[key] = src
        self.load_state_dict(copied, strict=False)
        logger.info(f"Loaded GPT-2 weights for {self.n_layers} blocks from {origin}")
        return origin


def _hub_reachable(timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the Hugging Face endpoint opens within ``timeout`` seconds."""
    from urllib.parse import urlparse

    from huggingface_hub import constants

    url = urlparse(constants.ENDPOINT)
    try:
        port = url.port or (443 if url.scheme == "https" else 80)
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def _read_gpt2_state_dict(
    source: str | os.PathLike, local_files_only: bool | None
) -> tuple[dict[str, torch.Tensor], str]:
    """Read a GPT-2 state dict (without ``transformer.`` prefixes) from a directory or the HF cache."""
    from huggingface_hub import constants
    from transformers import GPT2Model

    offline = os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")
    path = Path(source).expanduser()
    is_dir = path.is_dir()
    attempts = [True] if (is_dir or local_files_only or offline) else [True, False]
    if local_files_only is False and not is_dir:
        attempts = [False]
    errors = []
    for only_local in attempts:
        # an unreachable hub fails in seconds here, not after a minute of Hugging Face retries
        if not only_local and not _hub_reachable():
            errors.append(
                f"download: the Hugging Face hub {constants.ENDPOINT} is unreachable (offline?)"
            )
            continue
        try:
            model = GPT2Model.from_pretrained(
                str(path) if is_dir else str(source), local_files_only=only_local
            )
        except (OSError, ValueError) as e:
            errors.append(f"{'local' if only_local else 'download'}: {e}")
            continue
        origin = str(path.resolve()) if is_dir else f"'{source}' (Hugging Face cache or hub)"
        return model.state_dict(), origin

    looked = (
        f"the directory {path.resolve()}"
        if is_dir or Path(source).is_absolute() or os.sep in str(source)
        else f"the Hugging Face cache {constants.HF_HUB_CACHE} for '{source}'"
        + ("" if len(attempts) > 1 else " (downloads disabled)")
    )
    raise PretrainedGPT2NotFoundError(
        f"No pretrained GPT-2 weights found: looked in {looked}.\n"
        "To provide them, on a machine with internet run\n"
        '    python -c "from transformers import GPT2Model; '
        "GPT2Model.from_pretrained('gpt2').save_pretrained('gpt2-small')\"\n"
        "copy the folder here and call model.load_gpt2_weights('gpt2-small'), or fill the "
        "Hugging Face cache (HF_HOME) with 'gpt2'.\nDetails: " + " | ".join(errors)
    )
