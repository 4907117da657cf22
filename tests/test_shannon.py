import math

import numpy as np
import pytest

from memcap.theory import information as info
from memcap.theory import shannon

COINS = ((0.9, 0.1), (0.5, 0.5), (0.1, 0.9))
PRIOR = (1 / 3, 1 / 3, 1 / 3)


def dense_reference(family, prior, n, learner):
    """Brute force over the full joint P(X, Θ̂, Θ) as a dense 3-axis table."""
    datasets = shannon.enumerate_datasets(len(family[0]), n)
    keys = {}
    labels = [keys.setdefault(learner(tuple(x)), len(keys)) for x in datasets.tolist()]
    joint = np.zeros((len(datasets), len(keys), len(family)))
    for d, x in enumerate(datasets):
        for t, theta in enumerate(family):
            joint[d, labels[d], t] = prior[t] * np.prod(np.asarray(theta)[x])
    total = info.mutual_information(joint.sum(axis=2))
    unintended = info.conditional_mutual_information(joint)
    return total, unintended


@pytest.mark.parametrize(
    "learner",
    [shannon.memorize_all, shannon.count_symbols, shannon.map_estimate(COINS, PRIOR), shannon.memorize_first(2, COINS, PRIOR)],
    ids=["all", "counts", "map", "first2"],
)
@pytest.mark.parametrize("n", [1, 3, 5])
def test_matches_dense_enumeration(learner, n):
    m = shannon.shannon_memorization(COINS, PRIOR, n, learner)
    total, unintended = dense_reference(COINS, PRIOR, n, learner)
    assert m.total_bits == pytest.approx(total, abs=1e-9)
    assert m.unintended_bits == pytest.approx(unintended, abs=1e-9)
    # Markov chain Θ -> X -> Θ̂: generalization is I(Θ; Θ̂)
    assert m.generalization_bits == pytest.approx(m.theta_model_information_bits, abs=1e-9)
    # Proposition 1
    assert m.per_sample_sum_bits <= m.unintended_bits + 1e-9 <= m.entropy_model_bits + 2e-9


def test_verbatim_learner_memorizes_everything():
    m = shannon.shannon_memorization(COINS, PRIOR, 6, shannon.memorize_all)
    assert m.total_bits == pytest.approx(m.entropy_x_bits)
    assert m.unintended_bits == pytest.approx(m.entropy_x_given_theta_bits)
    # each toss's conditional entropy, summed: H(X|Θ) = n · E_Θ h(θ)
    h_toss = np.mean([info.entropy(c) for c in COINS])
    assert m.entropy_x_given_theta_bits == pytest.approx(6 * h_toss)


def test_single_model_family_cannot_generalize():
    m = shannon.shannon_memorization(((0.3, 0.7),), (1.0,), 4, shannon.count_symbols)
    assert m.generalization_bits == pytest.approx(0.0, abs=1e-12)
    assert m.unintended_bits == pytest.approx(m.total_bits)


def test_map_learner_generalizes_as_n_grows():
    small = shannon.shannon_memorization(COINS, PRIOR, 2, shannon.map_estimate(COINS, PRIOR))
    large = shannon.shannon_memorization(COINS, PRIOR, 12, shannon.map_estimate(COINS, PRIOR))
    assert large.generalization_bits > small.generalization_bits
    assert large.unintended_bits < small.unintended_bits
    assert large.generalization_bits <= math.log2(3) + 1e-9


def test_learner_examples():
    assert shannon.count_symbols((0, 1, 1)) == (1, 2)
    assert shannon.map_estimate(((0.9, 0.1), (0.1, 0.9)), (0.5, 0.5))((1, 1, 0)) == 1
    assert shannon.memorize_first(2, COINS, PRIOR)((1, 0, 1))[1] == (1, 0)


@pytest.mark.parametrize(
    "family,prior,match",
    [
        (((0.5, 0.6),), (1.0,), r"family\[0\]"),
        (((0.5, 0.5),), (0.5, 0.5), "prior has 2 entries"),
        ((0.5, 0.5), (1.0,), "2 axes"),
    ],
)
def test_bad_family(family, prior, match):
    with pytest.raises(ValueError, match=match):
        shannon.shannon_memorization(family, prior, 2, shannon.memorize_all)


def test_enumeration_limit():
    with pytest.raises(ValueError, match="enumeration limit"):
        shannon.enumerate_datasets(2, 40)
    with pytest.raises(ValueError, match="m must be"):
        shannon.memorize_first(-1, COINS, PRIOR)
