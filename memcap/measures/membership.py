"""Membership inference by loss threshold, its F1, and the sigmoid scaling law of Morris et al. (§5).

The attack: a sample is called a **member** when the model's loss on it is **at most** a threshold τ. Members
(training samples) and non-members (fresh samples from the same distribution) come in equal numbers.

Rule used throughout (:func:`calibrated_attack`): both sets are split at random into two halves; τ is the
**median of the calibration halves' pooled losses** (:func:`median_threshold`: the attacker, knowing that half the
samples are members, calls the lower-loss half members); the reported F1 is that τ's F1 on the evaluation halves,
with a bootstrap interval over the evaluation samples. With this rule a model that tells members from non-members
no better than a coin scores F1 ≈ 0.5, and one that separates them perfectly scores 1. (Choosing τ to *maximize*
F1 instead would not fall to 0.5: calling everyone a member already scores 2/3.) The best threshold *on the
evaluation halves* (:func:`best_threshold`) is reported beside it as the upper envelope: what an attacker who could
tune on the answers would get.

    >>> f1_at_threshold([1.0, 2.0], [3.0, 4.0], threshold=2.0)
    1.0
    >>> round(f1_at_threshold([1.0, 3.5], [3.0, 4.0], threshold=3.0), 4)   # TP 1, FP 1, FN 1
    0.5
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np


def _arrays(members, nonmembers) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(members, dtype=float).ravel()
    n = np.asarray(nonmembers, dtype=float).ravel()
    if m.size == 0 or n.size == 0:
        raise ValueError(f"need at least one member and one non-member, got {m.size} and {n.size}")
    if not (np.isfinite(m).all() and np.isfinite(n).all()):
        raise ValueError("losses must be finite numbers")
    return m, n


def f1_at_threshold(members, nonmembers, threshold: float) -> float:
    """F1 of calling every sample with loss <= ``threshold`` a member (0 when nothing is called a member)."""
    m, n = _arrays(members, nonmembers)
    tp = int((m <= threshold).sum())
    fp = int((n <= threshold).sum())
    fn = m.size - tp
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def best_threshold(members, nonmembers) -> tuple[float, float]:
    """(τ, F1) maximizing F1 over every cut-off between observed losses; ties go to the smallest τ.

        >>> best_threshold([1.0, 2.0, 5.0], [3.0, 4.0, 6.0])
        (2.0, 0.8)
    """
    m, n = _arrays(members, nonmembers)
    losses = np.concatenate([m, n])
    is_member = np.concatenate([np.ones(m.size), np.zeros(n.size)])
    order = np.argsort(losses, kind="stable")
    losses, is_member = losses[order], is_member[order]
    tp = np.cumsum(is_member)
    fp = np.cumsum(1 - is_member)
    last = np.r_[losses[1:] != losses[:-1], True]  # a cut-off can only sit after the last of equal losses
    f1 = np.where(tp > 0, 2 * tp / (2 * tp + fp + (m.size - tp)), 0.0)
    f1 = np.where(last, f1, -1.0)
    i = int(np.argmax(f1))
    return float(losses[i]), float(f1[i])


@dataclass(frozen=True)
class Attack:
    """A calibrated loss-threshold attack."""

    threshold: float
    f1: float  # on the evaluation halves, at the calibrated threshold
    f1_ci: tuple[float, float]  # bootstrap 95 % interval of f1
    f1_best: float  # best threshold on the evaluation halves: the upper envelope
    n_eval: int  # members (= non-members) in the evaluation halves


def median_threshold(members, nonmembers) -> float:
    """The cut-off that calls the lower-loss half of the pooled samples members: midway between the k-th and the
    (k+1)-th smallest loss, k the number of members.

        >>> median_threshold([1.0, 2.0, 4.0], [3.0, 5.0, 6.0])   # pooled 1 2 3 | 4 5 6
        3.5
    """
    m, n = _arrays(members, nonmembers)
    pooled = np.sort(np.concatenate([m, n]))  # both non-empty, so pooled[k] exists
    k = m.size
    return float(pooled[k - 1] + pooled[k]) / 2


def calibrated_attack(members, nonmembers, rng: np.random.Generator, n_boot: int = 1000) -> Attack:
    """τ = :func:`median_threshold` of one random half of each set; F1 reported on the other half (see the module
    docstring)."""
    m, n = _arrays(members, nonmembers)
    if m.size != n.size or m.size < 4:
        raise ValueError(f"need equal numbers of members and non-members, at least 4 each; got {m.size} and {n.size}")
    pm, pn = rng.permutation(m.size), rng.permutation(n.size)
    half = m.size // 2
    cal_m, eval_m = m[pm[:half]], m[pm[half:]]
    cal_n, eval_n = n[pn[:half]], n[pn[half:]]
    tau = median_threshold(cal_m, cal_n)
    f1 = f1_at_threshold(eval_m, eval_n, tau)
    boots = np.empty(n_boot)
    for b in range(n_boot):
        bm = eval_m[rng.integers(eval_m.size, size=eval_m.size)]
        bn = eval_n[rng.integers(eval_n.size, size=eval_n.size)]
        boots[b] = f1_at_threshold(bm, bn, tau)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return Attack(threshold=tau, f1=f1, f1_ci=(float(lo), float(hi)), f1_best=best_threshold(eval_m, eval_n)[1],
                  n_eval=int(eval_m.size))


# --- the law ----------------------------------------------------------------------------------------------------


def sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(z, dtype=float)))  # = 1 / (1 + e^-z), without overflow


def law_x(dataset_bits: float, alpha: float, n_params: int) -> float:
    """The law's axis for one run, x = log2(dataset bits / (α P)): the dataset's size against the model's capacity.
    NaN where α P or the dataset bits are not positive (models that stored nothing have no capacity to measure
    against), so that every claim read off this axis fails instead of the logarithm stopping the chapter.

        >>> law_x(8000.0, 2.0, 1000), law_x(8000.0, -0.1, 1000)
        (2.0, nan)
    """
    capacity = alpha * n_params
    if not (capacity > 0 and dataset_bits > 0):
        return math.nan
    return math.log2(dataset_bits / capacity)


def law(x, c1: float, c2: float, c3: float):
    """F1 = ½ (1 + c1 · σ(c2 · (x + c3)))."""
    return 0.5 * (1 + c1 * sigmoid(c2 * (np.asarray(x, dtype=float) + c3)))


def printed_law_limit(c1: float, c2: float, c3: float, x_limit: float) -> float:
    """The law's value as its variable tends to ``x_limit`` (0 or ±inf).

        >>> round(printed_law_limit(1.34, -0.034, -33.14, 0.0), 3)     # the paper's constants, x -> 0
        1.006
    """
    if math.isinf(x_limit):
        s = 1.0 if (c2 > 0) == (x_limit > 0) else 0.0
        return 0.5 * (1 + c1 * s)
    return float(law(x_limit, c1, c2, c3))


INTERVALS = ("profile", "bootstrap-t")


@dataclass(frozen=True)
class LawFit:
    """Non-linear least-squares fit of :func:`law`, with a 95 % interval for each constant (``interval``: how)."""

    params: tuple[float, float, float]  # c1, c2, c3
    ci: tuple[tuple[float, float], ...]  # 95 % interval of each; an end is ±inf where the data cannot bound it
    stderr: tuple[float, float, float]  # linearized standard errors
    residuals: np.ndarray
    rmse: float
    n_boot: int  # resamples of the bootstrap-t (0: the profile interval, which needs none)
    interval: str = "profile"

    def predict(self, x):
        return law(x, *self.params)


def _fit_once(x, y, start):
    """Least-squares estimate, its linearized standard errors s²(JᵀJ)⁻¹, and the residual s (n − 3 df)."""
    from scipy.optimize import least_squares

    sol = least_squares(lambda theta: law(x, *theta) - y, start, method="lm", max_nfev=20000)
    s2 = float(np.sum(sol.fun**2)) / max(1, x.size - 3)
    cov = s2 * np.linalg.pinv(sol.jac.T @ sol.jac)
    return sol.x, np.sqrt(np.clip(np.diag(cov), 0, None)), math.sqrt(s2)


def _profile_rss(x, y, j: int, value: float, free_start: np.ndarray) -> tuple[float, np.ndarray]:
    """The least residual sum of squares with constant ``j`` held at ``value`` (the other two refitted from
    ``free_start``), and the other two constants where it is reached."""
    from scipy.optimize import least_squares

    free = [k for k in range(3) if k != j]

    def residuals(t):
        theta = np.empty(3)
        theta[j], theta[free] = value, t
        return law(x, *theta) - y

    sol = least_squares(residuals, free_start, method="lm", max_nfev=5000)
    return float(np.sum(sol.fun**2)), sol.x


def _profile_interval(x, y, theta, se, level: float = 0.95) -> tuple[tuple[float, float], ...]:
    """Each constant's profile-likelihood interval: the values c_j at which the least residual sum of squares, the
    other two constants refitted, stays within RSS_min · (1 + F(level; 1, n − 3) / (n − 3)) (the F test of
    nested least-squares fits). Each end is found by stepping out from the estimate in growing steps (from half its
    standard error, ×1.6 each, 40 steps) until the RSS passes the limit, then by bisection (Brent); an end not found
    is ±inf: the data cannot bound that constant. A fit without residual scatter (RSS_min below 1e-12 a point: F1
    constant, or exactly on a sigmoid) leaves the test nothing to measure against, and every interval is open."""
    from scipy.optimize import brentq
    from scipy.stats import f as f_dist

    n = x.size
    rss0 = float(np.sum((law(x, *theta) - y) ** 2))
    if rss0 < 1e-12 * n:
        return ((-math.inf, math.inf),) * 3
    limit = rss0 * (1 + f_dist.ppf(level, 1, n - 3) / (n - 3))
    out = []
    for j in range(3):
        step = se[j] if se[j] > 0 else 0.1 * abs(theta[j]) + 1e-3
        free0 = np.delete(theta, j)
        ends = []
        for sign in (-1.0, 1.0):
            inside, outside, free = theta[j], None, free0
            for k in range(40):
                candidate = theta[j] + sign * 0.5 * step * 1.6**k
                rss, fitted = _profile_rss(x, y, j, candidate, free)
                if rss > limit:
                    outside = candidate
                    break
                inside, free = candidate, fitted
            if outside is None:
                ends.append(sign * math.inf)
                continue
            ends.append(brentq(lambda v, j=j, start=free: _profile_rss(x, y, j, v, start)[0] - limit,
                               inside, outside, xtol=1e-9 * (1 + abs(outside))))
        out.append((float(min(ends)), float(max(ends))))
    return tuple(out)


def _bootstrap_t(x, y, theta, se, sigma, n_boot: int, rng: np.random.Generator) -> tuple[tuple[float, float], ...]:
    """Studentized parametric bootstrap: ``n_boot`` data sets simulated from the fitted law with Gaussian noise of
    the residuals' standard deviation, each refitted, t = (c* − ĉ) / se*; the interval [ĉ − t97.5·se, ĉ − t2.5·se]."""
    fitted = law(x, *theta)
    ts = []
    for _ in range(n_boot):
        theta_b, se_b, _ = _fit_once(x, fitted + rng.normal(0, sigma, x.size), theta)
        ts.append((theta_b - theta) / np.where(se_b > 0, se_b, np.inf))
    t_lo, t_hi = np.percentile(np.array(ts), [2.5, 97.5], axis=0)
    return tuple((float(t - h * e), float(t - l * e)) for t, e, l, h in zip(theta, se, t_lo, t_hi))


def fit_law(x, f1, start: tuple[float, float, float] | None = None, n_boot: int = 1000,
            rng: np.random.Generator | None = None, interval: str = "profile", undefined: str = "raise") -> LawFit:
    """Fit F1 = ½(1 + c1·σ(c2·(x + c3))) by non-linear least squares (scipy), with a 95 % interval for each
    constant: ``interval="profile"`` (the default) the profile-likelihood interval of :func:`_profile_interval`;
    ``"bootstrap-t"`` a studentized parametric bootstrap of ``n_boot`` resamples drawn with ``rng``.

    Why the profile interval: on simulated data with known constants and 16 points (``benchmarks/law_coverage.py``,
    its figures in ``benchmarks/RESULTS.md``), the linearized intervals covered the truth in as few as 88 % of the
    sets and the bootstrap-t in 87 % (c2 in chapter 5's design, where the drop sits at the edge of the data), while
    the profile interval covered each constant in 95–98 % of them in every design tried: where the data cannot pin
    a constant down, its interval is open (an end at ±inf) rather than wrongly narrow. ``tests/test_membership.py``
    checks its coverage.

    A NaN in x or F1 (no capacity to measure x against, as when the models stored nothing) cannot be fitted:
    ``undefined="raise"`` refuses it, naming the values; ``"nan"`` returns a fit whose constants, intervals and RMSE
    are NaN, so that a chapter that collects its claims goes on and every claim on the law fails ("measured NaN").

        >>> fit_law([float("nan")] * 4, [0.5] * 4, undefined="nan").rmse
        nan
    """
    if undefined not in ("raise", "nan"):
        raise ValueError(f"undefined must be 'raise' or 'nan', got undefined={undefined!r}")
    x = np.asarray(x, dtype=float)
    y = np.asarray(f1, dtype=float)
    if x.shape != y.shape or x.size < 4:
        raise ValueError(f"need matching x and F1 arrays with at least 4 points, got {x.size} and {y.size}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        if undefined == "nan":
            nan3 = (math.nan,) * 3
            return LawFit(params=nan3, ci=((math.nan, math.nan),) * 3, stderr=nan3, residuals=np.full(x.size, math.nan),
                          rmse=math.nan, n_boot=0, interval=interval)
        raise ValueError(f"the law needs finite x and F1; got x={x.tolist()} (NaN: no capacity to measure against, "
                         f"as when the models stored nothing) and F1={y.tolist()}")
    if interval not in INTERVALS:
        raise ValueError(f"unknown interval={interval!r}; choose one of {list(INTERVALS)}")
    if interval == "bootstrap-t" and n_boot < 100:
        raise ValueError(f"n_boot must be at least 100 for a 95 % interval, got n_boot={n_boot}")
    if start is None:
        mid = float(np.median(x))
        spread = float(np.std(x)) or 1.0
        slope = -1.0 if np.std(y) == 0 or np.corrcoef(x, y)[0, 1] < 0 else 1.0
        start = (1.0, slope * 2.0 / spread, -mid)
    theta, se, sigma = _fit_once(x, y, start)
    if interval == "profile":
        ci, n_boot = _profile_interval(x, y, theta, se), 0
    else:
        ci = _bootstrap_t(x, y, theta, se, sigma, n_boot, rng if rng is not None else np.random.default_rng(0))
    r = y - law(x, *theta)
    return LawFit(params=tuple(float(t) for t in theta), ci=ci, stderr=tuple(float(v) for v in se),
                  residuals=r, rmse=float(np.sqrt(np.mean(r**2))), n_boot=n_boot, interval=interval)


# --- what the attack and the extraction are measured on ----------------------------------------------------------


def fit_laws(data: Mapping[Hashable, tuple]) -> tuple[dict[Hashable, LawFit], list[dict]]:
    """The law fitted to several metrics and checked on held-out runs: ``data`` maps a name (a metric, or an
    (attack, metric) pair) to four arrays: x and the metric of the runs it is fitted on, x and the metric of the
    held-out runs it predicts. Returns the fits (name -> :class:`LawFit`, ``undefined="nan"``: a NaN in the fitted
    runs gives NaN constants, so that the claims on them fail) and one record per name (``metric``): the runs fitted,
    c1, c2, c3, the RMSE, and ``held_out_error``, the mean absolute error on the held-out runs (NaN where there are
    none, or where a held-out value is NaN).

        >>> x = np.linspace(-2, 4, 8); y = law(x, 1.0, -2.0, -1.0)
        >>> fits, rows = fit_laws({"auc": (x, y, [5.0], [law(5.0, 1.0, -2.0, -1.0)])})
        >>> round(rows[0]["rmse"], 6), round(rows[0]["held_out_error"], 6)
        (0.0, 0.0)
        >>> fit_laws({"auc": (x, y, [5.0], [0.5, 0.6])})
        Traceback (most recent call last):
        ...
        ValueError: 'auc': the held-out runs have 1 x and 2 values
    """
    fits, rows = {}, []
    for name, arrays in data.items():
        if not isinstance(arrays, (tuple, list)) or len(arrays) != 4:
            raise ValueError(f"{name!r}: need (x, values) of the fitted runs and of the held-out runs, four arrays")
        x, y, x_held, y_held = (np.asarray(a, dtype=float).ravel() for a in arrays)
        for which, xs, ys in (("fitted", x, y), ("held-out", x_held, y_held)):
            if xs.size != ys.size:
                raise ValueError(f"{name!r}: the {which} runs have {xs.size} x and {ys.size} values")
        fits[name] = fit = fit_law(x, y, undefined="nan")
        miss = float(np.abs(fit.predict(x_held) - y_held).mean()) if x_held.size else math.nan
        rows.append(dict(metric=name, runs=x.size, **dict(zip(("c1", "c2", "c3"), fit.params)), rmse=fit.rmse,
                         held_out_error=miss))
    return fits, rows


def extraction_rate(model, sequences, prefix_len: int, n_tokens: int) -> float:
    """Share of sequences whose next ``n_tokens`` tokens greedy decoding reproduces exactly from the first
    ``prefix_len`` tokens (sequences shorter than prefix_len + n_tokens are an error)."""
    import torch

    from memcap.measures.evaluate import greedy_complete

    seqs = [np.asarray(s) for s in sequences]
    short = [len(s) for s in seqs if len(s) < prefix_len + n_tokens]
    if short or prefix_len < 1 or n_tokens < 1:
        raise ValueError(f"need prefix_len >= 1, n_tokens >= 1 and sequences of at least prefix_len + n_tokens = "
                         f"{prefix_len + n_tokens} tokens; got prefix_len={prefix_len}, n_tokens={n_tokens}, "
                         f"{len(short)} shorter sequences")
    prompts = torch.as_tensor(np.stack([s[:prefix_len] for s in seqs]))
    truth = np.stack([s[prefix_len:prefix_len + n_tokens] for s in seqs])
    hits = []
    for lo in range(0, len(seqs), 512):
        out = greedy_complete(model, prompts[lo:lo + 512], n_tokens).numpy()
        hits.append((out == truth[lo:lo + 512]).all(axis=1))
    return float(np.concatenate(hits).mean())


def attack_and_extract(model, losses, members, nonmembers, others, *, rng: np.random.Generator,
                       null_rng: np.random.Generator, n_boot: int, prefix_lens, extract_tokens: int) -> dict:
    """One model's membership measurement: the calibrated attack on members against non-members; its baseline,
    the same attack on ``others`` (more non-members) against the non-members, which nothing tells apart; and greedy
    extraction from the prefixes of members and of non-members.

    ``losses(sequences)`` scores sequences under ``model`` (a code length in bits, or a loss in nats: the attack only
    compares them). Returns a row: ``f1``, ``f1_low``, ``f1_high``, ``f1_best``, ``null_f1``, ``null_f1_high`` and
    ``extract_{k}`` / ``extract_{k}_heldout`` for every prefix length k.
    """
    non = losses(nonmembers)
    attack = calibrated_attack(losses(members), non, rng, n_boot=n_boot)
    null = calibrated_attack(losses(others), non, null_rng, n_boot=n_boot)
    row = dict(f1=attack.f1, f1_low=attack.f1_ci[0], f1_high=attack.f1_ci[1], f1_best=attack.f1_best,
               null_f1=null.f1, null_f1_high=null.f1_ci[1])
    for k in prefix_lens:
        row[f"extract_{k}"] = extraction_rate(model, members, k, extract_tokens)
        row[f"extract_{k}_heldout"] = extraction_rate(model, nonmembers, k, extract_tokens)
    return row
