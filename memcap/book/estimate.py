"""``memcap estimate``: what the book's laws predict for a model and a dataset of your own.

From a model (its parameter count, or a GPT shape), a vocabulary, a sequence length, a dataset size, a precision and
an exposure count, :func:`estimate` predicts

* the bits the model can memorize of uniformly random sequences, min(H, αP), with α's interval for the precision
  (H = sequences × length × log2 V, the dataset's entropy when its tokens are uniform, or ``dataset_bits``);
* the ratio of dataset bits to capacity, where double descent starts near 1;
* the F1 of a loss-threshold membership attack, from the law chapter 5 fits (F1 = ½(1 + c1·σ(c2(x + c3))),
  x = log2(dataset bits / capacity)), with the range its constants' intervals allow;
* the knowledge the model can hold, R(F) × P bits, at the exposure counts chapter 3 measured.

The constants come from a built book's ``results.json`` files (:func:`constants`: chapters 2-5, the build named) or,
without one, from the papers (said so): α as Morris et al.'s Table 1 means with the range of its 16 models, R(F) as
Allen-Zhu & Li's 2 and 1 bits per parameter at 1000 and 100 exposures. The papers' membership law is not used: its
printed variable gives F1 → 1 as data grow, the opposite of its text (chapter 5), so without a build no F1 is
predicted. A prediction outside the sizes where the constants were measured carries a warning.

    >>> c = constants(build_dir="/nonexistent")
    >>> e = estimate(n_params=667_136, vocab_size=2048, seq_len=64, n_sequences=1_000, precision="fp32",
    ...              constants=c)
    >>> round(e.capacity_bits), round(e.dataset_bits), round(e.memorized_bits)    # alpha 3.83, H = 1000 * 64 * 11
    (2555131, 704000, 704000)
    >>> e.f1 is None, e.knowledge_bits[1000] == 2 * 667_136
    (True, True)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from memcap.measures.membership import law as membership_law, law_x
from memcap.papers import ALLEN_ZHU_LI, MORRIS, table1

PRECISIONS = ("fp32", "bf16")


@dataclass(frozen=True)
class Constants:
    """What a prediction is made from, and where it comes from (``source``: one line)."""

    source: str
    alpha: Mapping[str, tuple[float, float, float]]  # precision -> (value, low, high), bits per parameter
    alpha_interval: Mapping[str, str]  # precision -> what (low, high) is
    knowledge_R: Mapping[int, float]  # exposures -> R(F), bits per parameter
    params_range: tuple[float, float]  # the parameter counts α was measured on
    measured_at: tuple[int, int] | None  # the vocabulary and sequence length α was measured at (None: not saved)
    law: tuple[float, float, float] | None = None  # c1, c2, c3
    law_ci: tuple[tuple[float, float], ...] | None = None
    law_alpha: float | None = None  # the α that the law's x was computed with
    law_x_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class Estimate:
    n_params: int
    dataset_bits: float
    precision: str
    capacity_bits: float
    capacity_range: tuple[float, float]
    memorized_bits: float
    memorized_range: tuple[float, float]
    ratio: float  # dataset bits / capacity
    f1: float | None
    f1_range: tuple[float, float] | None
    knowledge_bits: Mapping[int, float]
    exposures: int | None
    constants: Constants
    given_bits: bool
    warnings: list[str] = field(default_factory=list)


def constants(build_dir: str | Path = "build", scale: str = "default") -> Constants:
    """The constants of the build in ``build_dir/scale`` when chapter 2 has run there (chapters 3-5 add theirs when
    they have), else the papers'."""
    from memcap.book.headlines import load

    saved = load(build_dir, scale) if (Path(build_dir) / scale).is_dir() else {}
    if "02_capacity" not in saved:
        t = table1()
        return Constants(
            source=f"the papers (no chapter 2 results in {Path(build_dir) / scale}): Morris et al. 2025 Table 1, "
                   "Allen-Zhu & Li 2024 Results 1-4",
            alpha={p: (MORRIS[f"alpha_{p}_mean"].value, float(t[p].min()), float(t[p].max())) for p in PRECISIONS},
            alpha_interval={p: "the range of Table 1's 16 models" for p in PRECISIONS},
            knowledge_R={1000: ALLEN_ZHU_LI["peak_R_1000_exposures"].value,
                         100: ALLEN_ZHU_LI["peak_R_100_exposures"].value},
            params_range=(float(t.n_params.min()), float(t.n_params.max())),
            measured_at=(int(t.vocab_size.iloc[0]), int(t.seq_len.iloc[0])))
    ch2 = saved["02_capacity"]
    r2 = ch2["results"]
    alpha = {"fp32": (r2["alpha_bits_per_param"], *r2["alpha_ci"])}
    ch4 = saved.get("04_precision", {}).get("results", {})
    if "alpha_by_precision" in ch4:  # chapter 4 measures bf16 on its own models: scale chapter 2's interval with it
        ratio = ch4["alpha_by_precision"]["bf16"] / ch4["alpha_by_precision"]["fp32"]
        alpha["bf16"] = tuple(v * ratio for v in alpha["fp32"])
    sizes = [c["n_params"] for c in r2["capacities"].values()]
    r3 = saved.get("03_knowledge", {}).get("results", {})
    knowledge = {}
    if "exposures" in r3:
        knowledge = {max(r3["exposures"]): r3["peak_R_high_exposures"], min(r3["exposures"]): r3["peak_R_low_exposures"]}
    r5 = saved.get("05_membership", {}).get("results", {})
    law = tuple(r5["law"][c] for c in ("c1", "c2", "c3")) if "law" in r5 else None
    return Constants(
        source=f"the build {Path(build_dir) / scale} (scale {ch2.get('scale')}, commit {ch2.get('commit') or '?'}, "
               f"{str(ch2.get('finished') or '?')[:10]})",
        alpha=alpha, alpha_interval={"fp32": "95 % interval, chapter 2",
                                     "bf16": "chapter 2's interval times chapter 4's bf16/fp32 ratio"},
        knowledge_R=knowledge, params_range=(float(min(sizes)), float(max(sizes))),
        measured_at=_vocab_and_length(ch2.get("preset", {})),
        law=law, law_ci=tuple(tuple(float(v) for v in r5["law_ci"][c]) for c in ("c1", "c2", "c3")) if law else None,
        law_alpha=r5.get("alpha"), law_x_range=tuple(r5["law_x_range"]) if "law_x_range" in r5 else None)


def _vocab_and_length(preset: Mapping) -> tuple[int, int] | None:
    sweep = preset.get("sweep", {})
    return (sweep["vocab_size"], sweep["seq_len"]) if "vocab_size" in sweep and "seq_len" in sweep else None


def _positive(name: str, value, integer: bool = True):
    ok = isinstance(value, int) if integer else isinstance(value, (int, float)) and math.isfinite(value)
    if isinstance(value, bool) or not ok or value <= 0:
        kind = "a positive integer" if integer else "a positive number"
        raise ValueError(f"{name} must be {kind}, got {name}={value!r}")


def estimate(*, n_params: int, vocab_size: int, seq_len: int, n_sequences: int, precision: str = "fp32",
             exposures: int | None = None, dataset_bits: float | None = None,
             constants: Constants) -> Estimate:
    """The predictions for one model and dataset (see the module's text)."""
    for name, value in (("n_params", n_params), ("vocab_size", vocab_size), ("seq_len", seq_len),
                        ("n_sequences", n_sequences)):
        _positive(name, value)
    if vocab_size < 2 and dataset_bits is None:
        raise ValueError(f"vocab_size must be at least 2 (one token carries no bits), got vocab_size={vocab_size!r}")
    if exposures is not None:
        _positive("exposures", exposures)
    if dataset_bits is not None:
        _positive("dataset_bits", dataset_bits, integer=False)
    if precision not in constants.alpha:
        raise ValueError(f"precision must be one of {sorted(constants.alpha)} for {constants.source}, "
                         f"got precision={precision!r}")
    H = float(dataset_bits) if dataset_bits is not None else n_sequences * seq_len * math.log2(vocab_size)
    a, lo, hi = constants.alpha[precision]
    warnings = []
    small, large = constants.params_range
    if not small <= n_params <= large:
        warnings.append(f"{n_params:,} parameters is outside the sizes α was measured on ({small:,.0f} to "
                        f"{large:,.0f}): the prediction assumes α stays the same")
    if constants.measured_at and (vocab_size, seq_len) != tuple(constants.measured_at):
        warnings.append(f"α was measured at V = {constants.measured_at[0]:,}, S = {constants.measured_at[1]:,}, not at "
                        f"V = {vocab_size:,}, S = {seq_len:,}: bits per parameter change with V (chapter 2, section 9)")
    f1 = f1_range = None
    x = law_x(H, constants.law_alpha or a, n_params) if constants.law is not None else math.nan
    if constants.law is not None and math.isnan(x):
        warnings.append(f"no membership prediction: the law's α ({constants.law_alpha!r}) gives no capacity to set "
                        f"the dataset against")
    if not math.isnan(x):
        f1 = min(1.0, max(0.0, float(membership_law(x, *constants.law))))  # F1 lies in [0, 1]; the law can leave it
        with np.errstate(invalid="ignore", over="ignore"):  # an open interval (an end at ±inf) gives limits
            corners = [float(membership_law(x, *c)) for c in itertools.product(*constants.law_ci)]
        corners = ([0.0, 1.0] if any(math.isnan(c) for c in corners)  # an open end: the law can say nothing
                   else [min(1.0, max(0.0, c)) for c in corners])
        f1_range = (min(corners), max(corners))
        if constants.law_x_range and not constants.law_x_range[0] <= x <= constants.law_x_range[1]:
            warnings.append(f"x = log2(dataset bits / capacity) = {x:.2f} is outside the range the membership law "
                            f"was fitted on ({constants.law_x_range[0]:.2f} to {constants.law_x_range[1]:.2f})")
    if exposures is not None and constants.knowledge_R and exposures not in constants.knowledge_R:
        warnings.append(f"knowledge capacity was measured at {sorted(constants.knowledge_R)} exposures, not at "
                        f"{exposures}")
    return Estimate(
        n_params=n_params, dataset_bits=H, precision=precision, capacity_bits=a * n_params,
        capacity_range=(lo * n_params, hi * n_params), memorized_bits=min(H, a * n_params),
        memorized_range=(min(H, lo * n_params), min(H, hi * n_params)), ratio=H / (a * n_params),
        f1=f1, f1_range=f1_range, knowledge_bits={e: R * n_params for e, R in sorted(constants.knowledge_R.items())},
        exposures=exposures, constants=constants, given_bits=dataset_bits is not None, warnings=warnings)


def _bits(b: float) -> str:
    for unit, size in (("GB", 8e9), ("MB", 8e6), ("kB", 8e3)):
        if b >= size:
            return f"{b:,.0f} bits ({b / size:.3g} {unit})"
    return f"{b:,.0f} bits"


def text(e: Estimate) -> str:
    """The estimate as lines a reader can take in at once."""
    c = e.constants
    a, lo, hi = c.alpha[e.precision]
    lines = [
        f"constants from {c.source}",
        f"model: {e.n_params:,} parameters, {e.precision}: capacity α·P = {_bits(e.capacity_bits)}, "
        f"α = {a:.2f} bits/param [{lo:.2f}, {hi:.2f}: {c.alpha_interval[e.precision]}]",
        f"dataset: H = {_bits(e.dataset_bits)}" + ("" if e.given_bits else " (sequences × length × log2 V: its "
                                                    "entropy if tokens were uniform, an upper bound for real text)"),
        f"memorized at most: min(H, αP) = {_bits(e.memorized_bits)} [{e.memorized_range[0]:,.0f}, "
        f"{e.memorized_range[1]:,.0f}]",
        f"dataset bits / capacity = {e.ratio:.3g} ({'beyond' if e.ratio > 1 else 'within'} capacity; double descent "
        "starts near 1)",
    ]
    if e.f1 is None:
        lines.append("membership F1: not predicted (no fitted law: the papers' printed law cannot be used as "
                     "printed, see chapter 5; build chapter 5 for one)")
    else:
        lines.append(f"membership F1 (loss threshold): {e.f1:.3f} [{e.f1_range[0]:.3f}, {e.f1_range[1]:.3f}: "
                     "the law's constants at their interval ends] (0.5 = chance)")
    for count, bits in e.knowledge_bits.items():
        lines.append(f"knowledge at {count} exposures: R(F)·P = {_bits(bits)} ({c.knowledge_R[count]:.2f} bits/param)")
    lines += [f"warning: {w}" for w in e.warnings]
    return "\n".join(lines)
