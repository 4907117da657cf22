"""Autograding a handed-in chapter notebook: its prerequisites checked first, the notebook run contained, a score
and a one-line reason per exercise.

:func:`grade` refuses, in one line and before anything runs, a file that is not a notebook, a notebook without the
assignment's graded cells, a chapter whose corpus is not fetched (``memcap data``) and a ``--store`` that lacks
runs (:func:`check_prerequisites`). nbgrader then autogrades the notebook with its own executor replaced by
:class:`SandboxedExecute`: the notebook runs in an empty temporary folder, limited and isolated by
:mod:`memcap.book.sandbox`, so the course folder (the instructor's source notebook, the gradebook, other students'
submissions) is out of its reach. The limits (:func:`grading_limits`) default to several times the grading times
measured per chapter (:data:`MEASURED_SECONDS`, from ``benchmarks/grading.py``):

    >>> grading_limits("01", "smoke").notebook_seconds
    300
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from memcap.book.chapters import Chapter, get_chapter
from memcap.book.course import _api, _check_student, _course, _error_text, _scores, assignment_parameters
from memcap.book.exercises import AssignmentError, Exercise, _nbgrader, exercises
from memcap.book.sandbox import Limits

# seconds to grade one student who answered everything, 2 CPU cores (benchmarks/grading.py; book/instructors.md);
# "default" with the instructor's --store
MEASURED_SECONDS = {
    "smoke": {"01_memorization": 7.3, "02_capacity": 29.3, "03_knowledge": 14.2, "04_precision": 30.8,
              "05_membership": 43.1, "06_text": 50.7, "07_architecture": 32.3, "08_attacks": 46.8},
    "default": {"01_memorization": 13.7, "02_capacity": 13.5, "03_knowledge": 8.4, "04_precision": 17.0,
                "05_membership": 229.7, "06_text": 25.7, "07_architecture": 7.0, "08_attacks": 9.4},
}
MARGIN = 5  # times the measured grading time: a slower machine, a busy one, a student's slower (correct) code
UNMEASURED_SECONDS = 4 * 3600  # a scale without a measurement (paper), or default without a store: it trains
MAX_COPIED_BACK_BYTES = 1 << 30  # what the graded notebook wrote, copied to autograded/ (beyond: left out)


def grading_limits(chapter: str | Chapter, scale: str, *, trains: bool = False, cell_seconds: float | None = None,
                   notebook_seconds: float | None = None, memory_gb: float | None = None,
                   processes: int | None = None) -> Limits:
    """The limits for grading ``chapter`` at ``scale``: per notebook, :data:`MARGIN` times the measured grading
    time, rounded up to whole minutes, at least 5 minutes (``trains``: at ``default`` without a store, the chapter
    trains its models, so :data:`UNMEASURED_SECONDS`); per cell, the same (a chapter's training cell is most of
    it); each overridden by the argument of the same name."""
    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    given = dict(cell_seconds=cell_seconds, notebook_seconds=notebook_seconds, memory_gb=memory_gb)
    for name, value in given.items():  # named as given, before any arithmetic on them
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value) or value <= 0):
            raise ValueError(f"{name} must be a positive, finite number, got {name}={value!r}")
    if processes is not None and (isinstance(processes, bool) or not isinstance(processes, int) or processes < 1):
        raise ValueError(f"processes must be a positive integer, got processes={processes!r}")
    measured = None if trains and scale != "smoke" else MEASURED_SECONDS.get(scale, {}).get(ch.name)
    default = UNMEASURED_SECONDS if measured is None else max(300, 60 * math.ceil(MARGIN * measured / 60))
    notebook = default if notebook_seconds is None else notebook_seconds
    extra = {} if memory_gb is None else {"memory_bytes": int(memory_gb * (1 << 30))}
    if processes is not None:
        extra["processes"] = processes
    return Limits(cell_seconds=min(notebook, default) if cell_seconds is None else cell_seconds,
                  notebook_seconds=notebook, **extra)


def _needs_corpus(ch: Chapter) -> bool:
    from memcap.book.execute import read_chapter

    text = "\n".join(c.source for c in read_chapter(ch).cells if c.cell_type == "code")
    return re.search(r"from memcap\.data import [^\n]*\btext\b|memcap\.data\.text", text) is not None


def corpus_dir() -> Path:
    """Where the chapters find the fetched corpora: ``$MEMCAP_DATA``, else ``build/data`` here, else in the checkout
    (as a chapter does)."""
    from memcap.data.text import CACHE_ENV, SHAKESPEARE

    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).resolve()
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if SHAKESPEARE.path(base / "build" / "data").exists():
            return (base / "build" / "data").resolve()
    return (Path.cwd() / "build" / "data").resolve()


def check_prerequisites(chapter: str | Chapter, course_dir: str | Path = "build/classroom",
                        store: str | Path | None = None) -> None:
    """Raise :class:`AssignmentError`, one line naming what is missing and the command that provides it, unless
    grading ``chapter`` can work: its corpus fetched (``memcap data``), and ``store`` (if given) holding every run
    the chapter trains at the assignment's scale (:func:`check_store`)."""
    from memcap.data.text import CORPORA

    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    if _needs_corpus(ch):
        where = corpus_dir()
        missing = [c.requirement for c in CORPORA if not c.path(where).exists()]
        if missing:
            raise AssignmentError(f"chapter {ch.name} reads the text corpus, but {', '.join(missing)} is not in "
                                  f"{where}: run `memcap data` once (or set MEMCAP_DATA to the folder holding it) "
                                  f"before grading")
    if store is not None:
        params = assignment_parameters(ch, course_dir)
        check_store(ch, store, params.get("scale", "smoke"), int(params.get("seed", 0)))


def check_store(chapter: str | Chapter, store: str | Path, scale: str, seed: int = 0) -> int:
    """Raise :class:`AssignmentError` unless ``store`` holds every run ``chapter`` trains at ``scale``; returns
    how many runs that is. Grading against an incomplete store would train the missing runs once per student."""
    from memcap.book.plan import chapter_runs
    from memcap.infra.store import RunStore

    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    store = Path(store)
    if not store.is_dir():
        raise FileNotFoundError(f"no run store at {store}")
    have = RunStore(store)
    runs = [r for group in chapter_runs(ch.name, scale, seed, have).values() for r in group]
    missing = [r for r in runs if not have.has(r.to_dict())]
    if missing:
        raise AssignmentError(
            f"the store {store} lacks {len(missing)} of the {len(runs)} runs chapter {ch.name} trains at scale "
            f"{scale} (seed {seed}); fill it once with `memcap run {ch.number} --scale {scale} -p seed {seed} "
            f"-p store_dir {store}` before grading")
    return len(runs)


def _set_parameters(nb, values: Mapping[str, Any]) -> None:
    """Append ``name = value`` lines to the notebook's injected-parameters cell (papermill's), so they win."""
    cell = next((c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])), None)
    if cell is None:
        raise AssignmentError("the handed-in notebook has no injected-parameters cell; was it made by memcap assign?")
    cell.source = cell.source.rstrip("\n") + "\n" + "".join(f"{k} = {v!r}\n" for k, v in values.items())


def read_submission(notebook: str | Path, ch: Chapter, found: list[Exercise]):
    """The handed-in notebook, or a one-line :class:`ValueError` naming the file and what is wrong with it: not a
    notebook, no cells, none of the assignment's graded cells."""
    import nbformat

    notebook = Path(notebook)
    if not notebook.is_file():
        raise FileNotFoundError(f"no notebook to grade at {notebook}")
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception as err:  # noqa: BLE001 - nbformat raises many kinds; all mean the same here
        reason = str(err).strip().splitlines()[0][:120] if str(err).strip() else type(err).__name__
        raise ValueError(f"{notebook} is not a Jupyter notebook ({reason})") from None
    ours = {_nbgrader(c).get("grade_id") for c in nb.cells if _nbgrader(c)}
    if not nb.cells:
        raise ValueError(f"{notebook} has no cells: hand in the notebook of {ch.name} made by "
                         f"`memcap assign {ch.number}`, with your answers")
    if not ours & {e.grade_id for e in found}:
        raise ValueError(f"{notebook} holds none of the graded cells of {ch.name} ({found[0].grade_id}, ...): "
                         f"is it the notebook made by `memcap assign {ch.number}`?")
    return nb


def feedback(graded_nb, found: list[Exercise] | None = None) -> dict[str, str]:
    """For each exercise of an autograded notebook whose checks failed, the reason: the error its answer cell
    raised (if any), then the failing check's message; the same messages a student sees running the cells."""
    found = found if found is not None else exercises(graded_nb)
    by_id = {_nbgrader(c).get("grade_id"): c for c in graded_nb.cells if _nbgrader(c)}
    out = {}
    for ex in found:
        if ex.manual:
            continue
        if ex.grade_id not in by_id:
            out[ex.grade_id] = "its graded cell is missing from the handed-in notebook"
            continue
        check = _error_text(by_id[ex.grade_id])
        if check is None:
            continue
        answers = [e for e in (_error_text(by_id[a]) for a in ex.answer_ids if a in by_id) if e]
        out[ex.grade_id] = "; ".join([*(f"your answer cell raised {e}" for e in answers), f"check: {check}"])
    return out


def _sandboxed_execute():
    """nbgrader's executor replaced: the notebook runs in :mod:`memcap.book.sandbox`, in an empty folder."""
    from nbgrader.preprocessors import NbGraderPreprocessor
    from traitlets import Dict, Float, Integer, List, Unicode

    from memcap.book import sandbox

    class SandboxedExecute(NbGraderPreprocessor):
        cell_seconds = Float(600).tag(config=True)
        notebook_seconds = Float(600).tag(config=True)
        memory_bytes = Integer(Limits(1, 1).memory_bytes).tag(config=True)
        processes = Integer(Limits(1, 1).processes).tag(config=True)
        readonly = List(Unicode()).tag(config=True)
        corpus = Unicode("").tag(config=True)

        def preprocess(self, nb, resources):
            limits = Limits(self.cell_seconds, self.notebook_seconds, self.memory_bytes, self.processes)
            target = Path(resources["metadata"]["path"])
            with tempfile.TemporaryDirectory(prefix="memcap-grade-") as tmp:
                work = Path(tmp) / "work"
                work.mkdir()
                env = {}
                if self.corpus:  # a private copy: a chapter may add its tokenizer to the cache
                    shutil.copytree(self.corpus, work / ".data", symlinks=False)
                    env["MEMCAP_DATA"] = str(work / ".data")
                nb = sandbox.execute(nb, work, limits, [Path(p) for p in self.readonly], env,
                                     log=lambda m: print(f"memcap grade: warning: {m}", file=sys.stderr))
                _copy_back(work, target)
            return nb, resources

    return SandboxedExecute


def _copy_back(work: Path, target: Path) -> None:
    """What the graded notebook wrote (its results, figures), into ``target``: regular files only, no hidden
    folders, at most :data:`MAX_COPIED_BACK_BYTES` in all."""
    from memcap.book.sandbox import NOTEBOOK

    budget = MAX_COPIED_BACK_BYTES
    for root, dirs, files in os.walk(work):
        dirs[:] = [d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(root, d))]
        for name in files:
            src = Path(root) / name
            if src.is_symlink() or not src.is_file() or (Path(root) == work and name == NOTEBOOK):
                continue
            size = src.stat().st_size
            if size > budget:
                continue
            budget -= size
            dst = target / src.relative_to(work)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)


def grade(chapter: str | Chapter, notebook: str | Path, course_dir: str | Path = "build/classroom",
          student: str = "student", store: str | Path | None = None, *, cell_seconds: float | None = None,
          notebook_seconds: float | None = None, memory_gb: float | None = None, processes: int | None = None):
    """Autograde one handed-in notebook of ``chapter`` for ``student``; returns a table with one row per exercise:
    ``exercise``, ``kind``, ``score``, ``max_score`` and ``feedback`` (why points were lost: the failing check's
    message, or the limit a cell ran past; for a written answer, that it awaits the instructor's
    :func:`~memcap.book.course.mark`; its score is NaN until then).

    ``store``: the instructor's run store, which must hold every run the chapter trains at the assignment's scale
    (:func:`check_store`); the graded copy then reads its models from there, read-only, instead of training them
    (chapters that train nothing ignore it). The notebook runs contained (:mod:`memcap.book.sandbox`) within
    :func:`grading_limits` (``cell_seconds``, ``notebook_seconds``, ``memory_gb``, ``processes`` override them).
    The graded notebook, with every check's output, is written to ``<course>/autograded/<student>/<chapter>/``."""
    import nbformat
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    from memcap.book.execute import parameter_names, read_chapter

    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    course = _course(course_dir, ch)
    _check_student(student)
    found = exercises(nbformat.read(course / "source" / ch.name / f"{ch.name}.ipynb", as_version=4), ch.name)
    nb = read_submission(notebook, ch, found)
    if store is not None and "store_dir" not in parameter_names(read_chapter(ch)):
        store = None  # the chapter trains nothing: there is no store to read
    check_prerequisites(ch, course, store)
    params = assignment_parameters(ch, course)
    limits = grading_limits(ch, params.get("scale", "smoke"), trains=store is None, cell_seconds=cell_seconds,
                            notebook_seconds=notebook_seconds, memory_gb=memory_gb, processes=processes)
    if store is not None:
        _set_parameters(nb, {"store_dir": str(Path(store).resolve())})
    target = course / "submitted" / student / ch.name / f"{ch.name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    api = _api(course)
    executor = _sandboxed_execute()
    defaults = Autograde.class_traits()["autograde_preprocessors"].make_dynamic_default()
    api.config.Autograde.autograde_preprocessors = [executor if p is Execute else p for p in defaults]
    api.config.SandboxedExecute.cell_seconds = float(limits.cell_seconds)
    api.config.SandboxedExecute.notebook_seconds = float(limits.notebook_seconds)
    api.config.SandboxedExecute.memory_bytes = int(limits.memory_bytes)
    api.config.SandboxedExecute.processes = int(limits.processes)
    api.config.SandboxedExecute.readonly = [] if store is None else [str(Path(store).resolve())]
    api.config.SandboxedExecute.corpus = str(corpus_dir()) if _needs_corpus(ch) else ""
    with warnings.catch_warnings():  # nbgrader's gradebook session emits SQLAlchemy warnings on every new student
        warnings.simplefilter("ignore", category=Warning)
        result = api.autograde(ch.name, student, force=True, create=True)
    if not result["success"]:
        log = (result.get("log", "") + result.get("error", "")).strip().splitlines()
        raise AssignmentError(f"nbgrader could not grade {notebook} for {ch.name}: "
                              f"{log[-1] if log else 'no reason given'}")
    graded_path = course / "autograded" / student / ch.name / f"{ch.name}.ipynb"
    reasons = feedback(nbformat.read(graded_path, as_version=4), found)
    return _scores(ch, course, student, found, reasons)
