"""Chapter 6's settings (memorization and generalization in real text): the corpus and its splits, target and
reference models, duplication runs, with the claims' thresholds, per scale (book/thresholds.md says how each
threshold was set).

    >>> BY_SCALE["smoke"].text.vocab_size
    300
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from memcap.book.presets.claim import Claim, declare
from memcap.book.presets.capacity_sweep import CAPACITY_SWEEPS, CapacitySweep, Config, Shape
from memcap.book.presets.settings import PresetBase, setting
from memcap.data.text import TextSpec, TextSplits
from memcap.engine.runs import TextRun
from memcap.engine.training import TrainConfig
from memcap.model import GPTConfig


class Copies(NamedTuple):
    """A duplication run: the first ``duplicated`` training sequences appear ``copies`` times each."""

    duplicated: int
    copies: int


@dataclass(frozen=True)
class TextPreset(PresetBase):
    sweep: CapacitySweep = setting("chapter 2's sweep, shared: its runs give alpha for the capacity line",
                                   expand=False)
    editions: tuple[str, ...] = setting("texts used: modern Shakespeare, Folio spelling, Milton (one edition a play)")
    tokenizer: str = setting("bpe: a byte-level BPE trained on the reference split; gpt2: GPT-2's own vocabulary")
    vocab_size: int = setting("V: tokens of the byte-level BPE (GPT-2's: 50,257)")
    seq_len: int = setting("S: tokens per sequence; also the models' learned positions")
    block_chars: int = setting("texts are cut into blocks of about this many characters, dealt to the splits")
    reference_share: float = setting("share of blocks for the reference split (tokenizer and reference models)")
    test_share: float = setting("share of blocks for the test split (no model trains on it)")
    validation_share: float = setting("share of blocks for the validation split (the oracle is chosen on it)")
    near_duplicate_share: float = setting("a block with this share of its 8-word shingles in earlier blocks is "
                                          "dropped before the deal")
    max_chars: int = setting("only the first this many characters of every text (0: all of it)")
    split_seed: int = setting("seed of the deal of blocks to the splits (fixed: the splits are the data)")
    targets: tuple[Shape, ...] = setting("target models: layers, width and learning rate (>= 8x in parameters)")
    head_dim: int = setting("dimensions per attention head: n_head = width // head_dim")
    set_sizes: tuple[int, ...] = setting("training-set sizes drawn from the pool (nested: a smaller set is part "
                                         "of every larger one)")
    steps: int = setting("training steps of every target model (cosine schedule), whatever its set size")
    batch_size: int = setting("sequences per step")
    warmup_steps: int = setting("linear warm-up steps")
    reference_steps: int = setting("steps of each main reference: the target's shape on the whole reference split")
    oracle: Shape = setting("the oracle candidate: a larger model trained longer on the reference split")
    oracle_steps: int = setting("its training steps")
    curve_sequences: int = setting("training sequences the learning curve is measured on")
    test_sequences: int = setting("test sequences coded by every model (0: all); members' non-members")
    prefix_lens: tuple[int, ...] = setting("greedy extraction from prefixes of these lengths (tokens)")
    extract_tokens: int = setting("extraction is judged on this many next tokens, all exact")
    extract_samples: int = setting("training (and as many test) sequences tried for extraction per run")
    earlier_target: Config = setting("a grid run trained again on the earlier deal (layers, width, set size): the "
                                     "same attack on both deals")
    blind_samples: int = setting("pool (and as many test) sequences the blind baseline classifies")
    duplication_target: Config = setting("the run copies are injected into: layers, width, set size")
    copies: tuple[Copies, ...] = setting("duplication runs: how many sequences, how many copies of each")
    near_copies: tuple[Copies, ...] = setting(
        "near-duplicate runs: sequences, times each (once as drawn, the rest in Folio spelling)")
    max_attack_samples: int = setting("members (and as many non-members) attacked per run")
    n_boot: int = setting("bootstrap resamples of every interval")
    heldout_width: int = setting("the target width whose runs the text law predicts (fitted on the others)")
    plateau_tolerance: float = setting("alpha from chapter 2's runs as chapter 2 measures it (same tolerance)")
    max_calibration_error: float = setting("claim: untrained models code at log2 V a token, to this relative error")
    max_mix_gap: float = setting("claim: every edition's share differs between pool and test by at most this")
    max_blind_auc_low: float = setting(
        "claim: the blind baseline's AUC interval contains 0.5 and its lower end is at most this")
    max_test_mem_share: float = setting(
        "claim: mean mem_U of test sequences (against the oracle) at most this share of their oracle code length")
    test_level: float = setting("claim: level of every one-sided test (Wilcoxon, Mann-Whitney, Spearman)")
    min_small_mem_share: float = setting(
        "claim: the largest model's smallest set keeps this share of its reference code length as mem_U")
    max_law_rmse: float | None = setting("claim: the text law's RMSE in F1 (None: not claimed)")
    max_heldout_error: float | None = setting("claim: the law's mean error on the held-out width (F1 points)")
    min_tfidf_rho: float | None = setting("claim: the lower bound of Spearman's interval, TF-IDF vs mem_U")
    near_level: float | None = setting(
        "claim: level of the test that near-duplicates raise their samples' mem_U (None: not claimed)")

    @property
    def text(self) -> TextSpec:
        """The corpus as sequences (:class:`~memcap.data.text.TextSpec`), from the settings above."""
        return TextSpec(editions=self.editions, vocab_size=self.vocab_size, seq_len=self.seq_len,
                        block_chars=self.block_chars, reference_share=self.reference_share,
                        test_share=self.test_share, max_chars=self.max_chars, seed=self.split_seed,
                        tokenizer=self.tokenizer, validation_share=self.validation_share,
                        near_duplicate_share=self.near_duplicate_share)

    @property
    def earlier_text(self) -> TextSpec:
        """The deal of earlier editions (blocks of all texts at random, duplicates included, no validation split;
        its reference split takes the validation share), to show what it did to the blind baseline and an attack."""
        return replace(self.text, dealing="blocks", validation_share=0.0,  # rounded: 0.55 + 0.05 is not 0.6
                       reference_share=round(self.reference_share + self.validation_share, 12))

    def check_splits(self, splits: TextSplits) -> None:
        """A ValueError naming the setting if a planned training set is larger than the pool it is drawn from."""
        pool = len(splits.pool)
        wanted = {"set_sizes": max(self.set_sizes), "duplication_target": self.duplication_target[2]}
        bad = {k: v for k, v in wanted.items() if v > pool}
        if bad:
            raise ValueError(f"{bad}: more sequences than the {pool:,} of the pool (0 in set_sizes: all of it)")

    def unevaluable_claims(self, alpha: float) -> dict[str, str]:
        """"Memorization rises with parameters" is tested at the set sizes whose bits exceed the smallest target's
        capacity (``alpha`` times its parameters). Before any reference has coded the pool, a set's bits are
        estimated from what lzma needs for the pool's text, per token (a reference model usually needs less): if even
        the largest set stays below capacity by that estimate, the claim has no set to test."""
        import lzma

        from memcap.data.text import decode, make_splits

        splits = make_splits(self.text)
        pool_text = decode(splits.tokenizer, splits.pool.ravel())
        bits_per_token = 8 * len(lzma.compress(pool_text.encode(), preset=6)) / splits.pool.size
        largest = max(n or len(splits.pool) for n in self.set_sizes)
        smallest = min(self.targets, key=lambda s: s.width)
        capacity = alpha * self.model(smallest.n_layer, smallest.width).n_params
        estimated = largest * self.text.seq_len * bits_per_token
        if estimated >= capacity:
            return {}
        return {"mem_rises_with_params": (
            f"the largest set ({largest:,} sequences) holds about {estimated:,.0f} bits ({bits_per_token:.2f} bits a "
            f"token, as lzma codes the pool), below the smallest target's capacity ({alpha:.2f} bits/param x "
            f"{capacity / alpha:,.0f} parameters = {capacity:,.0f} bits): no set size to test it at")}

    def model(self, n_layer: int, width: int) -> GPTConfig:
        return GPTConfig(vocab_size=self.text.vocab_size, seq_len=self.text.seq_len, n_layer=n_layer, d_model=width,
                         n_head=max(1, width // self.head_dim))

    def _train(self, steps: int, lr: float) -> TrainConfig:
        return TrainConfig(max_steps=steps, batch_size=self.batch_size, lr=lr, schedule="cosine",
                           warmup_steps=self.warmup_steps, eval_every=max(1, steps // 8))

    def _common(self) -> dict:
        return dict(text=self.text, test_sequences=self.test_sequences, curve_sequences=self.curve_sequences,
                    prefix_lens=self.prefix_lens, extract_tokens=self.extract_tokens,
                    extract_samples=self.extract_samples)

    def target(self, shape: Shape, n: int, seed: int = 0, **kw) -> TextRun:
        return TextRun(model=self.model(shape.n_layer, shape.width), train=self._train(self.steps, shape.lr),
                       n_sequences=n, data_seed=seed, init_seed=seed, **self._common(), **kw)

    def earlier(self, seed: int = 0) -> TextRun:
        """The grid run ``earlier_target`` trained on the earlier deal (:attr:`earlier_text`)."""
        L, w, n = self.earlier_target
        shape = next(s for s in self.targets if s.width == w)
        return TextRun(model=self.model(L, w), train=self._train(self.steps, shape.lr), n_sequences=n,
                       data_seed=seed, init_seed=seed, **{**self._common(), "text": self.earlier_text})

    def reference(self, shape: Shape, steps: int, seed: int = 0) -> TextRun:
        return TextRun(model=self.model(shape.n_layer, shape.width), train=self._train(steps, shape.lr),
                       n_sequences=0, source="reference", measure_pool=True, data_seed=seed, init_seed=seed,
                       **self._common())

    def runs(self, seed: int = 0) -> dict[str, Any]:
        """The chapter's runs: ``capacity`` (chapter 2's grid, for alpha), ``references`` (width -> the main
        reference of that target shape), ``oracle`` (the larger reference), ``grid`` (width -> the target runs, by
        set size), ``copies`` (the duplication runs; their base run is in the grid), ``near_copies`` (the same
        with near-duplicates) and ``earlier`` (one grid run on the earlier deal of the corpus)."""
        by_width = {s.width: s for s in self.targets}
        L, w, n = self.duplication_target
        for name in ("duplication_target", "earlier_target"):
            L_, w_, n_ = getattr(self, name)
            if w_ not in by_width or n_ not in self.set_sizes or by_width[w_].n_layer != L_:
                raise ValueError(f"{name}={getattr(self, name)} must be a target's layers, width and a set size")
        return dict(
            capacity=self.sweep.grid(data_seed=seed, init_seed=seed),
            references={s.width: self.reference(s, self.reference_steps, seed) for s in self.targets},
            oracle=self.reference(self.oracle, self.oracle_steps, seed),
            grid={s.width: [self.target(s, n_, seed) for n_ in self.set_sizes] for s in self.targets},
            copies=[self.target(by_width[w], n, seed, duplicated=c.duplicated, copies=c.copies)
                    for c in self.copies],
            near_copies=[self.target(by_width[w], n, seed, duplicated=c.duplicated, copies=c.copies, near=True)
                         for c in self.near_copies],
            earlier=self.earlier(seed),
        )


def _text(**changes) -> dict:
    """The text settings of :class:`TextPreset`: TextSpec's defaults (modern Shakespeare and Milton, V = 1,024,
    S = 64, blocks of 4,096 characters, 55 % reference, 5 % validation, 5 % test) with ``changes``."""
    spec = replace(TextSpec(), **changes)
    return dict(editions=spec.editions, tokenizer=spec.tokenizer, vocab_size=spec.vocab_size, seq_len=spec.seq_len,
                block_chars=spec.block_chars, reference_share=spec.reference_share, test_share=spec.test_share,
                validation_share=spec.validation_share, near_duplicate_share=spec.near_duplicate_share,
                max_chars=spec.max_chars, split_seed=spec.seed)


TEXT_THRESHOLDS = dict(  # fixed before the default runs were trained (book/thresholds.md)
    max_calibration_error=0.02, max_mix_gap=0.03, max_blind_auc_low=0.55, max_test_mem_share=0.02, test_level=0.01, min_small_mem_share=0.5,
    max_law_rmse=0.06, max_heldout_error=0.1, min_tfidf_rho=0.0, near_level=0.01,
)
SMOKE_TEXT_THRESHOLDS = dict(  # smoke: seconds of training
    TEXT_THRESHOLDS, max_test_mem_share=0.05, min_small_mem_share=0.1,
)



BY_SCALE = {
    "smoke": TextPreset(
        sweep=CAPACITY_SWEEPS["smoke"], **_text(vocab_size=300, seq_len=16, max_chars=20000, block_chars=1024),
        targets=(Shape(1, 8, 2e-2), Shape(1, 16, 2e-2), Shape(1, 32, 1e-2)), head_dim=8,
        set_sizes=(16, 32, 128, 512), steps=800, batch_size=32, warmup_steps=10, reference_steps=200,
        oracle=Shape(1, 48, 1e-2), oracle_steps=300, curve_sequences=64, test_sequences=0, prefix_lens=(4, 8),
        # copies go into the widest target (not d16, since 2026-12-07): d16 on 512 sequences is far past its
        # capacity, so what the near copies add there the samples seen once lose (book/thresholds.md)
        extract_tokens=4, extract_samples=64, duplication_target=Config(1, 32, 512),
        earlier_target=Config(1, 16, 512), blind_samples=1000,
        copies=(Copies(8, 4), Copies(8, 16)), near_copies=(Copies(16, 4), Copies(16, 16)), max_attack_samples=200,
        n_boot=100, heldout_width=16,
        plateau_tolerance=0.05, **SMOKE_TEXT_THRESHOLDS,
    ),
    "default": TextPreset(
        sweep=CAPACITY_SWEEPS["default"], **_text(),
        targets=(Shape(2, 12, 1e-2), Shape(2, 32, 5e-3), Shape(2, 64, 3e-3)), head_dim=16,
        set_sizes=(16, 64, 256, 1024, 4096, 12288), steps=1500, batch_size=32, warmup_steps=30,
        reference_steps=2000, oracle=Shape(2, 96, 2e-3), oracle_steps=4000, curve_sequences=512,
        test_sequences=0, prefix_lens=(8, 16, 32), extract_tokens=16, extract_samples=512,
        duplication_target=Config(2, 32, 4096), copies=(Copies(32, 2), Copies(32, 4), Copies(32, 8), Copies(32, 16)),
        earlier_target=Config(2, 32, 4096), blind_samples=2000,
        near_copies=(Copies(32, 2), Copies(32, 4), Copies(32, 8), Copies(32, 16)),
        max_attack_samples=1000, n_boot=500, heldout_width=32, plateau_tolerance=0.05, **TEXT_THRESHOLDS,
    ),
    "paper": TextPreset(  # Morris et al.'s text models: 8-layer GPT-2s of 1.7M-19.2M parameters with GPT-2's
        # vocabulary, tied embeddings; ours: the same, widths 32-256 (1.71M-19.2M parameters)
        sweep=CAPACITY_SWEEPS["paper"], **_text(tokenizer="gpt2", vocab_size=50257),
        targets=(Shape(8, 32, 1e-3), Shape(8, 64, 1e-3), Shape(8, 128, 1e-3), Shape(8, 256, 6e-4)), head_dim=32,
        # 0: the whole pool; every set stays below these models' capacity (book/thresholds.md)
        set_sizes=(64, 256, 1024, 2048, 4096, 0), steps=20000, batch_size=256, warmup_steps=500,
        reference_steps=20000, oracle=Shape(8, 384, 5e-4), oracle_steps=40000, curve_sequences=2048,
        test_sequences=0, prefix_lens=(8, 16, 32), extract_tokens=32, extract_samples=2000,
        duplication_target=Config(8, 128, 4096), earlier_target=Config(8, 128, 4096), blind_samples=4000,
        copies=(Copies(64, 2), Copies(64, 4), Copies(64, 8), Copies(64, 16)),
        near_copies=(Copies(64, 2), Copies(64, 4), Copies(64, 8), Copies(64, 16)), max_attack_samples=2000,
        n_boot=1000, heldout_width=128, plateau_tolerance=0.05, **TEXT_THRESHOLDS,
    ),
}


CLAIMS = declare(
    "06_text",
    Claim("calibrated", "an untrained model codes at log2 V bits per token", kind="sanity",
          settings=("max_calibration_error",), fixed="2026-12-01"),
    Claim("one_mix", "members (the pool) and non-members (test) come from one mix of the corpus's editions",
          kind="sanity", settings=("max_mix_gap",), fixed="2026-12-05"),
    Claim("blind_at_chance", "a classifier that sees only the text cannot tell members from non-members (its AUC "
          "interval contains 0.5)", kind="sanity", settings=("max_blind_auc_low",), fixed="2026-12-05"),
    Claim("test_mem_small", "the targets memorize (almost) nothing of text they never saw, against the oracle",
          settings=("max_test_mem_share",), caught_by=("ref0",), fixed="2026-12-02"),
    Claim("mem_rises_with_params", "memorization per sample rises with parameters (one-sided Wilcoxon tests)",
          settings=("test_level",), caught_by=("lr0",), fixed="2026-12-02"),
    Claim("mem_falls_with_data", "memorization per sample falls as the training set grows", settings=("test_level",),
          caught_by=("lr0",), fixed="2026-12-02"),
    Claim("small_set_memorized", "a small training set is memorized, beyond what the oracle knows",
          settings=("min_small_mem_share",), caught_by=("lr0",), fixed="2026-12-02"),
    Claim("gap_closes", "a small training set codes shorter than test text, and the gap closes with data",
          settings=("test_level",), caught_by=("lr0",), fixed="2026-12-02"),
    Claim("members_told_apart", "the smallest set's members are told apart from test text, beyond two test sets",
          caught_by=("labels",), fixed="2026-12-02"),
    Claim("f1_falls", "membership F1 falls as the data outgrow capacity (one-sided Spearman test)",
          settings=("test_level",), caught_by=("labels",), fixed="2026-12-02"),
    # smoke: shown until 2026-12-07 (seed 0: 0.076 at 400 steps); asserted at the default's bound since smoke's
    # targets train 800 steps (seeds 0, 1: 0.023, 0.023), so revised there; held on fresh seeds 80, 81 and 82
    Claim("law_fits", "the sigmoid law fits the text runs (RMSE in F1)", settings=("max_law_rmse",),
          caught_by=("lr0",), fixed="2026-12-02", revised=("smoke",), replicated_seeds={"smoke": (80, 81, 82)}),
    Claim("law_predicts_held_out", "the law predicts the held-out width (mean error in F1)",
          settings=("max_heldout_error",), caught_by=("lr0",), fixed="2026-12-02"),
    Claim("small_set_extracted", "a small training set is extracted, test text is not", settings=("test_level",),
          caught_by=("lr0",), fixed="2026-12-02"),
    Claim("extraction_falls", "as the training set grows, extraction of training samples falls toward that of "
          "test text", caught_by=("lr0",), fixed="2026-12-02"),
    Claim("rare_memorized_more", "rarer samples (by TF-IDF) are memorized more: Spearman's interval above the "
          "threshold", settings=("min_tfidf_rho",), bound="above", caught_by=("lr0",), fixed="2026-12-02"),
    Claim("rare_beyond_cost", "rarer samples are memorized more with the oracle's code length of each held fixed "
          "(partial Spearman: its interval's lower end)", kind="observed", fixed="2026-12-05"),
    # both duplication claims: a paired Wilcoxon test against the base run until 2026-12-07, then the gains' test
    Claim("copies_inflate", "copies of a sample inflate its memorization beyond what the run's other samples gain "
          "(one-sided Mann-Whitney test of the gains over the base run)", settings=("test_level",),
          caught_by=("lr0",), fixed="2026-12-02", revised=True,
          replicated_seeds={"smoke": (90, 91), "default": (90, 91)}),
    Claim("near_copies_inflate", "near-duplicates (the Folio's spelling) inflate the memorization of the modern "
          "samples beyond the other samples' gain, which exact deduplication cannot prevent", settings=("near_level",),
          caught_by=("lr0",), fixed="2026-12-02", revised=True,  # smoke: None until 2026-12-07
          replicated_seeds={"smoke": (90, 91), "default": (90, 91)}),
)
