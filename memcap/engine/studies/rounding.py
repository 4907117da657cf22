"""Updates that round to nothing: how often a training step leaves a stored weight exactly as it was.

A bfloat16 number keeps 8 significant bits, so around a weight w the representable values lie about
|w| · 2⁻⁷ apart, and an update smaller than half that spacing is rounded away: the weight does not move. Adam's
steps are about the learning rate in size, so the smaller the rate (late in training, as it decays) and the larger
the weight, the more steps vanish. In fp32 (24 significant bits) the same steps survive.

:func:`unchanged_share` measures it on a trained model. It continues the model with the book's own trainer
(:func:`memcap.engine.training.loop.train`, the run's precision and batch size, fresh AdamW moments, a constant learning
rate) for ``steps`` steps on the run's training data, and after every step compares each weight element with its
value before that step. It returns the share of (element, step) pairs left exactly unchanged over the second half
of the steps, once the fresh moments have settled. The trained model is not changed: the continuation trains a
copy, and nothing is stored. :func:`stored_unchanged_share` keeps a stored run's share beside the store, under a
key that holds the run's key and the engine version (:mod:`memcap.engine.version`, which covers this module): a
kept share is invalidated by the same rule as a stored run.
"""

from __future__ import annotations

import copy
import dataclasses
import json

import torch

from memcap.infra.files import write_json_atomic
from memcap.engine.runs.base import load_model
from memcap.infra.store import RunStore
from memcap.engine.training.config import TrainConfig
from memcap.engine.training.loop import train
from memcap.engine.version import ENGINE_VERSION
from memcap.model import GPT


class _UnchangedCounter:
    """A training metric that records, at each call, the share of weight elements equal to the previous call's."""

    def __init__(self, model: GPT):
        self.previous = self._snapshot(model)
        self.shares: list[float] = []

    @staticmethod
    def _snapshot(model: GPT) -> list[torch.Tensor]:
        return [p.detach().float().clone() for p in model.parameters()]

    def __call__(self, model: GPT) -> float:
        now = self._snapshot(model)
        same = sum(int((a == b).sum()) for a, b in zip(self.previous, now))
        self.shares.append(same / sum(a.numel() for a in now))
        self.previous = now
        return 1.0  # a constant metric: the stall rule is switched off anyway


def unchanged_share(model: GPT, data: torch.Tensor, cfg: TrainConfig, lr: float, *, steps: int = 100,
                    seed: int = 0) -> float:
    """Share of weight elements a training step leaves exactly unchanged, at learning rate ``lr``, over the second
    half of ``steps`` steps of continued training of a copy of ``model`` on ``data`` (N, S) with ``cfg``'s
    precision, batch size, betas and clipping (see the module docstring).

        >>> from memcap.model import GPTConfig
        >>> g = torch.Generator().manual_seed(0)
        >>> model, data = GPT(GPTConfig(8, 8, 1, 8)), torch.randint(0, 8, (16, 8), generator=g)
        >>> fp32 = unchanged_share(model, data, TrainConfig(batch_size=8), lr=1e-3, steps=10)
        >>> bf16 = unchanged_share(model, data, TrainConfig(batch_size=8, precision="bf16"), lr=1e-3, steps=10)
        >>> fp32 < 0.05 < bf16
        True
    """
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got lr={lr!r}")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2, got steps={steps!r}")
    copy_ = copy.deepcopy(model).float()
    counter = _UnchangedCounter(copy_)
    constant = dataclasses.replace(cfg, max_steps=steps, lr=lr, warmup_steps=0, final_lr_ratio=1.0, eval_every=1,
                                   stall_rel_tol=-1.0, target_fraction=1.0, schedule="wsd")
    train(copy_, data, constant, seed=seed, metric=counter)
    late = counter.shares[len(counter.shares) // 2:]
    return sum(late) / len(late)


def stored_unchanged_share(store, run, lr: float, *, steps: int = 100, device: str = "cpu") -> float:
    """:func:`unchanged_share` of a stored run's trained model on its own training data, with its training
    settings, at ``lr``; computed once and kept beside the store's runs (``<store>/derived/``, written atomically),
    so a second call with the same arguments reads it, until the engine version changes."""
    store = store if isinstance(store, RunStore) else RunStore(store)
    if not store.has(run.to_dict()):
        raise ValueError(f"{run.label} is not in the store {store.root}: train it first")
    key = RunStore.key(dict(run=run.to_dict(), measure="unchanged_share", engine=ENGINE_VERSION, lr=float(lr),
                            steps=steps))
    path = store.root / "derived" / f"{key}.json"
    if path.exists():
        return json.loads(path.read_text())["unchanged_share"]
    model = load_model(store, run, device)
    share = unchanged_share(model, run.data()[0], run.train, lr, steps=steps, seed=run.init_seed)
    write_json_atomic(path, dict(unchanged_share=share, run=run.label, lr=float(lr), steps=steps))
    return share
