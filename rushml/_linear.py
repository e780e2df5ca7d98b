"""MACH's base learner: a B-way linear model trained by per-sample SGD, stored compactly.

:func:`_fit_base` trains one model (softmax or sigmoid loss, one output per row or a
weighted set of outputs, see :func:`_set_targets`) with the Numba kernels of
:mod:`rushml._mach_kernels`; :func:`_store` prunes and narrows its weights into a
:class:`CompactWeights`; :func:`_forward` scores queries with either form. Private to
:mod:`rushml.mach`, which re-exports :class:`CompactWeights`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from rushml import _mach_kernels as _k


def _set_targets(indptr: np.ndarray, outputs: np.ndarray, n_outputs: int):
    """Each row's distinct outputs and the share of its labels that fall in each.

    ``outputs`` (nnz,) holds the output (MACH: the bucket ``h_r(c)``) of each label
    laid out by ``indptr``. Returns CSR arrays ``(t_indptr, t_outputs, t_weights)``;
    the weights of a non-empty row sum to 1 (output ``b`` gets the fraction of the
    row's labels mapped to ``b``).
    """
    n = indptr.size - 1
    n_labels = np.diff(indptr)
    rows = np.repeat(np.arange(n, dtype=np.int64), n_labels)
    keys, counts = np.unique(rows * n_outputs + outputs, return_counts=True)
    t_rows = keys // n_outputs
    t_indptr = np.concatenate([[0], np.cumsum(np.bincount(t_rows, minlength=n))]).astype(np.int64)
    t_weights = (counts / n_labels[t_rows]).astype(np.float32)
    return t_indptr, (keys % n_outputs).astype(np.int64), t_weights


def _fit_base(X: sp.csr_matrix, targets, n_outputs, n_epochs, learning_rate, loss, seed):
    """Train one B-way linear model by per-sample SGD; return ``(W, bias, losses)``.

    ``targets`` is an int array (n_samples,) of output ids, or CSR arrays
    ``(t_indptr, t_outputs, t_weights)`` of each sample's outputs (see
    :func:`_set_targets`). ``loss="softmax"`` fits the cross-entropy against one
    output or against the weighted set (rows without outputs are skipped);
    ``loss="sigmoid"`` fits B logistic losses against the multi-hot set (rows
    without outputs are all-negative examples). Module level so joblib can ship it
    to any worker (processes, threads, Dask); the sample order of each epoch comes
    from ``seed`` alone, so one output per sample trains the same model whichever
    form the targets take.
    """
    rng = np.random.default_rng(seed)
    W = np.zeros((X.shape[1], n_outputs), dtype=np.float32)
    bias = np.zeros(n_outputs, dtype=np.float32)
    sets = isinstance(targets, tuple)
    if not sets:
        targets = np.ascontiguousarray(targets, dtype=np.int64)
        if loss == "sigmoid":
            sets = True
            ones = np.ones(targets.size, dtype=np.float32)
            targets = (np.arange(targets.size + 1, dtype=np.int64), targets, ones)
    if sets:
        t_indptr, t_outputs = (np.ascontiguousarray(a, dtype=np.int64) for a in targets[:2])
        t_weights = np.ascontiguousarray(targets[2], dtype=np.float32)
    labelled = X.shape[0] if loss == "sigmoid" or not sets else np.count_nonzero(np.diff(t_indptr))
    lr = np.float32(learning_rate)
    losses = []
    for _ in range(n_epochs):
        order = rng.permutation(X.shape[0]).astype(np.int64)
        if not sets:
            total = _k.softmax_sgd_epoch(X.indptr, X.indices, X.data, targets, order, W, bias, lr)
        elif loss == "softmax":
            total = _k.soft_target_softmax_epoch(
                X.indptr, X.indices, X.data, t_indptr, t_outputs, t_weights, order, W, bias, lr
            )
        else:
            total = _k.multi_hot_sigmoid_epoch(
                X.indptr, X.indices, X.data, t_indptr, t_outputs, order, W, bias, lr
            )
        losses.append(total / max(int(labelled), 1))
        if not np.isfinite(total) or not np.isfinite(W).all():
            raise ValueError(
                "training diverged (non-finite loss or weights) with "
                f"learning_rate={learning_rate!r}: lower it, or scale the rows of X to unit L2 norm"
            )
    return W, bias, np.asarray(losses)


def _dense_forward(X: sp.csr_matrix, W: np.ndarray, bias: np.ndarray, output: str) -> np.ndarray:
    """Return ``softmax(X W + b)`` or ``sigmoid(X W + b)`` of one dense model, (n, n_outputs)."""
    out = np.empty((X.shape[0], W.shape[1]), dtype=np.float32)
    W = W if W.dtype == np.float32 else W.astype(np.float32)  # float16 storage: widen to compute
    _k.linear_forward(X.indptr, X.indices, X.data, W, bias, out)
    if output == "softmax":
        _k.softmax_groups(out, 1)
    else:
        expit(out, out=out)
    return out


@dataclass(frozen=True, eq=False)
class CompactWeights:
    """Pruned weights of ``n_groups`` softmax models over the same features, as one CSR matrix.

    Row ``j`` holds feature ``j``'s kept weights for all groups (the R
    repetitions of MACH; one group for :class:`SoftmaxRegression`): column
    ``g * n_outputs + c`` is output ``c`` of group ``g``. Only what is stored
    here is counted by :func:`rushml.metrics.model_nbytes`: the row pointers,
    the column of each kept weight in the narrowest unsigned type that holds
    ``n_groups * n_outputs`` (uint8, uint16, else int32) and its value
    (float16 or float32).

    Attributes
    ----------
    indptr : ndarray of int32 (int64 past 2**31 weights), shape (n_features + 1,)
        Row pointers.
    indices : ndarray of uint8, uint16 or int32, shape (nnz,)
        Column of each kept weight, increasing within a row.
    data : ndarray of float16 or float32, shape (nnz,)
        Kept weights, each row centred on its median (which leaves the softmax unchanged).
    n_groups : int
        Number of models (MACH's R).
    n_outputs : int
        Outputs of each model (MACH's B).
    offsets : ndarray of float32, shape (n_groups, n_features), or None
        The medians taken out of each row, kept for sigmoid outputs (a shift of a
        row changes them): the logits of group ``g`` are then ``x W_g + x . offsets[g]
        + b_g``. None for softmax outputs, which the shift leaves unchanged.
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_groups: int
    n_outputs: int
    offsets: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        """Number of input features (rows)."""
        return self.indptr.size - 1

    @property
    def nnz(self) -> int:
        """Number of stored weights."""
        return int(self.data.size)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Dense shape ``(n_groups, n_features, n_outputs)``."""
        return (self.n_groups, self.n_features, self.n_outputs)

    def toarray(self) -> np.ndarray:
        """Dense float32 weights, shape ``(n_groups, n_features, n_outputs)`` (mind large sizes).

        With ``offsets``, each row's offset is added back (the equivalent dense model).
        """
        rows = np.repeat(np.arange(self.n_features), np.diff(self.indptr))
        cols = self.indices.astype(np.int64)
        out = np.zeros(self.shape, dtype=np.float32)
        out[cols // self.n_outputs, rows, cols % self.n_outputs] = self.data
        if self.offsets is not None:
            out += self.offsets[:, :, None]
        return out

    @classmethod
    def from_parts(
        cls, parts, n_features: int, n_outputs: int, dtype, offsets=None
    ) -> CompactWeights:
        """Join per-group CSR parts ``(indptr, indices, data)`` (local columns) into one matrix.

        ``offsets``, when given, is one (n_features,) array of row offsets per group.
        """
        counts = [np.diff(indptr) for indptr, _, _ in parts]
        total = np.sum(counts, axis=0, dtype=np.int64)
        nnz = int(total.sum())
        width = len(parts) * n_outputs
        index_dtype = np.uint8 if width <= 2**8 else np.uint16 if width <= 2**16 else np.int32
        indptr = np.zeros(n_features + 1, dtype=np.int32 if nnz < 2**31 else np.int64)
        np.cumsum(total, out=indptr[1:])
        indices = np.empty(nnz, dtype=index_dtype)
        data = np.empty(nnz, dtype=dtype)
        start = indptr[:-1].astype(np.int64)  # where group g's part of each row begins
        for g, ((p_indptr, p_indices, p_data), count) in enumerate(zip(parts, counts, strict=True)):
            rows = np.repeat(np.arange(n_features), count)
            dest = start[rows] + (np.arange(rows.size) - p_indptr[rows])
            indices[dest] = p_indices + g * n_outputs
            data[dest] = p_data
            start += count
        if offsets is not None:
            offsets = np.stack([np.asarray(o, dtype=np.float32) for o in offsets])
        return cls(indptr, indices, data, len(parts), n_outputs, offsets)


def _prune(W: np.ndarray, threshold: float):
    """Centre each row of ``W`` on its median, keep entries farther than ``threshold`` from it.

    Returns CSR parts ``(indptr int64, indices int32, data float32)`` of shape ``W.shape``
    and the centres (n_rows,) float32.
    """
    n_rows = W.shape[0]
    centres = np.empty(n_rows, dtype=np.float32)
    counts = np.empty(n_rows, dtype=np.int64)
    thr = np.float32(threshold)
    _k.prune_rows_count(W, thr, centres, counts)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(indptr[-1], dtype=np.int32)
    data = np.empty(indptr[-1], dtype=np.float32)
    _k.prune_rows_fill(W, thr, centres, indptr, indices, data)
    return indptr, indices, data, centres


def _store(W: np.ndarray, prune_threshold, weight_dtype):
    """Return a trained weight matrix (n_features, n_outputs) as stored: dense or pruned parts.

    Pruned, the parts are ``(indptr, indices, data, row_centres)`` (see :func:`_prune`).
    """
    if prune_threshold is None:
        return W if weight_dtype == "float32" else W.astype(weight_dtype)
    return _prune(W, prune_threshold)


def _forward(X: sp.csr_matrix, coef, intercept: np.ndarray, output: str = "softmax") -> np.ndarray:
    """Return every group's outputs: (n, n_outputs) for a dense matrix, else (n, G, n_outputs).

    ``coef`` is a dense (n_features, n_outputs) matrix or :class:`CompactWeights`
    (then ``intercept`` is (G, n_outputs)); ``output`` is ``"softmax"`` (each group
    normalised) or ``"sigmoid"`` (each output on its own).
    """
    if not isinstance(coef, CompactWeights):
        return _dense_forward(X, coef, intercept, output)
    G, B = coef.n_groups, coef.n_outputs
    out = np.empty((X.shape[0], G * B), dtype=np.float32)
    _k.sparse_linear_forward(
        X.indptr,
        X.indices,
        X.data,
        coef.indptr,
        coef.indices,
        coef.data.astype(np.float32, copy=False),
        np.ascontiguousarray(intercept, dtype=np.float32).ravel(),
        out,
    )
    out = out.reshape(X.shape[0], G, B)
    if coef.offsets is not None:
        out += np.asarray(X @ coef.offsets.T, dtype=np.float32)[:, :, None]
    if output == "softmax":
        _k.softmax_groups(out.reshape(X.shape[0], G * B), G)
    else:
        expit(out, out=out)
    return out


def _topk_rows(z: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k largest entries of each row, best first (ties: smaller id)."""
    if k < z.shape[1]:
        part = np.argpartition(-z, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(z.shape[1]), z.shape).copy()
    vals = np.take_along_axis(z, part, axis=1)
    order = np.lexsort((part, -vals), axis=1)
    return np.take_along_axis(part, order, axis=1).astype(np.int64)


# -- MACH ---------------------------------------------------------------------------------
