"""Trends fitted across trained models: capacity's exponent in P, predictions of held-out runs, embedding share."""

import numpy as np
import pandas as pd
import pytest

from memcap.measures import trends
from memcap.model import GPTConfig


@pytest.mark.parametrize("ci, starts", [
    ((0.9, 1.1), "linear"),
    ((1.05, 1.3), "faster"),
    ((0.6, 0.9), "slower"),
    ((0.7, 1.3), "not decided"),   # contains 1 but cannot exclude 0.8 or 1.2
    ((0.85, 1.25), "not decided"),
])
def test_exponent_verdict_says_only_what_the_interval_allows(ci, starts):
    assert trends.exponent_verdict(ci).startswith(starts)


def test_prediction_errors_use_the_smaller_of_the_data_and_alpha_p():
    f = pd.DataFrame(dict(dataset_bits=[100.0, 10_000.0], memorizable_bits=[90.0, 9_000.0], n_params=[100, 100],
                          memorized_bits=[90.0, 330.0]))
    out = trends.prediction_errors(f, alpha=3.0)
    assert out.predicted_H.tolist() == [100.0, 300.0]
    assert out.predicted_bits.tolist() == [90.0, 300.0]
    assert out.error_percent.tolist() == pytest.approx([0.0, 10.0])
    assert out.error_H_percent.tolist() == pytest.approx([-10.0, 10.0])
    assert "predicted_H" not in f  # the input is left as it was


@pytest.mark.parametrize("L, d, V, S", [(1, 32, 2048, 64), (2, 16, 256, 32)])
def test_embedding_share_counts_the_token_and_position_tables(L, d, V, S):
    cfg = GPTConfig(vocab_size=V, seq_len=S, n_layer=L, d_model=d)
    share = trends.embedding_share(V, S, d, cfg.n_params)
    assert share == pytest.approx((V * d + S * d) / cfg.n_params)
    assert 0 < share < 1
    assert trends.embedding_share(np.array([V]), np.array([S]), np.array([d]), np.array([cfg.n_params]))[0] == share
