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
