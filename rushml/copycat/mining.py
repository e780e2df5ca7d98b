"""Mining the action sequences experts repeat: frequent n-grams of actions."""

from __future__ import annotations

import numpy as np

from ._common import _check_positive_int


def _as_demonstrations(demonstrations) -> list[np.ndarray]:
    """Validate demonstrations and return them as a list of 1-D int64 arrays."""
    if isinstance(demonstrations, np.ndarray) and demonstrations.ndim == 1:
        raise ValueError(
            "demonstrations must be a sequence of action sequences (one per "
            "demonstration), got a single 1-D array; wrap it in a list"
        )
    try:
        demos = list(demonstrations)
    except TypeError:
        raise TypeError(
            "demonstrations must be a sequence of action sequences, "
            f"got {type(demonstrations).__name__}"
        ) from None
    if len(demos) == 0:
        raise ValueError("demonstrations is empty: need at least one demonstration")
    out = []
    for i, demo in enumerate(demos):
        arr = np.asarray(demo)
        if arr.ndim != 1:
            raise ValueError(
                f"demonstration {i} must be a 1-D sequence of action ids, got shape {arr.shape}"
            )
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            if not (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))):
                raise ValueError(
                    f"demonstration {i} must hold integer action ids, got dtype {arr.dtype}"
                )
        arr = arr.astype(np.int64)
        if arr.size and arr.min() < 0:
            raise ValueError(
                f"demonstration {i} holds a negative action id ({int(arr.min())}); "
                "action ids must be >= 0"
            )
        out.append(arr)
    if all(d.size == 0 for d in out):
        raise ValueError("demonstrations is empty: every demonstration has zero actions")
    return out


def count_action_ngrams(demonstrations, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Count every contiguous run of ``length`` actions in the demonstrations.

    Windows overlap (``R R R`` holds two ``R R``) and never cross from one
    demonstration into the next; demonstrations shorter than ``length`` add
    nothing.

    Parameters
    ----------
    demonstrations : sequence of sequences of int
        One sequence of non-negative action ids per demonstration; lengths may differ.
    length : int
        Length ``n`` of the n-grams (``>= 1``).

    Returns
    -------
    ngrams : ndarray of shape (n_unique, length), dtype int64
        The distinct n-grams, most frequent first; ties keep the order in which
        the n-grams first occur (demonstration by demonstration).
    counts : ndarray of shape (n_unique,), dtype int64
        How often each n-gram occurs.

    Raises
    ------
    ValueError
        If ``demonstrations`` is empty, holds a negative or non-integer action,
        ``length`` is not a positive integer, or no demonstration has
        ``length`` actions.
    """
    demos = _as_demonstrations(demonstrations)
    length = _check_positive_int(length, "length")
    windows = [
        np.lib.stride_tricks.sliding_window_view(d, length) for d in demos if d.size >= length
    ]
    if not windows:
        longest = max(d.size for d in demos)
        raise ValueError(
            f"length={length} is longer than every demonstration (the longest has "
            f"{longest} actions)"
        )
    stacked = np.concatenate(windows, axis=0)
    ngrams, first, counts = np.unique(stacked, axis=0, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))  # by count, descending; then first occurrence
    return ngrams[order], counts[order].astype(np.int64)


def mine_action_sequences(
    demonstrations, *, length: int, n_sequences: int, min_count: int = 2
) -> list[tuple[int, ...]]:
    """Return the ``n_sequences`` most frequent action n-grams of the demonstrations.

    These are the candidate macro-actions of the copycat agent: the stretches
    of behaviour that the expert repeats most often.

    Parameters
    ----------
    demonstrations : sequence of sequences of int
        One sequence of non-negative action ids per demonstration.
    length : int
        Actions per mined sequence (``>= 1``).
    n_sequences : int
        How many sequences to return at most (``>= 1``); fewer come back when
        fewer distinct n-grams reach ``min_count``.
    min_count : int, default=2
        Occurrences an n-gram needs to count as frequent (``>= 1``); the default
        drops sequences seen only once.

    Returns
    -------
    list of tuple of int
        The mined sequences, most frequent first (ties: first occurrence first).

    Raises
    ------
    ValueError
        For empty demonstrations, a ``length``, ``n_sequences`` or ``min_count``
        that is not a positive integer, or any error of :func:`count_action_ngrams`.

    See Also
    --------
    count_action_ngrams : all n-grams with their counts.

    References
    ----------
    T. Medini and A. Shrivastava, "Be a Copycat: Uncharted Rewards by Mimicking
    Expert Action Sequences", Deep RL Workshop at NeurIPS 2019.

    Examples
    --------
    >>> mine_action_sequences([[1, 1, 1, 0, 1, 1, 1]], length=3, n_sequences=2)
    [(1, 1, 1)]
    """
    n_sequences = _check_positive_int(n_sequences, "n_sequences")
    min_count = _check_positive_int(min_count, "min_count")
    ngrams, counts = count_action_ngrams(demonstrations, length)
    keep = counts >= min_count
    return [tuple(int(a) for a in row) for row in ngrams[keep][:n_sequences]]
