"""Measurement: which training recipe stores the most bits per CPU-second on one of chapter 2's capacity runs?

Not a test. Each recipe trains the chosen grid run (same data, same model, same seeds) for a fixed number of steps,
a multiple of the steps the chapter's stopping rule gave the run, with the stall rule switched off so every length
is exact (:func:`memcap.engine.studies.saturation.longer`) and the recipe's training settings changed on top. The
chapter's own rule is the first row: the stored run and its longer twins. Every run goes through the store under a
key of its own, so a second call reads what the first trained. It prints bits stored against CPU-seconds, one row
per recipe and length, and with ``--plot`` draws one curve per recipe on a log time axis.

    .venv/bin/python benchmarks/recipes.py --store build/store --width 12 --sequences 226 --lengths 1 2
    .venv/bin/python benchmarks/recipes.py --store build/store --width 32 --sequences 1897 --lengths 1 --plot r.png

The recipes use what :class:`~memcap.engine.training.TrainConfig` sets (batch, rate, schedule, betas, eps, weight
decay, optimizer): AdamW but for NAdam, Adafactor and Rprop (sign-based, full batch, as it is meant to run). A
run's seconds are its own training time on one core (``--workers`` runs side by side).
"""

from __future__ import annotations

import argparse
import dataclasses

from memcap.book.plan import chapter_runs
from memcap.engine.studies.saturation import longer
from memcap.infra.store import RunStore
from memcap.infra.sweep import run_sweep


def recipes(run) -> dict[str, dict]:
    """Name -> the training settings a recipe changes on ``run`` (a chapter 2 grid run). ``None`` marks the chapter's
    rule itself (the stored run and its twins, timed wherever they were trained); ``{}`` is its schedule at exactly
    the rule's steps, trained here so that its 1x seconds compare with the other recipes' (its longer runs are the
    rule's own twins, read from the store).

        >>> from memcap.book.plan import chapter_runs
        >>> r = chapter_runs("02_capacity", "smoke")["grid"][0]
        >>> list(recipes(r))[:3]
        ["chapter's rule", 'its schedule, timed here', 'full batch (13 sequences)']
    """
    lr, n = run.train.lr, run.n_sequences
    beta1, beta2 = run.train.betas
    return {
        "chapter's rule": None,
        "its schedule, timed here": {},
        f"full batch ({n} sequences)": dict(batch_size=n),
        f"full batch, lr x2 ({2 * lr:g})": dict(batch_size=n, lr=2 * lr),
        f"lr x0.5 ({lr / 2:g})": dict(lr=lr / 2),
        f"lr x2 ({2 * lr:g})": dict(lr=2 * lr),
        f"lr x4 ({4 * lr:g})": dict(lr=4 * lr),
        "constant, then a 10 % decay": dict(decay_frac=0.1, min_decay_steps=100, final_lr_ratio=0.01),
        f"beta2 0.95 (not {beta2:g})": dict(betas=(beta1, 0.95)),
        f"beta2 0.999 (not {beta2:g})": dict(betas=(beta1, 0.999)),
        "weight decay 0.01": dict(weight_decay=0.01),
        f"eps 1e-6 (not {run.train.eps:g})": dict(eps=1e-6),
        f"eps 1e-10 (not {run.train.eps:g})": dict(eps=1e-10),
        "NAdam": dict(optimizer="nadam"),
        "Adafactor": dict(optimizer="adafactor"),
        f"Rprop (sign-based), full batch ({n})": dict(optimizer="rprop", batch_size=n),
    }


def recipe_run(run, steps: int, k: int, changes: dict | None):
    """``run`` trained for ``k`` x ``steps`` steps under a recipe's ``changes`` (``None``: the chapter's rule,
    whose 1x run is ``run`` itself)."""
    if changes is None:
        return run if k == 1 else longer(run, steps, k)
    exact = longer(run, steps, k)  # k x steps exactly: the stall and target rules off
    return dataclasses.replace(exact, train=dataclasses.replace(exact.train, **changes))


def grid_arguments(ap: argparse.ArgumentParser) -> None:
    """The options that name one of chapter 2's grid runs and the store it lives in."""
    ap.add_argument("--scale", default="default")
    ap.add_argument("--store", default="build/store")
    ap.add_argument("--width", type=int, required=True, help="the grid model's width")
    ap.add_argument("--sequences", type=int, required=True, help="the grid run's number of sequences")


def grid_run(scale: str, width: int, sequences: int, seed: int = 0):
    """Chapter 2's grid run of this width on this many sequences at ``scale`` and ``seed`` (data and
    initialisation); the deeper one where two depths share the width."""
    grid = chapter_runs("02_capacity", scale, seed=seed)["grid"]
    chosen = [r for r in grid if r.model.d_model == width and r.n_sequences == sequences]
    if not chosen:
        sizes = sorted({(r.model.d_model, r.n_sequences) for r in grid})
        raise SystemExit(f"no grid run of width {width} on {sequences} sequences; (width, sequences): {sizes}")
    return max(chosen, key=lambda r: r.model.n_layer)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    grid_arguments(ap)
    ap.add_argument("--lengths", type=int, nargs="+", default=[1, 2], help="multiples of the run's steps")
    ap.add_argument("--only", nargs="+", default=None, help="these recipes only (names as printed)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--plot", default=None, help="save bits/param against seconds (log axis) to this file")
    args = ap.parse_args()
    if any(k < 1 for k in args.lengths):
        raise SystemExit(f"--lengths must be integers >= 1, got {args.lengths}")
    run = grid_run(args.scale, args.width, args.sequences)
    store = RunStore(args.store)
    if not store.has(run.to_dict()):
        run_sweep([run], store, device="cpu", max_workers=1)  # the chapter's run first: its steps set the lengths
    steps = store.load(run.to_dict())["curve"][-1]["step"]
    table = recipes(run)
    if args.only:
        unknown = sorted(set(args.only) - set(table))
        if unknown:
            raise SystemExit(f"unknown recipes {unknown}; known: {list(table)}")
        table = {name: table[name] for name in table if name in args.only or table[name] is None}
    planned = [(name, k, recipe_run(run, steps, k, changes)) for name, changes in table.items() for k in args.lengths]
    run_sweep([r for _, _, r in planned], store, device="cpu", max_workers=args.workers)
    base = store.load(run.to_dict())["metrics"]["memorized_bits"]
    print(f"02 {run.label} ({run.model.n_params:,} parameters): the chapter's rule took {steps:,} steps, "
          f"{base:,.0f} bits; recipes at multiples of those steps")
    print(f"{'recipe':<34s} {'length':>6s} {'steps':>7s} {'bits':>9s} {'bits/param':>10s} {'vs rule 1x':>10s} "
          f"{'seconds':>8s}")
    rows = []
    for name, k, r in planned:
        stored = store.load(r.to_dict())
        bits, seconds = stored["metrics"]["memorized_bits"], stored["metrics"]["seconds"]
        rows.append((name, k, seconds, bits / run.model.n_params))
        print(f"{name:<34s} {k:>5d}x {stored['curve'][-1]['step']:>7,d} {bits:>9,.0f} "
              f"{bits / run.model.n_params:>10.3f} {bits / base - 1:>+10.1%} {seconds:>8.0f}")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.5))
        for name in table:
            pts = sorted((s, b) for n, _, s, b in rows if n == name)
            ax.plot(*zip(*pts), marker="o", label=name)
        ax.set_xscale("log")
        ax.set(xlabel="CPU-seconds (one core)", ylabel="bits stored per parameter", title=run.label)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"saved {args.plot}")


if __name__ == "__main__":
    main()
