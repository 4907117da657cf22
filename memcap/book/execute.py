"""Executing chapters with papermill: ``memcap run`` and :func:`run_chapters`.

The Jupytext source ``notebooks/<chapter>.py`` is read into a notebook node (papermill cannot read
``.py``), its parameters are checked against the chapter's ``parameters`` cell, and papermill executes it
into ``<build>/<scale>/<chapter>.ipynb``; the chapter writes ``<build>/<scale>/<chapter>/results.json``, and
chapters that train models keep them in the run store ``<build>/store`` (shared by all scales: a run's key is
its full configuration).

A run in progress is written to ``<chapter>.partial.ipynb`` and renamed only when every cell succeeded,
so an executed notebook in the build folder is always a complete one. A failure leaves
``<chapter>.failed.ipynb`` with the traceback in it and raises :class:`ChapterFailed`, which names the
chapter and the cell.
"""

from __future__ import annotations

import ast
import os
import sys
import time
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memcap.book.chapters import CHAPTERS, RESULTS_FILE, Chapter, get_chapter


class ChapterFailed(RuntimeError):
    """A chapter stopped with an error; the message names the chapter, the cell and the error."""

    def __init__(self, chapter: str, message: str, notebook: Path | None = None):
        self.chapter, self.message, self.notebook = chapter, message, notebook
        where = f"\n  executed notebook with the error: {notebook}" if notebook else ""
        super().__init__(f"chapter {chapter} failed: {message}{where}")

    def __reduce__(self):  # a batch point's failure crosses processes whole, not as a broken pool
        return type(self), (self.chapter, self.message, self.notebook)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped a chapter or a batch. Every run finished before it is in the store, so the same
    command resumes from there; ``stored`` counts the runs the store holds now."""

    def __init__(self, store: str | Path | None = None):
        self.store = store
        self.stored = stored_runs(store)
        super().__init__(f"interrupted: {self.stored} runs stored, re-run to resume")

    def __reduce__(self):  # the count made where it stopped, not recounted where it is read
        return _interrupted, (self.store, self.stored)


def _interrupted(store, stored: int) -> Interrupted:
    err = Interrupted.__new__(Interrupted)
    KeyboardInterrupt.__init__(err, f"interrupted: {stored} runs stored, re-run to resume")
    err.store, err.stored = store, stored
    return err


def stored_runs(store: str | Path | None) -> int:
    """How many finished runs the run store folder ``store`` holds (0 when there is none)."""
    if store is None:
        return 0
    return sum(1 for _ in Path(store).glob("??/*/metrics.json"))


def check_folder(path: str | Path, what: str) -> Path:
    """``path`` as a Path, after checking that it is a folder or can be made one: no file stands at it or above it.
    Raises ValueError naming ``what`` (the option that gave it) and the file in the way.

        >>> import tempfile
        >>> a_file = tempfile.NamedTemporaryFile()
        >>> check_folder(a_file.name + "/sub", "--out")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: --out .../sub: ... is a file, not a folder
    """
    path = Path(path)
    for above in (path, *path.absolute().parents):
        if above.exists():
            if not above.is_dir():
                where = "" if above == path else f": {above}"
                raise ValueError(f"{what} {path}{where} is a file, not a folder")
            break
    return path


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


@dataclass(frozen=True)
class ChapterResult:
    chapter: str
    notebook: Path
    output_dir: Path
    seconds: float


def project_root() -> Path:
    """The folder holding ``notebooks/``: $MEMCAP_ROOT, else the checkout this package was installed
    from (editable install), else the current folder."""
    if os.environ.get("MEMCAP_ROOT"):
        return Path(os.environ["MEMCAP_ROOT"]).resolve()
    checkout = Path(__file__).resolve().parents[2]  # memcap/book/execute.py -> the folder above memcap/
    if (checkout / "notebooks").is_dir() and (checkout / "memcap").is_dir():
        return checkout
    return Path.cwd()


def source_path(chapter: Chapter, root: Path | None = None) -> Path:
    return (root or project_root()) / "notebooks" / f"{chapter.name}.py"


def read_chapter(chapter: Chapter, root: Path | None = None):
    """The chapter's Jupytext source as an nbformat notebook node."""
    import jupytext

    path = source_path(chapter, root)
    if not path.exists():
        raise FileNotFoundError(f"chapter source {path} not found (set MEMCAP_ROOT to the project folder)")
    return jupytext.read(path)


def parameter_names(nb) -> dict[str, Any]:
    """Names and literal default values of the notebook's ``parameters`` cell.

        >>> import nbformat
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("seed = 0", metadata={"tags": ["parameters"]})])
        >>> parameter_names(nb)
        {'seed': 0}
    """
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"a chapter needs exactly one cell tagged 'parameters', found {len(cells)}")
    names: dict[str, Any] = {}
    for node in ast.parse(cells[0].source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ValueError(f"the parameters cell may hold only `name = literal` lines, found: {ast.unparse(node)}")
        try:
            names[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            raise ValueError(
                f"parameter {node.targets[0].id} must be a literal (papermill overrides are injected after this "
                f"cell, so a derived value would keep its old value), found: {ast.unparse(node.value)}"
            ) from None
    return names


def check_parameters(ch: Chapter, known: Mapping[str, Any], params: Mapping[str, Any]) -> None:
    """Raise ValueError naming any of ``params`` that the chapter's ``parameters`` cell (``known``) lacks."""
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for chapter {ch.name}; its parameters are {sorted(known)}")


def check_values(ch: Chapter, known: Mapping[str, Any], params: Mapping[str, Any], *, here: bool = True) -> None:
    """Raise ValueError naming the first of ``params`` whose value the chapter cannot take, before anything runs:
    a scale the chapter lacks, a seed that is not a whole number >= 0, an unknown device (``here``: or one this
    machine lacks; an assignment's device is its students' machines'), or a value of another type than the
    parameter's default in the chapter's ``parameters`` cell (``known``; an int passes where the default is a float,
    a Path where it is a string).

        >>> from memcap.book.chapters import get_chapter
        >>> check_values(get_chapter("02"), {"seed": 0, "device": "auto"}, {"device": "tpu"})
        Traceback (most recent call last):
        ...
        ValueError: unknown device 'tpu'; allowed: ['auto', 'cpu', 'cuda', 'cuda:N', 'mps']
    """
    from memcap.book.chapters import check_seed
    from memcap.infra.device import check_device_name, resolve_device

    for name, value in params.items():
        default = known.get(name)
        if name == "scale":
            ch.check_scale(value)
        elif name == "seed":
            check_seed(value)
        elif name == "device":
            resolve_device(value) if here else check_device_name(value)
        elif default is not None and value is not None and not isinstance(value, type(default)) and not (
                isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool)) and not (
                isinstance(default, str) and isinstance(value, os.PathLike)):  # a folder given as a Path
            raise ValueError(f"parameter {name} takes {type(default).__name__} values (default {default!r}), "
                             f"got {name}={value!r}")


def parse_value(text: str) -> Any:
    """Read a ``-p name value`` value as papermill does: int, float, bool, None, else a string.

        >>> [parse_value(v) for v in ["3", "0.5", "True", "None", "smoke"]]
        [3, 0.5, True, None, 'smoke']
    """
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
    return value if isinstance(value, (int, float, bool, type(None), list, dict, str)) else text


def run_chapter(
    chapter: str | Chapter,
    *,
    scale: str = "default",
    parameters: Mapping[str, Any] | None = None,
    build_dir: str | Path = "build",
    progress: bool = True,
    root: Path | None = None,
) -> ChapterResult:
    """Execute one chapter through papermill; raises :class:`ChapterFailed` on any error."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    ch = chapter if isinstance(chapter, Chapter) else get_chapter(chapter)
    ch.check_scale(scale)
    nb = read_chapter(ch, root)
    known = parameter_names(nb)
    params = dict(parameters or {})
    check_parameters(ch, known, params)
    check_values(ch, known, params)
    if "scale" in params and params["scale"] != scale:
        raise ValueError(f"scale given twice: scale={scale!r} and -p scale {params['scale']!r}")
    cwd = (root or project_root()).resolve()
    build = Path(build_dir).resolve() / scale
    # -p output_dir X is honoured (relative to the project); by default results go beside the executed notebook
    output_dir = (cwd / params["output_dir"]).resolve() if params.get("output_dir") else build / ch.name
    check_folder(build, "--build-dir")
    check_folder(output_dir, "-p output_dir")
    shown = os.path.relpath(output_dir, cwd)  # the injected cell reads better relative to the project
    params.update(scale=scale, output_dir=str(output_dir) if shown.startswith("..") else shown)
    if "store_dir" in known and "store_dir" not in params:  # one store per build folder, shared by its scales
        store = Path(build_dir).resolve() / "store"
        shown = os.path.relpath(store, cwd)
        params["store_dir"] = str(store) if shown.startswith("..") else shown
    store_dir = cwd / params["store_dir"] if params.get("store_dir") else None  # for the count when interrupted
    output_dir.mkdir(parents=True, exist_ok=True)
    build.mkdir(parents=True, exist_ok=True)  # the executed notebook's folder, when results go elsewhere
    (output_dir / RESULTS_FILE).unlink(missing_ok=True)  # a stale result must not pass for this run's

    final, partial, failed = (build / f"{ch.name}{suffix}.ipynb" for suffix in ("", ".partial", ".failed"))
    for stale in (final, failed):
        stale.unlink(missing_ok=True)
    t0 = time.perf_counter()
    try:
        with _progress_channel(build / f".{ch.name}.progress", f"  {ch.name}: ", progress):
            papermill.execute_notebook(
                nb,
                str(partial),
                parameters=params,
                kernel_name="python3",
                progress_bar=progress and _is_terminal(sys.stderr),  # no \r redraws in a CI log or a file
                cwd=str(cwd),
            )
    except KeyboardInterrupt:  # papermill stops the kernel; its sweep workers follow it
        raise Interrupted(store_dir) from None
    except PapermillExecutionError as err:
        os.replace(partial, failed)
        first_line = next((line for line in (err.source or "").splitlines() if line.strip()), "")
        message = f"cell In [{err.exec_count}] (`{first_line[:80]}`) raised {err.ename}: {err.evalue}"
        raise ChapterFailed(ch.name, message, failed) from None
    except Exception as err:  # kernel died, timeout, ...
        if partial.exists():
            os.replace(partial, failed)
        raise ChapterFailed(ch.name, f"{type(err).__name__}: {err}", failed if failed.exists() else None) from err
    os.replace(partial, final)
    if not (output_dir / RESULTS_FILE).exists():
        raise ChapterFailed(ch.name, f"finished without writing {output_dir / RESULTS_FILE}", final)
    return ChapterResult(ch.name, final, output_dir, time.perf_counter() - t0)


@contextmanager
def _progress_channel(path: Path, prefix: str, enabled: bool):
    """While a chapter runs, its sweeps report to ``path`` ($MEMCAP_PROGRESS, inherited by the kernel and its
    workers) and a :class:`~memcap.infra.progress.Watcher` prints their progress here, not in the notebook."""
    if not enabled:
        yield
        return
    from memcap.infra.progress import ENV, Watcher

    path.unlink(missing_ok=True)
    previous = os.environ.get(ENV)
    os.environ[ENV] = str(path)
    try:
        with Watcher(path, prefix=prefix):
            yield
    finally:
        if previous is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = previous
        path.unlink(missing_ok=True)


def run_chapters(
    chapters: Iterable[str] | None = None,
    *,
    scale: str = "default",
    parameters: Mapping[str, Any] | None = None,
    build_dir: str | Path = "build",
    progress: bool = True,
    keep_going: bool = False,
    log=None,
    root: Path | None = None,
) -> list[ChapterResult]:
    """Execute several chapters (all when ``chapters`` is None) in order.

    Each of ``parameters`` goes to the chapters whose ``parameters`` cell has it (``store_dir`` to the chapters that
    train models, say); one that no selected chapter has is an error, raised before anything runs.
    Stops at the first failure unless ``keep_going``; either way raises :class:`ChapterFailed` at the end
    if any chapter failed, after the others have run.
    """
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    selected = list(CHAPTERS) if chapters is None else [get_chapter(c) for c in chapters]
    params = dict(parameters or {})
    known = {}
    for ch in selected:  # validate everything before the first (possibly long) run starts
        ch.check_scale(scale)
        known[ch.name] = parameter_names(read_chapter(ch, root))
    check_folder(build_dir, "--build-dir")
    if params.get("output_dir"):
        check_folder((root or project_root()) / str(params["output_dir"]), "-p output_dir")
    if len(selected) == 1:
        check_parameters(selected[0], known[selected[0].name], params)
    unused = sorted(k for k in params if not any(k in names for names in known.values()))
    if unused:
        raise ValueError(f"unknown parameter(s) {unused}: none of the chapters {[c.name for c in selected]} has them")
    for ch in selected:
        check_values(ch, known[ch.name], {k: v for k, v in params.items() if k in known[ch.name]})
    results, failures = [], []
    for i, ch in enumerate(selected, 1):
        log(f"[{i}/{len(selected)}] {ch.name} ({ch.title}) at scale={scale}")
        try:
            mine = {k: v for k, v in params.items() if k in known[ch.name]}
            res = run_chapter(ch, scale=scale, parameters=mine, build_dir=build_dir, progress=progress, root=root)
        except ChapterFailed as err:
            log(str(err))
            failures.append(err)
            if not keep_going:
                break
            continue
        log(f"[{i}/{len(selected)}] {ch.name} done in {res.seconds:.1f} s -> {res.notebook}")
        results.append(res)
    if failures:
        if len(failures) == 1:
            raise failures[0]
        raise ChapterFailed(", ".join(f.chapter for f in failures), "; ".join(str(f) for f in failures))
    return results
