"""Text runs on a small fake corpus: what is drawn for training, what is measured, and mem_U from the metrics."""

import dataclasses

import numpy as np
import pytest
import torch

from memcap.data import text
from memcap.engine.runs.text import TextRun
from memcap.engine.training.config import TrainConfig
from memcap.measures.memorization import unintended_memorization_bits
from memcap.measures.evaluate import sequence_code_length_bits
from memcap.model import GPT, GPTConfig
from test_text import SPLIT_FILES, fake_corpus

SPEC = text.TextSpec(editions=("modern", "milton"), vocab_size=300, seq_len=16, block_chars=200,
                     reference_share=0.5, test_share=0.2)


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    fake, cache = fake_corpus(tmp_path, SPLIT_FILES)
    monkeypatch.setattr(text.corpora, "SHAKESPEARE", fake)
    monkeypatch.setenv(text.CACHE_ENV, str(cache))
    return text.make_splits(SPEC)


def run(n=24, **kw):
    model = GPTConfig(vocab_size=300, seq_len=16, n_layer=1, d_model=32, n_head=4)
    train = TrainConfig(max_steps=300, batch_size=8, lr=1e-2, warmup_steps=10, eval_every=100, min_decay_steps=50)
    return TextRun(model=model, train=train, text=SPEC, n_sequences=n, **kw)


def test_training_sets_of_one_seed_are_nested_and_seeds_differ(corpus):
    size = len(corpus.pool)
    small, large = run(5).train_indices(size), run(20).train_indices(size)
    assert np.array_equal(large[:5], small) and len(set(large)) == 20
    assert not np.array_equal(run(20, data_seed=1).train_indices(size), large)
    distinct, train_set, test = run(5).data()
    assert np.array_equal(distinct, corpus.pool[small]) and np.array_equal(train_set, distinct)
    assert np.array_equal(test, corpus.test)
    with pytest.raises(ValueError, match=f"n_sequences={size + 1} exceeds"):
        run(size + 1).train_indices(size)


def test_copies_repeat_the_first_sequences_only(corpus):
    distinct, train_set, _ = run(6, duplicated=2, copies=4).data()
    assert len(train_set) == 6 + 2 * 3
    rows = [tuple(r) for r in train_set]
    assert [rows.count(tuple(r)) for r in distinct] == [4, 4, 1, 1, 1, 1]


def test_near_copies_add_the_folio_passage_of_sequences_that_have_one(corpus):
    r = run(12, duplicated=3, copies=4, near=True)
    distinct, train_set, _ = r.data()
    copied = r.copied(distinct, corpus)
    assert len(copied.rows) == 3 and (copied.share >= 0.6).all()
    found = text.near_duplicates(distinct, corpus.tokenizer)
    assert copied.rows.tolist() == np.flatnonzero(found.found)[:3].tolist()  # the first that have one
    assert np.array_equal(copied.added, found.rows[copied.rows])
    rows = [tuple(x) for x in train_set]
    assert len(train_set) == 12 + 3 * 3
    assert [rows.count(tuple(x)) for x in distinct] == [1] * 12  # the drawn sequences once each ...
    added = [tuple(x) for x in copied.added]  # ... their Folio passages 3 times (in this corpus's repetitive
    assert [rows.count(x) for x in added] == [3 * added.count(x) for x in added]  # lines two may be the same)
    assert not any(np.array_equal(a, distinct[i]) for a, i in zip(copied.added, copied.rows))
    assert "near" not in run(12, duplicated=3, copies=4).to_dict() and r.to_dict()["near"] is True
    assert r.label.endswith("x4 near")
    with pytest.raises(ValueError, match="duplicated=12: only"):
        run(12, duplicated=12, copies=2, near=True).data()


def test_a_target_codes_its_training_sequences_shorter_and_mem_u_finds_them(corpus):
    target = run(24, prefix_lens=(4,), extract_tokens=4, extract_samples=24)
    metrics, curve, state = target.execute()
    assert len(metrics["train_bits"]) == 24 and len(metrics["test_bits"]) == len(corpus.test)
    assert metrics["train_loss_bits_per_token"] < metrics["test_loss_bits_per_token"]
    assert metrics["untrained_bits_per_token"] == pytest.approx(np.log2(300), rel=0.02)
    assert metrics["extract_4"] > metrics["extract_4_test"]
    assert curve and curve[-1]["metric"] > curve[0]["metric"]  # the training set's bits below log2 V grow
    # a reference of the same shape on the whole reference split: against it, the target memorizes its own
    # sequences, not the test ones (mem_U looks the training sequences up in the reference's pool_bits by index)
    reference = dataclasses.replace(target, source="reference", n_sequences=0, measure_pool=True, prefix_lens=())
    ref, _, ref_state = reference.execute()
    assert len(ref["pool_bits"]) == len(corpus.pool)
    idx = target.train_indices(len(corpus.pool))
    ref_model = GPT(reference.model)
    ref_model.load_state_dict(ref_state)
    direct = sequence_code_length_bits(ref_model, torch.as_tensor(target.data()[0]))
    np.testing.assert_allclose(np.asarray(ref["pool_bits"])[idx], direct, atol=1e-3)  # the same sequences
    mem_train = unintended_memorization_bits(metrics["train_bits"], np.asarray(ref["pool_bits"])[idx])
    mem_test = unintended_memorization_bits(metrics["test_bits"], ref["test_bits"])
    assert mem_train.mean() > 2 * mem_test.mean()


def test_the_key_holds_everything_that_changes_the_result(corpus):
    a = run(8).to_dict()
    assert a["kind"] == "text" and a["text"]["seq_len"] == 16 and a["n_sequences"] == 8
    for change in (dict(n_sequences=9), dict(copies=2, duplicated=1), dict(source="reference"),
                   dict(text=dataclasses.replace(SPEC, seed=3))):
        assert dataclasses.replace(run(8), **change).to_dict() != a


@pytest.mark.parametrize("change, named", [
    (dict(source="web"), "'web'"),
    (dict(n_sequences=-1), "-1"),
    (dict(copies=2), "duplicated=0"),
    (dict(duplicated=30), "duplicated=30"),
    (dict(prefix_lens=(14,), extract_tokens=4, extract_samples=2), r"\(14,\)"),
    (dict(prefix_lens=(4,)), "extract_tokens=0"),
    (dict(curve_sequences=-2), "-2"),
    (dict(near=True), "copies=1"),
    (dict(near=True, copies=2, duplicated=1, text=dataclasses.replace(SPEC, editions=("modern", "folio"))),
     "'folio'"),
])
def test_bad_runs_are_named(change, named):
    with pytest.raises(ValueError, match=named):
        dataclasses.replace(run(24), **change)


def test_model_and_text_must_agree():
    with pytest.raises(ValueError, match="seq_len=8"):
        dataclasses.replace(run(4), model=dataclasses.replace(run(4).model, seq_len=8))
    with pytest.raises(ValueError, match="vocab_size=512"):
        dataclasses.replace(run(4), model=dataclasses.replace(run(4).model, vocab_size=512))
