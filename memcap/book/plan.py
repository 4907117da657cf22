"""What a chapter would train, and what it would cost, before anything runs: ``memcap plan CHAPTER --scale SCALE``.

The runs are the chapter's own (its preset's ``runs(seed)``, which the chapter itself calls), each marked stored or
not; tokens and FLOPs count every run to its step cap (:mod:`memcap.engine.runs.cost`; capacity runs may stop earlier on
their stall, so their figures are upper bounds). Time is estimated from the training FLOP/s measured here, on each
run's shape, for a few steps at a small batch: on CPU the runs to train are spread over the sweep's worker processes
(one thread each), on a GPU they train one after another. Measurements made elsewhere (``benchmarks/throughput.py
--save``, e.g. on a GPU) give a second estimate each.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from memcap.book.chapters import check_seed, get_chapter
from memcap.engine.runs.cost import run_flops, run_tokens, step_flops_per_token, training_flops_per_second
from memcap.infra.progress import format_seconds

MEASURED = Path(__file__).resolve().parents[2] / "benchmarks" / "measured"  # committed measurements, one JSON each


@dataclass
class Plan:
    chapter: str
    scale: str
    table: object  # pandas DataFrame: one row per distinct run
    device: str
    workers: int
    seconds_here: float  # estimated wall time of the runs not yet stored, on this machine
    elsewhere: dict = field(default_factory=dict)  # device name -> estimated seconds from its measurement
    unevaluable: dict = field(default_factory=dict)  # claim -> why this preset's runs cannot evaluate it
    alpha_source: str = ""  # where the alpha that judged them comes from

    def summary(self) -> str:
        t = self.table
        if not len(t):
            return f"{self.chapter} at {self.scale}: trains no model"
        todo = t[~t.stored]
        damaged = [] if "damaged" not in t else list(t.key[t.damaged])
        lines = [f"{self.chapter} at {self.scale}: {len(t)} runs, {int(t.stored.sum())} stored, {len(todo)} to train"
                 + (f" ({len(damaged)} of them damaged in the store, trained again: {', '.join(damaged)})"
                    if damaged else ""),
                 f"  to train: {todo.tokens.sum():,.0f} tokens, {todo.flops.sum() / 1e12:,.2f} TFLOP (step caps: an "
                 "upper bound where the stall rule stops runs early)"]
        where = f"{self.workers} worker processes" if self.device == "cpu" else self.device
        lines.append(f"  estimated here ({where}): {format_seconds(self.seconds_here)}")
        for name, seconds in self.elsewhere.items():
            lines.append(f"  estimated on {name} (one run at a time, from its measurement): {format_seconds(seconds)}")
        if not self.elsewhere:
            lines.append(f"  no other device measured: run `python benchmarks/throughput.py --save {MEASURED}/NAME.json`"
                         " on one")
        for claim, why in self.unevaluable.items():
            lines.append(f"  claim {self.chapter}/{claim} cannot be evaluated at this scale: {why} (alpha from "
                         f"{self.alpha_source})")
        return "\n".join(lines)


def chapter_runs(chapter: str, scale: str, seed: int = 0, store=None) -> dict[str, list]:
    """The chapter's runs by group, as the chapter builds them: its preset's ``runs``, then its ``later_runs``,
    whose configurations follow from runs in ``store`` (a path or :class:`RunStore`; chapter 2's saturation
    twins)."""
    from memcap.infra.store import RunStore

    ch = get_chapter(chapter)
    ch.check_scale(scale)
    check_seed(seed)
    preset = ch.presets[scale]
    store = RunStore(store) if isinstance(store, (str, Path)) else store
    groups = {**preset.runs(seed), **preset.later_runs(seed, store)}
    return {name: list(_flat(runs)) for name, runs in groups.items()}


def _flat(runs):
    """The runs of a group: a run, or a list or dict of them, nested (chapter 7 keys junk runs by set-up and count)."""
    if isinstance(runs, dict):
        runs = list(runs.values())
    if isinstance(runs, (list, tuple)):
        for r in runs:
            yield from _flat(r)
    else:
        yield runs


def _shape_key(run) -> tuple:
    return (json.dumps(asdict(run.model), sort_keys=True, default=str), run.train.batch_size)


def plan(chapter: str, scale: str, seed: int = 0, store=None, device: str = "cpu", workers: int | None = None,
         measure_steps: int = 3, measured_dir: Path | None = None, build_dir: str | Path = "build",
         until_saturated: int = 0) -> Plan:
    """The chapter's runs with their costs, stored or not in ``store``, and time estimates (see the module doc); and
    the claims the preset's runs cannot evaluate (:meth:`~memcap.book.presets.PresetBase.unevaluable_claims`), judged
    with chapter 2's alpha from ``build_dir`` at this scale, or the papers' where chapter 2 has not run there.

    ``until_saturated=K`` (chapter 2 only) adds every doubling of the grid's runs up to K x their length
    (:func:`~memcap.engine.studies.doubling.ladder_runs`, as ``benchmarks/gpu_saturation.py`` trains them): the most
    that training until saturated can cost."""
    import pandas as pd
    import torch

    from memcap.infra.store import RunStore
    from memcap.infra.sweep import default_workers

    get_chapter(chapter).check_scale(scale)
    check_seed(seed)  # before the throughput is measured
    store = RunStore(store) if isinstance(store, (str, Path)) else store
    groups = chapter_runs(chapter, scale, seed, store)
    if until_saturated:
        from memcap.engine.studies.doubling import ladder_runs

        if get_chapter(chapter).name != "02_capacity":
            raise ValueError(f"until_saturated doubles chapter 2's grid; chapter {chapter!r} has none")
        groups["doublings"] = ladder_runs(groups["grid"], until_saturated, store)
    rows, seen, rates = [], set(), {}
    threads = torch.get_num_threads()
    if device == "cpu":
        torch.set_num_threads(1)  # as each sweep worker trains
    try:
        _rows(groups, store, device, measure_steps, rows, seen, rates)
    finally:
        torch.set_num_threads(threads)
    table = pd.DataFrame(rows)
    workers = workers or (default_workers() if device == "cpu" else 1)
    todo = table[~table.stored] if len(table) else table
    if len(todo):  # spread over the workers, longest first; never shorter than the longest run
        seconds_here = max(todo.est_seconds.sum() / workers, todo.est_seconds.max())
    else:
        seconds_here = 0.0
    elsewhere = {}
    for path in sorted((measured_dir or MEASURED).glob("*.json")):
        m = json.loads(path.read_text())
        elsewhere[m["device"]] = float(todo.flops.sum() / m["training_flops_per_second"]) if len(todo) else 0.0
    from memcap.book.estimate import constants

    found = constants(build_dir, scale)
    unevaluable = get_chapter(chapter).presets[scale].unevaluable_claims(found.alpha["fp32"][0])
    return Plan(get_chapter(chapter).name, scale, table, device, workers, seconds_here, elsewhere, unevaluable,
                found.source)


def _rows(groups, store, device, measure_steps, rows, seen, rates) -> None:
    from memcap.infra.store import RunStore

    for group, runs in groups.items():
        for run in runs:
            config = run.to_dict()
            key = RunStore.key(config)
            if key in seen:  # listed twice: trained once
                continue
            seen.add(key)
            shape = _shape_key(run)
            if shape not in rates:  # a few steps at a batch small enough to take well under a second on a CPU
                per_window = step_flops_per_token(run.model) * (run.model.seq_len - 1)
                batch = max(1, min(run.train.batch_size, int(2e8 // per_window)))
                rates[shape] = training_flops_per_second(run.model, batch, measure_steps, device)
            flops = run_flops(run)
            rows.append(dict(group=group, run=run.label, kind=config.get("kind"), params=run.model.n_params,
                             max_steps=run.train.max_steps, batch=run.train.batch_size, tokens=run_tokens(run),
                             flops=flops, stored=bool(store is not None and store.has(config)),
                             # a folder there that is not whole was damaged after it was stored (runs are stored
                             # whole or not at all): it is trained again, and the summary says so
                             damaged=bool(store is not None and store.path(config).is_dir()
                                          and not store.has(config)),
                             est_seconds=flops / rates[shape], key=key))


def plan_text(p: Plan, width: int = 110) -> str:
    """The plan as a terminal table and its summary."""
    t = p.table
    if not len(t):
        return f"{p.chapter} at {p.scale}: trains no model"
    shown = t.assign(
        tokens=[f"{v:,.0f}" for v in t.tokens], TFLOP=[f"{v / 1e12:,.3f}" for v in t.flops],
        stored=["yes" if v else "no" for v in t.stored], est=[format_seconds(v) for v in t.est_seconds],
    )[["group", "run", "params", "max_steps", "batch", "tokens", "TFLOP", "stored", "est"]]
    return shown.to_string(index=False, line_width=width) + "\n\n" + p.summary()
