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


_NAN3 = (math.nan, math.nan, math.nan)


def _undefined(undefined: str, message: str) -> tuple[float, float, float]:
    """What a correlation that cannot be computed gives: ``undefined="raise"`` an error with ``message``, ``"nan"``
    a NaN correlation and interval (every claim on it then fails: a chapter run that collects its claims goes on)."""
    if undefined == "nan":
        return _NAN3
    raise ValueError(message)


def _check_undefined(undefined: str) -> None:
    if undefined not in ("raise", "nan"):
        raise ValueError(f"undefined must be 'raise' or 'nan', got undefined={undefined!r}")


def spearman(x, y, level: float = 0.95, undefined: str = "raise") -> tuple[float, float, float]:
    """Spearman's rank correlation of ``x`` and ``y`` with a ``level`` interval: Fisher's z with Bonett and Wright's
    variance (1 + r²/2) / (n − 3), whose coverage tests/test_text_measures.py checks on simulated data. Where x or
    y is constant it is undefined: an error, or NaNs with ``undefined="nan"``.

        >>> r, low, high = spearman(range(10), [1, 3, 2, 4, 6, 5, 7, 9, 8, 10])
        >>> round(r, 3), low < r < high
        (0.964, True)
        >>> spearman(range(10), [0.0] * 10, undefined="nan")
        (nan, nan, nan)
    """
    from scipy.stats import norm, spearmanr

    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 4:
        raise ValueError(f"x and y must be 1-D of the same length >= 4, got shapes {a.shape} and {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("x and y must be finite")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got level={level!r}")
    _check_undefined(undefined)
    if a.min() == a.max() or b.min() == b.max():
        return _undefined(undefined, "Spearman's correlation is undefined: x or y is constant")
    r = float(spearmanr(a, b).statistic)
    rc = min(max(r, -0.999999), 0.999999)
    half = norm.ppf(0.5 + level / 2) * math.sqrt((1 + rc * rc / 2) / (len(a) - 3))
    z = math.atanh(rc)
    return r, math.tanh(z - half), math.tanh(z + half)


def partial_spearman(x, y, control, level: float = 0.95, undefined: str = "raise") -> tuple[float, float, float]:
    """Spearman's correlation of ``x`` and ``y`` with ``control``'s ranks held fixed (the partial correlation of the
    three rank correlations), with a ``level`` interval: Fisher's z with Bonett and Wright's variance, one degree of
    freedom fewer for the control, (1 + r²/2) / (n − 4); tests/test_text_measures.py checks its coverage where x and
    y are related only through the control. Where it is undefined (x or y constant, or a monotone function of the
    control): an error, or NaNs with ``undefined="nan"``.

        >>> z = np.arange(20.0)
        >>> x, y = z + 4 * np.sin(z), z + 4 * np.sin(z) + 3 * np.cos(5 * z)
        >>> round(spearman(x, y)[0], 2), round(partial_spearman(x, y, z)[0], 2)   # less of it is left given z
        (0.95, 0.73)
    """
    from scipy.stats import norm, spearmanr

    a, b, c = (np.asarray(v, dtype=float) for v in (x, y, control))
    if not (a.shape == b.shape == c.shape) or a.ndim != 1 or len(a) < 5:
        raise ValueError(f"x, y and control must be 1-D of one length >= 5, got {a.shape}, {b.shape}, {c.shape}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got level={level!r}")
    _check_undefined(undefined)
    if a.min() == a.max() or b.min() == b.max() or c.min() == c.max():
        return _undefined(undefined, "the partial correlation is undefined: x, y or the control is constant")
    r = spearmanr(np.c_[a, b, c]).statistic
    rxy, rxz, ryz = r[0, 1], r[0, 2], r[1, 2]
    den = math.sqrt((1 - rxz * rxz) * (1 - ryz * ryz))
    if not den > 0:
        return _undefined(undefined, "the partial correlation is undefined: x or y is a monotone function of the "
                                     "control")
    rp = float((rxy - rxz * ryz) / den)
    rc = min(max(rp, -0.999999), 0.999999)
    half = norm.ppf(0.5 + level / 2) * math.sqrt((1 + rc * rc / 2) / (len(a) - 4))
    z = math.atanh(rc)
    return rp, math.tanh(z - half), math.tanh(z + half)


def paired_greater(a, b) -> float:
    """p-value of the one-sided Wilcoxon signed-rank test that ``a`` exceeds ``b`` pair by pair (zero differences
    dropped); 1.0 when every pair ties, where nothing supports the claim.

        >>> paired_greater([5, 6, 7, 8, 9, 10, 11, 12], [1] * 8) < 0.01
        True
        >>> paired_greater([1, 2], [1, 2])
        1.0
    """
    from scipy.stats import wilcoxon

    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size == 0:
        raise ValueError(f"a and b must be 1-D of one length, got shapes {x.shape} and {y.shape}")
    d = x - y
    if not np.any(d != 0):
        return 1.0
    return float(wilcoxon(d, alternative="greater", zero_method="wilcox").pvalue)


def mem_u(run, metrics: dict, reference: dict) -> tuple[np.ndarray, np.ndarray]:
    """Unintended memorization of a target text run, sample by sample, against a reference run's metrics: (mem_U
    of every distinct training sequence, in the order drawn; mem_U of every test sequence the target coded).
    The training sequences' reference code lengths are looked up in the reference's ``pool_bits`` by
    :meth:`~memcap.engine.runs.text.TextRun.train_indices`."""
    from memcap.measures.memorization import unintended_memorization_bits

    if "pool_bits" not in reference:
        raise ValueError("the reference's metrics have no pool_bits: it must be a reference run (measure_pool)")
    pool = np.asarray(reference["pool_bits"])
    train = unintended_memorization_bits(metrics["train_bits"], pool[run.train_indices(len(pool))])
    test_bits = np.asarray(metrics["test_bits"])
    ref_test = np.asarray(reference["test_bits"])
    if len(ref_test) < len(test_bits):
        raise ValueError(f"the reference coded {len(ref_test)} test sequences, the target {len(test_bits)}")
    return train, unintended_memorization_bits(test_bits, ref_test[: len(test_bits)])


def dataset_bits(run, reference: dict) -> float:
    """A target's training set in bits, as the reference codes it: the sum of its sequences' code lengths (copies
    counted once)."""
    pool = np.asarray(reference["pool_bits"])
    return float(pool[run.train_indices(len(pool))].sum())


def loss_attack(metrics: dict, max_samples: int, rng: np.random.Generator, null_rng: np.random.Generator,
                n_boot: int) -> dict:
    """Chapter 5's calibrated loss attack (:func:`memcap.measures.membership.calibrated_attack`) on a text run's
    stored code lengths: its first n training sequences (a random draw) against its first n test sequences, and the
    same attack on the next n test sequences against those (nothing tells them apart: the baseline), with
    n = min(training sequences, half the test sequences, ``max_samples``). Returns ``n_attacked``, ``f1``, ``f1_low``,
    ``f1_high``, ``f1_best``, ``threshold``, ``null_f1`` and ``null_f1_high``."""
    from memcap.measures.membership import calibrated_attack

    train, test = np.asarray(metrics["train_bits"]), np.asarray(metrics["test_bits"])
    n = min(len(train), len(test) // 2, max_samples)
    attack = calibrated_attack(train[:n], test[:n], rng, n_boot=n_boot)
    null = calibrated_attack(test[n:2 * n], test[:n], null_rng, n_boot=n_boot)
    return dict(n_attacked=n, f1=attack.f1, f1_low=attack.f1_ci[0], f1_high=attack.f1_ci[1], f1_best=attack.f1_best,
                threshold=attack.threshold, null_f1=null.f1, null_f1_high=null.f1_ci[1])


def attack_table(targets, metrics, mem, alpha: float, *, rng, max_samples: int, n_boot: int,
                 heldout_width: int):
    """:func:`loss_attack` on every target run (``metrics`` maps a run to its metrics), one row each: its width,
    parameters and set size, the dataset bits of the run's row in ``mem`` (one row per target, in the same order),
    chapter 5's axis x = log2(dataset bits / ``alpha`` P), the attack's results, and its ``role`` in the law's
    fit (``"held out"`` for ``heldout_width``, else ``"fit"``). ``rng(stream)`` gives the run i its attack's
    generators, streams 100 + i and 300 + i; x is NaN where ``alpha`` is not positive
    (:func:`~memcap.measures.membership.law_x`)."""
    import pandas as pd

    from memcap.measures.membership import law_x

    rows = []
    for i, r in enumerate(targets):
        a = loss_attack(metrics[r], max_samples, rng(100 + i), rng(300 + i), n_boot)
        rows.append(dict(
            width=r.model.d_model,
            n_params=r.model.n_params,
            n=r.n_sequences,
            dataset_bits=mem.iloc[i].dataset_bits,
            x=law_x(mem.iloc[i].dataset_bits, alpha, r.model.n_params),
            **a,
            role="held out" if r.model.d_model == heldout_width else "fit",
        ))
    return pd.DataFrame(rows)


def most_memorized(samples, scores, mem, decode, k: int = 10):
    """The ``k`` samples with the largest ``mem`` (mem_U, one per row of ``samples``), most memorized first: their
    mem_U, TF-IDF ``scores``, the rank of their TF-IDF among all samples (1: the rarest) and their text
    (``decode(row)``, line breaks shown as " / ").

        >>> most_memorized([[1], [2], [3]], [0.5, 0.1, 0.9], [2.0, 9.0, 1.0], str, k=2).to_dict("list")
        {'mem_u': [9.0, 2.0], 'tfidf': [0.1, 0.5], 'tfidf_rank': [3, 2], 'text': ['[2]', '[1]']}
    """
    import pandas as pd

    mem, scores = np.asarray(mem), np.asarray(scores)
    top = np.argsort(-mem)[:k]
    rank = pd.Series(scores).rank(ascending=False).to_numpy()
    return pd.DataFrame(dict(mem_u=mem[top].round(1), tfidf=scores[top].round(3), tfidf_rank=rank[top].astype(int),
                             text=[decode(samples[i]).replace("\n", " / ") for i in top]))
