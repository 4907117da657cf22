"""Junk data and the domain token on bioD (Allen-Zhu & Li, Results 10-12): every training window is all-useful
or all-junk, each batch holds exactly its share of junk, the useful people still come once per epoch, the domain
token starts every useful paragraph and prompt, and runs without these options keep their store keys."""

import dataclasses

import numpy as np
import pytest
import torch

from memcap.data.biod import BioD
from memcap.data.streams import BioDCorpus, JunkMixture, mixture_stream
from memcap.engine.runs.knowledge import KnowledgeRun
from memcap.measures.knowledge import capacity_ratio, value_capacity_ratio, world_choice_bits
from memcap.engine.training.config import TrainConfig
from memcap.model import GPTConfig

SPEC = BioD(N=12, K=2, C=1, D=8, L=2, T=16, N0=16**4)


def owner(row, corpus):
    """Which person of ``corpus`` a rendered paragraph is (by name and every value), or None."""
    d = corpus.data
    for i in range(d.spec.N):
        if np.array_equal(row[1:1 + d.name_len], d.names[i]):
            rendered, spans = d.render(i, order=[row[1 + d.name_len + j * (1 + d.value_len)] - d.spec.T - 1
                                                 for j in range(d.spec.K)])
            return i if np.array_equal(rendered[1:], row[1:]) else None
    return None


def test_domain_token_starts_every_useful_paragraph_and_prompt():
    plain, marked = BioDCorpus(SPEC, 0), BioDCorpus(SPEC, 0, domain_token=True)
    assert marked.vocab_size == plain.vocab_size + 1 and marked.start == SPEC.vocab_size != marked.eot
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    (a, spans_a), (b, spans_b) = plain.render(3, rng_a), marked.render(3, rng_b)
    assert a[0] == plain.eot and b[0] == marked.start and np.array_equal(a[1:], b[1:]) and spans_a == spans_b
    assert marked.prompt(2, 1)[0] == marked.start and np.array_equal(marked.prompt(2, 1)[1:], plain.prompt(2, 1)[1:])
    epoch = marked.render_epoch(np.random.default_rng(2))
    assert (epoch[:, 0] == marked.start).all() and (epoch[:, 1:] < SPEC.vocab_size).all()
    assert all(t[0] == marked.start for t, _ in marked.fresh_evaluation(3, 0))


def test_mixture_windows_are_whole_paragraphs_of_one_world_in_exact_shares():
    useful = BioDCorpus(SPEC, 0, domain_token=True)
    mix = JunkMixture(useful, junk_people=500, junk_ratio=7 / 8, seed=0)
    assert mix.junk_per_batch(16) == 14 and mix.useful_per_batch(16) == 2
    stream = mixture_stream(mix, 16, SPEC.paragraph_len)(torch.Generator().manual_seed(0))
    seen = []
    for _ in range(12):  # 24 useful windows: every useful person twice
        batch = next(stream).numpy()
        assert batch.shape == (16, SPEC.paragraph_len)
        is_useful = batch[:, 0] == useful.start
        assert is_useful.sum() == 2 and (batch[~is_useful, 0] == useful.eot).all()
        for row in batch[is_useful]:
            person = owner(row, useful)
            assert person is not None
            seen.append(person)
        assert all(owner(row, mix.junk) is not None for row in batch[~is_useful][:3])
    assert sorted(seen) == sorted(list(range(12)) * 2)  # epochs: each useful person once per epoch


def test_shared_junk_is_other_people_with_the_useful_worlds_value_pools():
    useful = BioDCorpus(SPEC, 0, domain_token=True)
    shared, own = (JunkMixture(useful, 300, 0.5, seed=1, world=w).junk for w in ("shared", "own"))
    names = {tuple(n) for n in useful.data.names}
    assert not names & {tuple(n) for n in shared.data.names} and len({tuple(n) for n in shared.data.names}) == 300
    assert np.array_equal(shared.data.chunks, useful.data.chunks) and not np.array_equal(own.data.chunks,
                                                                                          useful.data.chunks)
    assert shared.start == shared.eot == useful.eot and shared.n_people == shared.spec.N == 300
    epoch = shared.render_epoch(np.random.default_rng(0))
    assert (epoch[:, 0] == useful.eot).all() and all(owner(row, shared) is not None for row in epoch[:5])
    # every junk value is a chunk of the useful world's diversity set for its attribute
    k = int(epoch[0, 1 + shared.data.name_len]) - SPEC.T - 1
    chunk = epoch[0, 2 + shared.data.name_len:2 + shared.data.name_len + SPEC.L]
    assert any(np.array_equal(chunk, c) for c in useful.data.chunks[k])
    with pytest.raises(ValueError, match="unknown junk world 'mine'"):
        JunkMixture(useful, 10, 0.5, 0, world="mine")
    with pytest.raises(ValueError, match="only N0 - N"):
        BioDCorpus(dataclasses.replace(SPEC, N0=16**2), 0).other_people(250, 0)


def test_the_value_term_is_r_without_names_or_diversity_and_the_world_choice_costs_log2_of_the_share():
    assert world_choice_bits(1.0, domain_token=False) == 0.0 and world_choice_bits(0.25, False) == 2.0
    assert world_choice_bits(0.125, domain_token=True) == 0.0
    with pytest.raises(ValueError, match="useful_share=0"):
        world_choice_bits(0, False)
    # R(F) is the name, value and diversity terms: with the name and the first chunk coded as by a model that
    # knows nothing (p1 = ln N0, p3 = ln T^L), the name term is 0 and the diversity term -K·D·log2 D / P
    for p2 in (0.0, 0.7, np.log(SPEC.D)):
        R = capacity_ratio(SPEC, np.log(SPEC.N0), p2, np.log(SPEC.T**SPEC.L), 500)
        assert value_capacity_ratio(SPEC, p2, 500) == pytest.approx(R + SPEC.K * SPEC.D * np.log2(SPEC.D) / 500)
    assert value_capacity_ratio(SPEC, np.log(SPEC.D), 500) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="n_params must be >= 1, got 0"):
        value_capacity_ratio(SPEC, 0.1, 0)


def test_plain_runs_keep_their_keys_and_bad_options_are_named():
    cfg = GPTConfig(vocab_size=SPEC.vocab_size, seq_len=SPEC.paragraph_len, n_layer=1, d_model=8)
    plain = KnowledgeRun(cfg, TrainConfig(), "bioD", 12, 10, biod=SPEC)
    assert not {"junk_ratio", "junk_people", "domain_token"} & set(plain.to_dict())
    junk = dataclasses.replace(plain, junk_ratio=0.875, junk_people=500, domain_token=True)
    assert junk.to_dict()["junk_ratio"] == 0.875 and junk.to_dict()["domain_token"] is True
    assert junk.to_dict()["junk_world"] == "shared" != dataclasses.replace(junk, junk_world="own").to_dict()["junk_world"]
    assert plain.useful_share == 1.0 and junk.useful_share == 1 - round(0.875 * junk.train.batch_size) / junk.train.batch_size
    with pytest.raises(ValueError, match="unknown junk_world 'other'"):
        dataclasses.replace(junk, junk_world="other")
    with pytest.raises(ValueError, match="junk_people=70000 .* only N0 - N = 65524"):
        dataclasses.replace(junk, junk_people=70_000)
    assert dataclasses.replace(junk, junk_people=70_000, junk_world="own").junk_people == 70_000
    with pytest.raises(ValueError, match="junk_ratio=0.5, junk_people=0"):
        dataclasses.replace(plain, junk_ratio=0.5)
    with pytest.raises(ValueError, match="bioD options, not for kind='bioS'"):
        KnowledgeRun(cfg, TrainConfig(), "bioS", 12, 10, domain_token=True)
    with pytest.raises(ValueError, match="junk_ratio=1.5"):
        JunkMixture(BioDCorpus(SPEC, 0), 10, 1.5, 0)
    with pytest.raises(ValueError, match="cannot hold a junk share"):
        JunkMixture(BioDCorpus(SPEC, 0), 10, 0.9, 0).junk_per_batch(4)
    with pytest.raises(ValueError, match="one paragraph per window"):
        mixture_stream(JunkMixture(BioDCorpus(SPEC, 0), 10, 0.5, 0), 4, SPEC.paragraph_len + 1)


def test_a_run_with_junk_and_the_domain_token_trains_and_measures():
    cfg = GPTConfig(vocab_size=SPEC.vocab_size + 1, seq_len=SPEC.paragraph_len, n_layer=1, d_model=16)
    train = TrainConfig(max_steps=30, batch_size=8, lr=1e-2, schedule="cosine", warmup_steps=3, eval_every=15)
    run = KnowledgeRun(cfg, train, "bioD", 12, 5, biod=SPEC, junk_ratio=0.75, junk_people=200, domain_token=True)
    metrics, curve, _ = run.execute()
    assert metrics["vocab_size"] == SPEC.vocab_size + 1 and curve
    # 30 steps of 2 useful paragraphs for 12 people: 5 exposures of the useful data
    assert metrics["exposures_done"] == pytest.approx(5, rel=0.1)
    with pytest.raises(ValueError, match="vocab_size"):
        dataclasses.replace(run, domain_token=False).execute()
