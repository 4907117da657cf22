"""Training several small models of one shape at once, in one process, with batched matrix products.

A tiny GPT leaves most of a CPU core idle: its matrix products are too small to keep the arithmetic units busy,
and the time goes to per-operation overhead. Stacking K models of the same shape (different data, seeds or
learning rates) turns K small products into one batched product. Whether that pays depends on the size: the
throughput benchmark (``benchmarks/throughput.py``) measures it, and :func:`memcap.infra.sweep.run_sweep` stacks
runs only when asked (``stack=K``), for runs at most ``stack_max_params`` parameters.

Each member keeps its own everything: data, batch order, learning-rate schedule with its own stall rule,
gradient clipping and AdamW state. The loop is :func:`memcap.engine.training.loop.train_models`, the same for one
model and for K; this module supplies only its batched step. Only the floating-point summation order differs from a
single run, so a stacked run's numbers agree with a single run's to rounding at first and statistically after many
steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch.func import stack_module_state

from memcap.model import GPT, GPTConfig, apply_rotary
from memcap.engine.training.config import TrainConfig


class StackedAdamW:
    """AdamW over stacked parameters (leading dimension K), with a rate and weight decay per member, and members
    that can be frozen.

    Matches ``torch.optim.AdamW`` member by member: decoupled weight decay, bias correction per member's own step.
    A frozen member's parameters and moments are left exactly as they are (its weights in the moment updates and its
    rate are 0).
    """

    def __init__(self, params: Sequence[torch.Tensor], betas: tuple[float, float], weight_decay, eps: float = 1e-8):
        self.params = list(params)
        self.b1, self.b2 = betas
        K = self.params[0].shape[0]
        self.wd = torch.as_tensor(weight_decay, dtype=torch.float32).expand(K).to(self.params[0].device)
        self.eps = eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = torch.zeros(K, dtype=torch.float64)

    @torch.no_grad()
    def step(self, lr: torch.Tensor, active: torch.Tensor) -> None:
        self.t += active.cpu().double()
        t = self.t.clamp(min=1)
        on = active.float()
        bc1 = (1 - self.b1**t).float().to(active.device)  # steps are counted in float64 on the CPU
        bc2_sqrt = (1 - self.b2**t).sqrt().float().to(active.device)
        rate = lr * on
        for p, m, v in zip(self.params, self.m, self.v):
            shape = (-1,) + (1,) * (p.dim() - 1)
            g = p.grad
            m.lerp_(g, ((1 - self.b1) * on).view(shape))  # m + (1 - b1)(g - m) where active, m where frozen
            v.lerp_(g * g, ((1 - self.b2) * on).view(shape))
            p.mul_((1 - rate * self.wd).view(shape))
            p.sub_((rate / bc1).view(shape) * m / (v.sqrt() / bc2_sqrt.view(shape) + self.eps))


def clip_per_member_(params: Sequence[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Clip each member's gradient to total norm ``max_norm`` (as ``clip_grad_norm_`` does for one model)."""
    sq = sum(p.grad.flatten(1).pow(2).sum(1) for p in params)
    norms = sq.sqrt()
    factor = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for p in params:
        p.grad.mul_(factor.view((-1,) + (1,) * (p.dim() - 1)))
    return norms


def _layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """LayerNorm of x (K, N, d) with member k's weight and bias (K, d)."""
    return F.layer_norm(x, x.shape[-1:]) * weight.unsqueeze(1) + bias.unsqueeze(1)


def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Member k's ``nn.Linear``: x (K, N, in), weight (K, out, in), bias (K, out) -> (K, N, out)."""
    if bias is None:
        return torch.bmm(x, weight.transpose(1, 2))
    return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))


def stacked_logits(p: Mapping[str, torch.Tensor], cfg: GPTConfig, idx: torch.Tensor,
                   rope: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """:meth:`GPT.forward` of K models of one shape at once, written with batched matrix products: ``p`` maps each
    parameter name of :class:`GPT` to its K members stacked (K, ...), ``idx`` is (K, B, T); returns logits
    (K, B·T, V). Any MLP but a mixture of experts; rotary positions need ``rope`` (the model's cos and sin)."""
    K, B, T = idx.shape
    d, nh, hs = cfg.d_model, cfg.n_head, cfg.head_dim
    wte = p["wte.weight"]  # (K, V, d): also the tied output head
    x = wte[torch.arange(K, device=idx.device).view(K, 1, 1), idx]  # (K, B, T, d)
    if cfg.positions == "learned":
        x = x + p["wpe.weight"][:, :T].unsqueeze(1)
    x = x.reshape(K, B * T, d)
    for i in range(cfg.n_layer):
        w = {name[len(f"blocks.{i}."):]: t for name, t in p.items() if name.startswith(f"blocks.{i}.")}
        qkv = _linear(_layer_norm(x, w["ln1.weight"], w["ln1.bias"]), w["qkv.weight"], w["qkv.bias"])
        q, k, v = (t.reshape(K * B, T, nh, hs).transpose(1, 2) for t in qkv.split(d, dim=2))  # (KB, nh, T, hs)
        if rope is not None:
            q, k = apply_rotary(q, *rope), apply_rotary(k, *rope)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(K, B * T, d)
        x = x + _linear(y, w["proj.weight"], w["proj.bias"])
        if cfg.mlp == "none":
            continue
        h = _layer_norm(x, w["ln2.weight"], w["ln2.bias"])
        if cfg.mlp == "gated":
            x = x + _linear(F.silu(_linear(h, w["gate.weight"])) * _linear(h, w["up.weight"]), w["down.weight"])
        else:  # standard, quarter
            x = x + _linear(F.gelu(_linear(h, w["fc.weight"], w["fc.bias"])), w["fc_out.weight"], w["fc_out.bias"])
    return torch.bmm(_layer_norm(x, p["ln_f.weight"], p["ln_f.bias"]), wte.transpose(1, 2))


class StackedStep:
    """The training step of :func:`memcap.engine.training.loop.train_models` for K > 1 models of one shape: one
    batched forward and backward pass (:func:`stacked_logits`), per-member gradient clipping and
    :class:`StackedAdamW`. A finished member is frozen (its parameters and optimizer state stop changing) while the
    others go on."""

    def __init__(self, models: Sequence[GPT], datas: Sequence, cfgs: Sequence[TrainConfig]):
        shapes = {m.cfg.with_(attention="sdpa") for m in models}
        if len(shapes) != 1:
            raise ValueError(f"stacked models must share one shape; got {sorted(map(str, shapes))}")
        batch = {min(c.batch_size, d.shape[0]) if isinstance(d, torch.Tensor) else c.batch_size
                 for c, d in zip(cfgs, datas)}
        shared = {(c.betas, c.eps, c.grad_clip, c.precision, c.optimizer) for c in cfgs}
        if len(batch) != 1 or len(shared) != 1 or cfgs[0].precision != "fp32" or cfgs[0].optimizer != "adamw":
            raise ValueError(f"stacked members must share batch size, betas, eps, clipping, fp32 precision and AdamW; "
                             f"got batch sizes {sorted(batch)} and settings {sorted(map(str, shared))}")
        self.models, self.grad_clip = list(models), cfgs[0].grad_clip
        self.cfg = models[0].cfg
        self.device = next(models[0].parameters()).device
        self.params, _ = stack_module_state(self.models)
        self.names = list(self.params)
        self.rope = (models[0].rope_cos, models[0].rope_sin) if self.cfg.positions == "rotary" else None
        self.opt = StackedAdamW([self.params[n] for n in self.names], cfgs[0].betas,
                                torch.tensor([c.weight_decay for c in cfgs]), eps=cfgs[0].eps)

    def losses(self, X: torch.Tensor) -> torch.Tensor:
        """Each member's mean next-token loss in nats on its batch: X (K, B, S) -> (K,)."""
        logits = stacked_logits(self.params, self.cfg, X[:, :, :-1], self.rope)
        K = X.shape[0]
        return F.cross_entropy(logits.flatten(0, 1), X[:, :, 1:].flatten(), reduction="none").view(K, -1).mean(1)

    def __call__(self, batches: list[torch.Tensor], lrs: list[float], active: list[bool]) -> list[float]:
        losses = self.losses(torch.stack(batches))  # (K, B, S) in
        for p in self.params.values():
            p.grad = None
        losses.sum().backward()
        if self.grad_clip:
            clip_per_member_([self.params[n] for n in self.names], self.grad_clip)
        on = torch.tensor(active, device=self.device)
        self.opt.step(torch.tensor(lrs, dtype=torch.float32, device=self.device), on)
        return losses.detach().double().cpu().tolist()

    def member(self, k: int) -> GPT:
        """Model k with the current stacked parameters loaded (for evaluation)."""
        with torch.no_grad():
            self.models[k].load_state_dict({n: self.params[n][k].detach() for n in self.names}, strict=True)
        return self.models[k]

    def finish(self) -> None:
        for k in range(len(self.models)):
            self.member(k)


def stack_key(run) -> tuple:
    """Runs with equal keys can train stacked: same model shape and shared optimizer settings."""
    t = run.train
    if run.model.n_experts or t.optimizer != "adamw":  # the stacked step has no router, and is AdamW
        return ("alone", id(run))
    return (run.model, min(t.batch_size, run.n_sequences), t.betas, t.eps, t.grad_clip, t.precision)

