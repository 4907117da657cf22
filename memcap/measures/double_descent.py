"""Double descent: where test loss on fresh data peaks against the ratio of a dataset's bits to the model's capacity.

Runs of a few models, each on a grid of dataset sizes at several seeds (one row per run: model, seed, n_params,
n_sequences, dataset_bits, memorized_bits, train_loss and excess_test_loss in bits per token, the test loss as the
excess over log2 V). A model's capacity here is its own, measured on the same grid: the most it stores on any size,
mean over seeds. :func:`test_loss_peaks` locates each model's peak with :func:`memcap.measures.peaks.locate_peak`.

    >>> import pandas as pd
    >>> runs = pd.DataFrame(dict(model="m", seed=[0, 1, 0, 1], n_sequences=[10, 10, 20, 20],
    ...                          dataset_bits=[100.0, 100.0, 200.0, 200.0], memorized_bits=[90.0, 94.0, 120.0, 110.0]))
    >>> seed_mean_capacity(runs).to_dict()
    {'m': 115.0}
"""

from __future__ import annotations

import math

import pandas as pd

from memcap.measures.peaks import locate_peak

FITS_SHARE = 0.1  # a model fits a dataset when its training loss is under this share of log2 V


def seed_mean_capacity(frame: pd.DataFrame) -> pd.Series:
    """model -> the most it stores on any dataset size, memorized bits averaged over seeds first."""
    return (
        frame.groupby(["model", "n_sequences"], sort=False).memorized_bits.mean()
        .groupby(level="model", sort=False).max()
    )


def test_loss_peaks(frame: pd.DataFrame, capacity: pd.Series, vocab_size: int) -> pd.DataFrame:
    """One row per model: its capacity, where its mean excess test loss peaks on the axis ``capacity_ratio``
    (``peak_ratio``, with the bootstrap interval ``peak_low``-``peak_high`` over seeds, ``interior`` when the
    peak is not at an end of the grid), the excess at the peak and at the grid's two ends, the training loss at
    the peak, and the largest ratio whose dataset the model fits (mean training loss under ``FITS_SHARE`` of
    log2 V; NaN if none)."""
    rows = []
    for model, g in frame.groupby("model", sort=False):
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
    """model -> whether its mean excess test loss falls at every grid step past its largest value.

        >>> runs = pd.DataFrame(dict(model="m", capacity_ratio=[0.5, 1.0, 2.0, 4.0],
        ...                          excess_test_loss=[1.0, 3.0, 2.0, 0.5]))
        >>> falls_past_peak(runs)
        {'m': True}
    """
    out = {}
    for model, g in frame.groupby("model", sort=False):
        curve = g.groupby("capacity_ratio").excess_test_loss.mean()
        out[model] = bool(curve[curve.index >= curve.idxmax()].is_monotonic_decreasing)
    return out
