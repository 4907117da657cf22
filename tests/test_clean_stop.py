"""A cancelled run leaves no process behind, and -p output_dir is honoured."""

import json
import os
import re
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
    from memcap.infra.sweep import run_sweep
    from memcap.engine.training.config import TrainConfig
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


def _command(proc: psutil.Process) -> str:
    """A process's command line; "" for one that has just ended (a zombie, or gone): processes come and go while
    a chapter starts."""
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return ""


def _training(proc: psutil.Process, timeout: float = 300) -> list[psutil.Process]:
    """Every descendant of ``proc`` once a chapter's kernel has started sweep workers (it is training)."""
    end = time.time() + timeout
    while time.time() < end:
        kids = proc.children(recursive=True)
        kernels = [k for k in kids if "ipykernel" in _command(k)]
        try:
            workers = [w for k in kernels for w in k.children()]
        except psutil.Error:  # a kernel that ended between the two calls
            workers = []
        if any("spawn_main" in _command(w) for w in workers):
            return kids
        time.sleep(0.5)
    raise AssertionError(f"no chapter kernel started sweep workers within {timeout} s")


def _ctrl_c_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop(argv: list[str], how: str) -> tuple[int, str, list[psutil.Process]]:
    """Start ``memcap ARGV`` in its own session, stop it while it trains (``how``: a signal's name sent to memcap, or
    ``ctrl-c``: SIGINT to its whole process group, as a terminal sends it); its exit status, its stderr, and the
    processes under it still alive 15 s later."""
    memcap = [sys.executable, "-m", "memcap.book.cli", *argv]
    # A terminal's foreground job takes Ctrl-C. A test run started in the background of a shell without job control
    # (`pytest ... &` in a script) ignores SIGINT, and its children inherit that: give memcap the terminal's default.
    parent = subprocess.Popen(memcap, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              start_new_session=True, preexec_fn=_ctrl_c_as_in_a_terminal)
    try:
        kids = _training(psutil.Process(parent.pid))
        time.sleep(2)
        if how == "ctrl-c":
            os.killpg(parent.pid, signal.SIGINT)
        else:
            os.kill(parent.pid, getattr(signal, how))
        _, err = parent.communicate(timeout=60)
        gone, alive = psutil.wait_procs(kids, timeout=15)
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
            parent.wait()
    for p in alive:
        p.kill()
    return parent.returncode, err, alive


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL", "ctrl-c"])
def test_a_stopped_batch_leaves_no_process_behind(tmp_path, how):
    out = tmp_path / "out"
    rc, err, alive = _stop(["batch", "2", "--grid", "seed=0", "--grid", "scale=smoke", "--out", str(out)], how)
    assert not alive, f"{[p.pid for p in alive]} still running 15 s after memcap batch got {how}"
    assert rc != 0
    if how != "SIGKILL":
        assert rc == (143 if how == "SIGTERM" else 130), err
        # one line of its own (the kernels it ended may add a warning or two of theirs), no traceback
        lines = err.strip().splitlines()
        ours = [line for line in lines if line.startswith("memcap batch: ")]
        assert len(ours) == 1, err
        assert re.fullmatch(r"memcap batch: interrupted: \d+ runs stored, re-run to resume", ours[0]), err
        assert "Traceback" not in err and len(lines) <= 10, err
    # resumable: the point is not taken for complete, and the store holds finished runs only
    assert not list(out.glob("02_capacity/*/smoke/02_capacity/results.json"))
    assert not list((out / "store").glob("??/*/metrics.json.*"))


@pytest.mark.slow
def test_ctrl_c_says_how_many_runs_are_stored_in_one_line(tmp_path):
    rc, err, alive = _stop(["run", "2", "--scale", "smoke", "--build-dir", str(tmp_path)], "ctrl-c")
    assert not alive, f"{[p.pid for p in alive]} still running 15 s after Ctrl-C"
    assert rc == 130, err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("memcap run: interrupted: ") and lines[-1].endswith(" runs stored, re-run to resume")
    stored = sum(1 for _ in (tmp_path / "store").glob("??/*/metrics.json"))
    assert lines[-1] == f"memcap run: interrupted: {stored} runs stored, re-run to resume"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert len(lines) <= 10, err
