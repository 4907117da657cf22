import math

import numpy as np
import pytest

from memcap.measures.peaks import find_peak, locate_peak


def test_a_peak_between_trained_widths_is_closed_by_them():
    peak = find_peak({16: 0.2, 24: 0.4, 32: 0.55, 40: 0.47})
    assert (peak.width, peak.R, peak.narrower, peak.wider, peak.bracketed) == (32, 0.55, "trained", "trained", True)
    assert peak.ceiling is None


def test_the_next_widths_ceiling_closes_the_wider_side_only_when_below_the_peak():
    R = {16: 1.34, 24: 1.75}
    assert find_peak(R, {24: 2.03, 32: 1.19, 40: 0.78}).wider == "ceiling"
    assert find_peak(R, {24: 2.03, 32: 1.19}).ceiling == 1.19
    # the narrowest untrained wider width decides: a wider one's lower ceiling proves nothing about width 32
    assert find_peak(R, {32: 1.8, 40: 0.78}).wider == "open"
    assert find_peak(R, {32: 1.75}).wider == "open"  # equal: width 32 could store as much
    assert not find_peak(R, {32: 1.8}).bracketed


def test_edges_stay_open_and_make_the_peak_a_lower_bound():
    assert find_peak({16: 0.9, 24: 0.5}).narrower == "open"
    assert find_peak({16: 0.5, 24: 0.9}).wider == "open"
    assert find_peak({16: 0.5, 24: 0.9}, {8: 0.1}).wider == "open"  # no wider width listed
    single = find_peak({24: 0.9}, {32: 0.5})
    assert (single.narrower, single.wider, single.bracketed) == ("open", "ceiling", False)


def test_ties_go_to_the_narrower_width():
    assert find_peak({16: 1.0, 24: 1.0, 32: 0.5}).width == 16


@pytest.mark.parametrize("R, ceilings, named", [
    ({}, None, "none"),
    ({16: float("nan")}, None, "nan"),
    ({16: "1.0"}, None, "'1.0'"),
    ({16: 1.0}, {24: -1.0}, "-1.0"),
    ({16: 1.0}, {24: None}, "None"),
])
def test_bad_input_is_named(R, ceilings, named):
    with pytest.raises(ValueError, match=named):
        find_peak(R, ceilings)


def _peaked(x, at, width=0.8):
    return np.exp(-(np.log(x / at) / width) ** 2)


@pytest.mark.parametrize("at", [0.3, 0.7, 1.6])
def test_locate_peak_finds_a_known_peak_between_grid_points(at):
    x = np.geomspace(0.1, 4, 9)
    y = 10 * _peaked(x, at)[None, :] + np.random.default_rng(1).normal(0, 0.05, (3, x.size))
    p = locate_peak(x, y)
    assert p.interior and p.interior_share == 1.0
    assert abs(math.log(p.x / at)) < math.log(1.2)  # within a fifth of a grid step (1.59x) of the truth
    assert p.interval[0] < at < p.interval[1]


def test_locate_peak_reports_a_monotone_curve_as_peaking_at_an_end():
    x = np.geomspace(0.1, 4, 9)
    p = locate_peak(x, np.vstack([1 / x, 1.1 / x]))
    assert p.index == 0 and not p.interior and p.x == x[0] and p.interior_share == 0.0


@pytest.mark.parametrize("n_seeds, n_sizes", [(2, 9), (3, 9), (3, 7)])
def test_the_peak_interval_covers_the_true_peak_in_simulation(n_seeds, n_sizes):
    # Seeds and sizes as chapter 2's double-descent sweeps (three seeds; nine sizes at default, seven at smoke, two
    # seeds before 2026-12-06); noise comparable with the seed-to-seed spread there (a tenth of the peak's
    # height). The bracket must cover at least its nominal 95 % (binomial slack).
    rng = np.random.default_rng(7)
    x = np.geomspace(0.1, 4, n_sizes)
    covered = 0
    n_sim = 300
    for _ in range(n_sim):
        at = math.exp(rng.uniform(math.log(0.25), math.log(2.0)))
        y = _peaked(x, at)[None, :] + rng.normal(0, 0.1, (n_seeds, x.size))
        lo, hi = locate_peak(x, y, n_boot=400, seed=int(rng.integers(1 << 30))).interval
        covered += lo <= at <= hi
    assert covered / n_sim >= 0.95 - 2 * math.sqrt(0.95 * 0.05 / n_sim), covered / n_sim


def test_locate_peak_names_bad_input():
    with pytest.raises(ValueError, match="increasing"):
        locate_peak([1, 3, 2], np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"shape \(seeds, sizes\)"):
        locate_peak([1, 2, 3], np.ones(3))
    with pytest.raises(ValueError, match="level"):
        locate_peak([1, 2, 3], np.ones((2, 3)), level=1.5)
