"""Bits of knowledge in synthetic biographies (Allen-Zhu & Li 2024, Physics of Language Models 3.3).

bioD(N, K, C, D, L, T): N names drawn without replacement from N0 candidates; K attributes; each attribute has a
diversity set of D distinct chunks from T^L (strings of L tokens over T symbols); each value is C chunks, each
uniform from its attribute's set.

Losses p1, p2, p3 are in **nats** and are sums over exactly the knowledge tokens (Remark 3.1), averaged over
people (and attributes): p1 the name tokens, p2 a whole value, p3 a value's first chunk. Every e^{p} below is
turned into bits by one visible line, ``nats_to_bits(p)``.

:func:`measure_knowledge` measures a trained model on renderings of a corpus (:mod:`memcap.data.streams`): the
losses, R(F), R^max(F), the Theorem 3.2 bound and, when asked, greedy recall (:func:`recall_accuracy`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from memcap.data.biod import BioD
from memcap.data.bios import ATTRIBUTES, PHRASINGS
from memcap.data.streams import BioDCorpus
from memcap.measures.evaluate import greedy_complete, span_loss_sums
from memcap.model import GPT
from memcap.theory.information import nats_to_bits


def log2_binomial(n: int, k: int) -> float:
    """log2 C(n, k), exact through log-gamma (no overflow for n in the millions).

        >>> round(log2_binomial(10, 3), 9) == round(math.log2(120), 9)
        True
    """
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got n={n}, k={k}")
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)) / math.log(2)


def knowledge_bits_exact(b: BioD) -> float:
    """Proposition 2.3: log2 C(N0, N) + N·K·C·log2 D + K·log2 C(T^L, D) bits."""
    return log2_binomial(b.N0, b.N) + b.N * b.K * b.C * math.log2(b.D) + b.K * log2_binomial(b.T**b.L, b.D)


def knowledge_bits_approx(b: BioD) -> float:
    """Proposition 2.3's approximation: N·log2(N0/N) + N·K·C·log2 D + K·D·log2(T^L/D) bits."""
    return b.N * math.log2(b.N0 / b.N) + b.N * b.K * b.C * math.log2(b.D) + b.K * b.D * math.log2(b.T**b.L / b.D)


def stored_bits_lower_bound(b: BioD, p1: float, p2: float, p3: float) -> float:
    """Theorem 3.2 without its o(·) terms: bits a model with these losses (nats) must store.

    N·log2((N0 − N)/e^{p1}) + N·K·log2(D^C/e^{p2}) + K·D·log2((T^L − D)/(D·e^{p3})).
    """
    p1_bits, p2_bits, p3_bits = nats_to_bits(p1), nats_to_bits(p2), nats_to_bits(p3)
    names = b.N * (math.log2(b.N0 - b.N) - p1_bits)
    values = b.N * b.K * (b.C * math.log2(b.D) - p2_bits)
    diversity = b.K * b.D * (math.log2(b.T**b.L - b.D) - math.log2(b.D) - p3_bits)
    return names + values + diversity


def capacity_ratio(b: BioD, p1: float, p2: float, p3: float, n_params: int) -> float:
    """Definition 4.1: R(F) = [N·log2(N0/e^{p1}) + N·K·log2(D^C/e^{p2}) + K·D·log2(T^L/(D·e^{p3}))] / P.

    A perfect model (p1 = ln N: it knows which N names exist; p2 = p3 = 0) reaches R^max:

        >>> b = BioD(N=1000, K=4, C=1, D=64, L=2, T=64, N0=64**3)
        >>> capacity_ratio(b, math.log(1000), 0.0, 0.0, 10_000) == max_capacity_ratio(b, 10_000)
        True
    """
    p1_bits, p2_bits, p3_bits = nats_to_bits(p1), nats_to_bits(p2), nats_to_bits(p3)
    names = b.N * (math.log2(b.N0) - p1_bits)
    values = b.N * b.K * (b.C * math.log2(b.D) - p2_bits)
    diversity = b.K * b.D * (math.log2(b.T**b.L / b.D) - p3_bits)
    return (names + values + diversity) / _check_params(n_params)


def max_capacity_ratio(b: BioD, n_params: int) -> float:
    """R^max(F) = [N·log2(N0/N) + N·K·C·log2 D + K·D·log2(T^L/D)] / P: Proposition 2.3's bits per parameter."""
    return knowledge_bits_approx(b) / _check_params(n_params)


def bios_capacity_ratio(N: int, N0: int, p1: float, p2: float, n_params: int, log2_s0: float) -> float:
    """Definition 4.3: R(F) = [N·log2(N0/e^{p1}) + N·log2(S0/e^{p2})] / P, p2 the attributes' value losses summed
    per person (nats); log2 S0 is the world's bits of attributes per person
    (:meth:`memcap.data.bios.BioSWorld.log2_s0`)."""
    return N * (math.log2(N0) - nats_to_bits(p1) + log2_s0 - nats_to_bits(p2)) / _check_params(n_params)


def bios_max_capacity_ratio(N: int, N0: int, n_params: int, log2_s0: float) -> float:
    """R^max(F) for bioS: [N·log2(N0/N) + N·log2 S0] / P, the bits of N people's names and attributes per parameter.

        >>> bios_max_capacity_ratio(N=2, N0=8, n_params=4, log2_s0=6.0)
        4.0
    """
    return N * (math.log2(N0 / N) + log2_s0) / _check_params(n_params)


def world_choice_bits(useful_share: float, domain_token: bool) -> float:
    """Bits per useful person that even a model knowing a junk mixture perfectly pays on the name: after a first
    token that junk paragraphs share, the next paragraph is a useful one with probability ``useful_share``, so the
    best code for a useful name is log2(1/useful_share) bits longer than without junk (3 bits at 7/8 junk). The
    mixture's own cost, not forgetting, and paid only by a model that has learnt which names exist (one that has not
    pays log2 N0 with or without junk); 0 with the domain token, which says the world before the name (and is not
    itself coded: it is the paragraph's first token).

        >>> world_choice_bits(1 / 8, domain_token=False), world_choice_bits(1 / 8, domain_token=True)
        (3.0, 0.0)
    """
    if not 0 < useful_share <= 1:
        raise ValueError(f"useful_share must lie in (0, 1], got useful_share={useful_share!r}")
    return 0.0 if domain_token else -math.log2(useful_share)


def value_capacity_ratio(b: BioD, p2: float, n_params: int) -> float:
    """Theorem 3.2's value term per parameter: N·K·log2(D^C/e^{p2}) / P, what a model stores about its people's
    values given their names (p2 in nats, a whole value's loss averaged over people and attributes). The part of
    R(F) that a junk mixture's own cost cannot touch: a name already says whose values follow, in either world,
    whereas the name itself is coded after a first token that junk paragraphs share (:func:`world_choice_bits`).

        >>> b = BioD(N=1000, K=4, C=1, D=64, L=2, T=64, N0=64**3)
        >>> value_capacity_ratio(b, 0.0, 24_000), value_capacity_ratio(b, math.log(64), 24_000)
        (1.0, 0.0)
    """
    return b.N * b.K * (b.C * math.log2(b.D) - nats_to_bits(p2)) / _check_params(n_params)


def _check_params(n_params: int) -> int:
    if n_params < 1:
        raise ValueError(f"n_params must be >= 1, got {n_params}")
    return n_params


@dataclass(frozen=True)
class KnowledgeLosses:
    """Remark 3.1's losses in nats, averaged over people (and attributes): p1 name, p2 value, p3 first chunk."""

    p1: float
    p2: float
    p3: float


def biod_losses(sums: dict) -> KnowledgeLosses:
    """Average :func:`span_loss_sums` output of bioD paragraphs (span names ``name``, ``value{k}``, ``first{k}``)."""
    values = [v for k, v in sums.items() if k.startswith("value")]
    firsts = [v for k, v in sums.items() if k.startswith("first")]
    if "name" not in sums or not values or len(values) != len(firsts):
        raise ValueError(f"need spans name, value<k> and first<k>; got {sorted(sums)}")
    return KnowledgeLosses(p1=float(np.mean(sums["name"])), p2=float(np.mean(np.stack(values))),
                           p3=float(np.mean(np.stack(firsts))))


def measure_knowledge(model: GPT, corpus, evaluation: list, n_params: int, n_people: int,
                      recall_people: int = 0) -> dict:
    """Knowledge losses, R(F), R^max(F) and the Theorem 3.2 bound of a trained model on ``evaluation`` (one
    (tokens, spans) rendering per measured person of ``corpus``, a :class:`~memcap.data.streams.BioDCorpus` or
    :class:`~memcap.data.streams.BioSCorpus` of ``n_people`` people), for a model of ``n_params`` parameters (the
    whole model's, also for a model with a layer removed); with ``recall_people`` > 0, also the recall accuracy
    of the first that many people (:func:`recall_accuracy`)."""
    tokens = [t for t, _ in evaluation]
    spans = [s for _, s in evaluation]
    sums = span_loss_sums(model, tokens, spans, pad=corpus.eot)
    P = n_params
    N = n_people  # the mean losses below are over the measured people: with a sample, R is an estimate
    if isinstance(corpus, BioDCorpus):
        b = corpus.spec
        losses = biod_losses(sums)
        R = capacity_ratio(b, losses.p1, losses.p2, losses.p3, P)
        out = dict(p1=losses.p1, p2=losses.p2, p3=losses.p3, R=R, R_max=knowledge_bits_approx(b) / P,
                   lower_bound_bits=stored_bits_lower_bound(b, losses.p1, losses.p2, losses.p3))
    else:
        world = corpus.world
        p1 = float(np.mean(sums["name"]))
        p2 = float(np.mean(sum(sums[k] for k in (*ATTRIBUTES, "pronoun"))))
        n0, s0 = world.n0, world.log2_s0()
        R = bios_capacity_ratio(N, n0, p1, p2, P, log2_s0=s0)
        out = dict(p1=p1, p2=p2, p3=None, R=R, R_max=bios_max_capacity_ratio(N, n0, P, s0),
                   lower_bound_bits=None,  # Theorem 3.2 is stated for bioD
                   value_bits={a: float(nats_to_bits(np.mean(sums[a]))) for a in ATTRIBUTES},
                   # what the losses imply for exact recall: the mean probability of the whole true value
                   implied_recall={a: float(np.mean(np.exp(-np.asarray(sums[a])))) for a in ATTRIBUTES},
                   used_words=corpus.used_words,
                   R_used_rows=R * P / (P - (corpus.vocab_size - corpus.used_words) * model.cfg.d_model))
    out.update(n_params=P, bits_per_param=R, knowledge_bits=R * P, vocab_size=corpus.vocab_size,
               measured_people=len(evaluation))
    if recall_people:
        hits = recall_accuracy(model, corpus, recall_people)
        if isinstance(hits, dict):
            out["recall_by_attribute"] = hits
            hits = float(np.mean(list(hits.values())))
        out["recall_accuracy"] = hits
    return out


def recall_accuracy(model: GPT, corpus, people: int) -> float | dict[str, float]:
    """Share of exact greedy completions, over the corpus's first ``people`` people. bioD: ``<eot> name marker_k`` → value k,
    over every k (one number). bioS: for each attribute, ``<eot> <full name> <its first phrasing>`` (e.g. "... was
    born on") → the value (a dict, attribute → share)."""
    m = people
    if isinstance(corpus, BioDCorpus):
        d = corpus.data
        hits = []
        for k in range(corpus.spec.K):
            prompts = np.stack([corpus.prompt(i, k) for i in range(m)])
            out = greedy_complete(model, prompts, d.value_len).numpy()
            truth = np.stack([d.value_tokens(i, k) for i in range(m)])
            hits.append((out == truth).all(axis=1))
        return float(np.mean(hits))
    tok, world = corpus.world.tokenizer, corpus.world
    by_attribute = {}
    for a in ATTRIBUTES:
        groups: dict[tuple[int, int], list[tuple[np.ndarray, np.ndarray]]] = {}
        for p in corpus.people[:m]:
            prompt = corpus.remap[[0, *tok.encode(f"{p.full_name} {PHRASINGS[a][0]}")]]
            truth = corpus.remap[tok.encode(world.values(p)[a])]
            groups.setdefault((len(prompt), len(truth)), []).append((prompt, truth))
        hits = []
        for (_, n_tokens), pairs in groups.items():  # batch prompts and values of one length together
            out = greedy_complete(model, np.stack([q for q, _ in pairs]), n_tokens).numpy()
            hits.extend((out == np.stack([t for _, t in pairs])).all(axis=1).tolist())
        by_attribute[a] = float(np.mean(hits))
    return by_attribute
