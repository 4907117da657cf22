"""Chapter 7's settings (what else decides knowledge capacity): MLP families around their peaks, the mixture, layer
removal and junk data, with the claims' thresholds, per scale (book/thresholds.md says how each threshold was set).

    >>> sorted(BY_SCALE["smoke"].runs())
    ['arch', 'junk', 'moe', 'more_seeds', 'removal']
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from memcap.book.presets.claim import Claim, declare
from memcap.book.presets.knowledge_setup import KNOWLEDGE_SETUPS, KnowledgeSetup, Width
from memcap.book.presets.settings import PresetBase, setting
from memcap.data.streams import junk_windows
from memcap.measures.knowledge import knowledge_bits_approx


class Arch(NamedTuple):
    """A model family by its MLP (see :data:`memcap.model.MLPS`) and the widths it is trained at, at the higher and
    at the lower exposure count: around its peak at each, which sits at wider models with fewer exposures. A grid
    may stop at the peak on the wider side when the next width's ceiling R^max is below the peak's R (see
    :mod:`memcap.measures.peaks`)."""

    mlp: str
    high: tuple[int, ...]
    low: tuple[int, ...]


class Junk(NamedTuple):
    """A junk set-up: junk people (0: no junk) and whether useful paragraphs carry the domain token."""

    junk_people: int
    domain_token: bool


@dataclass(frozen=True)
class ArchitecturePreset(PresetBase):
    setup: KnowledgeSetup = setting("this chapter's bioD world, models and training (chapter 3's, its own N)")
    archs: tuple[Arch, ...] = setting("MLP variants, the first GPT-2's, each at widths around its own peak")
    moe_experts: int = setting("experts E of the mixture (top-1 routing, each expert d -> d -> d)")
    moe_widths: tuple[int, ...] = setting("widths of the mixture models")
    removal_depth: int = setting("layers of the extra GPT-2 whose layers are removed one at a time")
    removal_width: int = setting("its width (near capacity at the higher exposure count)")
    junk_width: int = setting("width of every junk run (R^max about 2 here: near the peak size at the higher count)")
    junk_exposures: tuple[int, ...] = setting("exposures of the useful people in the junk runs")
    junk_ratio: float = setting("share of training windows from the junk world (Allen-Zhu & Li: 7/8)")
    junk_batch_size: int = setting("windows per step with junk; the useful ones are as many as without junk")
    junk_setups: dict[str, Junk] = setting("the set-ups: no junk, random (huge) junk, repetitive junk, domain token")
    max_calibration_error: float = setting("claim: untrained models code at log2 V a token, to this relative error")
    min_R_beyond_fresh: float = setting(
        "claim: at the higher count the best model's R exceeds its R on fresh people by this (bits/param)")
    min_arch_ratio_high: float | None = setting("claim: every family's peak R >= this x GPT-2's at the higher count")
    min_no_mlp_gap_low: float | None = setting("claim: GPT-2's peak R >= this x no-MLP's at the lower count")
    max_gated_ratio_low: float | None = setting("claim: the gated MLP's peak R <= this x GPT-2's at the lower count")
    min_gated_ratio_low: float | None = setting("claim: the gated MLP's peak R >= this x GPT-2's at the lower count")
    min_quarter_ratio_low: float | None = setting("claim: MLP/4's peak R >= this x GPT-2's at the lower count")
    min_moe_over_quarter: float | None = setting(
        "claim: a mixture stores >= this x the bits of MLP/4 of its width (the same active parameters)")
    min_gpt2_over_moe_high: float | None = setting(
        "claim: GPT-2's peak R >= this x the mixture's per total parameter, at the higher count")
    max_last_layer_share: float | None = setting(
        "claim: bits left without the last layer <= this x (1 - 1/L) of the whole model's")
    min_junk_loss_low: float = setting(
        "claim: R_values without junk >= this x with random junk, lower junk count")
    min_domain_recovery_low: float | None = setting(
        "claim: the domain token recovers this share of R_values(no junk) - R_values(random junk), lower junk count")
    min_domain_catch_up: float | None = setting(
        "claim: R_values with the domain token at the higher junk count >= this x R_values without junk at the lower")
    min_repetitive_share_low: float | None = setting(
        "claim: R_values with repetitive junk >= this x without, lower junk count")
    require_bracketed_peaks: bool = setting(
        "check: every family's peak is closed on both sides (trained widths or the ceiling), at both counts")
    seeds: int = setting("seeds of every run (seed, seed + 1, ...): the claims judge each quantity's mean over them")
    stack: int = setting("runs of one shape and batch trained together in one process (1: each alone)")
    stack_max_params: int = setting("stack only models of at most this many parameters (where it pays on 2 cores)")

    def __post_init__(self):
        if not isinstance(self.seeds, int) or self.seeds < 1:
            raise ValueError(f"seeds must be a positive integer, got seeds={self.seeds!r}")
        if not isinstance(self.stack, int) or self.stack < 1:
            raise ValueError(f"stack must be a positive integer, got stack={self.stack!r}")
        if not isinstance(self.stack_max_params, int) or self.stack_max_params < 0:
            raise ValueError(f"stack_max_params must be a whole number >= 0, got "
                             f"stack_max_params={self.stack_max_params!r}")

    def seed_list(self, seed: int = 0) -> tuple[int, ...]:
        """The seeds the chapter trains, from ``seed`` on: the first is the one its sections show in detail."""
        return tuple(range(seed, seed + self.seeds))

    def ceilings(self, mlp: str) -> dict[int, float]:
        """R^max of the family's model (``mlp``, or ``"moe"`` for the mixture) at every width of the setup's ladder:
        the most its capacity ratio can be there, whatever the training (what :func:`~memcap.measures.peaks.find_peak`
        closes a peak with)."""
        k = self.setup
        mlp = f"moe{self.moe_experts}" if mlp == "moe" else mlp
        bits = knowledge_bits_approx(k.spec())
        return {w.width: bits / k.biod_run(w.width, max(k.exposures), mlp=mlp).model.n_params for w in k.widths}

    def runs(self, seed: int = 0) -> dict[str, Any]:
        """The chapter's runs: those of its first seed (:meth:`seed_runs`), and ``more_seeds`` (seed -> the same
        runs at that seed) when it trains more than one."""
        first, *more = self.seed_list(seed)
        return {**self.seed_runs(first), **({"more_seeds": {s: self.seed_runs(s) for s in more}} if more else {})}

    def seed_runs(self, seed: int) -> dict[str, Any]:
        """The runs of one seed: ``arch`` (family -> every width at every exposure count), ``moe`` (every mixture
        width at every count), ``removal`` (the deeper GPT-2 at the higher count) and ``junk`` (set-up -> exposures
        -> run)."""
        k = self.setup
        kw = dict(data_seed=seed, init_seed=seed)
        low = min(k.exposures)
        arch = {a.mlp: [k.biod_run(w, e, mlp=a.mlp, **kw) for e in k.exposures
                        for w in sorted(a.low if e == low else a.high)]
                for a in self.archs}
        moe = [k.biod_run(w, e, mlp=f"moe{self.moe_experts}", **kw) for e in k.exposures for w in self.moe_widths]
        removal = k.biod_run(self.removal_width, max(k.exposures), n_layer=self.removal_depth, **kw)
        junk = {}
        useful = self.junk_batch_size - junk_windows(self.junk_ratio, self.junk_batch_size)  # windows per step
        for name, j in self.junk_setups.items():
            junk[name] = {
                e: (k.junk_run(self.junk_width, e, j.junk_people, self.junk_ratio, self.junk_batch_size,
                               domain_token=j.domain_token, **kw)
                    if j.junk_people else k.biod_run(self.junk_width, e, batch_size=useful, **kw))
                for e in self.junk_exposures}
        return dict(arch=arch, moe=moe, removal=removal, junk=junk)


def _junk_setups(random: int, repetitive: int) -> dict[str, Junk]:
    return {"no junk": Junk(0, False), "random junk": Junk(random, False),
            "repetitive junk": Junk(repetitive, False), "random junk + domain token": Junk(random, True)}


ARCHITECTURE_THRESHOLDS = dict(  # fixed before the default runs were trained (book/thresholds.md)
    max_calibration_error=0.02, min_R_beyond_fresh=0.5, min_arch_ratio_high=0.7, min_no_mlp_gap_low=1.1,
    max_gated_ratio_low=1.05, min_gated_ratio_low=None, min_quarter_ratio_low=0.8, min_moe_over_quarter=1.1,
    # declared on 2026-12-06, after default seeds 0-2 (engine 2: 1.60, mean 1.53 [1.35, 1.71]), before default seeds
    # 4 and 5 and smoke seed sets 19 and 22 were trained (the paper: 1.3)
    min_gpt2_over_moe_high=1.2,
    max_last_layer_share=0.75, min_junk_loss_low=2.0, min_domain_recovery_low=0.2, min_repetitive_share_low=0.7,
    # the paper: the domain token limits the loss to 2x at 100 exposures and removes it at 300 (against the no-junk
    # runs at 100)
    min_domain_catch_up=0.7,
)
# changed after a default run; their claims are declared revised (book/thresholds.md has both values): two after the
# first (2026-12-02), and the domain token's after the first two seeds of the junk on R_values (2026-12-06). The
# token's catch-up at 300 exposures, asserted after it held on seeds 2 and 3, failed on the fresh default seed 5
# (engine 3: 0.585 against 0.7; seeds 0 and 4 held it, 1.12 and 1.17): shown, not claimed, at default since
ARCHITECTURE_REVISED = dict(ARCHITECTURE_THRESHOLDS, min_arch_ratio_high=0.6, max_gated_ratio_low=None,
                            min_gated_ratio_low=1.0, min_domain_recovery_low=None, min_domain_catch_up=None)
SMOKE_ARCHITECTURE_THRESHOLDS = dict(  # smoke: seconds of training; the effects set to None are shown, not claimed
    # (no MLP's cost kept its default threshold on fresh smoke seeds 5-8; the family ratio at the higher count, the
    # gated MLP's direction, MLP/4's share and the mixture's gain did not: book/thresholds.md). With three seeds a
    # point (2026-12-06) the gated MLP's default direction and MLP/4's share, judged on their mean at their default
    # thresholds, were to be claimed if they held on seed sets 10-12 and 13-15 (fixed before those runs): the gated
    # MLP's held (1.52, 1.03; 1.23 on set 0-2), MLP/4's did not (0.87, 0.69)
    ARCHITECTURE_THRESHOLDS, min_R_beyond_fresh=0.02, min_arch_ratio_high=None, max_gated_ratio_low=None,
    min_gated_ratio_low=1.0, min_quarter_ratio_low=None, min_moe_over_quarter=None,
    # on R_values the domain token gave back 0.07 of random junk's cost on smoke seed 0 (width 16, 100 exposures);
    # smoke trains one junk count
    min_domain_recovery_low=None, min_domain_catch_up=None,
)


BY_SCALE = {
    "smoke": ArchitecturePreset(
        # its own set-up, as at default: chapter 3's smoke runs see more exposures and one more width
        setup=replace(KNOWLEDGE_SETUPS["smoke"], exposures=(100, 30), widths=(Width(8, 3e-2), Width(16, 3e-2))),
        archs=tuple(Arch(m, (8, 16), (8, 16)) for m in ("standard", "gated", "quarter", "none")),
        # junk: the width and count where the no-junk run stores values (at width 8 or 30 exposures it stores none)
        moe_experts=4, moe_widths=(8,), removal_depth=2, removal_width=8, junk_width=16, junk_exposures=(100,),
        junk_ratio=0.875, junk_batch_size=32, junk_setups=_junk_setups(random=400, repetitive=2),
        require_bracketed_peaks=False, seeds=3, stack=8, stack_max_params=10_000,
        **SMOKE_ARCHITECTURE_THRESHOLDS,
    ),
    "default": ArchitecturePreset(
        setup=replace(KNOWLEDGE_SETUPS["default"], n_people=1000,
                      widths=tuple(Width(w, 2e-2) for w in (16, 24, 32, 40, 48, 56))),
        # at 1000 exposures GPT-2's and the gated MLP's ladders stop at the peak: the next width's ceiling R^max is
        # below it. Peaks move from seed to seed: the gated MLP's at 100 exposures (open at width 40 on seed 2 of an
        # earlier edition, at 24 on seed 2 of this one) spans 16 to 48; on default seed 4 (engine 3) MLP/4's peaks
        # sat at the wider end of its ladders and no MLP's at 1000 at the narrower end, so those ladders gained a
        # width on that side (2026-12-06)
        archs=(Arch("standard", (16, 24), (24, 32, 40, 48)), Arch("gated", (16, 24), (16, 24, 32, 40, 48)),
               Arch("quarter", (24, 32, 40), (24, 32, 40, 48, 56)), Arch("none", (32, 40, 48), (24, 32, 40, 48))),
        moe_experts=8, moe_widths=(16, 24), removal_depth=4, removal_width=16, junk_width=24,
        junk_exposures=(100, 300), junk_ratio=0.875, junk_batch_size=256,
        junk_setups=_junk_setups(random=200_000, repetitive=10), require_bracketed_peaks=True,
        # one seed: three take about 45 minutes cold on 2 cores (benchmarks/RESULTS.md; `memcap batch 7 --grid
        # seed=0,1,2` runs them), and at 8-80 thousand parameters stacking them gains nothing on a CPU
        seeds=1, stack=1, stack_max_params=0, **ARCHITECTURE_REVISED,
    ),
    "paper": ArchitecturePreset(
        setup=KNOWLEDGE_SETUPS["paper"],
        archs=tuple(Arch(m, (128, 256, 384, 512), (128, 256, 384, 512))
                    for m in ("standard", "gated", "quarter", "none")),
        moe_experts=32, moe_widths=(128, 256), removal_depth=8, removal_width=256, junk_width=256,
        junk_exposures=(100, 300, 600, 1000), junk_ratio=0.875, junk_batch_size=768,
        junk_setups=_junk_setups(random=2_000_000, repetitive=1000), require_bracketed_peaks=True,
        # the paper's direction: a paper-scale run tests the paper, not our revision
        seeds=3, stack=1, stack_max_params=0, **ARCHITECTURE_THRESHOLDS,
    ),
}


CLAIMS = declare(
    "07_architecture",
    Claim("calibrated", "an untrained model codes at log2 V bits per token", kind="sanity",
          settings=("max_calibration_error",), caught_by=("nats",), fixed="2026-12-01"),
    Claim("stores_own_people", "trained models store knowledge of their own people beyond fresh ones",
          settings=("min_R_beyond_fresh",), caught_by=("lr0",), fixed="2026-12-02"),
    Claim("peaks_bracketed", "every family's peak is closed on both sides by a trained width", kind="sanity",
          settings=("require_bracketed_peaks",), fixed="2026-12-02"),
    Claim("families_close_high", "at the higher exposure count every family's peak R is at least the threshold "
          "times GPT-2's", settings=("min_arch_ratio_high",), fixed="2026-12-02", revised=("default",),
          replicated_seeds={"default": (1, 2)}),
    Claim("no_mlp_costs_low", "at the lower exposure count GPT-2 stores the threshold times what a model without "
          "MLP stores, or more", settings=("min_no_mlp_gap_low",), caught_by=("lr0",), fixed="2026-12-02"),
    # default: 1.05 until the first default run failed it (2026-12-02), then shown (None): revised there
    Claim("gated_not_above_low", "at the lower exposure count the gated MLP stores no more than the threshold "
          "times GPT-2's (the paper's direction, Result 5)", settings=("max_gated_ratio_low",), fixed="2026-12-02",
          revised=("default",)),
    # at smoke first judged on seeds 0-2 (three seeds a point), then held on the seed sets from 10 and 13
    Claim("gated_at_least_low", "at the lower exposure count the gated MLP stores at least the threshold times "
          "GPT-2's (our default runs' direction, against the paper's)", settings=("min_gated_ratio_low",),
          caught_by=("lr0",), fixed="2026-12-02", revised=("default", "smoke"),
          replicated_seeds={"default": (1, 2), "smoke": (10, 13)}),
    Claim("quarter_keeps_low", "at the lower exposure count MLP/4 keeps at least the threshold of GPT-2's peak",
          settings=("min_quarter_ratio_low",), fixed="2026-12-02"),
    Claim("experts_add", "at the higher exposure count the mixture stores at least the threshold times the bits "
          "of MLP/4 of its width", settings=("min_moe_over_quarter",), fixed="2026-12-02"),
    Claim("moe_less_per_param", "at the higher exposure count the mixture stores less per parameter it holds than "
          "GPT-2: GPT-2's peak R is at least the threshold times the mixture's peak R per total parameter (the "
          "paper's quantity, Result 9)", settings=("min_gpt2_over_moe_high",), caught_by=("lr0", "nats"),
          fixed="2026-12-06", revised=("smoke", "default"), replicated_seeds={"smoke": (19, 22), "default": (4, 5)}),
    Claim("last_layer_matters", "removing the last layer takes much more than 1/L of the knowledge",
          settings=("max_last_layer_share",), caught_by=("lr0", "nats"), fixed="2026-12-02"),
    Claim("every_layer_matters", "removing any one layer takes much more than 1/L of the knowledge: for every "
          "layer, the bound's bits left (not clipped at 0) are at most the threshold x (1 - 1/L) of the whole "
          "model's, and recall falls below the whole model's", settings=("max_last_layer_share",),
          caught_by=("lr0", "nats"), fixed="2026-12-05", revised=True,
          # smoke: recall judged on its mean over three seeds since 2026-12-06 (after the set from 10, where one
          # seed's recall did not fall), held on the sets from 13 and 16
          replicated_seeds={"default": (1, 2), "smoke": (13, 16)}),
    # the junk claims are on R_values, the useful people's value term (a junk mixture's own cost on the names is
    # not forgetting), with junk people of the useful world: both decided before the runs that judge them
    Claim("junk_costs", "at the lower junk exposure count random junk cuts what the model stores of the useful "
          "people's values (R_values) by at least the threshold factor", settings=("min_junk_loss_low",),
          caught_by=("lr0", "nats"), fixed="2026-12-06"),
    Claim("domain_token_recovers", "at the lower junk exposure count the domain token recovers at least the "
          "threshold share of what random junk costs in R_values", settings=("min_domain_recovery_low",),
          # smoke: asserted on R (2026-12-05), shown on R_values (2026-12-06) after smoke seed 0's 0.07: revised
          fixed="2026-12-06", revised=("smoke", "default")),
    Claim("domain_token_catches_up", "with the domain token, random junk at the higher junk exposure count stores "
          "at least the threshold times the useful values (R_values) that no junk stores at the lower count (the "
          "paper's comparison: the token removes the loss at 300 exposures)", settings=("min_domain_catch_up",),
          fixed="2026-12-06", revised=("default",), replicated_seeds={"default": (2, 3)}),
    Claim("repetitive_junk_keeps", "repetitive junk keeps at least the threshold share of R_values",
          settings=("min_repetitive_share_low",), caught_by=("lr0",), fixed="2026-12-06"),
)
