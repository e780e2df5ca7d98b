"""MACH: extreme classification with R small classifiers and a count-min sketch decoder.

MACH (Merged-Average Classifiers via Hashing) replaces one K-way classifier by R
independent B-way classifiers. Repetition ``r`` relabels every class ``c`` as the
bucket ``h_r(c)`` of a 2-universal hash, so each small classifier learns to tell
apart B "meta-classes", each the union of about K/B random classes. At prediction
time the R bucket distributions are combined like a count-min sketch query: class
``c`` gets the mean, over repetitions, of the probability of the bucket it hashed
to. The repetitions never talk to each other, so they train in parallel on any
joblib backend, and the model holds ``R * B`` output units instead of ``K``:
with ``R`` and ``B`` growing like ``log K``, memory is logarithmic in ``K``.

This module holds the estimator (:class:`MACHClassifier`), the base B-way model
it trains R times (:class:`SoftmaxRegression`), which also serves, with K
outputs, as the full-softmax baseline.

References
----------
T. Medini, Q. Huang, Y. Wang, V. Mohan and A. Shrivastava, "Extreme
Classification in Log Memory using Count-Min Sketch: A Case Study of Amazon
Search with 50M Products", NeurIPS 2019.
"""

from __future__ import annotations

import inspect
import numbers
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from scipy.special import expit

from rushml import _mach_kernels as _k
from rushml._labels import is_label_sets, label_sets
from rushml.hashing import UniversalHashFamily

__all__ = ["CompactWeights", "MACHClassifier", "SoftmaxRegression", "mach_memory_bytes"]

_LOSSES = ("auto", "softmax", "sigmoid")
_QUERY_BLOCK = 1024  # queries decoded together: probs block is (1024, R, B) floats
_CLASS_BLOCK = 1 << 16  # classes hashed together: bucket table block is (65536, R) ints
# Decode two repetitions per look-up (tables of B * B sums per query) when B is at most this
# and K is at least _PAIRED_MIN_CLASSES_PER_CELL * B * B (so the tables cost little).
_PAIRED_MAX_BUCKETS = 64
_PAIRED_MIN_CLASSES_PER_CELL = 16


# -- input checks -----------------------------------------------------------------------


def _check_X(X, n_features: int | None = None) -> sp.csr_matrix:
    """Return ``X`` as a CSR float32 matrix with int32/int64 indices; reject NaN and inf."""
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float32)
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"X must be 2-d (n_samples, n_features), got shape {arr.shape}")
        if not np.issubdtype(arr.dtype, np.number):
            raise ValueError(f"X must be numeric, got dtype {arr.dtype}")
        if not np.isfinite(arr).all():
            raise ValueError("X contains NaN or infinity")
        X = sp.csr_matrix(arr.astype(np.float32))
    if X.data.size and not np.isfinite(X.data).all():
        raise ValueError("X contains NaN or infinity")
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but the model was fitted with {n_features}")
    return X


def _check_label_sets(y, n_samples: int | None, n_classes: int | None):
    """Validate multi-label targets for ``fit``; return a canonical CSR indicator and K.

    Strict (:func:`rushml._labels.label_sets`): an indicator holds only 0 and 1, a label set
    is a 1-d array of integer ids in ``[0, n_classes)``; rows may be empty, not all of them.
    """
    return label_sets(y, n_samples=n_samples, n_classes=n_classes, strict=True)


def _check_targets(y, n_samples: int, n_classes: int | None):
    """Validate ``y``: one class id per sample, or label sets; return ``(y or Y, K, is_sets)``."""
    if is_label_sets(y):
        Y, n_classes = _check_label_sets(y, n_samples, n_classes)
        return Y, n_classes, True
    y, n_classes = _check_y(y, n_samples, n_classes)
    return y, n_classes, False


def _check_y(y, n_samples: int, n_classes: int | None) -> tuple[np.ndarray, int]:
    """Validate single-label targets; return them as int64 and the number of classes."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-d (n_samples,), got shape {y.shape}")
    if y.shape[0] != n_samples:
        raise ValueError(f"X and y have different numbers of samples: {n_samples} and {y.shape[0]}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not np.issubdtype(y.dtype, np.floating) or not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"y must hold integer class ids, got dtype {y.dtype}")
    y = y.astype(np.int64)
    if y.size == 0:
        raise ValueError("y is empty: fit needs at least one sample")
    if y.min() < 0:
        raise ValueError(f"labels must be >= 0, got {int(y.min())}")
    if n_classes is None:
        n_classes = int(y.max()) + 1
    elif y.max() >= n_classes:
        raise ValueError(f"labels must be < n_classes={n_classes}, got {int(y.max())}")
    return y, n_classes


def _check_int(name: str, value, low: int) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def _check_positive(name: str, value) -> None:
    if not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


_WEIGHT_DTYPES = ("float32", "float16")


def _check_storage(prune_threshold, weight_dtype) -> None:
    """Validate the two storage parameters shared by both estimators."""
    if prune_threshold is not None and (
        not isinstance(prune_threshold, numbers.Real)
        or isinstance(prune_threshold, bool)
        or not np.isfinite(prune_threshold)
        or prune_threshold < 0
    ):
        raise ValueError(
            f"prune_threshold must be None or a finite number >= 0, got {prune_threshold!r}"
        )
    if weight_dtype not in _WEIGHT_DTYPES:
        raise ValueError(f"weight_dtype must be one of {_WEIGHT_DTYPES}, got {weight_dtype!r}")


def _check_k(k, n_classes: int) -> int:
    if not isinstance(k, numbers.Integral) or not 1 <= k <= n_classes:
        raise ValueError(f"k must be an integer in [1, n_classes={n_classes}], got {k!r}")
    return int(k)


class _ParamsMixin:
    """``get_params``/``set_params`` and a short repr, as scikit-learn estimators have them.

    Parameters are the keyword-only arguments of ``__init__``, stored as given.
    """

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY]

    def get_params(self, deep=True):
        """Return the constructor parameters as a dict (``deep`` is accepted, unused)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set constructor parameters; unknown names raise ``ValueError``. Returns self."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}")
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()
        }
        changed = [
            f"{k}={v!r}"
            for k, v in self.get_params().items()
            if v is not defaults.get(k) and v != defaults.get(k)
        ]
        return f"{type(self).__name__}({', '.join(changed)})"


# -- the base model ---------------------------------------------------------------------


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


class SoftmaxRegression(_ParamsMixin):
    """Multinomial logistic regression on sparse input, trained by per-sample SGD.

    The base B-way model of :class:`MACHClassifier`, and with ``K`` outputs the
    full-softmax (one-vs-all style) baseline MACH is compared against: same
    model family, same optimiser, same epochs and learning rate. The model is
    ``p(c | x) = softmax(x W + b)_c`` with ``W`` of shape (n_features, n_classes);
    one SGD epoch visits the samples in a seeded random order and updates only
    the rows of ``W`` of each sample's nonzero features, so an epoch costs
    ``O(nnz(X) * n_classes)``.

    Parameters
    ----------
    n_classes : int or None, default=None
        Number of classes; None uses ``max(y) + 1``. Set it when some classes
        are absent from the training labels.
    n_epochs : int, default=5
        Passes over the training data, >= 1.
    learning_rate : float, default=2.0
        Constant SGD step size, > 0 (rows of X are expected to have unit norm).
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the sample order.
    prune_threshold : float or None, default=None
        None keeps ``W`` dense. A number >= 0 prunes after training: each row
        of ``W`` is centred on its median (a per-feature constant shift, which
        leaves every softmax unchanged) and only weights farther than
        ``prune_threshold`` from it are kept, stored as :class:`CompactWeights`.
        0 drops only exact zeros (rows of features absent from training).
    weight_dtype : {"float32", "float16"}, default="float32"
        Type the weights are stored in; float16 halves them (a relative
        rounding of about 5e-4). Computation is in float32 either way.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features, n_classes), or CompactWeights
        Weights ``W``: dense in ``weight_dtype``, or pruned when ``prune_threshold`` is set.
    intercept_ : ndarray of float32, shape (n_classes,)
        Biases ``b``.
    n_classes_ : int
        Number of classes.
    n_features_in_ : int
        Number of features seen in ``fit``.
    loss_curve_ : ndarray of float, shape (n_epochs,)
        Mean training cross-entropy during each epoch.
    """

    def __init__(
        self,
        *,
        n_classes=None,
        n_epochs=5,
        learning_rate=2.0,
        random_state=None,
        prune_threshold=None,
        weight_dtype="float32",
    ):
        self.n_classes = n_classes
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.random_state = random_state
        self.prune_threshold = prune_threshold
        self.weight_dtype = weight_dtype

    def fit(self, X, y):
        """Fit on ``X`` (n_samples, n_features), CSR or dense, and labels ``y``.

        ``y`` holds one class id per sample (n_samples,), or, for multi-label
        data, a sparse indicator (n_samples, n_classes) or a list of label
        arrays; then each sample's target is the uniform distribution over its
        labels.

        Returns
        -------
        self
        """
        if self.n_classes is not None:
            _check_int("n_classes", self.n_classes, 2)
        _check_int("n_epochs", self.n_epochs, 1)
        _check_positive("learning_rate", self.learning_rate)
        _check_storage(self.prune_threshold, self.weight_dtype)
        X = _check_X(X)
        targets, n_classes, sets = _check_targets(y, X.shape[0], self.n_classes)
        if sets:  # uniform over the sample's labels
            targets = _set_targets(targets.indptr, targets.indices, n_classes)
        seed = np.random.default_rng(self.random_state).integers(0, 2**63 - 1)
        W, b, losses = _fit_base(
            X, targets, n_classes, self.n_epochs, self.learning_rate, "softmax", seed
        )
        W = _store(W, self.prune_threshold, self.weight_dtype)
        if self.prune_threshold is not None:
            W = CompactWeights.from_parts([W[:3]], X.shape[1], n_classes, self.weight_dtype)
        self.coef_, self.intercept_, self.loss_curve_ = W, b, losses
        self.n_classes_, self.n_features_in_ = n_classes, X.shape[1]
        return self

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def _proba(self, X: sp.csr_matrix) -> np.ndarray:
        z = _forward(X, self.coef_, self.intercept_)
        return z[:, 0, :] if z.ndim == 3 else z

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), float32 (dense: mind large K)."""
        self._check_fitted()
        return self._proba(_check_X(X, self.n_features_in_))

    def predict_topk(self, X, k: int = 5) -> np.ndarray:
        """Return the ``k`` most probable classes per row, best first, shape (n_samples, k), int64.

        Rows are scored in blocks so that only a (block, n_classes) matrix is held.
        """
        self._check_fitted()
        k = _check_k(k, self.n_classes_)
        X = _check_X(X, self.n_features_in_)
        out = np.empty((X.shape[0], k), dtype=np.int64)
        block = max(1, min(_QUERY_BLOCK, (1 << 24) // self.n_classes_))
        for s in range(0, X.shape[0], block):
            out[s : s + block] = _topk_rows(self._proba(X[s : s + block]), k)
        return out

    def predict(self, X) -> np.ndarray:
        """Most probable class per row, shape (n_samples,), int64."""
        return self.predict_topk(X, 1)[:, 0]


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


def _fit_and_store(
    X, targets, n_outputs, n_epochs, learning_rate, loss, seed, prune_threshold, dtype
):
    """Train one repetition and return it as stored: dense weights or pruned CSR parts.

    ``targets`` is one repetition's bucket per sample, or ``(indptr, buckets)`` of
    every (sample, label) pair, turned into set targets here, in the worker. Pruning
    here too means only ``n_jobs`` dense matrices exist at once.
    """
    if isinstance(targets, tuple):
        targets = _set_targets(*targets, n_outputs)
    W, bias, losses = _fit_base(X, targets, n_outputs, n_epochs, learning_rate, loss, seed)
    return _store(W, prune_threshold, dtype), bias, losses


class MACHClassifier(_ParamsMixin):
    """Extreme classification by R hashed B-way classifiers (MACH).

    ``fit`` draws a 2-universal hash family ``h_1..h_R`` from ``[0, K)`` into
    ``[0, B)`` and trains R independent B-way linear models, the r-th on the
    relabelled targets ``h_r(y)``, in parallel through joblib (any backend:
    processes, threads, or a Dask cluster via
    ``joblib.parallel_config(backend="dask")``). Prediction combines the R
    bucket distributions ``P_r(b | x)`` into a score per class,

    ``s(c | x) = B / (B - 1) * (1/R * sum_r P_r(h_r(c) | x) - 1/B)``,

    the paper's unbiased estimator of ``p(c | x)`` (same ranking as the plain
    mean over repetitions), and returns the best classes. Decoding runs over
    blocks of queries and classes, so no dense (n_samples, K) matrix is built.

    One label per sample or a set of labels per sample (multi-label data, as in
    the paper's product search): then repetition ``r``'s target for sample ``i``
    is the set of buckets ``{h_r(c) : c in Y_i}``. Under ``loss="sigmoid"`` each
    bucket is a binary target (does one of the sample's labels hash to it?) and a
    sample without labels is an all-negative example; under ``loss="softmax"``
    the target is the bucket marginal of a uniform distribution over the sample's
    labels (bucket ``b`` gets the share of ``Y_i`` hashed to it; samples without
    labels are skipped), so one label per sample is plain MACH. The sigmoid
    decodes label sets better: a true label's buckets all score near 1 whatever
    else shares them, while under the softmax a label alone in its bucket gets
    only ``1/|Y_i|`` (measured in ``notebooks/cms-deep-dive.md``). With the
    sigmoid the bucket scores need not sum to 1 and the estimator above is a
    ranking score, not a probability.

    Parameters
    ----------
    n_buckets : int, default=256
        Buckets per repetition ``B``, >= 2 and < the number of classes.
    n_repetitions : int, default=8
        Independent repetitions ``R``, >= 1.
    n_classes : int or None, default=None
        Number of classes ``K``; None uses ``max(y) + 1``. Set it when some
        classes are absent from the training labels (common under a power law).
    n_epochs : int, default=5
        SGD epochs of each base model, >= 1.
    learning_rate : float, default=2.0
        SGD step size of each base model, > 0.
    loss : {"auto", "softmax", "sigmoid"}, default="auto"
        The base models' loss: softmax cross-entropy over the B buckets, or B
        independent logistic losses. "auto" takes the softmax for one label per
        sample (the paper's single-label MACH) and the sigmoid for label sets.
    n_jobs : int or None, default=None
        Parallel jobs for the repetitions, passed to :class:`joblib.Parallel`
        (None: one, unless a ``joblib.parallel_config`` context says otherwise).
    random_state : int, numpy.random.Generator or None, default=None
        Seed; resolved once in ``fit`` into one seed for the hash family and one
        per repetition, so results do not depend on ``n_jobs`` or the backend.
    prune_threshold : float or None, default=None
        None keeps the R weight matrices dense, ``R * n_features * B`` numbers.
        A number >= 0 prunes each repetition as soon as it is trained: every
        row (feature) is centred on its median, which shifts all B logits of a
        query by the same amount and so changes no probability, and only
        weights farther than ``prune_threshold`` from it are kept. The R
        matrices are then stored together as one :class:`CompactWeights` (CSR
        over features) and prediction reads only the kept weights; under the
        sigmoid, which a shift does change, the R x n_features medians are kept
        and added back at prediction. 0 drops only
        exact zeros, which already removes the features never seen in
        training. Most of the other weights sit near their row's median (each
        SGD step moves all B weights of a feature's row, most of them by a
        small ``lr * p``); with the default learning rate, 0.1 drops them
        without changing P@1 on the peer benchmark's generated problems.
    weight_dtype : {"float32", "float16"}, default="float32"
        Type the weights are stored in, dense or pruned; float16 halves them
        (relative rounding about 5e-4). Prediction computes in float32.

    Attributes
    ----------
    hash_ : UniversalHashFamily
        The R hash functions (two int64 coefficients each).
    coef_ : ndarray of shape (n_repetitions, n_features, n_buckets), or CompactWeights
        Weights of the R base models: dense in ``weight_dtype``, or pruned (all
        R in one :class:`CompactWeights`) when ``prune_threshold`` is set.
    intercept_ : ndarray of float32, shape (n_repetitions, n_buckets)
        Biases of the R base models.
    n_classes_ : int
        Number of classes ``K``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    loss_curves_ : ndarray of float, shape (n_repetitions, n_epochs)
        Mean training loss of each repetition per epoch (per labelled sample for
        the softmax, per sample for the sigmoid).
    output_ : {"softmax", "sigmoid"}
        The loss the model was fitted with (``loss`` resolved); decides how
        bucket scores are computed.

    References
    ----------
    T. Medini, Q. Huang, Y. Wang, V. Mohan and A. Shrivastava, "Extreme
    Classification in Log Memory using Count-Min Sketch: A Case Study of Amazon
    Search with 50M Products", NeurIPS 2019.

    Examples
    --------
    >>> from rushml.datasets import make_extreme_classification
    >>> X, y = make_extreme_classification(
    ...     2000, n_features=2000, n_classes=1000, random_state=0)
    >>> clf = MACHClassifier(n_buckets=32, n_repetitions=4, random_state=0).fit(X, y)
    >>> clf.predict_topk(X[:3], k=5).shape
    (3, 5)
    """

    def __init__(
        self,
        *,
        n_buckets=256,
        n_repetitions=8,
        n_classes=None,
        n_epochs=5,
        learning_rate=2.0,
        loss="auto",
        n_jobs=None,
        random_state=None,
        prune_threshold=None,
        weight_dtype="float32",
    ):
        self.n_buckets = n_buckets
        self.n_repetitions = n_repetitions
        self.n_classes = n_classes
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.loss = loss
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.prune_threshold = prune_threshold
        self.weight_dtype = weight_dtype

    def _validate_params(self) -> None:
        _check_int("n_buckets", self.n_buckets, 2)
        _check_int("n_repetitions", self.n_repetitions, 1)
        if self.n_classes is not None:
            _check_int("n_classes", self.n_classes, 2)
        _check_int("n_epochs", self.n_epochs, 1)
        _check_positive("learning_rate", self.learning_rate)
        if self.loss not in _LOSSES:
            raise ValueError(f"loss must be one of {_LOSSES}, got {self.loss!r}")
        if self.n_jobs is not None and not isinstance(self.n_jobs, numbers.Integral):
            raise ValueError(f"n_jobs must be an integer or None, got {self.n_jobs!r}")

    def fit(self, X, y):
        """Train the R repetitions.

        Parameters
        ----------
        X : scipy.sparse matrix or array-like, shape (n_samples, n_features)
            Features; converted to CSR float32. Rows of unit L2 norm suit the
            default learning rate.
        y : array-like of int, scipy.sparse matrix or list of array-like of int
            Shape (n_samples,) for one label per sample; (n_samples, n_classes)
            for an indicator matrix; a list of n_samples label arrays otherwise.
            Class ids in ``[0, n_classes)``: one per sample, or for multi-label
            data a 0/1 indicator matrix (as :func:`rushml.xc_io.read_xc` returns)
            or one array of labels per sample; empty sets are allowed, not all.
            With label sets, repetition r's target for a sample is the set of
            buckets its labels hash to (see ``loss``).

        Returns
        -------
        self
        """
        self._validate_params()
        _check_storage(self.prune_threshold, self.weight_dtype)
        X = _check_X(X)
        y, n_classes, sets = _check_targets(y, X.shape[0], self.n_classes)
        if self.n_buckets >= n_classes:
            raise ValueError(
                f"n_buckets must be smaller than the number of classes ({n_classes}), "
                f"got {self.n_buckets}"
            )
        loss = self.loss if self.loss != "auto" else ("sigmoid" if sets else "softmax")
        rng = np.random.default_rng(self.random_state)
        hash_seed, *rep_seeds = rng.integers(0, 2**63 - 1, size=1 + self.n_repetitions)
        family = UniversalHashFamily(self.n_buckets, self.n_repetitions, random_state=hash_seed)
        # (R, n) the bucket of each sample, or (R, nnz) the bucket of each (sample, label)
        buckets = family(y.indices if sets else y)
        fits = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_and_store)(
                X,
                (y.indptr, buckets[r]) if sets else buckets[r],
                self.n_buckets,
                self.n_epochs,
                self.learning_rate,
                loss,
                rep_seeds[r],
                self.prune_threshold,
                self.weight_dtype,
            )
            for r in range(self.n_repetitions)
        )
        self.hash_ = family
        if self.prune_threshold is None:
            self.coef_ = np.stack([w for w, _, _ in fits])
        else:
            self.coef_ = CompactWeights.from_parts(
                [w[:3] for w, _, _ in fits],
                X.shape[1],
                self.n_buckets,
                self.weight_dtype,
                offsets=[w[3] for w, _, _ in fits] if loss == "sigmoid" else None,
            )
        self.intercept_ = np.stack([b for _, b, _ in fits])
        self.loss_curves_ = np.stack([c for _, _, c in fits])
        self.n_classes_, self.n_features_in_ = n_classes, X.shape[1]
        self.output_ = loss
        return self

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise ValueError("this MACHClassifier is not fitted yet: call fit first")

    def predict_bucket_proba(self, X, *, repetitions=None) -> np.ndarray:
        """Bucket probabilities of each repetition, shape (n_samples, R, n_buckets), float32.

        Softmax probabilities, or per-bucket sigmoids when fitted with the sigmoid loss.

        Parameters
        ----------
        X : scipy.sparse matrix or array-like, shape (n_samples, n_features)
            Queries.
        repetitions : sequence of int or None, default=None
            Use only these repetitions (for accuracy-versus-R curves); None uses all.
        """
        self._check_fitted()
        X = _check_X(X, self.n_features_in_)
        reps = range(self.n_repetitions) if repetitions is None else list(repetitions)
        if isinstance(self.coef_, CompactWeights):  # one pass over the kept weights, all R
            out = _forward(X, self.coef_, self.intercept_, self.output_)
            return out if repetitions is None else np.ascontiguousarray(out[:, reps, :])
        out = np.empty((X.shape[0], len(reps), self.n_buckets), dtype=np.float32)
        for j, r in enumerate(reps):
            out[:, j, :] = _dense_forward(X, self.coef_[r], self.intercept_[r], self.output_)
        return out

    def _bucket_table(self, start: int, stop: int, reps, *, paired=False) -> np.ndarray:
        """Buckets ``h_r(c)`` of classes ``start..stop-1``, shape (stop - start, n_reps), int32.

        With ``paired``, the pair indices of :func:`_mach_kernels.mach_decode_block_paired`
        instead: ``h_2j(c) * B + h_2j+1(c)``, shape (stop - start, ceil(n_reps / 2)), uint16.
        """
        classes = np.arange(start, stop, dtype=np.int64)
        table = self.hash_(classes)[list(reps)]
        if paired:
            if table.shape[0] % 2:
                table = np.vstack([table, np.zeros((1, table.shape[1]), table.dtype)])
            table = table[0::2] * self.n_buckets + table[1::2]
            return np.ascontiguousarray(table.T.astype(np.uint16))
        return np.ascontiguousarray(table.T.astype(np.int32))

    def predict_topk(self, X, k: int = 5, *, return_scores=False, repetitions=None):
        """Return the ``k`` best classes per query by the count-min-sketch estimator.

        Parameters
        ----------
        X : scipy.sparse matrix or array-like, shape (n_samples, n_features)
            Queries.
        k : int, default=5
            Classes to return per query, in ``[1, n_classes]``.
        return_scores : bool, default=False
            Also return the estimated probabilities
            ``B/(B-1) (mean_r P_r(h_r(c)) - 1/B)`` of the returned classes.
        repetitions : sequence of int or None, default=None
            Decode with only these repetitions; None uses all.

        Returns
        -------
        topk : ndarray of int64, shape (n_samples, k)
            Class ids, best first; ties go to the smaller id.
        scores : ndarray of float64, shape (n_samples, k)
            Only if ``return_scores``.
        """
        self._check_fitted()
        k = _check_k(k, self.n_classes_)
        X = _check_X(X, self.n_features_in_)
        reps = range(self.n_repetitions) if repetitions is None else list(repetitions)
        n, K, B = X.shape[0], self.n_classes_, self.n_buckets
        top_ids = np.full((n, k), -1, dtype=np.int64)
        top_scores = np.full((n, k), -np.inf, dtype=np.float64)
        paired = (
            len(reps) >= 2
            and B <= _PAIRED_MAX_BUCKETS
            and K >= _PAIRED_MIN_CLASSES_PER_CELL * B * B
        )
        decode = _k.mach_decode_block_paired if paired else _k.mach_decode_block
        tables = None
        if K <= _CLASS_BLOCK:  # small K: hash all classes once for every query block
            tables = [(0, self._bucket_table(0, K, reps, paired=paired))]
        for s in range(0, n, _QUERY_BLOCK):
            probs = self.predict_bucket_proba(X[s : s + _QUERY_BLOCK], repetitions=reps)
            ids, sc = top_ids[s : s + _QUERY_BLOCK], top_scores[s : s + _QUERY_BLOCK]
            blocks = tables or (
                (c0, self._bucket_table(c0, min(c0 + _CLASS_BLOCK, K), reps, paired=paired))
                for c0 in range(0, K, _CLASS_BLOCK)
            )
            for c0, table in blocks:
                decode(probs, table, c0, ids, sc)
        if return_scores:
            # The unbiased estimator (paper's Eq. for p-hat): affine in the mean, same ranking.
            return top_ids, B / (B - 1) * (top_scores - 1.0 / B)
        return top_ids

    def predict(self, X) -> np.ndarray:
        """Best class per query, shape (n_samples,), int64."""
        return self.predict_topk(X, 1)[:, 0]

    def class_scores(self, X, *, repetitions=None) -> np.ndarray:
        """Estimated probabilities of all classes, shape (n_samples, n_classes), float64.

        Dense: meant for small K (pictures, tests). Use :meth:`predict_topk` for large K.
        """
        probs = self.predict_bucket_proba(X, repetitions=repetitions)
        reps = range(self.n_repetitions) if repetitions is None else list(repetitions)
        table = self._bucket_table(0, self.n_classes_, reps)  # (K, R')
        mean = np.zeros((probs.shape[0], self.n_classes_))
        for j in range(len(reps)):
            mean += probs[:, j, table[:, j]]
        mean /= len(reps)
        B = self.n_buckets
        return B / (B - 1) * (mean - 1.0 / B)


def mach_memory_bytes(
    n_features: int,
    n_classes: int,
    *,
    n_buckets: int,
    n_repetitions: int,
    itemsize: int = 4,
    nnz: int | None = None,
) -> dict:
    """Parameter memory of MACH and of the full-softmax baseline, computed.

    Dense, MACH holds ``R d B`` weights of ``itemsize`` bytes, ``R B`` float32
    biases and ``2 R`` hash coefficients (int64); the baseline holds ``d K``
    weights and ``K`` float32 biases. Pruned (``nnz`` given), MACH's weights
    are stored as :class:`CompactWeights`: ``d + 1`` row pointers (int32),
    ``nnz`` column indices (1 byte when ``R B <= 256``, 2 when ``<= 65536``,
    else 4) and ``nnz`` values of ``itemsize`` bytes. Agrees with
    :func:`rushml.metrics.model_nbytes` on fitted models (tested).

    Parameters
    ----------
    n_features : int
        Input dimension ``d``.
    n_classes : int
        Number of classes ``K``.
    n_buckets : int
        Buckets per repetition ``B``.
    n_repetitions : int
        Repetitions ``R``.
    itemsize : int, default=4
        Bytes per weight (4 for float32, 2 for float16).
    nnz : int or None, default=None
        Weights kept after pruning (``coef_.nnz`` of a pruned model); None: dense.

    Returns
    -------
    dict
        ``{"mach": bytes, "baseline": bytes, "ratio": baseline / mach}``.
    """
    R, B, d = n_repetitions, n_buckets, n_features
    if nnz is None:
        weights = R * d * B * itemsize
    else:
        width = R * B
        index_size = 1 if width <= 2**8 else 2 if width <= 2**16 else 4
        pointer_size = 4 if nnz < 2**31 else 8
        weights = (d + 1) * pointer_size + nnz * (index_size + itemsize)
    mach = weights + R * B * 4 + 2 * R * 8
    base = d * n_classes * itemsize + n_classes * 4
    return {"mach": int(mach), "baseline": int(base), "ratio": base / mach}
