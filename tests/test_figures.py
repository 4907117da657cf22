"""The book's figure style: log-axis labels that do not overlap, constrained layout."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from memcap.book.figures import LogLabels, plain_number, use_book_style  # noqa: E402


@pytest.fixture
def styled():
    with matplotlib.rc_context():
        use_book_style()
        yield
        plt.close("all")


def _labels(ax, minor: bool) -> list[str]:
    """The non-empty tick labels inside the axis' view."""
    ax.figure.canvas.draw()
    lo, hi = ax.get_xlim()
    ticks = ax.xaxis.get_minor_ticks() if minor else ax.xaxis.get_major_ticks()
    return [t.label1.get_text() for t in ticks if lo <= t.get_loc() <= hi and t.label1.get_text()]


@pytest.mark.parametrize(("x", "text"), [(1.0, "1"), (0.5, "0.5"), (2000, "2000"), (1e5, "$10^{5}$"),
                                         (2e-3, "$2\\times10^{-3}$"), (0.0, ""), (-1.0, "")])
def test_plain_number(x, text):
    assert plain_number(x) == text


def test_short_log_axis_labels_powers_of_ten_and_2_and_5_only(styled):
    ax = plt.figure().gca()
    ax.set_xscale("log")
    ax.set_xlim(0.3, 4.5)
    assert _labels(ax, minor=True) == ["0.5", "2"]  # not 0.4, 0.6, 3, 4: matplotlib's default labels all of them
    assert _labels(ax, minor=False) == ["1"]


def test_long_log_axis_labels_only_powers_of_ten(styled):
    ax = plt.figure().gca()
    ax.set_xscale("log")
    ax.set_xlim(1e2, 1e7)
    assert _labels(ax, minor=True) == []
    assert _labels(ax, minor=False)[:3] == ["100", "1000", "$10^{4}$"]


def test_other_bases_keep_matplotlibs_labels(styled):
    ax = plt.figure().gca()
    ax.plot([1, 64], [0, 1])
    ax.set_xscale("log", base=2)
    assert not isinstance(ax.xaxis.get_major_formatter(), LogLabels)


def test_figures_use_constrained_layout(styled):
    fig, _ = plt.subplots(1, 2)
    assert fig.get_layout_engine().__class__.__name__ == "ConstrainedLayoutEngine"


def test_a_log_log_roc_draws_each_attack_and_a_coin():
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    import pandas as pd

    from memcap.book.figures import log_log_roc

    rng = np.random.default_rng(0)
    member = np.r_[np.ones(200, bool), np.zeros(200, bool)]
    scores = pd.DataFrame(dict(member=member, good=member + rng.normal(0, 0.5, 400), coin=rng.normal(0, 1, 400)))
    ax = log_log_roc(scores, ["good", "coin"], title="t")
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines[:2]] == ["good", "coin"] and len(lines) == 3
    x, y = lines[0].get_data()
    assert x.min() == 0.5 / 200 and (y <= 1).all() and ax.get_xscale() == "log" and ax.get_title() == "t"
