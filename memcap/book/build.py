"""Building the HTML book from executed chapters: ``memcap book``.

The book's sources (``book/``: Sphinx configuration, front matter) are copied with the executed notebooks
of one scale into ``<build>/<scale>/book-src`` (papermill's injected-parameters cell tagged ``remove-cell``: a
chapter's first output line names the scale it ran at), and Sphinx with myst-nb renders them (no re-execution) into
``<build>/<scale>/html`` with warnings treated as errors. Math is rendered by a MathJax copy shipped
with the build (no CDN), so the book reads offline.

The book is public, so its exercises are in their student form (:func:`memcap.book.exercises.student_view`):
statements, empty answers and visible checks, no reference solution, hidden check or rubric. ``solutions=True``
builds the instructor's book with all of them into ``<build>/<scale>/html-solutions`` instead.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from memcap.book.chapters import CHAPTERS
from memcap.book.execute import project_root, run_chapters


def stage_sources(scale: str, build_dir: str | Path = "build", root: Path | None = None,
                  solutions: bool = False) -> Path:
    """Copy ``book/`` and the executed notebooks of ``scale`` into one Sphinx source folder, the exercises in
    their student form (or, with ``solutions``, the instructor's)."""
    from memcap.book.exercises import solutions_view, student_view

    root = root or project_root()
    build = Path(build_dir).resolve() / scale
    src = build / ("book-src-solutions" if solutions else "book-src")
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(root / "book", src, ignore=shutil.ignore_patterns("_build", "__pycache__"))
    missing = [ch.name for ch in CHAPTERS if not (build / f"{ch.name}.ipynb").exists()]
    if missing:
        raise FileNotFoundError(
            f"no executed notebook for {missing} in {build}; run `memcap run --scale {scale}` first "
            "(or `memcap book` without --no-execute)"
        )
    from memcap.book.guide import exercise_counts, exercise_timings, kinds_markdown, timings_markdown

    # the instructor's guide includes these tables: chapter and exercise times of every scale built so far,
    # and the exercises of each chapter by kind
    (src / "exercise-timings.md").write_text(timings_markdown(exercise_timings(build_dir)))
    (src / "exercise-kinds.md").write_text(kinds_markdown(exercise_counts()))
    (src / "chapters").mkdir()
    for ch in CHAPTERS:
        nb = nbformat.read(build / f"{ch.name}.ipynb", as_version=4)
        nb = solutions_view(nb) if solutions else student_view(nb)
        for cell in nb.cells:  # papermill's injected-parameters cell is machinery, not part of the chapter
            tags = cell.get("metadata", {}).get("tags", [])
            if "injected-parameters" in tags and "remove-cell" not in tags:
                cell.setdefault("metadata", {})["tags"] = [*tags, "remove-cell"]
        nbformat.write(nb, src / "chapters" / f"{ch.name}.ipynb")
    return src


def build_book(
    scale: str = "default",
    build_dir: str | Path = "build",
    execute: bool = True,
    progress: bool = True,
    root: Path | None = None,
    solutions: bool = False,
) -> Path:
    """Execute every chapter (unless ``execute=False``), then render the HTML book; returns its index.html.
    ``solutions``: the instructor's book (in ``html-solutions``), not the public one (in ``html``)."""
    if execute:
        run_chapters(scale=scale, build_dir=build_dir, progress=progress, root=root)
    src = stage_sources(scale, build_dir, root, solutions=solutions)
    html = Path(build_dir).resolve() / scale / ("html-solutions" if solutions else "html")
    doctrees = src.parent / ("doctrees-solutions" if solutions else "doctrees")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-d", str(doctrees)]
    proc = subprocess.run([*cmd, str(src), str(html)], check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"Sphinx failed (exit {proc.returncode}) building {src} -> {html}; see the warnings above")
    return html / "index.html"
