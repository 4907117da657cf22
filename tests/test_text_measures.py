import math

import numpy as np
import pytest

from memcap.measures.text import spearman, tfidf


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


def test_spearman_rejects_what_it_cannot_measure():
    with pytest.raises(ValueError, match="same length"):
        spearman([1, 2, 3, 4], [1, 2, 3])
    with pytest.raises(ValueError, match="constant"):
        spearman([1, 2, 3, 4, 5], [1, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="level=1.5"):
        spearman([1, 2, 3, 4, 5], [1, 2, 3, 5, 4], level=1.5)
