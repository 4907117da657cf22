"""The baselines the chapters' claims are measured against, and the table of thresholds beside the measurements."""

import math

import numpy as np
import pandas as pd
import pytest

from memcap.measures import claims


def test_stored_beyond_fresh_of_capacity_runs_is_a_share_of_what_a_sequence_can_give():
    # S = 9 tokens of V = 4 symbols: (S - 1)·log2 V = 16 bits a sequence can give
    f = pd.DataFrame(dict(seq_len=9, vocab_size=4, memorized_bits_per_sequence=[16.0, 8.0, 8.0, 0.0],
                          fresh_memorized_bits_per_sequence=[-40.0, 0.0, 4.0, 0.0]))
    assert claims.stored_beyond_fresh(f).tolist() == [1.0, 0.5, 0.25, 0.0]


def test_stored_beyond_fresh_of_knowledge_runs_subtracts_only_a_positive_fresh_ratio():
    f = pd.DataFrame(dict(R=[2.0, 2.0, 0.3], fresh_R=[-1.5, 0.5, 0.3]))
    assert claims.stored_beyond_fresh(f).tolist() == [2.0, 1.5, 0.0]


def test_stored_beyond_fresh_is_zero_for_a_model_that_stores_fresh_data_as_well_as_its_own():
    # a measurement that looks at the wrong data (the same numbers on both) must show nothing learnt
    rng = np.random.default_rng(0)
    own = rng.uniform(0.1, 3.0, 20)
    knowledge = pd.DataFrame(dict(R=own, fresh_R=own))
    capacity = pd.DataFrame(dict(seq_len=16, vocab_size=256, memorized_bits_per_sequence=own,
                                 fresh_memorized_bits_per_sequence=own))
    assert np.allclose(claims.stored_beyond_fresh(knowledge), 0.0)
    assert np.allclose(claims.stored_beyond_fresh(capacity), 0.0)


def test_stored_beyond_fresh_names_missing_columns():
    with pytest.raises(ValueError, match="fresh_R"):
        claims.stored_beyond_fresh(pd.DataFrame(dict(R=[1.0])))


def test_calibration_flags_a_mis_scaled_code_length():
    f = pd.DataFrame(dict(vocab_size=[256, 256], untrained_bits_per_token=[8.0, 8.0 / math.log(2)]))
    assert claims.calibration(f).calibrated.tolist() == [True, False]


def test_threshold_table_says_whether_each_threshold_was_met_then_and_now():
    measured = {"min_gain": 0.4, "max_loss": 1.5, "min_share": 0.9}
    now = {"min_gain": 0.3, "max_loss": 2.0, "min_share": None}
    before = {"min_gain": 0.5, "max_loss": 1.0, "min_share": None}
    t = claims.threshold_table(measured, now, before)
    assert t.loc["min_gain", "held_then"] == False and t.loc["min_gain", "held_now"] == True  # noqa: E712
    assert t.loc["max_loss", "held_then"] == False and t.loc["max_loss", "held_now"] == True  # noqa: E712
    assert pd.isna(t.loc["min_share", "held_now"]) and pd.isna(t.loc["min_share", "held_then"])
    assert claims.changed_thresholds(t) == ["min_gain", "max_loss"]


def test_threshold_table_without_a_record_before_the_runs_changes_nothing():
    t = claims.threshold_table({"min_a": 1.0, "max_b": 3.0}, {"min_a": 2.0, "max_b": None})
    assert t.loc["min_a", "before_the_runs"] == 2.0 and pd.isna(t.loc["max_b", "before_the_runs"])
    assert claims.changed_thresholds(t) == []
    assert t.loc["min_a", "held_now"] == False  # noqa: E712
