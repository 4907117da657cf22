"""Benchmark: how often the 95 % interval of α (bits per parameter) covers the truth, on simulated capacities.

Not a test: it prints coverages. Run from the project folder (seconds):

    .venv/bin/python benchmarks/alpha_coverage.py

Each simulated set has n models with parameter counts spread over chapter 2's span (7,000 to 35,000) and capacities
α·P times (1 + noise), the noise proportional to size (each model's bits per parameter varies, as ours do) or the
same in bits for every model. Two intervals, both from :func:`memcap.measures.capacity.fit_bits_per_parameter`: the
unweighted least-squares line through the origin (the chapters' α until 2026-12-05), and the t interval on the
models' bits per parameter (their mean: the chapters' α since).
"""

from __future__ import annotations

import argparse

import numpy as np
from memcap.measures import capacity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", type=int, default=1000)
    args = parser.parse_args()
    truth = 3.4
    print(f"{'models':>6s} {'noise':<22s} {'through the origin':>18s} {'mean bits/param':>16s}  ({args.sets} sets)")
    for n in (3, 4, 6):
        p = np.geomspace(7e3, 3.5e4, n)
        for label, proportional in (("5 % of size", True), ("5 % of the mean, in bits", False)):
            rng = np.random.default_rng(n)
            hits = np.zeros(2)
            for _ in range(args.sets):
                draw = 0.05 * rng.standard_normal(n)
                bits = truth * p * (1 + draw) if proportional else truth * p + draw * truth * p.mean()
                f = capacity.fit_bits_per_parameter(p, bits)
                hits += [f.alpha_ols_ci[0] <= truth <= f.alpha_ols_ci[1], f.alpha_ci[0] <= truth <= f.alpha_ci[1]]
            print(f"{n:>6d} {label:<22s} {hits[0] / args.sets:>18.3f} {hits[1] / args.sets:>16.3f}")


if __name__ == "__main__":
    main()
