"""Text shadow runs: K models of one shape, each trained on half of one pool of 2N real-text sequences, so that every
sequence is a member of exactly half of them (:mod:`memcap.engine.runs.shadow` does the same for uniform
sequences). The pool is the first 2N sequences that a :class:`~memcap.engine.runs.text.TextRun` of the same data seed
would draw from the pool split (the text's own pool, so members and non-members are dealt from one mix), and the
halves come from :func:`~memcap.engine.runs.shadow.membership_matrix`: models 2i and 2i + 1 train on complementary
halves. In every other respect a text shadow run is a text run: it trains, measures and stores the same metrics, under
a key of its own kind.

    >>> from memcap.data.text import TextSpec
    >>> from memcap.engine.training.config import TrainConfig
    >>> from memcap.model import GPTConfig
    >>> spec = TextSpec(vocab_size=300, seq_len=16, max_chars=20000, block_chars=1024)
    >>> base = TextRun(model=GPTConfig(vocab_size=300, seq_len=16, n_layer=1, d_model=8, n_head=1),
    ...                train=TrainConfig(max_steps=10, batch_size=4), text=spec, n_sequences=6)
    >>> runs = text_family(base, 6)
    >>> [r.index for r in runs], runs[0].to_dict()["kind"], runs[0].members().sum(axis=0).tolist()
    ([0, 1, 2, 3, 4, 5], 'text-shadow', [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3])
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from memcap.data.text import TextSplits
from memcap.engine.runs.shadow import membership_matrix
from memcap.engine.runs.text import TextRun


@dataclass(frozen=True)
class TextShadowRun(TextRun):
    """Model ``index`` of ``n_models`` trained on its half (N = ``n_sequences``) of a pool of 2N text sequences from the
    pool split; the pool and the halves depend on the data seed and N."""

    n_models: int = 8
    index: int = 0

    def __post_init__(self):
        super().__post_init__()
        if self.source != "pool" or self.copies != 1 or self.near or self.n_sequences < 1:
            raise ValueError(f"a text shadow run trains on its half of the pool split, without copies: need "
                             f"source='pool', copies=1, near=False and n_sequences >= 1; got source={self.source!r}, "
                             f"copies={self.copies}, near={self.near}, n_sequences={self.n_sequences}")
        membership_matrix(2 * self.n_sequences, self.n_models, 0)  # checks n_models
        if not 0 <= self.index < self.n_models:
            raise ValueError(f"index must lie in [0, {self.n_models}), got index={self.index!r}")

    @property
    def label(self) -> str:
        return f"text L{self.model.n_layer} d={self.model.d_model} N={self.n_sequences} shadow {self.index}/" \
               f"{self.n_models}"

    def to_dict(self) -> dict:
        return {**super().to_dict(), "kind": "text-shadow", "n_models": self.n_models, "index": self.index}

    def pool_indices(self, source_size: int) -> np.ndarray:
        """Rows of the pool split that form the family's pool of 2N sequences, in order."""
        n = 2 * self.n_sequences
        if n > source_size:
            raise ValueError(f"a family of N={self.n_sequences} needs 2N = {n} sequences, more than the "
                             f"{source_size} of the pool split")
        return np.random.default_rng([self.data_seed, 13]).permutation(source_size)[:n]

    def members(self) -> np.ndarray:
        """(K, 2N) booleans: which of the family's pool sequences each model trains on."""
        return membership_matrix(2 * self.n_sequences, self.n_models, self.data_seed)

    def pool(self, splits: TextSplits) -> np.ndarray:
        """The family's 2N pool sequences (int64 token ids, one row each)."""
        return splits.pool[self.pool_indices(len(splits.pool))]

    def train_indices(self, source_size: int) -> np.ndarray:
        """Rows of the pool split this model trains on: its half of the family's pool, in the pool's order."""
        return self.pool_indices(source_size)[self.members()[self.index]]


def text_family(run: TextRun, n_models: int) -> list[TextShadowRun]:
    """The ``n_models`` text shadow runs of ``run``'s model, training settings, text, N and seeds (model k is
    initialised from seed ``init_seed * 1000 + k``); ``run`` must train on the pool split without copies."""
    kept = {f.name: getattr(run, f.name) for f in fields(TextRun)}
    return [TextShadowRun(**{**kept, "init_seed": run.init_seed * 1_000 + k}, n_models=n_models, index=k)
            for k in range(n_models)]
