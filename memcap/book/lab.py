"""JupyterLab for the book: a chapter's ``.py`` source opens as a notebook with a double click.

Jupytext's JupyterLab extension can show a ``py:percent`` file as a notebook ("Jupytext Notebook") and saves the
paired ``.ipynb`` beside it (``notebooks/jupytext.toml``); JupyterLab's default viewer for Python files, though, is
the text editor. :func:`install_default_viewer` sets the default to the notebook view through JupyterLab's
``overrides.json`` in the environment's application settings (``<prefix>/share/jupyter/lab/settings``), so it
holds for this environment only, and a user's own setting still wins. ``memcap lab`` does that, then starts
JupyterLab in ``notebooks/``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

PLUGIN = "@jupyterlab/docmanager-extension:plugin"
DEFAULT_VIEWERS = {"python": "Jupytext Notebook"}


def settings_dir(prefix: str | Path | None = None) -> Path:
    """JupyterLab's application settings folder of the environment at ``prefix`` (default: this one)."""
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "lab" / "settings"


def install_default_viewer(prefix: str | Path | None = None) -> Path:
    """Make "Jupytext Notebook" the default viewer of Python files in ``overrides.json``, keeping every other
    override already there; returns the file's path.

        >>> import tempfile, json
        >>> path = install_default_viewer(tempfile.mkdtemp())
        >>> json.loads(path.read_text())["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
        {'python': 'Jupytext Notebook'}
    """
    path = settings_dir(prefix) / "overrides.json"
    overrides = {}
    if path.exists():
        try:
            overrides = json.loads(path.read_text() or "{}")
        except json.JSONDecodeError as err:
            raise ValueError(f"{path} is not valid JSON ({err}); fix or remove it") from None
        if not isinstance(overrides, dict):
            raise ValueError(f"{path} must hold a JSON object, found {type(overrides).__name__}")
    plugin = overrides.setdefault(PLUGIN, {})
    plugin["defaultViewers"] = {**plugin.get("defaultViewers", {}), **DEFAULT_VIEWERS}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(overrides, indent=2) + "\n")
    os.replace(tmp, path)
    return path


def command(args: list[str] | None = None, root: Path | None = None) -> list[str]:
    """The ``jupyter lab`` command line ``memcap lab ARGS`` runs: JupyterLab's own options passed on as given, in the
    project's notebooks unless ``args`` name another folder.

        >>> command(["--no-browser"], root=Path("/nowhere"))[1:]
        ['lab', '--no-browser']
    """
    from memcap.book.execute import project_root

    args = list(args or [])
    notebooks = (root or project_root()) / "notebooks"
    jupyter = Path(sys.executable).with_name("jupyter")
    line = [str(jupyter) if jupyter.exists() else "jupyter", "lab", *args]
    if notebooks.is_dir() and not any(a.startswith(("--notebook-dir", "--ServerApp.root_dir")) for a in args):
        line.append(f"--ServerApp.root_dir={notebooks}")
    return line


def start(args: list[str] | None = None, root: Path | None = None) -> None:
    """Install the default viewer, then replace this process by :func:`command`'s ``jupyter lab``."""
    install_default_viewer()
    line = command(args, root)
    os.execvp(line[0], line)
