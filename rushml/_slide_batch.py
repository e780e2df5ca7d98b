"""One active set for a whole batch: SLIDE's sampled softmax scored as a dense block.

With ``active_set="batch"`` every example of a batch scores the same output neurons:
the batch's labels, then the neurons the hash tables (or a uniform draw) retrieved for
the batch, then uniformly random neurons up to the set's size. The logits of the batch
are then one matrix product ``H @ W[U].T`` over the set ``U``, the softmax and its
gradient are dense arrays, and Adam updates ``|U|`` rows of the output layer instead of
the union of a hundred different per-example sets. Each example still computes every
neuron of ``U``: the per-example active count is ``|U|``, not ``|U| / batch_size``.

The functions here are the pieces :class:`rushml.slide.SlideClassifier` assembles;
they know nothing of the estimator.
"""

from __future__ import annotations

import numpy as np

from rushml import _slide_kernels as _k


def random_fill(rng, taken: np.ndarray, count: int, n_outputs: int) -> np.ndarray:
    """``count`` distinct uniformly random ids in ``[0, n_outputs)`` not in ``taken``."""
    count = min(count, n_outputs - taken.size)
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    if 4 * (count + taken.size) > n_outputs:  # dense draw: a random order of what is free
        free = np.setdiff1d(np.arange(n_outputs, dtype=np.int64), taken, assume_unique=True)
        return rng.permutation(free)[:count]
    out = np.zeros(0, dtype=np.int64)
    while out.size < count:  # sparse draw: a few spare ids, repeats and taken ones dropped
        draw = rng.integers(0, n_outputs, size=2 * (count - out.size) + 16, dtype=np.int64)
        draw = draw[~np.isin(draw, taken) & ~np.isin(draw, out)]
        _, first = np.unique(draw, return_index=True)
        out = np.concatenate([out, draw[np.sort(first)]])
    return out[:count]


def batch_set(labels, hits, n_hits, cap, fill, n_outputs, rng) -> np.ndarray:
    """Return the batch's shared active set, sorted: labels, then hits, then random ids.

    Parameters
    ----------
    labels : ndarray of int64
        Every label of the batch (repeats allowed); all of them are kept.
    hits : ndarray of int64, shape (n_examples, width)
        Each example's retrieved neurons (its best first), ``n_hits[i]`` valid.
    n_hits : ndarray of int64, shape (n_examples,)
    cap : int or None
        At most this many neurons (the labels are always kept): the hits retrieved
        for more examples of the batch are kept first (ties: the smaller id).
        ``None``: every hit.
    fill : int
        Random neurons are added while the set is smaller than this.
    n_outputs : int
        Neurons in the layer.
    rng : numpy.random.Generator
        Source of the random neurons.
    """
    lab = np.unique(labels)
    valid = np.arange(hits.shape[1])[None, :] < n_hits[:, None]
    ids, counts = np.unique(hits[valid], return_counts=True)
    keep = ~np.isin(ids, lab, assume_unique=True)
    ids, counts = ids[keep], counts[keep]
    if cap is not None and ids.size > cap - lab.size:
        ids = ids[np.argsort(-counts, kind="stable")[: max(cap - lab.size, 0)]]
    chosen = np.concatenate([lab, ids])
    if chosen.size < fill:
        chosen = np.concatenate([chosen, random_fill(rng, chosen, fill - chosen.size, n_outputs)])
    return np.sort(chosen)


def block_forward_backward(H, W, b, label_ptr, label_pos):
    """Softmax cross-entropy of every example over the same neurons, and its gradients.

    ``W`` and ``b`` are the scored neurons' weights and biases (the whole layer, or the
    rows of a shared set); example ``i``'s labels are the columns
    ``label_pos[label_ptr[i]:label_ptr[i + 1]]``, and its target is uniform over them.

    Returns ``(G, dH, loss)``: ``G[i, j] = dloss_i / dz_ij`` (zero for an example
    without labels), ``dH = G @ W`` masked by the ReLU, and each example's loss.
    """
    Z = H @ W.T
    Z += b
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    n = H.shape[0]
    n_labels = np.diff(label_ptr)
    rows = np.repeat(np.arange(n), n_labels)
    loss = np.zeros(n)
    np.add.at(loss, rows, -np.log(np.maximum(Z[rows, label_pos], 1e-30)) / n_labels[rows])
    # dloss/dz = p - (uniform over the labels); examples without labels contribute nothing.
    np.subtract.at(Z, (rows, label_pos), (1.0 / n_labels[rows]).astype(np.float32))
    Z[n_labels == 0] = 0.0
    dH = Z @ W
    dH *= H > 0
    return Z, dH, loss


def rows_adam(W, M, V, rows, G, **adam) -> None:
    """Adam on the given rows of ``W`` only (``G`` holds their gradients), in place."""
    Wr, Mr, Vr = W[rows], M[rows], V[rows]
    _k.dense_adam(Wr, Mr, Vr, np.ascontiguousarray(G, dtype=np.float32), **adam)
    W[rows], M[rows], V[rows] = Wr, Mr, Vr
