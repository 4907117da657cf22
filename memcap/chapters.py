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

    def check_scale(self, scale: str) -> None:
        """Raise ValueError naming ``scale`` and the allowed ones unless this chapter has a preset for it."""
        if scale not in self.presets:
            raise ValueError(f"unknown scale {scale!r} for chapter {self.name}; allowed: {list(self.presets)}")


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
            # schedule_probe: [layers, width, H(X)/P] of the schedule comparison.
            # Steps: max(min_steps, max_epochs * N / batch), capped at max_steps; the plateau rule stops earlier,
            # and so does reaching target_fraction of the memorizable bits N(S-1)log2 V (the small sets get there
            # in a few hundred steps and then only creep: waiting for their plateau cost 1,000-3,000 steps each).
            # stack / stack_max_params: train up to `stack` runs of one shape together in one process when the
            # model has at most stack_max_params parameters (benchmarks/throughput.py: it paid up to ~7K on 2 cores).
            # Claims, each against a baseline measured in the same runs (memcap.claims): max_calibration_error (an
            # untrained model codes at log2 V per token, relative error), min_stored_fraction_small (on its smallest
            # dataset every model stores this share of the memorizable bits beyond what it stores of fresh data),
            # require_plateau (every model's curve flattens past capacity: its largest dataset gains less than
            # plateau_tolerance over the next; smoke runs are too short for it), max_prediction_error_percent (mean over all
            # prediction_configs).
            "smoke": dict(
                vocab_size=8, seq_len=8, models=[[1, 8], [1, 12], [1, 16]], head_dim=4, lrs=[3e-2, 3e-2, 3e-2],
                dataset_bits_per_param=[1, 2, 3], batch_size=64, min_steps=400, max_epochs=200, max_steps=800,
                warmup_steps=20, eval_every=50, plateau_window=3, plateau_rel_tol=0.01, decay_frac=0.3,
                min_decay_steps=100, plateau_tolerance=0.05, require_plateau=False, max_calibration_error=0.02,
                min_stored_fraction_small=0.5, max_prediction_error_percent=80, schedule_probe=[1, 8, 3], stack=4,
                stack_max_params=4000, target_fraction=0.97, prediction_configs=[[16, 8, 1, 12, 0.5], [4, 12, 1, 12, 2]],
            ),
            "default": dict(
                # 7.2K-35K params (4.9x) at two depths
                vocab_size=256, seq_len=32, models=[[2, 12], [2, 16], [2, 20], [2, 32], [1, 24]], head_dim=4,
                lrs=[3e-2, 3e-2, 2e-2, 1.2e-2, 2e-2],  # the best rate falls as width grows
                dataset_bits_per_param=[2, 8, 14], batch_size=128, min_steps=4000, max_epochs=3000, max_steps=20000,
                warmup_steps=100, eval_every=250, plateau_window=4, plateau_rel_tol=0.005, decay_frac=0.3,
                min_decay_steps=500, target_fraction=0.97, plateau_tolerance=0.05, require_plateau=True,
                max_calibration_error=0.02, min_stored_fraction_small=0.9, max_prediction_error_percent=10,
                schedule_probe=[2, 12, 8], stack=2, stack_max_params=8000,
                prediction_configs=[[256, 64, 2, 20, 1.0], [128, 48, 2, 16, 14], [512, 16, 2, 20, 14],
                                    [128, 48, 2, 16, 6]],
            ),
            "paper": dict(
                # Morris et al. Table 1: layers 1, 2, 4, 8 x widths 32 to 256; rates are ours (the paper gives none)
                vocab_size=2048, seq_len=64, models=[[L, d] for L in (1, 2, 4, 8) for d in (32, 64, 128, 256)],
                head_dim=16, lrs=[3e-3 if d <= 64 else 1e-3 for L in (1, 2, 4, 8) for d in (32, 64, 128, 256)],
                dataset_bits_per_param=[1, 2, 4, 6, 8], batch_size=2048,
                min_steps=20000, max_epochs=4000, max_steps=1_000_000, warmup_steps=1000, eval_every=1000,
                plateau_window=5, plateau_rel_tol=0.002, decay_frac=0.3, min_decay_steps=5000, target_fraction=0.97,
                plateau_tolerance=0.05, require_plateau=True, max_calibration_error=0.02,
                min_stored_fraction_small=0.9, max_prediction_error_percent=10, schedule_probe=[2, 32, 8], stack=1,
                stack_max_params=0, prediction_configs=[[1024, 64, 2, 64, 1.0], [4096, 32, 2, 64, 6]],
            ),
        },
    ),
    Chapter(
        "03_knowledge",
        "Knowledge capacity",
        presets={
            # bioD(N, K, C, D, L, T): names are name_len symbols of the same T-symbol alphabet (N0 = T^name_len);
            # T^L >= D^2 keeps the diversity term positive. Models: n_layer layers, heads of head_dim, learned or
            # rotary positions (the paper's; at width 32 on one-paragraph windows rotary stored R = 1.62 against
            # 1.97 for learned in our trials, so the CPU presets use learned); one rate per width (lrs). Windows of seq_len tokens (default: one paragraph, 16 tokens, so
            # every window starts at a paragraph; windows of 4 paragraphs stored ~40 % fewer bits at width 32 in
            # our trials), batch_size windows per step; the steps follow from the exposures. low_exposure_batch_size: batch at the smaller exposure count
            # (more, smaller steps, as the paper's small batches give). bios_*: the bioS demonstration (its word
            # vocabulary makes the output layer the cost: 1000 people at 100 exposures took over 25 CPU-minutes per
            # run on our 2 cores, so the default shows 300).
            # Claims: max_calibration_error (untrained models code at log2 V a token), min_R_beyond_fresh (at the
            # higher exposure count every model's R exceeds its R on fresh people of the same world by this many
            # bits/param), min_peak_R (1000 exposures), rmax_match (R >= rmax_match * R^max for the models with
            # R^max <= rmax_limit; at least one must exist). None: not claimed at this scale (smoke runs are short).
            "smoke": dict(
                K=2, C=1, D=8, L=2, T=8, name_len=3, n_people=100, seq_len=10, n_layer=1, head_dim=8, positions="learned",
                widths=[8, 16], lrs=[3e-2, 3e-2], batch_size=32, low_exposure_batch_size=8, warmup_frac=0.02,
                betas=[0.9, 0.98], curve_points=5, exposures=[100, 30], bios_people=20, bios_seq_len=96, bios_batch_size=8,
                bios_width=16, bios_lr=1e-2, bios_exposures=5, max_calibration_error=0.02, min_R_beyond_fresh=0.05,
                min_peak_R=None, rmax_match=0.9, rmax_limit=None,
            ),
            "default": dict(
                K=4, C=1, D=64, L=2, T=64, name_len=3, n_people=2000, seq_len=16, n_layer=2, head_dim=8, positions="learned",
                widths=[16, 24, 32, 40, 48], lrs=[2e-2, 2e-2, 2e-2, 2e-2, 2e-2], batch_size=256,
                low_exposure_batch_size=32, warmup_frac=0.02, betas=[0.9, 0.98], curve_points=20,
                exposures=[1000, 100], bios_people=300, bios_seq_len=128, bios_batch_size=16, bios_width=64,
                bios_lr=1e-2, bios_exposures=100, max_calibration_error=0.02, min_R_beyond_fresh=0.5, min_peak_R=1.7,
                rmax_match=0.9, rmax_limit=1.8,
            ),
            "paper": dict(
                # Allen-Zhu & Li's bioD scale (K, C, D, L, T as in their Figure 2 family) and GPT2-l-h widths
                K=4, C=2, D=1000, L=4, T=128, name_len=4, n_people=100_000, seq_len=512, n_layer=4, head_dim=64,
                positions="rotary",
                widths=[128, 256, 384, 512], lrs=[1e-3, 1e-3, 1e-3, 1e-3], batch_size=96, low_exposure_batch_size=24,
                warmup_frac=0.01, betas=[0.9, 0.98], curve_points=50, exposures=[1000, 100], bios_people=100_000,
                bios_seq_len=512, bios_batch_size=96, bios_width=512, bios_lr=1e-3, bios_exposures=1000,
                max_calibration_error=0.02, min_R_beyond_fresh=0.5, min_peak_R=1.7, rmax_match=0.9, rmax_limit=1.8,
            ),
        },
    ),
    Chapter(
        "04_precision",
        "Precision and quantization",
        presets={
            # precision_models / precision_ratios: chapter 2's models and dataset sizes (H(X)/P) trained in each of
            # `precisions` (the fp32 runs are chapter 2's own). bits: post-training bit widths. knowledge_widths:
            # chapter 3's bioD models quantized. Claims: min_stored_beyond_fresh (every precision's runs store this
            # share of the memorizable bits per sequence beyond fresh data; chapter 2's baselines), max_fp32_over_bf16,
            # min_int8_retained (the smallest share RTN int8 keeps, both set-ups), max_int4_retained (RTN int4 keeps at
            # most this share of what int8 keeps of the bioD model at the peak ratio).
            "smoke": dict(
                precision_models=[[1, 8], [1, 12], [1, 16]], precision_ratios=[3], precisions=["fp32", "bf16-mixed", "bf16"],
                bits=[8, 4, 3], calibration_sequences=32, knowledge_widths=[16], min_stored_beyond_fresh=0.1,
                max_fp32_over_bf16=2.0, min_int8_retained=0.8, max_int4_retained=0.9,
            ),
            "default": dict(
                precision_models=[[2, 12], [2, 16], [2, 20]], precision_ratios=[8],
                precisions=["fp32", "bf16-mixed", "bf16"], bits=[8, 6, 5, 4, 3], calibration_sequences=128,
                knowledge_widths=[24, 32, 40], min_stored_beyond_fresh=0.2, max_fp32_over_bf16=1.5,
                min_int8_retained=0.95, max_int4_retained=0.5,
            ),
            "paper": dict(
                precision_models=[[1, 32], [2, 64], [4, 128], [8, 256]], precision_ratios=[8],
                precisions=["fp32", "bf16-mixed", "bf16"], bits=[8, 6, 5, 4, 3], calibration_sequences=512,
                knowledge_widths=[256, 384, 512], min_stored_beyond_fresh=0.2, max_fp32_over_bf16=1.5,
                min_int8_retained=0.95, max_int4_retained=0.5,
            ),
        },
    ),
    Chapter(
        "05_membership",
        "Membership inference and its scaling law",
        presets={
            # extra_models x extra_ratios: chapter 2 models on larger datasets (H(X)/P), capped at extra_max_steps.
            # heldout_runs: [layers, width, H(X)/P] predicted by the law, not fitted. prefix_lens / extract_tokens:
            # greedy extraction from prefixes of these lengths, judged on the next extract_tokens tokens.
            # max_attack_samples: members (and as many non-members) per run. Claims, besides those against baselines
            # measured in the same run (calibration; the attack on the smallest dataset beats the same attack on two
            # fresh sets; training sequences are extracted more than fresh ones): spearman_level (one-sided Spearman
            # test that F1 falls with x, and bioS F1 with knowledge per parameter, at this level),
            # max_law_rmse, max_heldout_error (F1 points), min_informative_f1 (lower CI bound where extraction reads
            # zero); the bioS claims (bios_min_top_f1 ...) with None are not made at this scale.
            # bios_widths x bios_people: bioS runs at chapter 3's training budget (its bios_people x bios_exposures
            # biography presentations), measured on bios_measure_people people; claims bios_min_top_f1 (largest
            # F1 at least), bios_max_bottom_f1 (smallest F1 at most) and min_bios_heldout_extraction (the largest
            # extraction rate on held-out people's prefixes at least: template words are predictable for anyone).
            "smoke": dict(
                extra_models=[[1, 8]], extra_ratios=[6, 12], extra_max_steps=400, heldout_runs=[[1, 12, 6], [1, 8, 24]],
                prefix_lens=[2, 4], extract_tokens=2, max_attack_samples=200, n_boot=100, spearman_level=0.01,
                max_law_rmse=1.0, max_heldout_error=1.0, min_informative_f1=0.0,
                require_informative_without_extraction=False, bios_widths=[8, 16], bios_people=[20, 100],
                bios_measure_people=50, bios_min_top_f1=None, bios_max_bottom_f1=None, min_bios_heldout_extraction=None,
            ),
            "default": dict(
                extra_models=[[2, 12], [2, 16]], extra_ratios=[40, 160], extra_max_steps=6000,
                heldout_runs=[[2, 32, 40], [2, 12, 640]], prefix_lens=[4, 8, 16], extract_tokens=8,
                max_attack_samples=2000, n_boot=500, spearman_level=0.01, max_law_rmse=0.05, max_heldout_error=0.08,
                min_informative_f1=0.55, require_informative_without_extraction=True,
                bios_widths=[16, 32, 64], bios_people=[300, 3000, 30000], bios_measure_people=1000,
                bios_min_top_f1=0.95, bios_max_bottom_f1=0.6, min_bios_heldout_extraction=0.001,
            ),
            "paper": dict(
                extra_models=[[2, 64], [4, 128]], extra_ratios=[32, 128, 512], extra_max_steps=200_000,
                heldout_runs=[[8, 256, 64], [2, 64, 2048]], prefix_lens=[8, 16, 32], extract_tokens=16,
                max_attack_samples=5000, n_boot=1000, spearman_level=0.01, max_law_rmse=0.05, max_heldout_error=0.08,
                min_informative_f1=0.55, require_informative_without_extraction=True,
                bios_widths=[128, 256, 512], bios_people=[100_000, 300_000, 1_000_000], bios_measure_people=10_000,
                bios_min_top_f1=0.95, bios_max_bottom_f1=0.6, min_bios_heldout_extraction=0.001,
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
    ch.check_scale(scale)
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
