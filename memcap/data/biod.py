"""bioD(N, K, C, D, L, T): the parametric biographies of Allen-Zhu & Li (Definition 2.2), as token sequences.

Tokens: the T alphabet symbols are ids 0..T-1; ``<eot>`` is T; attribute k's marker is T+1+k. A name is
``name_len`` alphabet symbols, so the name pool is N0 = T^name_len and the N names are drawn from it without
replacement. Attribute k has a diversity set of D distinct chunks drawn from T^L; a value is C chunks, each
uniform from its attribute's set. One paragraph per person, with one fixed template
(``<eot> name  marker_a value_a  marker_b value_b ...``) and the sentence order drawn afresh at every rendering:

    >>> spec = BioD(N=3, K=2, C=1, D=4, L=2, T=8, N0=8**3)
    >>> data = BioDData(spec, np.random.default_rng(0))
    >>> tokens, spans = data.render(0, np.random.default_rng(1))
    >>> len(tokens) == data.paragraph_len == 1 + 3 + 2 * (1 + 2)
    True
    >>> spans["name"]
    (1, 4)
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class BioD:
    """The parameters of bioD(N, K, C, D, L, T) plus the name pool N0."""

    N: int  # people
    K: int  # attributes per person
    C: int  # chunks per value
    D: int  # diversity: distinct chunks per attribute
    L: int  # tokens per chunk
    T: int  # alphabet size
    N0: int  # candidate names

    def __post_init__(self):
        for name in ("N", "K", "C", "D", "L", "T", "N0"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {name}={value!r}")
        if self.N > self.N0:
            raise ValueError(f"N={self.N} names cannot be drawn without replacement from N0={self.N0}")
        if self.D > self.T**self.L:
            raise ValueError(f"D={self.D} distinct chunks do not exist in T^L = {self.T}^{self.L} = {self.T ** self.L}")

    @property
    def name_len(self) -> int:
        """Alphabet symbols per name (names are strings over the alphabet: N0 = T^name_len)."""
        return round(math.log(self.N0, self.T))

    @property
    def value_len(self) -> int:
        """Tokens per value: C chunks of L tokens."""
        return self.C * self.L

    @property
    def vocab_size(self) -> int:
        """The T alphabet symbols, ``<eot>`` and one marker per attribute."""
        return self.T + 1 + self.K

    @property
    def paragraph_len(self) -> int:
        """Tokens per paragraph: ``<eot>``, the name, and per attribute its marker and value."""
        return 1 + self.name_len + self.K * (1 + self.value_len)


def _digits(codes: np.ndarray, base: int, width: int) -> np.ndarray:
    """Base-``base`` digits of each code, most significant first: (len(codes), width)."""
    out = np.empty((len(codes), width), dtype=np.int64)
    rest = np.asarray(codes, dtype=np.int64).copy()
    for j in range(width - 1, -1, -1):
        out[:, j] = rest % base
        rest //= base
    return out


class BioDData:
    """One draw of bioD: names, diversity sets and values, all from ``rng``."""

    def __init__(self, spec: BioD, rng: np.random.Generator):
        name_len = spec.name_len
        if spec.T**name_len != spec.N0:
            raise ValueError(f"names are strings over the alphabet, so N0 must be a power of T={spec.T}; got N0={spec.N0}")
        self.spec, self.name_len = spec, name_len
        self.names = _digits(rng.choice(spec.N0, size=spec.N, replace=False), spec.T, name_len)  # (N, name_len)
        self.chunks = np.stack([_digits(rng.choice(spec.T**spec.L, size=spec.D, replace=False), spec.T, spec.L)
                                for _ in range(spec.K)])  # (K, D, L)
        self.values = rng.integers(spec.D, size=(spec.N, spec.K, spec.C))  # chunk indices

    @property
    def eot(self) -> int:
        return self.spec.T

    @property
    def vocab_size(self) -> int:
        return self.spec.vocab_size

    @property
    def value_len(self) -> int:
        return self.spec.value_len

    @property
    def paragraph_len(self) -> int:
        return self.spec.paragraph_len

    def value_tokens(self, person: int, attribute: int) -> np.ndarray:
        return self.chunks[attribute][self.values[person, attribute]].reshape(-1)

    def render(self, person: int, rng: np.random.Generator | None = None, order=None) -> tuple[np.ndarray, dict]:
        """Token ids of one paragraph and the token spans [a, b) of the name, each value and each first chunk.

        Span keys: ``name``, ``value{k}`` and ``first{k}`` for attribute k.
        """
        K = self.spec.K
        order = list(order) if order is not None else (rng.permutation(K).tolist() if rng is not None else list(range(K)))
        out = [self.eot, *self.names[person].tolist()]
        spans = {"name": (1, 1 + self.name_len)}
        for k in order:
            out.append(self.spec.T + 1 + k)
            start = len(out)
            out.extend(self.value_tokens(person, k).tolist())
            spans[f"value{k}"] = (start, start + self.value_len)
            spans[f"first{k}"] = (start, start + self.spec.L)
        return np.asarray(out, dtype=np.int64), spans

    def render_all(self, rng: np.random.Generator) -> np.ndarray:
        """Every person's paragraph, each with its own random sentence order: (N, paragraph_len), vectorized.

        Row i is what :meth:`render` gives for person i with the order ``rng`` drew for that row.
        """
        s, N = self.spec, self.spec.N
        order = rng.permuted(np.tile(np.arange(s.K), (N, 1)), axis=1)  # (N, K)
        out = np.empty((N, self.paragraph_len), dtype=np.int64)
        out[:, 0] = self.eot
        out[:, 1:1 + self.name_len] = self.names
        people = np.arange(N)
        for j in range(s.K):
            k = order[:, j]
            base = 1 + self.name_len + j * (1 + self.value_len)
            out[:, base] = s.T + 1 + k
            chunk_ids = self.values[people, k]  # (N, C)
            out[:, base + 1:base + 1 + self.value_len] = self.chunks[k[:, None], chunk_ids].reshape(N, -1)
        return out

    def fresh_people(self, n: int, rng: np.random.Generator) -> "BioDData":
        """The same world (alphabet, diversity sets) with ``n`` new people: names drawn from the N0 - N names not
        taken, values drawn as for the originals. For measuring what a model knows of people it never saw."""
        s = self.spec
        if n > s.N0 - s.N:
            raise ValueError(f"only N0 - N = {s.N0 - s.N} names are left for n={n} fresh people")
        taken = set((self.names @ (s.T ** np.arange(self.name_len)[::-1])).tolist())
        codes: list[int] = []
        while len(codes) < n:
            for c in rng.integers(s.N0, size=2 * n).tolist():
                if c not in taken and len(codes) < n:
                    taken.add(c)
                    codes.append(c)
        fresh = copy.copy(self)
        fresh.names = _digits(np.asarray(codes), s.T, self.name_len)
        fresh.values = rng.integers(s.D, size=(n, s.K, s.C))
        fresh.spec = replace(s, N=n)
        return fresh

    def describe(self, tokens) -> str:
        """Tokens as text: alphabet symbols as letters (``a``, ``b``, ... then ``s26``...), markers as ``<attr k>``.

            >>> d = BioDData(BioD(N=2, K=1, C=1, D=2, L=1, T=4, N0=16), np.random.default_rng(0))
            >>> d.describe([4, 0, 1, 5, 3])
            '<eot> ab <attr0> d'
        """
        words, word = [], ""
        for t in (int(t) for t in tokens):
            if t < self.spec.T:
                word += chr(ord("a") + t) if t < 26 else f"[{t}]"
                continue
            if word:
                words.append(word)
                word = ""
            words.append("<eot>" if t == self.eot else f"<attr{t - self.spec.T - 1}>")
        return " ".join([*words, word] if word else words)

    def prompt(self, person: int, attribute: int) -> np.ndarray:
        """``<eot> name marker_k``: greedy completion of it should give the value."""
        return np.asarray([self.eot, *self.names[person].tolist(), self.spec.T + 1 + attribute], dtype=np.int64)
