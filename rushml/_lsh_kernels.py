"""Compiled (Numba) kernels of the hash tables; private.

* :func:`dwta_codes`: DWTA codes of every row of a weight matrix, for every table
  (refilling SLIDE's tables hashes all output neurons at once);
* :func:`fill_fifo_tables`: empty FIFO tables filled from codes, bucket after bucket;
* :func:`retrieve_topk`: at prediction, each query's candidates from its buckets (plus
  fixed extras), scored exactly, best ``k`` kept.

Like :mod:`rushml._slide_kernels` (whose thread switch, :func:`set_threads`, and scratch
rows, :func:`scratch_marks`, live here), work items run in parallel with ``prange`` when
Numba has more than one thread and serially otherwise, with the same results.
Plain-NumPy references live in ``tests/test_slide.py`` and ``tests/test_lsh.py``.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

# Reassociation lets dot products vectorise; no inf/NaN assumptions are made.
_FAST = {"reassoc", "contract", "arcp", "nsz"}


def _parallel() -> bool:
    return numba.get_num_threads() > 1


def scratch_marks(n_outputs):
    """All-zero scratch for :func:`gather_active`: one row per thread Numba may use."""
    return np.zeros((numba.config.NUMBA_NUM_THREADS, n_outputs), dtype=np.int32)


def set_threads(n_jobs):
    """Set Numba's thread count for the kernels; returns the previous count.

    ``None`` or ``-1`` means every core Numba was started with.
    """
    previous = numba.get_num_threads()
    if n_jobs is None or n_jobs == -1:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    else:
        numba.set_num_threads(max(1, min(int(n_jobs), numba.config.NUMBA_NUM_THREADS)))
    return previous


# -- DWTA codes of a weight matrix ---------------------------------------------------------


@njit(cache=True)
def _dwta_rows(lo, hi, X, bins, probes, n_hashes, base, codes):  # pragma: no cover - compiled
    n_functions, bin_size = bins.shape
    n_tables = codes.shape[1]
    win = np.empty(n_functions, dtype=np.int64)
    for i in range(lo, hi):
        # Winner of each function: position of the largest nonzero in its bin (the first
        # of equals), -1 if none. The largest is found without branches, then its place:
        # on random weights a compare-and-branch per element mispredicts half the time.
        x = X[i]
        for f in range(n_functions):
            top = np.float32(-np.inf)
            for pos in range(bin_size):
                v = x[bins[f, pos]]
                top = max(top, v if v != 0 else np.float32(-np.inf))
            best = -1
            if top > np.float32(-np.inf):
                for pos in range(bin_size):
                    if x[bins[f, pos]] == top:
                        best = pos
                        break
            win[f] = best
        # Densification: an empty function copies the first non-empty one on its probe list.
        for t in range(n_tables):
            code = 0
            weight = 1
            for k in range(n_hashes):
                f = t * n_hashes + k
                value = win[f]
                p = 0
                while value < 0 and p < probes.shape[1]:
                    value = win[probes[f, p]]
                    p += 1
                code += max(value, 0) * weight
                weight *= base
            codes[i, t] = code


@njit(parallel=True, cache=True)
def _dwta_parallel(X, bins, probes, n_hashes, base, codes):  # pragma: no cover - compiled
    n = X.shape[0]
    n_chunks = min(n, 256)
    for c in prange(n_chunks):
        lo, hi = c * n // n_chunks, (c + 1) * n // n_chunks
        _dwta_rows(lo, hi, X, bins, probes, n_hashes, base, codes)


def dwta_codes(X, bins, probes, n_hashes, n_tables, base=None):
    """DWTA bucket codes of every row (see :class:`rushml.lsh.DWTAHash`), compiled.

    Parameters
    ----------
    X : ndarray of float32, shape (n_rows, n_features), C-contiguous
        Dense vectors (a layer's weight matrix).
    bins : ndarray of int64, shape (n_hashes * n_tables, bin_size)
        Feature ids each function reads (``DWTAHash.bins_``).
    probes : ndarray of int64, shape (n_hashes * n_tables, n_probes)
        Densification probe sequence of each function (``DWTAHash.probes_``).
    n_hashes, n_tables : int
        ``K`` and ``L``.
    base : int, optional
        Weight ratio of consecutive winners in a code (``DWTAHash.code_base_``);
        ``None``: the bin size.

    Returns
    -------
    ndarray of int64, shape (n_rows, n_tables)
        The codes :meth:`rushml.lsh.DWTAHash.hash` returns.
    """
    codes = np.empty((X.shape[0], n_tables), dtype=np.int64)
    base = bins.shape[1] if base is None else int(base)
    if _parallel():
        _dwta_parallel(X, bins, probes, n_hashes, base, codes)
    else:
        _dwta_rows(0, X.shape[0], X, bins, probes, n_hashes, base, codes)
    return codes


# -- filling empty FIFO hash tables -----------------------------------------------------------


@njit(cache=True)
def _table_counts(codes, t, n_buckets, counts):  # pragma: no cover - compiled
    for i in range(codes.shape[0]):
        counts[t, codes[i, t]] += 1


@njit(cache=True)
def _table_fill(codes, ids, t, cap, counts, offsets, items):  # pragma: no cover - compiled
    n_buckets = counts.shape[1]
    rank = np.zeros(n_buckets, dtype=np.int64)
    for i in range(codes.shape[0]):
        c = codes[i, t]
        skip = counts[t, c] - min(counts[t, c], cap)  # FIFO: the first arrivals drop out
        if rank[c] >= skip:
            items[offsets[t, c] + rank[c] - skip] = ids[i]
        rank[c] += 1


@njit(parallel=True, cache=True)
def _fill_tables_parallel(codes, ids, cap, counts, offsets, items):  # pragma: no cover
    for t in prange(codes.shape[1]):
        _table_fill(codes, ids, t, cap, counts, offsets, items)


@njit(parallel=True, cache=True)
def _count_tables_parallel(codes, n_buckets, counts):  # pragma: no cover - compiled
    for t in prange(codes.shape[1]):
        _table_counts(codes, t, n_buckets, counts)


def fill_fifo_tables(ids, codes, n_buckets, cap):
    """Layout of empty FIFO tables after inserting ``ids`` in order (compiled counting sort).

    Parameters
    ----------
    ids : ndarray of int32, shape (n_items,)
        Item ids in insertion order.
    codes : ndarray of int64, shape (n_items, n_tables)
        Bucket of each item in each table.
    n_buckets, cap : int
        Buckets per table and bucket capacity.

    Returns
    -------
    offsets : ndarray of int64, shape (n_tables, n_buckets + 1)
    items : ndarray of int32
    counts : ndarray of int64, shape (n_tables, n_buckets)
        Items that arrived in each bucket (kept or not).
    """
    n_tables = codes.shape[1]
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    counts = np.zeros((n_tables, n_buckets), dtype=np.int64)
    parallel = _parallel()
    if parallel:
        _count_tables_parallel(codes, n_buckets, counts)
    else:
        for t in range(n_tables):
            _table_counts(codes, t, n_buckets, counts)
    kept = np.minimum(counts, cap)
    offsets = np.zeros((n_tables, n_buckets + 1), dtype=np.int64)
    flat = np.cumsum(kept.ravel())
    offsets[:, 1:] = flat.reshape(n_tables, n_buckets)
    offsets[1:, 0] = flat.reshape(n_tables, n_buckets)[:-1, -1]
    items = np.empty(int(flat[-1]) if flat.size else 0, dtype=np.int32)
    ids = np.asarray(ids, dtype=np.int32)
    if parallel:
        _fill_tables_parallel(codes, ids, cap, counts, offsets, items)
    else:
        for t in range(n_tables):
            _table_fill(codes, ids, t, cap, counts, offsets, items)
    return offsets, items, counts


# -- prediction: exact scores of retrieved candidates ----------------------------------------


@njit(cache=True, fastmath=_FAST)
def _retrieve_one(
    i, H, W, b, codes, offsets, items, extra, ids, scores, n_cand, mark
):  # pragma: no cover - compiled
    # mark: scratch of one int32 per output neuron, all zero on entry and on exit.
    hidden = H.shape[1]
    k = ids.shape[1]
    for j in range(k):
        ids[i, j] = -1
        scores[i, j] = -np.inf
    size = extra.size
    for t in range(codes.shape[1]):
        size += offsets[t, codes[i, t] + 1] - offsets[t, codes[i, t]]
    seen = np.empty(size, dtype=np.int64)
    n = 0
    for e in range(extra.size + codes.shape[1]):
        if e < extra.size:
            lo, hi = e, e + 1
        else:
            t = e - extra.size
            lo, hi = offsets[t, codes[i, t]], offsets[t, codes[i, t] + 1]
        for p in range(lo, hi):
            x = extra[p] if e < extra.size else items[p]
            if mark[x] != 0:
                continue
            mark[x] = 1
            seen[n] = x
            n += 1
            # Exact score z = w_x . h + b_x; keep the k best (ties: the smaller id first).
            z = b[x]
            for d in range(hidden):
                z += W[x, d] * H[i, d]
            j = k - 1
            if z < scores[i, j] or (z == scores[i, j] and x > ids[i, j] >= 0):
                continue
            while j > 0 and (z > scores[i, j - 1] or (z == scores[i, j - 1] and x < ids[i, j - 1])):
                scores[i, j] = scores[i, j - 1]
                ids[i, j] = ids[i, j - 1]
                j -= 1
            scores[i, j] = z
            ids[i, j] = x
    for u in range(n):
        mark[seen[u]] = 0
    n_cand[i] = n


@njit(cache=True)
def _retrieve_serial(
    H, W, b, codes, offsets, items, extra, ids, scores, n_cand, marks
):  # pragma: no cover - compiled
    for i in range(H.shape[0]):
        _retrieve_one(i, H, W, b, codes, offsets, items, extra, ids, scores, n_cand, marks[0])


@njit(parallel=True, cache=True)
def _retrieve_parallel(
    H, W, b, codes, offsets, items, extra, ids, scores, n_cand, marks
):  # pragma: no cover - compiled
    n_chunks = marks.shape[0]
    n = H.shape[0]
    for chunk in prange(n_chunks):  # one scratch row per chunk of examples
        for i in range(chunk * n // n_chunks, (chunk + 1) * n // n_chunks):
            _retrieve_one(
                i, H, W, b, codes, offsets, items, extra, ids, scores, n_cand, marks[chunk]
            )


def retrieve_topk(H, W, b, codes, offsets, items, extra, k, marks=None):
    """Top ``k`` of each example among its retrieved candidates, scored exactly.

    The candidates of example ``i`` are ``extra`` (the same for every example)
    and the neurons stored in its buckets ``codes[i, t]`` of every table ``t``;
    each distinct candidate ``x`` gets the exact score ``W[x] . H[i] + b[x]``.

    Parameters
    ----------
    H : ndarray of float32, shape (n_examples, hidden)
        Hidden activations.
    W : ndarray of float32, shape (n_outputs, hidden)
        Output weights, one row per neuron.
    b : ndarray of float32, shape (n_outputs,)
        Output biases.
    codes : ndarray of int64, shape (n_examples, n_tables)
        Bucket code of each example in each table (``n_tables`` may be 0).
    offsets : ndarray of int64, shape (n_tables, n_buckets + 1)
        Bucket offsets into ``items`` (:attr:`rushml.lsh.LSHTables.offsets_`).
    items : ndarray of int32, shape (n_stored,)
        Neuron ids stored in the tables.
    extra : ndarray of int64, shape (n_extra,)
        Candidates of every example (may be empty).
    k : int
        Neurons returned per example, ``>= 1``.
    marks : ndarray of int32, shape (n_chunks, n_outputs), optional
        All-zero scratch (left all-zero), as for :func:`gather_active`.

    Returns
    -------
    ids : ndarray of int64, shape (n_examples, k)
        Best candidates first (ties: smaller id first); ``-1`` where an example
        had fewer than ``k`` candidates.
    scores : ndarray of float32, shape (n_examples, k)
        Their scores (``-inf`` with id ``-1``).
    n_candidates : ndarray of int64, shape (n_examples,)
        Distinct candidates scored per example.
    """
    n = H.shape[0]
    ids = np.empty((n, k), dtype=np.int64)
    scores = np.empty((n, k), dtype=np.float32)
    n_cand = np.zeros(n, dtype=np.int64)
    if marks is None:
        marks = scratch_marks(W.shape[0])
    run = _retrieve_parallel if _parallel() and marks.shape[0] > 1 else _retrieve_serial
    run(
        np.ascontiguousarray(H, dtype=np.float32),
        W,
        b,
        np.ascontiguousarray(codes, dtype=np.int64),
        offsets,
        items.astype(np.int32, copy=False),
        np.ascontiguousarray(extra, dtype=np.int64),
        ids,
        scores,
        n_cand,
        marks,
    )
    return ids, scores, n_cand
