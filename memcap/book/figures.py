"""The book's figure style, set once per chapter by :func:`use_book_style` (called from
:func:`memcap.book.chapters.start`).

* seaborn's ``whitegrid`` theme;
* constrained layout for every figure, so that side-by-side panels' axis labels, titles and tick labels never
  collide (seaborn's facet grids lay themselves out with ``tight_layout``; that is kept, silently);
* base-10 log axes labelled in plain numbers (``0.5``, ``2``, ``2000``; powers of ten outside 0.01–10⁴) at each
  power of ten, and, where the axis spans at most :data:`MINOR_LABEL_DECADES` decades, also at 2 and 5 times one.
  Matplotlib's default labels *every* minor tick of a log axis that spans under a decade, in scientific notation,
  and on a figure's narrow panels those labels overlap.

Other bases (``set_xscale("log", base=2)``) keep matplotlib's own labels.
"""

from __future__ import annotations

import math
import warnings

import matplotlib as mpl
from matplotlib import scale as mscale
from matplotlib import ticker

MINOR_LABEL_DECADES = 2.0  # an axis spanning at most this many decades is also labelled at 2 and 5 x 10^k
_MINOR_LABELLED = (2.0, 5.0)


def plain_number(x: float) -> str:
    """``x`` as a short axis label: plain digits in [0.01, 10⁴), else mathtext ``m×10^k``."""
    if x <= 0 or not math.isfinite(x):
        return ""
    if 0.01 <= x < 1e4:
        return f"{x:g}"
    exp = math.floor(math.log10(x) + 1e-9)
    mant = x / 10**exp
    return f"$10^{{{exp}}}$" if abs(mant - 1) < 1e-6 else f"${mant:g}\\times10^{{{exp}}}$"


class LogLabels(ticker.Formatter):
    """Labels for a base-10 log axis: major ticks (powers of ten) always; minor ticks only at 2 and 5 x 10^k and
    only while the axis spans at most :data:`MINOR_LABEL_DECADES` decades."""

    def __init__(self, minor: bool):
        self.minor = minor

    def __call__(self, x: float, pos=None) -> str:
        if x <= 0 or not math.isfinite(x):
            return ""
        if self.minor:
            lo, hi = sorted(self.axis.get_view_interval()) if self.axis is not None else (x, x)
            if lo <= 0 or math.log10(hi / lo) > MINOR_LABEL_DECADES:
                return ""
            mant = x / 10 ** math.floor(math.log10(x) + 1e-9)
            if not any(abs(mant - m) < 1e-6 for m in _MINOR_LABELLED):
                return ""
        return plain_number(x)


class BookLogScale(mscale.LogScale):
    """Matplotlib's log scale with :class:`LogLabels` on base-10 axes (registered under the name ``"log"``).

    The constructor takes no named ``axis`` (matplotlib 3.11 deprecates it); matplotlib before 3.11 passes the axis
    positionally, and it is not needed."""

    def __init__(self, *_axis, base: float = 10, subs=None, nonpositive: str = "clip"):
        super().__init__(None, base=base, subs=subs, nonpositive=nonpositive)

    def set_default_locators_and_formatters(self, axis) -> None:
        super().set_default_locators_and_formatters(axis)
        if self.base == 10:
            axis.set_major_formatter(LogLabels(minor=False))
            axis.set_minor_formatter(LogLabels(minor=True))


def use_book_style() -> None:
    """Apply the book's figure style (see the module's doc) to every figure made after the call."""
    try:
        import seaborn as sns
    except ImportError:  # the figures then use matplotlib's theme
        pass
    else:
        sns.set_theme(style="whitegrid", context="notebook")
    mpl.rcParams["figure.constrained_layout.use"] = True
    mscale.register_scale(BookLogScale)
    # seaborn's FacetGrid calls tight_layout on its own figure, which replaces constrained layout there (and says so)
    warnings.filterwarnings("ignore", message="The figure layout has changed to tight")


def log_log_roc(scores, names, *, title: str = "", ax=None):
    """Each attack's ROC curve on log-log axes, with a coin's diagonal (dotted): ``scores`` is a table with a boolean
    ``member`` column and one score column per attack in ``names`` (higher: "member"). A rate of 0 is drawn at half
    the smallest rate its side can resolve, so that the curve's low end stays on the plot. Returns the axes."""
    import matplotlib.pyplot as plt
    import numpy as np

    from memcap.measures.attacks import roc_curve

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    inside = np.asarray(scores["member"], dtype=bool)
    for name in names:
        column = np.asarray(scores[name], dtype=float)
        fpr, tpr = roc_curve(column[inside], column[~inside])
        ax.loglog(np.maximum(fpr, 0.5 / (~inside).sum()), np.maximum(tpr, 0.5 / inside.sum()), label=name, lw=1)
    ax.plot([1e-4, 1], [1e-4, 1], "k:", lw=1)
    ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title=title)
    ax.legend(fontsize=7)
    return ax
