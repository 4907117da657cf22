"""The engine version is part of every run's key and moves whenever the engine's code does."""

import ast

import torch

from memcap.data.biod import BioD
from memcap.engine import version as engine
from memcap.engine.runs.capacity import CapacityRun
from memcap.engine.runs.knowledge import KnowledgeRun
from memcap.infra.store import RunStore
from memcap.engine.training.config import TrainConfig
from memcap.model import GPTConfig

TINY = GPTConfig(vocab_size=16, seq_len=8, n_layer=1, d_model=16, n_head=2)


def test_the_engine_code_matches_a_recorded_fingerprint_of_its_version():
    current = engine.fingerprint()
    assert engine.ENGINE_VERSION == max(engine.ENGINE_HISTORY)
    recorded = engine.ENGINE_HISTORY[engine.ENGINE_VERSION]
    assert current in recorded, (
        f"the engine's code changed (fingerprint {current}; recorded for version {engine.ENGINE_VERSION}: "
        f"{recorded}). Stored runs may no longer mean what the code measures: add `{engine.ENGINE_VERSION + 1}: "
        f"(\"{current}\",),` with the reason to memcap.engine.version.ENGINE_HISTORY (or, for a change that moves "
        f"code without changing a number, shown by rerunning the chapters, add it to version "
        f"{engine.ENGINE_VERSION}'s tuple)")
    every = [fp for fps in engine.ENGINE_HISTORY.values() for fp in fps]
    assert len(set(every)) == len(every), "each fingerprint belongs to one version"


def test_the_fingerprint_sees_code_but_not_docstrings(monkeypatch):
    base = engine.fingerprint()
    real_parse = ast.parse

    def parse_with(change):
        def parse(src, *a, **kw):
            if "def train_models(" in src:
                src = change(src)
            return real_parse(src, *a, **kw)
        return parse

    monkeypatch.setattr(engine.ast, "parse", parse_with(lambda s: s.replace('"""The training loop:', '"""A loop:')))
    assert engine.fingerprint() == base
    monkeypatch.setattr(engine.ast, "parse", parse_with(lambda s: s.replace("running[k] / since[k]", "running[k]")))
    assert engine.fingerprint() != base


def test_every_run_key_names_the_engine_version():
    run = CapacityRun(model=TINY, train=TrainConfig(), n_sequences=4)
    assert run.to_dict()["engine"] == engine.ENGINE_VERSION
    b = BioD(N=4, K=1, C=1, D=2, L=1, T=4, N0=16)
    k = KnowledgeRun(model=TINY, train=TrainConfig(), kind="bioD", n_people=4, exposures=1, biod=b)
    assert k.to_dict()["engine"] == engine.ENGINE_VERSION
    assert RunStore.key(run.to_dict()) != RunStore.key({**run.to_dict(), "engine": engine.ENGINE_VERSION - 1})


def test_a_stored_run_records_engine_torch_stacking_and_its_baselines():
    run = CapacityRun(model=TINY, train=TrainConfig(max_steps=300, batch_size=8, lr=3e-2, warmup_steps=10,
                                                    eval_every=50, schedule="cosine"), n_sequences=8)
    metrics, _, _ = run.execute()
    assert metrics["engine_version"] == engine.ENGINE_VERSION and metrics["torch_version"] == torch.__version__
    assert metrics["stacked_with"] == 1
    # calibration: before training the model codes at about log2 V = 4 bits per token
    assert abs(metrics["untrained_bits_per_token"] - 4.0) < 0.05
    # the trained model stores its 8 training sequences, not fresh ones
    assert metrics["memorized_bits_per_sequence"] > 10 + metrics["fresh_memorized_bits_per_sequence"]
