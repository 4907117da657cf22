"""Sweeps and batches past one machine: a Dask cluster through the ``concurrent.futures`` interface.

Everything that fans work out (:func:`memcap.infra.sweep.run_sweep`, :func:`memcap.book.batch.run_batch`) takes an
``executor``: local processes by default, or anything with ``submit``. A ``dask.distributed.Client`` is accepted as
it is (its :meth:`get_executor` is used), and so is a scheduler's address, given as ``executor="tcp://host:8786"``
or through ``$MEMCAP_SCHEDULER`` (what ``memcap run --scheduler`` and ``memcap batch --scheduler`` set, so that a
chapter's sweeps, which run inside its notebook kernel, go to the cluster too).

Needs the ``cluster`` extra (``pip install memcap[cluster]``: ``dask[distributed]``). On an HPC queue, start the
workers with ``dask-jobqueue`` (a ``SLURMCluster`` or ``PBSCluster``) and keep the run store on a filesystem every
worker sees: each worker writes its finished run to the store itself (the book's *Running memcap* page: "Sweeps on a cluster").
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Any

SCHEDULER_ENV = "MEMCAP_SCHEDULER"


def is_dask_client(obj: Any) -> bool:
    return hasattr(obj, "get_executor") and hasattr(obj, "scheduler_info")


@contextmanager
def cluster_executor(executor: Any = None, timeout: float = 20) -> Iterator[Executor | None]:
    """The executor to fan work out to: ``executor`` itself; a Dask client's executor; a client connected to a
    scheduler's address (a string, or $MEMCAP_SCHEDULER when ``executor`` is None; ``timeout`` seconds to connect),
    closed afterwards; or None (the caller's local default)."""
    address = executor if isinstance(executor, str) else None
    if executor is None:
        address = os.environ.get(SCHEDULER_ENV, "").strip() or None
    if address is None:
        yield executor.get_executor() if is_dask_client(executor) else executor
        return
    try:
        from distributed import Client
    except ImportError:
        raise ValueError(f"sending work to the Dask scheduler {address!r} needs the cluster extra: "
                         "pip install 'memcap[cluster]'") from None
    _probe(address, timeout)  # before any Client: a Client whose start fails is closed later, from its __del__, which
    # can deadlock the next Client started in the same process
    client = Client(address, timeout=f"{timeout}s")
    try:
        yield client.get_executor()
    finally:
        client.close()


def _probe(address: str, timeout: float) -> None:
    """Raise ValueError naming ``address`` unless a Dask scheduler answers there: one ``identity`` message over
    Dask's own comm, in a thread of its own (the caller may be inside a running event loop, as a notebook is)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from distributed.comm import connect
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except (ValueError, TypeError) as err:  # not an address at all (no port, say): nothing was asked
        raise ValueError(f"cannot reach the Dask scheduler at {address!r}: not an address ({err})") from None

    async def identity() -> Any:
        comm = await connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await asyncio.wait_for(comm.read(), timeout)
        finally:
            comm.abort()

    with ThreadPoolExecutor(1) as pool:
        try:
            answer = pool.submit(asyncio.run, identity()).result()
        except OSError as err:
            raise ValueError(f"cannot reach the Dask scheduler at {address!r}: {err}") from None
        except Exception as err:  # something answered, but not in Dask's protocol (its bytes read as a huge length)
            what = str(err).splitlines()[0][:120] if str(err) else ""
            raise ValueError(f"{address!r} answered, but it is not a Dask scheduler "
                             f"({type(err).__name__}: {what})") from None
    if not (isinstance(answer, dict) and answer.get("type") == "Scheduler"):
        raise ValueError(f"{address!r} answered, but it is not a Dask scheduler (its identity: {str(answer)[:120]})")


def check_scheduler(address: str, timeout: float = 20) -> None:
    """Raise ValueError naming ``address`` unless a Dask scheduler answers there within ``timeout`` seconds."""
    with cluster_executor(address, timeout):
        pass


def shutdown(executor: Executor) -> None:
    """Shut an executor down, cancelling what has not started (Dask's executor takes no ``cancel_futures``)."""
    try:
        executor.shutdown(wait=True, cancel_futures=True)
    except TypeError:
        executor.shutdown(wait=True)


def kill_workers(pool: Executor) -> None:
    """End a local process pool's worker processes at once (what each was running is lost; the processes under
    them follow, as each watches its parent). A Dask or other executor is left alone."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public way to reach them
    for process in processes:
        process.kill()
    for process in processes:
        process.join(timeout=10)


def set_worker_threads() -> int:
    """Give torch this task's share of the cores and return it: one thread per running task, as the local
    executor's one process per core has (start Dask workers the same way: ``dask worker ADDRESS --nworkers N
    --nthreads 1`` for N cores); $MEMCAP_TORCH_THREADS overrides it."""
    import torch

    env = os.environ.get("MEMCAP_TORCH_THREADS", "").strip()
    if env and (not env.isdigit() or int(env) < 1):
        raise ValueError(f"MEMCAP_TORCH_THREADS must be a positive integer, got MEMCAP_TORCH_THREADS={env!r}")
    threads = int(env) if env else 1
    torch.set_num_threads(threads)
    return threads


def stop_when_abandoned(poll_seconds: float = 1.0) -> bool:
    """On a Dask worker, end this worker process when the task running here is abandoned: its client went away (a
    job cancelled, a terminal closed, ``timeout``) or cancelled it. Dask cannot interrupt running code, so without
    this a sweep's runs would train on with no one to read them; the worker's nanny starts a fresh worker process,
    and every run finished earlier is in the store already. Returns whether a watch was started (False off Dask)."""
    try:
        from distributed import get_worker

        worker = get_worker()
        key = worker.get_current_task()
    except (ImportError, ValueError):
        return False
    import threading
    import time

    def watch() -> None:
        while True:
            time.sleep(poll_seconds)
            task = worker.state.tasks.get(key)
            if task is None or task.state in ("cancelled", "released", "forgotten"):
                os._exit(1)

    threading.Thread(target=watch, name="memcap-stop-when-abandoned", daemon=True).start()
    return True
