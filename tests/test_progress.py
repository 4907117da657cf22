"""Progress a user can see: sweeps report to a side file, the runner prints it, the notebook never sees it."""

import json
import subprocess
import sys

import pytest

from memcap.engine.runs import CapacityRun
from memcap.infra import progress
from memcap.infra.sweep import run_sweep
from memcap.engine.training.config import TrainConfig
from memcap.model import GPTConfig


def test_the_watcher_turns_events_into_status_lines(tmp_path, monkeypatch):
    path = tmp_path / "p.jsonl"
    monkeypatch.setenv(progress.ENV, str(path))
    lines = []
    watcher = progress.Watcher(path, prefix="ch: ", write=lines.append, every_seconds=0)
    watcher.read()  # no file yet: nothing, no error
    progress.emit("sweep", total=3, stored=1)
    progress.emit("run", label="L1-d8", step=50, max_steps=400, metric_name="memorized bits", metric=1234.5)
    progress.emit("done", label="L1-d8", bits_per_param=3.21)
    with open(path, "a") as f:
        f.write('{"event": "done", "label": "L1-d1')  # a line still being written
    watcher.read()
    assert lines[0] == "ch: sweep: 3 runs, 1 already stored, 2 to train"
    assert lines[1] == "ch: training L1-d8: step 50/400, memorized bits 1,234"
    assert lines[2].startswith("ch: 2/3 runs stored; L1-d8: 3.21 bits/param; about ") and lines[2].endswith(" left")
    with open(path, "a") as f:
        f.write('6", "time": 1, "bits_per_param": null}\n')
    watcher.read()  # the rest of the line arrived
    assert lines[3] == "ch: 3/3 runs stored; L1-d16"


def test_nothing_is_reported_without_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(progress.ENV, raising=False)
    progress.emit("sweep", total=1, stored=0)
    assert progress.run_reporter("x") is None
    assert not list(tmp_path.iterdir())


def test_a_sweep_and_its_workers_report(tmp_path, monkeypatch):
    path = tmp_path / "p.jsonl"
    monkeypatch.setenv(progress.ENV, str(path))
    cfg = GPTConfig(vocab_size=16, seq_len=8, n_layer=1, d_model=16, n_head=2)
    train = TrainConfig(max_steps=100, batch_size=8, lr=3e-2, warmup_steps=5, eval_every=25, schedule="cosine")
    runs = [CapacityRun(model=cfg, train=train, n_sequences=n) for n in (8, 12)]
    run_sweep(runs, tmp_path / "store", max_workers=2, progress=False)
    events = [json.loads(line) for line in path.read_text().splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "sweep" and events[0]["total"] == 2 and kinds.count("done") == 2
    assert "run" in kinds and {e["pid"] for e in events if e["event"] == "run"} - {events[0]["pid"]}, \
        "the worker processes report their training too"


@pytest.mark.slow
def test_memcap_run_shows_progress_in_the_terminal_not_in_the_notebook(tmp_path):
    # chapter 3: a cheap chapter at smoke that trains (18 s cold, against chapter 8's 40-75 s and chapter 2's 50-70 s)
    proc = subprocess.run([sys.executable, "-m", "memcap.book.cli", "run", "3", "--scale", "smoke",
                           "--build-dir", str(tmp_path)], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "03_knowledge: sweep: " in proc.stderr and "runs stored" in proc.stderr
    notebook = (tmp_path / "smoke" / "03_knowledge.ipynb").read_text()
    assert "runs stored" not in notebook and "already stored, " not in notebook
    assert not list((tmp_path / "smoke").glob(".*.progress"))  # the side file is cleaned up
