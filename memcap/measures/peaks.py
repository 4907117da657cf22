"""Where a measured curve peaks, and how sure the grid it was measured on lets us be.

Two questions, one per function:

* :func:`find_peak`: the best of a model family's trained widths, and whether the widths trained prove it is the
  family's peak (one measurement per width; chapter 7's knowledge capacity).
* :func:`locate_peak`: where a curve measured at a few sizes with several seeds peaks, between the grid's points,
  with a bootstrap interval over the seeds (chapter 2's double descent).

**find_peak.** A family's capacity is its best capacity ratio R(F) over widths. The best of the widths trained is
the peak only if both sides are closed. The narrower side needs a trained narrower width that stores less. The
wider side has two ways: a trained wider width that stores less, or a ceiling. R(F) can never exceed R^max(F) =
(the world's bits) / P, and P grows with the width, so once the next width's ceiling is below the best R found, no
wider model can do better and it need not be trained. That is how a grid can stop at the peak instead of one width
past it.

    >>> peak = find_peak({16: 1.34, 24: 1.75}, ceilings={16: 4.22, 24: 2.03, 32: 1.19})
    >>> peak.width, peak.narrower, peak.wider, peak.bracketed
    (24, 'trained', 'ceiling', True)
    >>> find_peak({16: 1.34, 24: 1.75}, ceilings={32: 1.9}).wider       # a width 32 might still store more
    'open'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Peak:
    """The best trained width, its R, and how each side of it is closed: ``"trained"`` (a trained width on that
    side stores less), ``"ceiling"`` (wider side only: the next width's R^max, ``ceiling``, is below R) or
    ``"open"`` (a width on that side might store more: R is then a lower bound on the family's capacity)."""

    width: int
    R: float
    narrower: str
    wider: str
    ceiling: float | None = None

    @property
    def bracketed(self) -> bool:
        """Both sides closed: R is the family's capacity over every width, not only the trained ones."""
        return self.narrower != "open" and self.wider != "open"


def find_peak(R: Mapping[int, float], ceilings: Mapping[int, float] | None = None) -> Peak:
    """The peak of measured ``R`` (width -> R(F)) and how it is closed. ``ceilings`` (width -> R^max of the family's
    model at that width) lists the widths that could be trained: the narrowest one wider than the peak that was not
    trained closes the wider side when its ceiling is below the peak's R (R^max falls with width, so it bounds every
    wider model too). Without ``ceilings``, only trained widths close a side."""
    if not R:
        raise ValueError("find_peak needs at least one measured width, got none")
    bad = {w: r for w, r in R.items() if not (isinstance(r, (int, float)) and math.isfinite(r))}
    if bad:
        raise ValueError(f"R must be a finite number at every width, got {bad!r}")
    ceilings = dict(ceilings or {})
    bad = {w: c for w, c in ceilings.items() if not (isinstance(c, (int, float)) and c > 0)}
    if bad:
        raise ValueError(f"a ceiling R^max must be a positive number, got {bad!r}")
    width = max(R, key=lambda w: (R[w], -w))  # ties: the narrower width
    best = float(R[width])
    narrower = "trained" if any(w < width for w in R) else "open"
    if any(w > width for w in R):
        return Peak(width, best, narrower, "trained")
    wider = [w for w in ceilings if w > width]
    if not wider:
        return Peak(width, best, narrower, "open")
    ceiling = float(ceilings[min(wider)])
    return Peak(width, best, narrower, "ceiling" if ceiling < best else "open", ceiling)


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
