"""Is a run saturated in training time? The same run trained ``k`` times longer, and what it then stores.

Capacity is the most a model can store, so the runs behind it must be long enough that training longer adds
nothing. :func:`longer` makes the ``k``-times-longer twin of a stored run (same data, same seeds): for a capacity
run (warm-up, stable phase, decay) both phases are scaled by ``k`` with the stall and target rules switched off,
so the length is exactly ``k`` times the ``steps`` the stopping rule gave the original; for a knowledge run
(cosine schedule, length set by the exposures) ``k`` times the exposures, the steps, the warm-up and the
evaluation interval. Each twin has its own store key, so it is trained once.

:func:`saturation_runs` builds the twins of a stored run and :func:`saturation_table` tabulates the metric against
the training length once they are trained; chapter 2 shows it for one capacity run and ``benchmarks/saturation.py``
for any chapter's largest model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from memcap.engine.runs.capacity import CapacityRun
from memcap.engine.runs.knowledge import KnowledgeRun


def longer(run: CapacityRun | KnowledgeRun, steps: int, k: int) -> CapacityRun | KnowledgeRun:
    """``run`` trained ``k`` times longer, both phases scaled; ``steps`` is how long the stored run trained.

        >>> from memcap.engine.training.config import TrainConfig
        >>> from memcap.model import GPTConfig
        >>> r = CapacityRun(GPTConfig(8, 8, 1, 8), TrainConfig(max_steps=800, min_decay_steps=100), 16)
        >>> t = longer(r, 500, 2).train
        >>> t.max_steps, t.min_decay_steps, t.stall_rel_tol, t.target_fraction
        (1000, 200, -1.0, 1.0)
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got k={k!r}")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be the stored run's positive step count, got steps={steps!r}")
    t = run.train
    if isinstance(run, KnowledgeRun):
        train = dataclasses.replace(t, max_steps=k * t.max_steps, warmup_steps=k * t.warmup_steps,
                                    eval_every=k * t.eval_every)
        return dataclasses.replace(run, exposures=k * run.exposures, train=train)
    if not isinstance(run, CapacityRun):
        raise TypeError(f"need a CapacityRun or KnowledgeRun, got {type(run).__name__}")
    train = dataclasses.replace(t, max_steps=k * steps, min_decay_steps=k * t.min_decay_steps,
                                stall_rel_tol=-1.0, target_fraction=1.0)
    return dataclasses.replace(run, train=train)


def metric_name(run: CapacityRun | KnowledgeRun) -> str:
    """The stored metric a run's length is judged by: memorized bits, or knowledge bits for a knowledge run."""
    return "knowledge_bits" if isinstance(run, KnowledgeRun) else "memorized_bits"


def saturation_runs(run: CapacityRun | KnowledgeRun, store, factors: Sequence[int]) -> list:
    """The ``k``-times-longer twins of ``run`` for each ``k`` in ``factors``; ``run`` must be in ``store``."""
    if not factors or any(not isinstance(k, int) or isinstance(k, bool) or k < 2 for k in factors):
        raise ValueError(f"factors must be integers >= 2, got factors={tuple(factors)!r}")
    if not store.has(run.to_dict()):
        raise ValueError(f"{run.label} is not in the store {store.root}: train it first")
    steps = store.load(run.to_dict())["curve"][-1]["step"]
    return [longer(run, steps, k) for k in factors]


def saturation_table(run: CapacityRun | KnowledgeRun, store, factors: Sequence[int]):
    """A DataFrame, one row per length (1 and each of ``factors``): ``length``, ``steps``, the metric, its value
    per parameter and the ``gain`` over the stored run (a share). Every run, the twins included, must be in
    ``store`` (train the twins from :func:`saturation_runs` first)."""
    import pandas as pd

    name = metric_name(run)
    rows = []
    for k, r in zip([1, *factors], [run, *saturation_runs(run, store, factors)]):
        if not store.has(r.to_dict()):
            raise ValueError(f"the {k}x run of {run.label} is not in the store {store.root}: train it first")
        stored = store.load(r.to_dict())
        rows.append(dict(length=k, steps=stored["curve"][-1]["step"], **{name: stored["metrics"][name]},
                         seconds=stored["metrics"].get("seconds", float("nan"))))
    table = pd.DataFrame(rows)
    table["per_param"] = table[name] / run.model.n_params
    table["gain"] = table[name] / table[name].iloc[0] - 1
    return table
