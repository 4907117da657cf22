"""Capacity on uniformly random sequences (Morris et al. §3): memorized bits, α, the plateau, the exponent.

On uniform data (:mod:`memcap.data.uniform`) nothing can be generalized, so whatever a model codes shorter than
H(X) it has memorized: memorized bits = H(X) − Σ_x code length of x under the model, with code lengths from
:func:`memcap.measures.evaluate.sequence_code_length_bits` (every token charged, the first one at log2 V). That is
mem_U (:mod:`memcap.measures.memorization`) with the exact uniform distribution as the reference model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from memcap.measures.evaluate import sequence_code_length_bits
from memcap.measures.memorization import unintended_memorization_bits


@dataclass(frozen=True)
class Memorization:
    """Memorized bits of a dataset under a model, summed raw and clipped at zero per sequence."""

    dataset_bits: float
    code_length_bits: float
    raw_bits: float  # H(X) − Σ code length
    clipped_bits: float  # Σ max(0, H(x) − code length(x))
    per_sequence_bits: np.ndarray


def memorized_bits(model, data: torch.Tensor, vocab_size: int) -> Memorization:
    """How many of the dataset's bits the model stores (reference: the exact uniform distribution)."""
    code = sequence_code_length_bits(model, data)
    per_seq_entropy = data.shape[1] * math.log2(vocab_size)
    per_seq = unintended_memorization_bits(code, np.full_like(code, per_seq_entropy), clip=False)
    return Memorization(
        dataset_bits=per_seq_entropy * data.shape[0],
        code_length_bits=float(code.sum()),
        raw_bits=float(per_seq.sum()),
        clipped_bits=float(np.maximum(per_seq, 0).sum()),
        per_sequence_bits=per_seq,
    )


@dataclass(frozen=True)
class SlopeFit:
    """Capacity against parameters: α (capacity = α·P) as the models' mean bits per parameter, and two least-squares
    fits for comparison (95 % intervals)."""

    alpha: float  # bits per parameter: the mean of the models' capacity / P (the line through the origin, weighted)
    alpha_ci: tuple[float, float]  # t interval, n - 1 degrees of freedom
    slope: float  # with an intercept (OLS)
    slope_ci: tuple[float, float]
    intercept: float
    intercept_ci: tuple[float, float]
    r2_through_origin: float  # of the unweighted least-squares line through the origin
    n_models: int
    alpha_ols: float = float("nan")  # the unweighted least-squares line through the origin
    alpha_ols_ci: tuple[float, float] = (float("nan"), float("nan"))


def fit_bits_per_parameter(params, capacity_bits) -> SlopeFit:
    """Fit capacity = α·P, with α the mean of the models' bits per parameter and a t interval; and, beside it,
    capacity = a + b·P and the unweighted least-squares line through the origin (statsmodels OLS), with 95 %
    intervals.

    Why the mean: each model's capacity / P is one measurement of α, and its error grows with the model (our models'
    bits per parameter vary by some percent, in bits that is in proportion to size). The mean is the line through the
    origin fitted with weights for that noise (1/P²), and its t interval covers α at its level in simulations;
    the unweighted fit lets the largest model decide and its interval covers α in about 84 % of simulated sets
    (``benchmarks/alpha_coverage.py``).

        >>> f = fit_bits_per_parameter([1000, 2000, 4000], [3500, 7100, 13900])
        >>> round(f.alpha, 3), round(f.alpha_ols, 3)
        (3.508, 3.49)
    """
    import statsmodels.api as sm
    from scipy.stats import t as t_dist

    p = np.asarray(params, dtype=float)
    c = np.asarray(capacity_bits, dtype=float)
    if p.shape != c.shape or p.ndim != 1:
        raise ValueError(f"params and capacity_bits must be vectors of one length, got {p.shape} and {c.shape}")
    if p.size < 3:
        raise ValueError(f"fitting a slope with intervals needs at least 3 models, got {p.size}")
    origin = sm.OLS(c, p[:, None]).fit()
    both = sm.OLS(c, sm.add_constant(p)).fit()
    ci_o, ci_b = origin.conf_int(0.05), both.conf_int(0.05)
    per = c / p
    half = float(t_dist.ppf(0.975, p.size - 1) * per.std(ddof=1) / np.sqrt(p.size))
    return SlopeFit(
        alpha=float(per.mean()),
        alpha_ci=(float(per.mean() - half), float(per.mean() + half)),
        alpha_ols=float(origin.params[0]),
        alpha_ols_ci=(float(ci_o[0][0]), float(ci_o[0][1])),
        slope=float(both.params[1]),
        slope_ci=(float(ci_b[1][0]), float(ci_b[1][1])),
        intercept=float(both.params[0]),
        intercept_ci=(float(ci_b[0][0]), float(ci_b[0][1])),
        r2_through_origin=float(origin.rsquared),
        n_models=int(p.size),
    )


def paired_ratio(numerator, denominator, level: float = 0.95) -> tuple[float, float, float]:
    """The ratio of two capacities measured on the same models (``numerator[i]`` and ``denominator[i]`` of model
    i, two training set-ups), as the geometric mean of the models' ratios, with a ``level`` t interval on their
    logarithms (n − 1 degrees of freedom): what the set-up changes, model by model.

    Why not the ratio of two fitted α with their intervals (Fieller): when capacity varies between models in
    proportion to their size, the intervals of a least-squares fit through the origin cover the truth too rarely,
    and so does a ratio built from them; pairing by model cancels what the two set-ups share.
    ``tests/test_capacity_engine.py`` checks the coverage, with noise proportional to size and without.

        >>> [round(v, 3) for v in paired_ratio([3500, 7100, 13900], [3300, 6500, 13300])]
        [1.066, 1.008, 1.127]
    """
    from scipy.stats import t as t_dist

    a = np.asarray(numerator, dtype=float)
    b = np.asarray(denominator, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError(f"need two vectors of one length, at least 2 models, got shapes {a.shape} and {b.shape}")
    if not ((a > 0).all() and (b > 0).all()):
        raise ValueError(f"capacities must be positive to be compared as a ratio, got {a.tolist()} and {b.tolist()}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got level={level}")
    logs = np.log(a / b)
    centre = float(logs.mean())
    half = float(t_dist.ppf(0.5 + level / 2, logs.size - 1) * logs.std(ddof=1) / math.sqrt(logs.size))
    return math.exp(centre), math.exp(centre - half), math.exp(centre + half)


def capacity_by_model(frame, tolerance: float = 0.05):
    """Capacity of each model = max memorized bits over dataset sizes, and whether the plateau is shown.

    ``frame`` has one row per run with columns model, n_params, n_sequences, dataset_bits, memorized_bits.
    Only dataset sizes *larger* than the one where the maximum is reached can show a plateau (the maximum
    itself proves nothing): the plateau is established when at least one of them memorizes within ``tolerance``
    of the capacity. A model whose largest dataset holds the maximum has not shown that it stopped growing.

    A weaker statement is reported beside it: the curve *flattens* when the two largest datasets both hold more
    bits than the capacity and the largest memorizes less than ``tolerance`` more than the next one
    (``last_step_gain``), whatever the growth of the data between them.

        >>> import pandas as pd
        >>> f = pd.DataFrame(dict(model="m", n_params=10, n_sequences=[1, 2, 4], dataset_bits=[10, 20, 40],
        ...                       memorized_bits=[10, 30, 29]))
        >>> capacity_by_model(f).plateau_established.tolist(), capacity_by_model(f.iloc[:2]).plateau_established.tolist()
        ([True], [False])
    """
    import pandas as pd

    rows = []
    for model, g in frame.groupby("model", sort=False):
        cap = float(g.memorized_bits.max())
        n_max = int(g.n_sequences[g.memorized_bits.idxmax()])
        larger = g[g.n_sequences > n_max]
        near = larger[larger.memorized_bits >= (1 - tolerance) * cap]
        last_two = g.sort_values("n_sequences").tail(2)
        gain = float(last_two.memorized_bits.iloc[-1] / last_two.memorized_bits.iloc[0] - 1) if len(g) > 1 else math.nan
        both_past = len(last_two) == 2 and bool((last_two.dataset_bits > cap).all())
        rows.append(
            dict(
                model=model,
                n_params=int(g.n_params.iloc[0]),
                capacity_bits=cap,
                bits_per_param=cap / g.n_params.iloc[0],
                n_at_capacity=n_max,
                sizes_larger_than_maximum=len(larger),
                sizes_larger_within_tolerance=len(near),
                plateau_established=len(near) >= 1,
                last_step_gain=gain,
                flattened=both_past and gain < tolerance,
            )
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ExponentFit:
    """capacity = c · P^β, fitted as log capacity = log c + β log P (OLS), with a 95 % interval for β."""

    exponent: float
    exponent_ci: tuple[float, float]
    n_models: int
    param_span: float  # largest / smallest P

    def is_linear(self, exclude: tuple[float, float] = (0.8, 1.2)) -> bool:
        """True when the interval contains 1 and lies strictly inside ``exclude``: the data can tell a linear law
        from the exponents at its ends, and a linear law fits."""
        lo, hi = self.exponent_ci
        return lo <= 1 <= hi and exclude[0] < lo and hi < exclude[1]


def capacity_by_precision(frame, tolerance: float = 0.05):
    """:func:`capacity_by_model` per training precision (``frame`` has a ``precision`` column too), one row per
    precision and model, precisions in their order of appearance.

        >>> import pandas as pd
        >>> f = pd.DataFrame(dict(model="m", n_params=10, n_sequences=[1, 2] * 2, dataset_bits=[10, 20] * 2,
        ...                       memorized_bits=[10, 12, 9, 8], precision=["fp32"] * 2 + ["bf16"] * 2))
        >>> capacity_by_precision(f)[["precision", "capacity_bits"]].values.tolist()
        [['fp32', 12.0], ['bf16', 9.0]]
    """
    import pandas as pd

    return pd.concat(
        [capacity_by_model(g, tolerance=tolerance).assign(precision=mode)
         for mode, g in frame.groupby("precision", sort=False)],
        ignore_index=True,
    )


def fit_capacity_exponent(params, capacity_bits, *, undefined: str = "raise") -> ExponentFit:
    """Fit log2 capacity = a + β log2 P with statsmodels OLS; β = 1 is a linear law.

    A capacity at or below 0 (a model that stored nothing) has no logarithm: ``undefined="raise"`` refuses it,
    naming the capacities; ``"nan"`` returns a fit whose exponent and interval are NaN, so that a chapter run that
    collects its claims goes on and every claim on the exponent fails ("measured NaN").

        >>> f = fit_capacity_exponent([1000, 2000, 4000, 8000], [3500, 7000, 14100, 27900])
        >>> round(f.exponent, 2), f.is_linear()
        (1.0, True)
        >>> fit_capacity_exponent([1000, 2000, 4000], [-3.0, 5.0, 9.0], undefined="nan").exponent_ci
        (nan, nan)
    """
    if undefined not in ("raise", "nan"):
        raise ValueError(f"undefined must be 'raise' or 'nan', got undefined={undefined!r}")
    import statsmodels.api as sm

    p = np.asarray(params, dtype=float)
    c = np.asarray(capacity_bits, dtype=float)
    if p.shape != c.shape or p.ndim != 1 or p.size < 3:
        raise ValueError(f"need two vectors of one length, at least 3 models; got shapes {p.shape} and {c.shape}")
    if (p <= 0).any():
        raise ValueError(f"a power law needs positive parameter counts; got {p.tolist()}")
    if not (c > 0).all():
        if undefined == "raise":
            raise ValueError(f"a power law needs positive capacities; got capacities {c.tolist()}")
        return ExponentFit(exponent=math.nan, exponent_ci=(math.nan, math.nan), n_models=int(p.size),
                           param_span=float(p.max() / p.min()))
    fit = sm.OLS(np.log2(c), sm.add_constant(np.log2(p))).fit()
    lo, hi = fit.conf_int(0.05)[1]
    return ExponentFit(exponent=float(fit.params[1]), exponent_ci=(float(lo), float(hi)), n_models=int(p.size),
                       param_span=float(p.max() / p.min()))


def predicted_memorization_bits(dataset_bits, n_params, alpha: float):
    """Morris et al.'s prediction: a model stores everything until its capacity, then α·P bits.

        >>> float(predicted_memorization_bits(1000.0, 100, 3.5))
        350.0
    """
    return np.minimum(np.asarray(dataset_bits, dtype=float), alpha * np.asarray(n_params, dtype=float))
