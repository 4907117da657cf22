"""A cancelled run leaves no process behind, and -p output_dir is honoured."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from memcap.book import execute

SWEEP = textwrap.dedent("""
    import sys
    from memcap.model import GPTConfig
    from memcap.engine.runs import CapacityRun
    from memcap.engine.sweep import run_sweep
    from memcap.engine.train import TrainConfig
    cfg = GPTConfig(vocab_size=64, seq_len=16, n_layer=2, d_model=32)
    long = TrainConfig(max_steps=10**6, batch_size=64, schedule="cosine", eval_every=10**5)
    runs = [CapacityRun(model=cfg, train=long, n_sequences=n) for n in (100, 200)]
    run_sweep(runs, sys.argv[1], max_workers=2, progress=False)
""")


def _workers(proc: psutil.Process, want: int, timeout: float = 60) -> list[psutil.Process]:
    end = time.time() + timeout
    while time.time() < end:
        kids = [c for c in proc.children(recursive=True) if "spawn_main" in " ".join(c.cmdline())]
        if len(kids) >= want:
            return kids
        time.sleep(0.5)
    raise AssertionError(f"the sweep did not start {want} workers within {timeout} s")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_the_sweep_workers_stop_with_their_parent(tmp_path, sig):
    parent = subprocess.Popen([sys.executable, "-c", SWEEP, str(tmp_path / "store")])
    try:
        workers = _workers(psutil.Process(parent.pid), 2)
        time.sleep(2)  # training
        os.kill(parent.pid, sig)
        parent.wait(timeout=30)
        gone, alive = psutil.wait_procs(workers, timeout=15)
        assert not alive, f"{len(alive)} worker(s) still running after the parent was killed with {sig!r}"
    finally:
        if parent.poll() is None:
            parent.kill()
        for p in psutil.Process().children(recursive=True):
            p.kill()
    assert not list((tmp_path / "store").glob("??/*/metrics.json"))  # nothing half-trained was stored


@pytest.mark.slow
def test_output_dir_is_honoured(tmp_path):
    out = tmp_path / "mine"
    result = execute.run_chapter("01_memorization", scale="smoke", parameters={"output_dir": str(out)},
                                 build_dir=tmp_path / "build", progress=False)
    assert result.output_dir == out.resolve()
    assert json.loads((out / "results.json").read_text())["scale"] == "smoke"
