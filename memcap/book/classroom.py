"""Assignments from the chapters: student versions of the exercises and their autograder, through nbgrader.

Every chapter ends with exercises marked in its source the way nbgrader reads them (cell metadata ``nbgrader``):

* an **answer cell** (``solution: true``) holds the reference solution between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``; the student version replaces it by ``raise NotImplementedError()``;
* a **graded cell** (``grade: true``, ``grade_id`` ``ex1``, ``ex2``, ..., ``points``) holds checks; those between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` are removed from the student version and put back by
  the autograder;
* a **written answer** is a Markdown cell that is both (``solution: true, grade: true``): nbgrader's manually graded
  answer. Its model answer and rubric sit between ``BEGIN SOLUTION`` and ``END SOLUTION``; the student version shows
  ``YOUR ANSWER HERE`` in their place, and the instructor gives the points with :func:`mark`.

An exercise is *implemented* when its reference solution defines a function (the checks call it, compare it with the
package and, for "by hand" work, forbid the package function that computes the same: :mod:`memcap.book.checks`),
*computed* when it computes values, *written* when it is a written answer (:func:`exercise_counts`).

:func:`make_assignments` writes an nbgrader course folder (the ``nbgrader`` command line works in it too)::

    <course>/nbgrader_config.py                   course id, execution time limit
    <course>/source/<chapter>/<chapter>.ipynb     instructor version: solutions, hidden tests, parameters set
    <course>/release/<chapter>/<chapter>.ipynb    student version (nbgrader generate_assignment)
    <course>/gradebook.db                         graded cells, points and hidden tests, for the autograder

and refuses a student version that contains any line found only in solutions or hidden tests
(:func:`leaked_lines`). :func:`grade` (in :mod:`memcap.book.grading`, importable from here) autogrades one
handed-in notebook, contained by :mod:`memcap.book.sandbox`, and returns a score per exercise with the
message of the check that failed; ``store=`` makes the chapter read its trained models from the instructor's run
store instead of training them again. :func:`student_view` is the form the public book shows: statements, empty
answers and visible checks, never a solution or a hidden check.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memcap.book.chapters import CHAPTERS, RESULTS_FILE, Chapter, get_chapter

COURSE_ID = "memcap"
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # nbgrader's own stubs, so the book shows what students get
TEXT_STUB = "YOUR ANSWER HERE"
KINDS = ("computed", "implemented", "written")
MIN_EXERCISES = 3
CELL_TIMEOUT_SECONDS = 7200  # per cell, for nbgrader's own commands (`memcap grade` sets its own limits)

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
    kind: str = "computed"  # "computed", "implemented" (the answer defines a function) or "written"

    @property
    def manual(self) -> bool:
        """Graded by the instructor (a written answer), not by checks."""
        return self.kind == "written"


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
        [Exercise(grade_id='ex1', points=2.0, answer_ids=('ex1-answer',), kind='computed')]
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
        if meta.get("solution") and (text.count(BEGIN_SOLUTION) != 1 or text.count(END_SOLUTION) != 1
                                     or text.index(BEGIN_SOLUTION) > text.index(END_SOLUTION)):
            what = "an answer cell" if cell.cell_type == "code" else "a written answer (model answer and rubric)"
            raise AssignmentError(f"{where}: {what} needs one {BEGIN_SOLUTION} ... {END_SOLUTION} region")
        if meta.get("grade"):
            points = meta.get("points")
            if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
                raise AssignmentError(f"{where}: a graded cell needs positive points, got points={points!r}")
        if cell.cell_type == "markdown":
            if not (meta.get("solution") and meta.get("grade")):
                raise AssignmentError(f"{where}: a Markdown nbgrader cell must be a written answer "
                                      "(solution and grade both true)")
            if pending:
                raise AssignmentError(f"{where}: answer cell(s) {[p for p, _ in pending]} have no graded cell "
                                      "before this written answer")
            found.append(Exercise(gid, float(meta["points"]), (gid,), "written"))
            continue
        if meta.get("solution"):
            pending.append((gid, text))
        if meta.get("grade"):
            if text.count(BEGIN_HIDDEN) != text.count(END_HIDDEN):
                raise AssignmentError(f"{where}: unbalanced {BEGIN_HIDDEN} / {END_HIDDEN}")
            if not pending:
                raise AssignmentError(f"{where}: a graded cell must follow the answer cell it checks")
            defines = any(line.lstrip().startswith("def ")
                          for _, src in pending for line in _regions(src, BEGIN_SOLUTION, END_SOLUTION)[0])
            found.append(Exercise(gid, float(points), tuple(p for p, _ in pending),
                                  "implemented" if defines else "computed"))
            pending = []
    if pending:
        raise AssignmentError(f"{name}: answer cell(s) {[p for p, _ in pending]} have no graded cell after them")
    return found


def _walk(text: str, begin: str, end: str):
    """``(line, where)`` for every line of a cell's source, ``where`` one of ``"begin"``, ``"end"`` (the marker
    lines), ``"inside"`` or ``"outside"`` the ``begin`` ... ``end`` regions."""
    depth = 0
    for line in text.splitlines():
        marker = line.strip()
        if marker == begin:
            depth += 1
            yield line, "begin"
        elif marker == end:
            depth -= 1
            yield line, "end"
        else:
            yield line, "inside" if depth > 0 else "outside"


def _regions(text: str, begin: str, end: str) -> tuple[list[str], list[str]]:
    """Lines inside and outside the ``begin``/``end`` regions of a cell's source (markers dropped)."""
    inside, outside = [], []
    for line, where in _walk(text, begin, end):
        if where == "inside":
            inside.append(line)
        elif where == "outside":
            outside.append(line)
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


def _replace_region(text: str, begin: str, end: str, stub: str | None) -> str:
    """``text`` with every ``begin`` ... ``end`` region replaced by ``stub`` (indented as the marker), or by
    nothing when ``stub`` is None; the markers go too."""
    out = []
    for line, where in _walk(text, begin, end):
        if where == "begin" and stub is not None:
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + s for s in stub.splitlines())
        elif where == "outside":
            out.append(line)
    return "\n".join(out)


def _clear_outputs(cell) -> None:
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None


def student_view(nb):
    """A copy of a chapter notebook (executed or not) as students receive it, for the public book: every
    reference solution replaced by nbgrader's stub (and shown, not folded away), every written answer's model
    answer and rubric by ``YOUR ANSWER HERE``, every hidden check removed, and the outputs of answer and graded
    cells cleared (they would show the reference's results)."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if not meta:
            continue
        if meta.get("solution"):
            stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
            cell.source = _replace_region(cell.source, BEGIN_SOLUTION, END_SOLUTION, stub)
            tags = [t for t in cell.metadata.get("tags", []) if t != "hide-input"]
            cell.metadata["tags"] = tags
            if not tags:
                cell.metadata.pop("tags")
        elif meta.get("grade"):
            cell.source = _replace_region(cell.source, BEGIN_HIDDEN, END_HIDDEN, None)
        _clear_outputs(cell)
    return nb


def solutions_view(nb):
    """A copy of a chapter notebook for the instructor's book: everything kept; the markers of written answers
    (Markdown) become a label, so the model answer and rubric read as text."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if cell.cell_type == "markdown" and meta.get("solution"):
            label = "**Model answer and rubric** (instructor's version):"
            cell.source = "\n".join(label if where == "begin" else line
                                    for line, where in _walk(cell.source, BEGIN_SOLUTION, END_SOLUTION)
                                    if where != "end")
    return nb


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


def __getattr__(name: str):
    """The grading functions live in :mod:`memcap.book.grading`; ``classroom.grade`` and friends still work."""
    if name in ("grade", "feedback", "check_store", "check_prerequisites", "grading_limits"):
        from memcap.book import grading

        return getattr(grading, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
