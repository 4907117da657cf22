import math

import numpy as np
import pytest

from types import SimpleNamespace

from memcap.measures.text import dataset_bits, loss_attack, mem_u, paired_greater, spearman, tfidf


def test_tfidf_follows_the_papers_formula_on_a_hand_made_dataset():
    D = np.array([[1, 1, 2, 5], [1, 3, 3, 1], [4, 4, 4, 1]])
    counts = {1: 5, 2: 1, 3: 2, 4: 3, 5: 1}
    expected = [np.mean([math.log(3 / counts[w]) for w in row]) for row in D]
    np.testing.assert_allclose(tfidf(D), expected)
    # rare tokens score higher; scored against another dataset
    assert tfidf([[2, 5, 2, 5]], D)[0] > tfidf([[1, 1, 1, 1]], D)[0]


def test_tfidf_is_unigram_surprisal_less_log_S_for_equal_lengths():
    rng = np.random.default_rng(0)
    D = rng.integers(0, 30, size=(200, 16))
    p = dict(zip(*np.unique(D, return_counts=True)))
    surprisal = np.array([np.mean([-math.log(p[w] / D.size) for w in row]) for row in D])
    np.testing.assert_allclose(tfidf(D), surprisal - math.log(16))


def test_tfidf_names_tokens_the_dataset_lacks():
    with pytest.raises(ValueError, match=r"\[7\]"):
        tfidf([[1, 7]], [[1, 2]])
    with pytest.raises(ValueError, match="2-D"):
        tfidf([1, 2, 3])


def test_spearman_interval_covers_the_true_value_at_its_level():
    """Coverage on simulated data: bivariate normal samples with correlation rho have Spearman's rho_s =
    (6 / pi) asin(rho / 2); the 95 % interval must cover it about 95 % of the time."""
    rng = np.random.default_rng(1)
    for rho, n in ((0.0, 40), (0.5, 100), (0.8, 300)):
        truth = 6 / math.pi * math.asin(rho / 2)
        cov = np.array([[1, rho], [rho, 1]])
        hits = 0
        trials = 600
        for _ in range(trials):
            x, y = rng.multivariate_normal([0, 0], cov, size=n).T
            _, low, high = spearman(x, y)
            hits += low <= truth <= high
        assert 0.92 <= hits / trials <= 0.975, (rho, n, hits / trials)


def test_partial_spearman_covers_zero_where_the_control_explains_the_correlation():
    """x and y both follow z, and nothing else ties them: their Spearman correlation is far from 0, the partial one
    given z is 0, and its 95 % interval covers 0 about 95 % of the time; with a direct link it finds it."""
    from memcap.measures.text import partial_spearman

    rng = np.random.default_rng(2)
    hits = 0
    for _ in range(500):
        z = rng.normal(size=150)
        x, y = z + rng.normal(size=150), z + rng.normal(size=150)
        _, low, high = partial_spearman(x, y, z)
        hits += low <= 0 <= high
    assert 0.92 <= hits / 500 <= 0.975, hits / 500
    assert spearman(x, y)[1] > 0.2  # the plain correlation sees the control's link
    z = rng.normal(size=300)
    x = z + rng.normal(size=300)
    assert partial_spearman(x, x + z + rng.normal(size=300), z)[1] > 0.3


def test_spearman_rejects_what_it_cannot_measure():
    with pytest.raises(ValueError, match="same length"):
        spearman([1, 2, 3, 4], [1, 2, 3])
    with pytest.raises(ValueError, match="constant"):
        spearman([1, 2, 3, 4, 5], [1, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="level=1.5"):
        spearman([1, 2, 3, 4, 5], [1, 2, 3, 5, 4], level=1.5)


def test_paired_greater_rejects_at_its_level_under_the_null_and_finds_a_shift():
    rng = np.random.default_rng(2)
    trials = 600
    false = sum(paired_greater(rng.normal(size=30), rng.normal(size=30)) < 0.05 for _ in range(trials))
    assert 0.03 <= false / trials <= 0.07, false / trials
    found = sum(paired_greater(rng.normal(0.8, 1, 30), rng.normal(size=30)) < 0.05 for _ in range(100))
    assert found >= 90
    # the other direction is not "greater"
    assert paired_greater(np.zeros(20), np.arange(1, 21)) > 0.99


def test_paired_greater_gives_one_where_every_pair_ties_and_names_bad_shapes():
    assert paired_greater([3.0, 4.0, 5.0], [3.0, 4.0, 5.0]) == 1.0
    with pytest.raises(ValueError, match=r"\(3,\) and \(2,\)"):
        paired_greater([1, 2, 3], [1, 2])


class _Run(SimpleNamespace):
    def train_indices(self, size):
        return np.asarray(self.rows)


def test_mem_u_and_dataset_bits_by_hand():
    reference = dict(pool_bits=[100.0, 80.0, 60.0, 40.0], test_bits=[90.0, 70.0, 50.0])
    target = dict(train_bits=[10.0, 75.0], test_bits=[95.0, 60.0, 50.0])
    run = _Run(rows=[2, 0])  # trained on pool rows 2 and 0, in that order
    train, test = mem_u(run, target, reference)
    np.testing.assert_allclose(train, [60 - 10, 100 - 75])
    np.testing.assert_allclose(test, [0, 70 - 60, 0])  # max(0, .): a longer code memorizes nothing
    assert dataset_bits(run, reference) == 160.0
    with pytest.raises(ValueError, match="pool_bits"):
        mem_u(run, target, dict(test_bits=[1.0]))
    with pytest.raises(ValueError, match="coded 3 test sequences, the target 4"):
        mem_u(run, dict(train_bits=[1.0, 2.0], test_bits=[1.0] * 4), reference)


def test_loss_attack_tells_members_apart_and_its_baseline_does_not():
    rng = np.random.default_rng(3)
    metrics = dict(train_bits=rng.normal(50, 5, 300).tolist(), test_bits=rng.normal(80, 5, 400).tolist())
    row = loss_attack(metrics, 1000, np.random.default_rng(0), np.random.default_rng(1), n_boot=200)
    assert row["n_attacked"] == 200  # half the test set
    assert row["f1"] > 0.95 and row["f1_low"] > row["null_f1_high"]
    assert row["null_f1"] < 0.75
    same = dict(train_bits=rng.normal(80, 5, 300).tolist(), test_bits=metrics["test_bits"])
    chance = loss_attack(same, 100, np.random.default_rng(0), np.random.default_rng(1), n_boot=200)
    assert chance["n_attacked"] == 100 and chance["f1_low"] < 0.6


def test_an_undefined_correlation_is_an_error_or_nan_as_asked():
    from memcap.measures import text as text_measures

    x, flat = np.arange(10.0), np.zeros(10)
    with pytest.raises(ValueError, match="constant"):
        text_measures.spearman(x, flat)
    assert np.isnan(text_measures.spearman(x, flat, undefined="nan")).all()
    with pytest.raises(ValueError, match="constant"):
        text_measures.partial_spearman(x, flat, x[::-1] % 3)
    assert np.isnan(text_measures.partial_spearman(x, flat, x[::-1] % 3, undefined="nan")).all()
    with pytest.raises(ValueError, match="undefined='skip'"):
        text_measures.spearman(x, x, undefined="skip")
