"""Assignments from the chapters: student versions of the exercises and their autograder, through nbgrader.

Every chapter ends with exercises marked in its source the way nbgrader reads them (cell metadata ``nbgrader``):

* an **answer cell** (``solution: true``) holds the reference solution between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``; the student version replaces it by ``raise NotImplementedError()``;
* a **graded cell** (``grade: true``, ``grade_id`` ``ex1``, ``ex2``, ..., ``points``) holds checks; those between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` are removed from the student version and put back by
  the autograder.

:func:`make_assignments` writes an nbgrader course folder (the ``nbgrader`` command line works in it too)::

    <course>/nbgrader_config.py                   course id, execution time limit
    <course>/source/<chapter>/<chapter>.ipynb     instructor version: solutions, hidden tests, parameters set
    <course>/release/<chapter>/<chapter>.ipynb    student version (nbgrader generate_assignment)
    <course>/gradebook.db                         graded cells, points and hidden tests, for the autograder

and refuses a student version that contains any line found only in solutions or hidden tests
(:func:`leaked_lines`). :func:`grade` autogrades one handed-in notebook and returns a score per exercise.

A handed-in notebook runs the whole chapter at the scale it was made for, so grade at ``smoke`` unless the
instructor has pointed ``store_dir`` at a store that already holds the chapter's runs.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memcap.book.chapters import CHAPTERS, RESULTS_FILE, Chapter, get_chapter

COURSE_ID = "memcap"
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MIN_EXERCISES = 3
CELL_TIMEOUT_SECONDS = 7200  # per cell, when the autograder runs a chapter (default scale takes minutes a cell)

_CONFIG = f'''# nbgrader settings for the memcap chapters (written by `memcap assign`).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "{COURSE_ID}"
# a chapter trains models: give each cell far more than nbgrader's default 30 seconds
c.Execute.timeout = {CELL_TIMEOUT_SECONDS}
'''


@dataclass(frozen=True)
class Exercise:
    """One graded cell of a chapter and the answer cells before it."""

    grade_id: str
    points: float
    answer_ids: tuple[str, ...]


class AssignmentError(RuntimeError):
    """Making or grading an assignment failed; the message says which chapter and why."""


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def exercises(nb, name: str = "notebook") -> list[Exercise]:
    """The exercises of a chapter notebook, checked: unique ids, solutions and hidden tests properly delimited,
    every answer cell followed by a graded cell, points positive.

        >>> import nbformat
        >>> meta = lambda **k: {"nbgrader": {"schema_version": 3, "locked": False, "task": False, **k}}
        >>> nb = nbformat.v4.new_notebook(cells=[
        ...     nbformat.v4.new_code_cell("### BEGIN SOLUTION\\nx = 1\\n### END SOLUTION",
        ...                               metadata=meta(solution=True, grade=False, grade_id="ex1-answer")),
        ...     nbformat.v4.new_code_cell("assert x == 1", metadata=meta(solution=False, grade=True, grade_id="ex1",
        ...                                                              points=2))])
        >>> exercises(nb)
        [Exercise(grade_id='ex1', points=2.0, answer_ids=('ex1-answer',))]
    """
    found, pending, seen = [], [], set()
    for i, cell in enumerate(nb.cells):
        meta = _nbgrader(cell)
        if not meta:
            continue
        gid = meta.get("grade_id")
        where = f"{name}, cell {i} ({gid or 'no grade_id'})"
        if not gid or gid in seen:
            raise AssignmentError(f"{where}: every nbgrader cell needs a unique grade_id")
        seen.add(gid)
        text = cell.source
        if meta.get("solution"):
            if cell.cell_type == "code" and (text.count(BEGIN_SOLUTION) != 1 or text.count(END_SOLUTION) != 1
                                             or text.index(BEGIN_SOLUTION) > text.index(END_SOLUTION)):
                raise AssignmentError(f"{where}: an answer cell needs one {BEGIN_SOLUTION} ... {END_SOLUTION} region")
            pending.append(gid)
        if meta.get("grade"):
            points = meta.get("points")
            if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
                raise AssignmentError(f"{where}: a graded cell needs positive points, got points={points!r}")
            if text.count(BEGIN_HIDDEN) != text.count(END_HIDDEN):
                raise AssignmentError(f"{where}: unbalanced {BEGIN_HIDDEN} / {END_HIDDEN}")
            if not pending:
                raise AssignmentError(f"{where}: a graded cell must follow the answer cell it checks")
            found.append(Exercise(gid, float(points), tuple(pending)))
            pending = []
    if pending:
        raise AssignmentError(f"{name}: answer cell(s) {pending} have no graded cell after them")
    return found


def _regions(text: str, begin: str, end: str) -> tuple[list[str], list[str]]:
    """Lines inside and outside the ``begin``/``end`` regions of a cell's source (markers dropped)."""
    inside, outside, depth = [], [], 0
    for line in text.splitlines():
        marker = line.strip()
        if marker == begin:
            depth += 1
        elif marker == end:
            depth -= 1
        else:
            (inside if depth > 0 else outside).append(line)
    return inside, outside


def secret_lines(nb) -> set[str]:
    """Lines (stripped, non-empty) that occur only inside solutions or hidden tests of an instructor notebook."""
    secret, public = set(), set()
    for cell in nb.cells:
        text = cell.source
        if _nbgrader(cell).get("solution"):
            inside, outside = _regions(text, BEGIN_SOLUTION, END_SOLUTION)
        elif _nbgrader(cell).get("grade"):
            inside, outside = _regions(text, BEGIN_HIDDEN, END_HIDDEN)
        else:
            inside, outside = [], text.splitlines()
        secret.update(s for s in (line.strip() for line in inside) if s)
        public.update(s for s in (line.strip() for line in outside) if s)
    return secret - public


def leaked_lines(instructor_nb, student_nb) -> list[str]:
    """The lines of :func:`secret_lines` that appear in the student notebook (should be none)."""
    secret = secret_lines(instructor_nb)
    shown = {line.strip() for cell in student_nb.cells for line in cell.source.splitlines()}
    return sorted(secret & shown)


def instructor_notebook(chapter: str | Chapter, scale: str = "smoke", parameters: Mapping[str, Any] | None = None):
    """The chapter as an nbgrader source notebook: its parameters set to ``scale`` (and ``parameters``) in a cell
    papermill-style after the ``parameters`` cell, its exercises checked by :func:`exercises`."""
    from papermill.parameterize import parameterize_notebook

    from memcap.book.execute import check_parameters, parameter_names, read_chapter

    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    ch.check_scale(scale)
    nb = read_chapter(ch)
    params = {"scale": scale, **dict(parameters or {})}
    check_parameters(ch, parameter_names(nb), params)
    found = exercises(nb, ch.name)
    if len(found) < MIN_EXERCISES:
        raise AssignmentError(f"chapter {ch.name} has {len(found)} graded exercises; at least {MIN_EXERCISES} expected")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("jupytext", None)
    nb.metadata["papermill"] = {}
    for cell in nb.cells:  # papermill looks the parameters cell up by its tags
        cell.metadata.setdefault("tags", [])
    nb = parameterize_notebook(nb, params, kernel_name="python3", language="python")
    for cell in nb.cells:
        if not cell.metadata.get("tags"):
            cell.metadata.pop("tags", None)
    nb.metadata.pop("papermill", None)
    return nb


def _api(course_dir: Path):
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    # nbgrader runs its database migrations through the `alembic` executable of the running environment
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    config = Config()
    config.CourseDirectory.root = str(course_dir)
    config.CourseDirectory.course_id = COURSE_ID
    config.Execute.timeout = CELL_TIMEOUT_SECONDS
    return NbGraderAPI(config=config)


def make_assignments(
    chapters: Iterable[str] | None = None,
    course_dir: str | Path = "build/classroom",
    *,
    scale: str = "smoke",
    parameters: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write instructor and student versions of the chapters (all when ``chapters`` is None) into an nbgrader
    course folder; returns the student notebooks. Raises :class:`AssignmentError` if a student version would
    show any solution or hidden-test line."""
    import nbformat

    selected = list(CHAPTERS) if chapters is None else [get_chapter(c) for c in chapters]
    sources = {ch.name: instructor_notebook(ch, scale, parameters) for ch in selected}  # validate all first
    course = Path(course_dir).resolve()
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(_CONFIG)
    api = _api(course)
    released = []
    for name, nb in sources.items():
        src = course / "source" / name / f"{name}.ipynb"
        src.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, src)
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            raise AssignmentError(f"nbgrader could not make the student version of {name}:\n{result.get('log', '')}"
                                  f"{result.get('error', '')}")
        student = course / "release" / name / f"{name}.ipynb"
        leaks = leaked_lines(nb, nbformat.read(student, as_version=4))
        if leaks:
            student.unlink()
            raise AssignmentError(f"the student version of {name} shows solution lines: {leaks[:5]}")
        released.append(student)
    return released


def grade(chapter: str | Chapter, notebook: str | Path, course_dir: str | Path = "build/classroom",
          student: str = "student"):
    """Autograde one handed-in notebook of ``chapter`` for ``student``; returns a table with one row per exercise
    (``exercise``, ``score``, ``max_score``). The graded notebook, with every check's output, is written to
    ``<course>/autograded/<student>/<chapter>/``."""
    import pandas as pd
    from nbgrader.api import Gradebook, MissingEntry

    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    course = Path(course_dir).resolve()
    notebook = Path(notebook)
    if not notebook.is_file():
        raise FileNotFoundError(f"no notebook to grade at {notebook}")
    if not (course / "gradebook.db").exists() or not (course / "source" / ch.name).is_dir():
        raise AssignmentError(f"{course} holds no assignment for {ch.name}: run `memcap assign {ch.number}` first")
    if not student or not student.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"student must be letters, digits, '-' or '_', got student={student!r}")
    target = course / "submitted" / student / ch.name / f"{ch.name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    if notebook.resolve() != target.resolve():
        shutil.copyfile(notebook, target)
    with warnings.catch_warnings():  # nbgrader's gradebook session emits SQLAlchemy warnings on every new student
        warnings.simplefilter("ignore", category=Warning)
        result = _api(course).autograde(ch.name, student, force=True, create=True)
    if not result["success"]:
        raise AssignmentError(f"nbgrader could not grade {notebook} for {ch.name}:\n{result.get('log', '')}"
                              f"{result.get('error', '')}")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=COURSE_ID) as gb:
        try:
            graded = gb.find_submission_notebook(ch.name, ch.name, student)
        except MissingEntry:
            raise AssignmentError(f"the gradebook has no graded submission of {ch.name} by {student}") from None
        rows = [dict(exercise=g.name, score=float(g.score), max_score=float(g.max_score)) for g in graded.grades]
    return pd.DataFrame(rows).sort_values("exercise", key=lambda s: s.map(_exercise_order)).reset_index(drop=True)


def _exercise_order(grade_id: str) -> tuple:
    digits = "".join(c for c in grade_id if c.isdigit())
    return (int(digits) if digits else 0, grade_id)


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


def _minutes(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"
