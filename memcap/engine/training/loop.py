"""The training loop: one model, or several of one shape stacked (:mod:`memcap.engine.training.stacked`), on a
fixed set of sequences or a stream, with the schedule and stop rules of :mod:`memcap.engine.training.config`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

import torch

from memcap.engine.training.config import STORED_SPELLINGS, Schedule, TrainConfig, TrainResult, decay_trigger
from memcap.engine.training.stacked import StackedStep
from memcap.model import GPT

def epoch_batches(n: int, batch_size: int, generator: torch.Generator):
    """Endless stream of index batches: each epoch is a fresh permutation, so every sequence is seen equally."""
    pending = torch.empty(0, dtype=torch.long)
    while True:
        while pending.numel() < batch_size:
            pending = torch.cat([pending, torch.randperm(n, generator=generator)])
        yield pending[:batch_size]
        pending = pending[batch_size:]


Data = torch.Tensor | Callable[[torch.Generator], Iterator[torch.Tensor]]


def batch_stream(data: Data, batch_size: int, seed: int, device: torch.device) -> Iterator[torch.Tensor]:
    """(B, S) training batches forever: epochs of the rows of a tensor, or what a stream function yields for the
    run's generator (text re-rendered at every exposure trains this way)."""
    if callable(data):
        return (b.to(device) for b in data(torch.Generator().manual_seed(seed)))
    data = data.to(device)
    rows = epoch_batches(data.shape[0], min(batch_size, data.shape[0]), torch.Generator().manual_seed(seed))
    return (data[i.to(device)] for i in rows)


MOE_BALANCE_WEIGHT = 0.01  # the Switch Transformer's coefficient of the load-balancing loss (mixture-of-experts only)


def make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    """``cfg.optimizer`` over ``params``: torch's AdamW (every chapter's), NAdam (decoupled weight decay), Adafactor
    or Rprop. Only AdamW and NAdam follow ``lr``, ``betas`` and ``eps`` as Adam does. torch's Adafactor reads ``lr``
    as a relative step (about ``min(lr, 1/sqrt(t))`` times the weights' RMS) and ignores ``betas`` and ``eps``. Rprop
    moves each weight by its own step size in the direction of its gradient's sign; those step sizes start, at the
    first step, from the rate the schedule gives then (``lr / warmup_steps``), the later rates do not change them,
    and it ignores ``betas``, ``eps`` and weight decay. So a comparison at one rate is like for like only among the
    Adam family."""
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, weight_decay=cfg.weight_decay,
                                 fused=False, foreach=True)
    if cfg.optimizer == "nadam":
        return torch.optim.NAdam(params, lr=cfg.lr, betas=cfg.betas, eps=cfg.eps, weight_decay=cfg.weight_decay,
                                 decoupled_weight_decay=True, foreach=True)
    if cfg.optimizer == "adafactor":
        return torch.optim.Adafactor(params, lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=True)
    if cfg.optimizer == "rprop":
        return torch.optim.Rprop(params, lr=cfg.lr, foreach=True)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}")


class _SingleStep:
    """One model, :func:`make_optimizer`'s optimizer (AdamW unless the config says otherwise); every precision
    (``bf16`` keeps the weights in bf16, ``bf16-mixed`` autocasts)."""

    def __init__(self, model: GPT, cfg: TrainConfig):
        self.model, self.cfg = model, cfg
        device = next(model.parameters()).device
        if cfg.precision == "bf16":
            model.to(torch.bfloat16)
        self.opt = make_optimizer(model.parameters(), cfg)
        self.autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.precision == "bf16-mixed")

    def __call__(self, batches: list[torch.Tensor], lrs: list[float], active: list[bool]) -> list[float]:
        (batch,), (lr,) = batches, lrs
        for group in self.opt.param_groups:
            group["lr"] = lr
        with self.autocast:
            loss = self.model.loss(batch[:, :-1], batch[:, 1:])
            # experts: the standard load-balancing term keeps the router from sending everything to one expert
            total = loss + MOE_BALANCE_WEIGHT * self.model.balance_loss() if self.model.cfg.n_experts else loss
        self.opt.zero_grad(set_to_none=True)
        total.backward()
        if self.cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
        self.opt.step()
        return [loss.item()]

    def member(self, k: int) -> GPT:
        return self.model

    def finish(self) -> None:
        if self.cfg.precision == "bf16":
            self.model.float()  # measure the bf16 weights exactly, in fp32 arithmetic


def train(
    model: GPT,
    data: Data,
    cfg: TrainConfig,
    *,
    seed: int = 0,
    metric: Callable[[GPT], float] | None = None,
    metric_name: str = "metric",
    metric_ceiling: float | None = None,
    progress: bool | Callable[..., None] = False,
    description: str = "",
) -> TrainResult:
    """Train ``model`` in place on the rows of ``data`` (N, S): next-token loss on positions 1..S-1.

    ``data`` may instead be a function that takes the run's random generator and yields (B, S) batches
    forever: text that is re-rendered at every exposure (the biographies) trains this way.

    ``metric(model)`` is evaluated every ``eval_every`` steps (in eval mode, no grad) and drives the stall
    rule; without one, the negative training loss does. ``metric_ceiling`` is the most the metric can reach
    (for memorized bits, :func:`memcap.measures.capacity.memorizable_bits`): with ``cfg.target_fraction < 1`` the decay
    also starts once the metric reaches that fraction of it. The same seed gives the same run. This is
    :func:`train_models` with one model.
    """
    return train_models([model], [data], [cfg], [seed], metrics=None if metric is None else [metric],
                        ceilings=[metric_ceiling], progress=progress, metric_name=metric_name,
                        description=description)[0]


def train_models(
    models: Sequence[GPT],
    datas: Sequence[Data],
    cfgs: Sequence[TrainConfig],
    seeds: Sequence[int],
    *,
    metrics: Sequence[Callable[[GPT], float]] | None = None,
    ceilings: Sequence[float | None] | None = None,
    progress: bool | Callable[..., None] = False,
    metric_name: str = "metric",
    description: str = "",
) -> list[TrainResult]:
    """The training loop: train K >= 1 models in place, model k on ``datas[k]`` with ``cfgs[k]`` and ``seeds[k]``.

    One model trains with torch's AdamW in any precision. Several train *stacked*
    (:mod:`memcap.engine.training.stacked`): one batched forward and backward pass for all of them, which needs one
    shape, one batch size, shared betas and clipping, and fp32. Everything else is per model and handled here, once,
    for both: the schedule with its stall, target and step-cap rules (:class:`Schedule`, :func:`decay_trigger`),
    evaluation of the metric every ``eval_every`` steps, and the learning curve, whose loss is the mean over the
    steps since the previous point. A stacked model follows the same arithmetic as when trained alone, up to the
    order of floating-point sums.

    ``progress=True`` shows a text progress bar; a callable instead is called at every evaluation of the first model
    with ``step``, ``max_steps``, ``metric_name`` and ``metric`` (:mod:`memcap.infra.progress` reports them to a
    terminal). Neither changes what is trained.
    """
    K = len(models)
    if K == 0 or not (K == len(datas) == len(cfgs) == len(seeds)):
        raise ValueError(f"need one data set, config and seed per model; got {K} models, {len(datas)} data sets, "
                         f"{len(cfgs)} configs, {len(seeds)} seeds")
    for name, seq in (("metrics", metrics), ("ceilings", ceilings)):
        if seq is not None and len(seq) != K:
            raise ValueError(f"need one entry of {name} per model; got {len(seq)} for {K} models")
    device = next(models[0].parameters()).device
    if K > 1 and any(m.cfg.n_experts for m in models):
        raise ValueError("mixture-of-experts models train one at a time (the stacked step has no router); "
                         f"got {K} models with mlp={models[0].cfg.mlp!r}")
    if K == 1:
        stepper = _SingleStep(models[0], cfgs[0])
    else:
        stepper = StackedStep(models, datas, cfgs)
    streams = [batch_stream(d, c.batch_size, s, device) for d, c, s in zip(datas, cfgs, seeds)]
    schedules = [Schedule(c) for c in cfgs]
    results = [TrainResult(steps=0, seconds=0.0, tokens=0, stop_reason="max_steps") for _ in range(K)]
    histories: list[list[float]] = [[] for _ in range(K)]
    running = [0.0] * K  # summed loss since the last curve point
    since = [0] * K  # steps since the last curve point
    active = [True] * K
    bar = None
    report = progress if callable(progress) else None  # a reporter: memcap.infra.progress
    if progress is True:
        from tqdm import tqdm  # plain text: widgets would need JavaScript from the web in the book

        bar = tqdm(total=max(c.max_steps for c in cfgs), desc=description or "train", leave=False, mininterval=1.0)
    t0 = time.perf_counter()
    step = 0
    while any(active):
        lrs = [c.lr * s(step) for c, s in zip(cfgs, schedules)]
        batches = [next(st) for st in streams]  # (B, S) each; a finished member's stream still advances
        losses = stepper(batches, lrs, active)
        step += 1
        for k in range(K):
            if not active[k]:
                continue
            c, sched, res = cfgs[k], schedules[k], results[k]
            running[k] += losses[k]
            since[k] += 1
            res.tokens += batches[k].shape[0] * (batches[k].shape[1] - 1)
            if step % c.eval_every == 0 or step == sched.end:
                model = stepper.member(k)
                model.eval()
                with torch.no_grad():
                    value = metrics[k](model) if metrics else -running[k] / since[k]
                model.train()
                histories[k].append(value)
                point = dict(step=step, lr=c.lr * sched(step - 1), loss=running[k] / since[k], metric=value,
                             seconds=time.perf_counter() - t0)
                res.curve.append(point)
                running[k], since[k] = 0.0, 0
                if bar is not None and k == 0:
                    bar.update(step - bar.n)
                    bar.set_postfix({metric_name: f"{value:,.0f}", "loss": f"{point['loss']:.3f}"})
                if report is not None and k == 0:
                    report(step=step, max_steps=c.max_steps, metric_name=metric_name, metric=value)
                reason = (decay_trigger(histories[k], c, ceilings[k] if ceilings else None)
                          if sched.decay_start is None else None)
                if reason:
                    sched.start_decay(step)
                    res.stop_reason = STORED_SPELLINGS.get(reason, reason)
            if sched.decay_start is None and step >= c.max_steps - max(c.min_decay_steps, int(c.decay_frac * step)):
                sched.start_decay(step)  # the cap leaves just room for the decay
            if step >= sched.end:
                active[k] = False
                res.steps, res.seconds = step, time.perf_counter() - t0
    if bar is not None:
        bar.close()
    stepper.finish()
    for m in models:
        m.eval()
    return results


def train_stacked(models: Sequence[GPT], datas: Sequence[Data], cfgs: Sequence[TrainConfig], seeds: Sequence[int],
                  metrics: Sequence[Callable[[GPT], float]] | None = None,
                  ceilings: Sequence[float | None] | None = None) -> list[TrainResult]:
    """Train ``models`` (same shape) together: :func:`train_models` with K = len(models) >= 2."""
    if len(models) < 2:
        raise ValueError(f"stacking needs at least 2 models, got {len(models)}; use train for one")
    return train_models(models, datas, cfgs, seeds, metrics=metrics, ceilings=ceilings)


def gain_during_decay(curve: list[dict]) -> float:
    """Share of the final metric gained after the learning rate started to decay (0 if it never did).

        >>> gain_during_decay([dict(step=1, lr=1.0, metric=50), dict(step=2, lr=1.0, metric=80),
        ...                    dict(step=3, lr=0.5, metric=90), dict(step=4, lr=0.1, metric=100)])
        0.2
    """
    if not curve:
        raise ValueError("empty learning curve")
    lrs = [p["lr"] for p in curve]
    peak_at = max(range(len(lrs)), key=lambda i: lrs[i])
    start = next((i for i in range(peak_at + 1, len(curve)) if lrs[i] < 0.999 * lrs[peak_at]), len(curve))
    before = curve[start - 1]["metric"] if start < len(curve) else curve[-1]["metric"]
    final = curve[-1]["metric"]
    return (final - before) / final if final else 0.0
