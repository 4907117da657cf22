"""Double descent: where test loss on fresh data peaks against the ratio of a dataset's bits to the model's capacity.

Runs of a few models, each on a grid of dataset sizes at several seeds (one row per run: model, seed, n_params,
n_sequences, dataset_bits, memorized_bits, train_loss and excess_test_loss in bits per token, the test loss as the
excess over log2 V). A model's capacity here is its own, measured on the same grid: the most it stores on any size,
mean over seeds. :func:`peaks_of_test_loss` locates each model's peak with
:func:`memcap.measures.peaks.locate_peak`.

    >>> import pandas as pd
    >>> runs = pd.DataFrame(dict(model="m", seed=[0, 1, 0, 1], n_sequences=[10, 10, 20, 20],
    ...                          dataset_bits=[100.0, 100.0, 200.0, 200.0], memorized_bits=[90.0, 94.0, 120.0, 110.0]))
    >>> seed_mean_capacity(runs).to_dict()
    {'m': 115.0}

On real text (chapter 6) one run per width and set, no seeds: :func:`peaks_and_gaps` takes the highest test loss
as the peak and adds the train/test gap at the smallest set.

    >>> import pandas as pd
    >>> mem = pd.DataFrame(dict(width=[8, 8, 8], n=[10, 40, 20], ratio=[0.5, 2.0, 1.0],
    ...                         train_loss=[1.0, 3.0, 2.0], test_loss=[5.0, 4.0, 6.0]))
    >>> smallest = {8: dict(train_bits=[1.0, 2, 3, 4, 5], test_bits=[6.0, 7, 8, 9, 10])}
    >>> row = peaks_and_gaps(mem, smallest).iloc[0]
    >>> int(row.peak_at_n), float(row.peak_ratio), bool(row.interior_peak), float(row.gap_smallest)
    (20, 1.0, True, 4.0)
    >>> describe(peaks_and_gaps(mem, smallest), mem)
    ['d=8: test loss highest at N=20 (ratio 1.00), falling at every larger set; train loss 1.00 -> 3.00 bits/token']
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from memcap.measures.peaks import locate_peak

FITS_SHARE = 0.1  # a model fits a dataset when its training loss is under this share of log2 V


def seed_mean_capacity(frame: pd.DataFrame) -> pd.Series:
    """model -> the most it stores on any dataset size, memorized bits averaged over seeds first."""
    return (
        frame.groupby(["model", "n_sequences"], sort=False).memorized_bits.mean()
        .groupby(level="model", sort=False).max()
    )


_PEAK_FIELDS = ("peak_ratio", "peak_low", "peak_high", "peak_excess", "smallest_excess", "largest_excess",
                "train_loss_at_peak", "last_ratio_fitted")


def peaks_of_test_loss(frame: pd.DataFrame, capacity: pd.Series, vocab_size: int) -> pd.DataFrame:
    """One row per model: its capacity, where its mean excess test loss peaks on the axis ``capacity_ratio``
    (``peak_ratio``, with the bootstrap interval ``peak_low``-``peak_high`` over seeds, ``interior`` when the
    peak is not at an end of the grid), the excess at the peak and at the grid's two ends, the training loss at
    the peak, and the largest ratio whose dataset the model fits (mean training loss under ``FITS_SHARE`` of
    log2 V; NaN if none). A model whose capacity is not positive (it stored nothing) has no such axis: its peak,
    interval and excesses are NaN and ``interior`` is False, so that every claim on them fails."""
    rows = []
    for model, g in frame.groupby("model", sort=False):
        if not capacity[model] > 0:
            rows.append(dict(model=model, params=int(g.n_params.iloc[0]), capacity_bits=capacity[model],
                             bits_per_param=capacity[model] / g.n_params.iloc[0], interior_share=0.0,
                             interior=False, **dict.fromkeys(_PEAK_FIELDS, math.nan)))
            continue
        wide = g.pivot_table(index="seed", columns="capacity_ratio", values="excess_test_loss")
        peak = locate_peak(wide.columns.to_numpy(), wide.to_numpy())
        curve = wide.mean()
        train = g.groupby("capacity_ratio").train_loss.mean()
        fits = train[train < FITS_SHARE * math.log2(vocab_size)]
        rows.append(dict(
            model=model, params=int(g.n_params.iloc[0]), capacity_bits=capacity[model],
            bits_per_param=capacity[model] / g.n_params.iloc[0],
            peak_ratio=peak.x, peak_low=peak.interval[0], peak_high=peak.interval[1],
            interior_share=peak.interior_share, interior=peak.interior,
            peak_excess=curve.iloc[peak.index], smallest_excess=curve.iloc[0],
            largest_excess=curve.iloc[-1],
            train_loss_at_peak=train.iloc[peak.index],
            last_ratio_fitted=fits.index.max() if len(fits) else math.nan,
        ))
    return pd.DataFrame(rows)


def falls_past_peak(frame: pd.DataFrame) -> dict[str, bool]:
    """model -> whether its mean excess test loss falls at every grid step past its largest value (False for a
    model whose ratios are not all positive: with no capacity there is no axis to peak on).

        >>> runs = pd.DataFrame(dict(model="m", capacity_ratio=[0.5, 1.0, 2.0, 4.0],
        ...                          excess_test_loss=[1.0, 3.0, 2.0, 0.5]))
        >>> falls_past_peak(runs)
        {'m': True}
    """
    out = {}
    for model, g in frame.groupby("model", sort=False):
        if not (g.capacity_ratio > 0).all():
            out[model] = False
            continue
        curve = g.groupby("capacity_ratio").excess_test_loss.mean()
        out[model] = bool(curve[curve.index >= curve.idxmax()].is_monotonic_decreasing)
    return out


def peaks_and_gaps(mem: pd.DataFrame, smallest: Mapping[int, dict]) -> pd.DataFrame:
    """One row per width of ``mem`` (columns width, n, ratio, train_loss, test_loss; one row per training set):
    the set with the highest test loss (``peak_at_n``, ``peak_ratio``), whether it lies inside the sizes trained
    (``interior_peak``: else no peak was seen), how many of the larger sets raise the test loss again, the test -
    train loss gap at the smallest and the largest set, and the one-sided Mann-Whitney p-value that the smallest
    set's training sequences code shorter than its test sequences (``smallest``: width -> that run's metrics)."""
    rows = []
    for w, g in mem.groupby("width"):
        g = g.sort_values("n")
        i = int(np.argmax(g.test_loss.to_numpy()))
        m = smallest[w]
        rows.append(dict(
            width=w,
            peak_at_n=int(g.n.iloc[i]),
            peak_ratio=g.ratio.iloc[i],
            interior_peak=0 < i < len(g) - 1,
            rises_after_peak=int((np.diff(g.test_loss.to_numpy()[i:]) > 0).sum()),
            sets_after_peak=len(g) - 1 - i,
            gap_smallest=g.test_loss.iloc[0] - g.train_loss.iloc[0],
            gap_largest=g.test_loss.iloc[-1] - g.train_loss.iloc[-1],
            gap_p_value=mannwhitneyu(m["test_bits"], m["train_bits"], alternative="greater").pvalue,
        ))
    return pd.DataFrame(rows)


def describe(peaks: pd.DataFrame, mem: pd.DataFrame) -> list[str]:
    """One sentence per row of :func:`peaks_and_gaps`: where the width's test loss peaks, whether it falls at every
    larger set, and its train loss from the smallest set to the largest (``mem`` as for :func:`peaks_and_gaps`)."""
    lines = []
    for d in peaks.itertuples():
        g = mem[mem.width == d.width].sort_values("n")
        after = ("falling at every larger set" if d.rises_after_peak == 0 else
                 f"rising again at {d.rises_after_peak} of the {d.sets_after_peak} larger sets")
        lines.append(f"d={d.width}: test loss highest at N={d.peak_at_n} (ratio {d.peak_ratio:.2f}), {after}; "
                     f"train loss {g.train_loss.iloc[0]:.2f} -> {g.train_loss.iloc[-1]:.2f} bits/token")
    return lines
