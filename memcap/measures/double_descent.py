"""Where a model's test loss peaks on the double-descent axis (dataset bits / capacity), and whether training
samples code shorter than test samples at its smallest set, the gap that memorization opens and data closes.

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

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu


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
