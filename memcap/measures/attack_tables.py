"""The field's attacks on a family of shadow models (:mod:`memcap.engine.runs.shadow`): every model in turn is the
target, the others its shadows; one table of scores per (target, pool sample), then the metrics of each attack over
all targets together, and how each attack's score tracks the sample's unintended memorization.

Scores of one sample under different targets are not independent (the sample is the same), so every interval here
resamples whole samples (:func:`memcap.measures.attacks.attack_metrics` with groups), and a correlation is taken per
target and summarized across targets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from memcap.measures import attacks
from memcap.measures.memorization import unintended_memorization_bits
from memcap.measures.seeds import t_interval
from memcap.theory.information import nats_to_bits

ATTACKS = ("LOSS", "zlib", "reference", "Min-K%", "Min-K%++", "LiRA offline", "LiRA online")


def family_scores(models: Sequence, pool: torch.Tensor, members, *, reference=None, k: float = 0.2,
                  batch_size: int = 512) -> dict[str, list]:
    """Every attack's score of every pool sequence under every target model of the family (the others but the
    target's complementary partner are its shadows), as columns (JSON-ready lists): ``target``, ``sample``, ``member`` (the target trained on it),
    ``mem_u_bits`` (the sample's unintended memorization in the target against the data's true distribution, the
    uniform one: log2 V per predicted token minus its loss in bits, clipped at 0) and one column per attack in
    :data:`ATTACKS`. ``reference`` is a model of the same shape trained on other sequences of the same source (its
    absence leaves the reference column at the true distribution's score, which ranks as LOSS does)."""
    inside = np.asarray(members, dtype=bool)
    K, n = inside.shape
    if len(models) != K or pool.shape[0] != n:
        raise ValueError(f"{len(models)} models and a pool of {pool.shape[0]} for a membership matrix {inside.shape}")
    if K < 6:
        raise ValueError(f"online LiRA needs two IN and two OUT shadows per sample: at least 6 models, got {K}")
    V = models[0].cfg.vocab_size
    stats = [attacks.token_statistics(m, pool, batch_size) for m in models]
    ref = attacks.token_statistics(reference, pool, batch_size)["logp"] if reference is not None else \
        np.full_like(stats[0]["logp"], -math.log(V))
    ell = np.stack([s["logp"].sum(axis=1) for s in stats])  # (K, n): LiRA's statistic, nats
    z = attacks.zlib_bits(pool.cpu().numpy())
    out: dict[str, list] = {c: [] for c in ("target", "sample", "member", "mem_u_bits", *ATTACKS)}
    for t, s in enumerate(stats):
        # the shadows: every model but the target and its partner (models 2i and 2i + 1 train on complementary
        # halves). Without the partner each sample has K/2 - 1 IN and K/2 - 1 OUT shadows; with it, the target's
        # members would have one IN shadow fewer than its non-members, and noisier IN means (a bias against members)
        others = (np.arange(K) != t) & (np.arange(K) != (t ^ 1))
        # code lengths of the predicted tokens under the target and under the true (uniform) distribution
        model_bits = nats_to_bits(-s["logp"].sum(axis=1))
        mem = unintended_memorization_bits(model_bits, np.full(n, s["logp"].shape[1] * math.log2(V)))
        cols = {
            "LOSS": attacks.loss_score(s["logp"]),
            "zlib": attacks.zlib_score(s["logp"], z),
            "reference": attacks.reference_score(s["logp"], ref),
            "Min-K%": attacks.min_k_score(s["logp"], k),
            "Min-K%++": attacks.min_k_plus_plus_score(s["logp"], s["mu"], s["sigma"], k),
            "LiRA offline": attacks.lira_scores(ell[t], ell[others], inside[others], online=False),
            "LiRA online": attacks.lira_scores(ell[t], ell[others], inside[others], online=True),
        }
        out["target"] += [t] * n
        out["sample"] += list(range(n))
        out["member"] += inside[t].tolist()
        out["mem_u_bits"] += mem.tolist()
        for name in ATTACKS:
            out[name] += [float(v) for v in cols[name]]
    return out


def metrics_by_attack(scores, *, rng: np.random.Generator, fprs: Sequence[float] = (0.01, 0.001), n_boot: int = 500,
                      attack_names: Sequence[str] = ATTACKS) -> list[dict]:
    """One record per attack (JSON-ready: ``pd.DataFrame`` of it is the table):
    :func:`~memcap.measures.attacks.attack_metrics` over all targets' members against all targets' non-members (one
    threshold for all targets), intervals resampling whole pool samples: conditional on these trained models, not
    covering what training another family would change."""
    f = pd.DataFrame(scores)
    m, n = f[f.member], f[~f.member]
    rows = []
    for name in attack_names:
        r = attacks.attack_metrics(m[name].to_numpy(), n[name].to_numpy(), rng=rng, fprs=fprs, n_boot=n_boot,
                                   member_groups=m["sample"].to_numpy(), nonmember_groups=n["sample"].to_numpy())
        rows.append(dict(attack=name, **r))
    return rows


def tracks_memorization(scores, attack_names: Sequence[str] = ATTACKS, level: float = 0.95) -> pd.DataFrame:
    """One row per attack: Spearman's correlation of its score with the sample's mem_U over each target's members,
    its mean over targets and the t interval across them (``low``, ``high``; targets share samples, so the interval
    is a guide, not an exact one)."""
    from scipy.stats import spearmanr

    f = pd.DataFrame(scores)
    f = f[f.member]
    rows = []
    for name in attack_names:
        per = [spearmanr(g[name], g.mem_u_bits).statistic for _, g in f.groupby("target")
               if g[name].nunique() > 1 and g.mem_u_bits.nunique() > 1]
        per = [r for r in per if np.isfinite(r)]
        low, high = t_interval(per, level) if len(per) >= 2 else (math.nan, math.nan)
        rows.append(dict(attack=name, spearman=float(np.mean(per)) if per else math.nan, low=low, high=high,
                         targets=len(per)))
    return pd.DataFrame(rows)


def token_text(ids) -> str:
    """A token sequence as words the blind baseline's bag of words reads (:func:`memcap.measures.blind.words`:
    letters only): each id spelled with the letters a-j for its digits.

        >>> token_text([3, 12, 0])
        'd bc a'
    """
    return " ".join("".join(chr(ord("a") + int(d)) for d in str(int(i))) for i in ids)


def blind_check(pool: torch.Tensor, members, *, rng: np.random.Generator, n_boot: int = 200,
                level: float = 0.95) -> dict:
    """The blind baseline (:func:`memcap.measures.blind.blind_baseline`: naive Bayes on the tokens and token pairs,
    out of fold, never a model) telling one target's members (``members``: booleans over the pool) from its
    non-members, each sequence its own group: ``auc``, ``low``, ``high`` at ``level`` (JSON-ready)."""
    from memcap.measures.blind import blind_baseline

    inside = np.asarray(members, dtype=bool)
    texts = [token_text(row) for row in pool.cpu().numpy()]
    ids = np.arange(len(texts))
    result = blind_baseline([t for t, m in zip(texts, inside) if m], [t for t, m in zip(texts, inside) if not m],
                            ids[inside], ids[~inside], rng=rng, n_boot=n_boot, level=level)
    return dict(auc=float(result.auc.auc), low=float(result.auc.low), high=float(result.auc.high))
