import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from memcap.theory import information as info


@pytest.mark.parametrize("v", [1, 2, 3, 8, 2048])
def test_uniform_entropy_is_log_v(v):
    assert info.entropy(np.full(v, 1 / v)) == pytest.approx(math.log2(v), abs=1e-12)


@pytest.mark.parametrize("base,expected", [(2, 1.0), (math.e, math.log(2)), (4, 0.5)])
def test_entropy_base(base, expected):
    assert info.entropy([0.5, 0.5], base=base) == pytest.approx(expected)


def test_binary_entropy_closed_form():
    p = 0.11
    assert info.entropy([p, 1 - p]) == pytest.approx(-(p * math.log2(p) + (1 - p) * math.log2(1 - p)))


def test_mutual_information_of_binary_symmetric_channel():
    eps = 0.2
    p_xy = np.array([[1 - eps, eps], [eps, 1 - eps]]) / 2
    h = -(eps * math.log2(eps) + (1 - eps) * math.log2(1 - eps))
    assert info.mutual_information(p_xy) == pytest.approx(1 - h)
    assert info.conditional_entropy(p_xy) == pytest.approx(h)


def test_conditional_mutual_information_copy_and_independent():
    p = np.zeros((2, 2, 2))
    for z in (0, 1):
        p[0, 0, z] = p[1, 1, z] = 0.25
    assert info.conditional_mutual_information(p) == pytest.approx(1.0)
    q = np.full((2, 2, 2), 1 / 8)
    assert info.conditional_mutual_information(q) == pytest.approx(0.0)


def test_cross_entropy_and_kl():
    assert info.cross_entropy([0.5, 0.5], [0.25, 0.75]) == pytest.approx(-0.5 * math.log2(0.25) - 0.5 * math.log2(0.75))
    assert info.kl_divergence([0.3, 0.7], [0.3, 0.7]) == pytest.approx(0.0)
    assert info.cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf


def test_nats_bits_round_trip():
    assert info.nats_to_bits(math.log(2)) == pytest.approx(1.0)
    assert info.bits_to_nats(info.nats_to_bits(3.7)) == pytest.approx(3.7)


@pytest.mark.parametrize(
    "bad,match",
    [
        ([0.5, -0.1, 0.6], "negative"),
        ([0.5, 0.6], "sum to 1"),
        ([], "empty"),
        ([np.nan, 1.0], "non-finite"),
    ],
)
def test_bad_distributions_name_the_value(bad, match):
    with pytest.raises(ValueError, match=match):
        info.entropy(bad)


def test_shape_errors():
    with pytest.raises(ValueError, match="2 axes"):
        info.mutual_information([0.5, 0.5])
    with pytest.raises(ValueError, match="3 axes"):
        info.conditional_mutual_information([[0.5, 0.5]])
    with pytest.raises(ValueError, match="same shape"):
        info.cross_entropy([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="base"):
        info.entropy([1.0], base=1)
    with pytest.raises(ValueError, match="axis=5"):
        info.marginal([[0.5, 0.5]], axis=5)


# --- property-based: the information identities ----------------------------------------------------------

def joints(max_side=5):
    shape = st.tuples(st.integers(1, max_side), st.integers(1, max_side))
    return shape.flatmap(
        lambda s: arrays(np.float64, s, elements=st.floats(0, 1, allow_nan=False)).filter(lambda a: a.sum() > 1e-3)
    ).map(lambda a: a / a.sum())


@settings(max_examples=200, deadline=None)
@given(joints())
def test_identities(p):
    hx, hy, hxy = info.entropy(p.sum(1)), info.entropy(p.sum(0)), info.entropy(p)
    mi = info.mutual_information(p)
    assert mi >= 0
    assert info.conditional_entropy(p) >= 0
    assert mi == pytest.approx(info.mutual_information(p.T), abs=1e-9)  # symmetry
    assert hxy == pytest.approx(hy + info.conditional_entropy(p), abs=1e-9)  # chain rule
    assert hxy == pytest.approx(hx + info.conditional_entropy(p.T), abs=1e-9)
    assert info.conditional_entropy(p) <= hx + 1e-9  # conditioning reduces entropy
    assert mi <= min(hx, hy) + 1e-9


@settings(max_examples=100, deadline=None)
@given(
    st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)).flatmap(
        lambda s: arrays(np.float64, s, elements=st.floats(0, 1, allow_nan=False)).filter(lambda a: a.sum() > 1e-3)
    )
)
def test_conditional_mutual_information_chain_rule(p):
    p = p / p.sum()
    # I(X; Y, Z) = I(X; Z) + I(X; Y | Z)
    i_x_yz = info.mutual_information(p.reshape(p.shape[0], -1))
    i_x_z = info.mutual_information(p.sum(axis=1))
    assert i_x_yz == pytest.approx(i_x_z + info.conditional_mutual_information(p), abs=1e-9)
