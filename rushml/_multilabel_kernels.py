"""Compiled (Numba) kernels behind :mod:`rushml.multilabel`.

Private: call them through :class:`rushml.multilabel.MultiLabelMACH`. Each
epoch kernel trains one repetition's B-way model on a *set* of target buckets
per sample, given in CSR form (``t_indptr``, ``t_buckets``, ``t_weights``).
Plain-NumPy references of both kernels live in ``tests/test_multilabel.py`` and
the tests compare them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from rushml._mach_kernels import row_logits, sgd_step, unnormalised_softmax


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
