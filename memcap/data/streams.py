"""Token streams of synthetic biographies: the bioD and bioS corpora, junk mixtures, and the training windows cut
from them.

A corpus renders a person's biography (``<eot>`` first) with the spans of its knowledge tokens; a stream is a
function of a run's torch generator that yields (B, S) training batches forever, what
:func:`memcap.engine.training.loop.train` takes as data. Biographies are rendered afresh at every exposure (``bioD``,
``bioS``) or once per person (``bioS_simple``), joined, and cut into windows; every person appears once per epoch,
in a fresh order. With junk (:class:`JunkMixture`) each window is one whole paragraph of one world instead.

    >>> junk_windows(0.25, 8)
    2
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import asdict

import numpy as np
import torch

from memcap.data.biod import BioD, BioDData
from memcap.data.bios import ATTRIBUTES, BioSWorld, template_words, token_span


class BioDCorpus:
    """bioD paragraphs as a training corpus. With ``domain_token``, every paragraph (and every recall prompt)
    starts with an extra token, id ``spec.vocab_size``, instead of ``<eot>``: Allen-Zhu & Li's special token before
    the useful data (Result 12); the vocabulary grows by one."""

    def __init__(self, spec: BioD, seed, domain_token: bool = False):
        self.spec = spec
        self.data = BioDData(spec, np.random.default_rng([*np.atleast_1d(seed).tolist(), 1]))
        self.n_people = spec.N
        self.vocab_size = self.data.vocab_size + (1 if domain_token else 0)
        self.eot = self.data.eot
        self.start = self.data.vocab_size if domain_token else self.eot  # a paragraph's first token

    def _marked(self, tokens: np.ndarray) -> np.ndarray:
        if self.start != self.eot:
            tokens = tokens.copy()
            tokens[..., 0] = self.start
        return tokens

    def render(self, person: int, rng: np.random.Generator):
        tokens, spans = self.data.render(person, rng)
        return self._marked(tokens), spans

    def prompt(self, person: int, attribute: int) -> np.ndarray:
        return self._marked(self.data.prompt(person, attribute))

    def render_epoch(self, rng: np.random.Generator) -> np.ndarray:
        """One exposure of every person, in a random person order: (N, paragraph_len)."""
        return self._marked(self.data.render_all(rng)[rng.permutation(self.n_people)])

    def mean_length(self) -> float:
        return float(self.data.paragraph_len)

    def other_people(self, n: int, seed) -> "BioDCorpus":
        """A corpus of ``n`` other people of this world: names none of this corpus's people have, values from the
        same diversity sets (:meth:`~memcap.data.biod.BioDData.fresh_people`); its paragraphs start with ``<eot>``,
        never with the domain token. Allen-Zhu & Li's junk is people of the useful data's own kind: the same
        value pools, other names."""
        other = copy.copy(self)
        other.data = self.data.fresh_people(n, np.random.default_rng([*np.atleast_1d(seed).tolist(), 1]))
        other.spec, other.n_people, other.start = other.data.spec, n, self.eot
        return other

    def fresh_evaluation(self, n: int, seed: int) -> list:
        """One rendering each of ``n`` people who are not in the corpus: new names, values from the same
        diversity sets (what the world makes, but no one the model was trained on)."""
        fresh = self.data.fresh_people(n, np.random.default_rng([seed, 4]))
        return [(self._marked(t), s) for t, s in (fresh.render(i, np.random.default_rng([seed, 5, i]))
                                                   for i in range(n))]


JUNK_WORLDS = ("shared", "own")


class JunkMixture:
    """Training windows of which a share ``junk_ratio`` comes from ``junk_people`` junk people (huge and random, or
    small and repeated) and the rest from the useful corpus, each window all-useful or all-junk (Allen-Zhu & Li,
    Results 10–12). ``world="shared"`` (the paper's junk): other people of the useful world, with its diversity
    sets, so junk and useful values come from the same pools (:meth:`BioDCorpus.other_people`); ``"own"``: another
    bioD world with its own names, diversity sets and values, whose values a model can confuse with the useful
    ones. Every batch holds exactly ``round(junk_ratio · batch)`` junk windows, at random places;
    ``useful_per_batch`` counts the others, which is what the exposures of the useful people are counted in.
    Windows are whole paragraphs (``seq_len`` must be the paragraph length)."""

    def __init__(self, useful: BioDCorpus, junk_people: int, junk_ratio: float, seed: int, world: str = "shared"):
        if not 0 < junk_ratio < 1:
            raise ValueError(f"junk_ratio must lie in (0, 1), got junk_ratio={junk_ratio!r}")
        if not isinstance(junk_people, int) or junk_people < 1:
            raise ValueError(f"junk_people must be a positive integer, got junk_people={junk_people!r}")
        if world not in JUNK_WORLDS:
            raise ValueError(f"unknown junk world {world!r}; allowed: {list(JUNK_WORLDS)}")
        self.useful, self.junk_ratio, self.world = useful, junk_ratio, world
        if world == "shared":
            self.junk = useful.other_people(junk_people, [seed, 7])
        else:
            self.junk = BioDCorpus(BioD(**{**asdict(useful.spec), "N": junk_people}), [seed, 7])

    def junk_per_batch(self, batch_size: int) -> int:
        return junk_windows(self.junk_ratio, batch_size)

    def useful_per_batch(self, batch_size: int) -> int:
        return batch_size - self.junk_per_batch(batch_size)


def junk_windows(junk_ratio: float, batch_size: int) -> int:
    """Junk windows in a batch of ``batch_size``: round(junk_ratio · batch_size), at least one of each kind."""
    j = round(junk_ratio * batch_size)
    if not 0 < j < batch_size:
        raise ValueError(f"a batch of {batch_size} windows cannot hold a junk share of {junk_ratio}: "
                         f"it would have {j} junk windows")
    return j


def _paragraphs(corpus: BioDCorpus, rng: np.random.Generator):
    """Rendered paragraphs of ``corpus`` one at a time, a fresh epoch (every person once) after another."""
    while True:
        yield from corpus.render_epoch(rng)


def mixture_stream(mix: JunkMixture, batch_size: int, seq_len: int):
    """:func:`window_stream` for a :class:`JunkMixture`: each window one useful or one junk paragraph."""
    if seq_len != mix.useful.data.paragraph_len:
        raise ValueError(f"junk mixing needs one paragraph per window: seq_len={seq_len}, paragraph length "
                         f"{mix.useful.data.paragraph_len}")
    n_junk = mix.junk_per_batch(batch_size)

    def batches(gen: torch.Generator):
        rng = _stream_rng(gen)
        useful, junk = _paragraphs(mix.useful, rng), _paragraphs(mix.junk, rng)
        while True:
            is_junk = np.zeros(batch_size, dtype=bool)
            is_junk[rng.choice(batch_size, size=n_junk, replace=False)] = True
            rows = [next(junk) if j else next(useful) for j in is_junk]
            yield torch.from_numpy(np.stack(rows).astype(np.int64))

    return batches


VOCABULARIES = ("pool", "used")


class BioSCorpus:
    """bioS (or bioS_simple) biographies of N people, tokenized.

    ``vocabulary="pool"`` (the default) gives the model every word of the world: all 1,800 name words of the name
    pool, every value, every template word. Then log2 N0 really is the price of a name for a model that knows
    none, as Definition 4.3 assumes. ``vocabulary="used"`` re-indexes to the words the N people and the templates
    use (this book's first construction): the output layer itself then says which name words exist, and the name
    term gets bits for free. Kept to show that difference.
    """

    def __init__(self, n_people: int, seed: int, simple: bool, world: BioSWorld | None = None,
                 vocabulary: str = "pool"):
        if vocabulary not in VOCABULARIES:
            raise ValueError(f"unknown vocabulary {vocabulary!r}; allowed: {list(VOCABULARIES)}")
        self.world = world or BioSWorld.load()
        rng = np.random.default_rng([seed, 1])
        self.people = self.world.sample_people(n_people, rng)
        self.n_people, self.simple = n_people, simple
        tok = self.world.tokenizer
        self.fixed = [self.world.fixed_templates(rng) for _ in self.people] if simple else None
        used = {tok.eot, *tok.encode("He he She she")}
        if simple:
            for i in range(n_people):
                used.update(self._raw(i, rng)[0])
        else:
            for templates in template_words():
                used.update(tok.encode(templates))
            for p in self.people:
                used.update(tok.encode(p.full_name))
                for v in self.world.values(p).values():
                    used.update(tok.encode(v))
        self.used_words = len(used)  # rows of the embedding the training data can touch
        kept = sorted(used) if vocabulary == "used" else list(range(len(tok)))  # the eot (id 0) stays first
        self.remap = np.full(len(tok), -1, dtype=np.int64)
        self.remap[kept] = np.arange(len(kept))
        self.vocab_size = len(kept)
        self.eot = 0

    def _raw(self, person: int, rng: np.random.Generator):
        p = self.people[person]
        if self.simple:
            templates, order = self.fixed[person]
            bio = self.world.render(p, rng, templates=templates, order=order)
        else:
            bio = self.world.render(p, rng)
        ids, offsets = self.world.tokenizer.tokenize(bio.text)
        return ids, offsets, bio

    def render(self, person: int, rng: np.random.Generator):
        """Token ids (``<eot>`` first) and token spans of ``name``, ``pronoun`` and each attribute's value."""
        ids, offsets, bio = self._raw(person, rng)
        spans = {k: tuple(x + 1 for x in token_span(offsets, s)) for k, s in bio.spans.items()}
        tokens = self.remap[np.asarray([0, *ids])]
        if (tokens < 0).any():
            raise ValueError(f"person {person}'s biography uses a token outside the corpus vocabulary")
        return tokens, spans

    def nonmembers(self, n: int, seed: int) -> list[np.ndarray]:
        """Biographies of ``n`` fresh people, not in the corpus: each field drawn uniformly from the values the
        corpus's people have (so every word is in the model's vocabulary and a non-member is told apart by what
        the model stored, not by an unknown token), the name triple new. bioS_simple non-members get one of the
        members' templates per attribute and a random order, as members do."""
        from memcap.data.bios import Person

        rng = np.random.default_rng([seed, 3])
        fields = ("first", "middle", "last", "female", "month", "day", "year", "birth_city", "university", "major",
                  "employer")
        pools = {f: sorted({getattr(q, f) for q in self.people}) for f in fields}
        template_pools = {a: sorted({t[a] for t, _ in self.fixed}) for a in ATTRIBUTES} if self.simple else None
        taken = {(q.first, q.middle, q.last) for q in self.people}
        out: list[np.ndarray] = []
        tok = self.world.tokenizer
        for _ in range(100 * n):
            if len(out) == n:
                break
            v = {f: pool[int(rng.integers(len(pool)))] for f, pool in pools.items()}
            if (v["first"], v["middle"], v["last"]) in taken:
                continue
            person = Person(**v, full_name=f"{self.world.first[v['first']]} {self.world.middle[v['middle']]} "
                                           f"{self.world.last[v['last']]}")
            templates = ({a: ts[int(rng.integers(len(ts)))] for a, ts in template_pools.items()}
                         if self.simple else None)
            bio = self.world.render(person, rng, templates=templates)
            ids = self.remap[np.asarray([0, *tok.encode(bio.text)])]
            if (ids >= 0).all():
                taken.add((v["first"], v["middle"], v["last"]))
                out.append(ids)
        if len(out) < n:
            raise ValueError(f"found only {len(out)} of n={n} fresh people for a corpus of {self.n_people}; "
                             f"ask for fewer")
        return out

    def mean_length(self) -> float:
        rng = np.random.default_rng(12345)
        people = rng.integers(self.n_people, size=256)
        return float(np.mean([len(self.render(int(i), rng)[0]) for i in people]))


def window_stream(corpus, batch_size: int, seq_len: int):
    """A function of the run's torch generator that yields (batch_size, seq_len) windows forever: the corpus's
    renderings, one epoch (every person once, in a fresh order) after another, joined and cut."""

    def batches(gen: torch.Generator):
        return cut_windows(_renderings(corpus, _stream_rng(gen)), batch_size, seq_len)

    return batches


def _renderings(corpus, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """The corpus's token ids, in pieces, forever: a whole bioD epoch at once (vectorized), else one person's
    rendering at a time."""
    while True:
        if hasattr(corpus, "render_epoch"):
            yield corpus.render_epoch(rng).reshape(-1)
            continue
        for person in rng.permutation(corpus.n_people).tolist():
            yield corpus.render(person, rng)[0]


def cut_windows(pieces: Iterator[np.ndarray], batch_size: int, seq_len: int) -> Iterator[torch.Tensor]:
    """Join 1-D token pieces and cut them into (batch_size, seq_len) batches; a piece is taken only when the
    tokens pending do not fill a batch.

        >>> import itertools
        >>> [b.tolist() for b in itertools.islice(cut_windows(iter([np.arange(5), np.arange(5, 9)]), 2, 2), 2)]
        [[[0, 1], [2, 3]], [[4, 5], [6, 7]]]
    """
    need = batch_size * seq_len
    pending: list[np.ndarray] = []
    size = 0
    for piece in pieces:
        pending.append(piece)
        size += piece.size
        while size >= need:
            flat = np.concatenate(pending)
            yield torch.from_numpy(flat[:need].reshape(batch_size, seq_len).copy())
            pending, size = [flat[need:]], len(flat) - need


def _stream_rng(gen: torch.Generator) -> np.random.Generator:
    """The numpy generator a stream renders with, drawn from the run's torch generator."""
    return np.random.default_rng(int(torch.randint(2**62, (1,), generator=gen)))
