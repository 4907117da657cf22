"""Benchmark: how long `memcap grade` takes for one student, per chapter, at one scale.

Not a test: it makes the assignments in a scratch course folder, grades the reference solutions (a student who
answers everything) of each chapter once, and prints the wall time per chapter. At ``default`` pass the
instructor's store (``--store``), which must hold every run of the chapters at that scale (``make book`` fills
``build/store``); grading then reads the models instead of training them, as ``memcap grade --store`` does.

    .venv/bin/python benchmarks/grading.py --scale smoke
    .venv/bin/python benchmarks/grading.py --scale default --store build/store
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from memcap.book.chapters import CHAPTERS, get_chapter
from memcap.book.course import make_assignments
from memcap.book.grading import grade


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("chapters", nargs="*", help="chapter names or numbers (default: all)")
    ap.add_argument("--scale", default="smoke")
    ap.add_argument("--store", default=None, help="the instructor's run store (needed at default and paper)")
    args = ap.parse_args()
    selected = [get_chapter(c) for c in args.chapters] or list(CHAPTERS)
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        make_assignments([c.name for c in selected], course, scale=args.scale)
        print(f"grading one student (the reference answers) at scale {args.scale}"
              + (f", models from {args.store}" if args.store else ", models trained by the graded notebook"))
        print(f"{'chapter':18s} {'seconds':>8s}  score")
        for ch in selected:
            store = args.store  # chapter 1 trains nothing and ignores it
            t0 = time.perf_counter()
            scores = grade(ch, course / "source" / ch.name / f"{ch.name}.ipynb", course, student="timing", store=store)
            seconds = time.perf_counter() - t0
            auto = scores[scores.kind != "written"]
            print(f"{ch.name:18s} {seconds:8.1f}  {auto.score.sum():g} / {auto.max_score.sum():g} auto-graded, "
                  f"{int((scores.kind == 'written').sum())} written awaiting a mark", flush=True)


if __name__ == "__main__":
    main()
