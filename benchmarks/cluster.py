"""Benchmark: the same sweep through the local executor and through a Dask LocalCluster of as many workers.

Not a test: it prints both wall times and their ratio (the cluster's overhead at this size: scheduling, pickling
the runs, starting worker processes). Run from the project folder, with the cluster extra installed:

    .venv/bin/python benchmarks/cluster.py            # 6 runs, about a minute each way on 2 cores
    .venv/bin/python benchmarks/cluster.py --runs 4 --steps 300
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from memcap.engine.runs import CapacityRun
from memcap.infra.sweep import run_sweep
from memcap.engine.training import TrainConfig
from memcap.model import GPTConfig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    cfg = GPTConfig(vocab_size=64, seq_len=32, n_layer=2, d_model=16, n_head=2)
    tc = TrainConfig(max_steps=args.steps, batch_size=64, eval_every=100, schedule="cosine", warmup_steps=20)
    runs = [CapacityRun(model=cfg, train=tc, n_sequences=64 + 32 * i) for i in range(args.runs)]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_sweep(runs, f"{tmp}/local", max_workers=args.workers, progress=False)
        local = time.perf_counter() - t0
        t0 = time.perf_counter()
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            started = time.perf_counter() - t0
            run_sweep(runs, f"{tmp}/dask", executor=client, progress=False)
        dask = time.perf_counter() - t0
    print(f"{args.runs} runs of {cfg.n_params:,} parameters, {args.steps} steps each, {args.workers} workers")
    print(f"local executor: {local:.1f} s; Dask LocalCluster: {dask:.1f} s (of which {started:.1f} s starting the "
          f"cluster); ratio {dask / local:.2f}")


if __name__ == "__main__":
    main()
