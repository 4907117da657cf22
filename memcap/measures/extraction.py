"""Extraction rates of text targets, training samples against unseen text, and the test that a training set is
extracted more often than test text (one-sided Fisher exact test on the counts behind the two rates).

The rates are measured by the engine when a run trains (greedy decoding from a k-token prefix reproduces the next
tokens exactly: :func:`~memcap.measures.membership.extraction_rate`); here they are read back and compared.

    >>> p = extracted_more_than_test(0.5, 20, 0.0, 40)     # 10 of 20 training samples, none of 40 test samples
    >>> p < 1e-4
    True
    >>> extracted_more_than_test(0.0, 20, 0.0, 40)         # nothing extracted: nothing to claim
    1.0
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from scipy.stats import fisher_exact


def extraction_table(targets, metrics: Mapping, prefix_lens, max_samples: int) -> pd.DataFrame:
    """One row per target run and prefix length k: the extraction rate on training samples (``extract_k``) and on
    test samples (``extract_k_test``) and how many training samples were tried (at most ``max_samples``)."""
    return pd.DataFrame([
        dict(
            width=r.model.d_model,
            n=r.n_sequences,
            prefix=k,
            train=metrics[r][f"extract_{k}"],
            test=metrics[r][f"extract_{k}_test"],
            tried=min(r.n_sequences, max_samples),
        )
        for r in targets
        for k in prefix_lens
    ])


def extracted_more_than_test(train_rate: float, train_tried: int, test_rate: float, test_tried: int) -> float:
    """p-value of the one-sided Fisher exact test that training samples are extracted more often than test
    samples, from the two rates and the numbers of samples tried."""
    hit_train, hit_test = round(train_rate * train_tried), round(test_rate * test_tried)
    hits = [[hit_train, int(train_tried) - hit_train], [hit_test, test_tried - hit_test]]
    return float(fisher_exact(hits, alternative="greater").pvalue)
