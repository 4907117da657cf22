"""Benchmark: how often the membership law's 95 % intervals cover the true constants, on simulated data.

Not a test: it prints coverages. Run from the project folder:

    .venv/bin/python benchmarks/law_coverage.py              # about ten minutes on 2 cores
    .venv/bin/python benchmarks/law_coverage.py --quick      # 100 sets a design (a minute)

Each design is 16 points of x (as the chapters fit) with F1 drawn from ½(1 + c1·σ(c2·(x + c3))) plus Gaussian
noise; every set is fitted by :func:`memcap.measures.membership.fit_law` with each interval method, and a method's
coverage of a constant is the share of sets whose interval holds the true value. Printed beside it: the binomial
95 % interval of that share (Wilson), and how many sets had an interval open at one end (±inf: the data could not
bound the constant). The designs:

* ``inside``: the drop in the middle of the points (the test suite's first design);
* ``near the edge``: most points before the drop, four past it (the test suite's second design);
* ``chapter 5``: chapter 5's default design, 16 runs at four x levels per model with the drop at the largest x, so
  that the slope rests on two points (the design where the bootstrap-t fell short).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np

from memcap.measures import membership as mi

DESIGNS = {
    "inside": ((1.0, -1.5, -3.0), np.linspace(-0.5, 8, 16), 0.02),
    "near the edge": ((1.0, -2.6, -5.5), np.sort(np.r_[np.linspace(-0.8, 2.2, 12), 3.5, 4.5, 5.5, 6.5]), 0.02),
    # four models at about 2^-0.75, 2^1.25 and 2^2.05 times capacity, two of them also at 2^3.57 and 2^5.57
    "chapter 5": ((1.0, -2.5, -5.57), np.sort(np.r_[np.tile([-0.75, 1.25, 2.05], 4), 3.57, 3.57, 5.57, 5.57]),
                  0.04),
}


def one_set(design: str, method: str, n_boot: int, k: int) -> tuple[list[bool], bool]:
    truth, x, noise = DESIGNS[design]
    y = mi.law(x, *truth) + np.random.default_rng(1000 + k).normal(0, noise, x.size)
    fit = mi.fit_law(x, y, interval=method, n_boot=n_boot, rng=np.random.default_rng(k))
    return ([lo <= v <= hi for v, (lo, hi) in zip(truth, fit.ci)],
            any(math.isinf(end) for pair in fit.ci for end in pair))


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 sets a design and method")
    parser.add_argument("--sets", type=int, default=1000, help="simulated sets a design for the profile interval")
    parser.add_argument("--boot-sets", type=int, default=300, help="sets a design for the bootstrap-t (slower)")
    parser.add_argument("--n-boot", type=int, default=200, help="resamples of the bootstrap-t")
    args = parser.parse_args()
    sets = {"profile": 100 if args.quick else args.sets, "bootstrap-t": 100 if args.quick else args.boot_sets}
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    print(f"{'design':<14s} {'method':<12s} {'sets':>5s}  coverage of c1, c2, c3 (Wilson 95 %)   open")
    with ProcessPoolExecutor(min(2, os.cpu_count() or 1), mp_context=context) as pool:
        for design in DESIGNS:
            for method, n in sets.items():
                out = list(pool.map(partial(one_set, design, method, args.n_boot), range(n), chunksize=10))
                hits = np.sum([h for h, _ in out], axis=0)
                cells = "  ".join(f"{h / n:.3f} [{wilson(int(h), n)[0]:.3f}, {wilson(int(h), n)[1]:.3f}]"
                                  for h in hits)
                print(f"{design:<14s} {method:<12s} {n:>5d}  {cells}  {sum(o for _, o in out):>4d}", flush=True)


if __name__ == "__main__":
    main()
