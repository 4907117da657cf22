"""The Run protocol of the three run kinds: which runs may train stacked, and one meaning of cost."""

import dataclasses

import pytest

from memcap.data.biod import BioD
from memcap.data.text import TextSpec
from memcap.engine.runs import CapacityRun, KnowledgeRun, TextRun
from memcap.engine.runs.cost import run_flops, step_flops_per_token
from memcap.engine.training import stacked
from memcap.engine.training.config import TrainConfig
from memcap.model import GPTConfig

SMALL = GPTConfig(vocab_size=16, seq_len=16, n_layer=1, d_model=16, n_head=2)
WIDE = SMALL.with_(d_model=32)
TRAIN = TrainConfig(max_steps=30, batch_size=8)


def test_only_small_fp32_capacity_and_knowledge_runs_have_a_stack_key():
    run = CapacityRun(SMALL, TRAIN, 32)
    assert run.stack_key(SMALL.n_params) == stacked.stack_key(run) is not None
    assert run.stack_key(SMALL.n_params - 1) is None  # too many parameters
    assert CapacityRun(SMALL, dataclasses.replace(TRAIN, precision="bf16"), 32).stack_key(10**9) is None
    assert CapacityRun(SMALL, TRAIN, 64).stack_key(10**9) == run.stack_key(10**9)  # one shape, one stack
    assert CapacityRun(WIDE, TRAIN, 32).stack_key(10**9) != run.stack_key(10**9)
    b = BioD(N=4, K=1, C=1, D=2, L=1, T=4, N0=16)
    knowledge = KnowledgeRun(SMALL, TRAIN, "bioD", 4, 1, biod=b)
    assert knowledge.stack_key(10**9) is not None and knowledge.stack_key(SMALL.n_params - 1) is None
    assert dataclasses.replace(knowledge, exposures=9).stack_key(10**9) == knowledge.stack_key(10**9)
    assert knowledge.stack_key(10**9) != run.stack_key(10**9)  # never in a stack with a capacity run
    assert dataclasses.replace(knowledge, train=dataclasses.replace(TRAIN, precision="bf16")).stack_key(10**9) is None
    text = TextSpec(vocab_size=16, seq_len=16)
    assert TextRun(SMALL, TRAIN, text, 10).stack_key(10**9) is None


@pytest.mark.parametrize("model", [SMALL, WIDE])
def test_capacity_costs_of_one_shape_are_in_the_order_and_ratio_of_n(model):
    sizes = [50, 8, 1000, 8, 200]
    costs = [CapacityRun(model, TRAIN, n).cost for n in sizes]
    assert sorted(range(5), key=lambda i: costs[i]) == sorted(range(5), key=lambda i: sizes[i])
    assert costs[2] / costs[1] == pytest.approx(1000 / 8)
    assert CapacityRun(model, dataclasses.replace(TRAIN, max_steps=10), 50).cost == costs[0]  # the data sets it


def test_every_cost_is_training_flops():
    # a capacity run that passes over its data as often as a knowledge run's step cap costs the same
    b = BioD(N=4, K=1, C=1, D=2, L=1, T=4, N0=16)
    k = KnowledgeRun(SMALL, TRAIN, "bioD", 4, 1, biod=b)
    assert k.cost == run_flops(k) == 30 * 8 * 15 * step_flops_per_token(SMALL)
    n = 30 * 8 // 200  # sequences that 200 epochs of 30 x 8 windows cover
    assert CapacityRun(SMALL, TRAIN, n).cost == pytest.approx(200 * n * 15 * step_flops_per_token(SMALL))


def test_an_optimizer_or_eps_other_than_adamws_default_enters_the_key_and_stack_key():
    default = CapacityRun(SMALL, TRAIN, 32)
    assert "optimizer" not in default.to_dict()["train"] and "eps" not in default.to_dict()["train"]  # keys kept
    for changes in (dict(optimizer="rprop"), dict(optimizer="nadam"), dict(eps=1e-6)):
        other = CapacityRun(SMALL, dataclasses.replace(TRAIN, **changes), 32)
        assert other.to_dict() != default.to_dict()
        assert other.stack_key(10**9) != default.stack_key(10**9), changes
    assert stacked.stack_key(CapacityRun(SMALL, dataclasses.replace(TRAIN, optimizer="nadam"), 32))[0] == "alone"


@pytest.mark.parametrize("optimizer", ["adamw", "nadam", "adafactor", "rprop"])
def test_every_optimizer_lowers_the_training_loss(optimizer):
    train = TrainConfig(max_steps=120, batch_size=16, lr=1e-2, warmup_steps=5, eval_every=40, min_decay_steps=20,
                        optimizer=optimizer)
    metrics, curve, _ = CapacityRun(SMALL, train, 16).execute("cpu")
    assert curve[-1]["loss"] < 0.9 * curve[0]["loss"] and metrics["memorized_bits"] > 0, (optimizer, curve)


@pytest.mark.parametrize("changes, message", [(dict(optimizer="lion"), "unknown optimizer 'lion'"),
                                              (dict(eps=0.0), "eps=0.0")])
def test_a_bad_optimizer_setting_is_named(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)
