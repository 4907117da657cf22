"""Chapter 8's settings (membership inference as the field measures it): families of shadow models on uniform
sequences, one family per dataset size, on synthetic biographies (chapter 3's bioS shape) and on real text (chapter
6's corpus, models and references), with the
claims' thresholds, per scale (book/thresholds.md says how each threshold was set).

    >>> runs = BY_SCALE["smoke"].runs()
    >>> sorted(runs), len(runs["shadows"]) == len(BY_SCALE["smoke"].dataset_bits_per_param) * BY_SCALE["smoke"].n_models
    (['bios_reference', 'bios_shadows', 'reference', 'shadows', 'text_deals', 'text_oracle', 'text_reference', \
'text_shadows'], True)
    >>> len(runs["text_shadows"]) == len(BY_SCALE["smoke"].text_sizes) * BY_SCALE["smoke"].text_models
    True
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from memcap.book.presets.capacity_sweep import CAPACITY_SWEEPS, CapacitySweep, Layers
from memcap.book.presets.claim import Claim, declare
from memcap.book.presets.knowledge_setup import KNOWLEDGE_SETUPS, KnowledgeSetup
from memcap.book.presets.settings import PresetBase, setting
from memcap.book.presets.text import BY_SCALE as TEXT_BY_SCALE
from memcap.book.presets.text import TextPreset
from memcap.engine.runs.bios_shadow import bios_family
from memcap.engine.runs.shadow import family
from memcap.engine.runs.text_shadow import text_family


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
    knowledge: KnowledgeSetup = setting("chapter 3's settings, shared: bioS's layers, sequence length, batch, "
                                        "learning rate and schedule", expand=False)
    bios_width: int = setting("the bioS families' model width")
    bios_people: tuple[int, ...] = setting("N of each bioS family: people per model (its pool: 2N people)")
    bios_presentations: int = setting("biographies every bioS model trains on (N x exposures, the same budget at "
                                      "every N)")
    bios_models: int = setting("models per bioS family (even, >= 6)")
    min_bios_reference_gain: float | None = setting(
        "claim: the reference's AUC lower bound minus LOSS's AUC, largest bioS set, above this (None: shown)")
    min_bios_auc_drop: float | None = setting(
        "claim: each attack's smallest-bioS-set AUC lower bound minus its largest-set upper bound (None: shown)")
    text: TextPreset = setting("chapter 6's settings, shared: the corpus and its deal, model shapes, training, "
                               "references", expand=False)
    text_width: int = setting("the text families' model: chapter 6's target of this width (and its main reference)")
    text_sizes: tuple[int, ...] = setting("N of each text family (its pool: 2N sequences of the pool split)")
    text_models: int = setting("models per text family (even, >= 6)")
    min_text_lira_tpr_ratio: float | None = setting(
        "claim: online LiRA's TPR at the first FPR over LOSS's, largest text set where LOSS finds members "
        "(None: shown)")
    min_text_reference_gain: float | None = setting(
        "claim: the reference's AUC lower bound minus LOSS's AUC, largest text set, above this (None: shown)")
    min_text_auc_drop: float | None = setting(
        "claim: each attack's smallest-text-set AUC lower bound minus its largest-set upper bound (None: shown)")

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
        if self.bios_models < 6 or self.bios_models % 2:
            raise ValueError(f"bios_models must be even and at least 6 (online LiRA needs two IN and two OUT shadows "
                             f"per sample), got bios_models={self.bios_models!r}")
        if len(self.bios_people) < 2 or list(self.bios_people) != sorted(set(self.bios_people)) or \
                self.bios_people[0] < 1:
            raise ValueError(f"need at least two increasing bioS set sizes >= 1, got bios_people={self.bios_people!r}")
        if self.bios_presentations < self.bios_people[-1]:
            raise ValueError(f"bios_presentations={self.bios_presentations!r} must give every person of the largest "
                             f"bioS set (N = {self.bios_people[-1]}) at least one exposure")
        if self.text_models < 6 or self.text_models % 2:
            raise ValueError(f"text_models must be even and at least 6 (online LiRA needs two IN and two OUT shadows "
                             f"per sample), got text_models={self.text_models!r}")
        if len(self.text_sizes) < 2 or list(self.text_sizes) != sorted(set(self.text_sizes)) or self.text_sizes[0] < 1:
            raise ValueError(f"need at least two increasing text set sizes >= 1, got text_sizes={self.text_sizes!r}")
        widths = [s.width for s in self.text.targets]
        if self.text_width not in widths:
            raise ValueError(f"text_width={self.text_width!r} must be one of chapter 6's target widths {widths}")

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

    def bios_base(self, n: int, seed: int = 0, data_seed: int | None = None):
        """The bioS run a bioS family copies: chapter 3's bioS shape of width :attr:`bios_width` on ``n`` people, each
        seen :attr:`bios_presentations` / ``n`` times (rounded; at least once), so that every set costs the same; the
        whole world's vocabulary, so a reference on other people reads the same token ids; measured on at most
        :data:`BIOS_MEASURED` of its people."""
        exposures = max(1, round(self.bios_presentations / n))
        return self.knowledge.bios_run("bioS", exposures, n, data_seed=seed if data_seed is None else data_seed,
                                       init_seed=seed, width=self.bios_width, measure_people=BIOS_MEASURED,
                                       vocabulary="pool")

    def check_text_splits(self, splits) -> None:
        """A ValueError naming :attr:`text_sizes` if the largest text family's pool (2N sequences) is larger than the
        pool split of chapter 6's deal (``splits``)."""
        need = 2 * max(self.text_sizes)
        if need > len(splits.pool):
            raise ValueError(f"text_sizes={self.text_sizes!r}: the largest family needs 2N = {need:,} sequences, more "
                             f"than the {len(splits.pool):,} of the pool split")

    @property
    def text_shape(self):
        """Chapter 6's target shape of width :attr:`text_width` (layers, width, learning rate)."""
        return next(s for s in self.text.targets if s.width == self.text_width)

    def text_base(self, n: int, seed: int = 0):
        """The text run a text family copies: chapter 6's target of :attr:`text_width` on N = ``n`` sequences, with
        its training settings, without extraction (the families are attacked, not decoded)."""
        return replace(self.text.target(self.text_shape, n, seed), prefix_lens=(), extract_tokens=0,
                       extract_samples=0)

    def runs(self, seed: int = 0) -> dict[str, list]:
        """``shadows``: one family of :attr:`n_models` per dataset size, sizes in order; ``reference``: per size, a
        model of the same shape trained on N other sequences of the same source (the reference attack's model);
        ``bios_shadows``: one family of :attr:`bios_models` per bioS set size, in order; ``bios_reference``: per
        size, a bioS model of the same shape trained on N people of another draw (the reference attack's model);
        ``text_shadows``: one family of :attr:`text_models` per text set size, in order; ``text_reference``: chapter
        6's main reference of the text families' shape (the reference attack's model on text); ``text_oracle``:
        chapter 6's oracle candidate (the larger reference); ``text_deals``: chapter 6's run trained on both deals
        of the corpus, its grid run then the earlier deal's (and the main reference of its shape, when that is not
        the families'). Chapter 6's runs of the same seed are the same runs."""
        sizes = self.dataset_bits_per_param
        _, w_e, n_e = self.text.earlier_target
        shape_e = next(s for s in self.text.targets if s.width == w_e)
        deals = [self.text.target(shape_e, n_e, seed), self.text.earlier(seed)]
        if w_e != self.text_width:
            deals.append(self.text.reference(shape_e, self.text.reference_steps, seed))
        return dict(
            shadows=[s for r in sizes for s in family(self.base(r, seed), self.n_models)],
            reference=[self.base(r, seed, data_seed=10_000 + seed) for r in sizes],
            bios_shadows=[s for n in self.bios_people
                          for s in bios_family(self.bios_base(n, seed), self.bios_models)],
            bios_reference=[self.bios_base(n, seed, data_seed=10_000 + seed) for n in self.bios_people],
            text_shadows=[s for n in self.text_sizes for s in text_family(self.text_base(n, seed), self.text_models)],
            text_reference=[self.text.reference(self.text_shape, self.text.reference_steps, seed)],
            text_oracle=[self.text.reference(self.text.oracle, self.text.oracle_steps, seed)],
            text_deals=deals,
        )


BIOS_MEASURED = 64  # people a bioS family's model is measured on (knowledge, recall) while and after it trains

# on biographies, fixed on 2026-12-07 before any bioS family had trained, in the field's direction at every scale;
# the reference's gain is shown at smoke and default since the first runs (book/thresholds.md)
BIOS_CLAIMS = dict(min_bios_auc_drop=0.0)
BIOS_REFERENCE = dict(min_bios_reference_gain=None)

# on text, fixed on 2026-12-06 before any text family had trained, in the field's direction at every scale
TEXT_CLAIMS = dict(min_text_lira_tpr_ratio=1.0, min_text_reference_gain=0.0, min_text_auc_drop=0.0)

BY_SCALE = {
    "smoke": AttacksPreset(
        sweep=CAPACITY_SWEEPS["smoke"], model=Layers(1, 8), vocab_size=None, seq_len=None,
        dataset_bits_per_param=(1, 4, 16), near_capacity=4, n_models=8, max_steps=800, lr=None, min_k=0.2,
        fprs=(0.01, 0.001), n_boot=100, max_calibration_error=0.02, min_told_apart_gap=0.05, min_auc_drop=0.0,
        min_lira_tpr_ratio=None, max_lira_tpr_ratio=1.0, min_mem_spearman=0.0,
        knowledge=KNOWLEDGE_SETUPS["smoke"], bios_width=8, bios_people=(8, 128), bios_presentations=400,
        bios_models=6,
        text=TEXT_BY_SCALE["smoke"], text_width=16, text_sizes=(16, 512), text_models=8,
        **TEXT_CLAIMS, **BIOS_CLAIMS, **BIOS_REFERENCE,
    ),
    "default": AttacksPreset(
        sweep=CAPACITY_SWEEPS["default"], model=Layers(2, 12), vocab_size=16, seq_len=16,
        dataset_bits_per_param=(1, 4, 16, 64), near_capacity=4, n_models=8, max_steps=10_000, lr=1e-2, min_k=0.2,
        fprs=(0.01, 0.001), n_boot=500, max_calibration_error=0.02, min_told_apart_gap=0.05, min_auc_drop=0.0,
        min_lira_tpr_ratio=None, max_lira_tpr_ratio=1.0, min_mem_spearman=0.0,
        knowledge=KNOWLEDGE_SETUPS["default"], bios_width=32, bios_people=(32, 512), bios_presentations=5_000,
        bios_models=8,
        text=TEXT_BY_SCALE["default"], text_width=32, text_sizes=(128, 2048), text_models=6,
        **TEXT_CLAIMS, **BIOS_CLAIMS, **BIOS_REFERENCE,
    ),
    "paper": AttacksPreset(
        sweep=CAPACITY_SWEEPS["paper"], model=Layers(2, 64), vocab_size=None, seq_len=None,
        dataset_bits_per_param=(1, 4, 16, 64, 256), near_capacity=4, n_models=16, max_steps=200_000, lr=None,
        min_k=0.2,
        fprs=(0.01, 0.001), n_boot=1000, max_calibration_error=0.02, min_told_apart_gap=0.05, min_auc_drop=0.0,
        min_lira_tpr_ratio=1.0, max_lira_tpr_ratio=None, min_mem_spearman=0.0,
        knowledge=KNOWLEDGE_SETUPS["paper"], bios_width=64, bios_people=(1000, 30_000),
        bios_presentations=1_000_000,
        bios_models=16,
        text=TEXT_BY_SCALE["paper"], text_width=64, text_sizes=(256, 4096), text_models=16,
        **TEXT_CLAIMS, **BIOS_CLAIMS, min_bios_reference_gain=0.0,
    ),
}


CLAIMS = declare(
    "08_attacks",
    Claim("calibrated", "an untrained model codes at log2 V bits per token", kind="sanity",
          settings=("max_calibration_error",), fixed="2026-12-06"),
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
    Claim("bios_reference_beats_loss", "on biographies, the reference attack (a model of the same shape on other "
          "people of the world) tells members apart better than LOSS on the largest bioS set: its AUC's lower bound "
          "above LOSS's AUC", settings=("min_bios_reference_gain",), bound="above", fixed="2026-12-07",
          revised=("smoke", "default")),
    Claim("bios_auc_falls", "on biographies, every attack's AUC falls as the set of people grows: on the largest "
          "bioS set its interval lies below the smallest set's", settings=("min_bios_auc_drop",), bound="above",
          caught_by=("lr0", "fresh", "labels"), fixed="2026-12-07"),
    Claim("bios_blind_at_chance", "a classifier that sees only the biographies' words (the blind baseline) does not "
          "tell the first bioS target's members from its non-members: its AUC interval contains 0.5 on every bioS "
          "set", kind="sanity", fixed="2026-12-07"),
    Claim("text_lira_at_low_fpr", "on text, where some samples are harder than others, online LiRA finds at least "
          "as many members as LOSS at the first FPR, on the largest text set where LOSS finds members beyond chance "
          "(its TPR over LOSS's)", settings=("min_text_lira_tpr_ratio",), bound="min",
          caught_by=("lr0", "fresh", "labels"), fixed="2026-12-06"),
    Claim("text_reference_beats_loss", "on text, the reference attack tells members apart better than LOSS on the "
          "largest text set (on the smallest both may reach AUC 1): its AUC's lower bound above LOSS's AUC",
          settings=("min_text_reference_gain",), bound="above", caught_by=("lr0", "fresh", "labels"),
          fixed="2026-12-06", revised=("smoke",), replicated_seeds={"smoke": (1, 2)}),
    Claim("text_auc_falls", "on text, every attack's AUC falls as the set grows: on the largest text set its interval "
          "lies below the smallest set's", settings=("min_text_auc_drop",), bound="above",
          caught_by=("lr0", "fresh", "labels"), fixed="2026-12-06"),
    Claim("text_blind_at_chance", "a classifier that sees only the text (the blind baseline) does not tell the first "
          "text target's members from its non-members: its AUC interval contains 0.5 on every text set",
          kind="sanity", fixed="2026-12-06"),
)
