"""Shadow runs: K models of one shape, each trained on half of one pool of 2N uniform sequences, so that every
sequence is a member of exactly half of them (the design of Carlini et al. 2022's LiRA experiments). Each model in
turn is the attacked *target*; the other K − 1 are its shadows, half of which trained on any given sequence.

The halves come in complementary pairs: models 2i and 2i + 1 split the pool by one random permutation, so every model
trains on exactly N sequences and every sequence is in exactly K/2 training sets (:func:`membership_matrix`).
A shadow run is a :class:`~memcap.engine.runs.capacity.CapacityRun` in every other respect: it trains (stacked with
its siblings), measures and stores the same metrics, under a key of its own kind.

    >>> m = membership_matrix(8, 4, seed=0)
    >>> m.shape, m.sum(axis=1).tolist(), m.sum(axis=0).tolist()
    ((4, 8), [4, 4, 4, 4], [2, 2, 2, 2, 2, 2, 2, 2])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from memcap.data.uniform import uniform_sequences
from memcap.engine.runs.capacity import CapacityRun


def membership_matrix(n_pool: int, n_models: int, seed: int) -> np.ndarray:
    """(K, n_pool) booleans, True where model k trains on pool sequence j: complementary halves, model pairs
    (2i, 2i + 1) from one permutation each (seeded by ``seed``, the pair index and nothing else)."""
    if n_models < 2 or n_models % 2:
        raise ValueError(f"n_models must be an even number of at least 2, got n_models={n_models!r}")
    if n_pool < 2 or n_pool % 2:
        raise ValueError(f"the pool must hold an even number of sequences (2N), got n_pool={n_pool!r}")
    out = np.zeros((n_models, n_pool), dtype=bool)
    for i in range(n_models // 2):
        order = np.random.default_rng([seed, i, 7_919]).permutation(n_pool)
        out[2 * i, order[: n_pool // 2]] = True
        out[2 * i + 1] = ~out[2 * i]
    return out


@dataclass(frozen=True)
class ShadowRun(CapacityRun):
    """Model ``index`` of ``n_models`` trained on its half (N = ``n_sequences``) of a pool of 2N uniform sequences;
    the pool depends on the data seed and N, the halves on the data seed too."""

    n_models: int = 8
    index: int = 0

    def __post_init__(self):
        super().__post_init__()
        membership_matrix(2 * self.n_sequences, self.n_models, 0)  # checks n_models
        if not 0 <= self.index < self.n_models:
            raise ValueError(f"index must lie in [0, {self.n_models}), got index={self.index!r}")

    @property
    def label(self) -> str:
        return f"d={self.model.d_model} N={self.n_sequences} shadow {self.index}/{self.n_models}"

    def to_dict(self) -> dict:
        return {**super().to_dict(), "kind": "shadow", "n_models": self.n_models, "index": self.index}

    def pool(self) -> torch.Tensor:
        """The 2N sequences every model of this family draws its half from (members of some, not others)."""
        g = torch.Generator().manual_seed(1_000_003 * self.data_seed + 3 * self.n_sequences + 5)
        return uniform_sequences(2 * self.n_sequences, self.model.seq_len, self.model.vocab_size, g)

    def members(self) -> np.ndarray:
        """(K, 2N) booleans: which pool sequences each model of the family trains on."""
        return membership_matrix(2 * self.n_sequences, self.n_models, self.data_seed)

    def data(self) -> tuple[torch.Tensor, torch.Tensor]:
        held = super().data()[1]  # held-out sequences, as a capacity run of this data seed has them
        inside = torch.from_numpy(self.members()[self.index])
        return self.pool()[inside], held


def family(run: CapacityRun, n_models: int) -> list[ShadowRun]:
    """The ``n_models`` shadow runs of ``run``'s model, training settings, N and seeds."""
    fields = {k: getattr(run, k) for k in ("model", "train", "n_sequences", "data_seed", "init_seed",
                                           "heldout_sequences")}
    return [ShadowRun(**{**fields, "init_seed": fields["init_seed"] * 1_000 + k}, n_models=n_models, index=k)
            for k in range(n_models)]


def families(runs: Iterable[CapacityRun], n_models: int) -> list[ShadowRun]:
    """Every run's :func:`family`, one after another."""
    return [s for r in runs for s in family(r, n_models)]
