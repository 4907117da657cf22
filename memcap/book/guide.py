"""The instructor guide's tables: exercises per chapter by kind, and the minutes each chapter and its exercises took
in a build.

    >>> import pandas as pd
    >>> print(kinds_markdown(pd.DataFrame([dict(chapter="01_memorization", computed=2, implemented=1, written=1,
    ...                                         points=6.0)])), end="")
    | chapter | computed | implemented | written | points |
    |---|---|---|---|---|
    | 01_memorization | 2 | 1 | 1 | 6 |
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from memcap.book.chapters import CHAPTERS, RESULTS_FILE, get_chapter
from memcap.book.exercises import KINDS, _nbgrader, exercises

def exercise_counts(chapters: Iterable[str] | None = None):
    """Exercises per chapter by kind (computed, implemented, written) and their points: one row per chapter."""
    import pandas as pd

    from memcap.book.execute import read_chapter

    rows = []
    for ch in (list(CHAPTERS) if chapters is None else [get_chapter(c) for c in chapters]):
        found = exercises(read_chapter(ch), ch.name)
        rows.append({"chapter": ch.name, **{k: sum(e.kind == k for e in found) for k in KINDS},
                     "points": sum(e.points for e in found)})
    return pd.DataFrame(rows, columns=["chapter", *KINDS, "points"])


def exercise_timings(build_dir: str | Path = "build", scales: Iterable[str] | None = None):
    """Seconds per chapter and per chapter's exercises, read from papermill's record in the executed notebooks of
    every scale found in ``build_dir`` (``<build>/<scale>/<chapter>.ipynb``); one row per (scale, chapter)."""
    import nbformat
    import pandas as pd

    from memcap.book.chapters import SCALES

    rows = []
    for scale in scales or SCALES:
        for ch in CHAPTERS:
            path = Path(build_dir) / scale / f"{ch.name}.ipynb"
            if not path.exists():
                continue
            nb = nbformat.read(path, as_version=4)
            durations = [float(c.metadata.get("papermill", {}).get("duration") or 0.0) for c in nb.cells]
            graded = [i for i, c in enumerate(nb.cells) if _nbgrader(c)]
            start = min(graded) if graded else len(nb.cells)
            found = exercises(nb, ch.name)
            results = Path(build_dir) / scale / ch.name / RESULTS_FILE
            counts = json.loads(results.read_text()).get("results", {}) if results.exists() else {}
            rows.append(dict(scale=scale, chapter=ch.name, exercises=len(found), points=sum(e.points for e in found),
                             chapter_seconds=sum(durations), exercise_seconds=sum(durations[start:]),
                             trained=counts.get("trained_this_run"), runs=counts.get("runs_in_chapter")))
    return pd.DataFrame(rows, columns=["scale", "chapter", "exercises", "points", "chapter_seconds", "exercise_seconds",
                                       "trained", "runs"])


def timings_markdown(timings, cores: int | None = None, gpu: bool | None = None) -> str:
    """The instructor's guide table: one row per chapter, whole-chapter and exercise minutes per scale."""
    import pandas as pd

    cores = cores or os.cpu_count() or 1
    if timings.empty:
        return "*No executed chapters were found in this build, so no times can be given.*\n"
    scales = list(dict.fromkeys(timings.scale))
    head = ["chapter", "exercises (points)"] + [f"{s}: chapter, of which exercises" for s in scales]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, rows in timings.groupby("chapter", sort=True):
        first = rows.iloc[0]
        cells = [name, f"{first.exercises} ({first.points:g})"]
        for s in scales:
            r = rows[rows.scale == s]
            if r.empty:
                cells.append("not run in this build")
                continue
            r = r.iloc[0]
            trained = "" if pd.isna(r.runs) else f" ({r.trained:.0f} of {r.runs:.0f} models trained)"
            cells.append(f"{_minutes(r.chapter_seconds)}{trained}, {_minutes(r.exercise_seconds)}")
        lines.append("| " + " | ".join(cells) + " |")
    if gpu is None:
        import torch

        gpu = torch.cuda.is_available()
    machine = f"{cores} CPU cores and " + ("a CUDA GPU" if gpu else "no GPU")
    note = (f"\nMeasured while this book was built, on a machine with {machine}; a student's run of a chapter "
            f"includes everything before its exercises, since they use its results. Where fewer models were trained "
            f"than the chapter uses, the others came from the run store; a student who starts with an empty store "
            f"trains them all, which is what the chapter's first run costs.\n")
    return "\n".join(lines) + "\n" + note


def kinds_markdown(counts) -> str:
    """The instructor's guide table of :func:`exercise_counts`: exercises per chapter by kind, and points."""
    head = ["chapter", *KINDS, "points"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in counts.itertuples(index=False):
        lines.append("| " + " | ".join([row.chapter, *(str(getattr(row, k)) for k in KINDS), f"{row.points:g}"])
                     + " |")
    return "\n".join(lines) + "\n"


def _minutes(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"
