"""What chapter 7 measures of its variants, from one seed's runs: each MLP family's peak and its ratio to GPT-2's, the
mixture against GPT-2 and against MLP/4, what is left without each layer, and what junk costs the useful people's
values. The chapter computes its first seed's tables with these functions and every other seed's the same way, so
that its claims can judge the mean over seeds (:func:`memcap.measures.seeds.across_seeds`).

Every function takes a table with one row per trained run (the chapter's ``frame``: ``family``, ``width``,
``exposures``, ``n_params``, ``R`` and the run's other metrics) of one seed.

    >>> import pandas as pd
    >>> arch = pd.DataFrame(dict(family=["standard"] * 2 + ["none"] * 2, exposures=100, width=[16, 24] * 2,
    ...                          n_params=[100, 200, 60, 120], R=[1.0, 0.8, 0.4, 0.5]))
    >>> peaks = family_peaks(arch, {"standard": {16: 9, 24: 5}, "none": {16: 9, 24: 5}})
    >>> peak_ratios(peaks, 100)
    {'standard': 1.0, 'none': 0.5}
    >>> cost_factor(0.5), cost_factor(0.0), cost_factor(float("nan"))
    (2.0, inf, nan)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from memcap.measures.knowledge import value_capacity_ratio
from memcap.measures.peaks import find_peak

__all__ = ["family_peaks", "peak_ratios", "cost_factor", "mixture_peaks", "mixture_versus_quarter",
           "pooled_moe_over_quarter", "junk_tables", "junk_effects", "layer_removal", "mean_recall"]

BASE = "standard"  # GPT-2's MLP: every family is set beside it


def family_peaks(arch: pd.DataFrame, ceilings: Mapping[str, Mapping[int, float]], base: str = BASE) -> pd.DataFrame:
    """Each family's peak at each exposure count (:func:`~memcap.measures.peaks.find_peak` over its widths, closed
    by ``ceilings``: family -> width -> R^max), indexed by (family, exposures): the peak's width, R, parameters, how
    each side is closed, and ``ratio_to_gpt2``, its R over ``base``'s peak R at that count."""
    rows = [dict(family=family, exposures=e, n_params=g.set_index("width").n_params[peak.width], **vars(peak),
                 bracketed=peak.bracketed)
            for (family, e), g in arch.groupby(["family", "exposures"], sort=False)
            for peak in [find_peak(dict(zip(g.width, g.R)), ceilings[family])]]
    peaks = pd.DataFrame(rows).set_index(["family", "exposures"])
    if base not in peaks.index.get_level_values("family"):
        raise ValueError(f"no {base!r} family among the runs; families: {sorted(set(arch.family))}")
    peaks["ratio_to_gpt2"] = [r / peaks.loc[(base, e), "R"] for (_, e), r in zip(peaks.index, peaks.R)]
    return peaks


def peak_ratios(peaks: pd.DataFrame, exposures: int, base: str = BASE) -> dict[str, float]:
    """Family -> its peak R over ``base``'s at ``exposures``: NaN for every family when ``base`` stores nothing
    (R <= 0), where a ratio means nothing."""
    at_base = peaks.loc[(base, exposures), "R"]
    families = peaks.index.get_level_values("family").unique()
    return {f: float(peaks.loc[(f, exposures), "R"] / at_base) if at_base > 0 else math.nan for f in families}


def cost_factor(ratio: float) -> float:
    """What a change costs as a factor (capacity without it over capacity with it) from ``ratio`` (with over
    without): infinite when nothing is left with it (ratio <= 0), NaN when the ratio is undefined."""
    return math.nan if math.isnan(ratio) else 1 / ratio if ratio > 0 else math.inf


def mixture_peaks(moe: pd.DataFrame, ceilings: Mapping[int, float], peaks: pd.DataFrame,
                  counts: Sequence[int], base: str = BASE) -> pd.DataFrame:
    """The mixture's peak at each count in ``counts`` (over its widths, closed by ``ceilings``), indexed by exposures:
    its width, parameters in total and active, R per total parameter (``R_total``) and per active one
    (``R_active``), ``bracketed``, ``gpt2_over_moe``: ``base``'s peak R over the mixture's per total parameter (the
    paper's quantity; inf where the mixture stores nothing), and ``moe_over_gpt2``, the same the other way up, with
    the reference below (NaN where ``base`` stores nothing): what a mean over seeds can average."""
    rows = []
    for e in counts:
        g = moe[moe.exposures == e].set_index("width")
        peak = find_peak(g.R.to_dict(), ceilings)
        rows.append(dict(exposures=e, moe_width=peak.width, moe_params=g.n_params[peak.width],
                         moe_active=g.active_params[peak.width], R_total=peak.R,
                         R_active=peak.R * g.n_params[peak.width] / g.active_params[peak.width],
                         bracketed=peak.bracketed, gpt2_peak_R=peaks.loc[(base, e), "R"],
                         gpt2_over_moe=peaks.loc[(base, e), "R"] / peak.R if peak.R > 0 else math.inf,
                         moe_over_gpt2=(peak.R / peaks.loc[(base, e), "R"] if peaks.loc[(base, e), "R"] > 0
                                        else math.nan)))
    return pd.DataFrame(rows).set_index("exposures")


def mixture_versus_quarter(moe: pd.DataFrame, quarter: pd.DataFrame) -> pd.DataFrame:
    """Every (width, exposures) where both the mixture and MLP/4 were trained: their knowledge bits and
    ``moe_over_quarter``, the mixture's over MLP/4's (inf where only MLP/4 stores nothing, NaN where neither
    stores)."""
    q = quarter.set_index(["width", "exposures"]).knowledge_bits
    versus = pd.DataFrame([dict(width=r.width, exposures=r.exposures, moe_bits=r.knowledge_bits,
                                quarter_bits=float(q[(r.width, r.exposures)]))
                           for r in moe.itertuples() if (r.width, r.exposures) in q.index],
                          columns=["width", "exposures", "moe_bits", "quarter_bits"])
    versus["moe_over_quarter"] = np.where(versus.quarter_bits > 0, versus.moe_bits / versus.quarter_bits.where(
        versus.quarter_bits > 0), np.where(versus.moe_bits > 0, np.inf, np.nan))
    return versus


def pooled_moe_over_quarter(versus: Sequence[pd.DataFrame], exposures: int) -> float:
    """The mixture's bits over MLP/4's at ``exposures`` from several seeds' :func:`mixture_versus_quarter` tables:
    at each width, the mean of the mixture's bits over the seeds against the mean of MLP/4's (a ratio of means, so
    that one seed where MLP/4 stores almost nothing cannot make it infinite), then the narrowest margin over the
    widths. Inf where MLP/4's mean is at or below 0 and the mixture's above, NaN where neither stores or no width
    was trained at that count; with one seed, the smallest ``moe_over_quarter`` of that table."""
    both = pd.concat(list(versus))
    both = both[both.exposures == exposures].groupby("width")[["moe_bits", "quarter_bits"]].mean()
    if both.empty:
        return math.nan
    ratio = np.where(both.quarter_bits > 0, both.moe_bits / both.quarter_bits.where(both.quarter_bits > 0),
                     np.where(both.moe_bits > 0, np.inf, np.nan))
    return float(pd.Series(ratio).min(skipna=False))


def junk_tables(junk_runs: pd.DataFrame, spec, setups: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The junk runs' ``R_values`` (Theorem 3.2's value term per parameter:
    :func:`~memcap.measures.knowledge.value_capacity_ratio`) beside ``R``, and their loss terms ``p1``, ``p2`` and
    recall: two tables with a row per set-up (in the order of ``setups``) and a column per (quantity, exposures)."""
    runs = junk_runs.assign(R_values=[value_capacity_ratio(spec, p2, n) for p2, n in
                                      zip(junk_runs.p2, junk_runs.n_params)])
    missing = sorted(set(setups) - set(runs.family))
    if missing:
        raise ValueError(f"no junk runs of the set-ups {missing}; runs of: {sorted(set(runs.family))}")
    both = runs.pivot(index="family", columns="exposures", values=["R_values", "R"]).loc[list(setups)]
    terms = runs.pivot(index="family", columns="exposures", values=["p1", "p2", "recall_accuracy"]).loc[list(setups)]
    return both, terms


def junk_effects(junk: pd.DataFrame, low: int, high: int, clean: str = "no junk", random: str = "random junk",
                 domain: str = "random junk + domain token", repetitive: str = "repetitive junk") -> dict[str, float]:
    """What junk does to ``R_values`` (``junk``: a row per set-up, a column per exposure count), each against no junk
    at the ``low`` count (NaN where no junk stores nothing): ``kept`` (random junk over no junk, at ``low``: the
    inverse of the loss factor), ``recovered_low`` and ``recovered_high`` (the share of random junk's cost the domain token
    gives back at each count; NaN where random junk costs nothing), ``catch_up`` (the domain token's runs at ``high``
    over no junk at ``low``) and ``repetitive_share`` (repetitive junk over no junk, at ``low``)."""
    c, r, d = junk.loc[clean], junk.loc[random], junk.loc[domain]
    recovered = ((d - r) / (c - r)).where(c > r)
    stored = c[low] > 0
    return dict(kept=float(r[low] / c[low]) if stored else math.nan,
                recovered_low=float(recovered[low]), recovered_high=float(recovered[high]),
                catch_up=float(d[high] / c[low]) if stored else math.nan,
                repetitive_share=float(junk.loc[repetitive, low] / c[low]) if stored else math.nan)


def layer_removal(removal: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """From the rows of :func:`memcap.engine.studies.ablation.bits_without_each_layer` with a ``model`` and
    ``layers`` column (``removed`` NaN: the whole model): every removal with ``bits_over_layered``, its bits (not
    clipped at 0) over the whole model's times 1 - 1/L (NaN where the whole model stores nothing), and
    ``recall_whole``; and the quantities the chapter claims on: ``last_share`` (the most any model keeps without
    its last layer, its clipped share over 1 - 1/L) and ``worst_layer`` (the largest ``bits_over_layered``). Recall
    is judged over seeds: :func:`mean_recall`."""
    whole = removal[removal.removed.isna()].set_index("model")
    without = removal[removal.removed.notna()].copy()
    whole_bits = without.model.map(whole.knowledge_bits)
    without["bits_over_layered"] = (without.knowledge_bits / whole_bits.where(whole_bits > 0)
                                    / (1 - 1 / without.layers))
    without["recall_whole"] = without.model.map(whole.recall_accuracy)
    last = without[without.removed == without.layers - 1]
    return without, dict(last_share=float((last.share / (1 - 1 / last.layers)).max(skipna=False)),
                         worst_layer=float(without.bits_over_layered.max(skipna=False)))


def mean_recall(without: Sequence[pd.DataFrame]) -> tuple[pd.DataFrame, list[tuple[str, int]]]:
    """From several seeds' removal tables (:func:`layer_removal`'s first value): each (model, layer removed)'s recall
    without the layer and the whole model's recall, as means over the seeds (NaN if a seed's is NaN), and the
    (model, layer) pairs where the mean recall did not fall below the whole model's (a NaN counts as not falling:
    nothing shows that it fell)."""
    rows = pd.concat(list(without)).groupby(["model", "removed"])[["recall_accuracy", "recall_whole"]]
    recall = rows.agg(lambda x: x.mean(skipna=False))
    kept = recall[~(recall.recall_accuracy < recall.recall_whole)]
    return recall, [(m, int(r)) for m, r in kept.index]
