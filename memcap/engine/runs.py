"""What a capacity run is: one model trained on N uniform sequences, everything that determines its result, and
its store key. (Knowledge runs on biographies are :class:`memcap.engine.bioruns.KnowledgeRun`.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

import torch

from memcap.data.uniform import dataset_entropy_bits, memorizable_bits, uniform_sequences
from memcap.engine.train import TrainConfig
from memcap.engine.version import ENGINE_VERSION
from memcap.model import GPTConfig


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
        """Relative training cost, to schedule the biggest runs first."""
        return self.model.n_params * self.n_sequences

    @property
    def label(self) -> str:
        return f"d={self.model.d_model} N={self.n_sequences}"

    def execute(self, device: str = "cpu", progress: bool = False) -> tuple[dict, list[dict], dict]:
        from memcap.engine.measure import execute_run

        return execute_run(self, device, progress)

    def stack_key(self, max_params: int):
        """fp32 runs of at most ``max_params`` parameters stack with the runs of equal
        :func:`memcap.engine.stacked.stack_key`; None for the others: they train alone (the Run protocol)."""
        if self.model.n_params > max_params or self.train.precision != "fp32":
            return None
        from memcap.engine.stacked import stack_key

        return stack_key(self)

    @staticmethod
    def execute_many(runs, device: str = "cpu", progress=False) -> list[tuple[dict, list[dict], dict]]:
        """Train runs of one :meth:`stack_key` together and measure each
        (:func:`memcap.engine.measure.execute_runs`)."""
        from memcap.engine.measure import execute_runs

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


def load_model(store, run, device: str = "cpu"):
    """The trained model of a stored run (any run with a ``model`` configuration), in eval mode; ``store`` is a
    :class:`memcap.infra.store.RunStore` or its folder."""
    from memcap.infra.store import RunStore
    from memcap.model import GPT

    store = store if isinstance(store, RunStore) else RunStore(store)
    model = GPT(run.model)
    model.load_state_dict(store.load_weights(run.to_dict()))
    return model.to(device).eval()
