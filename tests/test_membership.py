
import numpy as np
import pytest

from memcap.measures import membership as mi
from memcap.measures.evaluate import sequence_losses


def test_f1_by_hand():
    # members 1, 2, 6; non-members 3, 4, 5; tau = 3.5: TP 2 (1, 2), FP 1 (3), FN 1 (6) -> 2·2/(4 + 1 + 1)
    assert mi.f1_at_threshold([1, 2, 6], [3, 4, 5], 3.5) == pytest.approx(4 / 6)
    assert mi.f1_at_threshold([1, 2], [3, 4], 0.5) == 0.0  # nothing called a member
    assert mi.f1_at_threshold([1, 2], [3, 4], 10) == pytest.approx(2 / 3)  # everything called a member
    assert mi.f1_at_threshold([1, 2], [3, 4], 2.0) == 1.0  # "at most": the boundary is a member


def test_best_threshold_matches_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(30):
        m = rng.normal(0, 1, 9).round(1)
        n = rng.normal(0.7, 1, 9).round(1)  # rounding makes ties
        tau, f1 = mi.best_threshold(m, n)
        cuts = sorted(set(np.concatenate([m, n])))
        scores = [mi.f1_at_threshold(m, n, c) for c in cuts]
        assert f1 == pytest.approx(max(scores))
        assert tau == cuts[int(np.argmax(scores))]  # the smallest best cut-off


def test_median_threshold_by_hand():
    # pooled 1 2 3 | 4 5 6: the lower half is called members; TP 2 (1, 2), FP 1 (3), FN 1 (4): F1 = 4/6
    tau = mi.median_threshold([1, 2, 4], [3, 5, 6])
    assert tau == 3.5 and mi.f1_at_threshold([1, 2, 4], [3, 5, 6], tau) == pytest.approx(2 / 3)
    assert mi.median_threshold([1, 2], [10, 20]) == 6.0  # perfectly separated: the cut-off sits in the gap


def test_calibrated_attack_threshold_sits_between_separated_groups():
    a = mi.calibrated_attack(np.zeros(40), np.full(40, 10.0), np.random.default_rng(0), n_boot=20)
    assert a.threshold == 5.0 and a.f1 == 1.0 and a.n_eval == 20


def test_calibrated_attack_extremes_and_validation():
    rng = np.random.default_rng(1)
    sep = mi.calibrated_attack(np.arange(50.0), np.arange(100.0, 150.0), rng)
    assert sep.f1 == 1.0 and sep.f1_best == 1.0 and sep.f1_ci == (1.0, 1.0) and sep.n_eval == 25
    same = [mi.calibrated_attack(rng.normal(size=400), rng.normal(size=400), rng, n_boot=50).f1 for _ in range(20)]
    assert 0.47 < np.mean(same) < 0.53  # chance: 0.5 with the median rule (a max-F1 rule would drift to 2/3)
    with pytest.raises(ValueError, match="equal numbers"):
        mi.calibrated_attack([1, 2, 3, 4], [1, 2, 3], rng)
    with pytest.raises(ValueError, match="finite"):
        mi.f1_at_threshold([np.nan], [1.0], 0.0)


def test_printed_law_limits():
    c = (1.34, -0.034, -33.14)
    assert mi.printed_law_limit(*c, 0.0) == pytest.approx(0.5 * (1 + 1.34 / (1 + np.exp(-0.034 * 33.14))))
    assert mi.printed_law_limit(*c, np.inf) == 0.5  # c2 < 0: the law falls to 0.5 only as x grows
    assert mi.printed_law_limit(*c, -np.inf) == pytest.approx(0.5 * (1 + 1.34))


@pytest.mark.parametrize("seed", range(4))
def test_fit_recovers_known_constants(seed):
    rng = np.random.default_rng(seed)
    truth = (0.95, -1.6, -2.0)
    x = np.repeat(np.linspace(-2, 6, 16), 2)
    y = mi.law(x, *truth) + rng.normal(0, 0.01, x.size)
    fit = mi.fit_law(x, y)
    for value, se, est in zip(truth, fit.stderr, fit.params):
        assert abs(est - value) <= 4 * se, (truth, fit.params, fit.stderr)  # the interval is honest...
        assert est == pytest.approx(value, rel=0.2)  # ...and narrow enough to mean something
    assert fit.rmse < 0.02 and fit.residuals.shape == x.shape
    assert np.allclose(fit.predict(x), y - fit.residuals)


@pytest.mark.slow
@pytest.mark.parametrize("truth, x, noise", [
    # a transition inside the data (16 points, as the chapter fits)
    ((1.0, -1.5, -3.0), np.linspace(-0.5, 8, 16), 0.02),
    # most runs below x = 2, a few far past it, a sharp transition near the edge
    ((1.0, -2.6, -5.5), np.sort(np.r_[np.linspace(-0.8, 2.2, 12), 3.5, 4.5, 5.5, 6.5]), 0.02),
    # chapter 5's default design: four x levels per model, the drop at the largest, its slope resting on two runs
    ((1.0, -2.5, -5.57), np.sort(np.r_[np.tile([-0.75, 1.25, 2.05], 4), 3.57, 3.57, 5.57, 5.57]), 0.04),
])
def test_each_interval_covers_within_a_binomial_tolerance_of_95_percent(truth, x, noise):
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor
    from functools import partial

    from scipy.stats import binom

    n_sets = 200
    one_set = partial(_covers, truth, x, noise)
    if "fork" in multiprocessing.get_all_start_methods():  # the sets are independent: both cores share them
        with ProcessPoolExecutor(min(2, os.cpu_count() or 1), mp_context=multiprocessing.get_context("fork")) as pool:
            hits = np.sum(list(pool.map(one_set, range(n_sets), chunksize=10)), axis=0)
    else:
        hits = np.sum([one_set(k) for k in range(n_sets)], axis=0)
    low, high = binom.ppf(0.005, n_sets, 0.95), binom.ppf(0.995, n_sets, 0.95)  # a two-sided 1 % test of 95 %
    print(f"coverage of c1, c2, c3 over {n_sets} simulated sets: {(hits / n_sets).tolist()}")
    assert ((low <= hits) & (hits <= high)).all(), (hits / n_sets, low / n_sets, high / n_sets)


def _covers(truth, x, noise, k: int) -> list[bool]:
    """Whether each of the law's three (profile) intervals covers the truth on simulated set ``k``."""
    y = mi.law(x, *truth) + np.random.default_rng(1000 + k).normal(0, noise, x.size)
    fit = mi.fit_law(x, y)
    return [lo <= v <= hi for v, (lo, hi) in zip(truth, fit.ci)]


def test_an_interval_the_data_cannot_close_is_open_and_the_bootstrap_t_is_still_there():
    x = np.linspace(0, 3, 16)  # F1 flat at 1: where the drop is, and how steep, the data cannot say
    y = mi.law(x, 1.0, -2.0, -20.0) + np.random.default_rng(0).normal(0, 0.01, x.size)
    fit = mi.fit_law(x, y)
    assert fit.interval == "profile" and fit.n_boot == 0
    assert max(hi - lo for lo, hi in fit.ci) > 100, fit.ci  # open, or far wider than the data's span of 3
    x_in = np.linspace(-0.5, 8, 16)  # a drop inside the data: every interval closed
    fit_in = mi.fit_law(x_in, mi.law(x_in, 1.0, -1.5, -3.0) + np.random.default_rng(0).normal(0, 0.01, 16))
    assert all(np.isfinite(end) for pair in fit_in.ci for end in pair), fit_in.ci
    assert all(lo < v < hi for v, (lo, hi) in zip(fit_in.params, fit_in.ci))
    exact = mi.fit_law(x, np.ones_like(x))  # a perfect attack everywhere: no scatter to test against
    assert exact.ci == ((-np.inf, np.inf),) * 3
    boot = mi.fit_law(x, y, interval="bootstrap-t", n_boot=100, rng=np.random.default_rng(1))
    assert boot.interval == "bootstrap-t" and boot.n_boot == 100 and boot.params == fit.params


def test_fit_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 4"):
        mi.fit_law([1, 2, 3], [0.9, 0.8, 0.7])
    with pytest.raises(ValueError, match="n_boot=10"):
        mi.fit_law([1, 2, 3, 4], [0.9, 0.8, 0.7, 0.6], n_boot=10, interval="bootstrap-t")
    with pytest.raises(ValueError, match="interval='wald'"):
        mi.fit_law([1, 2, 3, 4], [0.9, 0.8, 0.7, 0.6], interval="wald")


def test_sequence_losses_and_extraction_with_a_fixed_distribution(fixed_distribution):
    probs = np.array([0.1, 0.2, 0.7])
    model = fixed_distribution(probs)
    seqs = [np.array([0, 2, 2, 1]), np.array([1, 0, 2])]
    # the first token is not scored: -ln p of the rest
    assert sequence_losses(model, seqs) == pytest.approx([-np.log([0.7, 0.7, 0.2]).sum(), -np.log([0.1, 0.7]).sum()])
    # greedy continuation of a fixed distribution is its mode (token 2) every time
    assert mi.extraction_rate(model, [np.array([0, 2, 2]), np.array([1, 2, 0])], prefix_len=1, n_tokens=2) == 0.5
    with pytest.raises(ValueError, match="prefix_len"):
        mi.extraction_rate(model, [np.array([0, 1])], prefix_len=2, n_tokens=2)


def test_the_law_names_a_nan_axis_or_gives_a_nan_fit_as_asked():
    x = [mi.law_x(8000.0, a, 1000) for a in (-0.5, 0.0, -1.0, -2.0)]
    assert np.isnan(x).all() and mi.law_x(8000.0, 2.0, 1000) == 2.0
    with pytest.raises(ValueError, match="finite x and F1"):
        mi.fit_law(x, [0.5, 0.6, 0.5, 0.55])
    law = mi.fit_law(x, [0.5, 0.6, 0.5, 0.55], undefined="nan")
    assert np.isnan(law.params).all() and np.isnan(law.rmse) and np.isnan(law.predict([0.0, 1.0])).all()
    with pytest.raises(ValueError, match="undefined='drop'"):
        mi.fit_law([0.0, 1.0, 2.0, 3.0], [0.9, 0.8, 0.6, 0.5], undefined="drop")


def test_fit_laws_fit_each_metric_and_check_it_on_held_out_runs():
    x = np.linspace(-3.0, 4.0, 12)
    auc = mi.law(x, 1.0, -2.0, -1.0)
    tpr = mi.law(x, 0.8, -1.5, 0.0) + np.random.default_rng(0).normal(0, 0.01, x.size)
    fits, rows = mi.fit_laws({"auc": (x[:10], auc[:10], x[10:], auc[10:]),
                                 ("tpr", "scaled"): (x[:10], tpr[:10], [], [])})
    by = {r["metric"]: r for r in rows}
    assert by["auc"]["runs"] == 10 and by["auc"]["rmse"] == pytest.approx(0, abs=1e-6)
    assert by["auc"]["held_out_error"] == pytest.approx(0, abs=1e-6)  # the law itself: its held-out points too
    assert fits["auc"].params == pytest.approx((1.0, -2.0, -1.0), abs=1e-3)
    assert 0 < by[("tpr", "scaled")]["rmse"] < 0.02 and np.isnan(by[("tpr", "scaled")]["held_out_error"])
    # an undefined x (no capacity) gives NaN constants, so the claims on them fail, instead of an error
    _, nan_rows = mi.fit_laws({"auc": ([np.nan] * 4, [0.5] * 4, [1.0], [0.5])})
    assert np.isnan(nan_rows[0]["rmse"]) and np.isnan(nan_rows[0]["held_out_error"])
    # a held-out miss is the mean absolute error of the fitted law's predictions
    _, off = mi.fit_laws({"auc": (x[:10], auc[:10], x[10:], auc[10:] + 0.1)})
    assert off[0]["held_out_error"] == pytest.approx(0.1, abs=1e-6)
    # what cannot be fitted is named
    with pytest.raises(ValueError, match=r"'auc': the fitted runs have 10 x and 9 values"):
        mi.fit_laws({"auc": (x[:10], auc[:9], [], [])})
    with pytest.raises(ValueError, match=r"\('LOSS', 'auc'\): need \(x, values\)"):
        mi.fit_laws({("LOSS", "auc"): (x, auc)})
