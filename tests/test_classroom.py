"""Exercises as nbgrader assignments: every chapter's exercises are well formed, the student versions show no
solution, and on chapter 1 the autograder gives the reference full marks and the untouched student version zero."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from memcap.book import chapters

from memcap.book import classroom

from memcap.book import execute

META = lambda **k: {"nbgrader": {"schema_version": 3, "locked": False, "task": False, "solution": False,  # noqa: E731
                                 "grade": False, **k}}


def answer(source, gid="ex1-answer"):
    return nbformat.v4.new_code_cell(source, metadata=META(solution=True, grade_id=gid))


def graded(source, gid="ex1", points=1):
    return nbformat.v4.new_code_cell(source, metadata=META(grade=True, locked=True, grade_id=gid, points=points))


@pytest.mark.parametrize("ch", chapters.CHAPTERS, ids=lambda c: c.name)
def test_every_chapter_has_three_graded_exercises(ch):
    nb = execute.read_chapter(ch)
    found = classroom.exercises(nb, ch.name)
    assert len(found) >= 3
    assert [e.grade_id for e in found] == [f"ex{i}" for i in range(1, len(found) + 1)]
    assert all(e.points > 0 and e.answer_ids == (f"{e.grade_id}-answer",) for e in found)
    secret = classroom.secret_lines(nb)
    assert len(secret) >= 2 * len(found)  # each exercise has solution lines and hidden checks
    # the exercises come after the chapter has saved its results, so a failed exercise cannot lose them
    sources = [c.source for c in nb.cells]
    saved = max(i for i, s in enumerate(sources) if "run.save_results(results)" in s)
    first = min(i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader"))
    assert saved < first


def test_exercises_rejects_malformed_cells():
    def nb(*cells):
        return nbformat.v4.new_notebook(cells=list(cells))

    ok = answer("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")
    with pytest.raises(classroom.AssignmentError, match="ex1-answer.*BEGIN SOLUTION"):
        classroom.exercises(nb(answer("x = 1"), graded("assert x")))
    with pytest.raises(classroom.AssignmentError, match="positive points, got points=0"):
        classroom.exercises(nb(ok, graded("assert x", points=0)))
    with pytest.raises(classroom.AssignmentError, match="must follow the answer cell"):
        classroom.exercises(nb(graded("assert x")))
    with pytest.raises(classroom.AssignmentError, match="no graded cell after them"):
        classroom.exercises(nb(ok))
    with pytest.raises(classroom.AssignmentError, match="unbalanced"):
        classroom.exercises(nb(ok, graded("### BEGIN HIDDEN TESTS\nassert x")))
    with pytest.raises(classroom.AssignmentError, match="unique grade_id"):
        classroom.exercises(nb(ok, graded("assert x", gid="ex1-answer")))


def test_leaked_lines_finds_solution_and_hidden_lines_only():
    instructor = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("y = 2\nprint(y)"),
        answer("### BEGIN SOLUTION\nx = y + 40\nprint(y)\n### END SOLUTION"),
        graded("assert x > 0\n### BEGIN HIDDEN TESTS\nassert x == 42\n### END HIDDEN TESTS"),
    ])
    assert classroom.secret_lines(instructor) == {"x = y + 40", "assert x == 42"}  # print(y) is public
    clean = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("y = 2\nprint(y)\nraise NotImplementedError()"),
                                            nbformat.v4.new_code_cell("assert x > 0")])
    assert classroom.leaked_lines(instructor, clean) == []
    leaky = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("  assert x == 42")])
    assert classroom.leaked_lines(instructor, leaky) == ["assert x == 42"]


def test_instructor_notebook_sets_the_scale_and_checks_parameters():
    nb = classroom.instructor_notebook("01", "default", {"seed": 3})
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'scale = "default"' in injected[0].source and "seed = 3" in injected[0].source
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        classroom.instructor_notebook("01", "huge")
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['lr'\]"):
        classroom.instructor_notebook("01", "smoke", {"lr": 1})


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Every chapter's assignment, made in a fresh course folder (no chapter is executed for this)."""
    path = tmp_path_factory.mktemp("course")
    released = classroom.make_assignments(None, path, scale="smoke")
    return path, released


def test_student_versions_hide_every_solution(course):
    path, released = course
    assert [p.parent.name for p in released] == [c.name for c in chapters.CHAPTERS]
    for student_path in released:
        name = student_path.parent.name
        instructor = nbformat.read(path / "source" / name / f"{name}.ipynb", as_version=4)
        student = nbformat.read(student_path, as_version=4)
        assert classroom.leaked_lines(instructor, student) == []
        text = "\n".join(c.source for c in student.cells)
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
        assert code.count("raise NotImplementedError()") == len(classroom.exercises(instructor))
    assert (path / "gradebook.db").exists() and "course_id" in (path / "nbgrader_config.py").read_text()


@pytest.mark.slow
def test_autograder_scores_reference_full_untouched_zero_partial_in_between(course, tmp_path):
    path, released = course
    name = chapters.CHAPTERS[0].name
    reference = classroom.grade("01", path / "source" / name / f"{name}.ipynb", path, student="reference")
    assert list(reference.exercise) == ["ex1", "ex2", "ex3"]
    assert (reference.score == reference.max_score).all() and reference.max_score.sum() > 0

    untouched = classroom.grade("01", released[0], path, student="untouched")
    assert (untouched.score == 0).all() and list(untouched.max_score) == list(reference.max_score)

    # a student who answers exercise 1 only (with their own code) gets exercise 1's points only
    nb = nbformat.read(released[0], as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex1-answer")
    cell.source = cell.source.replace("raise NotImplementedError()",
                                      "mi_by_hand = float(information.entropy(joint.sum(0)) + "
                                      "information.entropy(joint.sum(1)) - information.entropy(joint.ravel()))")
    partial = tmp_path / "partial.ipynb"
    nbformat.write(nb, partial)
    scores = classroom.grade("01", partial, path, student="partial").set_index("exercise")
    assert scores.loc["ex1", "score"] == scores.loc["ex1", "max_score"]
    assert scores.loc["ex2", "score"] == scores.loc["ex3", "score"] == 0


def test_grade_rejects_bad_input(course, tmp_path):
    path, released = course
    with pytest.raises(FileNotFoundError, match="no notebook to grade"):
        classroom.grade("01", tmp_path / "missing.ipynb", path)
    with pytest.raises(classroom.AssignmentError, match="memcap assign 1"):
        classroom.grade("01", released[0], tmp_path / "empty-course")
    with pytest.raises(ValueError, match="student must be"):
        classroom.grade("01", released[0], path, student="../x")


def test_cli_assign_writes_student_version(tmp_path):
    proc = subprocess.run([Path(sys.executable).parent / "memcap", "assign", "5", "--course-dir", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "release" / "05_membership" / "05_membership.ipynb").exists()
    bad = subprocess.run([Path(sys.executable).parent / "memcap", "assign", "9", "--course-dir", str(tmp_path)],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "unknown chapter '9'" in bad.stderr


def test_exercise_timings_read_papermill_durations(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 0"),
        answer("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"), graded("assert x", points=2)])
    for cell, seconds in zip(nb.cells, (10.0, 2.5, 0.5)):
        cell.metadata["papermill"] = {"duration": seconds}
    (tmp_path / "smoke").mkdir()
    nbformat.write(nb, tmp_path / "smoke" / f"{chapters.CHAPTERS[0].name}.ipynb")
    t = classroom.exercise_timings(tmp_path)
    assert t.to_dict("records") == [dict(scale="smoke", chapter=chapters.CHAPTERS[0].name, exercises=1, points=2.0,
                                         chapter_seconds=13.0, exercise_seconds=3.0, trained=None, runs=None)]
    table = classroom.timings_markdown(t, cores=2, gpu=False)
    assert "| 01_memorization | 1 (2) | 13 s, 3.0 s |" in table and "2 CPU cores and no GPU" in table
    # with the chapter's results beside it, the table says how many of its models this run trained
    (tmp_path / "smoke" / chapters.CHAPTERS[0].name).mkdir()
    (tmp_path / "smoke" / chapters.CHAPTERS[0].name / "results.json").write_text(
        json.dumps({"results": {"trained_this_run": 2, "runs_in_chapter": 5}}))
    table = classroom.timings_markdown(classroom.exercise_timings(tmp_path), cores=2, gpu=False)
    assert "| 13 s (2 of 5 models trained), 3.0 s |" in table
