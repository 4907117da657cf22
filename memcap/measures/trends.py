"""Trends across trained models, fitted after training (nothing here is part of the engine): how capacity per
parameter changes with a model's width."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WidthTrend:
    """bits/param = a + b·log2(width), OLS: ``per_doubling`` is b, the change in bits per parameter each time the
    width doubles, with its 95 % interval."""

    per_doubling: float
    per_doubling_ci: tuple[float, float]
    n_models: int

    @property
    def verdict(self) -> str:
        lo, hi = self.per_doubling_ci
        if lo > 0:
            return "rises with width (the interval excludes 0)"
        if hi < 0:
            return "falls with width (the interval excludes 0)"
        return "not established: the interval contains 0"


def fit_width_trend(widths, bits_per_param) -> WidthTrend:
    """Fit bits/param against log2 width (statsmodels OLS, 95 % interval on the slope); models of one depth and
    vocabulary, one capacity each.

        >>> t = fit_width_trend([8, 16, 32, 64], [3.0, 3.2, 3.41, 3.6])
        >>> round(t.per_doubling, 2), t.verdict
        (0.2, 'rises with width (the interval excludes 0)')
    """
    import statsmodels.api as sm

    w = np.asarray(widths, dtype=float)
    b = np.asarray(bits_per_param, dtype=float)
    if w.shape != b.shape or w.ndim != 1 or np.unique(w).size < 3:
        raise ValueError(f"need two vectors of one length with at least 3 distinct widths; got widths {w.tolist()}")
    if (w <= 0).any():
        raise ValueError(f"widths must be positive, got {w.tolist()}")
    fit = sm.OLS(b, sm.add_constant(np.log2(w))).fit()
    lo, hi = fit.conf_int(0.05)[1]
    return WidthTrend(per_doubling=float(fit.params[1]), per_doubling_ci=(float(lo), float(hi)), n_models=int(w.size))


@dataclass(frozen=True)
class PeakLocation:
    """Where a curve measured at a few sizes (several seeds each) peaks.

    ``x`` is the vertex of the parabola, in log x, through the mean curve's largest point and its two neighbours
    (the largest point itself when it is at an end of the grid). ``interval`` brackets the peak: for each of
    ``n_boot`` resamples of the seeds (drawn with replacement, the same draw at every size) the mean curve's
    largest point and its two neighbours on the grid bound where a single-peaked curve can peak; the interval runs
    from the lower ``(1 - level) / 2`` quantile of the lower neighbours to the upper one of the upper neighbours.
    ``interior_share`` is the share of resamples whose largest point is not at either end of the grid."""

    x: float
    interval: tuple[float, float]
    index: int
    n_sizes: int
    interior_share: float

    @property
    def interior(self) -> bool:
        """The mean curve's largest point is inside the grid, not at its smallest or largest size."""
        return 0 < self.index < self.n_sizes - 1


def _vertex(x: np.ndarray, y: np.ndarray, k: int) -> float:
    if k == 0 or k == len(x) - 1:
        return float(x[k])
    lx = np.log(x[k - 1:k + 2])
    a, b, _ = np.polyfit(lx, y[k - 1:k + 2], 2)
    return float(np.exp(np.clip(-b / (2 * a), lx[0], lx[2]))) if a < 0 else float(x[k])


def locate_peak(x, y, *, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> PeakLocation:
    """Locate the peak of ``y`` (seeds × sizes) over the grid ``x`` (sizes, increasing, positive).

        >>> x = np.geomspace(0.1, 4, 9)
        >>> y = np.exp(-np.log(x / 0.7) ** 2)[None, :] + np.array([[0.01], [-0.01]])
        >>> p = locate_peak(x, y)
        >>> round(p.x, 2), p.interval[0] < 0.7 < p.interval[1]
        (0.69, True)
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or x.size < 3 or y.ndim != 2 or y.shape[1] != x.size or y.shape[0] < 1:
        raise ValueError(f"need x of 3 or more sizes and y of shape (seeds, sizes); got x {x.shape}, y {y.shape}")
    if (x <= 0).any() or (np.diff(x) <= 0).any():
        raise ValueError(f"x must be positive and increasing, got {x.tolist()}")
    if not np.isfinite(y).all():
        raise ValueError("y has non-finite values")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    mean = y.mean(axis=0)
    k = int(np.argmax(mean))
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, y.shape[0], size=(n_boot, y.shape[0]))
    ks = np.argmax(y[draws].mean(axis=1), axis=1)
    last = x.size - 1
    lo = x[np.clip(ks - 1, 0, last)]
    hi = x[np.clip(ks + 1, 0, last)]
    q = (1 - level) / 2
    return PeakLocation(
        x=_vertex(x, mean, k),
        interval=(float(np.quantile(lo, q)), float(np.quantile(hi, 1 - q))),
        index=k,
        n_sizes=int(x.size),
        interior_share=float(np.mean((ks > 0) & (ks < last))),
    )
