"""The blind baseline: its AUC interval covers, it sees a shift in the text, and it does not mistake blocks for a
shift when the folds keep each block whole."""

import numpy as np
import pytest

from memcap.measures import blind


def test_auc_matches_counting_pairs():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 5, 40).astype(float), rng.integers(0, 5, 30).astype(float)
    pairs = (x[:, None] > y[None, :]).mean() + 0.5 * (x[:, None] == y[None, :]).mean()
    assert blind.auc(x, y).auc == pytest.approx(pairs)


@pytest.mark.parametrize("shift", [0.0, 0.8])
def test_delong_interval_covers(shift):
    """Normal scores, 150 against 150: the 95 % interval covers the true AUC, Phi(shift / sqrt 2), in about 95 % of
    500 simulated sets."""
    from scipy.stats import norm

    rng = np.random.default_rng(1)
    truth = norm.cdf(shift / np.sqrt(2))
    hits = []
    for _ in range(500):
        r = blind.auc(rng.normal(shift, 1, 150), rng.normal(0, 1, 150))
        hits.append(r.low <= truth <= r.high)
    assert 0.92 <= np.mean(hits) <= 0.975, np.mean(hits)


def _letters(i: int) -> str:
    """A number spelled in letters (the classifier's words are letters only): 12 -> "bc"."""
    return "".join(chr(ord("a") + int(d)) for d in str(i))


def _blocks(rng, n_blocks, per_block, common, own_words=5):
    """Texts cut from blocks: each text mixes words common to all blocks with its block's own words (names of a
    scene); returns texts and their block ids."""
    texts, groups = [], []
    for b in range(n_blocks):
        own = [f"name{_letters(b)}x{_letters(j)}" for j in range(own_words)]
        for _ in range(per_block):
            texts.append(" ".join(rng.choice(common + own, 20)))
            groups.append(b)
    return texts, np.array(groups)


def test_blind_baseline_sees_a_shift_in_the_text():
    rng = np.random.default_rng(2)
    m = [" ".join(rng.choice(["thee", "thou", "hath", "doth", "love"], 15)) for _ in range(200)]
    n = [" ".join(rng.choice(["thee", "thou", "hath", "heaven", "angel"], 15)) for _ in range(200)]
    got = blind.blind_baseline(m, n, np.arange(200), np.arange(200, 400), rng=rng)
    assert got.auc.low > 0.9


def test_grouped_folds_do_not_mistake_blocks_for_a_shift():
    """Members and non-members from one mix, cut from different blocks: with folds by block the classifier is at
    chance; with folds by sample (each sample its own group) it learns the blocks' own words and is not."""
    rng = np.random.default_rng(3)
    common = [f"w{_letters(j)}" for j in range(30)]
    texts, groups = _blocks(rng, 40, 10, common)
    member = groups % 2 == 0  # even blocks are members, odd ones not
    m, n = [t for t, k in zip(texts, member) if k], [t for t, k in zip(texts, member) if not k]
    by_block = blind.blind_baseline(m, n, groups[member], groups[~member], rng=rng)
    assert by_block.auc.low <= 0.5 <= by_block.auc.high
    by_sample = blind.blind_baseline(m, n, np.arange(len(m)), np.arange(len(m), len(texts)), rng=rng)
    assert by_sample.auc.low > 0.6


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="at least 2"):
        blind.auc([1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="folds=5 needs at least"):
        blind.blind_baseline(["a"] * 4, ["b"] * 4, [0, 0, 1, 1], [2, 2, 3, 3], rng=np.random.default_rng(0))


def test_group_interval_covers_where_delong_does_not():
    """Null scores in 40 + 40 groups of 10 that share a group effect (as a block's samples share its words): the group
    bootstrap covers AUC 0.5 in about 95 % of 200 sets; DeLong's interval, which counts 400 + 400 independent
    samples, covers it far less often."""
    rng = np.random.default_rng(4)
    groups = np.repeat(np.arange(40), 10)
    grouped, delong = [], []
    for _ in range(200):
        x = np.repeat(rng.normal(0, 1, 40), 10) + rng.normal(0, 1, 400)
        y = np.repeat(rng.normal(0, 1, 40), 10) + rng.normal(0, 1, 400)
        g = blind.auc_by_group(x, y, groups, groups + 40, rng=rng, n_boot=200)
        d = blind.auc(x, y)
        grouped.append(g.low <= 0.5 <= g.high)
        delong.append(d.low <= 0.5 <= d.high)
    assert 0.9 <= np.mean(grouped) <= 0.985, np.mean(grouped)
    assert np.mean(delong) < 0.8, np.mean(delong)


def _one_mix(seed: int, extra: float = 0.0):
    """Members (even blocks) and non-members (odd blocks) from one mix of words; with ``extra`` > 0 a share of the
    members' texts carry one more word: a shift in the text."""
    rng = np.random.default_rng(seed)
    texts, groups = _blocks(rng, 40, 10, [f"w{_letters(j)}" for j in range(30)])
    member = groups % 2 == 0
    texts = [t + (" thee" if k and rng.random() < extra else "") for t, k in zip(texts, member)]
    m = [t for t, k in zip(texts, member) if k]
    n = [t for t, k in zip(texts, member) if not k]
    return blind.blind_baseline(m, n, groups[member], groups[~member], rng=rng, n_boot=200).auc


@pytest.mark.slow
def test_blind_interval_covers_chance_and_still_sees_a_shift():
    """60 sets with nothing to find: the estimate centres on 0.5 (the folds do not tilt it), its interval contains
    0.5 in 90-99 % of them, and is not wide for it (mean width under 0.25); 20 sets where 60 % of the members' texts
    carry one more word: the interval lies above 0.5 in most of them."""
    null = [_one_mix(seed) for seed in range(60)]
    assert abs(np.mean([r.auc for r in null]) - 0.5) < 0.02
    assert 0.9 <= np.mean([r.low <= 0.5 <= r.high for r in null]) <= 0.99
    assert np.mean([r.high - r.low for r in null]) < 0.25
    shifted = [_one_mix(seed, extra=0.6) for seed in range(100, 120)]
    assert np.mean([r.low > 0.5 for r in shifted]) >= 0.75
