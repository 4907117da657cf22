"""Text runs: one GPT trained on real-text sequences, then measured sample by sample (chapter 6).

A **target** run trains on ``n_sequences`` sequences drawn at random (``data_seed``) from the pool split of
:class:`~memcap.data.text.TextSpec`; a **reference** run (``source="reference"``) on the reference split, which no
target ever sees. Both are measured the same way, and everything unintended memorization needs is in the metrics:
the code length in bits of every training sequence (``train_bits``, in the order drawn) and of the test sequences
(``test_bits``); a reference run also codes every pool sequence (``pool_bits``), so that a target's training
sequences can be looked up there by index (:meth:`TextRun.train_indices`) and mem_U computed without loading a
model (:func:`memcap.measures.memorization.unintended_memorization_bits`).

Duplicates on purpose: with ``copies`` > 1 the first ``duplicated`` training sequences appear ``copies`` times each in
the training set (``train_bits`` still lists every distinct sequence once). With ``near`` the added copies are
near-duplicates instead, which exact deduplication cannot see: the same passage in the First Folio's spelling
(:func:`~memcap.data.text.near_duplicates`), for the first ``duplicated`` training sequences that have one (the
metrics list which, ``duplicated_rows``); each then appears once as drawn and ``copies - 1`` times in the Folio's
spelling. Extraction: for each prefix length
``k`` in ``prefix_lens``, the share of ``extract_samples`` training and test sequences whose next
``extract_tokens`` tokens greedy decoding reproduces from their first ``k``.

Training reuses the capacity loop (:func:`memcap.engine.training.loop.train_models`); its learning-curve metric is the
training set's code length below log2 V a token, in bits, which grows while the model learns it (on the first
``curve_sequences`` training sequences where the whole set would cost too much to code at every evaluation).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import numpy as np
import torch

from memcap.data.text import TextSpec, TextSplits, make_splits, near_duplicates
from memcap.engine.runs.base import TrainsAlone
from memcap.engine.training.config import TrainConfig
from memcap.engine.training.loop import train_models
from memcap.engine.version import ENGINE_VERSION
from memcap.measures.capacity import memorized_bits
from memcap.measures.evaluate import (
    code_length_bits_per_token,
    sequence_code_length_bits,
)
from memcap.measures.membership import extraction_rate
from memcap.model import GPT, GPTConfig

SOURCES = ("pool", "reference")


class Copied(NamedTuple):
    """What a duplication run repeats: rows of its distinct training sequences, what is added for each, and the
    share of words the added passage shares with the row (1 for exact copies)."""

    rows: np.ndarray
    added: np.ndarray
    share: np.ndarray


@dataclass(frozen=True)
class TextRun(TrainsAlone):
    """One model trained on text sequences: everything that determines its result."""

    model: GPTConfig
    train: TrainConfig
    text: TextSpec
    n_sequences: int  # distinct training sequences drawn from the source; 0: all of it
    source: str = "pool"
    data_seed: int = 0
    init_seed: int = 0
    duplicated: int = 0  # the first this many training sequences ...
    copies: int = 1  # ... appear this many times each
    near: bool = False  # ... the added copies being the same passages in the First Folio's spelling
    test_sequences: int = 0  # test sequences coded (0: all)
    measure_pool: bool = False  # code every pool sequence too (reference runs)
    prefix_lens: tuple[int, ...] = field(default=())
    extract_tokens: int = 0
    extract_samples: int = 0
    curve_sequences: int = 0  # the learning curve's metric is measured on this many training sequences (0: all)

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ValueError(f"unknown source {self.source!r}; allowed: {list(SOURCES)}")
        if not isinstance(self.n_sequences, int) or self.n_sequences < 0:
            raise ValueError(f"n_sequences must be an integer >= 0 (0: the whole source), got {self.n_sequences!r}")
        if self.model.seq_len != self.text.seq_len:
            raise ValueError(f"the model's seq_len={self.model.seq_len} differs from the text's "
                             f"seq_len={self.text.seq_len}")
        if self.model.vocab_size != self.text.vocab_size:
            raise ValueError(f"the model's vocab_size={self.model.vocab_size} differs from the tokenizer's "
                             f"vocab_size={self.text.vocab_size}")
        if not isinstance(self.curve_sequences, int) or self.curve_sequences < 0:
            raise ValueError(f"curve_sequences must be an integer >= 0 (0: all), got {self.curve_sequences!r}")
        if self.copies < 1 or self.duplicated < 0 or (self.copies > 1 and self.duplicated < 1):
            raise ValueError(f"need copies >= 1 and, with copies > 1, duplicated >= 1; got copies={self.copies}, "
                             f"duplicated={self.duplicated}")
        if self.near and (self.copies < 2 or "folio" in self.text.editions):
            raise ValueError(f"near-duplicates need copies >= 2 and texts without the Folio edition (they come from "
                             f"it), got copies={self.copies}, editions={self.text.editions}")
        if self.n_sequences and self.duplicated > self.n_sequences:
            raise ValueError(f"duplicated={self.duplicated} exceeds the n_sequences={self.n_sequences} drawn")
        too_long = [k for k in self.prefix_lens if k < 1 or k + self.extract_tokens > self.text.seq_len]
        if self.prefix_lens and (too_long or self.extract_tokens < 1 or self.extract_samples < 1):
            raise ValueError(f"extraction needs prefix lengths >= 1 with prefix + extract_tokens <= seq_len "
                             f"{self.text.seq_len}, extract_tokens >= 1 and extract_samples >= 1; got prefix_lens="
                             f"{self.prefix_lens}, extract_tokens={self.extract_tokens}, "
                             f"extract_samples={self.extract_samples}")

    @property
    def label(self) -> str:
        what = "reference" if self.source == "reference" else f"N={self.n_sequences}"
        return f"text L{self.model.n_layer} d={self.model.d_model} {what}" + (
            f" x{self.copies}" if self.copies > 1 else "") + (" near" if self.near else "")

    def to_dict(self) -> dict:
        out = {"engine": ENGINE_VERSION, "kind": "text", "model": asdict(self.model), "train": self.train.to_dict(),
               "text": self.text.to_dict()}
        out.update({k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()
                    if k not in ("model", "train", "text") and (k != "near" or v)})  # near only when used: runs
        return out  # without it keep their keys

    def train_indices(self, source_size: int) -> np.ndarray:
        """Which sequences of the source (by row) are drawn for training, in order: the first ``n_sequences`` of a
        permutation fixed by ``data_seed``, so a smaller set is part of a larger one of the same seed."""
        n = self.n_sequences or source_size
        if n > source_size:
            raise ValueError(f"n_sequences={n} exceeds the {source_size} sequences of the {self.source} split")
        return np.random.default_rng([self.data_seed, 13]).permutation(source_size)[:n]

    def data(self, splits: TextSplits | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(distinct training sequences, the training set with its copies, test sequences), as int64 arrays, from
        ``splits`` (default: :func:`~memcap.data.text.make_splits` of the run's text)."""
        distinct, train_set, test, _ = self._draw(splits or make_splits(self.text))
        return distinct, train_set, test

    def _draw(self, splits: TextSplits) -> tuple[np.ndarray, np.ndarray, np.ndarray, Copied]:
        source = splits.pool if self.source == "pool" else splits.reference
        distinct = source[self.train_indices(len(source))]
        copied = self.copied(distinct, splits)
        extra = [np.repeat(copied.added, self.copies - 1, axis=0)] if self.copies > 1 else []
        test = splits.test[: self.test_sequences or None]
        return distinct, np.concatenate([distinct, *extra]), test, copied

    def copied(self, distinct: np.ndarray, splits: TextSplits) -> Copied:
        """Which of the ``distinct`` training sequences are repeated (``rows``), what is added ``copies - 1`` times
        for each (``added``: the sequences themselves, or with ``near`` their near-duplicates) and the share of
        words the two have in common (``share``; 1 for exact copies)."""
        if self.copies == 1:
            return Copied(np.zeros(0, dtype=np.int64), distinct[:0], np.zeros(0))
        if not self.near:
            rows = np.arange(self.duplicated)
            return Copied(rows, distinct[rows], np.ones(len(rows)))
        rows, added, share, step = [], [], [], 4 * self.duplicated
        for lo in range(0, len(distinct), step):  # in order, until enough have one
            found = near_duplicates(distinct[lo:lo + step], splits.tokenizer)
            for i in np.flatnonzero(found.found)[: self.duplicated - len(rows)]:
                rows.append(lo + i), added.append(found.rows[i]), share.append(found.share[i])
            if len(rows) == self.duplicated:
                return Copied(np.asarray(rows), np.stack(added), np.asarray(share))
        raise ValueError(f"duplicated={self.duplicated}: only {len(rows)} of the {len(distinct)} training sequences "
                         f"have a near-duplicate in the Folio edition")

    def execute(self, device: str = "cpu", progress: bool = False) -> tuple[dict, list[dict], dict]:
        splits = make_splits(self.text)
        distinct, train_set, test, copied = self._draw(splits)
        x = torch.as_tensor(train_set).to(device)
        model = GPT(self.model, generator=torch.Generator().manual_seed(self.init_seed)).to(device)
        untrained = code_length_bits_per_token(model, x)
        V = self.model.vocab_size
        probe = x[: self.curve_sequences or None]
        (result,) = train_models([model], [x], [self.train], [self.init_seed],
                                 metrics=[lambda m: memorized_bits(m, probe, V).raw_bits], progress=progress,
                                 metric_name="bits below log2 V", description=self.label)
        metrics = self._measure(model, result, distinct, test, splits, untrained, device)
        if self.near:
            metrics.update(duplicated_rows=copied.rows.tolist(), near_share=copied.share.round(4).tolist())
        return metrics, result.curve, dict(model.state_dict())

    def _measure(self, model: GPT, result, distinct, test, splits: TextSplits, untrained: float, device: str) -> dict:
        def code(rows: np.ndarray) -> np.ndarray:
            return sequence_code_length_bits(model, torch.as_tensor(rows).to(device))

        S, V, P = self.model.seq_len, self.model.vocab_size, self.model.n_params
        train_bits, test_bits = code(distinct), code(test)
        metrics = dict(
            n_params=P,
            n_sequences=len(distinct),
            n_trained=len(distinct) + self.duplicated * (self.copies - 1),
            train_loss_bits_per_token=float(train_bits.mean() / S),
            test_loss_bits_per_token=float(test_bits.mean() / S),
            untrained_bits_per_token=untrained,
            vocab_size=V,
            # the training set's code length below log2 V a token, per parameter (learnt and memorized together)
            bits_per_param=float((S * math.log2(V) * len(distinct) - train_bits.sum()) / P),
            train_bits=train_bits.round(4).tolist(),
            test_bits=test_bits.round(4).tolist(),
        )
        if self.measure_pool:
            metrics["pool_bits"] = code(splits.pool).round(4).tolist()
            if len(splits.validation):  # the oracle is chosen on it (splits of earlier editions have none)
                metrics["validation_bits"] = code(splits.validation).round(4).tolist()
        for k in self.prefix_lens:
            m = self.extract_samples
            metrics[f"extract_{k}"] = extraction_rate(model, distinct[:m], k, self.extract_tokens)
            metrics[f"extract_{k}_test"] = extraction_rate(model, test[:m], k, self.extract_tokens)
        metrics.update(steps=result.steps, seconds=result.seconds, tokens=result.tokens,
                       stop_reason=result.stop_reason, device=device, engine_version=ENGINE_VERSION,
                       torch_version=torch.__version__)
        return metrics
