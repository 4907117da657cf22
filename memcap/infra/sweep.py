"""Sweeps: many runs, executed in parallel, each stored once.

A sweep is a list of runs: any objects of the Run protocol (:class:`memcap.infra.protocol.Run`; capacity, knowledge
and text runs implement it), which is all this module knows of them. Runs missing from the store go to workers through
the standard ``concurrent.futures.Executor`` interface; the default is local processes (one per core, one
torch thread each, which the CPU measurements found 1.2-4x faster than two threads in one process). Any
other executor with ``submit`` (a cluster's, say) can be passed in unchanged. Each worker writes its run to
the store itself, so a sweep interrupted half-way keeps the runs it finished and resumes with the rest.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Hashable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

from memcap.infra.cluster import (SCHEDULER_ENV, cluster_executor, kill_workers, set_worker_threads, shutdown,
                                   stop_when_abandoned)
from memcap.infra.progress import emit, run_reporter
from memcap.infra.protocol import Run
from memcap.infra.store import RunStore


def _worker(run, store_root: str, device: str, progress: bool = False, threads: bool = False) -> dict:
    if threads:  # a cluster worker: this task's share of the cores, and an end when no one waits for the run
        set_worker_threads()
        stop_when_abandoned()
    store = RunStore(store_root)
    with store.lock(run.to_dict()):  # another process training this run: wait for it, then read its result
        if store.has(run.to_dict()):
            return store.load(run.to_dict())["metrics"]
        metrics, curve, state = run.execute(device, progress=progress or run_reporter(run.label) or False)
        store.save(run.to_dict(), metrics, curve, state)
    return metrics


def _stacked_worker(runs: Sequence[Run], store_root: str, device: str, threads: bool = False) -> list[dict]:
    if threads:
        set_worker_threads()
        stop_when_abandoned()
    store = RunStore(store_root)
    with ExitStack() as held:
        for _, r in sorted({store.key(r.to_dict()): r for r in runs}.items()):  # one order everywhere: no deadlock
            held.enter_context(store.lock(r.to_dict()))
        todo = [r for r in runs if not store.has(r.to_dict())]
        report = run_reporter(f"{todo[0].label} (+{len(todo) - 1} stacked)") if todo else None
        done = type(todo[0]).execute_many(todo, device, report or False) if todo else []
        for r, (metrics, curve, state) in zip(todo, done):
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
    runs: Sequence[Run],
    store: RunStore | str,
    *,
    device: str = "cpu",
    executor: Any = None,
    max_workers: int | None = None,
    progress: bool = True,
    stack: int = 1,
    stack_max_params: int = 0,
) -> SweepReport:
    """Make sure every run is in the store (training the missing ones in parallel); return their metrics.

    A run is any object of the Run protocol (:class:`memcap.infra.protocol.Run`): ``to_dict()`` (its
    configuration: the store key), ``execute(device, progress)`` returning (metrics, curve, weights), ``cost``,
    ``label``, ``stack_key(max_params)`` and ``execute_many``.

    The missing runs go to ``executor``: any ``concurrent.futures.Executor``, a ``dask.distributed.Client``, or a
    Dask scheduler's address (:mod:`memcap.infra.cluster`; $MEMCAP_SCHEDULER when ``executor`` is None). Without
    one, on CPU they go to :func:`default_executor`'s local processes (``max_workers`` of them; 0 trains in this
    process), and on CUDA they train one group after another in this process.

    ``stack=K`` (K > 1) trains up to K runs of one :meth:`~memcap.infra.protocol.Run.stack_key` together in one
    worker (``execute_many``; capacity runs of one shape and optimizer settings, at most ``stack_max_params``
    parameters): the throughput benchmark shows where that pays on a given machine. Other runs train one per worker
    as usual. On CUDA a stacked group is one batched step for many small models, which is what keeps a GPU busy at
    these sizes; training in this process on a CPU (``max_workers=0``) takes the same path.
    """
    if not isinstance(stack, int) or stack < 1:
        raise ValueError(f"stack must be a positive integer, got stack={stack!r}")
    if max_workers is not None and (isinstance(max_workers, bool) or not isinstance(max_workers, int)
                                    or max_workers < 0):
        raise ValueError(f"max_workers must be None, 0 (this process) or a positive integer, got {max_workers!r}")
    store = store if isinstance(store, RunStore) else RunStore(store)
    t0 = time.perf_counter()
    configs = [r.to_dict() for r in runs]
    first_of_key: dict[str, int] = {}
    for i, c in enumerate(configs):
        first_of_key.setdefault(store.key(c), i)  # a run listed twice is trained once
    unique = sorted(first_of_key.values())
    missing = [i for i in unique if not store.has(configs[i])]
    # biggest first (by cost, estimated training FLOPs), so the last worker is not left with the biggest run
    missing.sort(key=lambda i: -runs[i].cost)
    if missing:
        store.check()  # a store that cannot take the runs fails now, not after training them
        emit("sweep", total=len(unique), stored=len(unique) - len(missing))
    bar = None
    if progress and missing:
        from tqdm import tqdm  # plain text: widgets would need JavaScript from the web in the book

        bar = tqdm(total=len(missing), desc=f"sweep ({len(unique) - len(missing)} of {len(unique)} stored)")
    errors: list[str] = []
    cluster = executor is not None or bool(os.environ.get(SCHEDULER_ENV, "").strip())
    if missing and (device.startswith(("cuda", "mps")) or max_workers == 0) and not cluster:
        for group in _stack_groups(runs, missing, stack, stack_max_params):
            if len(group) == 1:  # a bar per run shows memorized bits
                ms = [_worker(runs[group[0]], str(store.root), device, progress=progress)]
            else:
                ms = _stacked_worker([runs[i] for i in group], str(store.root), device)
            for i, m in zip(group, ms):
                emit("done", label=runs[i].label, bits_per_param=m.get("bits_per_param"))
            if bar is not None:
                bar.update(len(group))
    elif missing:
        with cluster_executor(executor) as given:
            _fan_out(runs, missing, store, device, given, max_workers, stack, stack_max_params, bar, errors)
    if bar is not None:
        bar.close()
    if errors:
        raise RuntimeError(f"{len(errors)} run(s) failed:\n" + "\n".join(errors))
    metrics = [store.load(c)["metrics"] for c in configs]
    return SweepReport(metrics=metrics, trained=len(missing), reused=len(unique) - len(missing), seconds=time.perf_counter() - t0)


@contextmanager
def _children_ignore_ctrl_c(active: bool = True) -> Iterator[None]:
    """Start worker processes with Ctrl-C ignored: SIGINT reaches a terminal's whole process group, and a worker
    would print its own KeyboardInterrupt traceback (one still importing, too). An ignored signal stays ignored in
    a child (and Python then installs no KeyboardInterrupt handler); the sweep's owner stops its workers, and each
    exits with its parent. Only the main thread can change a handler: elsewhere nothing changes."""
    import signal
    import threading

    if not active or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _fan_out(runs, missing, store, device, executor, max_workers, stack, stack_max_params, bar, errors) -> None:
    own = executor is None
    pool = executor or default_executor(max_workers)
    remote = not own and not isinstance(pool, ProcessPoolExecutor)  # a cluster's workers set their own threads
    try:
        futures = {}
        with _children_ignore_ctrl_c(own):  # the pool starts its processes while runs are submitted
            for group in _stack_groups(runs, missing, stack, stack_max_params):
                if len(group) == 1:
                    futures[pool.submit(_worker, runs[group[0]], str(store.root), device, False, remote)] = group
                else:
                    futures[pool.submit(_stacked_worker, [runs[i] for i in group], str(store.root), device,
                                        remote)] = group
        for fut in as_completed(futures):
            group = futures[fut]
            try:
                ms = fut.result()
            except Exception as err:  # keep the others going; report at the end
                errors.extend(f"run {i} ({runs[i].label}): {type(err).__name__}: {err}" for i in group)
                continue
            for i, m in zip(group, ms if isinstance(ms, list) else [ms]):
                emit("done", label=runs[i].label, bits_per_param=m.get("bits_per_param"))
            if bar is not None:
                bar.update(len(group))
                last = ms[-1] if isinstance(ms, list) else ms
                bar.set_postfix_str(f"{runs[group[-1]].label}: {last['bits_per_param']:.2f} bits/param")
    except KeyboardInterrupt:  # workers ignore Ctrl-C (they were started so): end them now, not after their runs
        if own:
            kill_workers(pool)
        raise
    finally:
        if own:
            shutdown(pool)


def _stack_groups(runs, indices: list[int], stack: int, max_params: int) -> list[list[int]]:
    """Split run indices into jobs: groups of up to ``stack`` runs of one stack key, the rest (key None) one by one."""
    if stack <= 1:
        return [[i] for i in indices]
    groups: dict[Hashable, list[int]] = {}
    jobs: list[list[int]] = []
    for i in indices:
        key = runs[i].stack_key(max_params)
        if key is None:
            jobs.append([i])
        else:
            groups.setdefault(key, []).append(i)
    for members in groups.values():
        members.sort(key=lambda i: runs[i].cost)  # similar lengths together: a group runs until its longest member ends
        jobs.extend(members[j:j + stack] for j in range(0, len(members), stack))
    jobs.sort(key=lambda g: -sum(runs[i].cost for i in g))
    return jobs

