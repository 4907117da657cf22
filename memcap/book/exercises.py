"""A chapter's exercises as nbgrader marks them in its source, and the views of a notebook that hide or show them.

Every chapter ends with exercises marked in its source the way nbgrader reads them (cell metadata ``nbgrader``):

* an **answer cell** (``solution: true``) holds the reference solution between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``; the student version replaces it by ``raise NotImplementedError()``;
* a **graded cell** (``grade: true``, ``grade_id`` ``ex1``, ``ex2``, ..., ``points``) holds checks; those between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` are removed from the student version and put back by
  the autograder;
* a **written answer** is a Markdown cell that is both (``solution: true, grade: true``): nbgrader's manually graded
  answer. Its model answer and rubric sit between ``BEGIN SOLUTION`` and ``END SOLUTION``; the student version shows
  ``YOUR ANSWER HERE`` in their place, and the instructor gives the points with :func:`memcap.book.course.mark`.

An exercise is *implemented* when its reference solution defines a function (the checks call it, compare it with the
package and, for "by hand" work, forbid the package function that computes the same: :mod:`memcap.book.checks`),
*computed* when it computes values, *written* when it is a written answer (:func:`exercises`).

:func:`student_view` is the form the public book shows: statements, empty answers and visible checks, never a
solution or a hidden check (:func:`leaked_lines` finds any); :func:`solutions_view` is the instructor's book.
"""

from __future__ import annotations

from dataclasses import dataclass

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # nbgrader's own stubs, so the book shows what students get
TEXT_STUB = "YOUR ANSWER HERE"
KINDS = ("computed", "implemented", "written")


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
