"""Batch runs: one chapter over a grid of parameter values, collected into one table.

``run_batch("02", {"seed": [0, 1, 2], "scale": ["smoke"]}, "build/batch")`` executes the chapter once per point of
the grid (the Cartesian product, in the order given) through papermill, each point into its own folder::

    <out>/<chapter>/<name=value,...>/<scale>/<chapter>.ipynb      the executed notebook
    <out>/<chapter>/<name=value,...>/<scale>/<chapter>/results.json
    <out>/store/                                                  one run store shared by every point
    <out>/<chapter>.csv (or .parquet)                             every point's results, one row each

Points go to workers through a :class:`concurrent.futures.Executor`, as sweeps do (default: local processes).
Each worker's chapter sweeps get an equal share of the cores ($MEMCAP_WORKERS), so two points at once on two cores
train one model each. Every grid value is checked before anything runs. A point whose results file exists is
complete (the file is written atomically at the end of the chapter) and is not run again, so an interrupted batch
resumes where it stopped; a failed point is reported and the others still run. Ctrl-C or SIGTERM (``memcap batch``)
ends every point's processes at once, and a killed batch's points end with it: each pool worker watches its parent.

The table has one column per grid parameter, then ``seconds`` (the point's run time), then every scalar of the
chapter's ``results`` (nested mappings flattened with dots; lists are left out). A grid over ``seed`` (two values or
more) also gets ``<table>-seeds.csv``: every quantity's mean over the seeds with its 95 % t interval, per value of the
other grid parameters (:func:`memcap.measures.seeds.seed_summary`):

    MEMCAP_COLLECT_CLAIMS=1 memcap batch 7 --grid seed=0,1,2 --grid scale=default    # peaks and ratios, intervals

A point that fails a claim writes no results unless ``MEMCAP_COLLECT_CLAIMS=1`` lets it run to its end (it is still
reported as failed); the summary says which seeds it lacks.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Mapping, Sequence
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memcap.book.chapters import RESULTS_FILE, Chapter, get_chapter, load_results
from memcap.book.execute import Interrupted, check_values
from memcap.infra.cluster import SCHEDULER_ENV, cluster_executor, kill_workers, shutdown
from memcap.infra.files import write_bytes_atomic

RESERVED = ("output_dir", "store_dir")  # set by the batch runner itself


@dataclass
class BatchReport:
    table: Any  # pandas DataFrame: one row per completed point
    table_path: Path
    ran: list[dict] = field(default_factory=list)  # points executed by this call
    reused: list[dict] = field(default_factory=list)  # points already complete
    failed: list[tuple[dict, str]] = field(default_factory=list)  # (point, error)
    seeds: Any = None  # pandas DataFrame: each quantity's mean and t interval over the seeds (a grid over seed)
    seeds_path: Path | None = None


def expand_grid(chapter: str | Chapter, grid: Mapping[str, Sequence[Any]]) -> list[dict]:
    """Every point of ``grid`` as a parameter mapping, after checking names and values against the chapter.

        >>> expand_grid("01", {"seed": [0, 1], "scale": ["smoke"]})
        [{'seed': 0, 'scale': 'smoke'}, {'seed': 1, 'scale': 'smoke'}]
    """
    from memcap.book.execute import parameter_names, read_chapter

    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    return _expand(ch, parameter_names(read_chapter(ch)), grid)


def _expand(ch: Chapter, known: Mapping[str, Any], grid: Mapping[str, Sequence[Any]]) -> list[dict]:
    if not grid:
        raise ValueError("the grid is empty: give at least one parameter with values, e.g. seed=0,1")
    for name, values in grid.items():
        if name in RESERVED:
            raise ValueError(f"{name} is set by the batch runner (one folder per point); leave it out of the grid")
        if name not in known:
            raise ValueError(f"unknown parameter {name!r} for chapter {ch.name}; its parameters are "
                             f"{sorted(set(known) - set(RESERVED))}")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
            raise ValueError(f"grid values for {name} must be a non-empty list, got {name}={values!r}")
        if len(set(map(repr, values))) != len(values):
            raise ValueError(f"grid values for {name} repeat: {name}={list(values)!r}")
        for v in values:
            check_values(ch, known, {name: v})
    names = list(grid)
    return [dict(zip(names, combo)) for combo in itertools.product(*(grid[n] for n in names))]


def point_name(point: Mapping[str, Any]) -> str:
    """The folder name of a grid point: ``scale=smoke,seed=1``.

        >>> point_name({"seed": 1, "scale": "smoke"})
        'scale=smoke,seed=1'
    """
    parts = []
    for k in sorted(point):
        v = str(point[k])
        if not all(c.isalnum() or c in "-_.:" for c in v):
            raise ValueError(f"grid value {k}={point[k]!r} cannot name a folder; use letters, digits, '-', '_', '.'")
        parts.append(f"{k}={v}")
    return ",".join(parts)


def _point_dirs(ch: Chapter, out: Path, point: Mapping[str, Any]) -> tuple[Path, Path]:
    build = out / ch.name / point_name(point)
    scale = point.get("scale", "default")
    return build, build / scale / ch.name


def point_workers(points_at_once: int) -> int:
    """Sweep worker processes for each of ``points_at_once`` grid points running here: an equal share of
    $MEMCAP_WORKERS when set (the user's budget for the whole batch), else of the cores; at least one.

        >>> import os; before = os.environ.get("MEMCAP_WORKERS"); os.environ["MEMCAP_WORKERS"] = "4"
        >>> point_workers(2), point_workers(8)
        (2, 1)
        >>> del os.environ["MEMCAP_WORKERS"]
        >>> if before is not None: os.environ["MEMCAP_WORKERS"] = before
    """
    from memcap.infra.sweep import default_workers

    return max(1, default_workers() // points_at_once)


def _init_point_worker(parent: int) -> None:
    """A pool worker ends with the batch that started it (its chapter's kernel and sweep workers follow it: each
    watches its parent), and leaves Ctrl-C to that batch, which ends it."""
    import signal

    from memcap.infra.sweep import exit_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(parent)


def _run_point(chapter: str, point: dict, build: str, store: str | None, workers: int) -> float:
    """Worker side: execute one grid point (kept module-level so process pools can pickle it)."""
    from memcap.book.execute import run_chapter

    os.environ["MEMCAP_WORKERS"] = str(workers)
    os.environ.pop(SCHEDULER_ENV, None)  # the point's own sweeps run where the point runs: no tasks waiting on tasks
    params = {k: v for k, v in point.items() if k != "scale"}
    if store:  # chapters that train models share one store across the grid
        params["store_dir"] = store
    res = run_chapter(chapter, scale=point.get("scale", "default"), parameters=params, build_dir=build,
                      progress=False)
    return res.seconds


def flatten(results: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Scalars of a nested results mapping, keys joined with dots; lists and None left out.

        >>> flatten({"alpha": 3.4, "fit": {"r2": 0.99, "ci": [1, 2]}, "name": "x"})
        {'alpha': 3.4, 'fit.r2': 0.99, 'name': 'x'}
    """
    out: dict[str, Any] = {}
    for key, value in results.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (bool, int, float, str)):
            out[name] = value
    return out


def collect(chapter: str | Chapter, points: Sequence[Mapping[str, Any]], out: str | Path):
    """The table of every complete point's results (points without a results file are left out)."""
    import pandas as pd

    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    rows = []
    for point in points:
        _, output_dir = _point_dirs(ch, Path(out), point)
        if not (output_dir / RESULTS_FILE).exists():
            continue
        data = load_results(output_dir)
        rows.append({**point, "seconds": data.get("elapsed_seconds"), **flatten(data["results"])})
    return pd.DataFrame(rows)


def run_batch(
    chapter: str | Chapter,
    grid: Mapping[str, Sequence[Any]],
    out: str | Path = "build/batch",
    *,
    executor: Any = None,
    max_workers: int = 1,
    table: str | Path | None = None,
    log=print,
) -> BatchReport:
    """Run ``chapter`` at every point of ``grid`` that is not complete yet, then write the table.

    ``table`` defaults to ``<out>/<chapter>.csv``; a ``.parquet`` name writes Parquet (needs pyarrow). Points go to
    ``executor``: local processes by default (``max_workers`` at once), or any ``concurrent.futures.Executor``, a
    ``dask.distributed.Client`` or a Dask scheduler's address (:mod:`memcap.infra.cluster`; $MEMCAP_SCHEDULER when
    ``executor`` is None).
    """
    from memcap.book.execute import parameter_names, read_chapter

    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    known = parameter_names(read_chapter(ch))
    points = _expand(ch, known, grid)  # every value checked before anything runs
    if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
        raise ValueError(f"max_workers must be a positive integer, got max_workers={max_workers!r}")
    out = Path(out).resolve()
    table_path = Path(table) if table else out / f"{ch.name}.csv"
    if table_path.suffix not in (".csv", ".parquet"):
        raise ValueError(f"the table must be a .csv or .parquet file, got {table_path}")
    if table_path.suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ValueError(f"writing {table_path} needs pyarrow (pip install pyarrow), or use a .csv name") from None
    report = BatchReport(table=None, table_path=table_path)
    todo = []
    for point in points:
        _, output_dir = _point_dirs(ch, out, point)
        (report.reused if (output_dir / RESULTS_FILE).exists() else todo).append(point)
    log(f"{ch.name}: {len(points)} grid points, {len(report.reused)} already complete, {len(todo)} to run")
    if todo:
        store = str(out / "store") if "store_dir" in known else None
        with cluster_executor(executor) as given:
            _run_points(ch, todo, out, store, given, max_workers, report, log)
    report.table = collect(ch, points, out)
    table_path.parent.mkdir(parents=True, exist_ok=True)
    if table_path.suffix == ".csv":
        write_bytes_atomic(table_path, report.table.to_csv(index=False).encode())
    else:
        tmp = table_path.with_name(table_path.name + ".partial")
        report.table.to_parquet(tmp, index=False)
        os.replace(tmp, table_path)
    log(f"{len(report.table)} of {len(points)} points in {table_path}")
    seeds_path = table_path.with_name(f"{table_path.stem}-seeds.csv")
    if len(grid.get("seed", ())) >= 2 and len(report.table):
        from memcap.measures.seeds import seed_summary

        report.seeds, report.seeds_path = seed_summary(report.table), seeds_path
        write_bytes_atomic(seeds_path, report.seeds.to_csv(index=False).encode())
        log(f"means over {report.table.seed.nunique()} seeds, with 95 % t intervals, in {seeds_path}")
        failed_claims = {point_name(p): _failed_claims(ch, out, p) for p in points}
        unfinished = [point_name(p) for p, _ in report.failed if not failed_claims[point_name(p)]]
        failing = [f"{name} ({', '.join(names)})" for name, names in failed_claims.items() if names]
        if unfinished:
            log(f"  the summary lacks these points, which wrote no results: {'; '.join(unfinished)}")
        if failing:
            log(f"  these points ran to their end with failed claims: {'; '.join(failing)}")
    else:
        seeds_path.unlink(missing_ok=True)  # a summary of an earlier grid would read as this one's
    return report


def _failed_claims(ch: Chapter, out: Path, point: Mapping[str, Any]) -> list[str]:
    """The asserted claims a point's run recorded as failed (a run in collect mode writes its results anyway)."""
    import json

    from memcap.book.claims import CLAIMS_FILE

    path = _point_dirs(ch, out, point)[1] / CLAIMS_FILE
    if not (path.parent / RESULTS_FILE).exists() or not path.exists():
        return []
    try:
        outcomes = json.loads(path.read_text())["claims"]
    except (OSError, ValueError, KeyError, TypeError):
        return ["its claims file is unreadable"]
    return [o["name"] for o in outcomes if o.get("asserted") and o.get("holds") is False]


def _run_points(ch: Chapter, todo: list[dict], out: Path, store: str | None, executor: Executor | None,
                max_workers: int, report: BatchReport, log) -> None:
    own = executor is None
    # each point's sweeps get a share of this machine's cores; on a cluster a point has its worker's one core
    workers = point_workers(min(max_workers, len(todo))) if own else 1
    pool = executor or ProcessPoolExecutor(min(max_workers, len(todo)), mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_init_point_worker, initargs=(os.getpid(),))
    t0 = time.perf_counter()
    try:
        futures = {pool.submit(_run_point, ch.name, point, str(_point_dirs(ch, out, point)[0]), store, workers): i
                   for i, point in enumerate(todo)}
        for future in as_completed(futures):
            point = todo[futures[future]]
            try:
                seconds = future.result()
            except Exception as err:  # one failed point must not lose the others
                report.failed.append((point, f"{type(err).__name__}: {err}"))
                log(f"  {point_name(point)} failed: {err}")
                continue
            report.ran.append(point)
            log(f"  {point_name(point)} done in {seconds:.1f} s ({time.perf_counter() - t0:.0f} s elapsed)")
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: end the points now rather than wait for their chapters
        if own:
            kill_workers(pool)
        raise Interrupted(store) from None
    finally:
        if own:
            shutdown(pool)


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """``["seed=0,1,2", "scale=smoke"]`` as a grid; values read as papermill reads ``-p`` values.

        >>> parse_grid(["seed=0,1", "scale=smoke"])
        {'seed': [0, 1], 'scale': ['smoke']}
    """
    from memcap.book.execute import parse_value

    grid: dict[str, list[Any]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        name = name.strip()
        if not sep or not name or not values.strip():
            raise ValueError(f"a grid entry looks like name=value1,value2; got {item!r}")
        if name in grid:
            raise ValueError(f"grid parameter {name!r} given twice")
        grid[name] = [parse_value(v.strip()) for v in values.split(",")]
    return grid
