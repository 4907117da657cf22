"""Each chapter's time, cold and warm, from the results.json files of finished runs (the tables in RESULTS.md).

A chapter's ``results.json`` records how long the chapter ran (``elapsed_seconds``, from its set-up cell to its
results: the kernel's start and the imports aside), how many runs it trained and how many it has, and the commit. Give the build folders of a cold run (an
empty store, or only earlier chapters' runs in it) and of a warm re-run (the same store):

    python benchmarks/chapter_times.py --cold build-cold/default --warm build/default
    python benchmarks/chapter_times.py --cold build-cold/default                 # cold times alone

Folders may hold chapters' folders directly (``<dir>/<chapter>/results.json``); a chapter missing from one of them
is shown as not measured.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from memcap.book.chapters import CHAPTERS
from memcap.book.headlines import load


def read(folder: str | Path | None) -> dict[str, dict]:
    """The chapters' results.json in ``folder`` (``<folder>/<chapter>/results.json``), read as the results table reads
    a build's."""
    if folder is None:
        return {}
    folder = Path(folder)
    return load(folder.parent, folder.name)


def _cell(data: dict | None) -> str:
    if data is None:
        return "not measured"
    r = data["results"]
    trained = f", {r['trained_this_run']} of {r['runs_in_chapter']} runs trained" if "runs_in_chapter" in r else ""
    seconds = data["elapsed_seconds"]
    return (f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.0f} s") + trained


def table(cold: dict, warm: dict) -> str:
    lines = ["| chapter | cold (first run) | warm (re-run) | commit, date |", "|---|---|---|---|"]
    for ch in CHAPTERS:
        c, w = cold.get(ch.name), warm.get(ch.name)
        when = "; ".join(f"{d.get('commit') or '?'}, {str(d.get('finished') or '?')[:10]}" for d in (c, w) if d)
        lines.append(f"| {ch.name} | {_cell(c)} | {_cell(w)} | {when} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold", help="the build folder of cold runs (holding <chapter>/results.json)")
    parser.add_argument("--warm", help="the build folder of warm re-runs")
    args = parser.parse_args()
    for option in ("cold", "warm"):
        folder = getattr(args, option)
        if folder is not None and not os.path.isdir(folder):
            parser.error(f"--{option} {folder} is not a folder")
    print(f"{os.cpu_count()} CPU cores")
    print(table(read(args.cold), read(args.warm)))


if __name__ == "__main__":
    main()
