"""What a run costs: training tokens, FLOPs, and the training FLOP/s a device achieves on a model's shape.

FLOPs of a training step are counted as 6 · (non-embedding parameters + V·d for the tied output head) per token,
plus the attention scores (6 · 2 · L · T · d per token for forward and backward of QKᵀ and AV, T the mean context
length): the usual transformer estimate (Kaplan et al. 2020). Evaluations of the metric during training are not
counted.

A run's ``cost`` (the Run protocol's, :mod:`memcap.infra.sweep`'s ordering key: biggest first) has one meaning for
every kind: its **estimated training FLOPs**, :func:`step_flops_per_token` × the tokens it is expected to train
on. Knowledge and text runs are expected to train to their step cap (:func:`run_flops`). A capacity run trains
until its stall rule ends it, which nothing tells in advance; it is expected to make :data:`CAPACITY_EPOCHS` passes
over its N sequences (:func:`capacity_flops`), so that among runs of one shape the cost orders them by N, as
stacked groups are formed. :func:`run_tokens` and :func:`run_flops` count any run to its step cap: upper bounds
for capacity runs.
"""

from __future__ import annotations

import time

import torch

from memcap.data.uniform import uniform_sequences
from memcap.model import GPT, GPTConfig


def step_flops_per_token(cfg: GPTConfig) -> float:
    """Training FLOPs per token of a model (forward and backward).

        >>> cfg = GPTConfig(vocab_size=256, seq_len=33, n_layer=2, d_model=16, n_head=2)
        >>> step_flops_per_token(cfg) == 6 * (cfg.n_params - 33 * 16) + 6 * 2 * 2 * 16 * 16
        True
    """
    d, L, T = cfg.d_model, cfg.n_layer, (cfg.seq_len - 1) / 2
    non_embedding = cfg.n_params - cfg.vocab_size * d - (cfg.seq_len * d if cfg.positions == "learned" else 0)
    return 6 * (non_embedding + cfg.vocab_size * d) + 6 * 2 * L * T * d


CAPACITY_EPOCHS = 200  # passes over its data a capacity run is expected to make (the median of chapter 2's smoke runs)


def capacity_flops(cfg: GPTConfig, n_sequences: int) -> float:
    """Estimated training FLOPs of a capacity run of ``cfg`` on ``n_sequences`` sequences: :data:`CAPACITY_EPOCHS`
    passes over them.

        >>> cfg = GPTConfig(vocab_size=256, seq_len=33, n_layer=2, d_model=16, n_head=2)
        >>> capacity_flops(cfg, 20) == 2 * capacity_flops(cfg, 10) == step_flops_per_token(cfg) * 200 * 10 * 32 * 2
        True
    """
    return step_flops_per_token(cfg) * (CAPACITY_EPOCHS * n_sequences * (cfg.seq_len - 1))


def run_tokens(run) -> int:
    """Training tokens of a run at its step cap: steps · batch · predicted tokens per window."""
    return run.train.max_steps * run.train.batch_size * (run.model.seq_len - 1)


def run_flops(run) -> float:
    """Training FLOPs of a run at its step cap."""
    return run_tokens(run) * step_flops_per_token(run.model)


def training_tokens_per_second(cfg: GPTConfig, batch_size: int, steps: int = 5, device: str = "cpu",
                               warmup: int = 2) -> float:
    """Tokens per second of AdamW training steps of ``cfg`` at ``batch_size`` on ``device`` (in this process, with
    its current torch thread count)."""
    model = GPT(cfg, generator=torch.Generator().manual_seed(0)).to(device)
    data = uniform_sequences(batch_size, cfg.seq_len, cfg.vocab_size, torch.Generator().manual_seed(0)).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, foreach=True)

    def step():
        loss = model.loss(data[:, :-1], data[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return steps * batch_size * (cfg.seq_len - 1) / (time.perf_counter() - t0)


def training_flops_per_second(cfg: GPTConfig, batch_size: int, steps: int = 5, device: str = "cpu") -> float:
    """Achieved training FLOP/s of ``cfg`` at ``batch_size`` on ``device``."""
    return training_tokens_per_second(cfg, batch_size, steps, device) * step_flops_per_token(cfg)
