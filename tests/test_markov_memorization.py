import math

import numpy as np
import pytest

from memcap.theory import coding

from memcap.data import markov

from memcap.measures import memorization


def test_source_code_length_matches_coder_model():
    src = markov.MarkovSource.random(5, 0.5, np.random.default_rng(0))
    x = src.sample(3, 10, np.random.default_rng(1))
    for row, bits in zip(x.tolist(), src.code_length_bits(x)):
        assert coding.ideal_code_length_bits(row, src) == pytest.approx(bits)


def test_source_samples_follow_transitions():
    t = np.array([[0.1, 0.9], [0.7, 0.3]])
    src = markov.MarkovSource(initial=np.array([0.5, 0.5]), transition=t)
    x = src.sample(4000, 20, np.random.default_rng(2))
    after0 = x[:, 1:][x[:, :-1] == 0]
    assert after0.mean() == pytest.approx(0.9, abs=0.01)
    stationary0 = 0.7 / 1.6
    h = stationary0 * -(0.1 * math.log2(0.1) + 0.9 * math.log2(0.9)) + (1 - stationary0) * -(
        0.7 * math.log2(0.7) + 0.3 * math.log2(0.3)
    )
    assert src.entropy_rate_bits() == pytest.approx(h)


def test_source_validation():
    with pytest.raises(ValueError, match=r"transition\[1\]"):
        markov.MarkovSource(initial=np.array([0.5, 0.5]), transition=np.array([[0.5, 0.5], [0.5, 0.6]]))
    with pytest.raises(ValueError, match="concentration"):
        markov.MarkovSource.random(4, 0.0, np.random.default_rng(0))


def test_ngram_counts_by_hand():
    m = markov.NGramModel(order=1, vocab_size=2, alpha=1.0).fit(np.array([[0, 1, 0, 1]]))
    assert m((0,)).tolist() == [0.25, 0.75]
    # the first symbol is predicted from the BOS context, which saw symbol 0 once
    assert m([]).tolist() == pytest.approx([2 / 3, 1 / 3])


def test_ngram_first_symbol_is_charged_from_bos():
    m = markov.NGramModel(order=2, vocab_size=3, alpha=0.5).fit(np.array([[2, 1, 0], [2, 0, 0]]))
    p_first = m([])
    assert p_first[2] == pytest.approx((2 + 0.5) / (2 + 1.5))
    bits = m.code_length_bits(np.array([[2, 1, 0]]))[0]
    assert bits == pytest.approx(coding.ideal_code_length_bits([2, 1, 0], m))


def test_ngram_memorizes_training_data():
    src = markov.MarkovSource.random(8, 1.0, np.random.default_rng(0))
    train, test = src.sample(50, 30, np.random.default_rng(1)), src.sample(50, 30, np.random.default_rng(2))
    m = markov.NGramModel(order=4, vocab_size=8, alpha=0.01).fit(train)
    mem_train = memorization.unintended_memorization_bits(m.code_length_bits(train), src.code_length_bits(train))
    mem_test = memorization.unintended_memorization_bits(m.code_length_bits(test), src.code_length_bits(test))
    assert mem_train.mean() > 20 and mem_test.mean() < 1


def test_ngram_validation():
    with pytest.raises(ValueError, match="alpha"):
        markov.NGramModel(1, 4, alpha=0)
    with pytest.raises(ValueError, match="0..3"):
        markov.NGramModel(1, 4).fit(np.array([[0, 4]]))


def test_unintended_memorization_formula():
    assert memorization.unintended_memorization_bits([10.0, 30.0], [20.0, 20.0]).tolist() == [10.0, 0.0]
    assert memorization.unintended_memorization_bits([10.0, 30.0], [20.0, 20.0], clip=False).tolist() == [10.0, -10.0]
    assert memorization.joint_code_length_bits([10.0, 30.0], [20.0, 20.0]).tolist() == [10.0, 20.0]


def test_mixture_is_within_one_bit_of_the_pointwise_max():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 100, 1000), rng.uniform(0, 100, 1000)
    joint = memorization.joint_code_length_bits(a, b)
    mix = memorization.mixture_code_length_bits(a, b)
    assert np.all(mix >= joint - 1e-9) and np.all(mix <= joint + 1 + 1e-9)
    assert memorization.mixture_code_length_bits([5.0], [5.0])[0] == pytest.approx(5.0)


def test_memorization_validation():
    with pytest.raises(ValueError, match="same shape"):
        memorization.unintended_memorization_bits([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=">= 0 bits"):
        memorization.unintended_memorization_bits([-1.0], [1.0])
