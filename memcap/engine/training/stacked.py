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

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from memcap.model import GPT
from memcap.engine.training.config import TrainConfig


class StackedAdamW:
    """AdamW over stacked parameters (leading dimension K), with a rate and weight decay per member, and members
    that can be frozen.

    Matches ``torch.optim.AdamW`` member by member: decoupled weight decay, bias correction per member's own step.
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
        self.t += active.double()
        t = self.t.clamp(min=1)
        bc1 = (1 - self.b1**t).float()
        bc2_sqrt = (1 - self.b2**t).sqrt().float()
        for p, m, v in zip(self.params, self.m, self.v):
            shape = (-1,) + (1,) * (p.dim() - 1)
            a = active.view(shape)
            g = p.grad
            m.copy_(torch.where(a, self.b1 * m + (1 - self.b1) * g, m))
            v.copy_(torch.where(a, self.b2 * v + (1 - self.b2) * g * g, v))
            lr_k = (lr * active).view(shape)
            p.mul_(1 - lr_k * self.wd.view(shape))
            p.sub_(lr_k / bc1.view(shape) * m / (v.sqrt() / bc2_sqrt.view(shape) + self.eps))


def clip_per_member_(params: Sequence[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Clip each member's gradient to total norm ``max_norm`` (as ``clip_grad_norm_`` does for one model)."""
    sq = sum(p.grad.flatten(1).pow(2).sum(1) for p in params)
    norms = sq.sqrt()
    factor = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for p in params:
        p.grad.mul_(factor.view((-1,) + (1,) * (p.dim() - 1)))
    return norms


class StackedStep:
    """The training step of :func:`memcap.engine.training.loop.train_models` for K > 1 models of one shape: one
    vmapped forward and backward pass, per-member gradient clipping and :class:`StackedAdamW`. A finished member is
    frozen (its parameters and optimizer state stop changing) while the others go on."""

    def __init__(self, models: Sequence[GPT], datas: Sequence, cfgs: Sequence[TrainConfig]):
        shapes = {m.cfg.with_(attention="sdpa") for m in models}
        if len(shapes) != 1:
            raise ValueError(f"stacked models must share one shape; got {sorted(map(str, shapes))}")
        batch = {min(c.batch_size, d.shape[0]) if isinstance(d, torch.Tensor) else c.batch_size
                 for c, d in zip(cfgs, datas)}
        shared = {(c.betas, c.grad_clip, c.precision) for c in cfgs}
        if len(batch) != 1 or len(shared) != 1 or cfgs[0].precision != "fp32":
            raise ValueError(f"stacked members must share batch size, betas, clipping and fp32 precision; "
                             f"got batch sizes {sorted(batch)} and settings {sorted(map(str, shared))}")
        self.models, self.grad_clip = list(models), cfgs[0].grad_clip
        self.device = next(models[0].parameters()).device
        base = GPT(models[0].cfg.with_(attention="manual")).to("meta")  # plain matmuls: vmap batches them
        self.params, self.buffers = stack_module_state(self.models)
        self.names = list(self.params)
        self.opt = StackedAdamW([self.params[n] for n in self.names], cfgs[0].betas,
                                torch.tensor([c.weight_decay for c in cfgs]))

        def member_loss(p, b, x, y):
            logits = functional_call(base, (p, b), (x,))
            return F.cross_entropy(logits.flatten(0, 1), y.flatten())

        self.batched_loss = vmap(member_loss)
        self.loaded = [False] * len(self.models)

    def __call__(self, batches: list[torch.Tensor], lrs: list[float], active: list[bool]) -> list[float]:
        X = torch.stack(batches)  # (K, B, S)
        losses = self.batched_loss(self.params, self.buffers, X[:, :, :-1], X[:, :, 1:])
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
    if run.model.n_experts:  # the stacked step has no router: mixtures of experts train one at a time
        return ("alone", id(run))
    return (run.model, min(t.batch_size, run.n_sequences), t.betas, t.grad_clip, t.precision)

