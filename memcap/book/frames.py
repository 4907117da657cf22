"""Runs and their metrics as pandas tables, one row per run."""

from __future__ import annotations

from collections.abc import Sequence

from memcap.engine.runs import CapacityRun
from memcap.model import GPTConfig


def model_label(cfg: GPTConfig) -> str:
    """A short name for a model shape, e.g. ``L2-d16`` (with V and S when asked for)."""
    return f"L{cfg.n_layer}-d{cfg.d_model}"


def to_frame(runs: Sequence[CapacityRun], metrics: Sequence[dict]):
    """One row per run: its shape, data and training settings beside its measured metrics."""
    import pandas as pd

    rows = []
    for r, m in zip(runs, metrics):
        rows.append(
            dict(
                model=model_label(r.model),
                n_layer=r.model.n_layer,
                d_model=r.model.d_model,
                vocab_size=r.model.vocab_size,
                seq_len=r.model.seq_len,
                lr=r.train.lr,
                schedule=r.train.schedule,
                precision=r.train.precision,
                dataset_bits_per_param=r.dataset_bits / r.model.n_params,  # H(X)/P of the run's data
                **m,
            )
        )
    return pd.DataFrame(rows)
