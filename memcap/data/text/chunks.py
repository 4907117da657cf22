"""Sequences for the models from a token stream: non-overlapping chunks of ``S`` tokens, and exact deduplication
that keeps the first of each sequence and reports how many it removed."""

from __future__ import annotations

import numpy as np


def chunk(tokens, seq_len: int) -> np.ndarray:
    """Non-overlapping sequences of ``seq_len`` tokens, ``(len(tokens) // seq_len, seq_len)``; the tail is dropped.

        >>> chunk([1, 2, 3, 4, 5, 6, 7], 3)
        array([[1, 2, 3],
               [4, 5, 6]])
    """
    if not isinstance(seq_len, int) or isinstance(seq_len, bool) or seq_len < 1:
        raise ValueError(f"seq_len must be a positive integer, got seq_len={seq_len!r}")
    arr = np.asarray(tokens)
    if arr.ndim != 1:
        raise ValueError(f"tokens must be one stream (1-D), got shape {arr.shape}")
    n = arr.size // seq_len
    return arr[: n * seq_len].reshape(n, seq_len)


def deduplicate(sequences: np.ndarray) -> tuple[np.ndarray, int]:
    """Exact deduplication: the sequences with every repeat after the first removed, in their order, and how many
    were removed.

        >>> kept, removed = deduplicate(np.array([[1, 2], [3, 4], [1, 2], [1, 2]]))
        >>> kept.tolist(), removed
        ([[1, 2], [3, 4]], 2)
    """
    arr = np.asarray(sequences)
    if arr.ndim != 2:
        raise ValueError(f"sequences must be 2-D (N, S), got shape {arr.shape}")
    keep = first_occurrences(arr)
    return arr[keep], int((~keep).sum())


def first_occurrences(arr: np.ndarray) -> np.ndarray:
    """Which rows of ``arr`` (N, S) are the first of their kind: a boolean mask.

        >>> first_occurrences(np.array([[1, 2], [3, 4], [1, 2]])).tolist()
        [True, True, False]
    """
    keep = np.zeros(len(arr), dtype=bool)
    if len(arr):
        keep[np.unique(arr, axis=0, return_index=True)[1]] = True
    return keep

