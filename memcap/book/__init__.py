"""The book's machinery: chapters and their typed presets, a chapter's set-up, papermill execution, the HTML book,
batch runs over parameter grids, the classroom (nbgrader), JupyterLab and the ``memcap`` command."""

from memcap.book.chapters import start

__all__ = ["start"]
