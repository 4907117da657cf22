"""Shadow runs: the halves' design, the data each model trains on, the store keys, and a family trained stacked."""

import numpy as np
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
