"""The chapters of the book, their scales, and what a chapter does in its first cells.

A chapter's ``parameters`` cell holds literals only (``scale``, ``seed``, ``device``, ``output_dir`` and, for
chapters that train, ``store_dir``); its next cell calls :func:`start`, which validates them, picks the typed preset
for the scale, resolves the device, the output folder and the run store, and returns a :class:`ChapterRun`. The
chapter fills ``run.results`` as it goes and at its end calls ``run.save_results()``, which writes ``results.json``
atomically (a reader never sees half a file).

    >>> run = start("01_memorization", scale="smoke", seed=0, device="cpu", output_dir="/tmp/memcap-doctest",
    ...             quiet=True)
    >>> run.preset.n_max >= 1
    True
"""

from __future__ import annotations

import functools
import json
import math
import platform
import subprocess
import time
from datetime import datetime, timezone
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from memcap import __version__
from memcap.infra.device import resolve_device
from memcap.infra.files import write_json_atomic

SCALES = ("smoke", "default", "paper")  # smoke: CI, seconds; default: the book; paper: the papers' set-ups
RESULTS_FILE = "results.json"


@dataclass(frozen=True)
class Chapter:
    """One chapter: its file stem in ``notebooks/`` and its title; its settings per scale are in
    :data:`memcap.book.presets.PRESETS`."""

    name: str
    title: str

    @property
    def number(self) -> int:
        return int(self.name.split("_", 1)[0])

    @property
    def presets(self) -> Mapping[str, Any]:
        """Scale -> this chapter's typed preset (imported on first use: it builds runs, so it needs torch)."""
        from memcap.book.presets import PRESETS

        return PRESETS[self.name]

    @property
    def scales(self) -> tuple[str, ...]:
        return SCALES

    def check_scale(self, scale: str) -> None:
        """Raise ValueError naming ``scale`` and the allowed ones unless this chapter has a preset for it."""
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r} for chapter {self.name}; allowed: {list(SCALES)}")


CHAPTERS: tuple[Chapter, ...] = (
    Chapter("01_memorization", "What it means to memorize"),
    Chapter("02_capacity", "How many bits fit in a GPT?"),
    Chapter("03_knowledge", "Knowledge capacity"),
    Chapter("04_precision", "Precision and quantization"),
    Chapter("05_membership", "Membership inference and its scaling law"),
    Chapter("06_text", "Memorization and generalization in real text"),
    Chapter("07_architecture", "What else decides knowledge capacity"),
    Chapter("08_attacks", "Membership inference as the field measures it"),
)


def get_chapter(name: str) -> Chapter:
    """Look a chapter up by its name (``01_memorization``), number (``1``, ``01``) or topic (``memorization``)."""
    key = str(name).strip().removesuffix(".py").removesuffix(".ipynb")
    for ch in CHAPTERS:
        topic = ch.name.split("_", 1)[1]
        if key in (ch.name, topic) or (key.isdigit() and int(key) == ch.number):
            return ch
    raise ValueError(f"unknown chapter {name!r}; chapters are {[c.name for c in CHAPTERS]}")


def default_output_dir(chapter: str, scale: str) -> Path:
    """Where a chapter run by plain papermill writes its results: ``build/<scale>/<chapter>``."""
    return Path("build") / scale / chapter


@dataclass(frozen=True)
class ChapterRun:
    """What a chapter's second cell gets back from :func:`start`."""

    chapter: Chapter
    scale: str
    seed: int
    device: str
    output_dir: Path
    preset: Any  # the chapter's typed preset at this scale (memcap.book.presets)
    store: Any = None  # the run store (memcap.infra.store.RunStore), for chapters that train models
    results: dict = field(default_factory=dict)  # what the chapter states, filled as it goes; saved at its end
    started: float = field(default_factory=time.time)
    _memo: Any = field(default=None, repr=False, compare=False)  # run.memo's keeper, made on first use
    # the measuring code's version when the chapter started (its modules are imported then): a source edited while
    # the chapter runs must not key what the code loaded before the edit measured
    code_version: str = field(default_factory=lambda: measurement_version(), repr=False, compare=False)
    _ledger: Any = field(default=None, repr=False, compare=False)  # run.claims, made on first use

    def rng(self, stream: int = 0) -> np.random.Generator:
        """An independent, reproducible random generator per (seed, stream)."""
        return np.random.default_rng([self.seed, stream])

    def other_results(self, chapter: str) -> dict | None:
        """Another chapter's saved results from the same build folder (``output_dir``'s parent), when that chapter
        has run there at this scale and seed; None otherwise (a chapter that compares with another says so)."""
        other = get_chapter(chapter)
        path = self.output_dir.parent / other.name / RESULTS_FILE
        if not path.exists():
            return None
        saved = json.loads(path.read_text())
        if saved.get("scale") != self.scale or saved.get("seed") != self.seed:
            return None
        return saved

    def memo(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)``, kept in the run store (``<store>/.memo``) so a warm re-run reads it: for a
        measurement of stored models that takes long (an attack with its bootstrap, a quantization sweep). Keyed by
        every input (models by their weights, generators by their state; :mod:`memcap.infra.memo`), by the code
        that measures (:func:`measurement_version`, as it was when the chapter started), the device and the torch and numpy versions; the result must be
        JSON. Without a store, just the call."""
        if self.store is None:
            return fn(*args, **kwargs)
        if self._memo is None:
            import torch

            from memcap.infra.memo import Memo

            version = f"{self.code_version}|{self.device}|torch {torch.__version__}|numpy {np.__version__}"
            object.__setattr__(self, "_memo", Memo(self.store.root / ".memo", version))  # frozen: set once
        return self._memo(fn, *args, **kwargs)

    @property
    def claims(self):
        """The ledger of this run's claims (:class:`memcap.book.claims.Ledger`), written to ``claims.json`` in
        ``output_dir`` as each is checked."""
        if self._ledger is None:
            from memcap.book.claims import Ledger

            ledger = Ledger(self.chapter.name, self.scale, self.preset, self.output_dir)
            object.__setattr__(self, "_ledger", ledger)  # frozen: set once
        return self._ledger

    def claim(self, name: str, holds: Any = None, value: Any = None, detail: str = "") -> bool | None:
        """Check the chapter's claim ``name`` (declared in :data:`memcap.book.presets.CLAIMS`): ``holds`` is the
        outcome (omitted: ``value`` judged against the claim's threshold), ``value`` what was measured (the worst
        case where the claim covers several rows). A failed claim
        that is asserted at this scale raises :class:`~memcap.book.claims.ClaimFailed`, unless collecting
        (``$MEMCAP_COLLECT_CLAIMS=1``: the run goes on and fails at :meth:`save_results`)."""
        return self.claims.check(name, holds, value, detail)

    def settings(self):
        """The preset as a table of setting, value and reason (what a chapter shows below its set-up)."""
        from memcap.book.presets import SettingsTable

        return SettingsTable(self.preset)

    def save_results(self, results: Mapping[str, Any] | None = None) -> Path:
        """Write the chapter's results (``self.results`` unless given) with its settings and its claims' outcomes
        to ``output_dir/results.json``, atomically; then fail if a claim asserted at this scale was never checked,
        or (collecting) if claims failed, listing them."""
        results = self.results if results is None else results
        payload = {
            "chapter": self.chapter.name,
            "scale": self.scale,
            "seed": self.seed,
            "device": self.device,
            "preset": self.preset.to_dict(),
            "memcap_version": __version__,
            "python": platform.python_version(),
            "elapsed_seconds": round(time.time() - self.started, 3),
            "commit": source_commit(),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "claims": _jsonable(self.claims.records()),
            "results": _jsonable(results),
        }
        path = self.output_dir / RESULTS_FILE
        write_json_atomic(path, payload)
        self.claims.finish()
        return path


@functools.lru_cache(maxsize=1)
def measurement_version() -> str:
    """What a kept measurement depends on besides its inputs: the engine's fingerprint and the source of the
    measures, the model and the memo itself (any change to them computes kept measurements again)."""
    import hashlib

    from memcap.engine.version import fingerprint

    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(fingerprint().encode())
    for path in sorted([*(package / "measures").glob("*.py"), package / "model.py", package / "infra" / "memo.py"]):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def source_commit() -> str:
    """The commit of the memcap checkout that runs (short hash, ``+changes`` when tracked files differ from it), or
    ``""`` when memcap is not run from a git checkout: the results table says which code produced a number."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(here), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10)
        if head.returncode != 0:
            return ""
        changed = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return head.stdout.strip() + ("+changes" if changed.stdout.strip() else "")


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no inf/nan
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store {type(value).__name__} value {value!r} in results.json")


def check_seed(seed: Any) -> None:
    """Raise ValueError naming ``seed`` unless it is a non-negative integer (the one check of a chapter's seed: the
    chapter's set-up, ``memcap batch``, ``plan`` and ``assign`` all use it).

        >>> check_seed(-1)
        Traceback (most recent call last):
        ValueError: seed must be a non-negative integer, got seed=-1
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got seed={seed!r}")


def start(chapter: str, *, scale: str, seed: int, device: str, output_dir: str = "", store_dir: str | None = None,
          quiet: bool = False) -> ChapterRun:
    """A chapter's set-up, its one call: validate the parameters (failing at once on a bad value, naming it), pick the
    preset for the scale, resolve the device and the output folder (``""``: :func:`default_output_dir`), open the run
    store when the chapter has one (``store_dir``; ``""``: :func:`open_store`'s default), set the figures' theme and
    print what runs where.
    """
    ch = get_chapter(chapter)
    ch.check_scale(scale)
    check_seed(seed)
    out = Path(output_dir) if output_dir else default_output_dir(ch.name, scale)
    out.mkdir(parents=True, exist_ok=True)
    _find_data_cache()
    run = ChapterRun(
        chapter=ch,
        scale=scale,
        seed=int(seed),
        device=resolve_device(device),
        output_dir=out,
        preset=ch.presets[scale],
        store=None if store_dir is None else open_store(store_dir),
    )
    if not quiet:
        from memcap.book.figures import use_book_style

        use_book_style()
        print(f"{ch.title}\nscale: {scale} | seed: {seed} | device: {run.device}")
        if run.store is not None:
            print(f"run store: {run.store.root}")
    return run


def _find_data_cache() -> None:
    """Point ``$MEMCAP_DATA`` (where fetched corpora are cached) at an absolute folder that holds them, so that a
    chapter run from another folder (an assignment's, a test's) and its sweep's worker processes, which inherit the
    variable, all read the same cache: ``build/data`` under the current folder, else under the checkout this package
    runs from. A variable already set is kept; where neither holds a corpus nothing changes, and reading one fails
    with the error that names the set-up step."""
    import os

    from memcap.data.text import CACHE_ENV, SHAKESPEARE

    if os.environ.get(CACHE_ENV):
        return
    checkout = Path(__file__).resolve().parents[2]
    for base in (Path.cwd(), checkout):
        if SHAKESPEARE.path(base / "build" / "data").exists():
            os.environ[CACHE_ENV] = str((base / "build" / "data").resolve())
            return


def open_store(store_dir: str = ""):
    """The run store shared by every chapter and scale: ``store_dir``, or ``build/store`` when empty.

    Keys cover a run's full configuration, so sharing one store across chapters and scales is safe.
    """
    from memcap.infra.store import RunStore

    store = RunStore(Path(store_dir) if store_dir else Path("build") / "store")
    store.check(writable=False)  # a file given as the folder fails here, in one line, before anything trains
    return store


def load_results(output_dir: str | Path) -> dict[str, Any]:
    """Read a chapter's ``results.json`` back (as the tests and the batch runner do)."""
    path = Path(output_dir) / RESULTS_FILE
    if not path.exists():
        raise FileNotFoundError(f"no results file at {path}: has the chapter finished?")
    return json.loads(path.read_text())
