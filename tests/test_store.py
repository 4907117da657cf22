"""The run store cannot jam or lie: a half-present entry is replaced, a damaged file is an error naming it (checked
against the sha256 recorded when the run was stored), the store folder is checked before anything trains, two
processes on one store train a run once, and what it writes others can read."""

import json
import multiprocessing
import os
import signal
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from memcap.infra.files import write_json_atomic
from memcap.engine.runs import CapacityRun
from memcap.infra.store import DamagedRun, RunStore
from memcap.engine.runs.base import load_model
from memcap.infra.sweep import run_sweep
from memcap.engine.training.config import TrainConfig
from memcap.model import GPTConfig

TINY = GPTConfig(vocab_size=16, seq_len=8, n_layer=1, d_model=16, n_head=2)
QUICK = TrainConfig(max_steps=40, batch_size=8, lr=2e-2, warmup_steps=5, eval_every=20, min_decay_steps=10)
FILES = ("config.json", "metrics.json", "curve.json", "model.safetensors")


def tiny_run(n_sequences: int = 4) -> CapacityRun:
    return CapacityRun(model=TINY, train=QUICK, n_sequences=n_sequences)


def saved(tmp_path, cfg=None):
    store = RunStore(tmp_path / "store")
    cfg = cfg or {"a": 1}
    store.save(cfg, {"bits": 3.5}, [{"step": 1, "loss": 2.0}], {"w": torch.arange(64.0)})
    return store, cfg


def overwrite_middle(path: Path) -> None:
    """Change bytes in the middle of a file, keeping its size (a flipped sector, a stray write)."""
    data = bytearray(path.read_bytes())
    mid = len(data) // 2 + 16
    data[mid:mid + 8] = bytes(255 - b for b in data[mid:mid + 8])
    path.write_bytes(bytes(data))


# --- a half-present entry never jams the store -------------------------------------------------------------------

@pytest.mark.parametrize("lost", FILES)
def test_an_entry_missing_a_file_is_absent_and_replaced_by_the_next_save(tmp_path, lost, capfd):
    store, cfg = saved(tmp_path)
    folder = store.path(cfg)
    (folder / lost).unlink()
    assert not store.has(cfg)
    assert store.save(cfg, {"bits": 4.0}, [], {"w": torch.ones(3)}) == folder
    assert store.has(cfg) and store.load(cfg)["metrics"] == {"bits": 4.0}
    torch.testing.assert_close(store.load_weights(cfg)["w"], torch.ones(3))
    # the damaged copy is set aside, not deleted, and one line says so
    aside = list((store.root / ".damaged").iterdir())
    assert len(aside) == 1 and not (aside[0] / lost).exists() and aside[0].name.startswith(folder.name)
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(folder) in err[0] and lost in err[0] and str(aside[0]) in err[0]


def test_a_sweep_retrains_a_run_whose_metrics_went_missing_and_reads_it_after(tmp_path, capfd):
    run = tiny_run()
    first = run_sweep([run], tmp_path, executor=ThreadPoolExecutor(1), progress=False)
    store = RunStore(tmp_path)
    (store.path(run.to_dict()) / "metrics.json").unlink()
    for _ in range(2):  # repaired once, for good
        again = run_sweep([run], tmp_path, executor=ThreadPoolExecutor(1), progress=False)
        assert again.metrics[0]["memorized_bits"] == first.metrics[0]["memorized_bits"]
    assert again.trained == 0 and again.reused == 1
    assert "metrics.json" in capfd.readouterr().err


def test_a_good_entry_is_kept_when_saved_again(tmp_path):
    store, cfg = saved(tmp_path)
    store.save(cfg, {"bits": 9.0}, [], {"w": torch.zeros(2)})
    assert store.load(cfg)["metrics"] == {"bits": 3.5}
    assert not (store.root / ".damaged").exists()


# --- damaged files are an error naming the folder, the file and the fix --------------------------------------------

def test_weights_changed_in_the_middle_are_refused_by_name(tmp_path):
    store, cfg = saved(tmp_path)
    folder = store.path(cfg)
    overwrite_middle(folder / "model.safetensors")
    with pytest.raises(DamagedRun) as err:
        store.load_weights(cfg)
    msg = str(err.value)
    assert str(folder) in msg and "model.safetensors" in msg and "sha256" in msg and "delete" in msg
    assert "\n" not in msg and isinstance(err.value, KeyError)


def test_a_damaged_model_is_not_loaded_into_a_chapter(tmp_path):
    run = tiny_run()
    run_sweep([run], tmp_path, executor=ThreadPoolExecutor(1), progress=False)
    overwrite_middle(RunStore(tmp_path).path(run.to_dict()) / "model.safetensors")
    with pytest.raises(DamagedRun, match="model.safetensors"):
        load_model(RunStore(tmp_path), run)


@pytest.mark.parametrize("name", ["metrics.json", "curve.json", "config.json"])
def test_garbled_json_is_refused_by_name(tmp_path, name):
    store, cfg = saved(tmp_path)
    path = store.path(cfg) / name
    path.write_bytes(path.read_bytes().replace(b"{", b"[", 1))  # same size, no longer the stored file
    with pytest.raises(DamagedRun, match=rf"{store.path(cfg)}.*{name}"):
        store.load(cfg)
    if name != "curve.json":  # what the iteration reads
        with pytest.raises(DamagedRun, match=name):
            list(store)


def test_truncated_weights_are_absent_and_named(tmp_path):
    store, cfg = saved(tmp_path)
    path = store.path(cfg) / "model.safetensors"
    path.write_bytes(path.read_bytes()[:-10])
    assert not store.has(cfg)
    with pytest.raises(DamagedRun, match=rf"{path.parent}.*model.safetensors"):
        store.load_weights(cfg)


def test_every_stored_file_has_its_sha256_in_the_manifest(tmp_path):
    store, cfg = saved(tmp_path)
    folder = store.path(cfg)
    manifest = json.loads((folder / "checksums.json").read_text())
    import hashlib

    assert sorted(manifest["files"]) == sorted(FILES)
    for name, entry in manifest["files"].items():
        data = (folder / name).read_bytes()
        assert entry == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_an_entry_stored_before_checksums_is_accepted_when_it_parses(tmp_path):
    store, cfg = saved(tmp_path)
    folder = store.path(cfg)
    (folder / "checksums.json").unlink()  # as every run stored before checksums were recorded
    assert store.has(cfg) and store.load(cfg)["metrics"] == {"bits": 3.5}
    assert (folder / "checksums.json").exists()  # recorded now, so later damage is caught
    overwrite_middle(folder / "model.safetensors")
    with pytest.raises(DamagedRun):
        store.load_weights(cfg)


@pytest.mark.parametrize("name", ["metrics.json", "config.json", "model.safetensors"])
def test_an_old_entry_that_does_not_parse_is_absent(tmp_path, name):
    store, cfg = saved(tmp_path)
    folder = store.path(cfg)
    (folder / "checksums.json").unlink()
    path = folder / name
    path.write_bytes(path.read_bytes()[:-3])
    assert not store.has(cfg)
    with pytest.raises(DamagedRun, match=name):
        store.load(cfg) if name != "model.safetensors" else store.load_weights(cfg)


def test_has_checks_sizes_and_reading_checks_hashes(tmp_path, monkeypatch):
    """has() runs before every run of every sweep: a few stat calls, no hashing (measured: tens of microseconds a
    run); a read hashes only the files it reads."""
    from memcap.infra import manifest

    store, cfg = saved(tmp_path)
    hashed = []
    monkeypatch.setattr(manifest, "sha256_file", lambda path: hashed.append(path.name) or "0" * 64)
    assert store.has(cfg) and hashed == []
    with pytest.raises(DamagedRun, match="config.json"):  # every hash now looks wrong: the read sees it
        store.load(cfg)
    hashed.clear()
    with pytest.raises(DamagedRun, match="model.safetensors"):
        store.load_weights(cfg)
    assert hashed == ["model.safetensors"]


# --- the store folder is checked before anything trains ------------------------------------------------------------

def _count_executions(monkeypatch) -> list:
    calls = []
    original = CapacityRun.execute

    def counted(self, *a, **k):
        calls.append(self.label)
        return original(self, *a, **k)

    monkeypatch.setattr(CapacityRun, "execute", counted)
    return calls


@pytest.mark.parametrize("where", ["a file", "under a file"])
def test_a_store_that_is_no_folder_fails_before_training(tmp_path, monkeypatch, where):
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    root = afile if where == "a file" else afile / "store"
    calls = _count_executions(monkeypatch)
    with pytest.raises(OSError) as err:
        run_sweep([tiny_run()], root, executor=ThreadPoolExecutor(1), progress=False)
    assert calls == [] and str(afile) in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(OSError, match=str(afile)):
        RunStore(root).check(writable=False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions")
def test_an_unwritable_store_fails_before_training(tmp_path, monkeypatch):
    root = tmp_path / "store"
    root.mkdir()
    root.chmod(0o555)
    calls = _count_executions(monkeypatch)
    try:
        with pytest.raises(PermissionError, match=str(root)):
            run_sweep([tiny_run()], root, executor=ThreadPoolExecutor(1), progress=False)
        RunStore(root).check(writable=False)  # a complete shared store may be read-only: readers need no write
    finally:
        root.chmod(0o755)
    assert calls == []


def test_a_chapter_checks_its_store_folder_at_start(tmp_path):
    from memcap.book.chapters import start

    afile = tmp_path / "afile"
    afile.write_text("")
    with pytest.raises(OSError, match=str(afile)):
        start("capacity", scale="smoke", seed=0, device="cpu", output_dir=str(tmp_path / "out"),
              store_dir=str(afile / "store"), quiet=True)


# --- two processes on one store train a run once -------------------------------------------------------------------

def _sweep_in_another_process(root: str, log: str, out: str, barrier) -> None:
    from memcap.engine import runs

    original = runs.CapacityRun.execute

    def counted(self, *a, **k):
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(1.0)  # the other process reaches this run meanwhile
        return original(self, *a, **k)

    runs.CapacityRun.execute = counted
    barrier.wait()
    report = run_sweep([tiny_run()], root, executor=ThreadPoolExecutor(1), progress=False)
    Path(out).write_text(json.dumps(report.metrics))


def test_two_processes_on_one_store_train_a_run_once(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    log = tmp_path / "trained.log"
    procs = [ctx.Process(target=_sweep_in_another_process,
                         args=(str(tmp_path / "store"), str(log), str(tmp_path / f"out{i}.json"), barrier))
             for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(300)
        assert p.exitcode == 0
    assert len(log.read_text().split()) == 1  # the second waited for the first's run and read it
    a, b = (json.loads((tmp_path / f"out{i}.json").read_text()) for i in range(2))
    assert a == b


def _hold_lock(root: str, ready) -> None:
    with RunStore(root).lock({"a": 1}):
        ready.set()
        time.sleep(300)


def test_a_killed_holder_releases_its_lock(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(tmp_path), ready))
    holder.start()
    try:
        assert ready.wait(120)
        store = RunStore(tmp_path)
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(lambda: store.lock({"a": 1}).__enter__())
            time.sleep(0.5)
            assert not waiting.done()  # held by the other process
            os.kill(holder.pid, signal.SIGKILL)
            waiting.result(timeout=30)  # the kernel releases a dead process's lock
    finally:
        holder.kill()
        holder.join()


# --- what the store writes others can read --------------------------------------------------------------------------

@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_stored_files_are_readable_by_others(tmp_path, umask022):
    store, cfg = saved(tmp_path)
    folder = store.path(cfg)
    for path in [store.root, folder.parent, folder]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o755, path
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    results = tmp_path / "out" / "results.json"
    write_json_atomic(results, {"a": 1})  # the chapters' results.json and the store's derived measures
    assert stat.S_IMODE(results.stat().st_mode) == 0o644


def test_a_private_umask_is_respected(tmp_path):
    old = os.umask(0o077)
    try:
        store, cfg = saved(tmp_path)
        write_json_atomic(tmp_path / "r.json", {})
    finally:
        os.umask(old)
    assert stat.S_IMODE((store.path(cfg) / "model.safetensors").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o600

