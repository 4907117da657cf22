"""How many bits a run would store if it trained longer: a fixed form fitted to the run and its 2x and 4x twins,
extrapolated to 16x, with an interval from seeds that is tested before it is trusted.

The form (fixed on 2026-12-06, before any 16x run it predicts was trained): each doubling of the training length
adds a constant share ``r`` of what the previous doubling added,

    B(2^j) = L - A * r**j,   so   B(2) - B(1) = g,  B(4) - B(2) = r * g,  ...,  L = B(1) + g / (1 - r),

which is a power law in the length t, ``L - A * t**log2(r)``, approaching the limit ``L`` when ``0 <= r < 1``. Three
lengths (1x, 2x, 4x) determine it exactly: ``r = (B(4) - B(2)) / (B(2) - B(1))``. A second gain that is negative is
read as ``r = 0`` (the run stopped gaining); a first gain that is not positive leaves nothing to extrapolate.

    >>> f = doubling_fit([10.0, 12.0, 13.0])
    >>> f.ratio, f.limit, extrapolate([10.0, 12.0, 13.0], 16)
    (0.5, 14.0, 13.75)

One seed's prediction carries the noise of three runs through a ratio of two small differences, so the interval
comes from seeds: each seed's 1x, 2x and 4x runs give a prediction, and the t prediction interval of those,
``mean ± t(n-1) · sd · sqrt(1 + 1/n)``, is where another seed's run at that length should fall
(:func:`prediction_interval`). :func:`coverage` checks how often it does on simulated seeds that follow the form. The
run it is tested on is one of the seeds it was fitted on (the 16x twin of a seed whose 1x, 2x and 4x runs are among
them), which shares that seed's offset with its prediction: the interval is then conservative (the simulation says
how much).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

__all__ = ["DoublingFit", "doubling_fit", "extrapolate", "prediction_interval", "coverage"]


class DoublingFit(NamedTuple):
    """The form through a run's 1x, 2x and 4x values: the first doubling's ``gain``, the ``ratio`` r of each
    doubling's gain to the one before, and the ``limit`` L (infinite when r >= 1)."""

    start: float
    gain: float
    ratio: float
    limit: float


def doubling_fit(bits: Sequence[float]) -> DoublingFit:
    """The form through ``bits`` stored at 1x, 2x and 4x a run's length (three finite values).

        >>> doubling_fit([10.0, 12.0, 11.5]).ratio  # the second doubling lost bits: no further gain
        0.0
        >>> doubling_fit([10.0, 12.0, 14.0]).limit  # gains that do not shrink have no limit
        inf
    """
    b = np.asarray(bits, dtype=float)
    if b.shape != (3,) or not np.isfinite(b).all():
        raise ValueError(f"bits must be three finite values (the 1x, 2x and 4x runs), got {b.ravel().tolist()!r}")
    gain = float(b[1] - b[0])
    if gain <= 0:
        raise ValueError(f"the first doubling gained {gain:g} bits (bits={b.tolist()!r}): the run gains nothing "
                         "from longer training, so there is nothing to extrapolate")
    ratio = max(0.0, float(b[2] - b[1]) / gain)
    limit = float(b[0] + gain / (1 - ratio)) if ratio < 1 else math.inf
    return DoublingFit(float(b[0]), gain, ratio, limit)


def extrapolate(bits: Sequence[float], k: int) -> float:
    """The bits the form through ``bits`` (1x, 2x, 4x) predicts at ``k`` x the length (``k`` a power of two).

        >>> extrapolate([10.0, 12.0, 13.0], 4), extrapolate([10.0, 12.0, 14.0], 16)
        (13.0, 18.0)
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 or k & (k - 1):
        raise ValueError(f"k must be a power of two (1, 2, 4, 8, 16, ...), got k={k!r}")
    f = doubling_fit(bits)
    j = int(k).bit_length() - 1
    return f.start + f.gain * sum(f.ratio**i for i in range(j))


def prediction_interval(predictions: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """Where one more seed's value should fall, from one prediction per seed (at least two, finite):
    ``mean ± t(n-1) · sd · sqrt(1 + 1/n)``.

        >>> lo, hi = prediction_interval([1.0, 1.2, 1.1])
        >>> round(lo, 3), round(hi, 3)
        (0.603, 1.597)
    """
    from scipy.stats import t as t_dist

    x = np.asarray(predictions, dtype=float)
    if x.ndim != 1 or len(x) < 2 or not np.isfinite(x).all():
        raise ValueError(f"need at least two finite predictions (one per seed), got {np.ravel(x).tolist()!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got level={level!r}")
    half = t_dist.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) * math.sqrt(1 + 1 / len(x))
    return float(x.mean() - half), float(x.mean() + half)


def coverage(limit: float, amplitude: float, ratio: float, seed_sd: float, run_sd: float, n_seeds: int = 3,
             k: int = 16, sets: int = 2000, level: float = 0.95, rng: int = 0) -> dict:
    """How often :func:`prediction_interval` over ``n_seeds`` simulated seeds contains the first seed's ``k`` x
    run, when every seed follows the form: seed s stores ``L_s - amplitude * ratio**j`` at ``2**j`` x, with ``L_s``
    drawn around ``limit`` with sd ``seed_sd`` and every run's value off by independent noise of sd ``run_sd``.
    Returns the share ``covered``, the share of sets the form could not fit (``unfit``: a first doubling that
    gained nothing; those sets count as not covered) and the median interval ``width``.

        >>> c = coverage(14.0, 4.0, 0.5, seed_sd=0.1, run_sd=0.02, sets=400)
        >>> 0.9 < c["covered"] <= 1.0, c["unfit"]
        (True, 0.0)
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 8 or k & (k - 1):
        raise ValueError(f"k must be a power of two >= 8 (the form sees 1x, 2x and 4x), got k={k!r}")
    if n_seeds < 2 or sets < 1:
        raise ValueError(f"need n_seeds >= 2 and sets >= 1, got n_seeds={n_seeds!r}, sets={sets!r}")
    if min(seed_sd, run_sd) < 0:
        raise ValueError(f"noise sds must be >= 0, got seed_sd={seed_sd!r}, run_sd={run_sd!r}")
    gen = np.random.default_rng(rng)
    j_held = int(k).bit_length() - 1
    lengths = np.array([0, 1, 2, j_held])
    covered = unfit = 0
    widths = []
    for _ in range(sets):
        limits = limit + seed_sd * gen.standard_normal(n_seeds)
        runs = limits[:, None] - amplitude * ratio ** lengths[None, :] + run_sd * gen.standard_normal((n_seeds, 4))
        try:
            preds = [extrapolate(r[:3], k) for r in runs]
        except ValueError:
            unfit += 1
            continue
        lo, hi = prediction_interval(preds, level)
        widths.append(hi - lo)
        covered += bool(lo <= runs[0, 3] <= hi)
    return dict(covered=covered / sets, unfit=unfit / sets,
                width=float(np.median(widths)) if widths else math.nan)
