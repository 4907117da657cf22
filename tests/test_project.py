"""Project layout promises: one dependency list mirrored for conda, sources not build products."""

import re
import subprocess
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch"}


def _name_spec(req: str) -> tuple[str, str]:
    m = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", req.strip())
    return m.group(1).lower(), m.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_name_spec(r) for r in project["dependencies"])
    for extra, reqs in project["optional-dependencies"].items():
        wanted.update(_name_spec(r) for r in reqs if not r.startswith("memcap"))
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    have = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            have.update(_name_spec(r) for r in dep["pip"] if not r.startswith("-e"))
        else:
            have.update([_name_spec(dep)])
    for name, spec in wanted.items():
        conda_name = CONDA_NAMES.get(name, name)
        assert conda_name in have, f"{name} missing from environment.yml"
        assert have[conda_name] == spec, f"{name}: pyproject {spec!r} vs environment.yml {have[conda_name]!r}"


def test_torch_range_admits_the_cpu_build():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    torch = next(d for d in deps if d.startswith("torch"))
    from packaging.specifiers import SpecifierSet

    assert "2.13.0" in SpecifierSet(torch[len("torch"):])


def test_no_notebook_build_products_are_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if not tracked:  # not a git checkout (e.g. an sdist): nothing to check
        return
    assert not [f for f in tracked if f.endswith(".ipynb")]
    assert not [f for f in tracked if f.startswith(("build/", "book/_build/"))]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make test" in ci
    assert "make book" in readme


def test_readme_is_a_short_guide():
    lines = (ROOT / "README.md").read_text().split("\n")
    assert len(lines) <= 120 + 1, len(lines)  # the last newline
    assert not [(i, len(line)) for i, line in enumerate(lines, 1) if len(line) > 200]
    text = "\n".join(lines)
    assert text.count("<!-- results:start -->") == 1 and text.count("<!-- results:end -->") == 1
    block = text.split("<!-- results:start -->")[1].split("<!-- results:end -->")[0]
    assert block.count("\n| 0") >= 5, "the README's results table is empty: run `memcap results --readme`"


BOOK_COLUMN = 88  # characters of code the rendered book shows without a horizontal scroll bar


def long_code_lines(text: str, limit: int = BOOK_COLUMN) -> list[tuple[int, str]]:
    """(line number, line) of every code-cell line of a py:percent chapter longer than ``limit`` (cell markers and
    Markdown cells aside: prose wraps, code does not)."""
    out, markdown = [], False
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith("# %%"):
            markdown = "[markdown]" in line
        elif not markdown and len(line) > limit:
            out.append((number, line))
    return out


def test_chapter_code_fits_the_book_column():
    assert long_code_lines("# %%\nx = 1\n# %% [markdown]\n# " + "a" * 100) == []
    assert long_code_lines("# %%\n" + "y = 1  # " + "b" * 90) == [(2, "y = 1  # " + "b" * 90)]
    for path in sorted((ROOT / "notebooks").glob("*.py")):
        long = long_code_lines(path.read_text())
        assert not long, f"{path.name}: code lines longer than {BOOK_COLUMN}: " + "; ".join(
            f"line {n} ({len(line)})" for n, line in long)


CELL_LINES = 30  # a code cell a reader takes in at once, on one screen


def long_code_cells(text: str, limit: int = CELL_LINES) -> list[tuple[int, int]]:
    """(first line, length) of every code cell of a py:percent chapter longer than ``limit`` lines (Markdown cells
    aside; trailing blank lines not counted)."""
    out, start, markdown = [], None, False
    lines = text.split("\n")
    for number, line in enumerate([*lines, "# %%"], 1):
        if line.startswith("# %%"):
            if start is not None and not markdown:
                body = lines[start:number - 1]
                while body and not body[-1].strip():
                    body.pop()
                if len(body) > limit:
                    out.append((start + 1, len(body)))
            start, markdown = number, "[markdown]" in line
    return out


def test_chapter_code_cells_fit_a_screen():
    assert long_code_cells("# %%\n" + "x = 1\n" * 3 + "\n\n# %% [markdown]\n" + "# a\n" * 9, limit=3) == []
    assert long_code_cells("# %% [markdown]\n# a\n# %%\n" + "y = 2\n" * 4, limit=3) == [(4, 4)]
    for path in sorted((ROOT / "notebooks").glob("*.py")):
        long = long_code_cells(path.read_text())
        assert not long, f"{path.name}: code cells longer than {CELL_LINES} lines: " + "; ".join(
            f"from line {n} ({k} lines)" for n, k in long)
