"""Baselines measured in the same run, against which the chapters state their claims.

An identity (memorized bits <= H(X), R <= R^max) holds whatever the model does, so it cannot show that training
worked. Every stored run therefore carries two baselines, measured by the engine beside its result:

* **calibration**: the code length per token of the training data under the *untrained* model, which is log2 V
  for a model that knows nothing. It fails when code lengths are mis-scaled (a wrong nats->bits factor).
* **fresh data**: the *trained* model measured on fresh data from the same source (uniform sequences it never saw;
  bioD people it never saw). What it stores of its training data beyond that is what it memorized; the gap is
  zero when nothing was learnt (learning rate 0) or when the measurement looks at the wrong data.

    >>> import pandas as pd
    >>> f = pd.DataFrame(dict(vocab_size=[256], untrained_bits_per_token=[8.04]))
    >>> round(float(calibration(f).calibration_error.iloc[0]), 3)
    0.005

The claims themselves, with their thresholds, are declared in :mod:`memcap.book.claims`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def calibration(frame, tolerance: float = 0.02):
    """``frame`` (one row per run, columns vocab_size, untrained_bits_per_token) with the relative error of the
    untrained model's bits per token against log2 V, and whether it is within ``tolerance``."""
    out = frame.copy()
    out["log2_vocab"] = np.log2(out.vocab_size.astype(float))
    out["calibration_error"] = out.untrained_bits_per_token / out.log2_vocab - 1
    out["calibrated"] = out.calibration_error.abs() <= tolerance
    return out


def stored_beyond_fresh(frame):
    """Per run: what a trained model stores of its own data beyond what it "stores" of fresh data from the same
    source. The fresh baseline counts only when positive: a model that knows its own data well is over-confident
    on data it never saw, and nothing below zero is knowledge to subtract. One meaning for every run kind:

    * capacity runs (columns seq_len, vocab_size, memorized_bits_per_sequence, fresh_memorized_bits_per_sequence):
      the memorized bits per training sequence beyond max(0, fresh) as a share of the most one sequence can give,
      (S − 1)·log2 V. About 1 for a model that stores its small dataset; 0 for one that learnt nothing.

        >>> f = pd.DataFrame(dict(seq_len=[9], vocab_size=[2], memorized_bits_per_sequence=[6.0],
        ...                       fresh_memorized_bits_per_sequence=[-3.0]))
        >>> float(stored_beyond_fresh(f).iloc[0])
        0.75

    * knowledge runs (columns R, fresh_R): the capacity ratio beyond max(0, R on people the model never saw), in
      bits per parameter.

        >>> stored_beyond_fresh(pd.DataFrame(dict(R=[1.5, 1.5], fresh_R=[-0.2, 0.5]))).tolist()
        [1.5, 1.0]
    """
    if {"R", "fresh_R"} <= set(frame.columns):
        return frame.R - frame.fresh_R.clip(lower=0)
    if {"memorized_bits_per_sequence", "fresh_memorized_bits_per_sequence"} <= set(frame.columns):
        per_sequence = (frame.seq_len - 1) * np.log2(frame.vocab_size.astype(float))
        baseline = frame.fresh_memorized_bits_per_sequence.clip(lower=0)
        return (frame.memorized_bits_per_sequence - baseline) / per_sequence
    raise ValueError("stored_beyond_fresh needs the columns R and fresh_R (knowledge runs) or "
                     "memorized_bits_per_sequence and fresh_memorized_bits_per_sequence (capacity runs); got "
                     f"{sorted(frame.columns)}")
