"""Trends across trained models, fitted after training (nothing here is part of the engine): whether capacity is
linear in the parameter count, how well α·P predicts configurations the fit never saw, and how capacity per
parameter changes with a model's width. (Where a measured curve peaks: :mod:`memcap.measures.peaks`.)

    >>> exponent_verdict((0.95, 1.05))
    'linear: the interval contains 1 and excludes 0.8 and 1.2'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from memcap.measures.capacity import predicted_memorization_bits


def exponent_verdict(exponent_ci, exclude: tuple[float, float] = (0.8, 1.2)) -> str:
    """What the 95 % interval of capacity's exponent in P allows the text to say: linear only when it contains 1
    and lies strictly inside ``exclude`` (as :meth:`memcap.measures.capacity.ExponentFit.is_linear`).

        >>> exponent_verdict((1.1, 1.4))[:20]
        'faster than linear a'
        >>> exponent_verdict((0.5, 1.6))[:12]
        'not decided:'
        >>> exponent_verdict((float("nan"), float("nan")))[:7]
        'no fit:'
    """
    lo, hi = exponent_ci
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "no fit: a model stored nothing (a capacity at or below 0 has no logarithm)"
    if lo <= 1 <= hi and exclude[0] < lo and hi < exclude[1]:
        return "linear: the interval contains 1 and excludes 0.8 and 1.2"
    if lo > 1:
        return ("faster than linear at these sizes: bits per parameter still rise with the model (the smallest "
                "models spend a larger share of their parameters on embeddings that store less)")
    if hi < 1:
        return "slower than linear at these sizes"
    return "not decided: the interval contains 1 but is too wide to exclude 0.8 or 1.2 with these models"


def prediction_errors(frame: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """``frame`` (runs with dataset_bits, memorizable_bits, n_params, memorized_bits) with what α·P predicts they
    store, min(H(X), αP) as ``predicted_H`` and min(H(X)(S−1)/S, αP) as ``predicted_bits``, and the signed errors
    of each in percent (``error_H_percent``, ``error_percent``).

        >>> f = pd.DataFrame(dict(dataset_bits=[1000.0], memorizable_bits=[900.0], n_params=[100],
        ...                       memorized_bits=[330.0]))
        >>> prediction_errors(f, 3.5)[["predicted_bits", "error_percent"]].round(2).to_dict("records")
        [{'predicted_bits': 350.0, 'error_percent': -5.71}]
    """
    out = frame.copy()
    out["predicted_H"] = predicted_memorization_bits(out.dataset_bits, out.n_params, alpha)
    out["predicted_bits"] = predicted_memorization_bits(out.memorizable_bits, out.n_params, alpha)
    out["error_H_percent"] = 100 * (out.memorized_bits - out.predicted_H) / out.predicted_H
    out["error_percent"] = 100 * (out.memorized_bits - out.predicted_bits) / out.predicted_bits
    return out


def embedding_share(vocab_size, seq_len, width, n_params):
    """The share of a GPT's parameters in its token and position embeddings, (V + S)·d / P.

        >>> embedding_share(2048, 64, 32, 80_352)
        0.8410...
    """
    return (vocab_size + seq_len) * width / n_params


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
