"""Unintended memorization of text targets as tables: every target's mem_U against the oracle and against its main
reference, and the two claims on it, that memorization per sample rises with parameters and falls with data.

A target is a text run trained on a set drawn from the pool; its metrics hold the code length of every training
and test sequence (``train_bits``, ``test_bits``); a reference's metrics also hold every pool sequence's
(``pool_bits``). :func:`~memcap.measures.text.mem_u` turns the two into mem_U sample by sample. The claims compare
the same samples (the sets are nested) with a one-sided Wilcoxon signed-rank test:

    >>> import numpy as np, pandas as pd
    >>> mem = pd.DataFrame(dict(width=[8, 8, 32, 32], n=[10, 20, 10, 20], ratio=[0.5, 1.5, 0.1, 0.4]))
    >>> grow = np.arange(20.0)
    >>> per_sample = {(8, 10): grow[:10], (8, 20): grow / 2, (32, 10): grow[:10] + 3, (32, 20): grow + 1}
    >>> rises_with_parameters(mem, per_sample, 8, 32).round(4).to_dict("list")["p_value"]
    [0.001, 0.0]
    >>> falls_with_data(per_sample, [8, 32], 10, 20).p_value.round(4).tolist()
    [0.002, 0.001]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from memcap.measures.text import dataset_bits, mem_u, paired_greater


def memorization_table(targets, metrics: Mapping, oracle: dict, references: Mapping[int, dict],
                       alpha: float) -> tuple[pd.DataFrame, dict]:
    """One row per target run (in the order given): its set's bits as its main reference codes them, mem_U per
    sample and summed over the set against the oracle (``mem_*``) and against the main reference (``main_mem_*``),
    on training and on test sequences, its losses, and ``ratio`` = dataset bits / (``alpha`` P). ``metrics`` maps a
    run to its metrics; ``references`` maps a width (d_model) to the metrics of that width's main reference.
    Returns (the table, {(width, n_sequences): mem_U of every training sample against the oracle})."""
    rows, per_sample = [], {}
    for r in targets:
        m, main = metrics[r], references[r.model.d_model]
        mem_train, mem_test = mem_u(r, m, oracle)
        per_sample[r.model.d_model, r.n_sequences] = mem_train
        main_train, main_test = mem_u(r, m, main)
        rows.append(dict(
            width=r.model.d_model,
            n_params=r.model.n_params,
            n=r.n_sequences,
            dataset_bits=dataset_bits(r, main),
            mem_per_sample=mem_train.mean(),
            mem_total=mem_train.sum(),
            mem_test_per_sample=mem_test.mean(),
            main_mem_per_sample=main_train.mean(),
            main_mem_total=main_train.sum(),
            main_mem_test_per_sample=main_test.mean(),
            train_loss=m["train_loss_bits_per_token"],
            test_loss=m["test_loss_bits_per_token"],
        ))
    mem = pd.DataFrame(rows)
    mem["ratio"] = mem.dataset_bits / (alpha * mem.n_params)  # dataset bits / capacity
    return mem, per_sample


def rises_with_parameters(mem: pd.DataFrame, per_sample: Mapping, small: int, large: int) -> pd.DataFrame:
    """For every set size of width ``small`` (in ``mem``'s order): the smallest model's ratio, both widths' mean
    mem_U per sample, and the p-value that the ``large`` width memorizes each sample more than the ``small`` one."""
    rows = []
    for n in mem[mem.width == small].n.tolist():
        rows.append(dict(
            n=n,
            smallest_model_ratio=mem[(mem.width == small) & (mem.n == n)].ratio.iloc[0],
            smallest=per_sample[small, n].mean(),
            largest=per_sample[large, n].mean(),
            p_value=paired_greater(per_sample[large, n], per_sample[small, n]),
        ))
    return pd.DataFrame(rows)


def falls_with_data(per_sample: Mapping, widths, n_min: int, n_max: int) -> pd.DataFrame:
    """For every width: the mean mem_U of the ``n_min`` samples of the smallest set when that set is all the model
    sees (``alone``) and when they are the first of the ``n_max`` set, and the p-value that they are memorized more
    alone."""
    return pd.DataFrame([
        dict(
            width=w,
            alone=per_sample[w, n_min].mean(),
            in_largest_set=per_sample[w, n_max][:n_min].mean(),
            p_value=paired_greater(per_sample[w, n_min], per_sample[w, n_max][:n_min]),
        )
        for w in widths
    ])

