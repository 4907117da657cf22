"""Results across seeds: each quantity's mean over independent runs (seeds of data and initialization) with a
t interval, the interval a ratio or a peak claimed from one seed lacks.

A seed's value of a quantity (a peak R, a ratio of two families' peaks) is one draw; with n seeds the t interval
``mean ± t(n-1) · sd / √n`` covers the quantity's expected value at its level when the draws are normal, at any
n ≥ 2 (its coverage on simulated normal and skewed draws is checked in tests/test_seeds.py). With two or three seeds it is
wide: that width is what the seeds say, not a defect.

    >>> lo, hi = t_interval([1.0, 1.2, 1.1])
    >>> round(lo, 3), round(hi, 3)
    (0.852, 1.348)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["t_interval", "seed_summary", "across_seeds"]


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """The two-sided t interval of the mean of ``values`` (independent draws, at least two, all finite) at
    ``level``."""
    from scipy.stats import t as t_dist

    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got level={level!r}")
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"values must be one-dimensional (one value per seed), got shape {x.shape}")
    if len(x) < 2:
        raise ValueError(f"a t interval needs at least two values, got {len(x)}")
    if not np.isfinite(x).all():
        raise ValueError(f"every value must be finite, got values={x.tolist()!r}")
    half = t_dist.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return float(x.mean() - half), float(x.mean() + half)


def seed_summary(table: Any, seed: str = "seed", level: float = 0.95):
    """One row per quantity (and per value of the table's other grid columns ``by``: every column before the
    first measured one that is not ``seed``): ``n`` (seeds with a finite value), ``mean``, ``sd``, and the t
    interval ``low``, ``high`` at ``level`` (NaN with fewer than two). ``table`` has one row per seed, as
    :func:`memcap.book.batch.collect` makes it: the grid's columns, ``seconds``, then the results. Flags (booleans)
    and text are left out.

        >>> import pandas as pd
        >>> t = pd.DataFrame(dict(seed=[0, 1, 2], scale="smoke", seconds=[9.0, 10.0, 11.0], R=[1.0, 1.2, 1.1]))
        >>> seed_summary(t).round(3).to_dict("records")[1]
        {'scale': 'smoke', 'quantity': 'R', 'n': 3, 'mean': 1.1, 'sd': 0.1, 'low': 0.852, 'high': 1.348}
    """
    import pandas as pd

    if seed not in table.columns:
        raise ValueError(f"the table has no {seed!r} column; its columns: {list(table.columns)[:8]}...")
    columns = list(table.columns)
    first = columns.index("seconds") if "seconds" in columns else columns.index(seed) + 1
    by = [c for c in columns[:first] if c != seed]
    measured = [c for c in columns[first:] if pd.api.types.is_numeric_dtype(table[c])
                and not pd.api.types.is_bool_dtype(table[c])]
    rows = []
    groups = table.groupby(by, sort=False, dropna=False) if by else [((), table)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        if g[seed].duplicated().any():
            raise ValueError(f"seed values repeat within {dict(zip(by, key))}: {sorted(g[seed])}")
        for q in measured:
            x = g[q].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            low, high = t_interval(x, level) if len(x) >= 2 else (math.nan, math.nan)
            rows.append({**dict(zip(by, key)), "quantity": q, "n": len(x),
                         "mean": float(x.mean()) if len(x) else math.nan,
                         "sd": float(x.std(ddof=1)) if len(x) >= 2 else math.nan, "low": low, "high": high})
    return pd.DataFrame(rows, columns=[*by, "quantity", "n", "mean", "sd", "low", "high"])


def across_seeds(per_seed: Mapping[int, Mapping[str, float]], level: float = 0.95):
    """Quantities measured once per seed, side by side: a row per quantity (in the order the first seed names them),
    a column per seed, then ``mean`` over every seed (infinite if one is, NaN if one is NaN: a seed where the
    quantity is undefined leaves the mean undefined) and the t interval ``low``, ``high`` at ``level`` (NaN with
    one seed, or where a seed's value is not finite). ``per_seed``: seed -> quantity -> value; every seed must
    name the same quantities.

        >>> t = across_seeds({0: {"R": 1.0}, 1: {"R": 1.2}, 2: {"R": 1.1}})
        >>> t.round(3).loc["R"].tolist()
        [1.0, 1.2, 1.1, 1.1, 0.852, 1.348]
    """
    import pandas as pd

    if not per_seed:
        raise ValueError("across_seeds needs at least one seed, got none")
    seeds = list(per_seed)
    names = list(per_seed[seeds[0]])
    for s in seeds[1:]:
        if list(per_seed[s]) != names:
            raise ValueError(f"seed {s} names {sorted(per_seed[s])}, seed {seeds[0]} {sorted(names)}: every seed "
                             "must name the same quantities")
    values = pd.DataFrame({s: [float(per_seed[s][q]) for q in names] for s in seeds}, index=names)
    values.index.name = "quantity"
    x = values.to_numpy()
    with np.errstate(invalid="ignore"):
        values["mean"] = x.mean(axis=1)
    bounds = [t_interval(row, level) if len(row) >= 2 and np.isfinite(row).all() else (math.nan, math.nan)
              for row in x]
    values["low"], values["high"] = [b[0] for b in bounds], [b[1] for b in bounds]
    return values
