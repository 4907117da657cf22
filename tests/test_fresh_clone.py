"""benchmarks/fresh_clone.py, which times the README's two commands from a fresh clone: here on a tiny repository
whose Makefile stands in for the project's (the real targets take minutes to hours)."""

import importlib.util
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "fresh_clone.py"
spec = importlib.util.spec_from_file_location("fresh_clone", SCRIPT)
fresh_clone = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fresh_clone)

MAKEFILE = """\
book:
\t@echo "[1/2] 01_memorization done in 4.9 s -> build/smoke/01_memorization.ipynb"
\t@echo "[1/2] 01_memorization done in 6.5 s -> build/default/01_memorization.ipynb"
\t@echo "[2/2] 02_capacity done in 1100.0 s -> build/default/02_capacity.ipynb"
test:
\t@test -f committed.txt
\t@! test -f uncommitted.txt
\t@exit 3
"""


def _commit_all(root: Path) -> None:
    """Make ``root`` a git repository whose one commit holds every file in it."""
    for cmd in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x"]):
        subprocess.run(["git", *cmd], cwd=root, check=True)


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Makefile").write_text(MAKEFILE)
    (root / "committed.txt").write_text("in the commit\n")
    _commit_all(root)
    (root / "uncommitted.txt").write_text("not in the commit\n")
    return root


def test_book_is_timed_in_a_fresh_clone_with_each_chapters_seconds(repo, tmp_path, capsys):
    record_file = tmp_path / "times.jsonl"
    status = fresh_clone.main(["--target", "book", "--repo", str(repo), "--workdir", str(tmp_path / "w"),
                               "--record", str(record_file)])
    assert status == 0
    (record,) = [json.loads(line) for line in record_file.read_text().splitlines()]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    assert record["target"] == "book" and record["commit"] == head and record["status"] == 0
    assert record["seconds"] >= 0 and record["cores"] >= 1
    assert record["chapters"] == {"smoke": {"01_memorization": 4.9},
                                  "default": {"01_memorization": 6.5, "02_capacity": 1100.0}}
    assert (tmp_path / "w" / "book" / "Makefile").exists()
    out = capsys.readouterr().out
    assert f"| `make book` | {head[:7]} |" in out and "passed" in out


def test_a_failed_target_is_recorded_and_returned_and_the_clone_holds_only_the_commit(repo, tmp_path, capsys):
    # the Makefile's test target reaches its `exit 3` (make then reports "Error 3" and exits 2) only where the clone
    # has the committed file and not the uncommitted one
    status = fresh_clone.main(["--target", "test", "--repo", str(repo), "--workdir", str(tmp_path / "w"),
                               "--record", str(tmp_path / "t.jsonl")])
    record = json.loads((tmp_path / "t.jsonl").read_text())
    assert status == record["status"] != 0
    assert "Error 3" in (tmp_path / "w" / "test.log").read_text()
    out = capsys.readouterr()
    assert "failed (exit status" in out.out and "uncommitted changes" in out.err


def test_bad_input_is_named(repo, tmp_path, capsys):
    with pytest.raises(SystemExit):
        fresh_clone.main(["--target", "book", "--repo", str(tmp_path)])
    assert f"--repo {tmp_path} is not a git repository" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        fresh_clone.main(["--target", "book", "--repo", str(repo), "--rev", "no-such-rev"])
    assert "--rev 'no-such-rev' names no commit" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        fresh_clone.main(["--target", "docs", "--repo", str(repo)])
    assert "invalid choice: 'docs'" in capsys.readouterr().err
    (tmp_path / "w" / "book").mkdir(parents=True)
    with pytest.raises(SystemExit):  # found before any target starts
        fresh_clone.main(["--target", "test", "--target", "book", "--repo", str(repo),
                          "--workdir", str(tmp_path / "w")])
    assert f"--workdir {tmp_path / 'w'} already holds book" in capsys.readouterr().err
    assert not (tmp_path / "w" / "test").exists()


def test_the_log_parser_reads_each_chapters_line():
    import doctest

    assert doctest.testmod(fresh_clone).failed == 0


def test_a_target_past_its_timeout_is_stopped_with_status_124(tmp_path):
    root = tmp_path / "slow"
    root.mkdir()
    marker = f"memcap-fresh-clone-test-{os.getpid()}"  # names this test's child alone
    (root / "Makefile").write_text(f"test:\n\t@bash -c 'exec -a {marker} sleep 30'\n")
    _commit_all(root)
    commit = fresh_clone.commit_of(root, "HEAD")
    record = fresh_clone.measure(root, commit, "test", tmp_path / "w", timeout=1)
    assert record["status"] == 124 and record["seconds"] < 30
    # make's child went with it (a signal's delivery takes a moment)
    deadline = time.monotonic() + 10
    while (left := subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()):
        assert time.monotonic() < deadline, f"processes left running: {left}"
        time.sleep(0.1)
