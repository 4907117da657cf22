"""Layer removal and expert load on trained knowledge models (chapter 7)."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from memcap.book.presets import PRESETS
from memcap.engine.studies import ablation
from memcap.model import GPT


@pytest.fixture(scope="module")
def trained():
    """The smoke preset's two-layer removal model, trained (about a second)."""
    run = PRESETS["07_architecture"]["smoke"].runs(0)["removal"]
    _, _, state = run.execute()
    model = GPT(run.model)
    model.load_state_dict(state)
    return run, model


def test_first_row_is_the_whole_model_and_each_other_row_lacks_one_layer(trained):
    run, model = trained
    rows = ablation.bits_without_each_layer(model, run, recall=False)
    assert [r["removed"] for r in rows] == [None, 0, 1]
    corpus = run.corpus()
    whole = run.measure(model, corpus, run.evaluation(corpus))
    assert rows[0]["knowledge_bits"] == pytest.approx(whole["knowledge_bits"])
    assert rows[0]["share"] == 1.0
    for r in rows[1:]:
        assert r["share"] == pytest.approx(max(0.0, r["knowledge_bits"]) / rows[0]["knowledge_bits"])
        assert r["knowledge_bits"] != pytest.approx(rows[0]["knowledge_bits"])  # the layer did something


def test_a_layer_that_adds_nothing_to_the_stream_costs_nothing(trained):
    run, model = trained
    deeper = dataclasses.replace(run, model=run.model.with_(n_layer=3))
    silent = GPT(deeper.model)
    state = {k: v for k, v in silent.state_dict().items() if k.startswith("blocks.2.")}
    silent.load_state_dict({**model.state_dict(), **state})
    block = silent.blocks[2]
    with torch.no_grad():  # the added block writes zeros into the residual stream
        for layer in (block.proj, block.fc_out):
            layer.weight.zero_()
            layer.bias.zero_()
    rows = ablation.bits_without_each_layer(silent, deeper)
    assert rows[0]["knowledge_bits"] > 0
    assert rows[3]["removed"] == 2
    assert rows[3]["knowledge_bits"] == pytest.approx(rows[0]["knowledge_bits"], rel=1e-5)
    assert rows[3]["recall_accuracy"] == rows[0]["recall_accuracy"] and rows[3]["share"] == pytest.approx(1)
    assert rows[1]["share"] < 1  # a layer that was trained is missed


def test_a_model_that_stores_nothing_has_no_share_to_take_apart(trained):
    run, _ = trained
    rows = ablation.bits_without_each_layer(GPT(run.model), run, recall=False)  # untrained: nothing stored
    assert rows[0]["knowledge_bits"] <= 0
    assert all(math.isnan(r["share"]) for r in rows)


def test_bad_inputs_are_named(trained):
    run, model = trained
    other = GPT(run.model.with_(d_model=16, n_head=2))
    with pytest.raises(ValueError, match="is not the run's"):
        ablation.bits_without_each_layer(other, run)
    with pytest.raises(ValueError, match="has no experts"):
        ablation.expert_load(model, np.zeros((2, 10), dtype=np.int64))


def test_expert_load_counts_every_token_once_per_layer():
    cfg = PRESETS["07_architecture"]["smoke"].runs(0)["moe"][0].model.with_(n_layer=2)
    model = GPT(cfg, generator=torch.Generator().manual_seed(0))
    tokens = np.random.default_rng(0).integers(cfg.vocab_size, size=(5, cfg.seq_len))
    load = ablation.expert_load(model, tokens)
    assert load.shape == (2, cfg.n_experts)
    np.testing.assert_allclose(load.sum(axis=1), 1.0)
    choice = model.blocks[0].moe.last_choice.reshape(-1).numpy()
    np.testing.assert_allclose(load[0], np.bincount(choice, minlength=cfg.n_experts) / choice.size)
    with pytest.raises(ValueError, match="shape"):
        ablation.expert_load(model, tokens[0])
