"""What repeating a few training samples does: the repeated samples against those seen once in the same run, by
mem_U, by the share a membership attack calls members, and by the share greedy decoding extracts; and the test
that the repeated samples gain more mem_U over the base run than the run's other samples do.

A run with copies trains on one set of distinct samples (``distinct``) in which some rows (``duplicated_rows`` in
its metrics) appear several times, exactly or as near-duplicates. The base run trains on the same set, each sample
once; its mem_U of every sample is ``base_mem``.

    >>> import numpy as np
    >>> repeated_and_others(np.array([9.0, 1.0, 8.0, 2.0]), np.array([0, 2]))   # rows 0 and 2 repeated
    (8.5, 1.5)
    >>> shared_ngrams([1, 2, 3, 4, 5], [9, 2, 3, 4, 5], n=3)            # (2, 3, 4) and (3, 4, 5)
    2
    >>> gains_greater([9.0, 8.0, 7.0, 9.5], [1.0, 2.0, 0.5, 1.5, 2.5, 0.0, 1.0, 3.0]) < 0.01
    True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from memcap.measures.membership import extraction_rate
from memcap.measures.text import loss_attack, mem_u


def repeated_and_others(values: np.ndarray, rows: np.ndarray) -> tuple[float, float]:
    """The mean of ``values`` over ``rows`` and over every other row."""
    others = np.setdiff1d(np.arange(len(values)), rows)
    return float(values[rows].mean()), float(values[others].mean())


def duplication_row(run, metrics: dict, model, *, kind: str, oracle: dict, distinct: np.ndarray,
                    base_mem: np.ndarray, rng: np.random.Generator, null_rng: np.random.Generator,
                    max_attack_samples: int, n_boot: int, prefix_len: int, extract_tokens: int,
                    extract_samples: int, rows: np.ndarray | None = None) -> dict:
    """One run's repeated samples against its others. ``run`` is a text run with ``copies`` and ``duplicated``,
    ``metrics`` its stored metrics, ``model`` its trained model; ``rows`` which samples count as repeated (default:
    the run's ``duplicated_rows``, else its first ``duplicated``). Returns the run's ``kind`` and ``copies``, the
    mean mem_U against the ``oracle`` of the repeated samples, of the same samples in the base run (``base_mem``)
    and of the others; the share of each the calibrated loss attack (:func:`~memcap.measures.text.loss_attack`
    with ``rng``, ``null_rng``) calls members; the share extracted from ``prefix_len``-token prefixes (the others:
    the first ``extract_samples``); the attack's F1; and, for :func:`most_copied`, every sample's mem_U in this
    run (``_mem_all``, in the order of ``distinct``) and the repeated rows (``_rows``)."""
    m = metrics
    if rows is None:
        rows = np.asarray(m.get("duplicated_rows", np.arange(run.duplicated)), dtype=int)
    others = np.setdiff1d(np.arange(len(distinct)), rows)
    mem_all = mem_u(run, m, oracle)[0]
    attack = loss_attack(m, max_attack_samples, rng, null_rng, n_boot)
    code = np.asarray(m["train_bits"])
    return dict(
        kind=kind,
        copies=run.copies,
        duplicated=len(rows),
        mem_duplicated=mem_all[rows].mean(),
        mem_same_in_base=base_mem[rows].mean(),
        mem_others=mem_all[others].mean(),
        called_members_duplicated=(code[rows] <= attack["threshold"]).mean(),
        called_members_others=(code[others] <= attack["threshold"]).mean(),
        extracted_duplicated=extraction_rate(model, distinct[rows], prefix_len, extract_tokens),
        extracted_others=extraction_rate(model, distinct[others[:extract_samples]], prefix_len, extract_tokens),
        f1=attack["f1"],
        _mem_all=mem_all,
        _rows=rows,
    )


def most_copied(dups: pd.DataFrame, kind: str, base_mem: np.ndarray) -> tuple[pd.Series, float]:
    """The row of ``dups`` (rows of :func:`duplication_row`) with the most copies of ``kind``, and the p-value of
    the test that its repeated samples gained more mem_U than its other samples did (:func:`gains_greater`), each
    sample's gain being its mem_U in that run minus its mem_U in the base run (``base_mem``), which saw every
    sample once. Comparing gains, not the repeated samples alone, keeps what moves every sample of a run (fewer steps
    for the rest, training noise, what the added text teaches about all of it) out of the test."""
    most = dups[dups.kind == kind].sort_values("copies").iloc[-1]
    mem, base = np.asarray(most._mem_all, dtype=float), np.asarray(base_mem, dtype=float)
    if mem.shape != base.shape:
        raise ValueError(f"the run has mem_U for {mem.size} samples, the base run for {base.size}: not one set")
    gain, rows = mem - base, np.asarray(most._rows, dtype=int)
    return most, gains_greater(gain[rows], np.delete(gain, rows))


def gains_greater(a, b) -> float:
    """p-value of the one-sided Mann-Whitney test that the values ``a`` tend to exceed the values ``b``; 1.0 when
    every value ties, where nothing supports the claim."""
    from scipy.stats import mannwhitneyu

    x, y = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if x.size == 0 or y.size == 0:
        raise ValueError(f"need values on both sides, got {x.size} and {y.size}")
    if np.all(np.concatenate([x, y]) == x[0]):
        return 1.0
    return float(mannwhitneyu(x, y, alternative="greater").pvalue)


def shared_ngrams(a, b, n: int = 4) -> int:
    """How many distinct token n-grams the sequences ``a`` and ``b`` have in common."""
    windows = np.lib.stride_tricks.sliding_window_view
    return len(set(map(tuple, windows(np.asarray(a), n))) & set(map(tuple, windows(np.asarray(b), n))))
