"""Arithmetic coding: −log2 p(x) is a code length you can actually achieve.

An arithmetic coder turns any next-symbol probability model into a prefix-free code whose length for a
sequence x is at most ⌈−log2 q(x)⌉ + 2 bits, where q is the model with its probabilities rounded to
integers (``quantize_probabilities``; with 32-bit frequencies the rounding costs ~1e-9 bits a symbol
for probabilities above 1e-6). This is why Morris et al. may read a model's log-likelihood as a
Kolmogorov-style description length H^K(x | θ) ≈ −log2 p(x | θ).

The model is a callable ``model(prefix) -> probabilities``: given the symbols so far (a list, empty for
the first symbol, which the model must only read) it returns a vector of V probabilities for the next
one. The first symbol is charged like every other: it is coded with ``model([])``.

This coder is the classic integer coder of Witten, Neal & Cleary (1987) written with Python's
unbounded integers, 64 bits of state and 32-bit frequency tables.

    >>> uniform = lambda prefix: np.full(4, 0.25)
    >>> code = encode([3, 0, 2, 1], uniform)
    >>> decode(code, 4, uniform)
    [3, 0, 2, 1]
    >>> code.n_bits <= 8 + 2
    True
"""

from __future__ import annotations

import bisect
import bz2
import gzip
import itertools
import lzma
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Model = Callable[[Sequence[int]], Sequence[float]]

STATE_BITS = 64  # width of the coder's interval registers
FREQUENCY_BITS = 32  # total of a quantized frequency table: 2**32; must be <= STATE_BITS - 2
_FULL = (1 << STATE_BITS) - 1
_HALF = 1 << (STATE_BITS - 1)
_QUARTER = 1 << (STATE_BITS - 2)


@dataclass(frozen=True)
class Code:
    """An arithmetic code word: ``n_bits`` bits packed big-endian into ``data``."""

    data: bytes
    n_bits: int


def quantize_probabilities(probs: Sequence[float], frequency_bits: int = FREQUENCY_BITS) -> np.ndarray:
    """Integer frequencies summing to 2**frequency_bits, every symbol at least 1 (so every symbol stays
    codable), as close to ``probs`` as that allows. Encoder and decoder call this on the same vector,
    so they agree bit for bit.

        >>> quantize_probabilities([0.5, 0.25, 0.25], frequency_bits=4).tolist()
        [8, 4, 4]
    """
    p = np.asarray(probs, dtype=float)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"probabilities must be a non-empty vector, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"probabilities must be finite and non-negative, got {p[:8].tolist()}...")
    total_p = p.sum()
    if not abs(total_p - 1) < 1e-6:
        raise ValueError(f"probabilities must sum to 1, got sum={total_p!r}")
    total = 1 << frequency_bits
    if p.size > total // 2:
        raise ValueError(f"alphabet of {p.size} symbols is too large for {frequency_bits}-bit frequencies")
    spare = total - p.size  # one count is reserved for every symbol
    freqs = np.floor(p / total_p * spare).astype(np.int64) + 1
    freqs[int(np.argmax(p))] += total - int(freqs.sum())  # rounding remainder to the likeliest symbol
    return freqs


def _cumulative(probs: Sequence[float]) -> list[int]:
    """[0, f0, f0+f1, ..., 2**FREQUENCY_BITS] as Python ints (exact arithmetic, no overflow)."""
    return [0, *itertools.accumulate(quantize_probabilities(probs).tolist())]


def quantized_code_length_bits(symbols: Sequence[int], model: Model) -> float:
    """−log2 q(x) under the quantized model the coder really uses (the bound is this plus 2 bits)."""
    bits, history = 0.0, []
    for s in symbols:
        freqs = quantize_probabilities(model(history))
        bits -= math.log2(freqs[s] / (1 << FREQUENCY_BITS))
        history.append(int(s))
    return bits


def ideal_code_length_bits(symbols: Sequence[int], model: Model) -> float:
    """−log2 p(x) = Σ_i −log2 p(x_i | x_<i), the first symbol included.

        >>> ideal_code_length_bits([0, 1], lambda prefix: [0.5, 0.25, 0.25])   # 1 bit + 2 bits
        3.0
    """
    bits, history = 0.0, []
    for s in symbols:
        p = float(np.asarray(model(history), dtype=float)[s])
        bits += math.inf if p <= 0 else -math.log2(p)
        history.append(int(s))
    return bits


def _check_symbol(s: int, size: int, i: int) -> None:
    if not 0 <= s < size:
        raise ValueError(f"symbol {s!r} at position {i} is outside the model's alphabet 0..{size - 1}")


def encode(symbols: Sequence[int], model: Model) -> Code:
    """Encode ``symbols`` with ``model``; decode with the same model and the symbol count."""
    symbols = [int(s) for s in symbols]
    low, high, pending = 0, _FULL, 0
    bits: list[int] = []

    def emit(bit: int) -> None:
        nonlocal pending
        bits.append(bit)
        bits.extend([1 - bit] * pending)
        pending = 0

    history: list[int] = []
    for i, s in enumerate(symbols):
        cum = _cumulative(model(history))
        _check_symbol(s, len(cum) - 1, i)
        history.append(s)
        span = high - low + 1
        high = low + span * cum[s + 1] // cum[-1] - 1
        low = low + span * cum[s] // cum[-1]
        while True:
            if high < _HALF:
                emit(0)
            elif low >= _HALF:
                emit(1)
                low, high = low - _HALF, high - _HALF
            elif low >= _QUARTER and high < _HALF + _QUARTER:
                pending += 1
                low, high = low - _QUARTER, high - _QUARTER
            else:
                break
            low, high = 2 * low, 2 * high + 1
    pending += 1  # two more bits pin a point inside [low, high]
    emit(0 if low < _QUARTER else 1)
    data = np.packbits(np.array(bits, dtype=np.uint8)).tobytes() if bits else b""
    return Code(data=data, n_bits=len(bits))


def decode(code: Code, n_symbols: int, model: Model) -> list[int]:
    """Decode ``n_symbols`` symbols from ``code`` with the model that encoded them."""
    if n_symbols < 0:
        raise ValueError(f"n_symbols must be >= 0, got {n_symbols}")
    bits = np.unpackbits(np.frombuffer(code.data, dtype=np.uint8))[: code.n_bits].tolist()
    position = 0

    def next_bit() -> int:
        nonlocal position
        position += 1
        return bits[position - 1] if position <= len(bits) else 0  # past the end: zeros

    value = 0
    for _ in range(STATE_BITS):
        value = 2 * value + next_bit()
    low, high = 0, _FULL
    out: list[int] = []
    for _ in range(n_symbols):
        cum = _cumulative(model(out))
        span = high - low + 1
        target = ((value - low + 1) * cum[-1] - 1) // span
        s = bisect.bisect_right(cum, target) - 1  # the symbol with cum[s] <= target < cum[s + 1]
        out.append(s)
        high = low + span * cum[s + 1] // cum[-1] - 1
        low = low + span * cum[s] // cum[-1]
        while True:
            if high < _HALF:
                pass
            elif low >= _HALF:
                low, high, value = low - _HALF, high - _HALF, value - _HALF
            elif low >= _QUARTER and high < _HALF + _QUARTER:
                low, high, value = low - _QUARTER, high - _QUARTER, value - _QUARTER
            else:
                break
            low, high, value = 2 * low, 2 * high + 1, 2 * value + next_bit()
    return out


COMPRESSORS = {
    "gzip": lambda b: gzip.compress(b, compresslevel=9, mtime=0),
    "bz2": lambda b: bz2.compress(b, compresslevel=9),
    "lzma": lambda b: lzma.compress(b, preset=9 | lzma.PRESET_EXTREME),
}


def compressed_bits(symbols: Sequence[int], method: str = "gzip") -> int:
    """Size in bits of a general-purpose compressor's output on ``symbols`` stored one byte each.

    The compressor knows nothing about the source, so it pays for learning it (and for its headers).
    """
    if method not in COMPRESSORS:
        raise ValueError(f"unknown compressor {method!r}; choose one of {sorted(COMPRESSORS)}")
    arr = np.asarray(symbols)
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        raise ValueError(f"symbols must fit in a byte (0..255), got range {arr.min()}..{arr.max()}")
    return 8 * len(COMPRESSORS[method](arr.astype(np.uint8).tobytes()))
