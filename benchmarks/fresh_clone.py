"""The README's two costs as a newcomer meets them: a fresh clone of the repository, then ``make book`` or
``make test`` (each creates the environment first, then fetches the corpus), timed from the clone to the end.

    python3 benchmarks/fresh_clone.py --target test --record benchmarks/fresh_clone.jsonl
    python3 benchmarks/fresh_clone.py --target book --workdir /tmp/book --record benchmarks/fresh_clone.jsonl

Only committed work is cloned (``--rev``, HEAD by default). Each target runs in its own clone under ``--workdir`` (a
new temporary folder by default, kept: the book's HTML is in ``<workdir>/<target>/build``), its output in
``<workdir>/<target>.log``, with no ``MEMCAP_*`` setting of the calling shell. Ctrl-C stops the target and all it
started. Prints one Markdown row per target for benchmarks/RESULTS.md and, with ``--record``,
appends one JSON line per target: the target, commit, date, seconds, exit status, the machine's cores and CPU, and
for ``book`` each chapter's seconds at each scale as its log reports them. Run it on a quiet machine: anything else
running is in the time. Exits with the first failed target's status.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = ("book", "test")
# a chapter's line in the book's log: "[2/8] 02_capacity done in 42.9 s -> <build>/<scale>/02_capacity.ipynb"
DONE = re.compile(r"\] (?P<chapter>\S+) done in (?P<seconds>[0-9.]+) s -> "
                  r".*?(?P<scale>[^/\\]+)[/\\](?P=chapter)\.ipynb")


def chapter_seconds(log: str) -> dict[str, dict[str, float]]:
    """Scale -> chapter -> seconds, from the lines ``memcap run`` and ``memcap book`` log as each chapter ends (the
    last such line wins where a chapter ran twice at one scale).

        >>> chapter_seconds("[1/8] 01_memorization done in 4.9 s -> /b/build/smoke/01_memorization.ipynb\\n"
        ...                 "noise\\n[2/8] 02_capacity done in 1100.5 s -> /b/build/default/02_capacity.ipynb")
        {'smoke': {'01_memorization': 4.9}, 'default': {'02_capacity': 1100.5}}
    """
    out: dict[str, dict[str, float]] = {}
    for m in DONE.finditer(log):
        out.setdefault(m["scale"], {})[m["chapter"]] = float(m["seconds"])
    return out


def machine() -> dict:
    """The CPU cores this process may use and the CPU's model name (where /proc/cpuinfo tells it)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return dict(cores=cores, cpu=model)


def _git(*args: str, cwd: Path | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def commit_of(repo: Path, rev: str) -> str:
    """The full commit ``rev`` names in ``repo``; a clear error when ``repo`` is not a git repository or ``rev`` names
    no commit there."""
    try:
        _git("rev-parse", "--git-dir", cwd=repo)
    except (RuntimeError, OSError):
        raise ValueError(f"--repo {repo} is not a git repository") from None
    try:
        return _git("rev-parse", "--verify", f"{rev}^{{commit}}", cwd=repo)
    except RuntimeError:
        raise ValueError(f"--rev {rev!r} names no commit in {repo}") from None


def measure(repo: Path, commit: str, target: str, workdir: Path, make: str = "make",
            timeout: float | None = None) -> dict:
    """Clone ``repo`` into ``workdir/target``, check out ``commit``, run ``make target`` there (output in
    ``workdir/target.log``) and return the record: seconds from the clone to the end, the exit status (124 when
    ``timeout`` seconds passed first: make and all it started are then stopped) and, from the log, each chapter's
    seconds per scale."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; allowed: {list(TARGETS)}")
    dest, log_path = workdir / target, workdir / f"{target}.log"
    if dest.exists():
        raise FileExistsError(f"{dest} exists: give a --workdir without a '{target}' folder in it")
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    _git("clone", "--quiet", "--no-hardlinks", str(repo), str(dest))
    _git("checkout", "--quiet", commit, cwd=dest)
    # as a newcomer's shell has it: no MEMCAP_* setting of this one (a chapter folder, a data folder, workers)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMCAP_")}
    with open(log_path, "w") as log:
        # its own process group, so that a timeout (or Ctrl-C here) stops make and everything it started
        proc = subprocess.Popen([make, target], cwd=dest, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(proc)
            status = 124
        except BaseException:
            _stop(proc)
            raise
    seconds = time.perf_counter() - t0
    return dict(target=target, commit=commit, started=started.isoformat(timespec="seconds"),
                seconds=round(seconds, 1), status=status, **machine(),
                chapters=chapter_seconds(log_path.read_text(errors="replace")), log=str(log_path))


def _stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Interrupt ``proc``'s process group as Ctrl-C would (the chapters shut their kernels down), then kill what is
    left after ``grace`` seconds."""
    for sig, wait in ((signal.SIGINT, grace), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def row(record: dict) -> str:
    """One Markdown row for benchmarks/RESULTS.md."""
    s = record["seconds"]
    took = f"{s / 3600:.2f} h" if s >= 3600 else f"{s / 60:.1f} min"
    status = "passed" if record["status"] == 0 else f"failed (exit status {record['status']})"
    return (f"| `make {record['target']}` | {record['commit'][:7]} | {record['started'][:10]} | {took} | {status} | "
            f"{record['cores']} cores, {record['cpu'] or 'CPU not known'} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", action="append", choices=TARGETS, required=True,
                        help="what to time: book, test (give it twice for both, each in its own clone)")
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the repository to clone (default: this one)")
    parser.add_argument("--rev", default="HEAD", help="the commit to check out (default: HEAD)")
    parser.add_argument("--workdir", type=Path, help="where the clones and logs go (default: a new temporary folder)")
    parser.add_argument("--record", type=Path, help="append each target's record to this file (JSON lines)")
    parser.add_argument("--make", default="make", help="the make program (default: make)")
    parser.add_argument("--timeout", type=float, help="stop a target after this many seconds (exit status 124)")
    args = parser.parse_args(argv)
    try:
        commit = commit_of(args.repo.resolve(), args.rev)
    except ValueError as e:
        parser.error(str(e))
    if args.timeout is not None and not args.timeout > 0:
        parser.error(f"--timeout must be positive, got {args.timeout}")
    if _git("status", "--porcelain", cwd=args.repo):
        print(f"note: {args.repo} has uncommitted changes or untracked files; the clone has commit {commit[:7]} only",
              file=sys.stderr)
    targets = list(dict.fromkeys(args.target))  # each once, in the order given
    if args.workdir is not None:
        taken = [t for t in targets if (args.workdir / t).exists()]
        if taken:
            parser.error(f"--workdir {args.workdir} already holds {', '.join(taken)}: give a new folder")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="memcap-fresh-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print("| command | commit | date | time | result | machine |\n|---|---|---|---|---|---|")
    first_failure = 0
    for target in targets:
        record = measure(args.repo.resolve(), commit, target, workdir, make=args.make, timeout=args.timeout)
        print(row(record), flush=True)
        for scale, chapters in record["chapters"].items():
            print(f"  {scale}: " + ", ".join(f"{ch} {s:.0f} s" for ch, s in chapters.items()))
        if args.record is not None:
            with open(args.record, "a") as f:
                f.write(json.dumps(record) + "\n")
        first_failure = first_failure or record["status"]
    return first_failure


if __name__ == "__main__":
    sys.exit(main())
