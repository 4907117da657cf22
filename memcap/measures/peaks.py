"""Where a model family's knowledge capacity peaks, and whether the widths trained prove it.

A family's capacity is its best capacity ratio R(F) over widths. The best of the widths trained is the peak only if
both sides are closed. The narrower side needs a trained narrower width that stores less. The wider side has two
ways: a trained wider width that stores less, or a ceiling. R(F) can never exceed R^max(F) = (the world's bits) /
P, and P grows with the width, so once the next width's ceiling is below the best R found, no wider model can do
better and it need not be trained. That is how a grid can stop at the peak instead of one width past it.

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
