"""Measurement: chapter 2's grid trained until one more doubling adds less than 2 %, stacked on one device.

Not a test. It takes chapter 2's grid at a scale (every model on every dataset size, one seed), trains each run
under the chapter's stopping rule, then doubles the training of every run that still gains
(:func:`memcap.engine.studies.doubling.until_saturated`): the runs of one shape train together in one batched step
(``--stack``), which is what keeps a GPU busy with models this small. A doubling expected to overrun ``--minutes``
(twice the stored time of each run's last length) is not started, so the script ends about within its budget (the
1x runs always train: the estimates start from their times) and says which runs did not saturate; a second call
with a larger budget resumes from the store. It prints alpha at the rule's length (the chapter's lower bound)
beside alpha at each run's last length, and writes the per-run table as CSV.

    python benchmarks/gpu_saturation.py --device auto --minutes 10 --store build/gpu-store --out gpu.csv
    python benchmarks/gpu_saturation.py --plan   # the runs, and the most the doublings could cost, before training

On a CPU it runs as well (``--device cpu --workers 0`` trains in this process, the path a GPU takes); at
``--scale smoke`` it takes a few minutes. ``memcap plan 2 --until-saturated 16`` estimates the same runs' time on
every device measured by ``benchmarks/throughput.py --save``.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from memcap.book.plan import chapter_runs
from memcap.engine.studies.doubling import until_saturated
from memcap.engine.studies.saturation import longer
from memcap.infra.device import resolve_device
from memcap.infra.store import RunStore
from memcap.infra.sweep import default_workers, run_sweep
from memcap.measures.capacity import fit_bits_per_parameter


def alpha(rows: pd.DataFrame) -> tuple[float, float, float]:
    """Alpha (the mean of the models' capacity per parameter, as chapter 2 fits it) with its t interval, from one
    row per run: a model's capacity is the most any of its runs stores."""
    caps = rows.groupby("n_params").memorized_bits.max()
    fit = fit_bits_per_parameter(caps.index.to_numpy(), caps.to_numpy())
    return fit.alpha, *fit.alpha_ci


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", default="default", help="chapter 2's grid at this scale")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--store", default="build/gpu-store")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--stack", type=int, default=64, help="runs of one shape trained in one batched step")
    ap.add_argument("--workers", type=int, default=None, help="CPU worker processes (0: this process)")
    ap.add_argument("--max-gain", type=float, default=0.02, help="saturated once a doubling adds less than this")
    ap.add_argument("--max-factor", type=int, default=16, help="the longest length, a power of two")
    ap.add_argument("--minutes", type=float, default=10.0, help="do not start a doubling expected to end later")
    ap.add_argument("--out", default=None, help="write the per-run table here (CSV)")
    ap.add_argument("--plan", action="store_true", help="print the runs and their upper-bound cost, train nothing")
    args = ap.parse_args()
    if args.minutes <= 0:
        raise SystemExit(f"--minutes must be positive, got {args.minutes}")
    if args.plan:
        from memcap.book.plan import plan, plan_text

        print(plan_text(plan("02_capacity", args.scale, args.seed, store=args.store, device=resolve_device(args.device),
                             until_saturated=args.max_factor)))
        return
    device = resolve_device(args.device)
    store = RunStore(args.store)
    grid = chapter_runs("02_capacity", args.scale, seed=args.seed)["grid"]
    start = time.perf_counter()
    workers = 1 if device != "cpu" or args.workers == 0 else (args.workers or default_workers())

    def train(runs):
        run_sweep(runs, store, device=device, max_workers=args.workers, progress=False, stack=args.stack,
                  stack_max_params=10**9)

    def within_budget(k, runs):  # each run's next doubling takes about twice the time its last length took
        used = time.perf_counter() - start
        last = [r if k == 2 else longer(r, store.load(r.to_dict())["curve"][-1]["step"], k // 2) for r in runs]
        seconds = pd.Series([store.load(r.to_dict())["metrics"]["seconds"] for r in last],
                            index=[r.model.n_params for r in last])
        # one stacked group per shape trains in the time of its longest member; shapes one after another
        expected = 2 * seconds.groupby(level=0).max().sum() / workers
        ok = used + expected <= 60 * args.minutes
        print(f"  {k}x: {len(runs)} runs still gaining, {used / 60:.1f} min used, next about {expected / 60:.1f} min"
              f"{'' if ok else ': over the budget, stopping here'}", flush=True)
        return ok

    table = until_saturated(grid, store, max_gain=args.max_gain, max_factor=args.max_factor, train=train,
                            before_doubling=within_budget)
    minutes = (time.perf_counter() - start) / 60
    final = table.index.isin(table.groupby("run").length.idxmax())
    a1, a1_lo, a1_hi = alpha(table[table.length == 1])
    af, af_lo, af_hi = alpha(table[final])
    print(f"chapter 2 at {args.scale}, seed {args.seed}, on {device}: {len(grid)} runs, {minutes:.1f} min")
    print(f"  alpha at the rule's length (a lower bound): {a1:.3f} [{a1_lo:.3f}, {a1_hi:.3f}] bits/param")
    print(f"  alpha at each run's last length:            {af:.3f} [{af_lo:.3f}, {af_hi:.3f}] bits/param")
    last = table[final]
    print(f"  saturated (a doubling added < {args.max_gain:.0%}): {int(last.saturated.sum())} of {len(last)} runs; "
          f"longest length {int(table.length.max())}x")
    gaining = last[~last.saturated & (last.length > 1)]
    if len(gaining):
        print("  still gaining: "
              + ", ".join(f"{r.label} ({r.gain:+.1%} at {r.length}x)" for r in gaining.itertuples()))
    if (last.length == 1).any():
        print("  not doubled (stored nothing, or over the budget at 2x): "
              + ", ".join(last[last.length == 1].label))
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"  wrote {args.out}")


if __name__ == "__main__":
    main()
