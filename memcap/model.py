"""A small GPT-2-style decoder: pre-LayerNorm, GELU MLP, no dropout, tied embeddings.

Two position schemes: learned absolute positions (GPT-2, Morris et al.) and rotary embeddings (Allen-Zhu &
Li's "GPT2"). MLP variants: ``standard`` (d -> 4d -> d, GELU, with biases), ``gated`` (LLaMA-style SwiGLU without
biases, hidden 8d/3 so it has about the same parameters), ``quarter`` (d -> d -> d: a quarter of the standard
MLP's hidden width, Allen-Zhu & Li's "MLP/4"), ``moe<E>`` (a mixture of E experts of d -> d -> d with top-1
routing, :class:`MixtureOfExperts`) and ``none`` (attention only). :func:`remove_layer` takes one block out of a
trained model.

Parameter count (all parameters, tied output head, as in Morris et al. §3):

    P = L(12d² + 13d) + V·d + S·d + 2d          learned positions, standard MLP

e.g. L=2, d=128, V=2048, S=64 gives 667,136. ``GPTConfig.n_params`` is this closed form for every variant,
and the tests check it against ``sum(p.numel() for p in model.parameters())``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

MLPS = ("standard", "gated", "quarter", "none")  # and "moe<E>", E >= 2 experts (see GPTConfig.n_experts)
POSITIONS = ("learned", "rotary")
ATTENTIONS = ("sdpa", "manual")


@dataclass(frozen=True)
class GPTConfig:
    """Shape of a GPT. Validated on construction.

        >>> GPTConfig(vocab_size=2048, seq_len=64, n_layer=2, d_model=128).n_params
        667136
    """

    vocab_size: int
    seq_len: int  # context length = number of learned positions
    n_layer: int
    d_model: int
    n_head: int = 0  # 0: one head per 32 dims (at least one); Morris et al. do not state theirs
    mlp: str = "standard"
    positions: str = "learned"
    attention: str = "sdpa"  # "manual" is the readable reference the tests compare sdpa against

    def __post_init__(self):
        for name in ("vocab_size", "seq_len", "n_layer", "d_model"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < (0 if name == "n_layer" else 1):
                raise ValueError(f"{name} must be a positive integer, got {name}={value!r}")
        if self.n_head == 0:
            object.__setattr__(self, "n_head", max(1, self.d_model // 32))
        if self.n_head < 1 or self.d_model % self.n_head:
            raise ValueError(f"d_model must be divisible by n_head (got d_model={self.d_model}, n_head={self.n_head})")
        if self.positions == "rotary" and self.head_dim % 2:
            raise ValueError(f"rotary positions need an even head dimension (got head_dim={self.head_dim})")
        for name, allowed in (("mlp", MLPS), ("positions", POSITIONS), ("attention", ATTENTIONS)):
            if getattr(self, name) not in allowed and not (name == "mlp" and self.n_experts):
                extra = ", or 'moe<E>' with E >= 2 experts" if name == "mlp" else ""
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; allowed: {list(allowed)}{extra}")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_head

    @property
    def gated_hidden(self) -> int:
        return int(round(8 * self.d_model / 3))

    @property
    def n_experts(self) -> int:
        """E for ``mlp="moe<E>"`` (an integer E >= 2), else 0."""
        m = self.mlp
        if isinstance(m, str) and m.startswith("moe") and m[3:].isdigit() and int(m[3:]) >= 2 and m[3] != "0":
            return int(m[3:])
        return 0

    @property
    def n_params(self) -> int:
        """Closed-form parameter count of :class:`GPT` with this configuration (every expert counted)."""
        d, L = self.d_model, self.n_layer
        attention = 4 * d * d + 4 * d  # qkv (3d² + 3d) and output projection (d² + d)
        small = 2 * d * d + 2 * d  # d -> d -> d with biases
        if self.n_experts:
            mlp = self.n_experts * (small + d)  # each expert, and its row of the router (d -> E, no bias)
        else:
            mlp = {"standard": 8 * d * d + 5 * d, "gated": 3 * d * self.gated_hidden, "quarter": small,
                   "none": 0}[self.mlp]
        norms = 4 * d if self.mlp != "none" else 2 * d  # two LayerNorms (weight + bias) per block
        positions = self.seq_len * d if self.positions == "learned" else 0
        return L * (attention + mlp + norms) + self.vocab_size * d + positions + 2 * d

    @property
    def n_active_params(self) -> int:
        """Parameters one token uses: with experts, the router and one expert per block; else all."""
        if not self.n_experts:
            return self.n_params
        d = self.d_model
        return self.n_params - self.n_layer * (self.n_experts - 1) * (2 * d * d + 2 * d)

    def with_(self, **changes) -> GPTConfig:
        return replace(self, **changes)


def rotary_tables(seq_len: int, head_dim: int, base: float = 10000.0, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin tables for rotary embeddings, each (seq_len, head_dim / 2)."""
    inv_freq = 1.0 / base ** (torch.arange(0, head_dim, 2, device=device, dtype=torch.float32) / head_dim)
    angles = torch.outer(torch.arange(seq_len, device=device, dtype=torch.float32), inv_freq)
    return angles.cos(), angles.sin()


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate pairs (x[..., 2i], x[..., 2i+1]) by position-dependent angles. x: (B, nh, T, hs)."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    T = x.shape[-2]
    c, s = cos[:T].to(x.dtype), sin[:T].to(x.dtype)
    return torch.stack((x1 * c - x2 * s, x1 * s + x2 * c), dim=-1).flatten(-2)


def remove_layer(model: "GPT", index: int) -> "GPT":
    """A copy of ``model`` without block ``index`` (the others and the embeddings unchanged): what the remaining
    layers know without it (Allen-Zhu & Li §8.1)."""
    import copy

    n = model.cfg.n_layer
    if not isinstance(index, int) or isinstance(index, bool) or not -n <= index < n:
        raise ValueError(f"index must be a block of this {n}-layer model (0..{n - 1}), got index={index!r}")
    out = copy.deepcopy(model)
    del out.blocks[index % n]
    out.cfg = out.cfg.with_(n_layer=n - 1)
    for block in out.blocks:
        block.cfg = out.cfg
    return out


def manual_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Causal softmax(q kᵀ / √hs) v, written out. q, k, v: (B, nh, T, hs) -> (B, nh, T, hs)."""
    T, hs = q.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(hs)  # (B, nh, T, T)
    mask = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    scores = scores.masked_fill(~mask, float("-inf"))
    return scores.softmax(dim=-1) @ v


class Expert(nn.Module):
    """One expert: d -> d -> d, GELU, with biases."""

    def __init__(self, d: int):
        super().__init__()
        self.fc, self.fc_out = nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_out(F.gelu(self.fc(x)))


class MixtureOfExperts(nn.Module):
    """E experts with top-1 routing (Switch Transformer; Allen-Zhu & Li's MoE, §9, without a capacity limit).

    A router (d -> E, no bias) gives each token a softmax over the experts; the token goes to the most probable
    expert e only, and the output is p_e · expert_e(x). After every forward pass ``last_choice`` holds each token's
    expert and ``aux_loss`` the standard load-balancing loss E · Σ_e f_e · P_e (f_e: share of tokens routed to e,
    P_e: mean router probability of e), which is 1 when the load is even; a training loop adds it, scaled, to the
    language-model loss.
    """

    def __init__(self, d: int, n_experts: int):
        super().__init__()
        if not isinstance(n_experts, int) or n_experts < 2:
            raise ValueError(f"a mixture needs at least 2 experts, got n_experts={n_experts!r}")
        self.router = nn.Linear(d, n_experts, bias=False)
        self.experts = nn.ModuleList(Expert(d) for _ in range(n_experts))
        self.last_choice: torch.Tensor | None = None
        self.aux_loss: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        flat = x.reshape(-1, shape[-1])
        probs = self.router(flat).softmax(dim=-1)  # (N, E)
        gate, choice = probs.max(dim=-1)  # top-1
        out = torch.zeros_like(flat)
        for e, expert in enumerate(self.experts):
            mine = choice == e
            if mine.any():
                out[mine] = gate[mine, None] * expert(flat[mine])
        n_experts = probs.shape[-1]
        share = torch.bincount(choice, minlength=n_experts).to(probs.dtype) / choice.numel()
        self.aux_loss = n_experts * (share * probs.mean(dim=0)).sum()
        self.last_choice = choice.view(shape[:-1])
        return out.view(shape)


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        d = cfg.d_model
        self.cfg = cfg
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        if cfg.mlp != "none":
            self.ln2 = nn.LayerNorm(d)
        if cfg.mlp == "standard":
            self.fc, self.fc_out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        elif cfg.mlp == "quarter":
            self.fc, self.fc_out = nn.Linear(d, d), nn.Linear(d, d)
        elif cfg.n_experts:
            self.moe = MixtureOfExperts(d, cfg.n_experts)
        elif cfg.mlp == "gated":
            h = cfg.gated_hidden
            self.gate, self.up, self.down = nn.Linear(d, h, bias=False), nn.Linear(d, h, bias=False), nn.Linear(h, d, bias=False)

    def attend(self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        B, T, C = x.shape
        nh, hs = self.cfg.n_head, self.cfg.head_dim
        q, k, v = self.qkv(x).split(C, dim=2)
        q, k, v = (t.view(B, T, nh, hs).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        if rope is not None:
            q, k = apply_rotary(q, *rope), apply_rotary(k, *rope)
        if self.cfg.attention == "sdpa":
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            y = manual_attention(q, k, v)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))

    def forward(self, x: torch.Tensor, rope=None) -> torch.Tensor:
        x = x + self.attend(self.ln1(x), rope)
        if self.cfg.mlp in ("standard", "quarter"):
            x = x + self.fc_out(F.gelu(self.fc(self.ln2(x))))
        elif self.cfg.n_experts:
            x = x + self.moe(self.ln2(x))
        elif self.cfg.mlp == "gated":
            h = self.ln2(x)
            x = x + self.down(F.silu(self.gate(h)) * self.up(h))
        return x


class GPT(nn.Module):
    """The decoder. ``model(idx)`` gives logits; ``model.loss(idx, targets, reduction)`` gives losses in nats.

        >>> m = GPT(GPTConfig(vocab_size=16, seq_len=8, n_layer=1, d_model=8), generator=torch.Generator().manual_seed(0))
        >>> m(torch.zeros(2, 5, dtype=torch.long)).shape
        torch.Size([2, 5, 16])
    """

    def __init__(self, cfg: GPTConfig, generator: torch.Generator | None = None):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.d_model)
        if cfg.positions == "learned":
            self.wpe = nn.Embedding(cfg.seq_len, cfg.d_model)
        else:
            cos, sin = rotary_tables(cfg.seq_len, cfg.head_dim)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self._init_weights(generator)

    def _init_weights(self, generator: torch.Generator | None) -> None:
        """GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/√(2L), zero biases."""
        for name, p in self.named_parameters():
            if p.dim() < 2:
                nn.init.zeros_(p) if name.endswith("bias") else nn.init.ones_(p)
                continue
            std = 0.02
            if name.endswith(("proj.weight", "fc_out.weight", "down.weight")):
                std /= math.sqrt(2 * max(1, self.cfg.n_layer))
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=generator) * std)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        B, T = idx.shape
        if T > self.cfg.seq_len:
            raise ValueError(f"sequence of {T} tokens is longer than the model's context seq_len={self.cfg.seq_len}")
        x = self.wte(idx)  # (B, T, d)
        rope = None
        if self.cfg.positions == "learned":
            x = x + self.wpe(torch.arange(T, device=idx.device))
        else:
            rope = (self.rope_cos, self.rope_sin)
        for block in self.blocks:
            x = block(x, rope)
        return self.ln_f(x) @ self.wte.weight.t()  # tied output head: (B, T, V)

    def balance_loss(self) -> torch.Tensor:
        """The mean over blocks of the experts' load-balancing loss of the last forward pass (1 when every expert
        gets an even share); 0 for a model without experts."""
        losses = [b.moe.aux_loss for b in self.blocks if hasattr(b, "moe") and b.moe.aux_loss is not None]
        return torch.stack(losses).mean() if losses else torch.zeros(())

    def loss(self, idx: torch.Tensor, targets: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        """Cross-entropy of ``targets`` given ``idx`` in nats: a scalar ("mean", "sum") or (B, T) ("none")."""
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}; allowed: ['mean', 'sum', 'none']")
        logits = self(idx).float()
        losses = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none").view_as(targets)
        return {"mean": losses.mean, "sum": losses.sum, "none": lambda: losses}[reduction]()
