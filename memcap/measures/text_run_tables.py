"""Text runs' stored metrics as tables: every run's losses beside what its untrained model paid (the calibration
baseline), and the reference candidates from which the oracle, the one with the lowest validation loss, is chosen.

    >>> from types import SimpleNamespace as NS
    >>> class Run:                                          # a stand-in for a text run
    ...     label, source, model = "ref", "reference", NS(n_params=1000)
    >>> r = Run()
    >>> m = dict(steps=10, tokens=640, n_trained=4, train_loss_bits_per_token=3.0, test_loss_bits_per_token=4.0,
    ...          untrained_bits_per_token=8.0, seconds=1.5)
    >>> runs_table([r], {r: m}, seq_len=32, vocab_size=256)[["role", "epochs", "test_loss"]].to_dict("records")
    [{'role': 'reference', 'epochs': 5.0, 'test_loss': 4.0}]
    >>> reference_table({"main reference d=8": r}, {r: m}, seq_len=32).test_bits_per_sequence.tolist()
    [128.0]
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def runs_table(runs, metrics: Mapping, seq_len: int, vocab_size: int) -> pd.DataFrame:
    """One row per run (``metrics`` maps a run to its metrics): its role (reference or target), label, parameters,
    steps, epochs over its distinct sequences of ``seq_len`` tokens, train and test loss and the untrained model's
    code length in bits per token, ``vocab_size`` (for :func:`~memcap.measures.baselines.calibration`), seconds."""
    return pd.DataFrame([
        dict(
            role=("reference" if r.source == "reference" else "target"),
            label=r.label,
            n_params=r.model.n_params,
            steps=metrics[r]["steps"],
            epochs=metrics[r]["tokens"] / (metrics[r]["n_trained"] * seq_len),
            train_loss=metrics[r]["train_loss_bits_per_token"],
            test_loss=metrics[r]["test_loss_bits_per_token"],
            untrained_bits_per_token=metrics[r]["untrained_bits_per_token"],
            vocab_size=vocab_size,
            seconds=metrics[r]["seconds"],
        )
        for r in runs
    ])


def reference_table(candidates: Mapping, metrics: Mapping, seq_len: int) -> pd.DataFrame:
    """The reference candidates (name -> run), indexed by name: parameters, steps, train, validation and test loss
    in bits per token (validation NaN for a run without a validation split) and a test sequence's bits (``seq_len``
    tokens). The oracle is the row with the lowest ``validation_loss``: chosen on the test split, which the attacks
    use as non-members, it would be fitted to them."""
    return pd.DataFrame([
        dict(
            reference=name,
            n_params=r.model.n_params,
            steps=metrics[r]["steps"],
            train_loss=metrics[r]["train_loss_bits_per_token"],
            validation_loss=(sum(metrics[r]["validation_bits"]) / (len(metrics[r]["validation_bits"]) * seq_len)
                             if metrics[r].get("validation_bits") else float("nan")),
            test_loss=metrics[r]["test_loss_bits_per_token"],
            test_bits_per_sequence=metrics[r]["test_loss_bits_per_token"] * seq_len,
        )
        for name, r in candidates.items()
    ]).set_index("reference")
