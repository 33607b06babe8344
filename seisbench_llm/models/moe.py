"""A mixture-of-experts position-wise feed-forward layer with top-k routing and load balancing.

Routing: a linear router gives logits over ``E`` experts; softmax probabilities; the top ``k``
experts are chosen per token and their probabilities renormalised to sum to 1 (the gate weights).

Dispatch is vectorised: the experts' weights are stacked into ``(E, ...)`` tensors and evaluated with
batched matrix products, the gates (zero for experts not chosen) combine them. No Python loop runs
over tokens or experts, every expert takes part in every step's graph (DDP needs no
``find_unused_parameters`` even when an expert receives no token), and for small feed-forwards such
as EQTransformer's (16 -> 128 -> 16) evaluating all experts densely is cheaper than gathering tokens.

Auxiliary losses (both differentiable w.r.t. the router):

- Switch-Transformer load balancing ``E * sum_i f_i * P_i`` with ``f_i`` the fraction of tokens
  routed to expert i (counts, no gradient; sums to k) and ``P_i`` the mean router probability of
  expert i. Its minimum under balanced routing is ``k``.
- Router z-loss (ST-MoE): mean over tokens of ``logsumexp(logits) ** 2``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MoEFeedForward(nn.Module):
    """Mixture of ``num_experts`` feed-forward experts (Linear -> ReLU -> Dropout -> Linear).

    :param io_size: Input and output width.
    :param hidden_size: Expert hidden width.
    :param num_experts: Number of experts ``E``.
    :param top_k: Experts per token ``k``.
    :param drop_rate: Dropout after the ReLU.
    :param router_jitter: Multiplicative uniform noise ``U(1 - j, 1 + j)`` on the router input in
                          training (Switch Transformer); 0 disables it.
    :param channels_first: Inputs are ``(B, C, T)`` (EQTransformer's layout) instead of ``(..., C)``.
    """

    def __init__(
        self,
        io_size: int,
        hidden_size: int,
        num_experts: int = 4,
        top_k: int = 2,
        drop_rate: float = 0.1,
        router_jitter: float = 0.01,
        channels_first: bool = True,
    ):
        super().__init__()
        if not 1 <= top_k <= num_experts:
            raise ValueError(f"top_k must lie in [1, num_experts={num_experts}], got {top_k}")
        self.num_experts = num_experts
        self.top_k = top_k
        self.router_jitter = router_jitter
        self.channels_first = channels_first
        self.router = nn.Linear(io_size, num_experts, bias=False)
        self.w1 = nn.Parameter(torch.empty(num_experts, io_size, hidden_size))
        self.b1 = nn.Parameter(torch.zeros(num_experts, 1, hidden_size))
        self.w2 = nn.Parameter(torch.empty(num_experts, hidden_size, io_size))
        self.b2 = nn.Parameter(torch.zeros(num_experts, 1, io_size))
        self.dropout = nn.Dropout(drop_rate)
        for w in (self.w1, self.w2):
            for e in range(num_experts):
                nn.init.kaiming_uniform_(w[e].T, a=5**0.5)  # nn.Linear's default
        nn.init.normal_(self.router.weight, std=0.02)
        self.register_buffer("usage", torch.zeros(num_experts), persistent=False)
        self.aux_loss = torch.zeros(())
        self.z_loss = torch.zeros(())

    @torch.no_grad()
    def init_from_feedforward(
        self,
        lin1: nn.Linear,
        lin2: nn.Linear,
        noise: float = 0.01,
        generator: torch.Generator | None = None,
    ) -> None:
        """Every expert becomes a copy of a dense feed-forward; experts 1.. get ``noise * N(0, 1)`` added.

        Expert 0 is an exact copy. The router is reset to zero, so routing starts uniform.
        """
        for e in range(self.num_experts):
            for dst, src in (
                (self.w1, lin1.weight.T),
                (self.b1, lin1.bias[None]),
                (self.w2, lin2.weight.T),
                (self.b2, lin2.bias[None]),
            ):
                dst[e].copy_(src)
                if e > 0 and noise > 0:
                    dst[e].add_(noise * torch.randn(src.shape, generator=generator).to(dst))
        self.router.weight.zero_()

    def route(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Router logits, probabilities and dense gates ``(N, E)`` (top-k renormalised, others 0)."""
        x = tokens
        if self.training and self.router_jitter > 0:
            x = x * torch.empty_like(x).uniform_(1 - self.router_jitter, 1 + self.router_jitter)
        logits = self.router(x)
        probs = logits.softmax(dim=-1)
        top_p, top_i = probs.topk(self.top_k, dim=-1)
        top_p = top_p / top_p.sum(dim=-1, keepdim=True)
        gates = torch.zeros_like(probs).scatter(-1, top_i, top_p)
        return logits, probs, gates

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_first:
            x = x.transpose(1, 2)
        shape = x.shape
        tokens = x.reshape(-1, shape[-1])  # (N, C)
        logits, probs, gates = self.route(tokens)

        hidden = F.relu(torch.baddbmm(self.b1, tokens.expand(self.num_experts, -1, -1), self.w1))
        expert_out = torch.baddbmm(self.b2, self.dropout(hidden), self.w2)  # (E, N, C)
        out = torch.einsum("ne,enc->nc", gates, expert_out)

        self._update_losses(logits, probs, gates)
        out = out.reshape(shape)
        return out.transpose(1, 2) if self.channels_first else out

    def _update_losses(
        self, logits: torch.Tensor, probs: torch.Tensor, gates: torch.Tensor
    ) -> None:
        self.usage = (gates > 0).sum(dim=0).to(probs.dtype).detach()
        self.aux_loss = balance_loss(probs, gates)
        self.z_loss = torch.logsumexp(logits, dim=-1).pow(2).mean()


def balance_loss(probs: torch.Tensor, gates: torch.Tensor) -> torch.Tensor:
    """Switch load-balancing loss ``E * sum_i f_i P_i``.

    :param probs: Router probabilities ``(N, E)`` (carry the gradient).
    :param gates: Gates ``(N, E)``, non-zero where a token is routed to an expert (no gradient).
    """
    num_experts = probs.shape[-1]
    fraction = (gates > 0).sum(dim=0).to(probs.dtype) / max(probs.shape[0], 1)
    return num_experts * (fraction * probs.mean(dim=0)).sum()
