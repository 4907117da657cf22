"""Training several small models of one shape at once, in one process, with batched matrix products.

A tiny GPT leaves most of a CPU core idle: its matrix products are too small to keep the arithmetic units busy,
and the time goes to per-operation overhead. Stacking K models of the same shape (different data, seeds or
learning rates) turns K small products into one batched product. Whether that pays depends on the size: the
throughput benchmark (``benchmarks/throughput.py``) measures it, and :func:`memcap.sweep.run_sweep` stacks runs
only when asked (``stack=K``), for runs at most ``stack_max_params`` parameters.

Each member keeps its own everything: data, batch order (the same epoch stream as :func:`memcap.train.train`
with its seed), learning-rate schedule with its own plateau rule, gradient clipping and AdamW state. The maths
is that of :func:`memcap.train.train`; only the floating-point summation order differs, so a stacked run's numbers
agree with a single run's to rounding at first and statistically after many steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state, vmap

from .model import GPT
from .train import Schedule, TrainConfig, TrainResult, decay_trigger, epoch_batches


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


def train_stacked(
    models: Sequence[GPT],
    datas: Sequence[torch.Tensor],
    cfgs: Sequence[TrainConfig],
    seeds: Sequence[int],
    metrics: Sequence[Callable[[GPT], float]] | None = None,
    ceilings: Sequence[float | None] | None = None,
) -> list[TrainResult]:
    """Train ``models`` (same shape) in place, member k on ``datas[k]`` with ``cfgs[k]`` and ``seeds[k]``.

    Members must share batch size (after capping at their dataset size), betas, gradient clipping and fp32
    precision; everything else (rates, weight decay, schedules, step caps, plateau and target rules, with
    ``ceilings[k]`` as member k's metric ceiling) is per member.
    """
    K = len(models)
    if not (K == len(datas) == len(cfgs) == len(seeds)) or K == 0:
        raise ValueError(f"need one data tensor, config and seed per model; got {K} models, {len(datas)} datas, "
                         f"{len(cfgs)} configs, {len(seeds)} seeds")
    shapes = {m.cfg.with_(attention="sdpa") for m in models}
    if len(shapes) != 1:
        raise ValueError(f"stacked models must share one shape; got {sorted(map(str, shapes))}")
    batch = {min(c.batch_size, d.shape[0]) for c, d in zip(cfgs, datas)}
    shared = {(c.betas, c.grad_clip, c.precision) for c in cfgs}
    if len(batch) != 1 or len(shared) != 1 or cfgs[0].precision != "fp32":
        raise ValueError(f"stacked members must share batch size, betas, clipping and fp32 precision; "
                         f"got batch sizes {sorted(batch)} and settings {sorted(map(str, shared))}")
    B = batch.pop()
    device = next(models[0].parameters()).device
    base = GPT(models[0].cfg.with_(attention="manual")).to("meta")  # plain matmuls: vmap batches them
    params, buffers = stack_module_state(list(models))
    names = list(params)
    opt = StackedAdamW([params[n] for n in names], cfgs[0].betas, torch.tensor([c.weight_decay for c in cfgs]))

    def member_loss(p, b, x, y):
        logits = functional_call(base, (p, b), (x,))
        return F.cross_entropy(logits.flatten(0, 1), y.flatten())

    batched_loss = vmap(member_loss)
    streams = [epoch_batches(d.shape[0], B, torch.Generator().manual_seed(s)) for d, s in zip(datas, seeds)]
    datas = [d.to(device) for d in datas]
    schedules = [Schedule(c) for c in cfgs]
    results = [TrainResult(steps=0, seconds=0.0, tokens=0, stop_reason="max_steps") for _ in range(K)]
    histories: list[list[float]] = [[] for _ in range(K)]
    running = torch.zeros(K, dtype=torch.float64)
    active = torch.ones(K, dtype=torch.bool)
    t0 = time.perf_counter()
    step = 0
    while bool(active.any()):
        lr = torch.tensor([c.lr * s(step) for c, s in zip(cfgs, schedules)], dtype=torch.float32)
        X = torch.stack([d[next(st).to(device)] for d, st in zip(datas, streams)])  # (K, B, S)
        losses = batched_loss(params, buffers, X[:, :, :-1], X[:, :, 1:])
        for p in params.values():
            p.grad = None
        losses.sum().backward()
        if cfgs[0].grad_clip:
            clip_per_member_([params[n] for n in names], cfgs[0].grad_clip)
        opt.step(lr.to(device), active.to(device))
        running += losses.detach().double().cpu() * active
        step += 1
        for k in range(K):
            if not active[k]:
                continue
            c, sched, res = cfgs[k], schedules[k], results[k]
            if step % c.eval_every == 0 or step == sched.end:
                with torch.no_grad():
                    models[k].load_state_dict({n: params[n][k].detach() for n in names}, strict=True)
                models[k].eval()
                with torch.no_grad():
                    value = metrics[k](models[k]) if metrics else -float(running[k]) / c.eval_every
                histories[k].append(value)
                res.curve.append(dict(step=step, lr=c.lr * sched(step - 1), loss=float(running[k]) / c.eval_every,
                                      metric=value, seconds=time.perf_counter() - t0))
                running[k] = 0.0
                reason = (decay_trigger(histories[k], c, ceilings[k] if ceilings else None)
                          if sched.decay_start is None else None)
                if reason:
                    sched.start_decay(step)
                    res.stop_reason = reason
            if sched.decay_start is None and step >= c.max_steps - max(c.min_decay_steps, int(c.decay_frac * step)):
                sched.start_decay(step)
            if step >= sched.end:
                active[k] = False
                res.steps, res.seconds = step, time.perf_counter() - t0
                res.tokens = step * B * (datas[k].shape[1] - 1)
    with torch.no_grad():
        for k, m in enumerate(models):
            m.load_state_dict({n: params[n][k].detach() for n in names}, strict=True)
            m.eval()
    return results


def stack_key(run) -> tuple:
    """Runs with equal keys can train stacked: same model shape and shared optimizer settings."""
    t = run.train
    return (run.model, min(t.batch_size, run.n_sequences), t.betas, t.grad_clip, t.precision)

