import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memcap.theory import coding


def table_model(probs):
    """A model that predicts position i with row i of ``probs``."""
    return lambda prefix: probs[len(prefix)]


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 300), st.integers(0, 120), st.floats(0.05, 3.0), st.integers(0, 2**32 - 1))
def test_round_trip_and_length_bound(vocab, n, concentration, seed):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(vocab, concentration), size=n + 1)
    model = table_model(probs)
    x = [int(rng.choice(vocab, p=probs[i])) for i in range(n)]
    code = coding.encode(x, model)
    assert coding.decode(code, n, model) == x
    quantized = coding.quantized_code_length_bits(x, model)
    assert code.n_bits <= math.ceil(quantized) + 2
    assert len(code.data) == math.ceil(code.n_bits / 8)


def test_length_is_close_to_ideal_on_long_sequences():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(16, 0.5), size=5001)
    model = table_model(probs)
    x = [int(rng.choice(16, p=probs[i])) for i in range(5000)]
    code = coding.encode(x, model)
    ideal = coding.ideal_code_length_bits(x, model)
    # 32-bit frequencies: the rounding loss over 5000 symbols stays far below a bit
    assert ideal - 0.01 <= code.n_bits <= ideal + 2.01


def test_certain_symbols_cost_almost_nothing():
    model = lambda prefix: [1.0, 0.0]
    code = coding.encode([0] * 1000, model)
    assert code.n_bits <= 2
    assert coding.decode(code, 1000, model) == [0] * 1000


def test_quantization():
    f = coding.quantize_probabilities([0.5, 0.25, 0.25, 0.0])
    assert f.sum() == 2**coding.FREQUENCY_BITS and f.min() >= 1
    assert coding.quantize_probabilities([0.5, 0.25, 0.25], frequency_bits=4).tolist() == [8, 4, 4]
    with pytest.raises(ValueError, match="sum to 1"):
        coding.quantize_probabilities([0.5, 0.2])
    with pytest.raises(ValueError, match="non-negative"):
        coding.quantize_probabilities([1.5, -0.5])


def test_symbol_outside_alphabet_is_named():
    with pytest.raises(ValueError, match="symbol 7 at position 1"):
        coding.encode([0, 7], lambda prefix: [0.5, 0.5])


def test_general_purpose_compressors():
    x = np.zeros(4096, dtype=int)
    assert coding.compressed_bits(x, "lzma") < 4096  # trivially compressible
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 256, 4096)
    assert coding.compressed_bits(noise, "gzip") >= 8 * 4096 * 0.99  # incompressible
    with pytest.raises(ValueError, match="'zip'"):
        coding.compressed_bits(x, "zip")
    with pytest.raises(ValueError, match="fit in a byte"):
        coding.compressed_bits([300], "gzip")
