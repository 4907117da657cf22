"""Membership-inference attacks as the field runs them, one interface: per-sample **scores, higher = "member"**,
computed from a model's per-token statistics (:func:`token_statistics`), optionally a reference model's, or, for
LiRA, many shadow models' scores.

* **LOSS** (Yeom et al. 2018): the mean log-likelihood (1/T') Σ_t ln p(x_t | x_<t), minus the mean loss;
* **zlib** (Carlini et al. 2021, §6.1): Σ_t ln p(x_t | x_<t) per bit of zlib's code length of x;
* **reference** (Carlini et al. 2021; Watson et al. 2022): Σ_t ln p(x_t | x_<t; θ) − Σ_t ln p(x_t | x_<t; θ_ref);
* **Min-K% Prob** (Shi et al. 2024): the mean of the k % lowest ln p(x_t | x_<t);
* **Min-K%++** (Zhang et al. 2024): the mean of the k % lowest (ln p(x_t | x_<t) − μ_t) / σ_t, where μ_t and σ_t
  are the mean and standard deviation of ln p(z | x_<t) for z drawn from the model's next-token distribution;
* **LiRA** (Carlini et al. 2022, Algorithm 1): offline (ℓ − μ_out) / σ_out; online
  ln N(ℓ; μ_in, σ²) − ln N(ℓ; μ_out, σ²), with ℓ the target's statistic and μ, σ fitted to shadow models that
  trained on x (in) and did not (out).

T' is the number of predicted tokens (the first token has no prediction). Where ours differs from the papers:

* **zlib**: Carlini et al. divide the model's log-perplexity by the zlib entropy; MIMIR divides the loss by the
  compressed length in bytes. We divide the summed log-likelihood (nats) by the compressed length in bits; higher
  (a smaller loss for the text's compressibility) means member. Token sequences are compressed as their id bytes,
  text as UTF-8.
* **LiRA**: Carlini et al. fit Gaussians to the logit-scaled confidence ln(p / (1 − p)) of a label. A sequence's
  probability is tiny, so the logit is ln p to many digits; we use ℓ = Σ_t ln p(x_t | x_<t) directly. With few shadow
  models (under 64) they recommend one variance shared by all samples ("global variance"), the default here. Their
  code takes it as the spread of all IN statistics around one grand mean; ours pools each sample's spread around
  its own mean (the samples' means differ, and that difference is what the test uses, not noise). The per-sample
  variance is available. The offline score is the one-sided z statistic, a monotone transform of their p-value, so
  the ROC is the same.
* **Min-K%++**: Zhang et al. take μ_t, σ_t from the model's full next-token distribution, as here (exactly, not
  sampled).

Metrics: the ROC curve (:func:`roc_curve`), its area with DeLong's interval (:func:`memcap.measures.blind.auc`),
and the true-positive rate at a fixed false-positive rate (:func:`tpr_at_fpr`) — the low-FPR end that shows whether an
attack picks out any member with confidence (Carlini et al. 2022). A TPR at FPR f rests on f · n non-members falling
above the threshold: with fewer than 1/f non-members it is the TPR at FPR 0 (:func:`nonmembers_needed`).

    >>> logp = np.log([[0.5, 0.25, 0.125, 0.5]])          # one sample, four predicted tokens
    >>> float(min_k_score(logp, 0.5)[0]) == float(np.log([0.25, 0.125]).mean())
    True
    >>> round(float(loss_score(logp)[0]), 4)                  # mean ln p
    -1.213
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from scipy.stats import rankdata

from memcap.measures.blind import auc

__all__ = [
    "token_statistics", "loss_score", "zlib_bits", "zlib_score", "reference_score", "min_k_score",
    "min_k_plus_plus_score", "lira_scores", "roc_curve", "tpr_at_fpr", "nonmembers_needed", "attack_metrics",
    "metrics_table", "loss_attack", "on_law_scale",
]


# --- what the attacks read from a model -------------------------------------------------------------------------


def token_statistics(model, data: torch.Tensor, batch_size: int = 512) -> dict[str, np.ndarray]:
    """Per predicted token of every row of ``data`` (N, T): ``logp`` = ln p(x_t | x_<t), and ``mu``, ``sigma`` = the
    mean and standard deviation of ln p(z | x_<t) over z drawn from the model's own next-token distribution (what
    Min-K%++ normalizes by). Arrays (N, T − 1), float64; the model is left in the mode it was in.

        >>> from memcap.model import GPT, GPTConfig
        >>> cfg = GPTConfig(vocab_size=8, seq_len=6, n_layer=1, d_model=8)
        >>> m = GPT(cfg, generator=torch.Generator().manual_seed(0))
        >>> s = token_statistics(m, torch.zeros(3, 6, dtype=torch.long))
        >>> s["logp"].shape, bool((s["sigma"] >= 0).all())
        ((3, 5), True)
    """
    if data.dim() != 2 or data.shape[1] < 2:
        raise ValueError(f"data must be (N, T) token ids with T >= 2, got shape {tuple(data.shape)}")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    parts: dict[str, list[np.ndarray]] = {"logp": [], "mu": [], "sigma": []}
    try:
        with torch.no_grad():
            for i in range(0, data.shape[0], batch_size):
                x = data[i:i + batch_size].to(device)
                logq = torch.log_softmax(model(x[:, :-1]).double(), dim=-1)  # (B, T-1, V)
                q = logq.exp()
                mu = (q * logq).sum(-1)
                var = (q * (logq - mu.unsqueeze(-1)) ** 2).sum(-1)
                parts["logp"].append(logq.gather(-1, x[:, 1:].unsqueeze(-1)).squeeze(-1).cpu().numpy())
                parts["mu"].append(mu.cpu().numpy())
                parts["sigma"].append(var.clamp_min(0).sqrt().cpu().numpy())
    finally:
        model.train(was_training)
    return {k: np.concatenate(v) for k, v in parts.items()}


def _logp(logp) -> np.ndarray:
    a = np.asarray(logp, dtype=float)
    if a.ndim != 2 or a.shape[1] < 1:
        raise ValueError(f"per-token log-probabilities must be (samples, tokens), got shape {a.shape}")
    if not np.isfinite(a).all() or (a > 1e-9).any():
        raise ValueError("per-token log-probabilities must be finite and at most 0")
    return a


# --- the attacks: higher score = "member" -----------------------------------------------------------------------


def loss_score(logp) -> np.ndarray:
    """LOSS: the mean log-likelihood of the predicted tokens (minus the mean loss, nats)."""
    return _logp(logp).mean(axis=1)


def zlib_bits(samples: Sequence) -> np.ndarray:
    """zlib's code length in bits (level 9) of each sample: a string (UTF-8), or a sequence of token ids (one byte
    each when every id is below 256, else two, little-endian).

        >>> bool(zlib_bits(["aaaaaaaaaaaaaaaa"])[0] < zlib_bits(["a quick brown fox"])[0])
        True
    """
    out = []
    for s in samples:
        if isinstance(s, str):
            raw = s.encode("utf-8")
        else:
            ids = np.asarray(s)
            if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer) or (ids < 0).any():
                raise ValueError(f"a sample must be a string or non-negative token ids, got {ids.dtype} {ids.shape}")
            raw = ids.astype(np.uint8 if ids.max(initial=0) < 256 else "<u2").tobytes()
        out.append(8 * len(zlib.compress(raw, 9)))
    return np.asarray(out, dtype=float)


def zlib_score(logp, zlib_code_bits) -> np.ndarray:
    """zlib: the summed log-likelihood (nats) per bit of zlib's code length (:func:`zlib_bits`)."""
    a, z = _logp(logp), np.asarray(zlib_code_bits, dtype=float)
    if z.shape != (a.shape[0],) or not (z > 0).all():
        raise ValueError(f"need one positive zlib length per sample ({a.shape[0]}), got shape {z.shape}")
    return a.sum(axis=1) / z


def reference_score(logp, reference_logp) -> np.ndarray:
    """Reference: how much more likely the target model finds the sample than the reference model (nats). With the
    data's true distribution as the reference, this is the sample's unintended memorization before clipping, in
    nats (:func:`memcap.measures.memorization.unintended_memorization_bits`)."""
    a, r = _logp(logp), _logp(reference_logp)
    if a.shape != r.shape:
        raise ValueError(f"target and reference statistics differ in shape: {a.shape} vs {r.shape}")
    return a.sum(axis=1) - r.sum(axis=1)


def _lowest_mean(values: np.ndarray, k: float) -> np.ndarray:
    if not 0 < k <= 1:
        raise ValueError(f"k is a fraction of the tokens in (0, 1], got k={k!r}")
    n = max(1, int(math.ceil(k * values.shape[1])))  # at least one token
    return np.sort(values, axis=1)[:, :n].mean(axis=1)


def min_k_score(logp, k: float = 0.2) -> np.ndarray:
    """Min-K% Prob: the mean of the ⌈k·T'⌉ lowest token log-probabilities (k = 0.2 in Shi et al.)."""
    return _lowest_mean(_logp(logp), k)


def min_k_plus_plus_score(logp, mu, sigma, k: float = 0.2) -> np.ndarray:
    """Min-K%++: each token's log-probability standardized by the model's own next-token distribution,
    (ln p(x_t) − μ_t) / σ_t, then the mean of the ⌈k·T'⌉ lowest. A token where the model is certain (σ_t = 0) scores
    0 (its log-probability equals μ_t when it is the certain token); σ_t under 10⁻⁶ nats counts as 0, since μ_t and
    ln p(x_t) then differ by rounding alone.

        >>> logp = np.log([[0.5, 0.5]]); mu = np.array([[np.log(0.5), -1.0]]); sigma = np.array([[0.0, 0.5]])
        >>> round(float(min_k_plus_plus_score(logp, mu, sigma, k=1.0)[0]), 4)   # (0 + (−0.6931 + 1) / 0.5) / 2
        0.3069
    """
    a = _logp(logp)
    m, s = np.asarray(mu, dtype=float), np.asarray(sigma, dtype=float)
    if m.shape != a.shape or s.shape != a.shape:
        raise ValueError(f"mu and sigma must have the shape of logp {a.shape}, got {m.shape} and {s.shape}")
    if (s < 0).any():
        raise ValueError("sigma must be non-negative")
    z = np.divide(a - m, s, out=np.zeros_like(a), where=s > 1e-6)
    return _lowest_mean(z, k)


def lira_scores(target, shadow, shadow_in, *, online: bool = True, global_variance: bool = True) -> np.ndarray:
    """LiRA (Carlini et al. 2022): per sample, Gaussians fitted to its statistic (ℓ, higher = better fitted) under
    shadow models that trained on it (IN) and that did not (OUT); the score is the target model's ℓ's likelihood
    ratio (online) or its z statistic against OUT alone (offline).

    ``target`` (n,) is the target model's ℓ per sample; ``shadow`` (K, n) the K shadow models' ℓ; ``shadow_in`` (K, n)
    booleans, True where shadow k trained on sample j. Every sample needs at least two OUT shadows (and two IN ones
    online). With ``global_variance`` one variance per side is pooled over all samples (Carlini et al.'s choice with
    under 64 shadows).

        >>> shadow = np.array([[-10.0, -1.0], [-12.0, -3.0], [-2.0, -11.0], [-4.0, -9.0]])
        >>> inside = np.array([[False, True], [False, True], [True, False], [True, False]])
        >>> offline = lira_scores(np.array([-3.0, -10.0]), shadow, inside, online=False)
        >>> [round(float(v), 4) for v in offline]      # OUT means −11 and −10, pooled sd √2
        [5.6569, 0.0]
    """
    t = np.asarray(target, dtype=float)
    s = np.asarray(shadow, dtype=float)
    inside = np.asarray(shadow_in, dtype=bool)
    if t.ndim != 1 or s.shape != (s.shape[0], t.size) or inside.shape != s.shape:
        raise ValueError(f"need target (n,), shadow and shadow_in (K, n); got {t.shape}, {s.shape}, {inside.shape}")
    if not (np.isfinite(t).all() and np.isfinite(s).all()):
        raise ValueError("LiRA statistics must be finite")

    def side(mask: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
        count = mask.sum(axis=0)
        if (count < 2).any():
            j = int(np.argmin(count))
            raise ValueError(f"sample {j} has {int(count[j])} {name} shadow model(s); LiRA needs at least 2 per sample")
        mean = np.where(mask, s, 0).sum(axis=0) / count
        dev2 = np.where(mask, (s - mean) ** 2, 0)
        if global_variance:
            var = np.full(t.size, dev2.sum() / (count - 1).sum())
        else:
            var = dev2.sum(axis=0) / (count - 1)
        return mean, np.maximum(var, 1e-12)

    mu_out, var_out = side(~inside, "OUT")
    if not online:
        return (t - mu_out) / np.sqrt(var_out)
    mu_in, var_in = side(inside, "IN")

    def log_normal(x, mu, var):
        return -0.5 * (np.log(2 * np.pi * var) + (x - mu) ** 2 / var)

    return log_normal(t, mu_in, var_in) - log_normal(t, mu_out, var_out)


# --- metrics ----------------------------------------------------------------------------------------------------


def _scores(members, nonmembers) -> tuple[np.ndarray, np.ndarray]:
    m, n = np.asarray(members, dtype=float).ravel(), np.asarray(nonmembers, dtype=float).ravel()
    if m.size < 1 or n.size < 1:
        raise ValueError(f"need at least one member and one non-member score, got {m.size} and {n.size}")
    if not (np.isfinite(m).all() and np.isfinite(n).all()):
        raise ValueError("scores must be finite")
    return m, n


def roc_curve(members, nonmembers) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, TPR) of calling "member" every score ≥ a threshold, over every threshold from above the highest score
    to the lowest: starts at (0, 0), ends at (1, 1).

        >>> fpr, tpr = roc_curve([3.0, 2.0], [1.0, 2.0])
        >>> fpr.tolist(), tpr.tolist()
        ([0.0, 0.0, 0.5, 1.0], [0.0, 0.5, 1.0, 1.0])
    """
    m, n = _scores(members, nonmembers)
    thresholds = np.unique(np.concatenate([m, n]))[::-1]
    # scores >= t  <=>  -score <= -t: count them in the sorted negated scores
    tpr = np.searchsorted(np.sort(-m), -thresholds, side="right") / m.size
    fpr = np.searchsorted(np.sort(-n), -thresholds, side="right") / n.size
    return np.r_[0.0, fpr], np.r_[0.0, tpr]


def tpr_at_fpr(members, nonmembers, fpr: float) -> float:
    """The highest TPR among thresholds whose FPR is at most ``fpr`` (the threshold sits above all but ⌊fpr·n⌋ of the
    n non-members' scores). With fewer than 1/fpr non-members this is the TPR at FPR 0.

        >>> tpr_at_fpr([5.0, 4.0, 1.0], [3.0, 2.0, 0.0, -1.0], fpr=0.25)   # 3.0 may pass: 1 of 4
        0.6666666666666666
        >>> tpr_at_fpr([5.0, 4.0, 1.0], [3.0, 2.0, 0.0, -1.0], fpr=0.1)    # none may: above 3.0
        0.6666666666666666
    """
    if not 0 <= fpr < 1:
        raise ValueError(f"fpr must lie in [0, 1), got fpr={fpr!r}")
    m, n = _scores(members, nonmembers)
    allowed = int(math.floor(fpr * n.size + 1e-9))  # non-members that may score at or above the threshold
    ranked = np.sort(n)[::-1]
    # the threshold must exceed the (allowed+1)-th highest non-member (ties move together)
    bar = ranked[allowed] if allowed < n.size else -np.inf
    return float((m > bar).mean())


def nonmembers_needed(fpr: float, false_positives: int = 10) -> int:
    """Non-members needed for a TPR at FPR ``fpr`` whose threshold rests on ``false_positives`` non-members above it
    (one gives the resolution, about ten a threshold that does not hang on a single sample).

        >>> nonmembers_needed(0.01), nonmembers_needed(0.001, false_positives=1)
        (1000, 1000)
    """
    if not 0 < fpr < 1 or false_positives < 1:
        raise ValueError(f"need 0 < fpr < 1 and false_positives >= 1, got fpr={fpr!r}, "
                         f"false_positives={false_positives!r}")
    return int(math.ceil(false_positives / fpr - 1e-9))


def _auc_fast(m: np.ndarray, n: np.ndarray) -> float:
    ranks = rankdata(np.concatenate([m, n]))
    return float((ranks[:m.size].sum() - m.size * (m.size + 1) / 2) / (m.size * n.size))


def _group_draws(member_groups, nonmember_groups, n_members: int, n_nonmembers: int):
    gm, gn = np.asarray(member_groups).ravel(), np.asarray(nonmember_groups).ravel()
    if gm.shape != (n_members,) or gn.shape != (n_nonmembers,):
        raise ValueError(f"need one group per score: {gm.shape} groups for {n_members} members, {gn.shape} for "
                         f"{n_nonmembers} non-members")
    names, codes = np.unique(np.concatenate([gm, gn]), return_inverse=True)
    cm, cn = codes[:n_members], codes[n_members:]
    rows_m, rows_n = np.arange(n_members), np.arange(n_nonmembers)

    def draw(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        # each group drawn k times (with replacement) brings its rows k times, both sides alike
        times = np.bincount(rng.integers(names.size, size=names.size), minlength=names.size)
        return np.repeat(rows_m, times[cm]), np.repeat(rows_n, times[cn])
    return draw


def attack_metrics(members, nonmembers, *, rng: np.random.Generator, fprs: Sequence[float] = (0.01, 0.001),
                   n_boot: int = 1000, level: float = 0.95, member_groups=None, nonmember_groups=None) -> dict:
    """AUC with an interval, and TPR at each FPR in ``fprs`` with a bootstrap interval (members and non-members
    resampled, the threshold found again each time); ``resolved_<fpr>`` says whether there are at least 1/fpr
    non-members (else the TPR is the TPR at FPR 0).

    Independent scores get DeLong's AUC interval and resample members and non-members apart. Scores that come in
    groups (``member_groups``, ``nonmember_groups``: one sample scored by several target models, a member of some,
    a non-member of others) resample whole groups, both sides of a group together, for every interval; the AUC's is
    then the bootstrap percentile interval (its coverage is checked in tests/test_attacks.py)."""
    m, n = _scores(members, nonmembers)
    grouped = member_groups is not None or nonmember_groups is not None
    draw = _group_draws(member_groups, nonmember_groups, m.size, n.size) if grouped else None
    a = auc(m, n, level=level)
    out = dict(auc=a.auc, auc_low=a.low, auc_high=a.high, n_members=m.size, n_nonmembers=n.size)
    boots = np.empty((n_boot, len(fprs)))
    aucs = np.empty(n_boot)
    for b in range(n_boot):
        if grouped:
            im, i_n = draw(rng)
            while im.size == 0 or i_n.size == 0:  # a draw without a member or a non-member: draw again
                im, i_n = draw(rng)
        else:
            im, i_n = rng.integers(m.size, size=m.size), rng.integers(n.size, size=n.size)
        bm, bn = m[im], n[i_n]
        boots[b] = [tpr_at_fpr(bm, bn, f) for f in fprs]
        if grouped:
            aucs[b] = _auc_fast(bm, bn)
    q = (0.5 - level / 2) * 100, (0.5 + level / 2) * 100
    if grouped:
        lo, hi = np.percentile(aucs, q)
        out.update(auc_low=float(lo), auc_high=float(hi))
    for i, f in enumerate(fprs):
        key = f"tpr_at_{f:g}"
        lo, hi = np.percentile(boots[:, i], q)
        out.update({key: tpr_at_fpr(m, n, f), f"{key}_low": float(lo), f"{key}_high": float(hi),
                    f"resolved_{f:g}": n.size >= nonmembers_needed(f, 1)})
    return out


def loss_attack(losses, members, nonmembers, *, rng: np.random.Generator, fprs: Sequence[float] = (0.01,),
                n_boot: int = 1000) -> dict:
    """LOSS (Yeom et al. 2018) as the field scores it: :func:`attack_metrics` of the negated ``losses`` (a function
    from samples to a code length or a loss, one per sample; smaller: member) of ``members`` and ``nonmembers``.
    The AUC and the TPR at each FPR need no threshold chosen on other data, unlike chapter 5's F1.

        >>> length = lambda xs: np.array([float(x) for x in xs])    # a sample's code length: itself
        >>> out = loss_attack(length, [1, 2, 3, 4], [3.5, 5, 6, 7], rng=np.random.default_rng(0), fprs=(0.2,),
        ...                   n_boot=20)
        >>> out["auc"], out["tpr_at_0.2"]       # 15 of 16 pairs ordered (3.5 beats 4); no non-member may pass
        (0.9375, 0.75)
        >>> out["resolved_0.2"]                 # FPR 0.2 needs 5 non-members: this is the TPR at FPR 0
        False
    """
    return attack_metrics(-np.asarray(losses(members), dtype=float), -np.asarray(losses(nonmembers), dtype=float),
                          rng=rng, fprs=fprs, n_boot=n_boot)


def on_law_scale(tpr, fpr: float):
    """A TPR at FPR ``fpr`` moved onto the scale of chapter 5's law (0.5 at chance, 1 when every member is found):
    ½(1 + (TPR − fpr)/(1 − fpr)). A guess finds members at the rate it accepts non-members, so chance is TPR = fpr,
    as chance is 0.5 for an AUC; the law ½(1 + c1 σ(c2 (x + c3))) can then be fitted to either.

        >>> on_law_scale(np.array([0.01, 1.0, 0.505]), 0.01).tolist()
        [0.5, 1.0, 0.75]
    """
    if not 0 <= fpr < 1:
        raise ValueError(f"fpr must lie in [0, 1), got fpr={fpr!r}")
    return 0.5 * (1 + (np.asarray(tpr, dtype=float) - fpr) / (1 - fpr))


def metrics_table(scores: Mapping[str, tuple], *, rng: np.random.Generator, **kw) -> pd.DataFrame:
    """One row per attack: ``scores`` maps an attack's name to its (member scores, non-member scores);
    :func:`attack_metrics` of each, keyword arguments passed on."""
    rows = [dict(attack=name, **attack_metrics(m, n, rng=rng, **kw)) for name, (m, n) in scores.items()]
    return pd.DataFrame(rows)
