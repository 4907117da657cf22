"""The shared uniform-sequence capacity sweep (chapter 2 trains its runs; chapter 4 adds precisions, chapter 5
larger datasets, chapter 6 reads its alpha): models, datasets and the step-cap arithmetic, per scale.

Every chapter that reuses a stored run rebuilds it through :meth:`CapacitySweep.run`, so the store keys match.

    >>> sweep = CAPACITY_SWEEPS["smoke"]  # V = 8, S = 8: 24 bits a sequence
    >>> run = sweep.run(1, 8, 2)  # P = 1,016: N = round(2 · 1016 / 24) sequences, 200 epochs < min_steps
    >>> (run.model.n_params, run.n_sequences, run.train.max_steps)
    (1016, 85, 400)
    >>> sweep.run(1, 16, 3).train.max_steps  # 200 · 446 // 64 = 1393 steps, capped at max_steps
    800
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from memcap.book.presets.settings import PresetBase, setting
from memcap.engine.runs import CapacityRun
from memcap.engine.training import TrainConfig
from memcap.model import GPTConfig


class Shape(NamedTuple):
    """A model of ``n_layer`` layers of width ``width``, trained at learning rate ``lr``."""

    n_layer: int
    width: int
    lr: float



class Config(NamedTuple):
    """A capacity run by shape and dataset size: layers, width, dataset bits per parameter H(X)/P."""

    n_layer: int
    width: int
    bits_per_param: float



class Layers(NamedTuple):
    """A model shape without its rate: layers and width."""

    n_layer: int
    width: int



@dataclass(frozen=True)
class CapacitySweep(PresetBase):
    """Models trained on uniform sequences to capacity, and the datasets they see."""

    vocab_size: int = setting("V: symbols per token (log2 V bits each)")
    seq_len: int = setting("S: tokens per sequence; also the model's learned positions")
    models: tuple[Shape, ...] = setting("layers, width and learning rate of each model")
    head_dim: int = setting("dimensions per attention head: n_head = width // head_dim")
    dataset_bits_per_param: tuple[float, ...] = setting("dataset sizes as H(X)/P, from below capacity to far past it")
    batch_size: int = setting("sequences per step")
    min_steps: int = setting("the step cap is at least this")
    max_epochs: int = setting("step cap: max(min_steps, max_epochs · N / batch_size), at most max_steps")
    max_steps: int = setting("the step cap's ceiling")
    warmup_steps: int = setting("linear warm-up steps")
    eval_every: int = setting("steps between measurements of memorized bits (the stall rule and the curves)")
    stall_window: int = setting("measurements the stall rule looks back over")
    stall_rel_tol: float = setting("a gain below this share over the window is a stall: the decay starts")
    decay_frac: float = setting("the cosine decay's length as a share of the steps done before it")
    min_decay_steps: int = setting("the decay lasts at least this many steps")
    target_fraction: float = setting("reaching this share of the memorizable bits also starts the decay")
    stack: int = setting("train up to this many runs of one shape together in one process")
    stack_max_params: int = setting("only models this small stack (benchmarks/throughput.py: where it pays)")

    def shape(self, n_layer: int, width: int) -> Shape:
        for s in self.models:
            if (s.n_layer, s.width) == (n_layer, width):
                return s
        raise ValueError(f"model (n_layer={n_layer}, width={width}) is not in the preset's models "
                         f"{[(s.n_layer, s.width) for s in self.models]}")

    def run(self, n_layer: int, width: int, bits_per_param: float, *, vocab_size: int | None = None,
            seq_len: int | None = None, data_seed: int = 0, init_seed: int = 0, **train_changes) -> CapacityRun:
        """The run of one model shape on a dataset of ``bits_per_param`` · P bits (V and S as the sweep's unless
        given). The step cap is max(min_steps, max_epochs · N / batch_size), at most max_steps; ``train_changes``
        override TrainConfig fields (a schedule or precision to compare)."""
        V = self.vocab_size if vocab_size is None else vocab_size
        S = self.seq_len if seq_len is None else seq_len
        shape = self.shape(n_layer, width)
        cfg = GPTConfig(vocab_size=V, seq_len=S, n_layer=n_layer, d_model=width, n_head=max(1, width // self.head_dim))
        n = max(1, round(bits_per_param * cfg.n_params / (S * math.log2(V))))
        steps = min(self.max_steps, max(self.min_steps, self.max_epochs * n // self.batch_size))
        settings = dict(
            max_steps=steps, batch_size=self.batch_size, lr=shape.lr, warmup_steps=self.warmup_steps,
            eval_every=self.eval_every, stall_window=self.stall_window, stall_rel_tol=self.stall_rel_tol,
            decay_frac=self.decay_frac, min_decay_steps=self.min_decay_steps, target_fraction=self.target_fraction,
        )
        tc = TrainConfig(**{**settings, **train_changes})
        return CapacityRun(model=cfg, train=tc, n_sequences=n, data_seed=data_seed, init_seed=init_seed)

    def grid(self, data_seed: int = 0, init_seed: int = 0, **train_changes) -> list[CapacityRun]:
        """Every model on every dataset size, models in order."""
        return [self.run(s.n_layer, s.width, r, data_seed=data_seed, init_seed=init_seed, **train_changes)
                for s in self.models for r in self.dataset_bits_per_param]


CAPACITY_SWEEPS = {
    "smoke": CapacitySweep(
        vocab_size=8, seq_len=8,
        models=(Shape(1, 4, 3e-2), Shape(1, 8, 3e-2), Shape(1, 12, 3e-2), Shape(1, 16, 3e-2)), head_dim=4,
        dataset_bits_per_param=(1, 2, 3), batch_size=64, min_steps=400, max_epochs=200, max_steps=800,
        warmup_steps=20, eval_every=50, stall_window=3, stall_rel_tol=0.01, decay_frac=0.3, min_decay_steps=100,
        target_fraction=0.97, stack=4, stack_max_params=4000,
    ),
    "default": CapacitySweep(  # 7.2K-35K params (4.9x) at two depths
        vocab_size=256, seq_len=32,
        models=(Shape(2, 12, 3e-2), Shape(2, 16, 3e-2), Shape(2, 20, 2e-2), Shape(2, 32, 1.2e-2), Shape(1, 24, 2e-2)),
        head_dim=4, dataset_bits_per_param=(2, 8, 14), batch_size=128, min_steps=4000, max_epochs=3000,
        max_steps=20000, warmup_steps=100, eval_every=250, stall_window=4, stall_rel_tol=0.005, decay_frac=0.3,
        min_decay_steps=500, target_fraction=0.97, stack=2, stack_max_params=8000,
    ),
    "paper": CapacitySweep(  # Morris et al. Table 1's grid; the rates are ours (the paper gives none)
        vocab_size=2048, seq_len=64,
        models=tuple(Shape(L, d, 3e-3 if d <= 64 else 1e-3) for L in (1, 2, 4, 8) for d in (32, 64, 128, 256)),
        head_dim=16, dataset_bits_per_param=(1, 2, 4, 6, 8), batch_size=2048, min_steps=20000, max_epochs=4000,
        max_steps=1_000_000, warmup_steps=1000, eval_every=1000, stall_window=5, stall_rel_tol=0.002,
        decay_frac=0.3, min_decay_steps=5000, target_fraction=0.97, stack=1, stack_max_params=0,
    ),
}


def geometric(lo: float, hi: float, n: int) -> tuple[float, ...]:
    """``n`` sizes from ``lo`` to ``hi``, evenly spaced in log, to three significant digits."""
    if not 0 < lo < hi or n < 2:
        raise ValueError(f"need 0 < lo < hi and n >= 2, got lo={lo}, hi={hi}, n={n}")
    return tuple(float(f"{lo * (hi / lo) ** (k / (n - 1)):.3g}") for k in range(n))

