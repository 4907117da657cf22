"""The ``memcap`` command line.

    memcap list                                  the chapters and their scales
    memcap run [CHAPTER ...] [--scale S] [-p NAME VALUE ...]
                                                 execute chapters (all by default) through papermill
    memcap book [--scale S] [--no-execute]       execute every chapter, then build the HTML book
"""

from __future__ import annotations

import argparse
import sys
import time

from .chapters import CHAPTERS, SCALES
from .execute import ChapterFailed, parse_value, run_chapters


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="memcap", description="Run the memcap book's chapters and build the book.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the chapters and their scales")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--scale", default="default", help=f"chapter preset, one of {list(SCALES)} (default: default)")
    common.add_argument("--build-dir", default="build", help="where executed notebooks and results go (default: build)")
    common.add_argument("--no-progress", action="store_true", help="hide papermill's per-cell progress bar")

    run = sub.add_parser("run", parents=[common], help="execute chapters through papermill")
    run.add_argument("chapters", nargs="*", help="chapter names or numbers (default: all), e.g. 1 or 01_memorization")
    run.add_argument(
        "-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="override a chapter parameter, as with papermill (e.g. -p seed 3 -p device cpu)",
    )
    run.add_argument("--keep-going", action="store_true", help="run the remaining chapters after a failure")

    book = sub.add_parser("book", parents=[common], help="execute every chapter and build the HTML book")
    book.add_argument("--no-execute", action="store_true", help="reuse the executed notebooks already in the build folder")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "list":
        for ch in CHAPTERS:
            print(f"{ch.name:24s} {ch.title}  [scales: {', '.join(ch.scales)}]")
        return 0
    t0 = time.perf_counter()
    try:
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
        else:
            from .book import build_book

            index = build_book(args.scale, args.build_dir, execute=not args.no_execute, progress=not args.no_progress)
            print(f"book built: {index}", file=sys.stderr)
    except (ChapterFailed, ValueError, FileNotFoundError, RuntimeError) as err:
        print(f"memcap {args.command}: error: {err}", file=sys.stderr)
        return 1
    print(f"memcap {args.command}: finished in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
