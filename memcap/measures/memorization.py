"""Estimating unintended memorization from code lengths (Morris et al. §2.2–2.3).

With a reference model θ_ref standing in for the data process and a trained model θ̂,

    H^K(x | θ_ref)     ≈ −log2 p(x | θ_ref)
    H^K(x | θ_ref, θ̂)  ≈ −log2 max(p(x | θ̂), p(x | θ_ref))
    mem_U(x)           ≈ max(0, log2 p(x | θ̂) − log2 p(x | θ_ref))   bits

Every function here takes code lengths in bits (one per sequence, every token charged, the first one
included), so it works the same for an n-gram model, a GPT, or the exact uniform distribution.

    >>> unintended_memorization_bits(model_bits=[10.0, 30.0], reference_bits=[20.0, 20.0]).tolist()
    [10.0, 0.0]
"""

from __future__ import annotations

import numpy as np


def _pair(model_bits, reference_bits) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(model_bits, dtype=float)
    b = np.asarray(reference_bits, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"model_bits and reference_bits must have the same shape, got {a.shape} and {b.shape}")
    if np.any(np.isnan(a)) or np.any(np.isnan(b)):
        raise ValueError("code lengths must not be NaN")
    if np.any(a < 0) or np.any(b < 0):
        raise ValueError(f"code lengths must be >= 0 bits, got minimum {min(a.min(initial=0), b.min(initial=0))}")
    return a, b


def unintended_memorization_bits(model_bits, reference_bits, clip: bool = True) -> np.ndarray:
    """Per-sequence mem_U = H^K(x|θ_ref) − H^K(x|θ_ref, θ̂) in bits.

    With ``clip=True`` (the definition) this is max(0, reference − model); ``clip=False`` gives the raw
    difference reference − model, which may be negative where θ̂ codes x worse than the reference.
    """
    a, b = _pair(model_bits, reference_bits)
    return np.maximum(0.0, b - a) if clip else b - a


def joint_code_length_bits(model_bits, reference_bits) -> np.ndarray:
    """H^K(x | θ_ref, θ̂) ≈ −log2 max(p(x|θ̂), p(x|θ_ref)) = min of the two code lengths, in bits.

    A pointwise max of two distributions is not normalised; ``mixture_code_length_bits`` is a proper
    code and costs at most one bit more.
    """
    a, b = _pair(model_bits, reference_bits)
    return np.minimum(a, b)


def mixture_code_length_bits(model_bits, reference_bits) -> np.ndarray:
    """−log2(½ p(x|θ̂) + ½ p(x|θ_ref)): an achievable code (spend one bit to say which model), so
    min(a, b) <= mixture <= min(a, b) + 1.

        >>> mixture_code_length_bits([3.0], [3.0]).tolist()
        [3.0]
    """
    a, b = _pair(model_bits, reference_bits)
    return 1.0 - np.logaddexp2(-a, -b)
