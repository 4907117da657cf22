"""Intervals across seeds (memcap.measures.seeds): coverage on simulated draws, the summary table, bad input."""

import math

import numpy as np
import pandas as pd
import pytest

from memcap.measures.seeds import across_seeds, seed_summary, t_interval


def _coverage(draw, truth, n, sets=3000, interval=t_interval):
    rng = np.random.default_rng(n)
    hits = 0
    for _ in range(sets):
        lo, hi = interval(draw(rng, n))
        hits += lo <= truth <= hi
    return hits / sets


@pytest.mark.parametrize("n", [2, 3, 5])
def test_the_t_interval_covers_at_its_level_on_normal_draws(n):
    cover = _coverage(lambda rng, n: rng.normal(1.2, 0.1, n), 1.2, n)
    assert 0.935 <= cover <= 0.965, cover  # 3,000 sets: the binomial's 95 % band is about ±0.8 points


def test_it_still_covers_skewed_draws_such_as_ratios_of_noisy_peaks():
    # a ratio that varies by 30 % from seed to seed, lognormal: its mean is exp(sigma^2 / 2)
    cover = _coverage(lambda rng, n: rng.lognormal(0.0, 0.3, n), math.exp(0.045), 3)
    assert cover >= 0.93, cover


def test_the_normal_interval_with_three_seeds_would_not_cover():
    # what the check can see: 1.96 standard errors instead of t(2)'s 4.30 cover about 80 % of sets
    def z_interval(x):
        half = 1.96 * np.std(x, ddof=1) / math.sqrt(len(x))
        return np.mean(x) - half, np.mean(x) + half

    cover = _coverage(lambda rng, n: rng.normal(1.2, 0.1, n), 1.2, 3, interval=z_interval)
    assert cover < 0.88, cover


@pytest.mark.parametrize("values, level, message", [
    ([1.0], 0.95, "at least two values, got 1"), ([[1.0, 2.0], [3.0, 4.0]], 0.95, r"shape \(2, 2\)"),
    ([1.0, float("nan")], 0.95, "every value must be finite"),
    ([1.0, 2.0], 1.5, "level=1.5"),
])
def test_bad_input_is_named(values, level, message):
    with pytest.raises(ValueError, match=message):
        t_interval(values, level)


def test_the_summary_groups_by_the_other_grid_columns_and_skips_flags_and_missing_values():
    table = pd.DataFrame(dict(
        seed=[0, 1, 2, 0, 1, 2], scale=["smoke"] * 3 + ["default"] * 3, seconds=[1.0] * 6,
        R=[1.0, 1.2, 1.1, 2.0, 2.2, float("nan")], held=[True] * 6, label=["x"] * 6))
    s = seed_summary(table)
    assert list(s.columns) == ["scale", "quantity", "n", "mean", "sd", "low", "high"]
    assert set(s.quantity) == {"seconds", "R"}  # flags and text left out
    r = s[s.quantity == "R"].set_index("scale")
    assert r.loc["smoke", "n"] == 3 and r.loc["smoke", "mean"] == pytest.approx(1.1)
    assert (r.loc["smoke", "low"], r.loc["smoke", "high"]) == pytest.approx(t_interval([1.0, 1.2, 1.1]))
    assert r.loc["default", "n"] == 2  # the NaN seed is not counted
    one = seed_summary(table[table.seed == 0])
    assert one.n.max() == 1 and one.low.isna().all()


def test_a_table_without_seeds_or_with_a_repeated_seed_is_refused():
    with pytest.raises(ValueError, match="no 'seed' column"):
        seed_summary(pd.DataFrame(dict(scale=["smoke"], seconds=[1.0])))
    with pytest.raises(ValueError, match=r"seed values repeat within \{'scale': 'smoke'\}: \[0, 0\]"):
        seed_summary(pd.DataFrame(dict(seed=[0, 0], scale="smoke", seconds=[1.0, 2.0])))


def test_across_seeds_sets_each_quantity_beside_its_mean_and_interval():
    t = across_seeds({3: {"a": 1.0, "b": 2.0}, 4: {"a": 3.0, "b": math.inf}})
    assert list(t.index) == ["a", "b"] and list(t.columns) == [3, 4, "mean", "low", "high"]
    assert t.loc["a", "mean"] == 2.0
    assert (t.loc["a", "low"], t.loc["a", "high"]) == pytest.approx(t_interval([1.0, 3.0]))
    assert t.loc["b", "mean"] == math.inf and math.isnan(t.loc["b", "low"])  # no interval with a seed infinite
    one = across_seeds({0: {"a": 0.5}})
    assert one.loc["a", "mean"] == 0.5 and math.isnan(one.loc["a", "high"])  # one seed: no interval
    assert math.isnan(across_seeds({0: {"a": math.nan}, 1: {"a": 1.0}}).loc["a", "mean"])


def test_across_seeds_refuses_seeds_that_name_other_quantities():
    with pytest.raises(ValueError, match="seed 1 names"):
        across_seeds({0: {"a": 1.0}, 1: {"b": 1.0}})
    with pytest.raises(ValueError, match="at least one seed"):
        across_seeds({})
