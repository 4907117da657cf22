"""The paper presets on CUDA: a short slice of each chapter's largest `paper` run trains (its loss falls), is stored,
and its store records the device. Skipped without a CUDA device (run them with `pytest -m gpu` on a GPU machine)."""

import dataclasses

import pytest
import torch

from memcap.book.plan import chapter_runs
from memcap.infra.store import RunStore
from memcap.infra.sweep import run_sweep

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

SLICE_STEPS = 300


def largest_paper_run(chapter: str):
    runs = [r for group in chapter_runs(chapter, "paper").values() for r in group]
    return max(runs, key=lambda r: (r.model.n_params, r.train.max_steps))


@pytest.mark.parametrize("chapter", ["02_capacity", "03_knowledge", "04_precision", "05_membership", "06_text",
                                     "07_architecture"])
def test_a_slice_of_the_largest_paper_run_trains_on_cuda(chapter, tmp_path):
    if chapter == "06_text":
        from memcap.data import text

        if not all(c.path().exists() for c in text.CORPORA):
            pytest.skip("chapter 6 needs the corpus and GPT-2's vocabulary: run `memcap data` first (they are "
                        "fetched, not generated)")
    run = largest_paper_run(chapter)
    train = dataclasses.replace(run.train, max_steps=SLICE_STEPS, eval_every=SLICE_STEPS // 3,
                                warmup_steps=min(run.train.warmup_steps, SLICE_STEPS // 10))
    piece = dataclasses.replace(run, train=train)
    report = run_sweep([piece], tmp_path / "store", device="cuda", progress=False)
    metrics = report.metrics[0]
    assert metrics["device"] == "cuda" and metrics["steps"] == SLICE_STEPS
    curve = RunStore(tmp_path / "store").load(piece.to_dict())["curve"]
    assert curve[-1]["loss"] < curve[0]["loss"], (chapter, run.label, curve)
    tokens_per_second = metrics["tokens"] / metrics["seconds"]
    print(f"{chapter}: {run.label}, {run.model.n_params:,} parameters, batch {run.train.batch_size}: "
          f"{tokens_per_second:,.0f} tokens/s on {torch.cuda.get_device_name()}")


def test_stacked_runs_train_in_one_batched_step_on_cuda(tmp_path):
    """The path benchmarks/gpu_saturation.py takes: a group of small runs of one shape, stacked on the device."""
    from memcap.engine.runs import CapacityRun
    from memcap.engine.training.config import TrainConfig
    from memcap.model import GPTConfig

    cfg = GPTConfig(vocab_size=16, seq_len=8, n_layer=1, d_model=16, n_head=2)
    train = TrainConfig(max_steps=60, batch_size=8, lr=1e-2, warmup_steps=5, eval_every=20, min_decay_steps=10)
    runs = [CapacityRun(cfg, train, n_sequences=n, init_seed=n) for n in (8, 12, 16, 24)]
    report = run_sweep(runs, tmp_path / "store", device="cuda", progress=False, stack=4, stack_max_params=10**6)
    assert [m["stacked_with"] for m in report.metrics] == [4, 4, 4, 4]
    assert all(m["device"] == "cuda" and m["memorized_bits"] > 0 for m in report.metrics), report.metrics
