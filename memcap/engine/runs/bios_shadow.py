"""Biography shadow runs: K models of one shape, each trained on the biographies of half of one pool of 2N bioS
people, so that every person is a member of exactly half of them (:mod:`memcap.engine.runs.shadow` does the same
for uniform sequences, :mod:`memcap.engine.runs.text_shadow` for real text). The pool is a
:class:`~memcap.data.streams.BioSCorpus` of 2N people (one world, one draw), so every model has the same vocabulary
and members and non-members are people of one distribution; the halves come from
:func:`~memcap.engine.runs.shadow.membership_matrix`: models 2i and 2i + 1 train on complementary halves. In every
other respect a biography shadow run is a bioS :class:`~memcap.engine.runs.knowledge.KnowledgeRun` of N people: it
trains on fresh renderings of its people's biographies for its exposures, is measured on its own people, and is
stored under a key of its own kind.

    >>> from memcap.engine.training.config import TrainConfig
    >>> from memcap.model import GPTConfig
    >>> base = KnowledgeRun(model=GPTConfig(vocab_size=3030, seq_len=32, n_layer=1, d_model=8, n_head=1),
    ...                     train=TrainConfig(max_steps=10, batch_size=4), kind="bioS", n_people=5, exposures=1)
    >>> runs = bios_family(base, 6)
    >>> [r.index for r in runs], runs[0].to_dict()["kind"], runs[0].members().sum(axis=0).tolist()
    ([0, 1, 2, 3, 4, 5], 'bioS-shadow', [3, 3, 3, 3, 3, 3, 3, 3, 3, 3])
    >>> half = runs[0].corpus()
    >>> half.n_people, len(half.people), half.vocab_size == runs[0].pool_corpus().vocab_size
    (5, 5, True)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields, replace

import numpy as np

from memcap.data.streams import BioSCorpus
from memcap.engine.runs.knowledge import KnowledgeRun
from memcap.engine.runs.shadow import membership_matrix


@dataclass(frozen=True)
class BioSShadowRun(KnowledgeRun):
    """Model ``index`` of ``n_models`` trained on the biographies of its half (N = ``n_people``) of a pool of 2N bioS
    people; the pool and the halves depend on the data seed and N."""

    n_models: int = 8
    index: int = 0

    def __post_init__(self):
        super().__post_init__()
        if self.kind != "bioS":
            raise ValueError(f"a biography shadow run trains on bioS biographies, rendered afresh at every exposure; "
                             f"got kind={self.kind!r}")
        membership_matrix(2 * self.n_people, self.n_models, 0)  # checks n_models
        if not 0 <= self.index < self.n_models:
            raise ValueError(f"index must lie in [0, {self.n_models}), got index={self.index!r}")

    @property
    def label(self) -> str:
        return f"bioS d={self.model.d_model} N={self.n_people} x{self.exposures} shadow {self.index}/{self.n_models}"

    def to_dict(self) -> dict:
        return {**super().to_dict(), "kind": "bioS-shadow", "n_models": self.n_models, "index": self.index}

    def pool_corpus(self) -> BioSCorpus:
        """The 2N people every model of this family draws its half from (members of some, not others)."""
        return BioSCorpus(2 * self.n_people, self.data_seed, simple=False, vocabulary=self.vocabulary)

    def members(self) -> np.ndarray:
        """(K, 2N) booleans: which pool people each model of the family trains on."""
        return membership_matrix(2 * self.n_people, self.n_models, self.data_seed)

    def corpus(self) -> BioSCorpus:
        """This model's training corpus: the pool's corpus restricted to its half of the people, in the pool's order
        (the pool's vocabulary, so every model of the family reads the same token ids). Its ``used_words``, and so the
        ``R_used_rows`` a run stores, count the words the whole pool uses: the rows the family's data can touch."""
        pool = self.pool_corpus()
        half = copy.copy(pool)
        half.people = [pool.people[i] for i in np.flatnonzero(self.members()[self.index])]
        half.n_people = len(half.people)
        return half

    def attacked(self) -> list[tuple[np.ndarray, dict]]:
        """One rendering of every pool person (token ids, ``<eot>`` first, and the spans of its knowledge tokens),
        in pool order: what the family is attacked on. Drawn from a stream of its own, so none is a rendering a
        model was measured on; a member's training renderings come from the same templates, not these draws."""
        pool = self.pool_corpus()
        return [pool.render(j, np.random.default_rng([self.data_seed, 9, j])) for j in range(pool.n_people)]


def bios_family(run: KnowledgeRun, n_models: int) -> list[BioSShadowRun]:
    """The ``n_models`` biography shadow runs of ``run``'s model, training settings, N, exposures and seeds (model k
    is initialised from seed ``init_seed * 1000 + k``); ``run`` must be a bioS run. Its model's vocabulary becomes the
    pool's (2N people's words where ``run`` keeps only the used words)."""
    kept = {f.name: getattr(run, f.name) for f in fields(KnowledgeRun)}
    first = BioSShadowRun(**{**kept, "model": replace(run.model, vocab_size=_pool_vocab(run))}, n_models=n_models)
    return [replace(first, init_seed=run.init_seed * 1_000 + k, index=k) for k in range(n_models)]


def _pool_vocab(run: KnowledgeRun) -> int:
    if run.kind != "bioS":
        raise ValueError(f"a biography family copies a bioS run, got kind={run.kind!r}")
    return BioSCorpus(2 * run.n_people, run.data_seed, simple=False, vocabulary=run.vocabulary).vocab_size
