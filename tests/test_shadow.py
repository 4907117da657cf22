"""Shadow runs: the halves' design, the data each model trains on, the store keys, and a family trained stacked."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from memcap.engine.runs import CapacityRun
from memcap.engine.runs.shadow import ShadowRun, families, family, membership_matrix
from memcap.engine.training.config import TrainConfig
from memcap.infra.sweep import run_sweep
from memcap.model import GPTConfig

CFG = GPTConfig(vocab_size=16, seq_len=8, n_layer=1, d_model=8)
TRAIN = TrainConfig(max_steps=20, batch_size=8, warmup_steps=2, eval_every=10, min_decay_steps=5)


@pytest.mark.parametrize("n_pool,k", [(10, 2), (64, 8), (200, 16)])
def test_every_sequence_in_half_the_models_and_every_model_on_half_the_pool(n_pool, k):
    m = membership_matrix(n_pool, k, seed=3)
    assert (m.sum(axis=0) == k // 2).all() and (m.sum(axis=1) == n_pool // 2).all()
    assert (m[0::2] ^ m[1::2]).all()  # pairs are complementary
    assert k < 4 or not (m[0] == m[2]).all()  # different pairs split differently
    assert (membership_matrix(n_pool, k, seed=3) == m).all()
    assert not (membership_matrix(n_pool, k, seed=4) == m).all()


@pytest.mark.parametrize("bad", [dict(n_pool=9, n_models=2), dict(n_pool=8, n_models=3), dict(n_pool=8, n_models=0)])
def test_bad_designs_are_named(bad):
    with pytest.raises(ValueError, match="n_pool=9|n_models=3|n_models=0"):
        membership_matrix(seed=0, **bad)


def test_a_model_trains_on_its_half_of_the_pool():
    base = CapacityRun(model=CFG, train=TRAIN, n_sequences=12, data_seed=1)
    runs = family(base, 4)
    pool = runs[0].pool()
    assert pool.shape == (24, 8)
    for r, inside in zip(runs, runs[0].members()):
        x, held = r.data()
        assert x.shape == (12, 8) and torch.equal(x, pool[torch.from_numpy(inside)])
        assert torch.equal(held, base.data()[1])
    assert len({r.init_seed for r in runs}) == 4
    keys = {str(sorted(r.to_dict().items())) for r in runs + [base]}
    assert len(keys) == 5 and runs[0].to_dict()["kind"] == "shadow"
    with pytest.raises(ValueError, match="index=4"):
        ShadowRun(model=CFG, train=TRAIN, n_sequences=12, n_models=4, index=4)
    assert len(families([base, base], 4)) == 8


def test_a_family_trains_stacked_and_is_stored(tmp_path):
    runs = family(CapacityRun(model=CFG, train=TRAIN, n_sequences=16), 4)
    report = run_sweep(runs, tmp_path, progress=False, stack=4, stack_max_params=10**6, max_workers=1)
    assert report.trained == 4 and {m["stacked_with"] for m in report.metrics} == {4}
    again = run_sweep(runs, tmp_path, progress=False, stack=4, stack_max_params=10**6, max_workers=1)
    assert again.reused == 4 and again.metrics == report.metrics
    assert len({round(m["memorized_bits"], 6) for m in report.metrics}) == 4  # four different models
    assert np.isfinite([m["memorized_bits"] for m in report.metrics]).all()


def _text_base(n: int = 6):
    from memcap.data.text import TextSpec
    from memcap.engine.runs import TextRun

    spec = TextSpec(vocab_size=300, seq_len=16, max_chars=20000, block_chars=1024)
    return TextRun(model=GPTConfig(vocab_size=300, seq_len=16, n_layer=1, d_model=8, n_head=1),
                   train=TrainConfig(max_steps=6, batch_size=4, warmup_steps=1, eval_every=3), text=spec,
                   n_sequences=n, data_seed=2)


def test_a_text_model_trains_on_its_half_of_a_pool_drawn_from_the_pool_split():
    from memcap.data.text import make_splits
    from memcap.engine.runs import TextRun
    from memcap.engine.runs.text_shadow import TextShadowRun, text_family

    base = _text_base()
    runs = text_family(base, 6)
    splits = make_splits(base.text)
    pool = runs[0].pool(splits)
    # the family's pool is what a text run of the same data seed draws first, twice N of it
    twice = _text_base(12)
    np.testing.assert_array_equal(pool, twice.data(splits)[0])
    for r, inside in zip(runs, runs[0].members()):
        distinct, train_set, test = r.data(splits)
        np.testing.assert_array_equal(distinct, pool[inside])
        np.testing.assert_array_equal(train_set, distinct)
        np.testing.assert_array_equal(test, splits.test)
    assert runs[0].members().sum(axis=0).tolist() == [3] * 12
    keys = {str(sorted(r.to_dict().items())) for r in runs + [base]}
    assert len(keys) == 7 and {r.to_dict()["kind"] for r in runs} == {"text-shadow"}
    assert len({r.init_seed for r in runs}) == 6
    with pytest.raises(ValueError, match="index=6"):
        TextShadowRun(**{**base.__dict__}, n_models=6, index=6)
    with pytest.raises(ValueError, match="copies=2"):
        text_family(TextRun(**{**base.__dict__, "duplicated": 1, "copies": 2}), 6)
    with pytest.raises(ValueError, match="2N = 30000"):
        text_family(_text_base(15_000), 6)[0].pool(splits)


def test_a_text_family_is_trained_stored_and_attacked(tmp_path):
    from memcap.data.text import make_splits
    from memcap.engine.runs import load_model
    from memcap.engine.runs.text_shadow import text_family
    from memcap.infra.store import RunStore
    from memcap.measures import attack_tables
    from memcap.measures.evaluate import sequence_code_length_bits

    runs = text_family(_text_base(), 6)
    report = run_sweep(runs, tmp_path, progress=False, max_workers=1)
    assert report.trained == 6 and run_sweep(runs, tmp_path, progress=False, max_workers=1).reused == 6
    splits = make_splits(runs[0].text)
    models = [load_model(RunStore(tmp_path), r) for r in runs]
    oracle = sequence_code_length_bits(models[1], torch.as_tensor(splits.pool))  # any model stands in for it
    got = attack_tables.text_family_inputs(runs[0], splits, oracle)
    assert got["pool"].shape == (12, 16) and len(got["texts"]) == 12 and got["zlib_bits"].shape == (12,)
    # the oracle's bits on the predicted tokens only, the family's pool rows looked up in its code of the pool split
    from memcap.measures import attacks
    from memcap.theory.information import nats_to_bits

    predicted = nats_to_bits(-attacks.token_statistics(models[1], got["pool"])["logp"].sum(axis=1))
    np.testing.assert_allclose(got["baseline_bits"], predicted, atol=1e-3)
    scores = attack_tables.family_scores(models, got["pool"], runs[0].members(), baseline_bits=got["baseline_bits"],
                                         zlib_code_bits=got["zlib_bits"])
    # against model 1 as the oracle, model 1 memorizes nothing of any sample
    assert np.allclose(np.asarray(scores["mem_u_bits"])[np.asarray(scores["target"]) == 1], 0.0, atol=1e-3)
    with pytest.raises(ValueError, match="every one of the"):
        attack_tables.text_family_inputs(runs[0], splits, oracle[:10])
    with pytest.raises(ValueError, match="baseline_bits must hold one value per pool sample"):
        attack_tables.family_scores(models, got["pool"], runs[0].members(), baseline_bits=got["baseline_bits"][:3])
    # the attacks without shadows on one run, members against the test split's first as many; no reference, no row
    entries = {"alone": (runs[0], models[0], None), "with": (runs[0], models[0], models[1])}
    rows = attack_tables.deal_attack_table(entries, rng=np.random.default_rng(0), fprs=(0.1,), max_samples=5, n_boot=20)
    assert [r["attack"] for r in rows if r["deal"] == "alone"] == ["LOSS", "zlib", "Min-K%", "Min-K%++"]
    assert [r["attack"] for r in rows if r["deal"] == "with"] == list(attack_tables.WITHOUT_SHADOWS)
    assert {(r["n_members"], r["n_nonmembers"]) for r in rows} == {(5, 5)}


def _bios_base(n_people=5, steps=8, vocabulary="pool"):
    from memcap.engine.runs import KnowledgeRun

    return KnowledgeRun(model=GPTConfig(vocab_size=3030, seq_len=96, n_layer=1, d_model=8, n_head=1),
                        train=TrainConfig(max_steps=steps, batch_size=4), kind="bioS", n_people=n_people,
                        exposures=1, vocabulary=vocabulary)


@pytest.mark.parametrize("vocabulary", ["pool", "used"])
def test_a_bios_model_trains_on_the_biographies_of_its_half_of_one_pool(vocabulary):

    from memcap.engine.runs.bios_shadow import bios_family

    base = _bios_base(vocabulary=vocabulary)
    runs = bios_family(base, 6)
    pool = runs[0].pool_corpus()
    names = [p.full_name for p in pool.people]
    assert len(names) == 10 == len(set(names))
    for r in runs:
        half = r.corpus()
        assert [p.full_name for p in half.people] == [names[j] for j in np.flatnonzero(r.members()[r.index])]
        assert half.n_people == 5 and half.vocab_size == r.model.vocab_size == pool.vocab_size
    first, partner = ({p.full_name for p in r.corpus().people} for r in runs[:2])
    assert first.isdisjoint(partner) and first | partner == set(names)
    # every model of the family reads the same token ids; each run has a key of its own
    assert len({r.model.vocab_size for r in runs}) == 1 and len({str(r.to_dict()) for r in [base, *runs]}) == 7
    attacked = runs[0].attacked()
    assert len(attacked) == 10 and all(t[0] == pool.eot for t, _ in attacked)
    assert all(spans["name"][0] == 1 for _, spans in attacked)  # a biography opens with the name
    with pytest.raises(ValueError, match="copies a bioS run"):
        bios_family(replace(base, kind="bioS_simple"), 6)
    with pytest.raises(ValueError, match="index must lie"):
        replace(runs[0], index=6)
    with pytest.raises(ValueError, match="n_models must be an even number"):
        bios_family(base, 5)


def test_a_bios_family_is_trained_stored_and_attacked(tmp_path):
    from memcap.engine.runs import load_model
    from memcap.engine.runs.bios_shadow import bios_family
    from memcap.infra.store import RunStore
    from memcap.measures import attack_tables, attacks
    from memcap.theory.information import nats_to_bits

    runs = bios_family(_bios_base(), 6)
    assert run_sweep(runs, tmp_path, progress=False, max_workers=1).trained == 6
    models = [load_model(RunStore(tmp_path), r) for r in runs]
    got = attack_tables.bios_family_inputs(runs[0])
    pool, masks = got["pool"], got["mem_tokens"]
    assert len(pool) == len(got["texts"]) == 10 and len({len(t) for t in pool}) > 1  # biographies of many lengths
    # the counted tokens are the name's and the attribute values': the name opens every text
    corpus = runs[0].pool_corpus()
    words = np.asarray(corpus.world.tokenizer.vocab)[np.flatnonzero(corpus.remap >= 0)]
    assert " ".join(words[pool[0][1:]][masks[0]]).startswith(corpus.people[0].full_name)
    assert got["baseline_bits"][0] == pytest.approx(np.log2(corpus.world.n0) + corpus.world.log2_s0() - 1)
    scores = attack_tables.family_scores(models, pool, runs[0].members(), baseline_bits=got["baseline_bits"],
                                         zlib_code_bits=got["zlib_bits"], mem_tokens=masks)
    f = pd.DataFrame(scores)
    assert len(f) == 60 and f.groupby("sample").member.sum().eq(3).all()
    # scored in groups of one length, as each sample alone would be: every attack without shadows, and LiRA from
    # each model's statistic of the sample alone
    reference = models[5]
    with_ref = pd.DataFrame(attack_tables.family_scores(models, pool, runs[0].members(), reference=reference,
                                                        zlib_code_bits=got["zlib_bits"]))
    inside = runs[0].members()
    ell = np.array([[attacks.token_statistics(m, torch.as_tensor(t)[None])["logp"].sum() for t in pool]
                    for m in models])
    others = (np.arange(6) != 2) & (np.arange(6) != 3)  # target 2's shadows: all but its partner, model 3
    lira = attacks.lira_scores(ell[2], ell[others], inside[others], online=True)
    for j in (0, 7):
        x = torch.as_tensor(pool[j])[None]
        stats = attacks.token_statistics(models[2], x)
        alone = attack_tables._without_shadows(stats, attacks.token_statistics(reference, x)["logp"],
                                               got["zlib_bits"][j:j + 1], 0.2)
        row = f[(f.target == 2) & (f["sample"] == j)].iloc[0]
        ref_row = with_ref[(with_ref.target == 2) & (with_ref["sample"] == j)].iloc[0]
        for name, value in alone.items():
            assert ref_row[name] == pytest.approx(float(value[0]), rel=1e-5, abs=1e-6), name
        assert row.LOSS == ref_row.LOSS
        assert row["LiRA online"] == pytest.approx(float(lira[j]), rel=1e-4, abs=1e-4)
    # mem_U counts the masked tokens only: against a baseline nothing is clipped at, it is that baseline minus the
    # target's code length of those tokens
    big = np.full(len(pool), 1e4)
    unclipped = pd.DataFrame(attack_tables.family_scores(models, pool, runs[0].members(), baseline_bits=big,
                                                         zlib_code_bits=got["zlib_bits"], mem_tokens=masks))
    everything = pd.DataFrame(attack_tables.family_scores(models, pool, runs[0].members(), baseline_bits=big,
                                                          zlib_code_bits=got["zlib_bits"]))
    for j in (0, 7):
        logp = attacks.token_statistics(models[2], torch.as_tensor(pool[j])[None])["logp"][0]
        pick = (unclipped.target == 2) & (unclipped["sample"] == j)
        assert unclipped[pick].mem_u_bits.iloc[0] == pytest.approx(1e4 - nats_to_bits(-logp[masks[j]].sum()), rel=1e-9)
        assert everything[pick].mem_u_bits.iloc[0] == pytest.approx(1e4 - nats_to_bits(-logp.sum()), rel=1e-9)
        assert 0 < masks[j].sum() < len(logp)
    with pytest.raises(ValueError, match=r"mem_tokens\[0\] must mark each"):
        attack_tables.family_scores(models, pool, runs[0].members(), mem_tokens=[m[:-1] for m in masks])
    with pytest.raises(ValueError, match="at least 2 token ids"):
        attack_tables.family_scores(models, [t[:1] for t in pool], runs[0].members())


def test_a_pool_given_as_rows_scores_as_the_same_pool_given_as_one_tensor(tmp_path):
    from memcap.engine.runs import load_model
    from memcap.infra.store import RunStore
    from memcap.measures import attack_tables

    base = CapacityRun(model=GPTConfig(vocab_size=8, seq_len=6, n_layer=1, d_model=8, n_head=1),
                       train=TrainConfig(max_steps=20, batch_size=4), n_sequences=6)
    runs = family(base, 6)
    run_sweep(runs, tmp_path, progress=False, max_workers=1)
    models = [load_model(RunStore(tmp_path), r) for r in runs]
    pool = runs[0].pool()
    as_tensor = attack_tables.family_scores(models, pool, runs[0].members(), reference=models[1])
    as_rows = attack_tables.family_scores(models, list(pool.numpy()), runs[0].members(), reference=models[1])
    assert as_rows == as_tensor


def test_one_call_runs_a_family_through_every_step_as_the_steps_alone_would(tmp_path):
    from memcap.engine.runs import load_model
    from memcap.infra.store import RunStore
    from memcap.measures import attack_tables

    base = CapacityRun(model=GPTConfig(vocab_size=8, seq_len=6, n_layer=1, d_model=8, n_head=1),
                       train=TrainConfig(max_steps=20, batch_size=4), n_sequences=6)
    attacked, calls = {}, []

    def memo(fn, *args, **kwargs):  # what a chapter's run.memo sees: each long step, by name
        calls.append(fn.__name__)
        return fn(*args, **kwargs)

    for seed in (0, 1):
        runs = family(replace(base, data_seed=seed), 6)
        run_sweep(runs, tmp_path, progress=False, max_workers=1)
        models = [load_model(RunStore(tmp_path), r) for r in runs]
        inputs = attack_tables.uniform_family_inputs(runs[0])
        attacked[seed] = attack_tables.attack_family(
            models, runs[0].members(), inputs, reference=models[1], metrics_rng=np.random.default_rng(5),
            blind_rng=np.random.default_rng(6), fprs=(0.1,), n_boot=20, blind_level=0.9, memo=memo)
        scores = attack_tables.family_scores(models, inputs["pool"], runs[0].members(), reference=models[1])
        metrics = attack_tables.metrics_by_attack(scores, rng=np.random.default_rng(5), fprs=(0.1,), n_boot=20)
        blind = attack_tables.blind_check(inputs["pool"], runs[0].members()[0], rng=np.random.default_rng(6),
                                          n_boot=20, level=0.9)
        got = attacked[seed]
        pd.testing.assert_frame_equal(got.scores, pd.DataFrame(scores))
        pd.testing.assert_frame_equal(got.metrics, pd.DataFrame(metrics))
        pd.testing.assert_frame_equal(got.track, attack_tables.tracks_memorization(scores))
        assert got.blind == blind
    assert calls == ["family_scores", "metrics_by_attack", "blind_check"] * 2
    metrics, track, blind = attack_tables.stack_families(attacked, "seed")
    assert metrics.seed.tolist() == [0] * 7 + [1] * 7 and track.seed.tolist() == metrics.seed.tolist()
    assert blind.columns[0] == "seed" and blind.auc.tolist() == [attacked[0].blind["auc"], attacked[1].blind["auc"]]
    with pytest.raises(ValueError, match=r"\['colour'\]"):
        attack_tables.attack_family(models, runs[0].members(), dict(inputs, colour=1), metrics_rng=None,
                                    blind_rng=None)
    with pytest.raises(ValueError, match="no pool"):
        attack_tables.attack_family(models, runs[0].members(), {}, metrics_rng=None, blind_rng=None)
