"""Train capacity runs and measure each: what every stored capacity run's metrics hold.

Besides memorized bits, every run carries its baselines, measured in the same run (:mod:`memcap.measures.claims`):
the model before training on its training data (log2 V a token for a model that knows nothing), and the trained
model on fresh sequences of the same source (what it "memorizes" of data it never saw).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from memcap.engine.runs import CapacityRun
from memcap.engine.train import train_models
from memcap.engine.version import ENGINE_VERSION
from memcap.measures.capacity import memorized_bits
from memcap.measures.evaluate import code_length_bits_per_token, sequence_code_length_bits
from memcap.model import GPT


def execute_run(run: CapacityRun, device: str = "cpu", progress: bool = False) -> tuple[dict, list[dict], dict]:
    """Train and measure one run: (metrics, learning curve, weights)."""
    return execute_runs([run], device, progress)[0]


def execute_runs(runs: Sequence[CapacityRun], device: str = "cpu", progress: bool = False
                 ) -> list[tuple[dict, list[dict], dict]]:
    """Train runs together (one of any kind, or several of one shape, :mod:`memcap.engine.stacked`) and measure each:
    (metrics, learning curve, weights) per run."""
    data = [r.data() for r in runs]
    train_xs = [d[0].to(device) for d in data]
    models = [GPT(r.model, generator=torch.Generator().manual_seed(r.init_seed)).to(device) for r in runs]
    untrained = [code_length_bits_per_token(m, x) for m, x in zip(models, train_xs)]
    metrics = [(lambda m, x=x, V=r.model.vocab_size: memorized_bits(m, x, V).raw_bits) for r, x in zip(runs, train_xs)]
    first = runs[0].model
    results = train_models(models, train_xs, [r.train for r in runs], [r.init_seed for r in runs], metrics=metrics,
                           ceilings=[r.memorizable_bits for r in runs], progress=progress, metric_name="memorized bits",
                           description=f"L{first.n_layer} d{first.d_model} N={runs[0].n_sequences}"
                                       + (f" (+{len(runs) - 1} stacked)" if len(runs) > 1 else ""))
    out = []
    for r, m, res, x, (_, held), u in zip(runs, models, results, train_xs, data, untrained):
        metrics_, curve, state = _measure(r, m, res, x, held, device)
        metrics_.update(untrained_bits_per_token=u, stacked_with=len(runs))
        out.append((metrics_, curve, state))
    return out


def _measure(run: CapacityRun, model: GPT, result, train_x, held_x, device: str) -> tuple[dict, list[dict], dict]:
    V = run.model.vocab_size
    mem = memorized_bits(model, train_x, V)
    held_bits = sequence_code_length_bits(model, held_x.to(device))
    per_token = run.model.seq_len - 1
    per_sequence_entropy = run.model.seq_len * math.log2(V)
    metrics = dict(
        n_params=run.model.n_params,
        n_sequences=run.n_sequences,
        dataset_bits=mem.dataset_bits,
        memorized_bits=mem.raw_bits,
        memorized_bits_clipped=mem.clipped_bits,
        bits_per_param=mem.raw_bits / run.model.n_params,
        memorized_bits_per_sequence=mem.raw_bits / run.n_sequences,
        # the same model on fresh sequences of the same source: what it "memorizes" of data it never saw
        fresh_memorized_bits_per_sequence=float(np.mean(per_sequence_entropy - held_bits)),
        train_loss_bits_per_token=(mem.code_length_bits / run.n_sequences - math.log2(V)) / per_token,
        test_loss_bits_per_token=float((held_bits - math.log2(V)).mean()) / per_token,
        steps=result.steps,
        seconds=result.seconds,
        tokens=result.tokens,
        stop_reason=result.stop_reason,
        device=device,
        engine_version=ENGINE_VERSION,
        torch_version=torch.__version__,
    )
    state = {k: v for k, v in model.state_dict().items()}
    return metrics, result.curve, state
