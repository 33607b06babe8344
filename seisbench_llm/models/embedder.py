"""Multi-scale convolutional waveform embedder of SeisMoLLM and latent patching."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn


def fold_batchnorm(
    weight: torch.Tensor, bias: torch.Tensor | None, norm: nn.BatchNorm1d
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weight and bias of ``conv -> norm`` (norm in eval mode, i.e. with its running statistics)
    as one conv, computed in float64 and returned in the weight's dtype.

    :param weight: Conv weight ``(out, in, k)``.
    :param bias: Conv bias ``(out,)`` or None.
    :param norm: The BatchNorm that follows the conv.
    """
    if norm.running_mean is None or norm.running_var is None:
        raise ValueError("Only a BatchNorm with running statistics can be folded into a conv")
    dtype = weight.dtype
    w = weight.detach().double()
    mean = norm.running_mean.detach().double()
    scale = torch.rsqrt(norm.running_var.detach().double() + norm.eps)
    if norm.weight is not None:
        scale = scale * norm.weight.detach().double()
    b = -mean if bias is None else bias.detach().double() - mean
    b = b * scale
    if norm.bias is not None:
        b = b + norm.bias.detach().double()
    return (w * scale[:, None, None]).to(dtype), b.to(dtype)


def same_padding(length: int, kernel: int, stride: int) -> tuple[int, int]:
    """Left/right padding so that a strided conv outputs ``ceil(length / stride)`` samples.

    Total padding is ``(stride - length % stride) % stride + kernel - stride`` (never negative);
    the left side receives half of it, rounded down.
    """
    total = max((stride - length % stride) % stride + kernel - stride, 0)
    return total // 2, total - total // 2


class ConvBranch(nn.Module):
    """One branch of a multi-scale stage: 1x1 conv -> same pad -> strided conv -> BN -> GELU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride
        self.pointwise = nn.Conv1d(in_channels, in_channels, 1, bias=False)
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride=stride, bias=False)
        self.norm = nn.BatchNorm1d(out_channels)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pointwise(x)
        x = F.pad(x, same_padding(x.shape[-1], self.kernel_size, self.stride))
        return self.act(self.norm(self.conv(x)))


class MultiScaleStage(nn.Module):
    """Four parallel branches with kernels ``k + scale_stride * i``, concatenated, fused by a 1x1 conv
    (no bias) and a BatchNorm (no activation)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        scale_stride: int,
        stride: int,
        n_branches: int = 4,
    ):
        super().__init__()
        self.branches = nn.ModuleList(
            ConvBranch(in_channels, out_channels, kernel_size + scale_stride * i, stride)
            for i in range(n_branches)
        )
        self.fuse = nn.Conv1d(n_branches * out_channels, out_channels, 1, bias=False)
        self.norm = nn.BatchNorm1d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat([branch(x) for branch in self.branches], dim=1)
        return self.norm(self.fuse(x))

    def fused(self) -> FusedMultiScaleStage:
        """Inference copy of this stage in eval mode (see :py:class:`FusedMultiScaleStage`)."""
        return FusedMultiScaleStage(self)


class FusedMultiScaleStage(nn.Module):
    """Eval-mode :py:class:`MultiScaleStage` for inference, with fewer operations.

    Per branch, the 1x1 conv (no bias; it maps the zero padding to zero, so it commutes with the
    padding) and the BatchNorm are folded into the strided conv, giving one conv with bias, then
    GELU. The stage's BatchNorm is folded into the 1x1 fuse conv. The weights are computed in
    float64 from the stage's current weights and BatchNorm running statistics and are a copy:
    later changes to the stage are not seen.
    """

    def __init__(self, stage: MultiScaleStage):
        super().__init__()
        self.kernels = [branch.kernel_size for branch in stage.branches]
        self.strides = [branch.stride for branch in stage.branches]
        for i, branch in enumerate(stage.branches):
            pointwise = branch.pointwise.weight.detach().double()[:, :, 0]  # (in, in)
            weight = torch.einsum("ojt,ji->oit", branch.conv.weight.detach().double(), pointwise)
            weight, bias = fold_batchnorm(weight, None, branch.norm)
            dtype = branch.conv.weight.dtype
            self.register_buffer(f"weight{i}", weight.to(dtype))
            self.register_buffer(f"bias{i}", bias.to(dtype))
        weight, bias = fold_batchnorm(stage.fuse.weight, None, stage.norm)
        self.register_buffer("fuse_weight", weight)
        self.register_buffer("fuse_bias", bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        length = x.shape[-1]
        outputs = []
        for i, (kernel, stride) in enumerate(zip(self.kernels, self.strides, strict=True)):
            weight, bias = getattr(self, f"weight{i}"), getattr(self, f"bias{i}")
            # padding a copy is faster than the conv's own padding here (oneDNN, measured)
            padded = F.pad(x, same_padding(length, kernel, stride))
            outputs.append(F.gelu(F.conv1d(padded, weight, bias, stride=stride)))
        return F.conv1d(torch.cat(outputs, dim=1), self.fuse_weight, self.fuse_bias)


class MultiScaleEmbedder(nn.Module):
    """Stack of multi-scale stages turning ``(B, C_in, L)`` waveforms into ``(B, C_out, L / prod(strides))``.

    :param in_channels: Number of waveform components.
    :param channels: Output channels per stage.
    :param kernels: Base kernel size per stage.
    :param scale_strides: Kernel increment between the branches of a stage.
    :param strides: Stride per stage.
    """

    def __init__(
        self,
        in_channels: int,
        channels: Sequence[int],
        kernels: Sequence[int],
        scale_strides: Sequence[int],
        strides: Sequence[int],
    ):
        super().__init__()
        if not len(channels) == len(kernels) == len(scale_strides) == len(strides):
            raise ValueError(
                "channels, kernels, scale_strides and strides need one entry per stage, got "
                f"{len(channels)}, {len(kernels)}, {len(scale_strides)}, {len(strides)}"
            )
        stages = []
        for out_ch, k, ss, s in zip(channels, kernels, scale_strides, strides, strict=True):
            stages.append(MultiScaleStage(in_channels, out_ch, k, ss, s))
            in_channels = out_ch
        self.stages = nn.Sequential(*stages)
        self.downsampling = 1
        for s in strides:
            self.downsampling *= s

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(x)

    def fused(self) -> nn.Sequential:
        """Inference copy in eval mode with every BatchNorm and 1x1 branch conv folded into the
        convs (see :py:class:`FusedMultiScaleStage`); same output to float rounding (~1e-6)."""
        return nn.Sequential(*(stage.fused() for stage in self.stages)).eval()


def patchify(features: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Cut ``(B, C, T)`` features into ``(B, T // patch_size, C * patch_size)`` tokens.

    Each token is flattened channel-major (feature index ``c * patch_size + p``); trailing samples
    that do not fill a patch are dropped.
    """
    n_tokens = features.shape[-1] // patch_size
    features = features[..., : n_tokens * patch_size]
    return rearrange(features, "b c (n p) -> b n (c p)", p=patch_size)


def unpatchify(tokens: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Inverse of :py:func:`patchify`: ``(B, N, C * patch_size)`` -> ``(B, C, N * patch_size)``."""
    return rearrange(tokens, "b n (c p) -> b c (n p)", p=patch_size)
