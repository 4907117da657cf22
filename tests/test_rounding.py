"""Updates that round to nothing (memcap.engine.studies.rounding): the counter, its errors and its cache."""

import json

import pytest
import torch

from memcap.engine.runs import CapacityRun
from memcap.infra.store import RunStore
from memcap.infra.sweep import run_sweep
from memcap.engine.training.config import TrainConfig
from memcap.engine.studies import rounding
from memcap.model import GPT, GPTConfig

CFG = GPTConfig(vocab_size=8, seq_len=8, n_layer=1, d_model=8, n_head=2)


def test_bf16_loses_more_updates_the_smaller_the_rate():
    data = torch.randint(0, 8, (32, 8), generator=torch.Generator().manual_seed(1))
    model = GPT(CFG)
    before = [p.detach().clone() for p in model.parameters()]
    bf16 = TrainConfig(batch_size=16, precision="bf16")
    small, large = (rounding.unchanged_share(model, data, bf16, lr=lr, steps=10) for lr in (1e-4, 1e-1))
    fp32 = rounding.unchanged_share(model, data, TrainConfig(batch_size=16), lr=1e-4, steps=10)
    assert fp32 < large < small <= 1
    # the model itself is untouched, and stays fp32
    assert all(torch.equal(a, b) and b.dtype == torch.float32 for a, b in zip(before, model.parameters()))


@pytest.mark.parametrize("bad", [dict(lr=0.0), dict(lr=1e-3, steps=1), dict(lr=1e-3, steps=2.5)])
def test_bad_arguments_name_the_value(bad):
    data = torch.randint(0, 8, (16, 8))
    name = "lr" if bad["lr"] <= 0 else "steps"
    with pytest.raises(ValueError, match=name):
        rounding.unchanged_share(GPT(CFG), data, TrainConfig(batch_size=8), **bad)


def test_stored_share_is_computed_once(tmp_path):
    run = CapacityRun(CFG, TrainConfig(max_steps=60, batch_size=8, eval_every=20, precision="bf16"), 8)
    store = RunStore(tmp_path)
    with pytest.raises(ValueError, match="not in the store"):
        rounding.stored_unchanged_share(store, run, 1e-3, steps=4)
    run_sweep([run], store, progress=False, max_workers=1)
    first = rounding.stored_unchanged_share(store, run, 1e-3, steps=4)
    (cached,) = (tmp_path / "derived").glob("*.json")
    assert json.loads(cached.read_text())["unchanged_share"] == first
    cached.write_text(json.dumps(dict(unchanged_share=-1.0)))  # a second call reads the file, not the model
    assert rounding.stored_unchanged_share(store, run, 1e-3, steps=4) == -1.0
    assert rounding.stored_unchanged_share(store, run, 1e-2, steps=4) != -1.0  # another rate, another entry



def test_a_stored_share_is_invalidated_with_the_engine_version(tmp_path, monkeypatch):
    # the same rule as a stored run's: the engine version is part of the key
    run = CapacityRun(CFG, TrainConfig(max_steps=40, batch_size=8, eval_every=20, precision="bf16"), 8)
    store = RunStore(tmp_path)
    run_sweep([run], store, progress=False, max_workers=1)
    rounding.stored_unchanged_share(store, run, 1e-3, steps=4)
    (cached,) = (tmp_path / "derived").glob("*.json")
    cached.write_text(json.dumps(dict(unchanged_share=-1.0)))
    assert rounding.stored_unchanged_share(store, run, 1e-3, steps=4) == -1.0
    monkeypatch.setattr(rounding, "ENGINE_VERSION", rounding.ENGINE_VERSION + 1)
    assert rounding.stored_unchanged_share(store, run, 1e-3, steps=4) != -1.0
