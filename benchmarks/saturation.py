"""Measurement: is a chapter's capacity-defining run saturated in training time?

Not a test. For the largest model of a chapter's capacity runs, it trains the same run (same data, same seeds)
``k`` times longer, both phases scaled: for a capacity run (WSD schedule) the stable phase and the decay that the
stopping rule gave it, with the stall rule switched off so the lengths are exactly k× (``stall_rel_tol=-1``,
``max_steps = k·steps``, ``min_decay_steps = k·min_decay_steps``); for a knowledge run (cosine schedule, steps set
by the exposures) k× the exposures, the steps and the warm-up. Every run goes through the store (its key differs
from the original's), so a second call reads it. It prints the bits stored against the training length.

    .venv/bin/python benchmarks/saturation.py 2 --scale default --store build/store --factors 2 4
    .venv/bin/python benchmarks/saturation.py 4 --group precision --precision bf16 --factors 2
    .venv/bin/python benchmarks/saturation.py 3 --width 32 --factors 2      # chapter 3's peak-R width

``--rule`` tries a candidate stopping rule first: the run is trained with those training settings changed (for
example ``--rule decay_frac=0.9 min_decay_steps=3000``), and the k× runs scale that run, so the table says whether
longer training still adds bits under the new rule:

    .venv/bin/python benchmarks/saturation.py 2 --width 12 --sequences 226 \
        --rule decay_frac=0.9 min_decay_steps=3000 --factors 2
"""

from __future__ import annotations

import argparse
import dataclasses

from memcap.book.plan import chapter_runs
from memcap.engine.studies.saturation import metric_name, saturation_runs, saturation_table
from memcap.infra.store import RunStore
from memcap.infra.sweep import run_sweep
from memcap.engine.training import TrainConfig

GROUPS = {"02": "grid", "03": "biod", "04": "precision"}  # each chapter's capacity-defining runs


def parse_rule(items: list[str]) -> dict:
    """``["decay_frac=0.9", "min_decay_steps=3000"]`` -> ``{"decay_frac": 0.9, "min_decay_steps": 3000}``, checked
    against :class:`TrainConfig`'s fields.

        >>> parse_rule(["decay_frac=0.9", "min_decay_steps=3000"])
        {'decay_frac': 0.9, 'min_decay_steps': 3000}
    """
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    rule = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in fields:
            raise SystemExit(f"--rule takes SETTING=VALUE with a TrainConfig setting ({', '.join(fields)}); "
                             f"got {item!r}")
        kind = type(getattr(TrainConfig(), name))
        if kind not in (int, float, str, bool):
            raise SystemExit(f"--rule cannot set {name} (a {kind.__name__}); only numbers, strings and flags")
        try:
            rule[name] = kind(value) if kind is not bool else value.lower() in ("1", "true", "yes")
        except ValueError:
            raise SystemExit(f"--rule {name} needs a {kind.__name__}, got {value!r}") from None
    return rule


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("chapter", choices=sorted(GROUPS) + [c.lstrip("0") for c in GROUPS])
    ap.add_argument("--scale", default="default")
    ap.add_argument("--store", default="build/store")
    ap.add_argument("--group", default=None, help="the chapter's run group (default: its capacity runs)")
    ap.add_argument("--precision", default="fp32", help="capacity runs of this training precision")
    ap.add_argument("--factors", type=int, nargs="+", default=[2, 4])
    ap.add_argument("--width", type=int, default=None, help="this width instead of the largest model (e.g. the peak)")
    ap.add_argument("--sequences", type=int, default=None, help="the run on this many sequences instead of the largest")
    ap.add_argument("--rule", nargs="+", default=[], metavar="SETTING=VALUE",
                    help="train the run with these training settings changed first (a candidate stopping rule)")
    args = ap.parse_args()
    rule = parse_rule(args.rule)
    chapter = args.chapter.zfill(2)
    runs = [r for r in chapter_runs(chapter, args.scale)[args.group or GROUPS[chapter]]
            if r.train.precision == args.precision]
    if args.width is not None:
        runs = [r for r in runs if r.model.d_model == args.width]
        if not runs:
            raise SystemExit(f"no {args.precision} run of width {args.width} in the chapter's capacity runs")
    if args.sequences is not None:
        runs = [r for r in runs if getattr(r, "n_sequences", None) == args.sequences]
        if not runs:
            raise SystemExit(f"no {args.precision} run on {args.sequences} sequences among the runs chosen")
    top = max(r.model.n_params for r in runs)
    run = max((r for r in runs if r.model.n_params == top),
              key=lambda r: (getattr(r, "exposures", 0), getattr(r, "n_sequences", 0)))
    store = RunStore(args.store)
    if rule:
        run = dataclasses.replace(run, train=dataclasses.replace(run.train, **rule))
        run_sweep([run], store, device="cpu", max_workers=1)
    if not store.has(run.to_dict()):
        raise SystemExit(f"{run.label} is not in {args.store}: run the chapter first")
    run_sweep(saturation_runs(run, store, args.factors), store, device="cpu", max_workers=1)  # one core each
    table = saturation_table(run, store, args.factors)
    metric = metric_name(run)
    under = f", rule {' '.join(args.rule)}" if rule else ""
    print(f"{chapter} {run.label} ({run.model.n_params:,} parameters, {args.precision}{under}): {metric} against "
          "training length")
    print(f"{'length':>7s} {'steps':>7s} {'bits':>10s} {'bits/param':>10s} {'gain':>7s} {'seconds':>8s}")
    for row in table.itertuples():
        print(f"{row.length:>6d}x {row.steps:>7d} {getattr(row, metric):>10,.0f} {row.per_param:>10.3f} "
              f"{row.gain:>+7.1%} {row.seconds:>8.0f}")

if __name__ == "__main__":
    main()
