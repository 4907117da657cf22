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
