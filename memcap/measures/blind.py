"""The blind baseline of membership inference: a classifier that never sees a model, only the text, asked to tell
members from non-members. If it can, members and non-members come from different text, and an attack's success
measures that shift rather than memorization (Das et al. 2024, "Blind baselines beat membership inference attacks
for foundation models"; Duan et al. 2024). Fixed before a chapter's runs: its AUC interval must contain 0.5.

The classifier is multinomial naive Bayes on bags of words and word pairs (hashed into a fixed number of buckets),
scored out of fold. The samples go to folds *by group* (chapter 6: the work a sequence comes from), a group wholly
to one fold, so a fold is scored by a classifier that saw none of its group's text; split by sample instead, it
would learn each block's names from its neighbours and tell the blocks of the two sets apart, whatever their mix.
The folds are stratified by each group's share of members, the vocabulary is what the training folds saw, and the
AUC is taken within each fold and averaged: scores of different folds are never compared, since a fold's absence
tilts the training classes against it and pooled out-of-fold scores fall below chance on data with nothing to find.

For independent scores, :func:`auc` gives DeLong's interval (DeLong, DeLong and Clarke-Pearson 1988: the variance of
the Mann-Whitney statistic from its placement values); scores that come in groups get an interval that resamples
whole groups (:func:`auc_by_group`); the blind baseline's interval resamples groups and fits every classifier again.
tests/test_blind.py checks the coverage of all three on simulated data.

    >>> r = auc([3.0, 2.0, 1.0], [0.0, 1.0])
    >>> r.auc                       # 5.5 of the 6 pairs ordered (the tie at 1.0 counts a half)
    0.9166666666666666
    >>> auc([1.0, 1.0], [1.0, 1.0]).auc
    0.5
"""

from __future__ import annotations

import re
import zlib
from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.stats import norm, rankdata

_WORD = re.compile(r"[a-z']+")


class AUC(NamedTuple):
    """An area under the ROC curve with its interval (``level``) and the counts it rests on."""

    auc: float
    low: float
    high: float
    n_positive: int
    n_negative: int


def auc(positive, negative, level: float = 0.95) -> AUC:
    """The probability that a positive scores above a negative (ties a half), with DeLong's ``level`` interval
    (normal, clipped to [0, 1]). A higher score means "positive" (for a loss, pass minus the loss)."""
    x, y = np.asarray(positive, dtype=float), np.asarray(negative, dtype=float)
    if x.ndim != 1 or y.ndim != 1 or len(x) < 2 or len(y) < 2:
        raise ValueError(f"need at least 2 positive and 2 negative scores, got {x.shape} and {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("scores must be finite")
    m, n = len(x), len(y)
    both = rankdata(np.concatenate([x, y]))
    v10 = (both[:m] - rankdata(x)) / n  # per positive: the share of negatives below it
    v01 = 1 - (both[m:] - rankdata(y)) / m  # per negative: the share of positives above it
    area = float(v10.mean())
    se = float(np.sqrt(v10.var(ddof=1) / m + v01.var(ddof=1) / n))
    z = norm.ppf(0.5 + level / 2)
    return AUC(area, max(0.0, area - z * se), min(1.0, area + z * se), m, n)


def words(text: str) -> list[str]:
    """Lower-case words (letters and apostrophes).

        >>> words("To be, or not to be: that's it")
        ['to', 'be', 'or', 'not', 'to', 'be', "that's", 'it']
    """
    return _WORD.findall(text.lower())


def bag_of_words(texts, n_buckets: int = 2 ** 18) -> sparse.csr_matrix:
    """Counts of every text's words and word pairs, hashed (crc32, stable across runs) into ``n_buckets`` columns.

        >>> bag_of_words(["a b a"], n_buckets=64).sum()   # a, b, a; a b, b a
        np.float64(5.0)
    """
    rows, cols = [], []
    for i, t in enumerate(texts):
        w = words(t)
        grams = w + [f"{a} {b}" for a, b in zip(w, w[1:])]
        rows += [i] * len(grams)
        cols += [zlib.crc32(g.encode()) % n_buckets for g in grams]
    data = np.ones(len(rows))
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(texts), n_buckets))


def _weights(pos: np.ndarray, neg: np.ndarray, smoothing: float = 1.0) -> np.ndarray:
    """Naive Bayes's log odds of the members' class per feature, from the two classes' counts. The vocabulary is
    what training saw: a bucket neither class has says nothing (weight 0); smoothed over all buckets instead, the
    counts' totals would weigh less than the smoothing and the score would follow how much text each class has."""
    seen = (pos + neg) > 0
    p, n = pos[seen] + smoothing, neg[seen] + smoothing
    out = np.zeros(len(pos))
    out[seen] = np.log(p / p.sum()) - np.log(n / n.sum())
    return out


def auc_by_group(positive, negative, positive_groups, negative_groups, *, rng: np.random.Generator,
                 n_boot: int = 1000, level: float = 0.95) -> AUC:
    """:func:`auc` with an interval for scores that come in groups (the samples of one block of text move together):
    the percentile interval of ``n_boot`` resamples of whole groups, with replacement, within each class. DeLong's
    interval treats every sample as independent and is too narrow when they are not (tests/test_blind.py)."""
    x, y = np.asarray(positive, dtype=float), np.asarray(negative, dtype=float)
    point = auc(x, y, level)
    sides = [[np.flatnonzero(np.asarray(g) == k) for k in np.unique(g)] for g in (positive_groups, negative_groups)]
    draws = []
    for _ in range(n_boot):
        xi, yi = (np.concatenate([side[i] for i in rng.integers(0, len(side), len(side))]) for side in sides)
        if len(xi) >= 2 and len(yi) >= 2:
            draws.append(auc(x[xi], y[yi]).auc)
    low, high = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    return AUC(point.auc, float(low), float(high), len(x), len(y))


class BlindBaseline(NamedTuple):
    """Out-of-fold AUC of the model-free classifier, members against non-members (within folds, averaged), with its
    interval."""

    auc: AUC
    folds: int
    scores: np.ndarray  # out of fold, members first


def blind_baseline(members, nonmembers, member_groups, nonmember_groups, *, rng: np.random.Generator,
                   folds: int = 5, level: float = 0.95, n_boot: int = 200) -> BlindBaseline:
    """Tell ``members`` from ``nonmembers`` (texts) by multinomial naive Bayes (Laplace smoothing) on
    :func:`bag_of_words`, out of fold with ``folds`` folds drawn by group (``*_groups``: where each text comes from,
    one namespace for both classes; a group goes wholly to one fold, its members and non-members together). Returns
    the out-of-fold AUC with a ``level`` interval from ``n_boot`` resamples of whole groups, each scored again from
    scratch (new folds, new classifiers): the samples of a group share its words and one classifier, and the
    classifiers vary from fold to fold, so neither DeLong's interval nor resampling the scores alone covers
    (tests/test_blind.py).

    Which groups? Chapter 6 uses the *work* a sequence comes from. Folds by sample or by block let the classifier
    learn a work's names from its other samples; when one class is drawn thinly from many blocks and the other
    densely from few (pool members against whole test blocks), that alone moves the AUC away from 0.5 in either
    direction."""
    y = np.r_[np.ones(len(members), dtype=bool), np.zeros(len(nonmembers), dtype=bool)]
    groups = np.r_[np.asarray(member_groups), np.asarray(nonmember_groups)]
    if len(groups) != len(y):
        raise ValueError(f"{len(y)} texts but {len(groups)} groups")
    keys, row_group = np.unique(groups, return_inverse=True)
    row_group = row_group.ravel()
    for side in (y, ~y):
        if len(np.unique(row_group[side])) < folds:
            raise ValueError(f"folds={folds} needs at least as many groups of members and of non-members, got "
                             f"{len(np.unique(row_group[y]))} and {len(np.unique(row_group[~y]))}")
    X = bag_of_words(list(members) + list(nonmembers)).tocsc()
    X = X[:, np.flatnonzero(np.diff(X.indptr))].tocsr()  # buckets some text has: the rest never count
    # per group: its members' and its non-members' counts
    member_of = sparse.csr_matrix((y.astype(float), (row_group, np.arange(len(y)))), shape=(len(keys), len(y)))
    other_of = sparse.csr_matrix(((~y).astype(float), (row_group, np.arange(len(y)))), shape=(len(keys), len(y)))
    G_in, G_out = member_of @ X, other_of @ X

    share = np.bincount(row_group, weights=y, minlength=len(keys)) / np.bincount(row_group, minlength=len(keys))

    def score(times: np.ndarray) -> tuple[float, np.ndarray]:  # times: how often each group is drawn
        fold = np.full(len(keys), -1)
        drawn = np.flatnonzero(times > 0)
        order = drawn[np.lexsort((rng.random(len(drawn)), share[drawn]))]  # stratified: by members' share
        fold[order] = np.arange(len(order)) % folds
        W = np.stack([_weights(np.asarray((times * (fold != k)) @ G_in).ravel(),
                               np.asarray((times * (fold != k)) @ G_out).ravel()) for k in range(folds)], axis=1)
        rows = np.repeat(np.arange(len(y)), times[row_group])
        scores = np.asarray(X @ W)[rows, fold[row_group[rows]]]
        return _within_folds(scores, y[rows], fold[row_group[rows]], folds), scores

    point, scores = score(np.ones(len(keys), dtype=np.int64))
    draws = []
    while len(draws) < n_boot:
        got, _ = score(np.bincount(rng.integers(0, len(keys), len(keys)), minlength=len(keys)))
        if np.isfinite(got):
            draws.append(got)
    # the percentile interval moved to centre on the estimate: a resample has fewer distinct groups to learn from,
    # so its AUC lies nearer 0.5 than the estimate's, and the plain percentile interval would lean toward 0.5. It is
    # wider than the estimate's spread on simulated data (conservative: tests/test_blind.py)
    q_low, q_mid, q_high = np.quantile(draws, [(1 - level) / 2, 0.5, (1 + level) / 2])
    low, high = max(0.0, q_low + point - q_mid), min(1.0, q_high + point - q_mid)
    return BlindBaseline(AUC(point, float(low), float(high), len(members), len(nonmembers)), folds, scores)


def _within_folds(scores: np.ndarray, y: np.ndarray, fold: np.ndarray, folds: int) -> float:
    """The AUC within each fold, averaged over folds with weights the number of member/non-member pairs (NaN when
    no fold has both classes). Pooled across folds, scores carry each fold's classifier's offset, and a fold whose
    texts a class lacks in training scores against that class: on data with nothing to find, the pooled AUC falls
    below 0.5."""
    total = weight = 0.0
    for k in range(folds):
        in_k = fold == k
        pos, neg = scores[in_k & y], scores[in_k & ~y]
        if len(pos) and len(neg):
            both = rankdata(np.concatenate([pos, neg]))
            area = (both[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))
            total += area * len(pos) * len(neg)
            weight += len(pos) * len(neg)
    return total / weight if weight else float("nan")
