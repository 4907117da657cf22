"""Sweeps: many capacity runs, executed in parallel, each stored once.

A sweep is a list of :class:`CapacityRun` configurations. Runs missing from the store go to workers through
the standard ``concurrent.futures.Executor`` interface; the default is local processes (one per core, one
torch thread each, which the CPU measurements found 1.2-4x faster than two threads in one process). Any
other executor with ``submit`` (a cluster's, say) can be passed in unchanged. Each worker writes its run to
the store itself, so a sweep interrupted half-way keeps the runs it finished and resumes with the rest.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from .capacity import (dataset_entropy_bits, memorizable_bits, memorized_bits, sequence_code_length_bits,
                       uniform_sequences)
from .engine import ENGINE_VERSION
from .model import GPT, GPTConfig
from .store import RunStore
from .train import TrainConfig, train_models



@dataclass(frozen=True)
class CapacityRun:
    """One model trained on N uniform sequences: everything that determines its result."""

    model: GPTConfig
    train: TrainConfig
    n_sequences: int
    data_seed: int = 0  # which N sequences
    init_seed: int = 0  # initialisation and batch order
    heldout_sequences: int = 256  # fresh sequences for the test loss (double descent)

    def __post_init__(self):
        if self.n_sequences < 1:
            raise ValueError(f"n_sequences must be >= 1, got n_sequences={self.n_sequences}")

    @property
    def cost(self) -> float:
        """Relative training cost, to schedule the biggest runs first."""
        return self.model.n_params * self.n_sequences

    @property
    def label(self) -> str:
        return f"d={self.model.d_model} N={self.n_sequences}"

    def execute(self, device: str = "cpu", progress: bool = False) -> tuple[dict, list[dict], dict]:
        return execute_run(self, device, progress)

    def to_dict(self) -> dict:
        return {
            "engine": ENGINE_VERSION,
            "kind": "capacity",
            "model": asdict(self.model),
            "train": self.train.to_dict(),
            "n_sequences": self.n_sequences,
            "data_seed": self.data_seed,
            "init_seed": self.init_seed,
            "heldout_sequences": self.heldout_sequences,
        }

    @property
    def dataset_bits(self) -> float:
        return dataset_entropy_bits(self.n_sequences, self.model.seq_len, self.model.vocab_size)

    @property
    def memorizable_bits(self) -> float:
        """The most a model can memorize of this run's sequences (the first token of each is not memorizable)."""
        return memorizable_bits(self.n_sequences, self.model.seq_len, self.model.vocab_size)

    def fresh_sequences(self, n: int) -> torch.Tensor:
        """``n`` sequences from the same distribution, independent of the training and held-out ones
        (membership inference's non-members)."""
        g = torch.Generator().manual_seed(1_000_003 * self.data_seed + 2_000_000_011)
        return uniform_sequences(n, self.model.seq_len, self.model.vocab_size, g)

    def data(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Training and held-out sequences; the held-out ones depend on the data seed only."""
        g = torch.Generator().manual_seed(1_000_003 * self.data_seed + 17)
        held = uniform_sequences(self.heldout_sequences, self.model.seq_len, self.model.vocab_size, g)
        g = torch.Generator().manual_seed(1_000_003 * self.data_seed + self.n_sequences)
        return uniform_sequences(self.n_sequences, self.model.seq_len, self.model.vocab_size, g), held


def execute_run(run: CapacityRun, device: str = "cpu", progress: bool = False) -> tuple[dict, list[dict], dict]:
    """Train and measure one run: (metrics, learning curve, weights)."""
    return execute_runs([run], device, progress)[0]


def execute_runs(runs: Sequence[CapacityRun], device: str = "cpu", progress: bool = False
                 ) -> list[tuple[dict, list[dict], dict]]:
    """Train runs together (one of any kind, or several of one shape, :mod:`memcap.stacked`) and measure each:
    (metrics, learning curve, weights) per run."""
    data = [r.data() for r in runs]
    train_xs = [d[0].to(device) for d in data]
    models = [GPT(r.model, generator=torch.Generator().manual_seed(r.init_seed)).to(device) for r in runs]
    untrained = [untrained_bits_per_token(m, x) for m, x in zip(models, train_xs)]
    metrics = [(lambda m, x=x, V=r.model.vocab_size: memorized_bits(m, x, V).raw_bits) for r, x in zip(runs, train_xs)]
    first = runs[0].model
    results = train_models(models, train_xs, [r.train for r in runs], [r.init_seed for r in runs], metrics=metrics,
                           ceilings=[r.memorizable_bits for r in runs], progress=progress, metric_name="memorized bits",
                           description=f"L{first.n_layer} d{first.d_model} N={runs[0].n_sequences}"
                                       + (f" (+{len(runs) - 1} stacked)" if len(runs) > 1 else ""))
    out = []
    for r, m, res, x, (_, held), u in zip(runs, models, results, train_xs, data, untrained):
        metrics_, curve, state = _measure(r, m, res, x, held, device)
        metrics_.update(untrained_bits_per_token=u, stacked_with=len(runs))
        out.append((metrics_, curve, state))
    return out


def untrained_bits_per_token(model: GPT, data: torch.Tensor) -> float:
    """Mean code length per token (bits, first tokens included) of ``data`` under ``model``: the calibration
    baseline, measured before training, where it is log2 V for a model that knows nothing."""
    return float(sequence_code_length_bits(model, data).sum()) / data.numel()


def _measure(run: CapacityRun, model: GPT, result, train_x, held_x, device: str) -> tuple[dict, list[dict], dict]:
    V = run.model.vocab_size
    mem = memorized_bits(model, train_x, V)
    held_bits = sequence_code_length_bits(model, held_x.to(device))
    per_token = run.model.seq_len - 1
    per_sequence_entropy = run.model.seq_len * math.log2(V)
    metrics = dict(
        n_params=run.model.n_params,
        n_sequences=run.n_sequences,
        dataset_bits=mem.dataset_bits,
        memorized_bits=mem.raw_bits,
        memorized_bits_clipped=mem.clipped_bits,
        bits_per_param=mem.raw_bits / run.model.n_params,
        memorized_bits_per_sequence=mem.raw_bits / run.n_sequences,
        # the same model on fresh sequences of the same source: what it "memorizes" of data it never saw
        fresh_memorized_bits_per_sequence=float(np.mean(per_sequence_entropy - held_bits)),
        train_loss_bits_per_token=(mem.code_length_bits / run.n_sequences - math.log2(V)) / per_token,
        test_loss_bits_per_token=float((held_bits - math.log2(V)).mean()) / per_token,
        steps=result.steps,
        seconds=result.seconds,
        tokens=result.tokens,
        stop_reason=result.stop_reason,
        device=device,
        engine_version=ENGINE_VERSION,
        torch_version=torch.__version__,
    )
    state = {k: v for k, v in model.state_dict().items()}
    return metrics, result.curve, state


def _worker(run, store_root: str, device: str, progress: bool = False) -> dict:
    store = RunStore(store_root)
    if store.has(run.to_dict()):
        return store.load(run.to_dict())["metrics"]
    metrics, curve, state = run.execute(device, progress=progress)
    store.save(run.to_dict(), metrics, curve, state)
    return metrics


def _stacked_worker(runs: Sequence[CapacityRun], store_root: str, device: str) -> list[dict]:
    store = RunStore(store_root)
    todo = [r for r in runs if not store.has(r.to_dict())]
    for r, (metrics, curve, state) in zip(todo, execute_runs(todo, device) if todo else []):
        store.save(r.to_dict(), metrics, curve, state)
    return [store.load(r.to_dict())["metrics"] for r in runs]


def _init_worker(parent: int | None = None) -> None:
    torch.set_num_threads(1)
    exit_with_parent(parent)


def exit_with_parent(parent: int | None = None, poll_seconds: float = 1.0) -> None:
    """Make this process exit when ``parent`` (default: the process that started it) goes away: a kernel killed by
    ``timeout``, a cancelled batch job, a closed terminal. A worker left without its parent would otherwise train on
    for minutes with no one to read its result. A daemon thread watches the parent's pid (it changes when the parent
    dies). Pass the parent's pid from the parent itself: a worker still starting up when its parent died would
    otherwise take its new parent for the old one."""
    import threading

    parent = os.getppid() if parent is None else parent

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(1)

    threading.Thread(target=watch, name="memcap-exit-with-parent", daemon=True).start()


def default_workers() -> int:
    """Worker processes for a sweep: $MEMCAP_WORKERS if set (batch runs share the cores out this way), else one per
    core."""
    env = os.environ.get("MEMCAP_WORKERS", "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ValueError(f"MEMCAP_WORKERS must be a positive integer, got MEMCAP_WORKERS={env!r}")
        return int(env)
    return os.cpu_count() or 1


def default_executor(max_workers: int | None = None) -> Executor:
    """Local worker processes (spawned, so no thread state is inherited), :func:`default_workers` of them unless
    ``max_workers`` is given."""
    workers = max_workers or default_workers()
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                               initargs=(os.getpid(),))


@dataclass
class SweepReport:
    metrics: list[dict]  # one per run, in the order given
    trained: int  # distinct runs trained by this call
    reused: int  # distinct runs found in the store
    seconds: float
    errors: list[str] = field(default_factory=list)


def run_sweep(
    runs: Sequence,
    store: RunStore | str,
    *,
    device: str = "cpu",
    executor: Executor | None = None,
    max_workers: int | None = None,
    progress: bool = True,
    stack: int = 1,
    stack_max_params: int = 0,
) -> SweepReport:
    """Make sure every run is in the store (training the missing ones in parallel); return their metrics.

    A run is any object with ``to_dict()`` (its configuration: the store key), ``execute(device, progress)``
    returning (metrics, curve, weights), ``cost`` and ``label``: :class:`CapacityRun` and the knowledge runs.

    On CUDA the runs train one after another in this process (a GPU is better used by one run at a time
    at these sizes); on CPU they go to ``executor`` (default: :func:`default_executor`).

    ``stack=K`` (K > 1) trains up to K capacity runs of one shape and optimizer settings together in one worker
    (:mod:`memcap.stacked`), for shapes of at most ``stack_max_params`` parameters: the throughput benchmark
    shows where that pays on a given machine. Other runs train one per worker as usual.
    """
    if not isinstance(stack, int) or stack < 1:
        raise ValueError(f"stack must be a positive integer, got stack={stack!r}")
    store = store if isinstance(store, RunStore) else RunStore(store)
    t0 = time.perf_counter()
    configs = [r.to_dict() for r in runs]
    first_of_key: dict[str, int] = {}
    for i, c in enumerate(configs):
        first_of_key.setdefault(store.key(c), i)  # a run listed twice is trained once
    unique = sorted(first_of_key.values())
    missing = [i for i in unique if not store.has(configs[i])]
    # longest first (by parameters x dataset size), so the last worker is not left with the biggest run
    missing.sort(key=lambda i: -runs[i].cost)
    bar = None
    if progress and missing:
        from tqdm import tqdm  # plain text: widgets would need JavaScript from the web in the book

        bar = tqdm(total=len(missing), desc=f"sweep ({len(unique) - len(missing)} of {len(unique)} stored)")
    errors: list[str] = []
    if missing and device.startswith(("cuda", "mps")):
        for i in missing:
            _worker(runs[i], str(store.root), device, progress=progress)  # a bar per run shows memorized bits
            if bar is not None:
                bar.update(1)
    elif missing:
        own = executor is None
        pool = executor or default_executor(max_workers)
        try:
            futures = {}
            for group in _stack_groups(runs, missing, stack, stack_max_params):
                if len(group) == 1:
                    futures[pool.submit(_worker, runs[group[0]], str(store.root), device)] = group
                else:
                    futures[pool.submit(_stacked_worker, [runs[i] for i in group], str(store.root), device)] = group
            for fut in as_completed(futures):
                group = futures[fut]
                try:
                    ms = fut.result()
                except Exception as err:  # keep the others going; report at the end
                    errors.extend(f"run {i} ({runs[i].label}): {type(err).__name__}: {err}" for i in group)
                    continue
                if bar is not None:
                    bar.update(len(group))
                    last = ms[-1] if isinstance(ms, list) else ms
                    bar.set_postfix_str(f"{runs[group[-1]].label}: {last['bits_per_param']:.2f} bits/param")
        finally:
            if own:
                pool.shutdown(wait=True, cancel_futures=True)
    if bar is not None:
        bar.close()
    if errors:
        raise RuntimeError(f"{len(errors)} run(s) failed:\n" + "\n".join(errors))
    metrics = [store.load(c)["metrics"] for c in configs]
    return SweepReport(metrics=metrics, trained=len(missing), reused=len(unique) - len(missing), seconds=time.perf_counter() - t0)


def _stack_groups(runs, indices: list[int], stack: int, max_params: int) -> list[list[int]]:
    """Split run indices into jobs: groups of up to ``stack`` stackable capacity runs, the rest one by one."""
    if stack <= 1:
        return [[i] for i in indices]
    from .stacked import stack_key

    groups: dict[tuple, list[int]] = {}
    jobs: list[list[int]] = []
    for i in indices:
        r = runs[i]
        if isinstance(r, CapacityRun) and r.model.n_params <= max_params and r.train.precision == "fp32":
            groups.setdefault(stack_key(r), []).append(i)
        else:
            jobs.append([i])
    for members in groups.values():
        members.sort(key=lambda i: runs[i].cost)  # similar lengths together: a group runs until its longest member ends
        jobs.extend(members[j:j + stack] for j in range(0, len(members), stack))
    jobs.sort(key=lambda g: -sum(runs[i].cost for i in g))
    return jobs


def load_model(store: RunStore | str, run, device: str = "cpu") -> GPT:
    """The trained model of a stored run (any run with a ``model`` configuration), in eval mode."""
    store = store if isinstance(store, RunStore) else RunStore(store)
    model = GPT(run.model)
    model.load_state_dict(store.load_weights(run.to_dict()))
    return model.to(device).eval()


def grid(models: Iterable[GPTConfig], n_sequences: Iterable[int], train_cfg: TrainConfig, **kw) -> list[CapacityRun]:
    """Every (model, N) pair as a run with the same training configuration."""
    return [CapacityRun(model=m, train=train_cfg, n_sequences=n, **kw) for m in models for n in n_sequences]


def model_label(cfg: GPTConfig) -> str:
    """A short name for a model shape, e.g. ``L2-d16`` (with V and S when asked for)."""
    return f"L{cfg.n_layer}-d{cfg.d_model}"


def to_frame(runs: Sequence[CapacityRun], metrics: Sequence[dict]):
    """One row per run: its shape, data and training settings beside its measured metrics."""
    import pandas as pd

    rows = []
    for r, m in zip(runs, metrics):
        rows.append(
            dict(
                model=model_label(r.model),
                n_layer=r.model.n_layer,
                d_model=r.model.d_model,
                vocab_size=r.model.vocab_size,
                seq_len=r.model.seq_len,
                lr=r.train.lr,
                schedule=r.train.schedule,
                precision=r.train.precision,
                **m,
            )
        )
    return pd.DataFrame(rows)


def preset_run(preset, vocab_size: int, seq_len: int, n_layer: int, width: int, bits_per_param: float,
               data_seed: int = 0, init_seed: int = 0, **train_changes) -> CapacityRun:
    """The run a capacity preset defines for one model shape and dataset size (in dataset bits per parameter).

    Chapters that reuse stored runs rebuild them through this one function, so their keys match. The step cap
    is max(min_steps, max_epochs · N / batch_size), at most max_steps; ``train_changes`` override TrainConfig
    fields (a schedule or precision to compare).
    """
    lrs = {tuple(m): lr for m, lr in zip(preset["models"], preset["lrs"])}
    if (n_layer, width) not in lrs:
        raise ValueError(f"model (n_layer={n_layer}, width={width}) is not in the preset's models {preset['models']}")
    lr = lrs[(n_layer, width)]
    cfg = GPTConfig(vocab_size=vocab_size, seq_len=seq_len, n_layer=n_layer, d_model=width,
                    n_head=max(1, width // preset["head_dim"]))
    n = max(1, round(bits_per_param * cfg.n_params / (seq_len * math.log2(vocab_size))))
    steps = min(preset["max_steps"], max(preset["min_steps"], preset["max_epochs"] * n // preset["batch_size"]))
    settings = dict(
        max_steps=steps, batch_size=preset["batch_size"], lr=lr, warmup_steps=preset["warmup_steps"],
        eval_every=preset["eval_every"], plateau_window=preset["plateau_window"],
        plateau_rel_tol=preset["plateau_rel_tol"], decay_frac=preset["decay_frac"],
        min_decay_steps=preset["min_decay_steps"], target_fraction=preset.get("target_fraction", 1.0),
    )
    tc = TrainConfig(**{**settings, **train_changes})
    return CapacityRun(model=cfg, train=tc, n_sequences=n, data_seed=data_seed, init_seed=init_seed)
