"""Batch runs of a chapter over a parameter grid: validation before anything runs, one table, resumption."""

import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from memcap.book import batch
from memcap.measures.seeds import t_interval


@pytest.mark.parametrize("grid, message", [
    ({}, "the grid is empty"),
    ({"lr": [1]}, "unknown parameter 'lr' for chapter 01_memorization"),
    ({"scale": ["huge"]}, "unknown scale 'huge'"),
    ({"seed": [0, -1]}, "seed must be a non-negative integer, got seed=-1"),
    ({"seed": [1.5]}, "got seed=1.5"),
    ({"seed": []}, "must be a non-empty list"),
    ({"seed": "012"}, "must be a non-empty list"),
    ({"seed": [1, 1]}, "repeat"),
    ({"output_dir": ["x"]}, "set by the batch runner"),
    ({"device": ["tpu"]}, "tpu"),
])
def test_invalid_grids_are_rejected_before_anything_runs(tmp_path, grid, message):
    with pytest.raises(ValueError, match=message):
        batch.run_batch("01", grid, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_parse_grid():
    assert batch.parse_grid(["seed=0,1", "scale=smoke", "device=cpu"]) == {
        "seed": [0, 1], "scale": ["smoke"], "device": ["cpu"]}
    for bad in (["seed"], ["=1"], ["seed="], ["seed=1", "seed=2"]):
        with pytest.raises(ValueError):
            batch.parse_grid(bad)


def test_flatten_and_point_names():
    assert batch.flatten({"a": {"b": {"c": 1}}, "d": [1], "e": None, "f": True}) == {"a.b.c": 1, "f": True}
    assert batch.point_name({"seed": 2, "scale": "smoke"}) == "scale=smoke,seed=2"
    with pytest.raises(ValueError, match="cannot name a folder"):
        batch.point_name({"device": "cuda/0"})


@pytest.mark.slow
def test_batch_runs_grid_collects_table_and_resumes(tmp_path):
    out = tmp_path / "out"
    grid = {"seed": [0, 1], "scale": ["smoke"]}
    report = batch.run_batch("01", grid, out, max_workers=2, log=lambda m: None)
    assert not report.failed and len(report.ran) == 2 and not report.reused
    table = pd.read_csv(out / "01_memorization.csv")
    assert list(table.columns[:3]) == ["seed", "scale", "seconds"]
    assert sorted(table.seed) == [0, 1] and set(table.scale) == {"smoke"}
    assert (table.arithmetic_round_trips > 0).all()
    # seed changes the chapter's random draws, so its measured values differ between the rows
    assert table.arithmetic_max_overhead_bits.nunique() == 2 or table.mem_u_order4_train_bits_per_seq.nunique() == 2
    # a grid over seeds: every quantity's mean over them, with its t interval, beside the table
    seeds = pd.read_csv(out / "01_memorization-seeds.csv").set_index("quantity")
    assert report.seeds_path == out / "01_memorization-seeds.csv" and set(seeds.scale) == {"smoke"}
    row = seeds.loc["mem_u_order4_train_bits_per_seq"]
    assert row["n"] == 2 and row["mean"] == pytest.approx(table.mem_u_order4_train_bits_per_seq.mean())
    assert (row["low"], row["high"]) == pytest.approx(t_interval(table.mem_u_order4_train_bits_per_seq))

    # an interrupted batch: one point lost its results (as if killed before the end); only that one runs again
    lost = out / "01_memorization" / "scale=smoke,seed=1" / "smoke" / "01_memorization" / "results.json"
    lost.unlink()
    again = batch.run_batch("01", grid, out, log=lambda m: None)
    assert again.ran == [{"seed": 1, "scale": "smoke"}] and again.reused == [{"seed": 0, "scale": "smoke"}]
    assert len(pd.read_csv(out / "01_memorization.csv")) == 2

    # the same table as Parquet, from the finished batch (nothing runs again)
    pytest.importorskip("pyarrow")
    parquet = batch.run_batch("01", grid, out, table=tmp_path / "t.parquet", log=lambda m: None)
    assert not parquet.ran and pd.read_parquet(tmp_path / "t.parquet").equals(parquet.table)

    # the command line, resuming a finished batch, runs nothing
    proc = subprocess.run([Path(sys.executable).parent / "memcap", "batch", "1", "--grid", "seed=0,1", "--grid",
                           "scale=smoke", "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "2 already complete, 0 to run" in proc.stderr


def test_the_points_share_memcap_workers(monkeypatch, tmp_path):
    monkeypatch.setenv("MEMCAP_WORKERS", "1")  # the user's budget for the whole batch, not the machine's cores
    assert batch.point_workers(1) == 1 and batch.point_workers(2) == 1
    monkeypatch.setenv("MEMCAP_WORKERS", "6")
    assert batch.point_workers(2) == 3
    monkeypatch.setenv("MEMCAP_WORKERS", "all")
    with pytest.raises(ValueError, match="MEMCAP_WORKERS='all'"):
        batch.run_batch("01", {"seed": [0], "scale": ["smoke"]}, tmp_path / "out", log=lambda m: None)
    assert not list((tmp_path / "out").rglob("results.json"))


def test_a_failed_points_error_crosses_processes_whole(tmp_path):
    # a pool worker sends its chapter's error back pickled; one that cannot be rebuilt breaks the whole pool and
    # hides the cause ("a process in the process pool was terminated abruptly")
    from memcap.book.execute import ChapterFailed, Interrupted

    err = ChapterFailed("03_knowledge", "cell In [9] raised ClaimFailed: ...", tmp_path / "x.failed.ipynb")
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == str(err) and (back.chapter, back.notebook) == ("03_knowledge", tmp_path / "x.failed.ipynb")
    stop = pickle.loads(pickle.dumps(Interrupted(tmp_path)))
    assert (stop.store, str(stop)) == (tmp_path, str(Interrupted(tmp_path)))
