"""The claims the chapters make (declared in :mod:`memcap.book.presets.claim`), listed and checked.

:func:`table` lists every claim at a scale (``memcap claims``). A chapter checks a claim with
``run.claim(name, holds, value)``, which a :class:`Ledger` records: a failed asserted claim raises
:class:`ClaimFailed` at once, or, with ``$MEMCAP_COLLECT_CLAIMS=1``, is recorded and the run goes on to its end,
where ``run.save_results()`` fails listing every failed claim. Either way each outcome is written to ``claims.json``
beside the chapter's results as it happens, so a run that stops early still says which claims it reached.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from memcap.book.presets.claim import JSON_KEYS, KINDS, Claim, six_digits

__all__ = ["CLAIMS_FILE", "COLLECT_ENV", "JSON_KEYS", "KINDS", "ClaimFailed", "ClaimsFailed", "Ledger", "registry",
           "table", "text"]

COLLECT_ENV = "MEMCAP_COLLECT_CLAIMS"  # "1": record failed claims and fail at the chapter's end, listing them all
CLAIMS_FILE = "claims.json"


class ClaimFailed(AssertionError):
    """An asserted claim did not hold; the message names the chapter, the claim, what was measured and the
    threshold."""


class ClaimsFailed(AssertionError):
    """A chapter run in collect mode finished with failed claims; the message lists them."""


def registry() -> Mapping[str, tuple[Claim, ...]]:
    """Chapter name -> its declared claims (imports the presets, hence torch)."""
    from memcap.book.presets import CLAIMS

    return CLAIMS


def table(chapters: list[str] | None = None, scale: str = "default") -> list[dict[str, Any]]:
    """Every declared claim of ``chapters`` (names, numbers or topics; all by default) at ``scale``, as
    :meth:`Claim.row` dicts; an unknown chapter or scale fails, naming it and the known ones."""
    from memcap.book.presets import PRESETS

    names = list(dict.fromkeys(_chapter_name(c) for c in chapters)) if chapters else list(registry())  # each once
    rows = []
    for name in names:
        if scale not in PRESETS[name]:
            raise ValueError(f"unknown scale {scale!r} for chapter {name}; allowed: {list(PRESETS[name])}")
        rows.extend(c.row(PRESETS[name][scale], scale) for c in registry()[name])
    return rows


def _chapter_name(key: Any) -> str:
    key = str(key).strip()
    for name in registry():
        number, topic = name.split("_", 1)
        if key in (name, topic) or (key.isdigit() and int(key) == int(number)):
            return name
    raise ValueError(f"unknown chapter {key!r}; chapters are {list(registry())}")


def text(rows: list[dict[str, Any]], scale: str) -> str:
    """:func:`table`'s rows as plain text: one block per chapter, one line per claim."""
    lines, chapter = [], None
    for r in rows:
        if r["chapter"] != chapter:
            chapter = r["chapter"]
            lines.append(f"{chapter} at {scale}")
        state = "asserted" if r["asserted"] else "shown"
        revised = "" if not r["revised"] else (
            f", revised; replicated on {scale} seeds {r['replicated_seeds']}" if r["replicated_seeds"]
            else f", revised; not replicated at {scale} yet")
        lines.append(f"  {r['name']:<32s} {r['kind']:<9s} {state:<9s} threshold {r['threshold']!r} "
                     f"(fixed {r['fixed']}{revised})")
        lines.append(f"      {r['statement']}")
    return "\n".join(lines)


def _is_nan(value: Any) -> bool:
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _worse(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """Whether outcome ``new`` of a claim checked again is worse than ``old``, which it then replaces: a failure
    beats a pass, a judged outcome beats an unjudged one (None), and between two of the same kind the smaller
    margin wins."""
    rank = {False: 0, True: 1, None: 2}
    if rank[new["holds"]] != rank[old["holds"]]:
        return rank[new["holds"]] < rank[old["holds"]]
    return _margin_key(new) < _margin_key(old)


def _margin_key(outcome: dict[str, Any]) -> float:
    """An outcome's margin as a number to compare ("inf" and "-inf" are saved as text); a failure without one (a NaN
    value, or an outcome given without a threshold) counts as the worst, a pass without one as the best."""
    try:
        return float(outcome["margin"])
    except (TypeError, ValueError):
        return -math.inf if outcome["holds"] is False else math.inf


class Ledger:
    """What one chapter run found of its claims. :meth:`check` records an outcome (and raises on a failed asserted
    claim unless collecting); :meth:`finish` closes the run: an asserted claim never checked, or failed claims
    collected, fail it here."""

    def __init__(self, chapter: str, scale: str, preset: Any, folder: Path | None = None,
                 collect: bool | None = None, declared: tuple[Claim, ...] | None = None):
        self.chapter, self.scale, self.preset = chapter, scale, preset
        self.declared = registry().get(chapter, ()) if declared is None else declared
        self.path = None if folder is None else Path(folder) / CLAIMS_FILE
        self.collect = os.environ.get(COLLECT_ENV, "") == "1" if collect is None else collect
        self.outcomes: dict[str, dict[str, Any]] = {}

    def check(self, name: str, holds: Any = None, value: Any = None, detail: str = "") -> bool | None:
        """Record whether claim ``name`` held, with the measured ``value`` (the worst case when the claim covers
        several rows) and a ``detail``. Without ``holds`` the value is judged against the claim's threshold
        (:meth:`Claim.judge`). A failed asserted claim raises :class:`ClaimFailed`, unless collecting. A claim
        checked twice keeps its worse outcome (a failure; else the smaller margin). A NaN value of an asserted claim
        with a numeric threshold is a failure ("measured NaN"). Returns whether it held (None: not judged at this
        scale)."""
        claim = self._find(name)
        asserted = claim.asserted(self.preset, self.scale)
        holds = claim.judge(value, self.preset) if holds is None else bool(holds)
        if asserted and _is_nan(value) and claim.bound:
            holds, detail = False, f"measured NaN{'; ' + str(detail) if detail else ''}"
        if holds is None and asserted:
            raise ValueError(f"claim {self.chapter}/{name} is asserted at {self.scale} but was given no outcome "
                             f"and a value it cannot judge: value={value!r}, threshold "
                             f"{claim.threshold(self.preset)!r}")
        outcome = dict(name=name, kind=claim.kind_at(self.scale), statement=claim.statement, asserted=asserted,
                       holds=holds, value=_value(value), threshold=claim.threshold(self.preset),
                       margin=claim.margin(value, self.preset), detail=str(detail))
        previous = self.outcomes.get(name)
        if previous is None or _worse(outcome, previous):
            self.outcomes[name] = outcome
        self._write()
        if asserted and holds is False:
            if not self.collect:
                raise ClaimFailed(_message(self.chapter, outcome))
            print(f"collected: {_message(self.chapter, outcome)}")
        return holds

    def skip(self, name: str, why: str) -> None:
        """Record that claim ``name`` was not measured in this run, and ``why`` (a study the reader turned off):
        it is neither held nor failed, and :meth:`finish` does not count it as forgotten."""
        claim = self._find(name)
        if name not in self.outcomes:
            self.outcomes[name] = dict(name=name, kind=claim.kind_at(self.scale), statement=claim.statement,
                                       asserted=claim.asserted(self.preset, self.scale), holds=None, value=None,
                                       threshold=claim.threshold(self.preset), margin=None,
                                       detail=f"not measured: {why}")
            self._write()

    def _find(self, name: str) -> Claim:
        for c in self.declared:
            if c.name == name:
                return c
        raise KeyError(f"chapter {self.chapter} declares no claim {name!r}; its claims: "
                       f"{[c.name for c in self.declared]}")

    def failed(self) -> list[dict[str, Any]]:
        return [o for o in self.outcomes.values() if o["asserted"] and o["holds"] is False]

    def unchecked(self) -> list[Claim]:
        """Asserted claims of the chapter that the run never checked."""
        return [c for c in self.declared if c.asserted(self.preset, self.scale) and c.name not in self.outcomes]

    def records(self) -> list[dict[str, Any]]:
        """Every declared claim's outcome, in declaration order; ``holds`` is None for one never checked."""
        out = []
        for c in self.declared:
            out.append(self.outcomes.get(c.name) or dict(
                name=c.name, kind=c.kind_at(self.scale), statement=c.statement,
                asserted=c.asserted(self.preset, self.scale),
                holds=None,
                value=None, threshold=c.threshold(self.preset), margin=None, detail="not checked"))
        return out

    def frame(self):
        """The outcomes as a table (what a chapter shows at its end)."""
        import pandas as pd

        columns = ["kind", "asserted", "holds", "value", "threshold", "margin", "caught by", "statement"]
        caught = {c.name: ", ".join(c.caught_by) for c in self.declared}
        rows = [dict(r, **{"caught by": caught[r["name"]]}) for r in self.records()]
        return pd.DataFrame(rows, columns=["name", *columns]).set_index("name") if rows else pd.DataFrame()

    def finish(self) -> None:
        """Fail if an asserted claim was never checked, or if claims failed while collecting (listing them)."""
        self._write()
        missing = self.unchecked()
        failed = self.failed()
        problems = [_message(self.chapter, o) for o in failed]
        problems += [f"claim {self.chapter}/{c.name} was never checked: {c.statement}" for c in missing]
        if problems:
            raise ClaimsFailed(f"{len(problems)} claim(s) of {self.chapter} at {self.scale} failed:\n  "
                               + "\n  ".join(problems))

    def _write(self) -> None:
        if self.path is None or not self.declared:
            return
        from memcap.infra.files import write_json_atomic

        write_json_atomic(self.path, dict(chapter=self.chapter, scale=self.scale, collect=self.collect,
                                          claims=self.records()))


def _value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    return six_digits(v) if math.isfinite(v) else str(v)


def _message(chapter: str, outcome: Mapping[str, Any]) -> str:
    found = "" if outcome["value"] is None else f"; measured {outcome['value']}"
    threshold = "" if outcome["threshold"] is None else f", threshold {outcome['threshold']}"
    detail = f" ({outcome['detail']})" if outcome["detail"] else ""
    return f"claim {chapter}/{outcome['name']} failed: {outcome['statement']}{found}{threshold}{detail}"
