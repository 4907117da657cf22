"""What chapter 6 measures on text beyond code lengths: how rare a sample is (TF-IDF), and how strongly two
per-sample quantities go together (Spearman's rank correlation with an interval).

TF-IDF as Morris et al. define it for a sample d of a dataset D (App. A.3),

    TF-IDF(d; D) = (1/|d|) Σ_{w ∈ d} log(|D| / tf(w, D)),

the mean over d's tokens (repeats counted) of the log of the number of samples over the token's count in all of D.
For samples of equal length S this is the mean unigram surprisal −log p(w) of d's tokens, less log S: a sample of
rare tokens scores high.

    >>> D = [[1, 1, 2], [1, 3, 3]]
    >>> [round(float(s), 3) for s in tfidf(D)]      # token 1: 3 times in D, 2: once, 3: twice
    [-0.039, -0.135]
"""

from __future__ import annotations

import math

import numpy as np


def tfidf(samples, dataset=None) -> np.ndarray:
    """TF-IDF of every row of ``samples`` against ``dataset`` (default: the samples themselves), natural log. Every
    token of a sample must occur in the dataset."""
    x = np.asarray(samples)
    D = x if dataset is None else np.asarray(dataset)
    if x.ndim != 2 or D.ndim != 2 or x.shape[1] == 0 or len(D) == 0:
        raise ValueError(f"samples and dataset must be non-empty 2-D token arrays, got shapes {x.shape} and {D.shape}")
    tokens, counts = np.unique(D, return_counts=True)
    where = np.searchsorted(tokens, x)
    missing = (where >= len(tokens)) | (tokens[np.minimum(where, len(tokens) - 1)] != x)
    if missing.any():
        raise ValueError(f"tokens {sorted(set(x[missing].tolist()))[:10]} of the samples never occur in the dataset")
    return np.log(len(D) / counts[where]).mean(axis=1)


def spearman(x, y, level: float = 0.95) -> tuple[float, float, float]:
    """Spearman's rank correlation of ``x`` and ``y`` with a ``level`` interval: Fisher's z with Bonett and Wright's
    variance (1 + r²/2) / (n − 3), whose coverage tests/test_text_measures.py checks on simulated data.

        >>> r, low, high = spearman(range(10), [1, 3, 2, 4, 6, 5, 7, 9, 8, 10])
        >>> round(r, 3), low < r < high
        (0.964, True)
    """
    from scipy.stats import norm, spearmanr

    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 4:
        raise ValueError(f"x and y must be 1-D of the same length >= 4, got shapes {a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("x and y must be finite")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got level={level!r}")
    if a.min() == a.max() or b.min() == b.max():
        raise ValueError("Spearman's correlation is undefined: x or y is constant")
    r = float(spearmanr(a, b).statistic)
    rc = min(max(r, -0.999999), 0.999999)
    half = norm.ppf(0.5 + level / 2) * math.sqrt((1 + rc * rc / 2) / (len(a) - 3))
    z = math.atanh(rc)
    return r, math.tanh(z - half), math.tanh(z + half)
