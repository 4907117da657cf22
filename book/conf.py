"""Sphinx configuration of the memcap book (rendered by `memcap book`, from executed chapters)."""

project = "memcap: how much do language models memorize?"
author = "memcap developers"
copyright = "2026, memcap developers"

extensions = [
    "myst_nb",  # reads the executed .ipynb chapters and the Markdown pages
    "sphinx-mathjax-offline",  # ships MathJax 3 inside the built book: equations render with the network off
]
nb_execution_mode = "off"  # chapters were executed by papermill (`memcap run`); the book only renders them
nb_execution_raise_on_error = True
nb_output_stderr = "remove"  # progress bars and warnings stay in the executed notebooks, not in the book
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = "memcap"
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_last_updated_fmt = ""
exclude_patterns = ["_build", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store", "exercise-timings.md", "exercise-kinds.md",
                    "results-at-a-glance.md", "claims-table.md"]  # included by instructors.md, glance.md, claims.md
suppress_warnings = ["mystnb.unknown_mime_type"]
