"""Claims that can fail: with the engine broken on purpose, every chapter that trains models must fail its smoke run
on one of its claims (an assertion whose message starts with "claim:"), and name it.

Chapter 1 is not among them: it trains no network (its models are counted n-grams and exact distributions), so
none of these breaks reaches it.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BREAKS = ("lr0", "fresh", "nats")
CHAPTERS = ("02_capacity", "03_knowledge", "04_precision", "05_membership", "06_text", "07_architecture")
HOOK = Path(__file__).parent / "broken_engine"


def _run_broken(chapter: str, break_: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MEMCAP_TEST_BREAK=break_,
               PYTHONPATH=os.pathsep.join(filter(None, [str(HOOK), os.environ.get("PYTHONPATH", "")])))
    cmd = [sys.executable, "-m", "memcap.book.cli", "run", chapter, "--scale", "smoke", "--no-progress",
           "--build-dir", str(tmp_path / "build"), "-p", "store_dir", str(tmp_path / "store")]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)


def test_the_hook_rejects_an_unknown_break(tmp_path):
    env = dict(os.environ, MEMCAP_TEST_BREAK="typo", PYTHONPATH=str(HOOK))
    proc = subprocess.run([sys.executable, "-c", "pass"], env=env, capture_output=True, text=True)
    assert "MEMCAP_TEST_BREAK='typo'" in proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("break_", BREAKS)
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_broken_engine_fails_a_named_claim(chapter, break_, tmp_path):
    proc = _run_broken(chapter, break_, tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"{chapter} passed every claim with the engine broken ({break_}):\n{out[-3000:]}"
    assert "AssertionError: claim:" in out, f"{chapter} failed, but not on a claim ({break_}):\n{out[-3000:]}"
    failed = [line for line in out.splitlines() if "AssertionError: claim:" in line]
    print(f"{chapter} with {break_}: {failed[0].split('AssertionError: ')[-1]}")
