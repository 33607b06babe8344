"""Task heads of SeisMoLLM."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from seisbench_llm.models.embedder import fold_batchnorm, same_padding


def upsampling_sizes(in_length: int, out_length: int, n_layers: int) -> list[int]:
    """Target lengths of the up-layers: geometric growth by ``(out/in)^(1/n)``, computed backwards
    from ``out_length`` with ``int()``."""
    ratio = (out_length / in_length) ** (1.0 / n_layers)
    sizes = [out_length]
    for _ in range(n_layers - 1):
        sizes.append(int(sizes[-1] / ratio))
    return sizes[::-1]


class UpLayer(nn.Module):
    """Linear interpolation to ``size`` -> same pad -> conv (bias) -> BatchNorm -> GELU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, size: int):
        super().__init__()
        self.size = size
        self.kernel_size = kernel_size
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size)
        self.norm = nn.BatchNorm1d(out_channels)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=self.size, mode="linear", align_corners=False)
        x = F.pad(x, same_padding(self.size, self.kernel_size, 1))
        return self.act(self.norm(self.conv(x)))


class FusedUpLayer(nn.Module):
    """Eval-mode :py:class:`UpLayer` for inference: BatchNorm folded into the conv (computed in
    float64 from the current weights; a copy)."""

    def __init__(self, layer: UpLayer):
        super().__init__()
        self.size = layer.size
        self.padding = same_padding(layer.size, layer.kernel_size, 1)
        weight, bias = fold_batchnorm(layer.conv.weight, layer.conv.bias, layer.norm)
        self.register_buffer("weight", weight)
        self.register_buffer("bias", bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=self.size, mode="linear", align_corners=False)
        # padding a copy is faster than the conv's own padding here (oneDNN, measured)
        return F.gelu(F.conv1d(F.pad(x, self.padding), self.weight, self.bias))


#: Initial probability of every picking output: about the share of samples under a pick label
#: (a Gaussian of sigma 0.1 s in a 30-60 s window). Starting the output bias at this prior, instead
#: of at probability 0.5, saves the first few hundred optimiser steps, which would otherwise only
#: push every output down (Lin et al., 2017, "Focal loss for dense object detection", section 4.1).
PICK_PRIOR = 0.01


class PickingHead(nn.Module):
    """Up-sampling decoder to ``(B, n_outputs, out_length)`` logits (SeisMoLLM: [noise, P, S]).

    The output bias starts at the logit of :py:data:`PICK_PRIOR`.
    """

    def __init__(
        self,
        in_channels: int,
        in_length: int,
        out_length: int,
        channels: Sequence[int] = (224, 192, 160, 6),
        kernels: Sequence[int] = (1, 6, 8, 16),
        n_outputs: int = 3,
    ):
        super().__init__()
        sizes = upsampling_sizes(in_length, out_length, len(channels))
        layers = []
        for ch, k, size in zip(channels, kernels, sizes, strict=True):
            layers.append(UpLayer(in_channels, ch, k, size))
            in_channels = ch
        self.up = nn.Sequential(*layers)
        self.out = nn.Conv1d(in_channels, n_outputs, 7, padding=3)
        nn.init.constant_(self.out.bias, math.log(PICK_PRIOR / (1.0 - PICK_PRIOR)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.up(x))

    def fused(self) -> FusedPickingHead:
        """Inference copy in eval mode with the BatchNorms folded into the convs."""
        return FusedPickingHead(self).eval()


class FusedPickingHead(nn.Module):
    """Eval-mode :py:class:`PickingHead` for inference (see :py:class:`FusedUpLayer`)."""

    def __init__(self, head: PickingHead):
        super().__init__()
        self.up = nn.Sequential(*(FusedUpLayer(layer) for layer in head.up))
        self.register_buffer("out_weight", head.out.weight.detach().clone())
        self.register_buffer("out_bias", head.out.bias.detach().clone())
        self.out_padding = head.out.padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv1d(self.up(x), self.out_weight, self.out_bias, padding=self.out_padding)


class PooledHead(nn.Module):
    """Two strided convs (kernel 16, stride 4, no padding) -> global average pool -> linear."""

    def __init__(self, channels: int, n_outputs: int, kernel_size: int = 16, stride: int = 4):
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Conv1d(channels, channels, kernel_size, stride=stride),
            nn.Conv1d(channels, channels, kernel_size, stride=stride),
        )
        self.linear = nn.Linear(channels, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.trunk(x).mean(dim=-1))

    def fused(self) -> PooledHead:
        """Inference copy in eval mode (a plain copy: this head has no BatchNorm to fold)."""
        return copy.deepcopy(self).eval()
