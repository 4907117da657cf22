"""Chapter 8's settings (membership inference as the field measures it): families of shadow models on uniform
sequences, one family per dataset size, with the claims' thresholds, per scale (book/thresholds.md says how each
threshold was set).

    >>> runs = BY_SCALE["smoke"].runs()
    >>> sorted(runs), len(runs["shadows"]) == len(BY_SCALE["smoke"].dataset_bits_per_param) * BY_SCALE["smoke"].n_models
    (['reference', 'shadows'], True)
"""

from __future__ import annotations

from dataclasses import dataclass

from memcap.book.presets.capacity_sweep import CAPACITY_SWEEPS, CapacitySweep, Layers
from memcap.book.presets.claim import Claim, declare
from memcap.book.presets.settings import PresetBase, setting
from memcap.engine.runs.shadow import family


@dataclass(frozen=True)
class AttacksPreset(PresetBase):
    sweep: CapacitySweep = setting("chapter 2's sweep, shared: vocabulary, sequence length, training settings",
                                   expand=False)
    model: Layers = setting("the attacked model's shape (one of the sweep's)")
    vocab_size: int | None = setting("V of the families' sequences (None: the sweep's); a smaller V, a smaller model")
    seq_len: int | None = setting("S of the families' sequences (None: the sweep's)")
    dataset_bits_per_param: tuple[float, ...] = setting("dataset sizes H(X)/P, from below capacity to far past it")
    near_capacity: float = setting("the dataset size (one of the above) nearest the model's capacity (chapter 2)")
    n_models: int = setting("models per family: each the target once, the others its shadows (even, >= 6)")
    max_steps: int = setting("step cap of every run (the sweep's rule, capped)")
    lr: float | None = setting("the families' learning rate (None: the sweep's for the shape)")
    min_k: float = setting("Min-K% and Min-K%++: the share of lowest-scoring tokens averaged (Shi et al.: 0.2)")
    fprs: tuple[float, ...] = setting("true-positive rates are read at these false-positive rates")
    n_boot: int = setting("bootstrap resamples of every interval (whole samples resampled)")
    max_calibration_error: float = setting("claim: untrained models code at log2 V a token, to this relative error")
    min_told_apart_gap: float = setting(
        "claim: the smallest set's LOSS AUC lower bound exceeds the fresh-vs-fresh upper bound by this much")
    min_auc_drop: float | None = setting(
        "claim: each attack's smallest-set AUC lower bound minus its largest-set upper bound above this (None: shown)")
    min_lira_tpr_ratio: float | None = setting(
        "claim: online LiRA's TPR at the first FPR over LOSS's, on the largest set with members found (None: shown)")
    max_lira_tpr_ratio: float | None = setting(
        "claim: the same ratio at most this on uniform sequences, where no sample is harder than another (None: shown)")
    min_mem_spearman: float | None = setting(
        "claim: lower bound of each attack's rank correlation with mem_U, set nearest capacity (None: shown)")

    def __post_init__(self):
        if self.n_models < 6 or self.n_models % 2:
            raise ValueError(f"n_models must be even and at least 6 (online LiRA needs two IN and two OUT shadows "
                             f"per sample), got n_models={self.n_models!r}")
        if not 0 < self.min_k <= 1:
            raise ValueError(f"min_k is a share of tokens in (0, 1], got min_k={self.min_k!r}")
        if len(self.dataset_bits_per_param) < 3 or list(self.dataset_bits_per_param) != sorted(
                set(self.dataset_bits_per_param)):
            raise ValueError(f"need at least three increasing dataset sizes, got {self.dataset_bits_per_param!r}")
        if self.near_capacity not in self.dataset_bits_per_param[:-1]:
            raise ValueError(f"near_capacity={self.near_capacity!r} must be one of the dataset sizes but the largest "
                             f"{self.dataset_bits_per_param!r}: the chapter reads the size after it too")

    def base(self, ratio: float, seed: int = 0, data_seed: int | None = None):
        """The capacity run a family copies: the sweep's run of :attr:`model` at ``ratio`` (its step rule, capped at
        :attr:`max_steps`)."""
        L, w = self.model
        data_seed = seed if data_seed is None else data_seed
        shape = dict(vocab_size=self.vocab_size, seq_len=self.seq_len)
        steps = self.sweep.run(L, w, ratio, **shape).train.max_steps
        rate = {} if self.lr is None else dict(lr=self.lr)
        return self.sweep.run(L, w, ratio, **shape, data_seed=data_seed, init_seed=seed,
                              max_steps=min(self.max_steps, steps), **rate)

    def runs(self, seed: int = 0) -> dict[str, list]:
        """``shadows``: one family of :attr:`n_models` per dataset size, sizes in order; ``reference``: per size, a
        model of the same shape trained on N other sequences of the same source (the reference attack's model)."""
        sizes = self.dataset_bits_per_param
        return dict(
            shadows=[s for r in sizes for s in family(self.base(r, seed), self.n_models)],
            reference=[self.base(r, seed, data_seed=10_000 + seed) for r in sizes],
        )


BY_SCALE = {
    "smoke": AttacksPreset(
        sweep=CAPACITY_SWEEPS["smoke"], model=Layers(1, 8), vocab_size=None, seq_len=None,
        dataset_bits_per_param=(1, 4, 16), near_capacity=4, n_models=8, max_steps=800, lr=None, min_k=0.2,
        fprs=(0.01, 0.001), n_boot=100, max_calibration_error=0.02, min_told_apart_gap=0.05, min_auc_drop=0.0,
        min_lira_tpr_ratio=None, max_lira_tpr_ratio=1.0, min_mem_spearman=0.0,
    ),
    "default": AttacksPreset(
        sweep=CAPACITY_SWEEPS["default"], model=Layers(2, 12), vocab_size=16, seq_len=16,
        dataset_bits_per_param=(1, 4, 16, 64), near_capacity=4, n_models=8, max_steps=10_000, lr=1e-2, min_k=0.2,
        fprs=(0.01, 0.001), n_boot=500, max_calibration_error=0.02, min_told_apart_gap=0.05, min_auc_drop=0.0,
        min_lira_tpr_ratio=None, max_lira_tpr_ratio=1.0, min_mem_spearman=0.0,
    ),
    "paper": AttacksPreset(
        sweep=CAPACITY_SWEEPS["paper"], model=Layers(2, 64), vocab_size=None, seq_len=None,
        dataset_bits_per_param=(1, 4, 16, 64, 256), near_capacity=4, n_models=16, max_steps=200_000, lr=None,
        min_k=0.2,
        fprs=(0.01, 0.001), n_boot=1000, max_calibration_error=0.02, min_told_apart_gap=0.05, min_auc_drop=0.0,
        min_lira_tpr_ratio=1.0, max_lira_tpr_ratio=None, min_mem_spearman=0.0,
    ),
}


CLAIMS = declare(
    "08_attacks",
    Claim("calibrated", "an untrained model codes at log2 V bits per token", kind="sanity",
          settings=("max_calibration_error",), caught_by=("nats",), fixed="2026-12-06"),
    Claim("metrics_on_toy", "on simulated scores the attack that is sure of a tenth of the members finds over ten "
          "times as many at the lowest FPR as the one that shifts every member a little", kind="sanity",
          caught_by=("labels",), fixed="2026-12-06"),
    Claim("blind_at_chance", "a classifier that sees only the tokens (the blind baseline) does not tell the first "
          "target's members from its non-members: its AUC interval contains 0.5 on every set", kind="sanity",
          fixed="2026-12-06"),
    Claim("members_told_apart", "on the smallest dataset LOSS tells members from non-members: its AUC's lower "
          "bound above the upper bound of the same attack on two fresh sets, by the margin",
          settings=("min_told_apart_gap",), bound="min", caught_by=("lr0", "fresh", "labels"), fixed="2026-12-06"),
    Claim("auc_falls", "every attack's AUC falls as the dataset grows past capacity: on the largest set its interval "
          "lies below the smallest set's", settings=("min_auc_drop",), bound="above",
          caught_by=("lr0", "fresh", "labels"),
          fixed="2026-12-06"),
    Claim("lira_at_low_fpr", "online LiRA finds at least as many members as LOSS at the first FPR, on the largest "
          "dataset where LOSS finds members beyond chance (its TPR's interval above the FPR): its TPR over LOSS's",
          settings=("min_lira_tpr_ratio",), bound="min", fixed="2026-12-06", revised=("smoke", "default")),
    Claim("lira_no_gain_uniform", "on uniform sequences, where no sample is harder than another, online LiRA finds "
          "no more members than LOSS at the first FPR (its TPR over LOSS's, on the largest dataset where LOSS finds "
          "members beyond chance)", settings=("max_lira_tpr_ratio",), bound="max",
          caught_by=("lr0", "fresh"), fixed="2026-12-06", revised=("smoke", "default"),
          replicated_seeds={"smoke": (3, 4), "default": (1, 2)}),
    Claim("scores_track_memorization", "on the dataset nearest capacity every attack's score rises with the "
          "sample's mem_U (lower bound of the rank correlation across targets)", settings=("min_mem_spearman",),
          bound="above", caught_by=("fresh",), fixed="2026-12-06", revised=("smoke",),
          replicated_seeds={"smoke": (1, 2)}),
)
