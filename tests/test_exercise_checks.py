"""Every exercise's checks (visible and hidden) accept other correct answers and reject plausible wrong ones.

Each chapter runs at smoke scale in one kernel (its models come from the smoke build's store) up to its
exercises; then, for every auto-graded exercise, each answer in tests/exercise_variants.py replaces the reference
solution and the whole graded cell runs, hidden checks included: a correct answer written differently must pass
(so a hidden check stricter than its statement fails this test), a wrong one must fail.
"""

import copy

import pytest

from memcap.book import chapters, classroom
from memcap.book.execute import parameter_names, read_chapter

from exercise_variants import VARIANTS

# one xdist worker builds the smoke book once for every test that reads it (make test runs two workers)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("smoke_build")]


def _error(cell) -> str | None:
    return classroom._error_text(cell)


@pytest.mark.parametrize("ch", chapters.CHAPTERS, ids=lambda c: c.name)
def test_every_auto_graded_exercise_has_other_and_wrong_answers(ch):
    found = [e for e in classroom.exercises(read_chapter(ch), ch.name) if not e.manual]
    variants = VARIANTS.get(ch.name, {})
    for e in found:
        for answer in e.answer_ids:
            assert variants.get(answer, {}).get("other"), f"{ch.name} {answer}: no other correct answer to test"
            assert variants.get(answer, {}).get("wrong"), f"{ch.name} {answer}: no wrong answer to test"
    assert set(variants) == {a for e in found for a in e.answer_ids}, "variants for answer cells that do not exist"


@pytest.mark.parametrize("ch", chapters.CHAPTERS, ids=lambda c: c.name)
def test_checks_accept_other_answers_and_reject_wrong_ones(ch, smoke_build, tmp_path):
    from nbclient import NotebookClient

    params = {"output_dir": str(tmp_path / "out")}
    if "store_dir" in parameter_names(read_chapter(ch)):
        params["store_dir"] = str(smoke_build / "store")  # the models were trained by the smoke build
    nb = classroom.instructor_notebook(ch, "smoke", params)
    found = [e for e in classroom.exercises(nb, ch.name) if not e.manual]
    index = {classroom._nbgrader(c).get("grade_id"): i for i, c in enumerate(nb.cells) if classroom._nbgrader(c)}
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
            answers = [(kind, k, {a: variants[a][kind][k] for a in e.answer_ids})
                       for kind in ("wrong", "other") for k in range(len(variants[e.answer_ids[0]][kind]))]
            for kind, k, codes in [*answers, ("reference", 0, {})]:  # the reference last: later exercises use it
                errors = []
                for a in e.answer_ids:
                    cell = copy.deepcopy(pristine[index[a]])
                    if a in codes:
                        cell.source = classroom._replace_region(cell.source, classroom.BEGIN_SOLUTION,
                                                                classroom.END_SOLUTION, codes[a].strip("\n"))
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
                if kind != "wrong" and failed:
                    problems.append(f"{label} failed: {failed}")
    assert tried >= 3 * len(found)
    assert not problems, "\n".join(problems)
