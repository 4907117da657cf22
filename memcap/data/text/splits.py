"""The corpus as the models' sequences: :class:`TextSpec` and :func:`make_splits` turn it into the disjoint,
deduplicated reference, pool and test sequences that chapter 6's models train and are measured on."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from memcap.data.text import corpora
from memcap.data.text.chunks import chunk, first_occurrences
from memcap.data.text.corpora import EDITIONS, Corpus, cache_dir, edition, load
from memcap.data.text.tokenizers import GPT2_VOCAB_SIZE, TOKENIZERS, encode, gpt2_tokenizer, tokenizer


@dataclass(frozen=True)
class TextSpec:
    """How the corpus becomes sequences: which texts, the tokenizer, the sequence length, and the splits.

    The chosen texts are cut into blocks of about ``block_chars`` characters (at a line end where there is one) and
    the blocks are dealt at random (``seed``) to three disjoint splits: ``test_share`` of them to the test set,
    ``reference_share`` to the reference split (what reference models train on, and what the BPE is trained on
    unless ``tokenizer`` is GPT-2's), the rest to the
    pool that target models' training sets are drawn from. Each block is tokenized and cut into non-overlapping
    sequences of ``seq_len`` tokens; then exact duplicates are removed across all three, the first kept (reference,
    then pool, then test), so no test sequence is also a training sequence. ``max_chars`` > 0 keeps only the first
    that many characters of every chosen text (for quick runs).
    """

    editions: tuple[str, ...] = ("modern", "milton")
    vocab_size: int = 1024
    seq_len: int = 64
    block_chars: int = 4096
    reference_share: float = 0.6
    test_share: float = 0.05
    max_chars: int = 0
    seed: int = 0
    tokenizer: str = "bpe"  # "bpe": trained on the reference split; "gpt2": GPT-2's own (vocab_size 50,257)

    def __post_init__(self):
        if self.tokenizer not in TOKENIZERS:
            raise ValueError(f"tokenizer must be one of {list(TOKENIZERS)}, got tokenizer={self.tokenizer!r}")
        if self.tokenizer == "gpt2" and self.vocab_size != GPT2_VOCAB_SIZE:
            raise ValueError(f"GPT-2's vocabulary has {GPT2_VOCAB_SIZE} tokens, got vocab_size={self.vocab_size!r}")
        bad = [e for e in self.editions if e not in EDITIONS]
        if bad or not self.editions:
            raise ValueError(f"editions must be some of {list(EDITIONS)}, got editions={self.editions!r}")
        for name in ("seq_len", "block_chars"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 2:
                raise ValueError(f"{name} must be an integer >= 2, got {name}={value!r}")
        if not isinstance(self.max_chars, int) or self.max_chars < 0:
            raise ValueError(f"max_chars must be an integer >= 0, got max_chars={self.max_chars!r}")
        if not (0 < self.test_share < 1 and 0 < self.reference_share < 1
                and self.test_share + self.reference_share < 1):
            raise ValueError(f"test_share and reference_share must be positive and leave a pool, got "
                             f"test_share={self.test_share!r}, reference_share={self.reference_share!r}")

    def to_dict(self) -> dict:
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        if out["tokenizer"] == "bpe":  # only when it is not the default, so earlier runs keep their keys
            del out["tokenizer"]
        return out


@dataclass(frozen=True)
class TextSplits:
    """The three splits as (N, S) token arrays, with what deduplication removed from each and the tokenizer."""

    reference: np.ndarray
    pool: np.ndarray
    test: np.ndarray
    removed: dict[str, int]
    characters: int
    tokenizer: Any = field(repr=False, compare=False, default=None)

    def summary(self) -> dict:
        return dict(characters=self.characters, **{f"{k}_sequences": len(getattr(self, k)) for k in SPLITS},
                    **{f"{k}_duplicates_removed": v for k, v in self.removed.items()})


SPLITS = ("reference", "pool", "test")


def blocks(text: str, block_chars: int) -> list[str]:
    """``text`` cut into consecutive blocks of at most ``block_chars`` characters, each ending at the last line end
    inside it where there is one; nothing is lost (``"".join(blocks(t, n)) == t``).

        >>> blocks("ab\\ncd\\nef", 5)
        ['ab\\n', 'cd\\nef']
    """
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + block_chars)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            end = cut + 1 if cut >= start else end
        out.append(text[start:end])
        start = end
    return out


def make_splits(spec: TextSpec, corpus: Corpus | None = None, cache: str | Path | None = None) -> TextSplits:
    """The splits of :class:`TextSpec` (see there) of ``corpus`` (default
    :data:`~memcap.data.text.corpora.SHAKESPEARE`), cached as ``<cache>/text/<key>.npz`` (renamed into place when
    complete, so a half-written file is never read); the tokenizer is cached by
    :func:`~memcap.data.text.tokenizers.tokenizer`."""
    import tokenizers

    corpus = corpus or corpora.SHAKESPEARE  # looked up at the call: a test may replace it
    texts = [t[: spec.max_chars] if spec.max_chars else t
             for path, t in load(corpus, cache).items() if edition(path) in spec.editions]
    parts = [b for t in texts for b in blocks(t, spec.block_chars)]
    order = np.random.default_rng([spec.seed, 11]).permutation(len(parts))
    n_test = max(1, round(spec.test_share * len(parts)))
    n_ref = max(1, round(spec.reference_share * len(parts)))
    if n_test + n_ref >= len(parts):
        raise ValueError(f"{len(parts)} blocks of {spec.block_chars} characters are too few for three splits")
    dealt = {"test": order[:n_test], "reference": order[n_test:n_test + n_ref], "pool": order[n_test + n_ref:]}
    if spec.tokenizer == "gpt2":
        tok = gpt2_tokenizer(cache)
    else:
        tok = tokenizer([parts[i] for i in dealt["reference"]], spec.vocab_size, cache)
    key = hashlib.sha256(json.dumps([spec.to_dict(), corpus.sha256, tokenizers.__version__]).encode()).hexdigest()
    path = Path(cache or cache_dir()) / "text" / f"{key[:20]}.npz"
    if not path.exists():
        seqs = {name: _sequences([parts[i] for i in idx], tok, spec.seq_len) for name, idx in dealt.items()}
        kept, removed = _deduplicate_in_order(seqs)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}-{os.getpid()}.npz")
        np.savez(tmp, **kept, removed=np.array([removed[s] for s in SPLITS]))
        os.replace(tmp, path)
    with np.load(path) as z:
        return TextSplits(**{s: z[s] for s in SPLITS}, removed=dict(zip(SPLITS, z["removed"].tolist())),
                          characters=sum(len(t) for t in texts), tokenizer=tok)


def _sequences(texts: list[str], tok, seq_len: int) -> np.ndarray:
    rows = [chunk(encode(tok, t), seq_len) for t in texts]
    return np.concatenate(rows) if rows else np.zeros((0, seq_len), dtype=np.int64)


def _deduplicate_in_order(seqs: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Exact deduplication across the splits in the order of :data:`SPLITS`: a sequence is kept where it first
    appears; how many each split lost."""
    names = list(SPLITS)
    joined = np.concatenate([seqs[n] for n in names])
    owner = np.concatenate([np.full(len(seqs[n]), i) for i, n in enumerate(names)])
    keep = first_occurrences(joined)
    kept = {n: joined[(owner == i) & keep] for i, n in enumerate(names)}
    return kept, {n: int(((owner == i) & ~keep).sum()) for i, n in enumerate(names)}
