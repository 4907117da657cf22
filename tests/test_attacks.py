"""The field's membership-inference attacks and metrics: each against a brute-force or closed-form version on
inputs of its own, LiRA on simulated shadow statistics, and the TPR interval's coverage on simulated scores."""

import math
from functools import partial

import numpy as np
import pytest
import torch
from scipy.stats import norm

from memcap.measures import attacks
from memcap.measures.blind import auc
from memcap.measures.evaluate import token_losses_nats
from memcap.measures.memorization import unintended_memorization_bits
from memcap.model import GPT, GPTConfig


@pytest.fixture(scope="module")
def model():
    cfg = GPTConfig(vocab_size=12, seq_len=10, n_layer=1, d_model=16)
    return GPT(cfg, generator=torch.Generator().manual_seed(3))


def test_token_statistics_match_the_model(model):
    x = torch.randint(0, 12, (7, 10), generator=torch.Generator().manual_seed(0))
    s = attacks.token_statistics(model, x, batch_size=3)  # several batches
    np.testing.assert_allclose(-s["logp"], token_losses_nats(model, x).numpy(), rtol=1e-5)
    with torch.no_grad():
        q = torch.softmax(model(x[:, :-1]).double(), -1)
    entropy = torch.distributions.Categorical(probs=q).entropy().numpy()
    np.testing.assert_allclose(s["mu"], -entropy, rtol=1e-6)  # E ln p = -H
    samples = torch.distributions.Categorical(probs=q[0, 0]).sample((200_000,), )
    draws = torch.log(q[0, 0][samples]).numpy()
    assert s["sigma"][0, 0] == pytest.approx(draws.std(), rel=0.02)
    assert model.training  # the mode it was in


def test_a_model_that_knows_nothing_has_no_spread():
    m = GPT(GPTConfig(vocab_size=8, seq_len=6, n_layer=1, d_model=8))
    with torch.no_grad():
        for p in m.parameters():
            p.zero_()
    s = attacks.token_statistics(m, torch.randint(0, 8, (4, 6)))
    np.testing.assert_allclose(s["logp"], -math.log(8))
    np.testing.assert_allclose(s["mu"], -math.log(8))
    np.testing.assert_allclose(s["sigma"], 0, atol=1e-7)
    # every token standardizes to 0
    assert (attacks.min_k_plus_plus_score(s["logp"], s["mu"], s["sigma"]) == 0).all()


def test_min_k_takes_the_lowest_tokens():
    rng = np.random.default_rng(0)
    logp = -rng.exponential(size=(5, 13))
    for k in (0.05, 0.2, 0.5, 1.0):
        n = math.ceil(k * 13)
        want = [np.mean(sorted(row)[:n]) for row in logp]
        np.testing.assert_allclose(attacks.min_k_score(logp, k), want)
    np.testing.assert_allclose(attacks.min_k_score(logp, 1.0), attacks.loss_score(logp))
    with pytest.raises(ValueError, match="k=0"):
        attacks.min_k_score(logp, 0)


def test_min_k_plus_plus_standardizes_each_token():
    rng = np.random.default_rng(1)
    logp, mu = -rng.exponential(size=(4, 9)), -rng.exponential(size=(4, 9))
    sigma = rng.uniform(0.5, 2, size=(4, 9))
    z = (logp - mu) / sigma
    np.testing.assert_allclose(attacks.min_k_plus_plus_score(logp, mu, sigma, k=1.0), z.mean(axis=1))
    np.testing.assert_allclose(attacks.min_k_plus_plus_score(logp, mu, sigma, k=0.3),
                               np.sort(z, axis=1)[:, :3].mean(axis=1))
    with pytest.raises(ValueError, match="shape"):
        attacks.min_k_plus_plus_score(logp, mu[:, :3], sigma)


def test_reference_against_the_true_distribution_is_unintended_memorization():
    rng = np.random.default_rng(2)
    V, T = 16, 9
    logp = np.log(rng.dirichlet(np.ones(V), size=(6, T - 1))[..., 0])
    reference = np.full_like(logp, -math.log(V))  # uniform sequences' true distribution
    model_bits = -logp.sum(1) / math.log(2) + math.log2(V)  # code lengths, first token at log2 V
    reference_bits = np.full(6, T * math.log2(V))
    mem = unintended_memorization_bits(model_bits, reference_bits, clip=False)
    np.testing.assert_allclose(attacks.reference_score(logp, reference) / math.log(2), mem)


def test_zlib_compresses_ids_and_text():
    repetitive, varied = np.zeros(64, dtype=int), np.arange(64)
    b = attacks.zlib_bits([repetitive, varied, "abc" * 30])
    assert b[0] < b[1] and b[2] < 8 * 90
    wide = attacks.zlib_bits([np.array([300, 301])])  # two bytes an id
    assert wide[0] == 8 * len(__import__("zlib").compress(np.array([300, 301], "<u2").tobytes(), 9))
    with pytest.raises(ValueError, match="token ids"):
        attacks.zlib_bits([np.array([-1, 2])])
    logp = np.full((2, 4), -1.0)
    np.testing.assert_allclose(attacks.zlib_score(logp, [8.0, 16.0]), [-0.5, -0.25])
    with pytest.raises(ValueError, match="zlib"):
        attacks.zlib_score(logp, [8.0, 0.0])


def test_log_probabilities_are_checked():
    with pytest.raises(ValueError, match="at most 0"):
        attacks.loss_score([[0.5, -1.0]])
    with pytest.raises(ValueError, match="shape"):
        attacks.loss_score([-1.0, -2.0])


def _brute_tpr(m, n, fpr):
    best = 0.0
    for t in np.r_[np.unique(np.r_[m, n]), np.inf]:
        if (n >= t).mean() <= fpr + 1e-12:
            best = max(best, (m >= t).mean())
    return best


def test_roc_and_tpr_against_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(30):
        m = rng.integers(0, 8, rng.integers(1, 40)).astype(float)  # ties on purpose
        n = rng.integers(-2, 6, rng.integers(2, 60)).astype(float)
        fpr, tpr = attacks.roc_curve(m, n)
        assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
        assert (np.diff(fpr) >= 0).all() and (np.diff(tpr) >= 0).all()
        if m.size >= 2:
            assert np.trapezoid(tpr, fpr) == pytest.approx(auc(m, n).auc)
        for f in (0.0, 0.01, 0.1, 0.3):
            assert attacks.tpr_at_fpr(m, n, f) == pytest.approx(_brute_tpr(m, n, f))


def test_nonmembers_needed_and_resolution():
    assert attacks.nonmembers_needed(0.01) == 1000
    rng = np.random.default_rng(4)
    out = attacks.attack_metrics(rng.normal(1, 1, 300), rng.normal(0, 1, 300), rng=rng, n_boot=50)
    assert out["resolved_0.01"] and not out["resolved_0.001"]
    assert out["tpr_at_0.01_low"] <= out["tpr_at_0.01"] <= out["tpr_at_0.01_high"]
    with pytest.raises(ValueError, match="fpr"):
        attacks.nonmembers_needed(0.0)


def test_tpr_interval_covers():
    """Binormal scores (members shifted by 1.5 sd), 2,000 against 2,000: the bootstrap 95 % interval of the TPR at
    1 % FPR covers the true 1 − Φ(z_0.99 − 1.5) in about 95 % of 150 simulated sets."""
    truth = 1 - norm.cdf(norm.ppf(0.99) - 1.5)
    rng = np.random.default_rng(5)
    hits = []
    for _ in range(150):
        out = attacks.attack_metrics(rng.normal(1.5, 1, 2000), rng.normal(0, 1, 2000), rng=rng, fprs=(0.01,),
                                     n_boot=200)
        hits.append(out["tpr_at_0.01_low"] <= truth <= out["tpr_at_0.01_high"])
    assert 0.88 <= np.mean(hits) <= 0.99, np.mean(hits)


def _shadows(rng, n, K, shift):
    """n samples of very different difficulty (mean statistic spread over 10 sd), K shadow models, each sample in
    the training set of K/2 of them; training on a sample raises its statistic by ``shift``."""
    difficulty = rng.normal(0, 10, n)
    inside = rng.permuted(np.arange(K)[:, None] < K // 2 + np.zeros(n, dtype=bool), axis=0)
    stat = difficulty + shift * inside + rng.normal(0, 1, (K, n))
    target_in = rng.random(n) < 0.5
    target = difficulty + shift * target_in + rng.normal(0, 1, n)
    return target, stat, inside, target_in


@pytest.mark.parametrize("online", [True, False])
def test_lira_calibrates_each_sample(online):
    rng = np.random.default_rng(6)
    target, stat, inside, member = _shadows(rng, 2000, 16, shift=2.0)
    score = attacks.lira_scores(target, stat, inside, online=online)
    lira, raw = auc(score[member], score[~member]).auc, auc(target[member], target[~member]).auc
    assert lira > 0.8 and raw < 0.6  # the per-sample calibration is what LiRA adds
    fixed = attacks.lira_scores(target, stat, inside, online=online, global_variance=False)
    assert auc(fixed[member], fixed[~member]).auc > 0.75


def test_lira_at_chance_without_an_effect():
    rng = np.random.default_rng(7)
    target, stat, inside, member = _shadows(rng, 2000, 16, shift=0.0)
    r = auc(*(lambda s: (s[member], s[~member]))(attacks.lira_scores(target, stat, inside)))
    assert r.low <= 0.5 <= r.high


def test_lira_needs_shadows_on_both_sides():
    target, stat = np.zeros(3), np.zeros((3, 3))
    inside = np.array([[True, False, False], [True, False, True], [False, True, True]])
    with pytest.raises(ValueError, match="sample 0 has 1 OUT"):
        attacks.lira_scores(target, stat, inside, online=False)
    with pytest.raises(ValueError, match="need target"):
        attacks.lira_scores(np.zeros(2), stat, inside)


def test_grouped_interval_covers():
    """Each of 150 samples scored by 8 target models, a member of 4 (its score shifted by 0.5) and a non-member of 4,
    sharing a sample effect (sd 1) across targets: the grouped 95 % AUC interval covers the true AUC in about 95 % of
    100 sets."""
    from scipy.stats import norm as normal

    truth = normal.cdf(0.5 / np.sqrt(2 * (1 + 0.5 ** 2)))  # difference of two rows of different samples
    rng = np.random.default_rng(8)
    hits = []
    for _ in range(100):
        effect = rng.normal(0, 1, 150)
        groups = np.repeat(np.arange(150), 4)
        m = np.repeat(effect, 4) + 0.5 + rng.normal(0, 0.5, 600)
        n = np.repeat(effect, 4) + rng.normal(0, 0.5, 600)
        out = attacks.attack_metrics(m, n, rng=rng, fprs=(0.01,), n_boot=200, member_groups=groups,
                                     nonmember_groups=groups)
        hits.append(out["auc_low"] <= truth <= out["auc_high"])
    assert 0.88 <= np.mean(hits) <= 0.99, np.mean(hits)
    with pytest.raises(ValueError, match="one group per score"):
        attacks.attack_metrics(m, n, rng=rng, member_groups=groups[:10], nonmember_groups=groups)


def test_a_family_of_models_that_learnt_nothing_is_attacked_at_chance():
    """Eight untrained models on one pool, the halves of the shadow design: no attack tells members apart (LiRA
    included: the target's partner is left out of its shadows, so members and non-members have as many IN shadows),
    and mem_U is the code length saved against log2 V a token."""
    from memcap.engine.runs.shadow import membership_matrix
    from memcap.measures import attack_tables
    from memcap.measures.evaluate import sequence_code_length_bits

    cfg = GPTConfig(vocab_size=8, seq_len=8, n_layer=1, d_model=8)
    models = [GPT(cfg, generator=torch.Generator().manual_seed(k)) for k in range(8)]
    pool = torch.randint(0, 8, (1600, 8), generator=torch.Generator().manual_seed(1))
    inside = membership_matrix(1600, 8, seed=2)
    scores = attack_tables.family_scores(models, pool, inside, reference=models[0])
    table = {r["attack"]: r for r in attack_tables.metrics_by_attack(scores, rng=np.random.default_rng(3),
                                                                      fprs=(0.01,), n_boot=200)}
    for name in ("LOSS", "Min-K%++", "LiRA offline", "LiRA online"):
        assert table[name]["auc_low"] <= 0.5 <= table[name]["auc_high"], (name, table[name])
    first = np.asarray(scores["target"]) == 0
    want = unintended_memorization_bits(sequence_code_length_bits(models[0], pool), np.full(1600, 8 * 3.0))
    np.testing.assert_allclose(np.asarray(scores["mem_u_bits"])[first], want, atol=1e-4)
    with pytest.raises(ValueError, match="at least 6 models"):
        attack_tables.family_scores(models[:4], pool, inside[:4])


def test_loss_attack_orders_by_loss_and_its_tpr_reads_the_fpr():
    rng = np.random.default_rng(3)
    members, nonmembers = rng.normal(10.0, 1.0, 400), rng.normal(12.0, 1.0, 400)  # members code shorter
    out = attacks.loss_attack(lambda xs: np.asarray(xs), members, nonmembers, rng=rng, fprs=(0.01,), n_boot=50)
    assert out["auc"] == pytest.approx(auc(-members, -nonmembers).auc)
    assert out["auc"] == pytest.approx(norm.cdf(2 / math.sqrt(2)), abs=0.03)  # P(member shorter), two unit normals
    assert out["tpr_at_0.01"] == attacks.tpr_at_fpr(-members, -nonmembers, 0.01)
    assert out["resolved_0.01"] and out["tpr_at_0.01_low"] <= out["tpr_at_0.01"] <= out["tpr_at_0.01_high"]
    swapped = attacks.loss_attack(lambda xs: np.asarray(xs), nonmembers, members, rng=rng, fprs=(0.01,), n_boot=50)
    assert swapped["auc"] == pytest.approx(1 - out["auc"])  # longer codes for members: worse than chance


def test_on_law_scale_puts_chance_at_one_half():
    tpr = np.array([0.001, 0.5, 1.0])
    assert attacks.on_law_scale(tpr, 0.001).tolist() == pytest.approx([0.5, 0.5 + 0.499 / 1.998, 1.0])
    assert attacks.on_law_scale(0.3, 0.0) == pytest.approx(0.65)  # FPR 0: half of TPR, plus one half
    with pytest.raises(ValueError, match="fpr=1.0"):
        attacks.on_law_scale(tpr, 1.0)


def test_one_model_attacks_agree_with_loss_attack_and_separate_what_a_model_learnt():
    """LOSS among the one-model attacks ranks as chapter 5's code-length LOSS does (the same AUC); a model that
    trained on its members tells them apart by every attack, an untrained one by none; bad rows are named."""
    from memcap.measures import attack_tables
    from memcap.measures.evaluate import sequence_code_length_bits

    cfg = GPTConfig(vocab_size=8, seq_len=8, n_layer=1, d_model=16)
    g = torch.Generator().manual_seed(5)
    rows = torch.randint(0, 8, (120, 8), generator=g)
    members, nonmembers = rows[:60], rows[60:]
    untrained = GPT(cfg, generator=torch.Generator().manual_seed(6))
    trained = GPT(cfg, generator=torch.Generator().manual_seed(6))
    opt = torch.optim.AdamW(trained.parameters(), lr=1e-2)
    for _ in range(300):
        opt.zero_grad()
        trained.loss(members[:, :-1], members[:, 1:]).backward()
        opt.step()
    for model, low, high in ((trained, 0.9, 1.0), (untrained, 0.3, 0.7)):
        out = attack_tables.one_model_attacks(model, members, nonmembers, rng=np.random.default_rng(0), n_boot=20)
        by_name = {r["attack"]: r for r in out}
        assert list(by_name) == ["LOSS", "zlib", "Min-K%", "Min-K%++"]
        assert all(low <= r["auc"] <= high for r in out), [(r["attack"], r["auc"]) for r in out]
        via_code_lengths = attacks.loss_attack(partial(sequence_code_length_bits, model), members, nonmembers,
                                               rng=np.random.default_rng(0), n_boot=20)
        assert by_name["LOSS"]["auc"] == pytest.approx(via_code_lengths["auc"])
    with pytest.raises(ValueError, match=r"\(60, 8\) and \(60, 7\)"):
        attack_tables.one_model_attacks(trained, members, nonmembers[:, :7], rng=np.random.default_rng(0))
