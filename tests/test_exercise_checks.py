"""Every exercise's checks (visible and hidden) accept other correct answers and reject plausible wrong ones.

Each chapter runs at smoke scale in one kernel (its models come from the smoke build's store) up to its
exercises; then, for every auto-graded exercise, each answer in tests/exercise_variants.py replaces the reference
solution and the whole graded cell runs, hidden checks included: a correct answer written differently must pass
(so a hidden check stricter than its statement fails this test), a wrong one must fail. Computed exercises state
the precision they expect (and their checks accept exactly that: a person's rounding passes, a value just outside
it fails) and grade one value per graded cell, so a wrong value cannot take a right one down with it.
"""

import ast
import copy
import re

import pytest

from memcap.book import chapters, course, exercises
from memcap.book.execute import parameter_names, read_chapter

from exercise_variants import VARIANTS

# the chapters whose computed exercises state the precision they expect and grade one value per cell
STATED_PRECISION = [c for c in chapters.CHAPTERS if c.number in (3, 4, 5, 6, 7)]
PRECISION = re.compile(r"to the nearest (integer|whole|bit)|significant figures?|decimal places?|an integer")
# a check that accepts an answer to a stated precision (or exactly, for an integer)
PRECISE_CHECK = re.compile(r"checks\.(rounded|equal)\(")


def _error(cell) -> str | None:
    return course._error_text(cell)


@pytest.mark.parametrize("got, expected, precision, ok", [
    (357, 357.38, dict(decimals=0), True),  # chapter 5's sequences, answered as a whole number
    (358, 357.38, dict(decimals=0), False),
    (0.52, 0.5218, dict(sig=2), True),  # chapter 3's share, read off a percentage
    (0.53, 0.5218, dict(sig=2), False),
    (52.18, 0.5218, dict(sig=2), False),  # a percentage is not a fraction
    (360, 357.38, dict(sig=2), True),
    (363, 357.38, dict(sig=2), False),
    (-0.6, -0.601, dict(decimals=2), True),
    (2.95, 2.9471, dict(decimals=2), True),
    (2.94, 2.9471, dict(decimals=2), False),
    (0.12, 0.125, dict(decimals=2), True),  # round(0.125, 2) == 0.12: a half-way tie still passes
    (float("nan"), float("nan"), dict(sig=2), True),  # "answer math.nan"
    (0.5, float("nan"), dict(sig=2), False),
])
def test_rounded_accepts_exactly_the_stated_precision(got, expected, precision, ok):
    from memcap.book import checks

    if ok:
        checks.rounded("answer", got, expected, **precision)
    else:
        with pytest.raises(checks.CheckFailed, match=r"^answer = "):
            checks.rounded("answer", got, expected, **precision)


def test_rounded_says_the_precision_and_refuses_a_non_number():
    from memcap.book import checks

    with pytest.raises(checks.CheckFailed, match=r"to 2 significant figures \(within ±0.005\): why$"):
        checks.rounded("share", 0.6, 0.5218, sig=2, why="why")
    with pytest.raises(checks.CheckFailed, match=r"to the nearest integer \(within ±0.5\)"):
        checks.rounded("n", 359, 357.38, decimals=0, show_expected=False)
    with pytest.raises(checks.CheckFailed, match="n must be a number, got 'many'"):
        checks.rounded("n", "many", 357.38, decimals=0)
    with pytest.raises(TypeError, match="exactly one of decimals= and sig="):
        checks.rounded("n", 357, 357.38)


def _assigned(source: str) -> set[str]:
    """Names a solution region assigns at its top level (inside top-level ``if`` blocks too; not loop variables)."""
    code = "\n".join(exercises._regions(source, exercises.BEGIN_SOLUTION, exercises.END_SOLUTION)[0])
    names, todo = set(), list(ast.parse(code).body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If):
            todo += node.body + node.orelse
        for target in getattr(node, "targets", None) or [getattr(node, "target", None)]:
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


@pytest.mark.parametrize("ch", STATED_PRECISION, ids=lambda c: c.name)
def test_computed_exercises_state_a_precision_and_grade_one_value(ch):
    """A computed exercise says how precisely to answer (a person's rounding must not lose points), its checks
    accept that precision, and its graded cell grades one value: a wrong value cannot take a right one down."""
    nb = read_chapter(ch)
    cells = {exercises._nbgrader(c).get("grade_id"): (i, c) for i, c in enumerate(nb.cells) if exercises._nbgrader(c)}
    computed = [e for e in exercises.exercises(nb, ch.name) if e.kind == "computed"]
    assert computed, ch.name
    for e in computed:
        first = min(cells[a][0] for a in e.answer_ids)
        statement = next(c.source for c in reversed(nb.cells[:first]) if c.cell_type == "markdown")
        assert PRECISION.search(statement), f"{ch.name} {e.grade_id}: the statement states no precision"
        graded = cells[e.grade_id][1].source
        assert PRECISE_CHECK.search(graded), f"{ch.name} {e.grade_id}: no checks.rounded/checks.equal"
        answers = set().union(*(_assigned(cells[a][1].source) for a in e.answer_ids))
        used = {n for n in answers if re.search(rf"\b{re.escape(n)}\b", graded)}
        assert len(used) == 1, f"{ch.name} {e.grade_id}: the graded cell grades {sorted(used)}, not one value"


def _wrong(answer) -> tuple[str, str | None]:
    """A wrong answer: its code, and what the failing check's message must say (None: anything)."""
    return (answer, None) if isinstance(answer, str) else answer


@pytest.mark.parametrize("ch", chapters.CHAPTERS, ids=lambda c: c.name)
def test_every_auto_graded_exercise_has_other_and_wrong_answers(ch):
    found = [e for e in exercises.exercises(read_chapter(ch), ch.name) if not e.manual]
    variants = VARIANTS.get(ch.name, {})
    for e in found:
        for answer in e.answer_ids:
            assert variants.get(answer, {}).get("other"), f"{ch.name} {answer}: no other correct answer to test"
            assert variants.get(answer, {}).get("wrong"), f"{ch.name} {answer}: no wrong answer to test"
    assert set(variants) == {a for e in found for a in e.answer_ids}, "variants for answer cells that do not exist"


# one xdist worker builds the smoke book once for every test that reads it (make test runs two workers)
@pytest.mark.slow
@pytest.mark.xdist_group("smoke_build")
@pytest.mark.parametrize("ch", chapters.CHAPTERS, ids=lambda c: c.name)
def test_checks_accept_other_answers_and_reject_wrong_ones(ch, smoke_build, tmp_path):
    from nbclient import NotebookClient

    params = {"output_dir": str(tmp_path / "out")}
    if "store_dir" in parameter_names(read_chapter(ch)):
        params["store_dir"] = str(smoke_build / "store")  # the models were trained by the smoke build
    nb = course.instructor_notebook(ch, "smoke", params)
    found = [e for e in exercises.exercises(nb, ch.name) if not e.manual]
    index = {exercises._nbgrader(c).get("grade_id"): i for i, c in enumerate(nb.cells) if exercises._nbgrader(c)}
    first = min(index.values())
    pristine = copy.deepcopy(nb.cells)  # nbclient stores each executed cell back into the notebook
    client = NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    problems, tried = [], 0
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells[:first]):
            if cell.cell_type == "code":
                client.execute_cell(cell, i)
                assert _error(cell) is None, f"{ch.name} cell {i} failed before the exercises: {_error(cell)}"
        for e in found:
            variants = VARIANTS[ch.name]
            answers = [(kind, k, {a: _wrong(variants[a][kind][k]) for a in e.answer_ids})
                       for kind in ("wrong", "other") for k in range(len(variants[e.answer_ids[0]][kind]))]
            for kind, k, codes in [*answers, ("reference", 0, {})]:  # the reference last: later exercises use it
                said = next((m for _, m in codes.values() if m), None)
                errors = []
                for a in e.answer_ids:
                    cell = copy.deepcopy(pristine[index[a]])
                    if a in codes:
                        cell.source = exercises._replace_region(cell.source, exercises.BEGIN_SOLUTION,
                                                                exercises.END_SOLUTION, codes[a][0].strip("\n"))
                    client.execute_cell(cell, index[a])
                    errors.append(_error(cell))
                graded = copy.deepcopy(pristine[index[e.grade_id]])
                client.execute_cell(graded, index[e.grade_id])
                errors.append(_error(graded))
                failed = [m for m in errors if m]
                tried += 1
                label = f"{ch.name} {e.grade_id} {kind} answer {k}"
                if kind == "wrong" and not failed:
                    problems.append(f"{label} passed every check")
                elif kind == "wrong" and said and not any(said in m for m in failed):
                    problems.append(f"{label} failed without saying {said!r}: {failed}")
                if kind != "wrong" and failed:
                    problems.append(f"{label} failed: {failed}")
    assert tried >= 3 * len(found)
    assert not problems, "\n".join(problems)
