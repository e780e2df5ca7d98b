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
outputs, as the full-softmax baseline, and :func:`mach_memory_bytes`. The base
learner's training and storage live in :mod:`rushml._linear`, the parameter and
input checks in :mod:`rushml._estimator`.

References
----------
T. Medini, Q. Huang, Y. Wang, V. Mohan and A. Shrivastava, "Extreme
Classification in Log Memory using Count-Min Sketch: A Case Study of Amazon
Search with 50M Products", NeurIPS 2019.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed

from rushml import _mach_kernels as _k
from rushml._estimator import (
    _check_int,
    _check_k,
    _check_positive,
    _check_storage,
    _check_targets,
    _check_X,
    _ParamsMixin,
)
from rushml._linear import (
    CompactWeights,
    _dense_forward,
    _fit_base,
    _forward,
    _set_targets,
    _store,
    _topk_rows,
)
from rushml.hashing import UniversalHashFamily

__all__ = ["CompactWeights", "MACHClassifier", "SoftmaxRegression", "mach_memory_bytes"]

_LOSSES = ("auto", "softmax", "sigmoid")
_QUERY_BLOCK = 1024  # queries decoded together: probs block is (1024, R, B) floats
_CLASS_BLOCK = 1 << 16  # classes hashed together: bucket table block is (65536, R) ints
# Decode two repetitions per look-up (tables of B * B sums per query) when B is at most this
# and K is at least _PAIRED_MIN_CLASSES_PER_CELL * B * B (so the tables cost little).
_PAIRED_MAX_BUCKETS = 64
_PAIRED_MIN_CLASSES_PER_CELL = 16


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
