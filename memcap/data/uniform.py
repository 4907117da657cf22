"""Uniformly random sequences (Morris et al. §3): data whose information content is known exactly.

N sequences of S tokens, each token uniform over V symbols and independent, hold exactly H(X) = N·S·log2 V
bits, none of which can be generalized.

    >>> dataset_entropy_bits(1000, 32, 256)
    256000.0
"""

from __future__ import annotations

import math

import torch


def uniform_sequences(n: int, seq_len: int, vocab_size: int, generator: torch.Generator) -> torch.Tensor:
    """(n, seq_len) tokens, each uniform over ``vocab_size`` symbols and independent."""
    if n < 1 or seq_len < 2 or vocab_size < 2:
        raise ValueError(f"need n >= 1, seq_len >= 2, vocab_size >= 2; "
                         f"got n={n}, seq_len={seq_len}, vocab_size={vocab_size}")
    return torch.randint(vocab_size, (n, seq_len), generator=generator)


def dataset_entropy_bits(n: int, seq_len: int, vocab_size: int) -> float:
    """H(X) = N·S·log2 V: e.g. 1000 sequences of 32 tokens over 256 symbols hold 256,000 bits."""
    return n * seq_len * math.log2(vocab_size)


def memorizable_bits(n: int, seq_len: int, vocab_size: int) -> float:
    """The most any model can memorize of N uniform sequences: N·(S−1)·log2 V.

    Code lengths charge the first token of every sequence log2 V whatever the model
    (:func:`memcap.measures.evaluate.sequence_code_length_bits`), so a perfect memorizer saves every bit but
    those: 1/S of H(X).

        >>> memorizable_bits(1000, 32, 256) / dataset_entropy_bits(1000, 32, 256)
        0.96875
    """
    if seq_len < 1:
        raise ValueError(f"seq_len must be >= 1, got seq_len={seq_len}")
    return n * (seq_len - 1) * math.log2(vocab_size)
