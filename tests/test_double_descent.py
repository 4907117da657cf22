"""Where test loss peaks against dataset bits / capacity (memcap.measures.double_descent), on synthetic runs."""

import math

import numpy as np
import pandas as pd
import pytest

from memcap.measures import double_descent


def synthetic_runs(peak_at=1.0, seeds=2, vocab_size=16, noise=0.01):
    """Two models on nine dataset sizes: excess test loss peaked at ``peak_at`` × capacity, training loss that
    rises from 0 just past the peak."""
    rng = np.random.default_rng(0)
    rows = []
    for model, n_params, capacity_bits in (("small", 1000, 2000.0), ("large", 4000, 8000.0)):
        for k, ratio in enumerate(np.geomspace(0.1, 4, 9)):
            for seed in range(seeds):
                stored = min(ratio, 1.0) * capacity_bits * (1 + noise * rng.normal())
                rows.append(dict(
                    model=model, seed=seed, n_params=n_params, n_sequences=10 * (k + 1),
                    dataset_bits=ratio * capacity_bits, memorized_bits=stored,
                    train_loss=0.0 if ratio <= peak_at else math.log2(vocab_size) * (1 - peak_at / ratio),
                    excess_test_loss=math.exp(-(math.log(ratio / peak_at) / 0.8) ** 2) + noise * rng.normal(),
                ))
    return pd.DataFrame(rows)


def with_ratio(frame):
    capacity = double_descent.seed_mean_capacity(frame)
    return frame.assign(capacity_ratio=frame.dataset_bits / frame.model.map(capacity)), capacity


@pytest.mark.parametrize("peak_at", [0.5, 1.0, 1.5])
def test_the_peak_is_found_where_the_curve_was_made_to_peak(peak_at):
    frame, capacity = with_ratio(synthetic_runs(peak_at))
    peaks = double_descent.peaks_of_test_loss(frame, capacity, vocab_size=16)
    assert peaks.model.tolist() == ["small", "large"]
    assert peaks.interior.all()
    for row in peaks.itertuples():
        assert abs(math.log(row.peak_ratio / peak_at)) < math.log(1.3)
        assert row.peak_low <= peak_at <= row.peak_high
        assert row.peak_excess > 3 * max(row.smallest_excess, row.largest_excess)
        assert peak_at / 1.6 <= row.last_ratio_fitted <= peak_at * 1.6  # within a grid step


def test_capacity_is_the_most_stored_on_any_size_averaged_over_seeds_first():
    frame = synthetic_runs()
    capacity = double_descent.seed_mean_capacity(frame)
    means = frame.groupby(["model", "n_sequences"]).memorized_bits.mean()
    assert capacity["small"] == pytest.approx(means["small"].max())
    assert capacity["small"] <= frame[frame.model == "small"].memorized_bits.max()


def test_falls_past_peak_catches_a_curve_that_rises_again():
    frame, _ = with_ratio(synthetic_runs())
    assert all(double_descent.falls_past_peak(frame).values())
    large = frame.model == "large"
    frame.loc[large & (frame.capacity_ratio == frame[large].capacity_ratio.max()), "excess_test_loss"] = 0.9
    assert double_descent.falls_past_peak(frame) == {"small": True, "large": False}


def test_a_model_that_fits_nothing_has_no_fitted_ratio():
    frame, capacity = with_ratio(synthetic_runs())
    frame["train_loss"] = 3.0
    peaks = double_descent.peaks_of_test_loss(frame, capacity, vocab_size=16)
    assert peaks.last_ratio_fitted.isna().all()


def test_a_model_that_stored_nothing_has_no_peak_and_fails_every_claim_on_it():
    frame, capacity = with_ratio(synthetic_runs())
    small = frame.model == "small"
    frame.loc[small, "memorized_bits"] = -1.0  # an untrained model codes fresh-looking data at about 0 bits saved
    capacity = double_descent.seed_mean_capacity(frame)
    frame["capacity_ratio"] = frame.dataset_bits / frame.model.map(capacity)
    peaks = double_descent.peaks_of_test_loss(frame, capacity, vocab_size=16).set_index("model")
    assert not peaks.loc["small", "interior"] and peaks.loc["small", "interior_share"] == 0.0
    assert peaks.loc["small", ["peak_ratio", "peak_low", "peak_high", "peak_excess"]].isna().all()
    assert peaks.loc["large", "interior"] and peaks.loc["large", "peak_low"] <= 1.0 <= peaks.loc["large", "peak_high"]
    assert double_descent.falls_past_peak(frame) == {"small": False, "large": True}
