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
    (src / "results-at-a-glance.md").write_text(glance_markdown(build_dir, scale, src))
    (src / "claims-table.md").write_text(claims_markdown(build_dir, scale))
    (src / "chapters").mkdir()
    for ch in CHAPTERS:
        nb = nbformat.read(build / f"{ch.name}.ipynb", as_version=4)
        nb = solutions_view(nb) if solutions else student_view(nb)
        show_parameters_used(nb)
        for cell in nb.cells:  # papermill's injected-parameters cell is machinery, not part of the chapter
            tags = cell.get("metadata", {}).get("tags", [])
            if "injected-parameters" in tags and "remove-cell" not in tags:
                cell.setdefault("metadata", {})["tags"] = [*tags, "remove-cell"]
        nbformat.write(nb, src / "chapters" / f"{ch.name}.ipynb")
    return src


def show_parameters_used(nb) -> None:
    """Write the values papermill injected into the chapter's ``parameters`` cell (its comments kept), so the page
    shows the parameters it was built with (``scale = "smoke"`` on a smoke page), not the source's defaults.

        >>> import nbformat
        >>> nb = nbformat.v4.new_notebook(cells=[
        ...     nbformat.v4.new_code_cell('scale = "default"  # the preset\\nseed = 0', metadata={"tags": ["parameters"]}),
        ...     nbformat.v4.new_code_cell('# Parameters\\nscale = "smoke"\\n', metadata={"tags": ["injected-parameters"]})])
        >>> show_parameters_used(nb); print(nb.cells[0].source)
        scale = "smoke"  # the preset
        seed = 0
    """
    import ast
    import re

    tagged = {tag: cell for cell in nb.cells for tag in cell.get("metadata", {}).get("tags", [])}
    if "parameters" not in tagged or "injected-parameters" not in tagged:
        return
    injected = {}
    source = tagged["injected-parameters"].source
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            injected[node.targets[0].id] = ast.get_source_segment(source, node.value)
    lines = []
    for line in tagged["parameters"].source.split("\n"):
        m = re.match(r"(\w+)( = )(.*?)(\s+#.*)?$", line)
        if m and m[1] in injected:
            line = f"{m[1]}{m[2]}{injected.pop(m[1])}{m[4] or ''}"
        lines.append(line)
    lines += [f"{name} = {value}" for name, value in injected.items()]
    tagged["parameters"].source = "\n".join(lines)


def glance_markdown(build_dir: str | Path, scale: str, src: Path) -> str:
    """The "Results at a glance" page's table and figure (:mod:`memcap.book.headlines`), the figure saved in ``src``."""
    from memcap.book import headlines

    frame = headlines.table(headlines.load(build_dir, scale))
    if frame.empty:
        return "*No chapter of this build saved a headline result.*\n"
    headlines.capacity_figure(frame, src / "results-at-a-glance.png")
    return (headlines.markdown(frame) + "\n![Our capacities (dots, with their 95 % intervals) beside the papers' "
            "(crosses), in bits per parameter](results-at-a-glance.png)\n\n" + gpt2_small_markdown(build_dir, scale))


def claims_markdown(build_dir: str | Path, scale: str) -> str:
    """The claims appendix: per chapter, every declared claim with its threshold at each scale and what this
    build measured (value, margin, whether it held; from each chapter's ``results.json``)."""
    from memcap.book import claims, headlines
    from memcap.book.chapters import SCALES
    from memcap.book.presets import PRESETS

    saved = headlines.load(build_dir, scale)
    by_scale = {s: {(r["chapter"], r["name"]): r for r in claims.table(scale=s)} for s in SCALES}
    out = []
    for chapter, declared in claims.registry().items():
        if not declared:
            continue
        measured = {o["name"]: o for o in saved.get(chapter, {}).get("claims", [])}
        title = next(f"Chapter {c.number}: {c.title}" for c in CHAPTERS if c.name == chapter)
        out += [f"## {title}\n", f"| claim | kind | {' | '.join(SCALES)} | this build ({scale}) | margin | "
                "fixed |", "|---|---|" + "---|" * len(SCALES) + "---|---|---|"]
        for c in declared:
            cells = []
            for s in SCALES:
                row = by_scale[s][(chapter, c.name)]
                cells.append(f"{_shown(row['threshold'])}{'' if row['asserted'] else ' (shown)'}")
            o = measured.get(c.name)
            held = "not run" if o is None else {True: "held", False: "failed", None: "not judged"}[o["holds"]]
            value = "" if o is None or o["value"] is None else f"{_shown(o['value'])}, "
            margin = "" if o is None or o["margin"] is None else _shown(o["margin"])
            revised = "".join(f"; revised at {s}, {_replication(c, s)}" for s in SCALES
                              if c.revised_at(s) and c.judged(PRESETS[chapter][s]))
            out.append(f"| `{c.name}`: {c.statement} | {c.kind} | {' | '.join(cells)} | {value}{held} | {margin} | "
                       f"{c.fixed}{revised} |")
        out.append("")
    return "\n".join(out)


def _replication(claim, scale: str) -> str:
    from memcap.book.presets.claim import REPLICATIONS_NEEDED

    seeds = sorted(set(claim.seeds_at(scale)))
    if len(seeds) >= REPLICATIONS_NEEDED:
        return f"replicated on {scale} seeds {seeds}"
    return (f"held on {len(seeds)} of {REPLICATIONS_NEEDED} fresh {scale} seeds {seeds}" if seeds
            else "not replicated yet")


def _shown(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "–".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {_shown(v)}" for k, v in value.items())
    return "–" if value is None else str(value)


# GPT-2 small (12 layers, width 768, V = 50,257, S = 1,024: 124,439,808 parameters) on OpenWebText as nanoGPT
# tokenizes it (9,035,582,198 training tokens, its data/openwebtext/readme.md), cut into sequences of 1,024 tokens
GPT2_SMALL = dict(shape=(12, 768), vocab=50257, seq_len=1024, tokens=9_035_582_198, dataset="OpenWebText")


def gpt2_small_markdown(build_dir: str | Path, scale: str) -> str:
    """``memcap estimate`` on GPT-2 small and OpenWebText, with this build's constants: the command and its output."""
    from memcap.book import estimate
    from memcap.model import GPTConfig

    g = GPT2_SMALL
    n_params = GPTConfig(vocab_size=g["vocab"], seq_len=g["seq_len"], n_layer=g["shape"][0],
                         d_model=g["shape"][1]).n_params
    sequences = g["tokens"] // g["seq_len"]
    found = estimate.estimate(n_params=n_params, vocab_size=g["vocab"], seq_len=g["seq_len"], n_sequences=sequences,
                              constants=estimate.constants(build_dir, scale))
    command = (f"memcap estimate --shape {g['shape'][0]} {g['shape'][1]} --vocab {g['vocab']} --seq-len {g['seq_len']} "
               f"--sequences {sequences} --build-dir BUILD --scale {scale}")
    return (f"## A real model: GPT-2 small on {g['dataset']}\n\n"
            f"What this build's laws predict for GPT-2 small ({n_params:,} parameters) trained on {g['dataset']} "
            f"({g['tokens']:,} tokens, {sequences:,} sequences of {g['seq_len']}), computed by `memcap estimate` (its "
            "module says where each number comes from). The dataset's bits here are the uniform-token bound, far "
            "above real text's entropy, so the ratio is an upper bound too; the warnings say where the laws are "
            "stretched beyond the sizes they were measured at.\n\n"
            f"```text\n$ {command}\n{estimate.text(found)}\n```\n")


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
