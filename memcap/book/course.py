"""The nbgrader course made from the chapters: instructor and student versions of each chapter's exercises, the
parameters an assignment was made with, and the instructor's marks of written answers.

:func:`make_assignments` writes an nbgrader course folder (the ``nbgrader`` command line works in it too)::

    <course>/nbgrader_config.py                   course id, execution time limit
    <course>/source/<chapter>/<chapter>.ipynb     instructor version: solutions, hidden tests, parameters set
    <course>/release/<chapter>/<chapter>.ipynb    student version (nbgrader generate_assignment)
    <course>/gradebook.db                         graded cells, points and hidden tests, for the autograder

and refuses a student version that contains any line found only in solutions or hidden tests
(:func:`~memcap.book.exercises.leaked_lines`). :func:`memcap.book.grading.grade` autogrades one handed-in
notebook, contained by :mod:`memcap.book.sandbox`; :func:`written_answers` and :func:`mark` are the instructor's
side of the written answers.

    >>> _check_student("s1")
    >>> _check_student("../x")
    Traceback (most recent call last):
    ...
    ValueError: student must be letters, digits, '-' or '_', got student='../x'
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from memcap.book.chapters import CHAPTERS, Chapter, get_chapter
from memcap.book.exercises import (BEGIN_SOLUTION, END_SOLUTION, TEXT_STUB, AssignmentError, Exercise, _nbgrader,
                                   _regions, exercises, leaked_lines)

COURSE_ID = "memcap"
MIN_EXERCISES = 3
CELL_TIMEOUT_SECONDS = 7200  # per cell, for nbgrader's own commands (`memcap grade` sets its own limits)

_CONFIG = f'''# nbgrader settings for the memcap chapters (written by `memcap assign`).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "{COURSE_ID}"
# a chapter trains models: give each cell far more than nbgrader's default 30 seconds
c.Execute.timeout = {CELL_TIMEOUT_SECONDS}
'''



def instructor_notebook(chapter: str | Chapter, scale: str = "smoke", parameters: Mapping[str, Any] | None = None):
    """The chapter as an nbgrader source notebook: its parameters set to ``scale`` (and ``parameters``) in a cell
    papermill-style after the ``parameters`` cell, its exercises checked by :func:`exercises`."""
    from papermill.parameterize import parameterize_notebook

    from memcap.book.execute import check_parameters, check_values, parameter_names, read_chapter

    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    ch.check_scale(scale)
    nb = read_chapter(ch)
    params = {"scale": scale, **dict(parameters or {})}
    known = parameter_names(nb)
    check_parameters(ch, known, params)
    check_values(ch, known, params, here=False)  # written into the students' notebooks: their machines, not this one
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


def _course(course_dir: str | Path, ch: Chapter) -> Path:
    course = Path(course_dir).resolve()
    if not (course / "gradebook.db").exists() or not (course / "source" / ch.name).is_dir():
        raise AssignmentError(f"{course} holds no assignment for {ch.name}: run `memcap assign {ch.number}` first")
    return course


def _check_student(student: str) -> None:
    if not student or not student.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"student must be letters, digits, '-' or '_', got student={student!r}")


def assignment_parameters(chapter: str | Chapter, course_dir: str | Path = "build/classroom") -> dict[str, Any]:
    """The parameters the assignment of ``chapter`` was made with (its instructor version's injected cell)."""
    import ast

    import nbformat

    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    course = _course(course_dir, ch)
    nb = nbformat.read(course / "source" / ch.name / f"{ch.name}.ipynb", as_version=4)
    params: dict[str, Any] = {}
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    params[node.targets[0].id] = ast.literal_eval(node.value)
    return params


def _error_text(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            value = out.get("evalue", "").strip()
            return f"{out.get('ename', 'Error')}: {value}" if value else out.get("ename", "Error")
    return None


def _scores(ch: Chapter, course: Path, student: str, found: list[Exercise], reasons: Mapping[str, str]):
    import pandas as pd
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=COURSE_ID) as gb:
        try:
            graded = gb.find_submission_notebook(ch.name, ch.name, student)
        except MissingEntry:
            raise AssignmentError(f"the gradebook has no graded submission of {ch.name} by {student}") from None
        scores = {g.name: (g.manual_score if g.manual_score is not None else g.auto_score, float(g.max_score),
                           g.manual_score is None and g.auto_score is not None)
                  for g in graded.grades}
    rows = []
    for ex in found:
        score, max_score, by_nbgrader = scores.get(ex.grade_id, (None, ex.points, False))
        if ex.manual and score is None:
            why = f"written answer: awaits your mark (`memcap mark {ch.number} {student} {ex.grade_id} POINTS`)"
        elif ex.manual and by_nbgrader:
            why = f"written answer left as {TEXT_STUB!r}: nbgrader gives it {score:g}"
        else:
            why = reasons.get(ex.grade_id, "")
        rows.append(dict(exercise=ex.grade_id, kind=ex.kind, score=math.nan if score is None else float(score),
                         max_score=max_score, feedback=why))
    return pd.DataFrame(rows, columns=["exercise", "kind", "score", "max_score", "feedback"])


def written_answers(chapter: str | Chapter, student: str, course_dir: str | Path = "build/classroom"):
    """The written answers ``student`` handed in for ``chapter``, each beside the model answer and rubric of the
    instructor version and the mark given so far: a table (``exercise``, ``points``, ``student_answer``,
    ``rubric``, ``mark``)."""
    import nbformat
    import pandas as pd

    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    course = _course(course_dir, ch)
    _check_student(student)
    handed = course / "submitted" / student / ch.name / f"{ch.name}.ipynb"
    if not handed.exists():
        raise AssignmentError(f"nothing of {student} for {ch.name} in {course}: grade it first "
                              f"(`memcap grade {ch.number} NOTEBOOK --student {student}`)")
    source = nbformat.read(course / "source" / ch.name / f"{ch.name}.ipynb", as_version=4)
    theirs = {_nbgrader(c).get("grade_id"): c.source for c in nbformat.read(handed, as_version=4).cells if _nbgrader(c)}
    rubric = {_nbgrader(c).get("grade_id"): "\n".join(_regions(c.source, BEGIN_SOLUTION, END_SOLUTION)[0]).strip()
              for c in source.cells if _nbgrader(c)}
    found = [e for e in exercises(source, ch.name) if e.manual]
    marks = _scores(ch, course, student, found, {}).set_index("exercise").score if found else {}
    rows = [dict(exercise=e.grade_id, points=e.points, student_answer=theirs.get(e.grade_id, "").strip(),
                 rubric=rubric[e.grade_id], mark=marks[e.grade_id]) for e in found]
    return pd.DataFrame(rows, columns=["exercise", "points", "student_answer", "rubric", "mark"])


def mark(chapter: str | Chapter, student: str, exercise: str, points: float,
         course_dir: str | Path = "build/classroom") -> float:
    """Give ``points`` to ``student``'s written answer ``exercise`` of ``chapter`` (after :func:`grade`); returns the
    student's new total for the chapter. The mark is nbgrader's manual score, so nbgrader's formgrader and
    ``nbgrader export`` see it too."""
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry

    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    course = _course(course_dir, ch)
    _check_student(student)
    written = {e.grade_id: e for e in exercises(nbformat.read(course / "source" / ch.name / f"{ch.name}.ipynb",
                                                             as_version=4), ch.name) if e.manual}
    if exercise not in written:
        raise ValueError(f"{ch.name} has no written answer {exercise!r}; its written answers: {sorted(written)}")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 <= points <= written[exercise].points:
        raise ValueError(f"points must be a number from 0 to {written[exercise].points:g} for {exercise}, "
                         f"got points={points!r}")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=COURSE_ID) as gb:
        try:
            g = gb.find_grade(exercise, ch.name, ch.name, student)
        except MissingEntry:
            raise AssignmentError(f"no graded submission of {ch.name} by {student}: run `memcap grade "
                                  f"{ch.number} NOTEBOOK --student {student}` first") from None
        g.manual_score = float(points)
        gb.db.commit()
        return float(gb.find_submission_notebook(ch.name, ch.name, student).score)
