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


DEALINGS = ("works", "blocks")  # how blocks go to the splits (see TextSpec)
WORKS_DEAL_VERSION = 2  # in the key of every run on the "works" deal: a change to that deal gives its runs new keys


@dataclass(frozen=True)
class TextSpec:
    """How the corpus becomes sequences: which texts, the tokenizer, the sequence length, and the splits.

    The chosen texts are cut into blocks of about ``block_chars`` characters (at a line end where there is one) and
    the blocks go to four disjoint splits: ``test_share`` of them to the test set (no model trains on it),
    ``validation_share`` to the validation set (on which the oracle is chosen), ``reference_share`` to the reference
    split (what reference models train on, and what the BPE is trained on unless ``tokenizer`` is GPT-2's), the rest
    to the pool that target models' training sets are drawn from.

    ``dealing="works"`` (the default) first removes what would put one text in two splits: files that are byte for
    byte another file of the corpus (Milton's works ship twice), then every block whose 8-word shingles are
    ``near_duplicate_share`` or more already in an earlier block (Milton's collections repeat his shorter poems). It
    then deals every work's blocks to all four splits in proportion to the shares, in a random order (``seed``), so
    the splits share one mix of works: members and non-members come from the same text.
    ``dealing="blocks"`` is the deal of earlier editions, kept to show what it did: the blocks of all texts at random,
    duplicates included, with no validation split.

    Each block is tokenized and cut into non-overlapping sequences of ``seq_len`` tokens; then exact duplicates are
    removed across the splits, the first kept (reference, validation, pool, test), so no test sequence is also a
    training sequence. ``max_chars`` > 0 keeps only the first that many characters of every chosen text (for quick
    runs).
    """

    editions: tuple[str, ...] = ("modern", "milton")
    vocab_size: int = 1024
    seq_len: int = 64
    block_chars: int = 4096
    reference_share: float = 0.55
    test_share: float = 0.05
    max_chars: int = 0
    seed: int = 0
    tokenizer: str = "bpe"  # "bpe": trained on the reference split; "gpt2": GPT-2's own (vocab_size 50,257)
    validation_share: float = 0.05
    dealing: str = "works"
    near_duplicate_share: float = 0.25

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
        if self.dealing not in DEALINGS:
            raise ValueError(f"dealing must be one of {list(DEALINGS)}, got dealing={self.dealing!r}")
        if self.dealing == "blocks" and self.validation_share != 0:
            raise ValueError(f"dealing='blocks' has no validation split: validation_share must be 0, got "
                             f"validation_share={self.validation_share!r}")
        if not 0 < self.near_duplicate_share <= 1:
            raise ValueError(f"near_duplicate_share must be in (0, 1], got "
                             f"near_duplicate_share={self.near_duplicate_share!r}")
        shares = (self.test_share, self.reference_share, self.validation_share)
        if not (0 < self.test_share < 1 and 0 < self.reference_share < 1 and 0 <= self.validation_share < 1
                and sum(shares) < 1):
            raise ValueError(f"test_share and reference_share must be positive, validation_share >= 0, and all "
                             f"three leave a pool; got test_share={self.test_share!r}, reference_share="
                             f"{self.reference_share!r}, validation_share={self.validation_share!r}")

    def to_dict(self) -> dict:
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        if out["tokenizer"] == "bpe":  # only when it is not the default, so earlier runs keep their keys
            del out["tokenizer"]
        if self.dealing == "blocks":  # earlier editions' deal: their runs keep their keys
            for k in ("validation_share", "dealing", "near_duplicate_share"):
                del out[k]
        else:  # 2: each split's blocks in a random order (version 1, briefly on main, sorted them by work)
            out["deal_version"] = WORKS_DEAL_VERSION
        return out


@dataclass(frozen=True)
class TextSplits:
    """The four splits as (N, S) token arrays, with what deduplication removed from each, the tokenizer, and where
    each sequence comes from: ``works`` (the texts' paths) and, per split, the work and the block of every row."""

    reference: np.ndarray
    pool: np.ndarray
    test: np.ndarray
    removed: dict[str, int]
    characters: int
    tokenizer: Any = field(repr=False, compare=False, default=None)
    validation: np.ndarray = field(repr=False, compare=False, default=None)
    works: tuple[str, ...] = field(repr=False, compare=False, default=())
    origin: dict[str, np.ndarray] = field(repr=False, compare=False, default_factory=dict)  # (N, 2): work, block
    dropped: dict[str, int] = field(repr=False, compare=False, default_factory=dict)  # files, near-duplicate blocks

    def summary(self) -> dict:
        return dict(characters=self.characters, **{f"{k}_sequences": len(getattr(self, k)) for k in SPLITS},
                    **{f"{k}_duplicates_removed": v for k, v in self.removed.items()},
                    **{f"{k}_dropped": v for k, v in self.dropped.items()})

    def edition_shares(self) -> dict[str, dict[str, float]]:
        """Per split, the share of its sequences from each edition (``modern``, ``milton``, ...): the mix.

        Members (the pool) and non-members (test) should share one mix."""
        out = {}
        for name in SPLITS:
            owners = self.origin.get(name)
            if owners is None or not len(owners):
                continue
            kinds = np.array([edition(w) for w in self.works])[owners[:, 0]]
            out[name] = {e: float(np.mean(kinds == e)) for e in sorted(set(kinds))}
        return out


SPLITS = ("reference", "validation", "pool", "test")


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


def distinct_files(texts: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """``texts`` without the files that are byte for byte an earlier one (in path order), and the dropped paths.

        >>> distinct_files({"a.txt": "x", "b.txt": "y", "c.txt": "x"})
        ({'a.txt': 'x', 'b.txt': 'y'}, ['c.txt'])
    """
    seen, kept, dropped = set(), {}, []
    for path, t in texts.items():
        h = hashlib.sha256(t.encode()).digest()
        if h in seen:
            dropped.append(path)
        else:
            seen.add(h)
            kept[path] = t
    return kept, dropped


def near_duplicate_blocks(parts: list[str], share: float, n: int = 8) -> np.ndarray:
    """Which of ``parts`` repeat an earlier part: ``share`` or more of their ``n``-word shingles (words as
    :func:`~memcap.data.text.folio.words` reads them) are in parts kept before them. A boolean mask, in order.

        >>> verse = "of man's first disobedience and the fruit of that forbidden tree whose mortal taste "
        >>> near_duplicate_blocks([verse * 2, "another text entirely, " * 9, "so: " + verse], 0.25).tolist()
        [False, False, True]
    """
    from memcap.data.text.folio import words

    seen: set[int] = set()
    out = np.zeros(len(parts), dtype=bool)
    for i, part in enumerate(parts):
        w = words(part)[0]
        shingles = {hash(tuple(w[j:j + n])) for j in range(len(w) - n + 1)}
        if shingles and len(shingles & seen) >= share * len(shingles):
            out[i] = True
        else:
            seen |= shingles
    return out


def deal_by_work(owner: np.ndarray, shares: dict[str, float], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Deal blocks (``owner``: the work of each) to splits so that every work is split as ``shares`` (name ->
    share; the shares sum to 1): each work's blocks in a random order, then one block at a time to the split that is
    furthest below its share so far, over all works in turn. Every split then holds every work's share to within
    two blocks. Returns split -> block indices, in a random order: the first rows of a split (what a run takes when
    it takes fewer than all) are a random draw of its blocks, not its first works.

        >>> dealt = deal_by_work(np.repeat([0, 1], 20), {"a": 0.5, "b": 0.5}, np.random.default_rng(0))
        >>> [int((np.repeat([0, 1], 20)[dealt["a"]] == w).sum()) for w in (0, 1)]
        [10, 10]
    """
    names, want = list(shares), np.array(list(shares.values()), dtype=float)
    if abs(want.sum() - 1) > 1e-9:
        raise ValueError(f"the shares must sum to 1, got {shares}")
    order = np.concatenate([rng.permutation(np.flatnonzero(owner == w)) for w in np.unique(owner)]) \
        if len(owner) else np.zeros(0, dtype=np.int64)
    got, ahead = np.zeros(len(names)), rng.random(len(names))  # a random start breaks ties between splits
    label = np.empty(len(order), dtype=np.int64)
    for i in range(len(order)):
        k = int(np.argmax((i + 1) * want + ahead - got))
        label[i] = k
        got[k] += 1
    return {name: rng.permutation(order[label == k]) for k, name in enumerate(names)}


def make_splits(spec: TextSpec, corpus: Corpus | None = None, cache: str | Path | None = None) -> TextSplits:
    """The splits of :class:`TextSpec` (see there) of ``corpus`` (default
    :data:`~memcap.data.text.corpora.SHAKESPEARE`), cached as ``<cache>/text/<key>.npz`` (renamed into place when
    complete, so a half-written file is never read); the tokenizer is cached by
    :func:`~memcap.data.text.tokenizers.tokenizer`."""
    import tokenizers

    corpus = corpus or corpora.SHAKESPEARE  # looked up at the call: a test may replace it
    chosen = {path: t for path, t in load(corpus, cache).items() if edition(path) in spec.editions}
    dropped_files: list[str] = []
    if spec.dealing == "works":  # whole files first: a file twice would be one text in two splits
        chosen, dropped_files = distinct_files(chosen)
    works = tuple(chosen)
    texts = [t[: spec.max_chars] if spec.max_chars else t for t in chosen.values()]
    cut = [blocks(t, spec.block_chars) for t in texts]
    parts = [b for c in cut for b in c]
    owner = np.repeat(np.arange(len(cut)), [len(c) for c in cut]).astype(np.int64)
    key = hashlib.sha256(json.dumps([spec.to_dict(), corpus.sha256, tokenizers.__version__, _LAYOUT]).encode())
    path = Path(cache or cache_dir()) / "text" / f"{key.hexdigest()[:20]}.npz"
    dealt = _deal(spec, parts, owner, path.with_suffix(".deal.json"))
    if spec.tokenizer == "gpt2":
        tok = gpt2_tokenizer(cache)
    else:
        tok = tokenizer([parts[i] for i in dealt["reference"]], spec.vocab_size, cache)
    if not path.exists():
        rows = {name: [_sequences([parts[i]], tok, spec.seq_len) for i in idx] for name, idx in dealt.items()}
        seqs = {name: _stack(rows[name], spec.seq_len) for name in SPLITS}
        origin = {name: np.concatenate([np.tile([owner[i], i], (len(r), 1)) for i, r in zip(dealt[name], rows[name])])
                  if rows[name] else np.zeros((0, 2), dtype=np.int64) for name in SPLITS}
        kept, removed, masks = _deduplicate_in_order(seqs)
        near = len(parts) - sum(len(v) for v in dealt.values())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}-{os.getpid()}.npz")
        np.savez(tmp, **kept, **{f"{s}_origin": origin[s][masks[s]] for s in SPLITS},
                 removed=np.array([removed[s] for s in SPLITS]), dropped=np.array([len(dropped_files), near]))
        os.replace(tmp, path)
    with np.load(path) as z:
        return TextSplits(**{s: z[s] for s in SPLITS if s != "validation"}, validation=z["validation"],
                          removed=dict(zip(SPLITS, z["removed"].tolist())),
                          characters=sum(len(t) for t in texts), tokenizer=tok, works=works,
                          origin={s: z[f"{s}_origin"] for s in SPLITS},
                          dropped=dict(zip(("identical_files", "near_duplicate_blocks"), z["dropped"].tolist())))


_LAYOUT = 2  # the cached file's layout: 2 adds the validation split and each sequence's work and block


def _deal(spec: TextSpec, parts: list[str], owner: np.ndarray, cached: Path) -> dict[str, np.ndarray]:
    """Block indices per split (see :class:`TextSpec`); the near-duplicate search (seconds on the whole corpus) is
    cached beside the sequences, as the deal it gives."""
    if cached.exists():
        return {k: np.asarray(v, dtype=np.int64) for k, v in json.loads(cached.read_text()).items()}
    rng = np.random.default_rng([spec.seed, 11])
    if spec.dealing == "blocks":
        order = rng.permutation(len(parts))
        n_test = max(1, round(spec.test_share * len(parts)))
        n_ref = max(1, round(spec.reference_share * len(parts)))
        if n_test + n_ref >= len(parts):
            raise ValueError(f"{len(parts)} blocks of {spec.block_chars} characters are too few for three splits")
        dealt = {"test": order[:n_test], "reference": order[n_test:n_test + n_ref], "pool": order[n_test + n_ref:],
                 "validation": order[:0]}
    else:
        keep = np.flatnonzero(~near_duplicate_blocks(parts, spec.near_duplicate_share))
        shares = dict(reference=spec.reference_share, validation=spec.validation_share, test=spec.test_share)
        shares["pool"] = 1 - sum(shares.values())
        shares = {k: v for k, v in shares.items() if v > 0}
        dealt = {k: keep[v] for k, v in deal_by_work(owner[keep], shares, rng).items()}
        dealt.setdefault("validation", keep[:0])
        short = [k for k in shares if not len(dealt[k])]
        if short:
            raise ValueError(f"{len(keep)} blocks of {spec.block_chars} characters are too few for the splits: "
                             f"{short} got none")
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f".{cached.name}-{os.getpid()}")
    tmp.write_text(json.dumps({k: v.tolist() for k, v in dealt.items()}))
    os.replace(tmp, cached)
    return dealt


def _sequences(texts: list[str], tok, seq_len: int) -> np.ndarray:
    rows = [chunk(encode(tok, t), seq_len) for t in texts]
    return _stack(rows, seq_len)


def _stack(rows: list[np.ndarray], seq_len: int) -> np.ndarray:
    return np.concatenate(rows) if rows else np.zeros((0, seq_len), dtype=np.int64)


def _deduplicate_in_order(seqs: dict[str, np.ndarray]):
    """Exact deduplication across the splits in the order of :data:`SPLITS`: a sequence is kept where it first
    appears; the kept rows, how many each split lost, and each split's mask of kept rows."""
    names = list(SPLITS)
    joined = np.concatenate([seqs[n] for n in names])
    owner = np.concatenate([np.full(len(seqs[n]), i) for i, n in enumerate(names)])
    keep = first_occurrences(joined)
    kept = {n: joined[(owner == i) & keep] for i, n in enumerate(names)}
    masks = {n: keep[owner == i] for i, n in enumerate(names)}
    return kept, {n: int(((owner == i) & ~keep).sum()) for i, n in enumerate(names)}, masks
