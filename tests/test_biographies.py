import dataclasses
import math
from collections import Counter

import numpy as np
import pytest
import torch

from memcap import papers
from memcap.measures import evaluate as ev
from memcap.measures import knowledge as kn
from memcap.data.biod import BioDData
from memcap.book.presets import KnowledgeSetup, Width
from memcap.data.biod import BioD
from memcap.data.streams import BioDCorpus, BioSCorpus, window_stream
from memcap.engine.runs.knowledge import KnowledgeRun
from memcap.data.bios import ATTRIBUTES, FRAMES, TEMPLATES, BioSWorld, WordTokenizer, token_span
from memcap.model import GPTConfig
from memcap.engine.version import ENGINE_VERSION
from memcap.engine.training.config import TrainConfig

SPEC = BioD(N=50, K=3, C=2, D=6, L=2, T=8, N0=8**3)


@pytest.fixture(scope="module")
def world():
    return BioSWorld.load()


# --- bioD -----------------------------------------------------------------------------------------------------


def test_biod_draws_follow_definition_2_2():
    d = BioDData(SPEC, np.random.default_rng(0))
    assert len({tuple(n) for n in d.names.tolist()}) == SPEC.N  # names without replacement
    assert ((d.names >= 0) & (d.names < SPEC.T)).all()
    for k in range(SPEC.K):  # D distinct chunks per attribute, each in T^L
        assert len({tuple(c) for c in d.chunks[k].tolist()}) == SPEC.D
    assert d.values.shape == (SPEC.N, SPEC.K, SPEC.C) and d.values.max() < SPEC.D
    again = BioDData(SPEC, np.random.default_rng(0))
    assert (again.names == d.names).all() and (again.values == d.values).all()
    assert not (BioDData(SPEC, np.random.default_rng(1)).names == d.names).all()


def test_biod_spans_point_at_the_knowledge_tokens():
    d = BioDData(SPEC, np.random.default_rng(0))
    rng = np.random.default_rng(3)
    orders = set()
    for i in range(SPEC.N):
        tokens, spans = d.render(i, rng)
        a, b = spans["name"]
        assert tokens[0] == d.eot and (tokens[a:b] == d.names[i]).all()
        for k in range(SPEC.K):
            a, b = spans[f"value{k}"]
            assert tokens[a - 1] == SPEC.T + 1 + k  # the attribute's marker precedes its value
            assert (tokens[a:b] == d.value_tokens(i, k)).all()
            assert spans[f"first{k}"] == (a, a + SPEC.L)
        orders.add(tuple(tokens[t] for t in range(len(tokens)) if tokens[t] > SPEC.T))
    assert len(orders) > 1  # sentence order is random


def test_biod_vectorized_rendering_matches_the_per_person_one():
    d = BioDData(SPEC, np.random.default_rng(0))
    rows = d.render_all(np.random.default_rng(5))
    for i, row in enumerate(rows):
        markers = [t - SPEC.T - 1 for t in row if t > SPEC.T]
        tokens, _ = d.render(i, order=markers)
        assert (row == tokens).all()


def test_biod_rejects_a_name_pool_that_is_not_a_power_of_t():
    with pytest.raises(ValueError, match="N0=500"):
        BioDData(BioD(N=5, K=1, C=1, D=2, L=1, T=8, N0=500), np.random.default_rng(0))


def test_training_stream_shows_every_person_once_per_epoch():
    corpus = BioDCorpus(SPEC, seed=0)
    para = corpus.data.paragraph_len
    stream = window_stream(corpus, batch_size=5, seq_len=para * 2)(torch.Generator().manual_seed(0))
    flat = torch.cat([next(stream).reshape(-1) for _ in range(SPEC.N // 10)]).numpy()  # exactly one epoch
    assert flat.size == SPEC.N * para
    paragraphs = flat.reshape(SPEC.N, para)
    assert (paragraphs[:, 0] == corpus.eot).all()
    assert Counter(map(tuple, paragraphs[:, 1:4].tolist())) == Counter(map(tuple, corpus.data.names.tolist()))


# --- knowledge losses: a model whose losses are known in closed form ------------------------------------------


def test_span_losses_equal_closed_form_for_a_fixed_distribution(fixed_distribution):
    FixedDistribution = fixed_distribution
    d = BioDData(SPEC, np.random.default_rng(0))
    V = d.vocab_size
    probs = np.arange(1, V + 1, dtype=float)
    probs /= probs.sum()  # unequal, so an off-by-one span would change the sums
    model = FixedDistribution(probs)
    rendered = [d.render(i, np.random.default_rng(i)) for i in range(SPEC.N)]
    sums = ev.span_loss_sums(model, [t for t, _ in rendered], [s for _, s in rendered], batch_size=7)
    nll = -np.log(probs)
    expected_p1 = np.mean([nll[d.names[i]].sum() for i in range(SPEC.N)])
    expected_p2 = np.mean([nll[d.value_tokens(i, k)].sum() for i in range(SPEC.N) for k in range(SPEC.K)])
    expected_p3 = np.mean([nll[d.value_tokens(i, k)[:SPEC.L]].sum() for i in range(SPEC.N) for k in range(SPEC.K)])
    losses = kn.biod_losses(sums)
    assert losses.p1 == pytest.approx(expected_p1)
    assert losses.p2 == pytest.approx(expected_p2)
    assert losses.p3 == pytest.approx(expected_p3)
    # uniform prediction: every knowledge token costs ln V
    uniform = kn.biod_losses(ev.span_loss_sums(FixedDistribution(np.full(V, 1 / V)), [t for t, _ in rendered],
                                               [s for _, s in rendered]))
    assert uniform.p1 == pytest.approx(3 * math.log(V))
    assert uniform.p2 == pytest.approx(SPEC.C * SPEC.L * math.log(V))


def test_span_losses_reject_a_span_outside_the_sequence(fixed_distribution):
    FixedDistribution = fixed_distribution
    model = FixedDistribution(np.full(4, 0.25))
    with pytest.raises(ValueError, match="does not fit"):
        ev.span_loss_sums(model, [np.array([0, 1, 2])], [{"name": (0, 2)}])


def test_greedy_completion_of_a_fixed_distribution_repeats_its_mode(fixed_distribution):
    FixedDistribution = fixed_distribution
    model = FixedDistribution([0.1, 0.2, 0.6, 0.1])
    out = ev.greedy_complete(model, torch.zeros(3, 2, dtype=torch.long), 4)
    assert out.shape == (3, 4) and (out == 2).all()


# --- bioS -----------------------------------------------------------------------------------------------------


def test_bios_counts_match_definition_4_3(world):
    assert (len(world.first), len(world.middle), len(world.last)) == (400, 400, 1000)
    assert (len(world.cities), len(world.universities), len(world.majors), len(world.employers)) == (200, 300, 100, 263)
    assert world.n0 == 160_000_000
    assert world.log2_s0() == pytest.approx(papers.ALLEN_ZHU_LI["log2_s0_from_counts"].value)
    assert round(world.log2_s0(), 1) == papers.ALLEN_ZHU_LI["log2_s0"].value  # as printed
    for vocab in (world.first + world.middle + world.last, world.cities, world.universities, world.majors, world.employers):
        assert len(set(vocab)) == len(vocab)
    assert set(world.headquarters) <= set(world.cities)
    assert all(len(TEMPLATES[a]) == 50 == len(set(TEMPLATES[a])) for a in ATTRIBUTES)


def test_every_value_tokenizes_the_same_in_every_template(world):
    tok = world.tokenizer
    people = world.sample_people(40, np.random.default_rng(0))
    for p in people:
        values = world.values(p)
        for attr in ATTRIBUTES:
            want = tok.encode(values[attr])
            for t in range(len(TEMPLATES[attr])):
                for first in (True, False):  # the full name or the pronoun as subject
                    others = [a for a in ATTRIBUTES if a != attr]
                    order = (attr, *others) if first else (others[0], attr, *others[1:])
                    bio = world.render(p, np.random.default_rng(t), templates={a: t for a in ATTRIBUTES}, order=order)
                    ids, offsets = tok.tokenize(bio.text)
                    a, b = token_span(offsets, bio.spans[attr])
                    assert ids[a:b] == want, (attr, t, bio.text)
                    a, b = token_span(offsets, bio.spans["name"])
                    assert ids[a:b] == tok.encode(p.full_name)


def test_bios_texts_carry_the_right_values(world):
    people = world.sample_people(200, np.random.default_rng(1))
    assert len({p.full_name for p in people}) == 200
    for p in people[:20]:
        bio = world.render(p, np.random.default_rng(0))
        for attr, value in world.values(p).items():
            s, e = bio.spans[attr]
            assert bio.text[s:e] == value
        s, e = bio.spans["pronoun"]
        assert bio.text[s:e].lower() == ("she" if p.female else "he")
        assert world.values(p)["working_city"] == world.headquarters[p.employer]
        assert bio.text.startswith(p.full_name) or p.full_name in bio.text.split(".")[0]


def test_bios_resamples_and_bios_simple_does_not(world):
    full = BioSCorpus(30, seed=0, simple=False, world=world)
    simple = BioSCorpus(30, seed=0, simple=True, world=world)
    rng = np.random.default_rng(0)
    assert len({tuple(full.render(0, rng)[0]) for _ in range(10)}) > 1
    assert len({tuple(simple.render(0, rng)[0]) for _ in range(10)}) == 1
    assert simple.used_words < full.used_words < full.vocab_size == simple.vocab_size == len(world.tokenizer)
    tokens, spans = full.render(3, rng)
    assert tokens[0] == full.eot and set(spans) == {"name", "pronoun", *ATTRIBUTES}


def test_the_pool_vocabulary_does_not_say_which_names_exist(world):
    pool = BioSCorpus(30, seed=0, simple=False, world=world)
    used = BioSCorpus(30, seed=0, simple=False, world=world, vocabulary="used")
    tok = world.tokenizer
    absent = [w for w in world.first if w not in {p.full_name.split()[0] for p in pool.people}]
    ids = tok.encode(absent[0])
    # the re-indexed vocabulary has no row for a first name none of the 30 people has; the pool vocabulary has one
    assert (used.remap[ids] < 0).all() and (pool.remap[ids] >= 0).all()
    assert used.vocab_size == used.used_words < pool.vocab_size
    with pytest.raises(ValueError, match="vocabulary 'tiny'"):
        BioSCorpus(3, seed=0, simple=False, world=world, vocabulary="tiny")


def test_tokenizer_names_an_unknown_word():
    tok = WordTokenizer(["alpha beta"])
    with pytest.raises(ValueError, match="'gamma'"):
        tok.encode("alpha gamma")
    with pytest.raises(ValueError, match="token boundaries"):
        token_span([(0, 5), (6, 10)], (2, 10))


def test_frames_put_the_subject_once_and_the_value_once():
    for attr in ATTRIBUTES:
        for t in TEMPLATES[attr]:
            assert t.count("{v}") == 1 and t.count("{S}") + t.count("{s}") == 1
    assert len(FRAMES) == 5


# --- runs -----------------------------------------------------------------------------------------------------

SETUP = KnowledgeSetup(K=2, C=1, D=8, L=2, T=8, name_len=3, n_people=40, seq_len=28, n_layer=1, head_dim=8,
                       positions="rotary", widths=(Width(16, 2e-2),), batch_size=8, low_exposure_batch_size=8,
                       warmup_frac=0.05, betas=(0.9, 0.98), weight_decay=0.0,
                       low_exposure_weight_decay=0.0, curve_points=4, exposures=(30,), bios_people=20,
                       bios_seq_len=96, bios_batch_size=4, bios_width=16, bios_lr=1e-2, bios_exposures=2)


def test_knowledge_run_validation():
    cfg = GPTConfig(vocab_size=11, seq_len=28, n_layer=1, d_model=16)
    with pytest.raises(ValueError, match="kind 'bioX'"):
        KnowledgeRun(cfg, TrainConfig(), "bioX", 10, 100)
    with pytest.raises(ValueError, match="exposures=0"):
        KnowledgeRun(cfg, TrainConfig(), "bioS", 10, 0)
    with pytest.raises(ValueError, match="biod.N=40"):
        KnowledgeRun(cfg, TrainConfig(), "bioD", 10, 100, biod=BioD(N=40, K=2, C=1, D=8, L=2, T=8, N0=512))
    with pytest.raises(ValueError, match="width=24"):
        SETUP.biod_run(24, 10)


def test_biod_run_trains_and_measures_within_the_bounds():
    run = SETUP.biod_run(16, exposures=30)
    steps = math.ceil(30 * 40 * (1 + 3 + 2 * 3) / (8 * 28))
    assert run.train.max_steps == steps
    metrics, curve, state = run.execute()
    assert metrics["R_max"] == pytest.approx(kn.knowledge_bits_approx(run.biod) / run.model.n_params)
    # trained: it knows its own people better than fresh ones of the same world, and it recalls some values
    assert metrics["R"] > metrics["fresh_R"] and metrics["p2"] < metrics["fresh_p2"]
    assert abs(metrics["untrained_bits_per_token"] / math.log2(run.model.vocab_size) - 1) < 0.02
    assert metrics["exposures_done"] == pytest.approx(30, rel=0.05)
    assert curve and "wte.weight" in state
    first = curve[0]["metric"]
    assert metrics["knowledge_bits"] > first  # training stored something


def test_a_run_measured_on_a_sample_of_people():
    bios = dataclasses.replace(SETUP, bios_people=12)
    everyone = bios.bios_run("bioS")
    assert bios.bios_run("bioS", measure_people=12).to_dict() == everyone.to_dict()  # all of them: same run
    assert everyone.to_dict()["measure_people"] == 0 and everyone.to_dict()["engine"] == ENGINE_VERSION
    sample = bios.bios_run("bioS", measure_people=5, width=8)
    assert sample.measured_people == 5 and sample.model.d_model == 8 and sample.to_dict()["measure_people"] == 5
    metrics, curve, _ = sample.execute()
    assert metrics["measured_people"] == 5 and curve
    assert set(metrics["recall_by_attribute"]) == set(ATTRIBUTES) == set(metrics["implied_recall"])
    assert metrics["recall_accuracy"] == pytest.approx(np.mean(list(metrics["recall_by_attribute"].values())))
    with pytest.raises(ValueError, match="measure_people=-1"):
        bios.bios_run("bioS", measure_people=-1)


def test_bios_nonmembers_are_new_people_in_the_corpus_vocabulary(world):
    for simple in (False, True):
        corpus = BioSCorpus(30, seed=0, simple=simple, world=world)
        fresh = corpus.nonmembers(25, seed=1)
        assert len(fresh) == 25 and all((t >= 0).all() and t[0] == corpus.eot for t in fresh)
        member_names = {tuple(corpus.render(i, np.random.default_rng(0))[0][1:4]) for i in range(30)}
        fresh_names = {tuple(t[1:4]) for t in fresh}  # a name is three word tokens after <eot>
        assert len(member_names) == 30 and len(fresh_names) == 25
        assert member_names.isdisjoint(fresh_names)
        texts = [world.tokenizer.decode(t) for t in fresh]  # pool vocabulary: the tokenizer's own ids
        assert len(set(texts)) == 25
        assert not any(p.full_name in text for p in corpus.people for text in texts)


def test_every_biography_opens_with_the_full_name(world):
    people = world.sample_people(50, np.random.default_rng(2))
    rng = np.random.default_rng(3)
    for p in people:
        for templates in (None, {a: 1 for a in ATTRIBUTES}):  # frame 1 ("It is known that ...") is swapped first
            bio = world.render(p, rng, templates=templates)
            assert bio.text.startswith(p.full_name) and bio.spans["name"] == (0, len(p.full_name))
