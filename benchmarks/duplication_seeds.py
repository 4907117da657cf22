"""Benchmark: chapter 6's two duplication claims on seeds of your choice, without the rest of the chapter.

Not a test: it prints measured numbers. It needs the corpus (``memcap data``). Run from the project folder:

    .venv/bin/python benchmarks/duplication_seeds.py --scale default --seeds 90 91 --store build/dup-store

For each seed it trains (or reads from ``--store``) exactly the runs of the chapter's section 8 that its claims
read, under the chapter's keys (a store filled here serves ``memcap run 6`` too): the main references and the
larger reference (the oracle is the one with the lowest validation loss, as in the chapter), the base run
(`duplication_target`) and the most-copied exact and near-duplicate runs. It then computes the claims' values as
the chapter does (:func:`memcap.measures.duplication.most_copied` on mem_U against the oracle): the p-value that
the repeated samples gain more mem_U over the base run than the run's other samples, with the gains themselves, and
the earlier test's p-value (paired Wilcoxon against the base run) beside it. For the near-duplicate run it also
compares the repeated samples with only those other samples that have a near-duplicate of their own in the Folio
(the samples the run could have repeated): whether what sets the repeated samples apart is their copies or their
being Shakespeare with a second edition. A revised claim is asserted again only
after it holds on seeds its change never saw (``book/thresholds.md``); this is how such seeds are run at a scale
where the whole chapter would take too long.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from memcap.book.presets import PRESETS
from memcap.data.text import make_splits, near_duplicates
from memcap.infra import sweep
from memcap.measures import duplication, text_run_tables
from memcap.measures.text import mem_u, paired_greater


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="default", choices=sorted(PRESETS["06_text"]))
    ap.add_argument("--seeds", type=int, nargs="+", required=True)
    ap.add_argument("--store", required=True, help="run store (created if missing)")
    args = ap.parse_args()
    p = PRESETS["06_text"][args.scale]
    levels = {"exact": p.test_level, "near": p.near_level}  # the settings the chapter judges each claim by
    print(f"chapter 6 at {args.scale}: duplication target {p.duplication_target}, copies {p.copies[-1]}, "
          f"near copies {p.near_copies[-1]}; levels {levels}")
    for seed in args.seeds:
        start = time.perf_counter()
        planned = p.runs(seed)
        L, w, n = p.duplication_target
        base = next(r for r in planned["grid"][w] if r.n_sequences == n)
        candidates = {f"main reference d={k}": r for k, r in planned["references"].items()}
        candidates["larger model, trained longer"] = planned["oracle"]
        most = {"exact": planned["copies"][-1], "near": planned["near_copies"][-1]}
        runs = [*candidates.values(), base, *most.values()]
        report = sweep.run_sweep(runs, args.store, progress=False)
        M = dict(zip(runs, report.metrics))
        table = text_run_tables.reference_table(candidates, M, seq_len=p.seq_len)
        oracle = M[candidates[table.validation_loss.idxmin()]]
        base_mem = mem_u(base, M[base], oracle)[0]
        for kind, r in most.items():
            rows = np.asarray(M[r].get("duplicated_rows", np.arange(r.duplicated)), dtype=int)
            mem = mem_u(r, M[r], oracle)[0]
            dups = pd.DataFrame([dict(kind=kind, copies=r.copies, _mem_all=mem, _rows=rows)])
            p_gain = duplication.most_copied(dups, kind, base_mem)[1]
            gain = mem - base_mem
            others = np.delete(gain, rows)
            level = levels[kind]
            verdict = "shown, not judged" if level is None else "holds" if p_gain < level else "FAILS"
            print(f"seed {seed} {kind} {len(rows)} samples x{r.copies}: repeated gain {gain[rows].mean():+.1f} bits, "
                  f"others {others.mean():+.1f}; Mann-Whitney p = {p_gain:.2g} ({verdict}); "
                  f"paired Wilcoxon against the base run p = {paired_greater(mem[rows], base_mem[rows]):.2g}")
            if kind == "near":
                splits = make_splits(r.text)
                found = near_duplicates(base.data(splits)[0], splits.tokenizer).found
                like = np.setdiff1d(np.flatnonzero(found), rows)
                print(f"  the {len(like)} other samples with a near-duplicate of their own: gain "
                      f"{gain[like].mean():+.1f} bits; Mann-Whitney p against them = "
                      f"{duplication.gains_greater(gain[rows], gain[like]):.2g}")
        print(f"seed {seed}: {report.trained} runs trained, {report.reused} read, "
              f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
