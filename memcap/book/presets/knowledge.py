"""Chapter 3's settings (knowledge capacity): the shared set-up's bioD and bioS runs, the exposure curve and the
training variants, with the claims' thresholds, per scale (book/thresholds.md says how each threshold was set).

    >>> sorted(BY_SCALE["smoke"].runs())
    ['biod', 'bios', 'exposures', 'variants']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from memcap.book.presets.claim import Claim, declare
from memcap.book.presets.knowledge_setup import KNOWLEDGE_SETUPS, KnowledgeSetup
from memcap.book.presets.settings import PresetBase, setting


@dataclass(frozen=True)
class KnowledgePreset(PresetBase):
    setup: KnowledgeSetup = setting("the shared knowledge set-up (chapters 4 and 5 reuse its runs)")
    max_calibration_error: float = setting("claim: untrained models code at log2 V a token, to this relative error")
    min_R_beyond_fresh: float | None = setting(
        "claim: at the higher exposure count every R exceeds R on fresh people by this (bits/param)")
    min_peak_R: float | None = setting("claim: the peak R at the higher exposure count (None: not claimed)")
    rmax_match: float = setting("claim: R >= rmax_match · R^max for the models with R^max <= rmax_limit")
    rmax_limit: float | None = setting("models with R^max at most this should reach R^max (None: not claimed)")
    exposure_width: int = setting("the width whose R(F) is measured against exposures (the peak at the lower count)")
    exposure_counts: tuple[int, ...] = setting(
        "exposures of that curve: counts below the higher one train with the lower count's batch")
    exposure_variants: dict[str, dict] = setting(
        "at the lower count, that width with one change at a time (what the paper tunes): name -> changes")
    min_exposure_gain: float | None = setting(
        "claim: R at the most exposures minus R at the fewest, at exposure_width (None: not claimed)")

    def runs(self, seed: int = 0) -> dict[str, Any]:
        """The chapter's runs: ``biod`` (every width at every exposure count; the lower count with smaller batches),
        ``bios`` by kind (bioS, bioS_simple, and bioS with the vocabulary re-indexed
        to the words used, kept to show what it cost), ``exposures`` (``exposure_width`` at each of
        ``exposure_counts``: the counts of ``biod`` are its runs) and ``variants`` (name -> that width at the lower
        count with the variant's changes; ``"as trained"`` first, the ``biod`` run)."""
        k = self.setup
        kw = dict(data_seed=seed, init_seed=seed)
        biod = [k.biod_run(w.width, e, **kw) for e in k.exposures for w in k.widths]
        bios = {kind: k.bios_run(kind, **kw) for kind in ("bioS", "bioS_simple")}
        bios["bioS, used words only"] = k.bios_run("bioS", vocabulary="used", **kw)
        w, high, low = self.exposure_width, max(k.exposures), min(k.exposures)
        k.lr(w)  # a clear error when the width is not the setup's
        exposures = [k.biod_run(w, e, **kw) if e in k.exposures or e > high
                     else k.biod_run(w, e, **k.exposure_settings(low), **kw) for e in sorted(self.exposure_counts)]
        variants = {"as trained": k.biod_run(w, low, **kw)}
        variants.update({name: k.biod_run(w, low, **changes, **kw) for name, changes in self.exposure_variants.items()})
        return dict(biod=biod, bios=bios, exposures=exposures, variants=variants)



def _exposure_variants(small_batch: int, large_batch: int, lr: float, warmup: int, weight_decay: float,
                       decay_variant: float | None = None) -> dict:
    """Chapter 3's variants at the lower exposure count, one change at a time from its settings (weight decay
    ``decay_variant``, ``weight_decay`` unless given), then Allen-Zhu & Li's Parameter 2 combination (small
    batches, a long warm-up, weight decay ``weight_decay``)."""
    decay_variant = weight_decay if decay_variant is None else decay_variant
    return {
        f"batch {small_batch}": dict(batch_size=small_batch),
        f"batch {large_batch}": dict(batch_size=large_batch),
        f"lr x0.5 ({lr / 2:g})": dict(lr=lr / 2),
        f"lr x2 ({2 * lr:g})": dict(lr=2 * lr),
        f"warm-up {warmup} steps": dict(warmup_steps=warmup),
        f"weight decay {decay_variant:g}": dict(weight_decay=decay_variant),
        "the paper's Parameter 2": dict(batch_size=small_batch, warmup_steps=warmup, weight_decay=weight_decay),
    }



BY_SCALE = {
    "smoke": KnowledgePreset(setup=KNOWLEDGE_SETUPS["smoke"], max_calibration_error=0.02, min_R_beyond_fresh=0.05,
                             min_peak_R=None, rmax_match=0.9, rmax_limit=0.2, exposure_width=16,
                             exposure_counts=(30, 100, 300), exposure_variants={"batch 16": dict(batch_size=16)},
                             min_exposure_gain=None),
    "default": KnowledgePreset(setup=KNOWLEDGE_SETUPS["default"], max_calibration_error=0.02,
                               min_R_beyond_fresh=0.5, min_peak_R=1.7, rmax_match=0.9, rmax_limit=1.8,
                               exposure_width=32, exposure_counts=(30, 100, 300, 1000),
                               exposure_variants=_exposure_variants(12, 128, 2e-2, 1000, 0.01),
                               min_exposure_gain=1.0),
    "paper": KnowledgePreset(setup=KNOWLEDGE_SETUPS["paper"], max_calibration_error=0.02, min_R_beyond_fresh=0.5,
                             min_peak_R=1.7, rmax_match=0.9, rmax_limit=1.8, exposure_width=256,
                             exposure_counts=(30, 100, 300, 1000),
                             exposure_variants=_exposure_variants(12, 96, 1e-3, 1000, 0.01, decay_variant=0.0),
                             min_exposure_gain=1.0),
}


CLAIMS = declare(
    "03_knowledge",
    Claim("calibrated", "an untrained model codes at log2 V bits per token", kind="sanity",
          settings=("max_calibration_error",), fixed="2026-12-01"),
    Claim("stores_own_people", "at the higher exposure count every model stores knowledge of its own people, "
          "beyond what it knows of people it never saw", settings=("min_R_beyond_fresh",),
          caught_by=("lr0", "fresh"), fixed="2026-11-23"),
    Claim("fewer_exposures_fewer_bits", "fewer exposures store fewer bits per parameter: the peak R is lower",
          caught_by=("lr0", "fresh"), fixed="2026-11-23"),
    Claim("peak_capacity_ratio", "at the higher exposure count the peak capacity ratio R reaches the threshold "
          "(bits/param)",
          settings=("min_peak_R",), fixed="2026-11-23"),
    Claim("reaches_rmax", "models whose data hold few bits per parameter store nearly all of them: R reaches "
          "rmax_match·R^max", settings=("rmax_match", "rmax_limit"), bound="min", caught_by=("lr0", "fresh"),
          fixed="2026-11-23", revised=("smoke",), replicated_seeds={"smoke": (1, 2)}),
    Claim("exposure_gain", "R at the most exposures exceeds R at the fewest by the threshold (bits/param)",
          settings=("min_exposure_gain",), fixed="2026-12-02"),
)
