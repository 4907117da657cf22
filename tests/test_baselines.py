"""The baselines the chapters' claims are measured against."""

import math

import numpy as np
import pandas as pd
import pytest

from memcap.measures import baselines


def test_stored_beyond_fresh_of_capacity_runs_is_a_share_of_what_a_sequence_can_give():
    # S = 9 tokens of V = 4 symbols: (S - 1)·log2 V = 16 bits a sequence can give
    f = pd.DataFrame(dict(seq_len=9, vocab_size=4, memorized_bits_per_sequence=[16.0, 8.0, 8.0, 0.0],
                          fresh_memorized_bits_per_sequence=[-40.0, 0.0, 4.0, 0.0]))
    assert baselines.stored_beyond_fresh(f).tolist() == [1.0, 0.5, 0.25, 0.0]


def test_stored_beyond_fresh_of_knowledge_runs_subtracts_only_a_positive_fresh_ratio():
    f = pd.DataFrame(dict(R=[2.0, 2.0, 0.3], fresh_R=[-1.5, 0.5, 0.3]))
    assert baselines.stored_beyond_fresh(f).tolist() == [2.0, 1.5, 0.0]


def test_stored_beyond_fresh_is_zero_for_a_model_that_stores_fresh_data_as_well_as_its_own():
    # a measurement that looks at the wrong data (the same numbers on both) must show nothing learnt
    rng = np.random.default_rng(0)
    own = rng.uniform(0.1, 3.0, 20)
    knowledge = pd.DataFrame(dict(R=own, fresh_R=own))
    capacity = pd.DataFrame(dict(seq_len=16, vocab_size=256, memorized_bits_per_sequence=own,
                                 fresh_memorized_bits_per_sequence=own))
    assert np.allclose(baselines.stored_beyond_fresh(knowledge), 0.0)
    assert np.allclose(baselines.stored_beyond_fresh(capacity), 0.0)


def test_stored_beyond_fresh_names_missing_columns():
    with pytest.raises(ValueError, match="fresh_R"):
        baselines.stored_beyond_fresh(pd.DataFrame(dict(R=[1.0])))


def test_calibration_flags_a_mis_scaled_code_length():
    f = pd.DataFrame(dict(vocab_size=[256, 256], untrained_bits_per_token=[8.0, 8.0 / math.log(2)]))
    assert baselines.calibration(f).calibrated.tolist() == [True, False]
