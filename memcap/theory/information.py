"""Entropy, conditional entropy and mutual information of discrete distributions.

Distributions are numpy arrays of probabilities. A joint distribution is an array with one axis per
variable: ``p_xy[i, j] = P(X = i, Y = j)``. Every function checks its input and raises ``ValueError``
naming the offending value, so a mistyped table fails at the call, not three cells later.

    >>> entropy([0.5, 0.25, 0.25])
    1.5
    >>> mutual_information([[0.5, 0.0], [0.0, 0.5]])   # X = Y, one fair bit
    1.0
"""

from __future__ import annotations

import math

import numpy as np

_ATOL = 1e-9  # how far from 1 a total probability may be (float round-off over ~1e6 cells)


def nats_to_bits(nats):
    """Convert nats to bits: one nat is 1/ln 2 ≈ 1.4427 bits."""
    return nats / math.log(2)


def bits_to_nats(bits):
    """Convert bits to nats."""
    return bits * math.log(2)


def _log(x: np.ndarray, base: float) -> np.ndarray:
    if base == 2:
        return np.log2(x)
    if base == math.e:
        return np.log(x)
    return np.log(x) / math.log(base)


def check_distribution(p, name: str = "p", ndim: int | None = None) -> np.ndarray:
    """Return ``p`` as a float array after checking it is a probability distribution.

    Raises ValueError for an empty array, NaN or infinite entries, negative entries, a total that is
    not 1, or (when ``ndim`` is given) the wrong number of axes.

        >>> check_distribution([0.2, 0.8]).tolist()
        [0.2, 0.8]
    """
    arr = np.asarray(p, dtype=float)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} axes (one per variable), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has non-finite entries: {arr[~np.isfinite(arr)][:5].tolist()}")
    if np.any(arr < 0):
        raise ValueError(f"{name} has negative probabilities: {arr[arr < 0][:5].tolist()}")
    total = float(arr.sum())
    if abs(total - 1.0) > _ATOL * max(1, arr.size) ** 0.5 + _ATOL:
        raise ValueError(f"{name} must sum to 1, got sum={total!r}")
    return arr


def _check_base(base: float) -> None:
    if not (isinstance(base, (int, float)) and base > 0 and base != 1 and math.isfinite(base)):
        raise ValueError(f"base must be a positive number other than 1, got base={base!r}")


def _entropy(arr: np.ndarray, base: float) -> float:
    nz = arr[arr > 0]  # 0 log 0 = 0
    return float(max(0.0, -(nz * _log(nz, base)).sum()))


def entropy(p, base: float = 2) -> float:
    """Shannon entropy H(p) = -sum p log p, in bits by default.

    ``p`` may have any shape; all its cells are the outcomes of one (joint) variable, so
    ``entropy(p_xy)`` is the joint entropy H(X, Y).

        >>> entropy(np.full(8, 1 / 8))     # uniform over 8 symbols: log2 8
        3.0
    """
    _check_base(base)
    return _entropy(check_distribution(p), base)


def marginal(p, axis: int) -> np.ndarray:
    """The distribution of the variable on ``axis`` of a joint array (all other axes summed out).

        >>> marginal([[0.1, 0.2], [0.3, 0.4]], axis=0).round(3).tolist()   # P(X)
        [0.3, 0.7]
    """
    arr = check_distribution(p)
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis={axis} is out of range for a joint with {arr.ndim} axes")
    other = tuple(i for i in range(arr.ndim) if i != axis % arr.ndim)
    return arr.sum(axis=other)


def conditional_entropy(p_xy, base: float = 2) -> float:
    """H(X | Y) = H(X, Y) - H(Y) for a joint ``p_xy[x, y]`` (rows X, columns Y).

        >>> conditional_entropy([[0.25, 0.25], [0.25, 0.25]])   # independent fair bits
        1.0
    """
    _check_base(base)
    arr = check_distribution(p_xy, "p_xy", ndim=2)
    return max(0.0, _entropy(arr, base) - _entropy(arr.sum(axis=0), base))


def mutual_information(p_xy, base: float = 2) -> float:
    """I(X; Y) = H(X) + H(Y) - H(X, Y) for a joint ``p_xy[x, y]``.

        >>> mutual_information([[0.25, 0.25], [0.25, 0.25]])   # independent: no information
        0.0
    """
    _check_base(base)
    arr = check_distribution(p_xy, "p_xy", ndim=2)
    h = _entropy(arr.sum(axis=1), base) + _entropy(arr.sum(axis=0), base) - _entropy(arr, base)
    return max(0.0, h)


def conditional_mutual_information(p_xyz, base: float = 2) -> float:
    """I(X; Y | Z) = H(X, Z) + H(Y, Z) - H(X, Y, Z) - H(Z) for a joint ``p_xyz[x, y, z]``.

    Morris et al.'s unintended memorization is this quantity with X the data, Y the trained model
    and Z the data-generating model.

        >>> p = np.zeros((2, 2, 2)); p[0, 0, 0] = p[1, 1, 0] = 0.25; p[0, 0, 1] = p[1, 1, 1] = 0.25
        >>> conditional_mutual_information(p)   # Y copies X whatever Z is
        1.0
    """
    _check_base(base)
    arr = check_distribution(p_xyz, "p_xyz", ndim=3)
    h = (
        _entropy(arr.sum(axis=1), base)
        + _entropy(arr.sum(axis=0), base)
        - _entropy(arr, base)
        - _entropy(arr.sum(axis=(0, 1)), base)
    )
    return max(0.0, h)


def cross_entropy(p, q, base: float = 2) -> float:
    """H(p, q) = -sum p log q: the expected code length of data from ``p`` coded with ``q``.

    Infinite where ``q`` gives zero probability to an outcome ``p`` can produce.

        >>> cross_entropy([0.5, 0.5], [0.25, 0.75]) > entropy([0.5, 0.5])
        True
    """
    _check_base(base)
    p_arr = check_distribution(p, "p")
    q_arr = check_distribution(q, "q")
    if p_arr.shape != q_arr.shape:
        raise ValueError(f"p and q must have the same shape, got {p_arr.shape} and {q_arr.shape}")
    support = p_arr > 0
    if np.any(q_arr[support] == 0):
        return math.inf
    return float(-(p_arr[support] * _log(q_arr[support], base)).sum())


def kl_divergence(p, q, base: float = 2) -> float:
    """D(p || q) = H(p, q) - H(p) >= 0: the extra code length paid for using ``q`` on data from ``p``."""
    return max(0.0, cross_entropy(p, q, base) - entropy(p, base))
