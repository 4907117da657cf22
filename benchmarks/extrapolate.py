"""Measurement: does the doubling form (:mod:`memcap.measures.extrapolation`) predict a run trained 16x longer?

Not a test. For one of chapter 2's grid runs it trains, on each seed, the run under the chapter's stopping rule and
its 2x and 4x twins (:func:`memcap.engine.studies.saturation.longer`: both phases scaled, the stall rule off), and
on the held-out seeds also the ``--held-out`` x twin, which the form never sees. Each seed's 1x, 2x and 4x runs
give a prediction at the held-out length; the prediction interval over seeds says where a seed's run should fall,
and the held-out runs say whether it does. It prints the bits per parameter per seed and length, the form's ratio
and limit, the predictions against the held-out runs, and the interval's coverage on simulated seeds whose noise
is the one measured here. Every run goes through the store, so a second call only reads.

    .venv/bin/python benchmarks/extrapolate.py --store build/store --width 12 --sequences 226 --seeds 0 1 2
    .venv/bin/python benchmarks/extrapolate.py --store build/store --width 16 --sequences 350 --held-out 16
"""

from __future__ import annotations

import argparse

import numpy as np

from memcap.engine.studies.saturation import saturation_runs
from memcap.infra.store import RunStore
from memcap.infra.sweep import run_sweep
from memcap.measures.extrapolation import coverage, doubling_fit, extrapolate, prediction_interval
from recipes import grid_arguments, grid_run  # benchmarks/recipes.py, beside this script


def noise(bits: np.ndarray) -> tuple[float, float]:
    """The seed-to-seed sd and the run-to-run sd of a seeds x lengths table, from a two-way additive fit (seed
    offset + length effect): the sd of the seed means, and the residuals' sd."""
    resid = bits - bits.mean(axis=1, keepdims=True) - bits.mean(axis=0, keepdims=True) + bits.mean()
    dof = (bits.shape[0] - 1) * (bits.shape[1] - 1)
    run_sd = float(np.sqrt((resid**2).sum() / dof))
    seed_sd = float(np.sqrt(max(bits.mean(axis=1).var(ddof=1) - run_sd**2 / bits.shape[1], 0.0)))
    return seed_sd, run_sd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    grid_arguments(ap)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds whose 1x, 2x, 4x runs fit the form")
    ap.add_argument("--held-out", type=int, default=16, help="the length predicted (a power of two >= 8)")
    ap.add_argument("--held-out-seeds", type=int, nargs="+", default=[0], help="seeds whose held-out run is trained")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sets", type=int, default=2000, help="simulated sets for the coverage check")
    args = ap.parse_args()
    k = args.held_out
    if k < 8 or k & (k - 1):
        raise SystemExit(f"--held-out must be a power of two >= 8 (the form sees 1x, 2x and 4x), got {k}")
    if len(set(args.seeds)) < 2 or len(set(args.seeds)) != len(args.seeds):
        raise SystemExit(f"--seeds needs at least two seeds, each once, for an interval; got {args.seeds}")
    if not set(args.held_out_seeds) <= set(args.seeds):
        raise SystemExit(f"--held-out-seeds {args.held_out_seeds} must be among --seeds {args.seeds}")
    store = RunStore(args.store)
    bases = {s: grid_run(args.scale, args.width, args.sequences, s) for s in args.seeds}
    run_sweep(list(bases.values()), store, device="cpu", max_workers=args.workers, progress=False)
    twins = {s: saturation_runs(b, store, [2, 4] + ([k] if s in args.held_out_seeds else []))
             for s, b in bases.items()}
    run_sweep([t for ts in twins.values() for t in ts], store, device="cpu", max_workers=args.workers, progress=False)

    params = next(iter(bases.values())).model.n_params
    def per_param(run):
        return store.load(run.to_dict())["metrics"]["memorized_bits"] / params

    fitted = np.array([[per_param(bases[s]), per_param(twins[s][0]), per_param(twins[s][1])] for s in args.seeds])
    preds = [extrapolate(row, k) for row in fitted]
    low, high = prediction_interval(preds)
    run = next(iter(bases.values()))
    print(f"chapter 2 ({args.scale}) {run.label}, {params:,} parameters: bits/param by training length")
    print(f"{'seed':>5s} {'1x':>7s} {'2x':>7s} {'4x':>7s} {'ratio':>6s} {'limit':>7s} {f'{k}x pred':>9s} "
          f"{f'{k}x run':>8s}")
    for s, row, pred in zip(args.seeds, fitted, preds):
        fit = doubling_fit(row)
        held = f"{per_param(twins[s][2]):8.3f}" if s in args.held_out_seeds else f"{'-':>8s}"
        print(f"{s:>5d} {row[0]:7.3f} {row[1]:7.3f} {row[2]:7.3f} {fit.ratio:6.2f} {fit.limit:7.3f} {pred:9.3f} {held}")
    print(f"{k}x prediction interval (95 %, {len(preds)} seeds): [{low:.3f}, {high:.3f}] bits/param")
    for s in args.held_out_seeds:
        value = per_param(twins[s][2])
        print(f"  seed {s}: {k}x run {value:.3f}, {'inside' if low <= value <= high else 'OUTSIDE'}; own prediction "
              f"{preds[args.seeds.index(s)]:.3f} ({value / preds[args.seeds.index(s)] - 1:+.1%})")
    seed_sd, run_sd = noise(fitted)
    mean = doubling_fit(fitted.mean(axis=0))  # the simulated seeds follow the form through the seeds' mean curve
    if mean.ratio < 1:
        amplitude = mean.gain / (1 - mean.ratio)
        cov = coverage(mean.limit, amplitude, mean.ratio, seed_sd, run_sd, n_seeds=len(args.seeds), k=k,
                       sets=args.sets)
        print(f"coverage on {args.sets} simulated sets (the mean curve's limit {mean.limit:.3f} and ratio "
              f"{mean.ratio:.2f}; seed sd {seed_sd:.4f}, run sd {run_sd:.4f}): {cov['covered']:.1%} covered, "
              f"{cov['unfit']:.1%} unfit, median width {cov['width']:.3f}")
    else:
        print(f"the seeds' mean curve gains more at its second doubling than its first (ratio {mean.ratio:.2f}): "
              "no limit to simulate")


if __name__ == "__main__":
    main()
