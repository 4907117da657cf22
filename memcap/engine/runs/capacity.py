"""Capacity runs: one model trained on N uniform sequences, everything that determines its result (its store key),
and its execution: training (several of one shape stacked together) and what every stored capacity run's metrics
hold.

Besides memorized bits, every run carries its baselines, measured in the same run (:mod:`memcap.measures.baselines`):
the model before training on its training data (log2 V a token for a model that knows nothing), and the trained
model on fresh sequences of the same source (what it "memorizes" of data it never saw).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch

from memcap.data.uniform import dataset_entropy_bits, memorizable_bits, uniform_sequences
from memcap.engine.runs.cost import capacity_flops
from memcap.engine.training.config import TrainConfig
from memcap.engine.training.loop import train_models
from memcap.engine.training.stacked import stack_key
from memcap.engine.version import ENGINE_VERSION
from memcap.measures.capacity import memorized_bits
from memcap.measures.evaluate import code_length_bits_per_token, sequence_code_length_bits
from memcap.model import GPT, GPTConfig


@dataclass(frozen=True)
class CapacityRun:
    """One model trained on N uniform sequences: everything that determines its result."""

    model: GPTConfig
    train: TrainConfig
    n_sequences: int
    data_seed: int = 0  # which N sequences
    init_seed: int = 0  # initialisation and batch order
    heldout_sequences: int = 256  # fresh sequences for the test loss (double descent)

    def __post_init__(self):
        if self.n_sequences < 1:
            raise ValueError(f"n_sequences must be >= 1, got n_sequences={self.n_sequences}")

    @property
    def cost(self) -> float:
        """Estimated training FLOPs (:mod:`memcap.engine.runs.cost`): among runs of one shape, in the order of N."""
        return capacity_flops(self.model, self.n_sequences)

    def stack_key(self, max_params: int) -> Hashable | None:
        """Runs with one key may train stacked: fp32 runs of at most ``max_params`` parameters, grouped by
        :func:`~memcap.engine.training.stacked.stack_key`; None (train alone) for any other."""
        if self.model.n_params <= max_params and self.train.precision == "fp32":
            return stack_key(self)
        return None

    @property
    def label(self) -> str:
        return f"d={self.model.d_model} N={self.n_sequences}"

    def execute(self, device: str = "cpu", progress: bool = False) -> tuple[dict, list[dict], dict]:
        """Train and measure this run: (metrics, learning curve, weights)."""
        return execute_runs([self], device, progress)[0]

    @staticmethod
    def execute_many(runs: Sequence[CapacityRun], device: str = "cpu", progress: bool = False) -> list:
        """Train runs of one :meth:`stack_key` together and measure each (:func:`execute_runs`)."""
        return execute_runs(runs, device, progress)

    def to_dict(self) -> dict:
        return {
            "engine": ENGINE_VERSION,
            "kind": "capacity",
            "model": asdict(self.model),
            "train": self.train.to_dict(),
            "n_sequences": self.n_sequences,
            "data_seed": self.data_seed,
            "init_seed": self.init_seed,
            "heldout_sequences": self.heldout_sequences,
        }

    @property
    def dataset_bits(self) -> float:
        return dataset_entropy_bits(self.n_sequences, self.model.seq_len, self.model.vocab_size)

    @property
    def memorizable_bits(self) -> float:
        """The most a model can memorize of this run's sequences (the first token of each is not memorizable)."""
        return memorizable_bits(self.n_sequences, self.model.seq_len, self.model.vocab_size)

    def fresh_sequences(self, n: int) -> torch.Tensor:
        """``n`` sequences from the same distribution, independent of the training and held-out ones
        (membership inference's non-members)."""
        g = torch.Generator().manual_seed(1_000_003 * self.data_seed + 2_000_000_011)
        return uniform_sequences(n, self.model.seq_len, self.model.vocab_size, g)

    def data(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Training and held-out sequences; the held-out ones depend on the data seed only."""
        g = torch.Generator().manual_seed(1_000_003 * self.data_seed + 17)
        held = uniform_sequences(self.heldout_sequences, self.model.seq_len, self.model.vocab_size, g)
        g = torch.Generator().manual_seed(1_000_003 * self.data_seed + self.n_sequences)
        return uniform_sequences(self.n_sequences, self.model.seq_len, self.model.vocab_size, g), held


def grid(models: Iterable[GPTConfig], n_sequences: Iterable[int], train_cfg: TrainConfig, **kw) -> list[CapacityRun]:
    """Every (model, N) pair as a run with the same training configuration."""
    return [CapacityRun(model=m, train=train_cfg, n_sequences=n, **kw) for m in models for n in n_sequences]


def execute_runs(runs: Sequence[CapacityRun], device: str = "cpu", progress: bool = False
                 ) -> list[tuple[dict, list[dict], dict]]:
    """Train runs together (one, or several of one shape: :mod:`memcap.engine.training.stacked`) and measure
    each: (metrics, learning curve, weights) per run."""
    data = [r.data() for r in runs]
    train_xs = [d[0].to(device) for d in data]
    models = [GPT(r.model, generator=torch.Generator().manual_seed(r.init_seed)).to(device) for r in runs]
    untrained = [code_length_bits_per_token(m, x) for m, x in zip(models, train_xs)]
    metrics = [(lambda m, x=x, V=r.model.vocab_size: memorized_bits(m, x, V).raw_bits) for r, x in zip(runs, train_xs)]
    first = runs[0].model
    results = train_models(models, train_xs, [r.train for r in runs], [r.init_seed for r in runs], metrics=metrics,
                           ceilings=[r.memorizable_bits for r in runs], progress=progress, metric_name="memorized bits",
                           description=f"L{first.n_layer} d{first.d_model} N={runs[0].n_sequences}"
                                       + (f" (+{len(runs) - 1} stacked)" if len(runs) > 1 else ""))
    out = []
    for r, m, res, x, (_, held), u in zip(runs, models, results, train_xs, data, untrained):
        metrics_, curve, state = _measure(r, m, res, x, held, device)
        metrics_.update(untrained_bits_per_token=u, stacked_with=len(runs))
        out.append((metrics_, curve, state))
    return out


def _measure(run: CapacityRun, model: GPT, result, train_x, held_x, device: str) -> tuple[dict, list[dict], dict]:
    V = run.model.vocab_size
    mem = memorized_bits(model, train_x, V)
    held_bits = sequence_code_length_bits(model, held_x.to(device))
    per_token = run.model.seq_len - 1
    per_sequence_entropy = run.model.seq_len * math.log2(V)
    metrics = dict(
        n_params=run.model.n_params,
        n_sequences=run.n_sequences,
        dataset_bits=mem.dataset_bits,
        memorized_bits=mem.raw_bits,
        memorized_bits_clipped=mem.clipped_bits,
        bits_per_param=mem.raw_bits / run.model.n_params,
        memorized_bits_per_sequence=mem.raw_bits / run.n_sequences,
        # the same model on fresh sequences of the same source: what it "memorizes" of data it never saw
        fresh_memorized_bits_per_sequence=float(np.mean(per_sequence_entropy - held_bits)),
        train_loss_bits_per_token=(mem.code_length_bits / run.n_sequences - math.log2(V)) / per_token,
        test_loss_bits_per_token=float((held_bits - math.log2(V)).mean()) / per_token,
        steps=result.steps,
        seconds=result.seconds,
        tokens=result.tokens,
        stop_reason=result.stop_reason,
        device=device,
        engine_version=ENGINE_VERSION,
        torch_version=torch.__version__,
    )
    state = {k: v for k, v in model.state_dict().items()}
    return metrics, result.curve, state
