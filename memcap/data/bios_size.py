"""A bioS corpus's size, its mean biography length in tokens and its vocabulary, without building the corpus.

A bioS run's steps follow from the mean length that :meth:`~memcap.data.streams.BioSCorpus.mean_length` measures
on 256 biographies, but building the corpus tokenizes every person's biography or fields (a million people at
``paper`` scale: minutes). :func:`bios_size` draws the same people from the same random numbers
(:meth:`~memcap.data.bios.BioSWorld.draw_people`) and renders only the 256 measured ones, so its numbers are the corpus's own, not estimates of them.

    >>> from memcap.data.streams import BioSCorpus
    >>> corpus = BioSCorpus(30, 2, simple=False)
    >>> bios_size(30, 2, simple=False) == (corpus.mean_length(), corpus.vocab_size)
    True
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from memcap.data.bios import DAYS, FIRST_YEAR, MONTHS, YEARS, BioSWorld, template_words
from memcap.data.streams import VOCABULARIES, BioSCorpus

MEASURED = 256  # biographies BioSCorpus.mean_length renders, drawn from np.random.default_rng(12345)
MEASURE_SEED = 12345


class BioSSize(NamedTuple):
    """What a bioS run's configuration needs of its corpus."""

    mean_length: float  # tokens a biography, <eot> included
    vocab_size: int


@lru_cache(maxsize=1)
def _world() -> BioSWorld:
    return BioSWorld.load()


def _used_words(world: BioSWorld, codes: np.ndarray, draws: np.ndarray) -> int:
    """Words a bioS (not bioS_simple) corpus of these people uses: every template's, the pronouns' and every value's
    of every person. A value's words do not depend on the other fields (the tokenizer never joins words across a
    space or a comma), so each distinct value is encoded once."""
    tok = world.tokenizer
    used = {tok.eot, *tok.encode("He he She she"), *tok.encode(",")}
    for t in template_words():
        used.update(tok.encode(t))
    first, rest = np.divmod(codes, len(world.middle) * len(world.last))
    middle, last = np.divmod(rest, len(world.last))
    fields = ((world.first, first), (world.middle, middle), (world.last, last), (MONTHS, draws[:, 1]),
              ([str(d) for d in range(DAYS + 1)], draws[:, 2]),
              ([str(FIRST_YEAR + y) for y in range(YEARS)], draws[:, 3]), (world.cities, draws[:, 4]),
              (world.universities, draws[:, 5]), (world.majors, draws[:, 6]), (world.employers, draws[:, 7]),
              (world.headquarters, draws[:, 7]))
    for names, index in fields:
        for i in np.unique(index).tolist():
            used.update(tok.encode(names[i]))
    return len(used)


@lru_cache(maxsize=64)
def bios_size(n_people: int, seed: int, simple: bool, vocabulary: str = "pool") -> BioSSize:
    """``BioSCorpus(n_people, seed, simple, vocabulary=vocabulary)``'s mean length and vocabulary size, equal to
    the corpus's own; cheap except for bioS_simple with ``vocabulary="used"`` (it builds that corpus)."""
    if vocabulary not in VOCABULARIES:
        raise ValueError(f"unknown vocabulary {vocabulary!r}; allowed: {list(VOCABULARIES)}")
    world = _world()
    if simple and vocabulary == "used":  # its words depend on every person's rendering
        corpus = BioSCorpus(n_people, seed, simple, world=world, vocabulary=vocabulary)
        return BioSSize(corpus.mean_length(), corpus.vocab_size)
    rng = np.random.default_rng([seed, 1])  # BioSCorpus's stream: the people, then bioS_simple's templates
    codes, draws = world.draw_people(n_people, rng)
    measure = np.random.default_rng(MEASURE_SEED)
    picked = measure.integers(n_people, size=MEASURED).tolist()
    fixed = [world.fixed_templates(rng) for _ in range(max(picked) + 1)] if simple else None
    lengths = []
    for i in picked:
        templates, order = fixed[i] if simple else (None, None)
        bio = world.render(world.person(codes[i], draws[i]), measure, templates=templates, order=order)
        lengths.append(1 + len(world.tokenizer.encode(bio.text)))  # <eot> first
    vocab_size = len(world.tokenizer) if vocabulary == "pool" else _used_words(world, codes, draws)
    return BioSSize(float(np.mean(lengths)), vocab_size)
