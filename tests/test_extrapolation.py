"""The doubling form (memcap.measures.extrapolation): exact on its own curves, wrong on others, its interval's
coverage on simulated seeds, bad input."""

import math

import numpy as np
import pytest

from memcap.measures.extrapolation import coverage, doubling_fit, extrapolate, prediction_interval


@pytest.mark.parametrize("ratio", [0.0, 0.3, 0.8, 1.0, 1.5])
def test_the_form_recovers_any_curve_of_its_own_shape(ratio):
    # B(2^j) = 3 + 0.1 * (1 + r + ... + r^(j-1)): the 1x, 2x, 4x values fix it, 8x and 64x follow
    def curve(j):
        return 3.0 + 0.1 * sum(ratio**i for i in range(j))

    bits = [curve(0), curve(1), curve(2)]
    assert extrapolate(bits, 8) == pytest.approx(curve(3))
    assert extrapolate(bits, 64) == pytest.approx(curve(6))
    fit = doubling_fit(bits)
    assert fit.ratio == pytest.approx(ratio)
    assert fit.limit == (pytest.approx(3.0 + 0.1 / (1 - ratio)) if ratio < 1 else math.inf)


def test_it_misses_a_curve_whose_gains_shrink_faster_than_geometrically():
    # gains 0.1, 0.05, 0.0125, 0.0016 (each a shrinking share of the last): the form, seeing 0.1 and 0.05, expects
    # 0.025 and 0.0125 more, so it over-predicts the 16x run; the check below must see that
    truth = np.cumsum([3.0, 0.1, 0.05, 0.0125, 0.0016])
    assert extrapolate(truth[:3], 16) - truth[4] == pytest.approx(0.025 + 0.0125 - 0.0125 - 0.0016)


def test_a_second_doubling_that_loses_bits_reads_as_no_further_gain():
    assert doubling_fit([3.0, 3.1, 3.05]).ratio == 0.0
    assert extrapolate([3.0, 3.1, 3.05], 16) == pytest.approx(3.1)


def test_the_prediction_interval_covers_a_seed_on_simulated_runs_that_follow_the_form():
    # a d12-like run: 3.1 bits/param gaining about 2 % at the first doubling, seeds 0.02 apart, runs 0.005
    c = coverage(3.2, 0.12, 0.45, seed_sd=0.02, run_sd=0.005, sets=1000)
    assert c["covered"] >= 0.93, c
    assert c["unfit"] == 0.0 and 0 < c["width"] < 0.5, c


def test_sets_the_form_cannot_fit_count_as_missed_when_the_run_noise_swamps_the_gains():
    # gains of 0.01 under run noise of 0.02: first doublings that gain nothing, and ratios of noise
    c = coverage(3.2, 0.02, 0.5, seed_sd=0.0, run_sd=0.02, sets=1000)
    assert c["unfit"] > 0.1 and c["covered"] < 0.9, c


def test_the_prediction_interval_is_the_t_interval_for_one_more_draw():
    lo, hi = prediction_interval([2.0, 2.0, 2.0, 2.0])
    assert lo == hi == 2.0
    lo, hi = prediction_interval([1.0, 3.0])  # mean 2, sd sqrt(2), t(1) 12.706, sqrt(1 + 1/2)
    assert hi - 2.0 == pytest.approx(12.7062 * math.sqrt(2) * math.sqrt(1.5), rel=1e-4)


@pytest.mark.parametrize("call, message", [
    (lambda: doubling_fit([3.0, 3.0, 3.1]), "first doubling gained 0 bits"),
    (lambda: doubling_fit([3.0, 3.1]), "three finite values"),
    (lambda: doubling_fit([3.0, float("nan"), 3.1]), "three finite values"),
    (lambda: extrapolate([3.0, 3.1, 3.15], 12), "power of two.*k=12"),
    (lambda: extrapolate([3.0, 3.1, 3.15], True), "power of two.*k=True"),
    (lambda: prediction_interval([3.0]), "at least two finite predictions"),
    (lambda: prediction_interval([3.0, 3.1], level=1.5), "level=1.5"),
    (lambda: coverage(3.0, 0.1, 0.5, seed_sd=-1.0, run_sd=0.0), "seed_sd=-1.0"),
    (lambda: coverage(3.0, 0.1, 0.5, seed_sd=0.0, run_sd=0.0, k=12), "power of two >= 8.*k=12"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
