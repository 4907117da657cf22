"""Training runs until one more doubling of their training adds less than a small share of bits.

:mod:`~memcap.engine.studies.saturation` trains a run's twins at fixed multiples of its length. Here the multiples
are not fixed: each run is trained at 1x (its own stopping rule), then 2x, 4x, ... its length (the twins of
:func:`~memcap.engine.studies.saturation.longer`), and a run stops doubling as soon as a doubling adds less than
``max_gain`` (a share) of what it stored, or at ``max_factor``. The runs still doubling train together at each
length, so on a GPU they share one batched step (``stack``): that is what makes a grid of small models
saturate in minutes there. Every run goes through the store under its own key, so an interrupted call resumes
where it stopped, and a second call only reads.

    >>> [k for k in ladder_factors(16)]
    [2, 4, 8, 16]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from memcap.engine.studies.saturation import longer, metric_name

__all__ = ["ladder_factors", "ladder_runs", "until_saturated"]


def ladder_factors(max_factor: int) -> list[int]:
    """The lengths a run can be doubled to: 2, 4, ..., ``max_factor`` (a power of two, at least 2)."""
    power = isinstance(max_factor, int) and not isinstance(max_factor, bool) and max_factor >= 2
    if not power or max_factor & (max_factor - 1):
        raise ValueError(f"max_factor must be a power of two >= 2 (2, 4, 8, ...), got max_factor={max_factor!r}")
    return [2**j for j in range(1, max_factor.bit_length())]


def ladder_runs(runs: Sequence, max_factor: int, store=None) -> list:
    """Every twin the doubling could train, up to ``max_factor``: the most :func:`until_saturated` trains (it stops
    a run's doubling early once a doubling adds little). A run in ``store`` is doubled from the steps it took; one
    not yet trained from its step cap (an upper bound where its stall rule would stop it earlier)."""
    twins = []
    for run in runs:
        stored = store is not None and store.has(run.to_dict())
        steps = store.load(run.to_dict())["curve"][-1]["step"] if stored else run.train.max_steps
        twins.extend(longer(run, steps, k) for k in ladder_factors(max_factor))
    return twins


def until_saturated(runs: Sequence, store, *, max_gain: float = 0.02, max_factor: int = 16,
                    train: Callable | None = None, before_doubling: Callable | None = None):
    """Train each of ``runs`` at 1x, then double its training until a doubling adds less than ``max_gain`` of its
    bits (or it reaches ``max_factor``). ``train(runs)`` trains a list of runs into ``store`` (for example
    ``lambda rs: run_sweep(rs, store, device="cuda", stack=64, stack_max_params=10**6)``; default: run_sweep's own
    defaults). ``before_doubling(k, runs)`` is called before the runs still doubling train at ``k`` x; it may return
    False to stop there (a time budget).

    Returns one row per run and length: ``run`` (its index in ``runs``), ``label``, ``n_params``, ``n_sequences``,
    ``length``, ``steps``, the metric (memorized or knowledge bits), ``per_param``, ``gain`` over the previous length,
    ``seconds`` (its training time) and ``saturated`` (on a run's last row: whether its last doubling added less
    than ``max_gain``).
    """
    import pandas as pd

    from memcap.infra.sweep import run_sweep

    if not 0 < max_gain < 1:
        raise ValueError(f"max_gain must be a share strictly between 0 and 1, got max_gain={max_gain!r}")
    factors = ladder_factors(max_factor)
    runs = list(runs)
    if not runs:
        raise ValueError("until_saturated needs at least one run, got none")
    train = train or (lambda rs: run_sweep(rs, store, progress=False))
    train(runs)
    rows: list[dict] = []

    def record(i, run, k, previous):
        stored = store.load(run.to_dict())
        value = stored["metrics"][metric_name(run)]
        gain = value / previous - 1 if previous else math.nan
        rows.append(dict(run=i, label=runs[i].label, n_params=runs[i].model.n_params,
                         n_sequences=getattr(runs[i], "n_sequences", None), length=k,
                         steps=stored["curve"][-1]["step"], **{metric_name(run): value},
                         per_param=value / runs[i].model.n_params, gain=gain,
                         seconds=stored["metrics"].get("seconds", math.nan), saturated=False))
        return value, gain

    last = {i: record(i, r, 1, None)[0] for i, r in enumerate(runs)}
    steps = {i: int(rows[i]["steps"]) for i in range(len(runs))}  # the 1x rows, in the order of runs
    doubling = [i for i in range(len(runs)) if last[i] > 0]  # a run that stores nothing has no share to add
    done: set[int] = set()
    for k in factors:
        if not doubling or (before_doubling is not None and before_doubling(k, [runs[i] for i in doubling]) is False):
            break
        twins = {i: longer(runs[i], steps[i], k) for i in doubling}
        train(list(twins.values()))
        still = []
        for i in doubling:
            last[i], gain = record(i, twins[i], k, last[i])
            if gain < max_gain:
                done.add(i)
            else:
                still.append(i)
        doubling = still
    table = pd.DataFrame(rows)
    final = table.groupby("run").length.idxmax()
    table.loc[final.to_numpy(), "saturated"] = [i in done for i in final.index]
    return table
