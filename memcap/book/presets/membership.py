"""Chapter 5's settings (membership inference and its scaling law): the attacked runs, larger datasets, held-out
runs and bioS (at chapter 3's budget, except at smoke), with the claims' thresholds, per scale (book/thresholds.md
says how each threshold was set).

    >>> sorted(BY_SCALE["smoke"].runs())
    ['bios', 'extra', 'held_out', 'main']
"""

from __future__ import annotations

from dataclasses import dataclass

from memcap.book.presets.claim import Claim, declare
from memcap.book.presets.capacity_sweep import CAPACITY_SWEEPS, CapacitySweep, Config, Layers
from memcap.book.presets.knowledge_setup import KNOWLEDGE_SETUPS, KnowledgeSetup
from memcap.book.presets.settings import PresetBase, setting


@dataclass(frozen=True)
class MembershipPreset(PresetBase):
    sweep: CapacitySweep = setting("chapter 2's sweep, shared: its runs are attacked", expand=False)
    knowledge: KnowledgeSetup = setting("chapter 3's set-up, shared: bioS runs at its training budget", expand=False)
    extra_models: tuple[Layers, ...] = setting("sweep models also trained on larger datasets")
    extra_ratios: tuple[float, ...] = setting("those datasets, H(X)/P: many times past capacity")
    extra_max_steps: int = setting("step cap of the larger-dataset runs")
    heldout_runs: tuple[Config, ...] = setting("runs predicted by the fitted law, not fitted")
    prefix_lens: tuple[int, ...] = setting("greedy extraction from prefixes of these lengths")
    extract_tokens: int = setting("extraction is judged on this many next tokens")
    max_attack_samples: int = setting("members (and as many non-members) attacked per run")
    n_boot: int = setting("bootstrap resamples of every interval")
    tpr_fpr: float = setting("LOSS's true-positive rate is read at this false-positive rate (Carlini et al. 2022)")
    plateau_tolerance: float = setting("capacity from the sweep as chapter 2 measures it (same tolerance)")
    max_calibration_error: float = setting("claim: untrained models code at log2 V a token, to this relative error")
    min_stored_fraction_small: float = setting("claim: as chapter 2's, on the runs attacked here")
    spearman_level: float = setting("claim: one-sided Spearman test that F1 falls with x, at this level")
    max_law_rmse: float = setting("claim: the fitted law's RMSE in F1")
    max_heldout_error: float | None = setting("claim: the law's mean error on held-out runs, F1 points (None: shown)")
    min_informative_f1: float = setting("claim: the lower CI bound of F1 where extraction reads zero")
    require_informative_without_extraction: bool = setting("claim that such runs exist")
    bios_widths: tuple[int, ...] = setting("bioS model widths")
    bios_people: tuple[int, ...] = setting("bioS people counts, every run with the same presentations")
    bios_presentations: int | None = setting(
        "biography presentations per bioS run (None: chapter 3's budget, its people x exposures)")
    bios_vocabulary: str = setting(
        "bioS vocabulary: 'pool' (every word of the world, as chapter 3) or 'used' (the words the people use)")
    bios_measure_people: int = setting("people attacked per bioS run")
    bios_min_top_f1: float | None = setting("claim: the largest bioS F1 at least (None: not claimed)")
    bios_max_bottom_f1: float | None = setting("claim: the smallest bioS F1 at most (None: not claimed)")
    min_bios_heldout_extraction: float | None = setting(
        "claim: held-out people's template words are extracted at least this often (None: not claimed)")

    def runs(self, seed: int = 0) -> dict[str, list]:
        """The chapter's runs: ``main`` (chapter 2's grid), ``extra`` (larger datasets), ``held_out`` (predicted by
        the law, not fitted) and ``bios`` (every width on every people count, each run with
        ``bios_presentations`` biography presentations, by default chapter 3's training budget, then chapter 3's
        bioS_simple run)."""
        sw, k = self.sweep, self.knowledge
        given = self.bios_presentations
        if given is not None and (isinstance(given, bool) or not isinstance(given, int) or given < 1):
            raise ValueError(f"bios_presentations must be a positive integer or None, got {given!r}")
        budget = given or k.bios_people * k.bios_exposures  # biography presentations per run
        bios = [k.bios_run("bioS", max(1, round(budget / n)), n, data_seed=seed, init_seed=seed, width=w,
                           measure_people=self.bios_measure_people, vocabulary=self.bios_vocabulary)
                for w in self.bios_widths for n in self.bios_people]
        bios.append(k.bios_run("bioS_simple", data_seed=seed, init_seed=seed))
        capped = dict(data_seed=seed, init_seed=seed, max_steps=self.extra_max_steps)
        return dict(
            main=sw.grid(data_seed=seed, init_seed=seed),
            extra=[sw.run(L, w, r, **capped) for L, w in self.extra_models for r in self.extra_ratios],
            held_out=[sw.run(L, w, r, **capped) for L, w, r in self.heldout_runs],
            bios=bios,
        )


def _membership(scale: str, **kw) -> MembershipPreset:
    return MembershipPreset(sweep=CAPACITY_SWEEPS[scale], knowledge=KNOWLEDGE_SETUPS[scale], plateau_tolerance=0.05,
                            max_calibration_error=0.02, tpr_fpr=0.01, **kw)



BY_SCALE = {
    "smoke": _membership(
        "smoke", min_stored_fraction_small=0.5, extra_models=(Layers(1, 8),), extra_ratios=(6, 12),
        extra_max_steps=400, heldout_runs=(Config(1, 12, 6), Config(1, 8, 24)), prefix_lens=(2, 4),
        # 4 next tokens, not 2 (2026-12-06): at V = 8 a guess gets 2 right with probability 1/64, so on 200 samples
        # extraction never read zero and "where extraction reads zero" had no runs; now 8^-4 x 200 x 2 prefixes = 0.1
        extract_tokens=4, max_attack_samples=200, n_boot=100, spearman_level=0.01, max_law_rmse=0.05,
        max_heldout_error=None, min_informative_f1=0.55, require_informative_without_extraction=True,
        bios_widths=(8, 16, 32), bios_people=(40, 200, 1000), bios_presentations=4000, bios_vocabulary="used",
        bios_measure_people=50, bios_min_top_f1=0.95, bios_max_bottom_f1=0.6, min_bios_heldout_extraction=0.001,
    ),
    "default": _membership(
        "default", min_stored_fraction_small=0.9, extra_models=(Layers(2, 12), Layers(2, 16)),
        extra_ratios=(40, 160), extra_max_steps=6000, heldout_runs=(Config(2, 32, 40), Config(2, 12, 640)),
        prefix_lens=(4, 8, 16), extract_tokens=8, max_attack_samples=2000, n_boot=500, spearman_level=0.01,
        max_law_rmse=0.05, max_heldout_error=0.08, min_informative_f1=0.55,
        require_informative_without_extraction=True, bios_widths=(16, 32, 64), bios_people=(300, 3000, 30000),
        bios_presentations=None, bios_vocabulary="pool",
        bios_measure_people=1000, bios_min_top_f1=0.95, bios_max_bottom_f1=0.6, min_bios_heldout_extraction=0.001,
    ),
    "paper": _membership(
        "paper", min_stored_fraction_small=0.9, extra_models=(Layers(2, 64), Layers(4, 128)),
        extra_ratios=(32, 128, 512), extra_max_steps=200_000, heldout_runs=(Config(8, 256, 64), Config(2, 64, 2048)),
        prefix_lens=(8, 16, 32), extract_tokens=16, max_attack_samples=5000, n_boot=1000, spearman_level=0.01,
        max_law_rmse=0.05, max_heldout_error=0.08, min_informative_f1=0.55,
        require_informative_without_extraction=True, bios_widths=(128, 256, 512),
        bios_people=(100_000, 300_000, 1_000_000), bios_presentations=None, bios_vocabulary="pool",
        bios_measure_people=10_000, bios_min_top_f1=0.95,
        bios_max_bottom_f1=0.6, min_bios_heldout_extraction=0.001,
    ),
}


CLAIMS = declare(
    "05_membership",
    Claim("calibrated", "an untrained model codes at log2 V bits per token", kind="sanity",
          settings=("max_calibration_error",), fixed="2026-12-01"),
    Claim("stores_small_dataset", "on its smallest dataset every model stores its training sequences beyond fresh "
          "ones (chapter 2's baseline, on the runs attacked here)", settings=("min_stored_fraction_small",),
          caught_by=("lr0",), fixed="2026-11-23"),
    Claim("members_told_apart", "members of the smallest dataset are told apart from fresh sequences: F1's lower "
          "bound above the upper bound of two fresh sets", caught_by=("labels",), fixed="2026-11-23"),
    Claim("extracted_not_fresh", "training sequences are extracted more often than fresh ones", caught_by=("lr0",),
          fixed="2026-11-23"),
    Claim("f1_falls", "F1 falls as the data grow past capacity (one-sided Spearman test)",
          settings=("spearman_level",), fixed="2026-12-01", revised=True,
          replicated_seeds={"smoke": (1, 2, 3, 4), "default": (1, 2)},
          caught_by=("labels",)),
    # judged at smoke since 2026-12-06 (the smoke runs' extraction changed after seed 0 was seen): held on fresh
    # smoke seeds 41 and 42
    Claim("informative_without_extraction", "where extraction reads zero, F1 can still be clearly above chance: "
          "the best such run's lower bound exceeds the threshold",
          settings=("require_informative_without_extraction", "min_informative_f1"), bound="",
          caught_by=("lr0", "labels"), fixed="2026-11-23", revised=("smoke",),
          replicated_seeds={"smoke": (41, 42)}),
    Claim("law_fits", "the sigmoid law fits the runs (RMSE in F1)", settings=("max_law_rmse",),
          caught_by=("lr0",), fixed="2026-11-23"),
    Claim("law_predicts_held_out", "the law predicts the held-out runs (mean error in F1)",
          settings=("max_heldout_error",), fixed="2026-11-23"),
    # declared on 2026-12-06 before any run of this chapter measured LOSS's AUC or TPR: F1's test and bounds, on
    # the law's other metrics; auc_falls after smoke seeds 0, 41 and 42 had shown AUC (so revised at smoke), held
    # on fresh smoke seeds 43 and 44
    Claim("auc_falls", "LOSS's AUC falls as the data grow past capacity (one-sided Spearman test)",
          settings=("spearman_level",), caught_by=("lr0", "labels"), fixed="2026-12-06",
          revised=("smoke",), replicated_seeds={"smoke": (43, 44)}),
    Claim("auc_law_fits", "a sigmoid law of the same form, its constants fitted again, fits LOSS's AUC over the "
          "runs (RMSE in AUC)", settings=("max_law_rmse",), caught_by=("lr0",), fixed="2026-12-06"),
    Claim("auc_law_predicts_held_out", "the law fitted to AUC predicts the held-out runs' AUC (mean error)",
          settings=("max_heldout_error",), fixed="2026-12-06"),
    Claim("tpr_law_fits", "the law fits LOSS's TPR at the low FPR, moved to the law's scale (RMSE)", kind="observed",
          settings=("max_law_rmse",), fixed="2026-12-06"),
    # declared on 2026-12-07 before any run was scored by zlib, Min-K% or Min-K%++: LOSS's AUC bounds, for the worst
    # of the attacks that read the model alone
    Claim("every_auc_law_fits", "the law, its constants fitted again for each attack that reads the model alone "
          "(LOSS, zlib, Min-K%, Min-K%++), fits that attack's AUC over the runs (the largest RMSE)",
          settings=("max_law_rmse",), caught_by=("lr0",), fixed="2026-12-07"),
    Claim("every_auc_law_predicts_held_out", "each of those laws predicts the held-out runs' AUC (the largest mean "
          "error)", settings=("max_heldout_error",), fixed="2026-12-07"),
    Claim("calibrated_bios", "an untrained bioS model codes at log2 V bits per token", kind="sanity",
          settings=("max_calibration_error",), fixed="2026-12-01"),
    Claim("bios_top_beyond_chance", "the smallest bioS dataset per parameter is told apart, beyond two fresh sets",
          settings=("bios_min_top_f1",), bound="", caught_by=("labels",), fixed="2026-11-23"),
    Claim("bios_top_f1", "the smallest bioS dataset per parameter is told apart: F1 at least the threshold",
          settings=("bios_min_top_f1",), bound="min", caught_by=("labels",), fixed="2026-11-23"),
    Claim("bios_bottom_near_chance", "the largest bioS dataset per parameter approaches chance",
          settings=("bios_max_bottom_f1",), bound="max", caught_by=("shift",), fixed="2026-11-23"),
    Claim("bios_f1_falls", "bioS F1 falls as the data grow per parameter (one-sided Spearman test)",
          settings=("spearman_level", "bios_min_top_f1"), fixed="2026-12-01", revised=True,
          replicated_seeds={"smoke": (1, 2), "default": (1, 2)}, caught_by=("labels",)),
    Claim("bios_template_extracted", "template words are extracted for people never trained on",
          settings=("min_bios_heldout_extraction",), caught_by=("lr0",), fixed="2026-11-23"),
)
