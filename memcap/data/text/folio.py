"""Near-duplicates that exact deduplication cannot see: the same passage in another edition of the corpus, found by
its words in a spelling the modern and First Folio editions share more often (:func:`spelling`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from memcap.data.text import corpora
from memcap.data.text.corpora import EDITIONS, Corpus, edition, load
from memcap.data.text.tokenizers import decode, encode

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
    corpus = corpus or corpora.SHAKESPEARE  # looked up at the call: a test may replace it
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
