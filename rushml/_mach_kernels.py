"""Compiled (Numba) kernels behind :mod:`rushml.mach`.

Private: call them through :class:`rushml.mach.SoftmaxRegression` and
:class:`rushml.mach.MACHClassifier`. The SGD epochs train one B-way model on one
target per sample (:func:`softmax_sgd_epoch`) or on a set of targets per sample
given in CSR form (``t_indptr``, ``t_buckets``, ``t_weights``): a soft target under
the softmax, a multi-hot target under B sigmoids. Plain-NumPy references of the
kernels live in ``tests/test_mach.py`` and ``tests/test_multilabel.py``, and the tests
compare the two.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def row_logits(indptr, indices, data, W, bias, i, z):  # pragma: no cover
    """Write ``x_i W + bias`` into ``z`` for sparse row ``i`` (CSR arrays)."""
    for c in range(W.shape[1]):
        z[c] = bias[c]
    for p in range(indptr[i], indptr[i + 1]):
        j = indices[p]
        v = data[p]
        for c in range(W.shape[1]):
            z[c] += v * W[j, c]


@njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def unnormalised_softmax(z):  # pragma: no cover
    """Replace ``z`` by ``exp(z - max z)``; return ``1 / sum`` (so ``p = z * inv``)."""
    zmax = z[0]
    for c in range(1, z.shape[0]):
        if z[c] > zmax:
            zmax = z[c]
    total = 0.0
    for c in range(z.shape[0]):
        z[c] = np.exp(z[c] - zmax)
        total += z[c]
    return np.float32(1.0 / total)


@njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def sgd_step(indptr, indices, data, W, bias, i, g):  # pragma: no cover
    """Apply row ``i``'s step ``g`` (rate included): ``bias -= g``, ``W[j] -= x_ij g``."""
    for c in range(W.shape[1]):
        bias[c] -= g[c]
    for p in range(indptr[i], indptr[i + 1]):
        j = indices[p]
        v = data[p]
        for c in range(W.shape[1]):
            W[j, c] -= v * g[c]


@njit(cache=True, fastmath=True, nogil=True, error_model="numpy")
def softmax_sgd_epoch(indptr, indices, data, targets, order, W, bias, lr):  # pragma: no cover
    """One epoch of per-sample SGD on the softmax (multinomial logistic) loss.

    For sample ``i`` with sparse row ``x_i`` and target ``t_i``:
    ``z = x_i W + bias``, ``p = softmax(z)``, ``g = p - e_{t_i}`` (the gradient of
    the cross-entropy with respect to ``z``), then ``W[j] -= lr * x_ij * g`` for
    the nonzero features ``j`` of ``x_i`` and ``bias -= lr * g``. Samples are
    visited in ``order``. ``W`` (n_features, n_outputs) and ``bias`` are updated
    in place; returns the summed cross-entropy before each update.
    """
    n_out = W.shape[1]
    z = np.empty(n_out, dtype=np.float32)
    loss = 0.0
    for i in order:
        row_logits(indptr, indices, data, W, bias, i, z)
        inv = unnormalised_softmax(z)
        t = targets[i]
        loss += -np.log(max(z[t] * inv, 1e-30))
        for c in range(n_out):
            z[c] = lr * z[c] * inv
        z[t] -= lr
        sgd_step(indptr, indices, data, W, bias, i, z)
    return loss


@njit(cache=True, fastmath=True, nogil=True)
def soft_target_softmax_epoch(
    indptr, indices, data, t_indptr, t_buckets, t_weights, order, W, bias, lr
):  # pragma: no cover
    """One epoch of per-sample SGD on the softmax loss with a soft (distribution) target.

    Sample ``i`` has sparse row ``x_i`` and target distribution ``q_i`` over the
    buckets, nonzero at ``t_buckets[t_indptr[i]:t_indptr[i + 1]]`` with weights
    ``t_weights`` (summing to 1). With ``z = x_i W + bias`` and ``p = softmax(z)``
    the cross-entropy ``-sum_b q_b log p_b`` has gradient ``p - q`` in ``z``;
    then ``W[j] -= lr * x_ij * (p - q)`` for the nonzero features ``j`` of
    ``x_i`` and ``bias -= lr * (p - q)``. Samples with an empty target are
    skipped. Samples are visited in ``order``; ``W`` (n_features, n_outputs) and
    ``bias`` are updated in place. Returns the summed cross-entropy before each
    update.
    """
    n_out = W.shape[1]
    z = np.empty(n_out, dtype=np.float32)
    loss = 0.0
    for i in order:
        t0, t1 = t_indptr[i], t_indptr[i + 1]
        if t0 == t1:
            continue
        row_logits(indptr, indices, data, W, bias, i, z)
        inv = unnormalised_softmax(z)
        for t in range(t0, t1):
            loss += -t_weights[t] * np.log(max(z[t_buckets[t]] * inv, 1e-30))
        for c in range(n_out):
            z[c] = lr * z[c] * inv
        for t in range(t0, t1):
            z[t_buckets[t]] -= lr * t_weights[t]
        sgd_step(indptr, indices, data, W, bias, i, z)
    return loss


@njit(cache=True, fastmath=True, nogil=True)
def multi_hot_sigmoid_epoch(
    indptr, indices, data, t_indptr, t_buckets, order, W, bias, lr
):  # pragma: no cover
    """One epoch of per-sample SGD on B independent logistic (sigmoid) losses.

    Sample ``i`` has sparse row ``x_i`` and multi-hot target ``y_i`` with ones at
    ``t_buckets[t_indptr[i]:t_indptr[i + 1]]`` (zeros elsewhere; an empty set is
    an all-negative sample). With ``z = x_i W + bias`` and ``s = sigmoid(z)`` the
    summed binary cross-entropy has gradient ``s - y_i`` in ``z``; the update is
    as in the softmax kernel. Returns the summed binary cross-entropy.
    """
    n_out = W.shape[1]
    z = np.empty(n_out, dtype=np.float32)
    y = np.zeros(n_out, dtype=np.float32)
    loss = 0.0
    for i in order:
        t0, t1 = t_indptr[i], t_indptr[i + 1]
        for t in range(t0, t1):
            y[t_buckets[t]] = 1.0
        row_logits(indptr, indices, data, W, bias, i, z)
        for c in range(n_out):
            # log(1 + exp(-|z|)) + max(z, 0) - y z: the stable form of the cross-entropy
            a = abs(z[c])
            loss += np.log1p(np.exp(-a)) + max(z[c], 0.0) - y[c] * z[c]
            if z[c] >= 0:
                s = 1.0 / (1.0 + np.exp(-z[c]))
            else:
                e = np.exp(z[c])
                s = e / (1.0 + e)
            z[c] = lr * (s - y[c])
        for t in range(t0, t1):
            y[t_buckets[t]] = 0.0
        sgd_step(indptr, indices, data, W, bias, i, z)
    return loss


@njit(cache=True, fastmath=True, parallel=True, error_model="numpy")
def linear_forward(indptr, indices, data, W, bias, out):  # pragma: no cover
    """Write the logits ``X W + bias`` for the CSR rows of ``X`` into ``out`` (n, n_outputs)."""
    n = indptr.size - 1
    n_out = W.shape[1]
    for i in prange(n):
        row = out[i]
        for c in range(n_out):
            row[c] = bias[c]
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            v = data[p]
            for c in range(n_out):
                row[c] += v * W[j, c]


@njit(cache=True, fastmath=True, parallel=True, error_model="numpy")
def softmax_groups(out, n_groups):  # pragma: no cover
    """Replace each row's ``n_groups`` consecutive groups of logits by their softmax, in place."""
    n, width = out.shape
    n_out = width // n_groups
    for i in prange(n):
        row = out[i]
        for g in range(n_groups):
            s0 = g * n_out
            zmax = row[s0]
            for c in range(s0 + 1, s0 + n_out):
                if row[c] > zmax:
                    zmax = row[c]
            total = 0.0
            for c in range(s0, s0 + n_out):
                row[c] = np.exp(row[c] - zmax)
                total += row[c]
            inv = np.float32(1.0 / total)
            for c in range(s0, s0 + n_out):
                row[c] *= inv


@njit(cache=True, nogil=True)
def _insert_topk(best, ids, score, class_id):  # pragma: no cover
    """Insert ``score`` into the descending list ``best`` (and ``class_id`` into ``ids``).

    The last entry drops out. Returns the new smallest score, the bar the next one must
    beat. The caller has checked that ``score`` beats it.
    """
    pos = best.shape[0] - 1
    while pos > 0 and best[pos - 1] < score:
        best[pos] = best[pos - 1]
        ids[pos] = ids[pos - 1]
        pos -= 1
    best[pos] = score
    ids[pos] = class_id
    return best[best.shape[0] - 1]


@njit(cache=True, parallel=True)
def mach_decode_block(probs, buckets, first_class, top_ids, top_scores):  # pragma: no cover
    """Merge one block of classes into running top-``k`` lists, by mean bucket probability.

    ``probs`` (n, R, B) holds the R repetitions' bucket probabilities for n
    queries; ``buckets`` (m, R) the buckets ``h_r(c)`` of the m classes
    ``first_class .. first_class + m - 1``. Class ``c`` scores
    ``s(c) = (1/R) sum_r probs[i, r, h_r(c)]``, which ranks classes like the
    paper's unbiased estimator ``B/(B-1) (s(c) - 1/B)``. ``top_ids`` (n, k)
    int64 and ``top_scores`` (n, k) float64 are kept sorted best first (start
    them at -1 and -inf); ties go to the smaller class id when blocks come in
    increasing order. Calling this per block keeps memory at O(n k + m R)
    instead of a dense (n, K) score matrix.
    """
    n = probs.shape[0]
    n_rep = probs.shape[1]
    m = buckets.shape[0]
    k = top_ids.shape[1]
    inv_r = 1.0 / n_rep
    for i in prange(n):
        p = probs[i]
        ids = top_ids[i]
        best = top_scores[i]
        worst = best[k - 1]
        for c in range(m):
            s = 0.0
            for r in range(n_rep):
                s += p[r, buckets[c, r]]
            s *= inv_r
            if s > worst:
                worst = _insert_topk(best, ids, s, first_class + c)


@njit(cache=True, nogil=True)
def prune_rows_count(W, threshold, centres, counts):  # pragma: no cover
    """First pass of pruning: centre each row of ``W`` on its median, count what survives.

    Softmax is unchanged when a constant is added to one row ``W[j]`` (every
    logit moves by ``x_j`` times it), so each row is shifted by its median
    first: most of a row is then near zero and only the weights that set its
    bucket apart remain. Writes the medians into ``centres`` (n_rows,) and into
    ``counts`` (n_rows,) the number of entries with ``|W[j, c] - centre| > threshold``.
    All-zero rows (features never seen in training) are skipped.
    """
    n_rows, n_out = W.shape
    row = np.empty(n_out, dtype=W.dtype)
    for j in range(n_rows):
        nonzero = False
        for c in range(n_out):
            if W[j, c] != 0:
                nonzero = True
                break
        if not nonzero:
            centres[j] = 0
            counts[j] = 0
            continue
        for c in range(n_out):
            row[c] = W[j, c]
        m = np.median(row)
        centres[j] = m
        n = 0
        for c in range(n_out):
            if abs(W[j, c] - m) > threshold:
                n += 1
        counts[j] = n


@njit(cache=True, nogil=True)
def prune_rows_fill(W, threshold, centres, indptr, indices, data):  # pragma: no cover
    """Second pass of pruning: write the surviving centred weights as CSR rows.

    ``indptr`` (n_rows + 1,) is the cumulative sum of the counts of
    :func:`prune_rows_count`; ``indices`` receives each kept weight's column and
    ``data`` its centred value ``W[j, c] - centres[j]``, columns in increasing order.
    """
    n_rows, n_out = W.shape
    for j in range(n_rows):
        p = indptr[j]
        if indptr[j + 1] == p:
            continue
        m = centres[j]
        for c in range(n_out):
            w = W[j, c] - m
            if abs(w) > threshold:
                indices[p] = c
                data[p] = w
                p += 1


@njit(cache=True, fastmath=True, parallel=True, error_model="numpy")
def sparse_linear_forward(
    indptr, indices, data, w_indptr, w_indices, w_data, bias, out
):  # pragma: no cover
    """Write the logits ``X W + bias`` into ``out`` (n, width), with ``W`` stored as CSR.

    ``W`` (n_features, width) is given by ``w_indptr``, ``w_indices`` and ``w_data``
    (float32); ``bias`` is (width,). A query's cost is the number of stored weights
    in its features' rows, not ``nnz * width``.
    """
    n = indptr.size - 1
    width = out.shape[1]
    for i in prange(n):
        row = out[i]
        for c in range(width):
            row[c] = bias[c]
        for p in range(indptr[i], indptr[i + 1]):
            j = indices[p]
            v = data[p]
            for q in range(w_indptr[j], w_indptr[j + 1]):
                row[w_indices[q]] += v * w_data[q]


@njit(cache=True, parallel=True)
def mach_decode_block_paired(probs, pair_buckets, first_class, top_ids, top_scores):
    """:func:`mach_decode_block` with repetitions taken two at a time (for small B).

    For each query, the sums ``probs[i, 2j, a] + probs[i, 2j + 1, b]`` of every
    pair of repetitions are tabulated once (``ceil(R/2)`` tables of ``B * B``
    float64), and ``pair_buckets`` (m, ceil(R/2)) holds each class's pair
    index ``h_2j(c) * B + h_2j+1(c)`` (for an odd R the last column is
    ``h_{R-1}(c) * B``). A class then costs ``ceil(R/2)`` table look-ups
    instead of R; the look-ups are what decoding spends its time on when K is
    large. The scores are the same up to float64 rounding (they are summed in
    another order), kept and ordered by the same rule, ties to the smaller id.
    """
    n = probs.shape[0]
    n_rep = probs.shape[1]
    n_buckets = probs.shape[2]
    m = pair_buckets.shape[0]
    n_pairs = pair_buckets.shape[1]
    k = top_ids.shape[1]
    inv_r = 1.0 / n_rep
    width = n_buckets * n_buckets
    for i in prange(n):
        p = probs[i]
        table = np.zeros((n_pairs, width), dtype=np.float64)
        for j in range(n_pairs):
            for a in range(n_buckets):
                pa = np.float64(p[2 * j, a])
                if 2 * j + 1 < n_rep:
                    for b in range(n_buckets):
                        table[j, a * n_buckets + b] = pa + p[2 * j + 1, b]
                else:
                    table[j, a * n_buckets] = pa
        ids = top_ids[i]
        best = top_scores[i]
        worst = best[k - 1]
        for c in range(m):
            s = 0.0
            for j in range(n_pairs):
                s += table[j, pair_buckets[c, j]]
            s *= inv_r
            if s > worst:
                worst = _insert_topk(best, ids, s, first_class + c)
