"""Small sequence models with exact likelihoods: a Markov source and an n-gram model.

They stand in for "the data process" and "a trained model" wherever a chapter wants every probability
computed exactly and in milliseconds. Both are next-symbol models in the sense of ``memcap.theory.coding``
(``model(prefix) -> probabilities``), so the arithmetic coder runs on them unchanged.

First-symbol convention (shared with every likelihood in memcap): a sequence x0..x_{T-1} is scored as

    INPUT: bos x0 x1 ... x_{T-2}
    PRED:  x0  x1 x2 ... x_{T-1}     every symbol is predicted exactly once

so the first symbol is charged under the model's start distribution (``initial`` for the source, the
all-BOS context for the n-gram model).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from memcap.theory.information import check_distribution


@dataclass(frozen=True)
class MarkovSource:
    """A first-order Markov chain over V symbols: P(x0) = initial, P(x_t | x_{t-1}) = transition[x_{t-1}].

        >>> src = MarkovSource(initial=np.array([1.0, 0.0]), transition=np.array([[0.0, 1.0], [1.0, 0.0]]))
        >>> src.sample(1, 4, np.random.default_rng(0)).tolist()
        [[0, 1, 0, 1]]
    """

    initial: np.ndarray  # (V,)
    transition: np.ndarray  # (V, V), rows sum to 1

    def __post_init__(self):
        check_distribution(self.initial, "initial", ndim=1)
        t = np.asarray(self.transition, dtype=float)
        if t.shape != (self.vocab_size, self.vocab_size):
            raise ValueError(f"transition must be ({self.vocab_size}, {self.vocab_size}), got {t.shape}")
        for i, row in enumerate(t):
            check_distribution(row, f"transition[{i}]")

    @property
    def vocab_size(self) -> int:
        return int(np.asarray(self.initial).shape[0])

    @classmethod
    def random(cls, vocab_size: int, concentration: float, rng: np.random.Generator) -> MarkovSource:
        """Rows drawn from Dirichlet(concentration): small values give peaked, predictable rows."""
        if vocab_size < 2:
            raise ValueError(f"vocab_size must be >= 2, got {vocab_size}")
        if concentration <= 0:
            raise ValueError(f"concentration must be > 0, got {concentration}")
        transition = rng.dirichlet(np.full(vocab_size, concentration), size=vocab_size)
        return cls(initial=np.full(vocab_size, 1.0 / vocab_size), transition=transition)

    def __call__(self, prefix: Sequence[int]) -> np.ndarray:
        return np.asarray(self.initial) if len(prefix) == 0 else np.asarray(self.transition)[prefix[-1]]

    def sample(self, n_sequences: int, length: int, rng: np.random.Generator) -> np.ndarray:
        """(n_sequences, length) array of symbols."""
        if n_sequences < 0 or length < 1:
            raise ValueError(f"need n_sequences >= 0 and length >= 1, got {n_sequences}, {length}")
        cdf = np.cumsum(self.transition, axis=1)
        out = np.empty((n_sequences, length), dtype=np.int64)
        out[:, 0] = rng.choice(self.vocab_size, size=n_sequences, p=self.initial)
        for t in range(1, length):
            u = rng.random(n_sequences)
            out[:, t] = np.minimum((u[:, None] > cdf[out[:, t - 1]]).sum(axis=1), self.vocab_size - 1)
        return out

    def code_length_bits(self, sequences: np.ndarray) -> np.ndarray:
        """−log2 p(x) for each row of ``sequences``, the first symbol included."""
        x = np.atleast_2d(sequences)
        bits = -np.log2(self.initial[x[:, 0]])
        bits -= np.log2(self.transition[x[:, :-1], x[:, 1:]]).sum(axis=1)
        return bits

    def entropy_rate_bits(self) -> float:
        """Bits per symbol of the stationary chain: Σ_i π_i H(transition[i])."""
        vals, vecs = np.linalg.eig(self.transition.T)
        pi = np.real(vecs[:, np.argmin(np.abs(vals - 1))])
        pi = pi / pi.sum()
        t = self.transition
        row_h = -(np.where(t > 0, t * np.log2(np.where(t > 0, t, 1)), 0)).sum(axis=1)
        return float(pi @ row_h)


class NGramModel:
    """An order-k n-gram model with add-alpha smoothing, fitted by counting.

    P(x_t | x_{t-k}..x_{t-1}) = (count(context, x_t) + alpha) / (count(context) + alpha * V), where the
    context is padded on the left with a BOS marker, so the first symbol is predicted from (BOS,)*k.
    A high order and a small alpha make a model that memorizes its training sequences.

        >>> m = NGramModel(order=1, vocab_size=2, alpha=1.0).fit(np.array([[0, 1, 0, 1]]))
        >>> m((0,)).tolist()      # after 0 we saw 1 twice: (0 + 1) / (2 + 2), (2 + 1) / (2 + 2)
        [0.25, 0.75]
    """

    BOS = -1

    def __init__(self, order: int, vocab_size: int, alpha: float = 1.0):
        if order < 0:
            raise ValueError(f"order must be >= 0, got {order}")
        if vocab_size < 1:
            raise ValueError(f"vocab_size must be >= 1, got {vocab_size}")
        if alpha <= 0:
            raise ValueError(f"alpha must be > 0 (zero would give unseen symbols infinite code length), got {alpha}")
        self.order, self.vocab_size, self.alpha = order, vocab_size, alpha
        self.counts: dict[tuple[int, ...], np.ndarray] = defaultdict(lambda: np.zeros(vocab_size))

    def _context(self, prefix: Sequence[int]) -> tuple[int, ...]:
        if self.order == 0:
            return ()
        tail = tuple(int(s) for s in prefix[-self.order :]) if len(prefix) else ()
        return (self.BOS,) * (self.order - len(tail)) + tail

    def fit(self, sequences: np.ndarray) -> NGramModel:
        """Add the counts of every row of ``sequences``; returns self."""
        x = np.atleast_2d(np.asarray(sequences))
        if x.size and (x.min() < 0 or x.max() >= self.vocab_size):
            raise ValueError(f"symbols must lie in 0..{self.vocab_size - 1}, got range {x.min()}..{x.max()}")
        for row in x.tolist():
            for t, s in enumerate(row):
                self.counts[self._context(row[:t])][s] += 1
        return self

    def __call__(self, prefix: Sequence[int]) -> np.ndarray:
        c = self.counts.get(self._context(prefix))
        if c is None:
            return np.full(self.vocab_size, 1.0 / self.vocab_size)
        return (c + self.alpha) / (c.sum() + self.alpha * self.vocab_size)

    def code_length_bits(self, sequences: np.ndarray) -> np.ndarray:
        """−log2 p(x) for each row of ``sequences``, the first symbol included."""
        x = np.atleast_2d(np.asarray(sequences))
        out = np.zeros(len(x))
        for i, row in enumerate(x.tolist()):
            out[i] = -sum(np.log2(self(tuple(row[:t]))[s]) for t, s in enumerate(row))
        return out
