import math

import pytest

from memcap.data.biod import BioD
from memcap.measures import knowledge as kn

SMALL = BioD(N=2, K=1, C=1, D=2, L=1, T=4, N0=4)


def test_proposition_2_3_by_hand():
    # log2 C(4,2) + 2·1·1·log2 2 + 1·log2 C(4,2) = 2 log2 6 + 2
    assert kn.knowledge_bits_exact(SMALL) == pytest.approx(2 * math.log2(6) + 2)
    # 2 log2(4/2) + 2 + 1·2·log2(4/2) = 6
    assert kn.knowledge_bits_approx(SMALL) == pytest.approx(6.0)


def test_theorem_3_2_by_hand():
    # zero losses: N log2(N0 − N) + N K log2 D^C + K D log2((T^L − D)/D) = 2·1 + 2·1 + 2·0
    assert kn.stored_bits_lower_bound(SMALL, 0.0, 0.0, 0.0) == pytest.approx(4.0)
    # one nat of name loss per person costs N / ln 2 bits
    assert kn.stored_bits_lower_bound(SMALL, 1.0, 0.0, 0.0) == pytest.approx(4.0 - 2 / math.log(2))


@pytest.mark.parametrize(
    "b",
    [
        BioD(N=1000, K=4, C=1, D=64, L=2, T=64, N0=64**3),
        BioD(N=20000, K=6, C=2, D=100, L=3, T=32, N0=10**6),
        BioD(N=50, K=2, C=1, D=8, L=1, T=16, N0=400),
    ],
)
def test_perfect_model_reaches_rmax_and_bounds_are_ordered(b):
    P = 12_345
    perfect = (math.log(b.N), 0.0, 0.0)
    assert kn.capacity_ratio(b, *perfect, P) == pytest.approx(kn.max_capacity_ratio(b, P))
    # a worse model has a lower ratio
    assert kn.capacity_ratio(b, math.log(b.N) + 1, 0.5, 0.1, P) < kn.max_capacity_ratio(b, P)
    # the lower bound of a perfect model never exceeds the bits the data hold
    assert kn.stored_bits_lower_bound(b, *perfect) <= kn.knowledge_bits_exact(b) + 1e-6


def test_diversity_term_goes_negative_when_p3_is_large():
    b = BioD(N=10, K=1, C=1, D=64, L=1, T=64, N0=1000)  # T^L = D: the diversity set is everything
    assert kn.capacity_ratio(b, math.log(10), 0.0, 1.0, 100) < kn.capacity_ratio(b, math.log(10), 0.0, 0.0, 100)


def test_bios_capacity_ratio_of_a_perfect_model_is_its_maximum():
    N, N0, s0 = 10_000, 400 * 400 * 1000, 47.6
    perfect = kn.bios_capacity_ratio(N, N0, math.log(N), 0.0, 1_000_000, log2_s0=s0)  # names: one of N, values known
    assert perfect == pytest.approx(kn.bios_max_capacity_ratio(N, N0, 1_000_000, log2_s0=s0))
    assert perfect == pytest.approx(N * (math.log2(N0 / N) + s0) / 1_000_000)
    assert kn.bios_capacity_ratio(N, N0, math.log(N), 1.0, 1_000_000, log2_s0=s0) < perfect


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(N=5, N0=4), "N=5 names cannot be drawn"),
        (dict(D=20, T=4, L=2), "D=20 distinct chunks"),
        (dict(K=0), "K=0"),
    ],
)
def test_biod_validation(kwargs, match):
    base = dict(N=2, K=1, C=1, D=2, L=1, T=4, N0=4)
    with pytest.raises(ValueError, match=match):
        BioD(**{**base, **kwargs})
    with pytest.raises(ValueError, match="n_params"):
        kn.max_capacity_ratio(SMALL, 0)
