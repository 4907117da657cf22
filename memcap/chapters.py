"""The chapters of the book, their scales, and what a chapter does in its first cells.

A chapter's ``parameters`` cell holds literals only (``scale``, ``seed``, ``device``, ``output_dir``);
its next cell calls :func:`start`, which validates them, picks the preset for the scale, resolves the
device and the output folder, and returns a :class:`ChapterRun`. At its end the chapter calls
``run.save_results({...})``, which writes ``results.json`` atomically (a reader never sees half a file).

    >>> run = start("01_memorization", scale="smoke", seed=0, device="cpu", output_dir="/tmp/memcap-doctest")
    >>> run.preset.n_max >= 1
    True
"""

from __future__ import annotations

import json
import math
import platform
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from . import __version__
from .device import resolve_device
from .files import write_json_atomic

SCALES = ("smoke", "default", "paper")  # smoke: CI, seconds; default: the book; paper: the papers' set-ups
RESULTS_FILE = "results.json"


class Preset(Mapping):
    """Read-only settings of one chapter at one scale, readable as attributes (``preset.n_max``)."""

    def __init__(self, values: Mapping[str, Any]):
        self._values = MappingProxyType(dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"preset has no setting {name!r}; it has {sorted(self._values)}") from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Preset({dict(self._values)!r})"


@dataclass(frozen=True)
class Chapter:
    """One chapter: its file stem in ``notebooks/``, its title, and its settings per scale."""

    name: str
    title: str
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def number(self) -> int:
        return int(self.name.split("_", 1)[0])

    @property
    def scales(self) -> tuple[str, ...]:
        return tuple(self.presets)


CHAPTERS: tuple[Chapter, ...] = (
    Chapter(
        "01_memorization",
        "What it means to memorize",
        presets={
            # n_max: largest dataset in the exact toy problem (2**n_max datasets are enumerated)
            # markov_*: the Kolmogorov part: a Markov source, a memorizing n-gram model, a reference
            "smoke": dict(n_max=6, coded_sequences=20, markov_vocab=8, markov_length=24, train_sequences=40),
            "default": dict(n_max=12, coded_sequences=200, markov_vocab=16, markov_length=48, train_sequences=400),
            "paper": dict(n_max=16, coded_sequences=1000, markov_vocab=32, markov_length=64, train_sequences=4000),
        },
    ),
    Chapter(
        "02_capacity",
        "How many bits fit in a GPT?",
        presets={
            # Models: [layers, width] pairs with a learning rate each (lrs), head_dim dims per head (more, narrower
            # heads stored more bits per parameter in our CPU trials). Datasets: sizes set in dataset bits per
            # parameter, H(X)/P. prediction_configs: [V, S, layers, width, H(X)/P] held out of the fit.
            # Steps: max(min_steps, max_epochs * N / batch), capped at max_steps; the plateau rule stops earlier.
            # smoke exercises every code path in seconds; its runs are far from saturated, so its claim
            # thresholds (plateau_tolerance, min_r2, max_prediction_error_percent) are loose on purpose
            "smoke": dict(
                vocab_size=8, seq_len=8, models=[[1, 8], [1, 12], [1, 16]], head_dim=4, lrs=[3e-2, 3e-2, 3e-2],
                dataset_bits_per_param=[1, 2, 3], batch_size=64, min_steps=400, max_epochs=200, max_steps=800,
                warmup_steps=20, eval_every=50, plateau_window=3, plateau_rel_tol=0.01, decay_frac=0.3,
                min_decay_steps=100, plateau_tolerance=0.6, min_stored_fraction_small=0.3, min_r2=0.5,
                max_prediction_error_percent=80, schedule_probe=[1, 8],
                prediction_configs=[[16, 8, 1, 12, 0.5], [4, 12, 1, 12, 2]],
            ),
            "default": dict(
                vocab_size=128, seq_len=32, models=[[2, 12], [2, 16], [2, 20], [2, 28]], head_dim=4,  # 5.7K-24K params
                lrs=[3e-2, 3e-2, 2e-2, 1.5e-2],  # the best rate falls as width grows
                dataset_bits_per_param=[2, 5, 8], batch_size=128, min_steps=4000, max_epochs=3000, max_steps=20000,
                warmup_steps=100, eval_every=250, plateau_window=4, plateau_rel_tol=0.005, decay_frac=0.3,
                min_decay_steps=1000, plateau_tolerance=0.05, min_stored_fraction_small=0.9, min_r2=0.98,
                max_prediction_error_percent=10, schedule_probe=[2, 12],
                prediction_configs=[[256, 24, 2, 12, 1.0], [64, 48, 2, 20, 6], [512, 16, 2, 12, 7]],
            ),
            "paper": dict(
                # Morris et al. Table 1: layers 1, 2, 4, 8 x widths 32 to 256; rates are ours (the paper gives none)
                vocab_size=2048, seq_len=64, models=[[L, d] for L in (1, 2, 4, 8) for d in (32, 64, 128, 256)],
                head_dim=16, lrs=[3e-3 if d <= 64 else 1e-3 for L in (1, 2, 4, 8) for d in (32, 64, 128, 256)],
                dataset_bits_per_param=[1, 2, 4, 6, 8], batch_size=2048,
                min_steps=20000, max_epochs=4000, max_steps=1_000_000, warmup_steps=1000, eval_every=1000,
                plateau_window=5, plateau_rel_tol=0.002, decay_frac=0.3, min_decay_steps=5000,
                plateau_tolerance=0.05, min_stored_fraction_small=0.9, min_r2=0.98,
                max_prediction_error_percent=10, schedule_probe=[2, 32],
                prediction_configs=[[1024, 64, 2, 64, 1.0], [4096, 32, 2, 64, 6]],
            ),
        },
    ),
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
    preset: Preset
    started: float = field(default_factory=time.time)

    def rng(self, stream: int = 0) -> np.random.Generator:
        """An independent, reproducible random generator per (seed, stream)."""
        return np.random.default_rng([self.seed, stream])

    def save_results(self, results: Mapping[str, Any]) -> Path:
        """Write the chapter's key results with its settings to ``output_dir/results.json``, atomically."""
        payload = {
            "chapter": self.chapter.name,
            "scale": self.scale,
            "seed": self.seed,
            "device": self.device,
            "preset": dict(self.preset),
            "memcap_version": __version__,
            "python": platform.python_version(),
            "elapsed_seconds": round(time.time() - self.started, 3),
            "results": _jsonable(results),
        }
        path = self.output_dir / RESULTS_FILE
        write_json_atomic(path, payload)
        return path


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


def start(chapter: str, *, scale: str, seed: int, device: str, output_dir: str = "") -> ChapterRun:
    """Validate a chapter's parameters and return its run settings; fails at once on a bad value.

    ``output_dir=""`` means :func:`default_output_dir`.
    """
    ch = get_chapter(chapter)
    if scale not in ch.presets:
        raise ValueError(f"unknown scale {scale!r} for chapter {ch.name}; allowed: {list(ch.presets)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got seed={seed!r}")
    out = Path(output_dir) if output_dir else default_output_dir(ch.name, scale)
    out.mkdir(parents=True, exist_ok=True)
    return ChapterRun(
        chapter=ch,
        scale=scale,
        seed=int(seed),
        device=resolve_device(device),
        output_dir=out,
        preset=Preset(ch.presets[scale]),
    )


def open_store(store_dir: str = ""):
    """The run store shared by every chapter and scale: ``store_dir``, or ``build/store`` when empty.

    Keys cover a run's full configuration, so sharing one store across chapters and scales is safe.
    """
    from .store import RunStore

    return RunStore(Path(store_dir) if store_dir else Path("build") / "store")


def load_results(output_dir: str | Path) -> dict[str, Any]:
    """Read a chapter's ``results.json`` back (as the tests and the batch runner do)."""
    path = Path(output_dir) / RESULTS_FILE
    if not path.exists():
        raise FileNotFoundError(f"no results file at {path}: has the chapter finished?")
    return json.loads(path.read_text())
