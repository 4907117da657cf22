"""What a claim is: a sentence of a chapter's text that a measurement can make false, declared once beside the
settings that hold its threshold (each chapter's preset module has its ``CLAIMS``; :data:`memcap.book.presets.CLAIMS`
gathers them). A claim has a *kind*:

* ``headline``: a finding the chapter's text states; asserted wherever its thresholds are set;
* ``sanity``: an identity or a baseline that holds by construction when the run is sound (an untrained model codes at
  log2 V); asserted, but it checks the run, not the finding;
* ``observed``: shown, not asserted.

A claim whose threshold or direction changed after a run it judges is ``revised`` (at every scale, or at the scales
named, where the changed value is in force): at such a scale it is asserted only once it has held there on
:data:`REPLICATIONS_NEEDED` seeds that the change never saw (``replicated_seeds``, by scale: a smoke seed says
nothing of a default run); until then it is shown, not asserted, and a headline claim's kind there is
``observed`` (:meth:`Claim.kind_at`). ``caught_by`` names the deliberate breaks of the
engine that make it fail at ``smoke`` among those the tests run on its chapter (tests/test_broken_engine.py checks
each one; a break may fail a claim in a chapter it does not run on, as benchmarks/RESULTS.md's matrix records).

    >>> c = Claim("grows", "capacity grows with the parameter count", settings=("min_exponent",), fixed="2026-12-01")
    >>> from types import SimpleNamespace
    >>> c.threshold(SimpleNamespace(min_exponent=0.5)), c.asserted(SimpleNamespace(min_exponent=None), "smoke")
    (0.5, False)
    >>> c.margin(0.8, SimpleNamespace(min_exponent=0.5))
    0.3
    >>> r = Claim("flat", "flattens", fixed="2026-12-01", revised=True, replicated_seeds={"smoke": (1, 2)})
    >>> [r.asserted(SimpleNamespace(), s) for s in ("smoke", "default", "paper")]
    [True, False, False]
    >>> [r.kind_at(s) for s in ("smoke", "default")]
    ['headline', 'observed']

How a chapter checks its claims, and the registry's command line: :mod:`memcap.book.claims`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from collections.abc import Mapping
from typing import Any

KINDS = {
    "headline": "a finding the chapter's text states",
    "sanity": "an identity or baseline that holds when the run is sound",
    "observed": "shown, not asserted",
}
REPLICATIONS_NEEDED = 2  # fresh seeds a revised claim must hold on before it is asserted again
JSON_KEYS = ("chapter", "name", "statement", "kind", "threshold", "asserted", "fixed", "revised", "replicated_seeds")
SCALES = ("smoke", "default", "paper")  # as memcap.book.chapters.SCALES (tests/test_claims.py checks)
BOUNDS = ("min", "above", "max", "range", "level", "")  # how a value meets its threshold ("": a direction, no number)


@dataclass(frozen=True)
class Claim:
    """One claim: its ``name`` (an identifier, unique in its chapter), the ``statement`` it tests, its ``kind``, the
    preset ``settings`` that hold its threshold (at a scale where one is None or False, it is shown, not asserted),
    the date it was ``fixed`` (ISO), whether it was ``revised`` after a run it judges (True: at every scale; or the
    scales whose threshold changed) and the seeds it has held on since, by scale (``replicated_seeds``:
    ``{"default": (1, 2)}``), the breaks that catch it (``caught_by``) and how its value meets the threshold
    (``bound``: inferred from the first setting's name, ``min_*``, ``max_*``, ``*_range``, ``*_level``; ``above`` —
    strictly above — only when declared)."""

    name: str
    statement: str
    kind: str = "headline"
    settings: tuple[str, ...] = ()
    fixed: str = ""
    revised: bool | tuple[str, ...] = False
    replicated_seeds: Mapping[str, tuple[int, ...]] | tuple[tuple[str, tuple[int, ...]], ...] = ()
    caught_by: tuple[str, ...] = ()
    bound: str | None = None
    chapter: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"claim name must be a lower-case identifier, got name={self.name!r}")
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.name!r}: unknown kind={self.kind!r}; allowed: {list(KINDS)}")
        if not self.statement.strip():
            raise ValueError(f"claim {self.name!r} needs a statement")
        try:
            date.fromisoformat(self.fixed)
        except ValueError:
            raise ValueError(f"claim {self.name!r}: fixed={self.fixed!r} is not an ISO date (YYYY-MM-DD)") from None
        if isinstance(self.settings, str) or isinstance(self.caught_by, str):
            raise TypeError(f"claim {self.name!r}: settings and caught_by are tuples of names, not one string")
        object.__setattr__(self, "revised", _scales(self.name, self.revised))
        object.__setattr__(self, "replicated_seeds", _seeds_by_scale(self.name, self.replicated_seeds))
        unrevised = [s for s, _ in self.replicated_seeds if s not in self.revised]
        if unrevised:
            raise ValueError(f"claim {self.name!r}: replicated_seeds at {unrevised}, where it is not revised "
                             f"(revised={self.revised!r})")
        if self.bound is None:
            object.__setattr__(self, "bound", _infer_bound(self.settings))
        if self.bound not in BOUNDS:
            raise ValueError(f"claim {self.name!r}: unknown bound={self.bound!r}; allowed: {list(BOUNDS)}")

    def threshold(self, preset: Any) -> Any:
        """The threshold at ``preset``'s scale: None without settings, the value of one setting, else a dict."""
        values = {s: _plain(getattr(preset, s)) for s in self.settings}
        if not values:
            return None
        return next(iter(values.values())) if len(values) == 1 else values

    def revised_at(self, scale: str) -> bool:
        """Whether the claim's threshold or direction in force at ``scale`` changed after a run it judges."""
        return _known_scale(self.name, scale) in self.revised

    def seeds_at(self, scale: str) -> tuple[int, ...]:
        """The fresh seeds the revised claim has held on at ``scale``."""
        return dict(self.replicated_seeds).get(_known_scale(self.name, scale), ())

    def replicated(self, scale: str) -> bool:
        """Not revised at ``scale``, or held there on :data:`REPLICATIONS_NEEDED` fresh seeds."""
        return not self.revised_at(scale) or len(set(self.seeds_at(scale))) >= REPLICATIONS_NEEDED

    def kind_at(self, scale: str) -> str:
        """The claim's kind at ``scale``: ``observed`` where it is revised and not yet replicated there (what it
        states is then shown, not claimed, until fresh seeds confirm it), else its declared kind."""
        return "observed" if self.kind == "headline" and not self.replicated(scale) else self.kind

    def judged(self, preset: Any) -> bool:
        """Whether ``preset`` sets every setting of the claim (none is None or False): where one is unset, the claim
        is shown, not judged."""
        return all(getattr(preset, s) is not None and getattr(preset, s) is not False for s in self.settings)

    def asserted(self, preset: Any, scale: str) -> bool:
        """Whether the claim is asserted at ``scale`` (whose settings ``preset`` holds): not ``observed``, judged
        there (:meth:`judged`), and, if revised there, replicated there on enough fresh seeds."""
        return self.kind != "observed" and self.replicated(scale) and self.judged(preset)

    def _compare(self, value: Any, preset: Any) -> tuple[float, Any] | None:
        t = getattr(preset, self.settings[0]) if self.settings else None
        try:
            v = float(value)
        except (TypeError, ValueError):
            return None
        if t is None or isinstance(t, bool) or math.isnan(v) or self.bound == "":
            return None
        return v, t

    def judge(self, value: Any, preset: Any) -> bool | None:
        """Whether ``value`` meets the threshold at ``preset``'s scale (``min``: at least; ``above``: strictly above;
        ``max``: at most; ``level``: below, as a p-value; ``range``: inside); None where there is no numeric
        threshold."""
        found = self._compare(value, preset)
        if found is None:
            return None
        v, t = found
        if self.bound == "range":
            return bool(t[0] <= v <= t[1])
        return bool({"min": v >= t, "above": v > t, "max": v <= t, "level": v < t}[self.bound])

    def margin(self, value: Any, preset: Any) -> float | None:
        """How far ``value`` clears the threshold (negative: it misses): value − t for ``min`` and ``above``, t − value
        for ``max`` and ``level``, the nearer end's distance for ``range``; None without a numeric threshold."""
        found = self._compare(value, preset)
        if found is None:
            return None
        v, t = found
        if self.bound == "range":
            return six_digits(min(v - t[0], t[1] - v))
        return six_digits(v - t if self.bound in ("min", "above") else t - v)

    def row(self, preset: Any, scale: str) -> dict[str, Any]:
        """The claim at ``scale`` (whose settings ``preset`` holds) as a dict with exactly :data:`JSON_KEYS`;
        ``kind`` (:meth:`kind_at`), ``revised`` and ``replicated_seeds`` are those of that scale."""
        return dict(chapter=self.chapter, name=self.name, statement=self.statement, kind=self.kind_at(scale),
                    threshold=self.threshold(preset), asserted=self.asserted(preset, scale), fixed=self.fixed,
                    revised=self.revised_at(scale), replicated_seeds=list(self.seeds_at(scale)))


def _known_scale(claim: str, scale: str) -> str:
    if scale not in SCALES:
        raise ValueError(f"claim {claim!r}: unknown scale={scale!r}; allowed: {list(SCALES)}")
    return scale


def _scales(claim: str, revised: Any) -> tuple[str, ...]:
    """``revised`` as the tuple of scales it names (True: all, False: none)."""
    if revised is True or revised is False:
        return SCALES if revised else ()
    if not isinstance(revised, (tuple, list)) or not all(isinstance(s, str) for s in revised):
        raise TypeError(f"claim {claim!r}: revised is True, False or a tuple of scales, got revised={revised!r}")
    return tuple(_known_scale(claim, s) for s in revised)


def _seeds_by_scale(claim: str, seeds: Any) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """``replicated_seeds`` as sorted (scale, seeds) pairs: a mapping (or pairs) from a scale to integer seeds, each
    scale once; anything else fails, naming the form to use."""
    form = (f"claim {claim!r}: replicated_seeds gives integer seeds by scale, e.g. {{'default': (1, 2)}}; got "
            f"replicated_seeds={seeds!r}")
    pairs = list(seeds.items()) if isinstance(seeds, Mapping) else seeds
    if not isinstance(pairs, (tuple, list)) or not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pairs):
        raise TypeError(form)
    for _, values in pairs:
        if not isinstance(values, (tuple, list)) or not all(
                isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in values):
            raise TypeError(form)
    scales = [_known_scale(claim, s) for s, _ in pairs]
    if len(set(scales)) != len(scales):
        raise ValueError(f"claim {claim!r}: a scale given twice in replicated_seeds={seeds!r}")
    return tuple(sorted((s, tuple(v)) for s, (_, v) in zip(scales, pairs)))


def _infer_bound(settings: tuple[str, ...]) -> str:
    first = settings[0] if settings else ""
    for prefix in ("min", "max"):
        if first.startswith(prefix + "_"):
            return prefix
    for suffix in ("range", "level"):
        if first.endswith("_" + suffix):
            return suffix
    return ""


def six_digits(x: float) -> float | str:
    """Six significant digits; an infinite or undefined number as text ("inf"), which JSON can hold."""
    return float(f"{x:.6g}") if math.isfinite(x) else str(x)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def declare(chapter: str, *claims: Claim) -> tuple[Claim, ...]:
    """A chapter's claims, stamped with its name; a repeated name fails, naming it."""
    names = [c.name for c in claims]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"chapter {chapter}: claim names declared twice: {repeated}")
    out = []
    for c in claims:
        object.__setattr__(c, "chapter", chapter)
        out.append(c)
    return tuple(out)
