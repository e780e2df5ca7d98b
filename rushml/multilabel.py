"""MACH for multi-label data, seen as a count-min sketch, with its collision theory.

In multi-label extreme classification every example carries a *set* of labels
(tags of a document, products bought after a query). MACH carries over with one
change: in repetition ``r`` the target of an example is no longer one bucket but
the set ``{h_r(c) : c in Y_i}`` of buckets its labels hash to. The R small
classifiers then learn, for each bucket, how much of the example's label mass
falls into it, and a label's score is read back exactly as in MACH: the mean,
over repetitions, of the probability of the bucket it hashed to. That read-out
is a count-min-sketch query, so the sketch's analysis tells when it works: a
label that is *not* in ``Y_i`` is mistaken for one when each of its R buckets is
occupied by some true label, which for ``L`` labels and uniform hashing happens
with probability ``(1 - (1 - 1/B)**L)**R``.

The module holds the data generator (:func:`make_extreme_multilabel`), the
estimator (:class:`MultiLabelMACH`, a :class:`~rushml.mach.MACHClassifier`
whose ``fit`` takes label sets; prediction, decoding and memory accounting are
the parent's), and the predicted and measured collision rates
(:func:`predicted_collision_rates`, :func:`measured_collision_rates`).

References
----------
T. Medini and A. Shrivastava, "A Deep Dive of Count-Min Sketch for Extreme
Multi-Label Classification", Machine Learning with Guarantees Workshop at
NeurIPS 2019. This is a laptop-scale re-implementation of the idea, not the
paper's code.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from scipy.special import expit

from rushml import _multilabel_kernels as _k

# Private helpers of the MACH and data modules, imported (not copied) so the
# multi-label code shares their checks and their row sampler.
from rushml.datasets import _check_common, _draw_ranks, _FeatureModel, _power_law_cdf
from rushml.hashing import UniversalHashFamily
from rushml.mach import MACHClassifier, _check_X

__all__ = [
    "MultiLabelMACH",
    "make_extreme_multilabel",
    "measured_collision_rates",
    "predicted_collision_rates",
]

_LOSSES = ("softmax", "sigmoid")
_SCORE_CELLS = 1 << 24  # rows x classes scored at once when measuring collisions


# -- data ---------------------------------------------------------------------------------


def _draw_label_sets(rng, n_samples, n_classes, labels_per_sample, label_exponent):
    """Label sets without repeats: sizes ``1 + Poisson(labels_per_sample - 1)``, power-law labels.

    Returns ``(indptr, labels)`` in CSR layout, labels sorted within each row.
    """
    sizes = np.minimum(1 + rng.poisson(labels_per_sample - 1.0, size=n_samples), n_classes)
    rank_of_class = rng.permutation(n_classes).astype(np.int64)
    cdf = _power_law_cdf(n_classes, label_exponent)
    rows = np.repeat(np.arange(n_samples, dtype=np.int64), sizes)
    labels = rank_of_class[_draw_ranks(rng, cdf, rows.size)]
    for _ in range(64):  # redraw labels that repeat within their row
        order = np.lexsort((labels, rows))
        same = (rows[order][1:] == rows[order][:-1]) & (labels[order][1:] == labels[order][:-1])
        dup = np.zeros(rows.size, dtype=bool)
        dup[order[1:][same]] = True
        if not dup.any():
            break
        labels[dup] = rank_of_class[_draw_ranks(rng, cdf, int(dup.sum()))]
    else:  # a row almost as large as n_classes: fill it from the classes it lacks
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        for i in np.unique(rows[dup]):
            row = labels[indptr[i] : indptr[i + 1]]
            kept = np.unique(row)
            missing = np.setdiff1d(np.arange(n_classes), kept)
            fill = rng.choice(missing, size=row.size - kept.size, replace=False)
            labels[indptr[i] : indptr[i + 1]] = np.concatenate([kept, fill])
    order = np.lexsort((labels, rows))
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return indptr, labels[order]


def make_extreme_multilabel(
    n_samples: int,
    *,
    n_features: int,
    n_classes: int,
    labels_per_sample: float = 5.0,
    n_nonzero: int = 30,
    label_exponent: float = 1.1,
    noise: float = 0.3,
    random_state: int | np.random.Generator | None = None,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Generate a learnable multi-label extreme-classification problem.

    The multi-label sibling of :func:`rushml.datasets.make_extreme_classification`,
    sharing its feature model and row sampler: each class owns a hashed sparse
    prototype, and each signal token of a row comes from the prototype of one
    of the row's labels, chosen uniformly. A row has ``1 + Poisson(labels_per_sample
    - 1)`` distinct labels (capped at ``n_classes``), each drawn from a power law
    over classes (rank ``r`` with probability proportional to
    ``r ** -label_exponent``); a label drawn twice for one row is redrawn.

    Parameters
    ----------
    n_samples : int
        Number of rows, >= 1.
    n_features : int
        Number of feature columns, >= 1.
    n_classes : int
        Number of labels ``K``, >= 1.
    labels_per_sample : float, default=5.0
        Mean number of labels per row, >= 1 (real multi-label benchmarks range
        from a few labels per example to a few dozen).
    n_nonzero : int, default=30
        Mean number of tokens per row, >= 1; the signal tokens are shared among
        the row's labels, so more labels per row want more tokens.
    label_exponent : float, default=1.1
        Power-law exponent of the label frequencies, >= 0 (0: uniform).
    noise : float, default=0.3
        Fraction of tokens in ``[0, 1]`` that are label-independent noise.
    random_state : int, numpy.random.Generator or None, default=None
        Seed or generator; the same seed gives the same data.

    Returns
    -------
    X : scipy.sparse.csr_matrix of float32, shape (n_samples, n_features)
        Row-normalised sparse features with sorted indices.
    Y : scipy.sparse.csr_matrix of float32, shape (n_samples, n_classes)
        Label indicator (entries 1), sorted indices; every row has at least one label.

    Examples
    --------
    >>> X, Y = make_extreme_multilabel(
    ...     500, n_features=2000, n_classes=1000, random_state=0)
    >>> X.shape, Y.shape
    ((500, 2000), (500, 1000))
    """
    _check_common(n_samples, n_features, n_classes, n_nonzero, label_exponent, noise)
    if (
        not isinstance(labels_per_sample, numbers.Real)
        or not np.isfinite(labels_per_sample)
        or labels_per_sample < 1
    ):
        raise ValueError(
            f"labels_per_sample must be a finite number >= 1, got {labels_per_sample!r}"
        )
    rng = np.random.default_rng(random_state)
    model = _FeatureModel.draw(rng, n_features, 2 * n_nonzero)
    indptr, labels = _draw_label_sets(rng, n_samples, n_classes, labels_per_sample, label_exponent)
    X = model.sample_rows(rng, indptr, labels, n_nonzero, noise)
    Y = sp.csr_matrix(
        (np.ones(labels.size, dtype=np.float32), labels, indptr), shape=(n_samples, n_classes)
    )
    return X, Y


# -- input checks -------------------------------------------------------------------------


def _check_label_sets(y, n_samples: int | None, n_classes: int | None):
    """Validate multi-label targets; return a canonical CSR indicator and the number of classes.

    ``y`` is a scipy.sparse indicator (entries 0/1) or a list with one array of
    label ids per sample. Rows may be empty; ids must lie in ``[0, n_classes)``.
    """
    if sp.issparse(y):
        Y = sp.csr_matrix(y, dtype=np.float64, copy=True)
        Y.eliminate_zeros()
        if Y.nnz and not np.all(Y.data == 1):
            bad = Y.data[Y.data != 1][0]
            raise ValueError(f"y indicator matrix must hold only 0 and 1, got {float(bad)!r}")
        Y.sum_duplicates()
        width = Y.shape[1]
    elif isinstance(y, list | tuple):
        rows = []
        for i, r in enumerate(y):
            a = np.asarray(r)
            if a.ndim > 1:
                raise ValueError(f"label set {i} must be 1-d, got shape {a.shape}")
            a = a.ravel()
            if a.size and not np.issubdtype(a.dtype, np.integer):
                raise ValueError(f"label set {i} must hold integer label ids, got dtype {a.dtype}")
            rows.append(a.astype(np.int64))
        lengths = np.fromiter((r.size for r in rows), dtype=np.int64, count=len(rows))
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        labels = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        if labels.size and labels.min() < 0:
            raise ValueError(f"labels must be >= 0, got {int(labels.min())}")
        width = int(labels.max()) + 1 if labels.size else 0
        if n_classes is not None and width > n_classes:
            raise ValueError(f"labels must be < n_classes={n_classes}, got {width - 1}")
        Y = sp.csr_matrix(
            (np.ones(labels.size), labels, indptr),
            shape=(len(rows), max(width, n_classes or 0)),
        )
        Y.sum_duplicates()  # a label listed twice in one set counts once
        Y.data[:] = 1
    else:
        raise ValueError(
            "y must be a scipy.sparse indicator matrix (n_samples, n_classes) or a list of "
            f"label arrays, got {type(y).__name__}"
        )
    if n_samples is not None and Y.shape[0] != n_samples:
        raise ValueError(f"X and y have different numbers of samples: {n_samples} and {Y.shape[0]}")
    if Y.nnz == 0:
        raise ValueError("y has no labels at all: fit needs at least one labelled sample")
    top = int(Y.indices.max())
    if n_classes is None:
        n_classes = Y.shape[1]
    elif top >= n_classes:
        raise ValueError(f"labels must be < n_classes={n_classes}, got {top}")
    if Y.shape[1] != n_classes:
        Y = sp.csr_matrix((Y.data, Y.indices, Y.indptr), shape=(Y.shape[0], n_classes))
    Y.sort_indices()
    Y.indices = Y.indices.astype(np.int64)
    Y.indptr = Y.indptr.astype(np.int64)
    return Y, int(n_classes)


# -- the estimator ------------------------------------------------------------------------


def _bucket_targets(indptr: np.ndarray, buckets: np.ndarray, n_buckets: int):
    """One repetition's targets: each row's distinct buckets and the share of its labels in each.

    ``buckets`` (nnz,) holds ``h_r(c)`` for the labels laid out by ``indptr``.
    Returns CSR arrays ``(t_indptr, t_buckets, t_weights)``; the weights of a
    non-empty row sum to 1 (bucket ``b`` gets ``|{c in Y_i : h_r(c) = b}| / |Y_i|``).
    """
    n = indptr.size - 1
    n_labels = np.diff(indptr)
    rows = np.repeat(np.arange(n, dtype=np.int64), n_labels)
    keys, counts = np.unique(rows * n_buckets + buckets, return_counts=True)
    t_rows = keys // n_buckets
    t_indptr = np.concatenate([[0], np.cumsum(np.bincount(t_rows, minlength=n))]).astype(np.int64)
    t_weights = (counts / n_labels[t_rows]).astype(np.float32)
    return t_indptr, (keys % n_buckets).astype(np.int64), t_weights


def _fit_repetition(X, targets, n_buckets, n_epochs, learning_rate, loss, seed):
    """Train one repetition's B-way model on bucket-set targets; return ``(W, bias, losses)``.

    Module level so joblib can ship it to any worker. The sample order of each
    epoch is drawn as in :func:`rushml.mach._fit_softmax`, so one label per
    sample reproduces :class:`~rushml.mach.MACHClassifier` exactly.
    """
    t_indptr, t_buckets, t_weights = targets
    rng = np.random.default_rng(seed)
    W = np.zeros((X.shape[1], n_buckets), dtype=np.float32)
    bias = np.zeros(n_buckets, dtype=np.float32)
    lr = np.float32(learning_rate)
    n_used = X.shape[0] if loss == "sigmoid" else int(np.count_nonzero(np.diff(t_indptr)))
    losses = []
    for _ in range(n_epochs):
        order = rng.permutation(X.shape[0]).astype(np.int64)
        if loss == "softmax":
            total = _k.soft_target_softmax_epoch(
                X.indptr, X.indices, X.data, t_indptr, t_buckets, t_weights, order, W, bias, lr
            )
        else:
            total = _k.multi_hot_sigmoid_epoch(
                X.indptr, X.indices, X.data, t_indptr, t_buckets, order, W, bias, lr
            )
        losses.append(total / n_used)
    return W, bias, np.asarray(losses)


class MultiLabelMACH(MACHClassifier):
    """MACH for multi-label data: each repetition learns the set of buckets of an example's labels.

    ``fit`` draws the hash family ``h_1..h_R`` as :class:`~rushml.mach.MACHClassifier`
    does and trains R independent B-way models; the r-th sees, for example
    ``i`` with label set ``Y_i``, the bucket set ``{h_r(c) : c in Y_i}``. With
    ``loss="sigmoid"`` (default) each bucket is an independent binary target
    (does any of the example's labels hash to it?) and rows with no labels are
    all-negative examples. With ``loss="softmax"`` the target is the distribution
    ``q_r(b | i) = |{c in Y_i : h_r(c) = b}| / |Y_i|``, the bucket marginal of a
    uniform distribution over the example's labels, as MACH's single-label
    estimator assumes; rows with no labels are skipped, and one label per row
    reproduces :class:`~rushml.mach.MACHClassifier` exactly. The sigmoid target
    is the default because it decodes better: a true label's buckets all score
    near 1 whatever else shares them, while under the softmax a label alone in
    its bucket gets only ``1/|Y_i|`` and can be outranked by a non-label that
    sits in buckets shared by several true labels (measured in the deep-dive
    notebook, ``notebooks/cms-deep-dive.md``).

    Prediction is inherited: :meth:`predict_topk` ranks label ``c`` by the mean
    over repetitions of the probability of bucket ``h_r(c)`` (blocked count-min
    decoding, no dense (n_samples, K) matrix), and the fitted attributes have
    the parent's form, so memory accounting applies unchanged. With
    ``loss="sigmoid"`` the bucket "probabilities" are per-bucket sigmoids (they
    need not sum to 1) and ``return_scores`` gives the same affine map of their
    mean, a ranking score rather than a probability.

    Parameters
    ----------
    n_buckets : int, default=256
        Buckets per repetition ``B``, >= 2 and < the number of labels.
    n_repetitions : int, default=8
        Independent repetitions ``R``, >= 1.
    n_classes : int or None, default=None
        Number of labels ``K``; None uses the indicator's width or ``max label + 1``.
    n_epochs : int, default=5
        SGD epochs of each base model, >= 1.
    learning_rate : float, default=2.0
        SGD step size of each base model, > 0.
    loss : {"sigmoid", "softmax"}, default="sigmoid"
        B independent logistic losses against the multi-hot bucket target, or
        the softmax cross-entropy against the normalised multi-hot target.
    n_jobs : int or None, default=None
        Parallel jobs for the repetitions (see :class:`joblib.Parallel`).
    random_state : int, numpy.random.Generator or None, default=None
        Seed, resolved once in ``fit`` into one seed for the hash family and one
        per repetition (results do not depend on ``n_jobs`` or the backend).

    Attributes
    ----------
    hash_ : UniversalHashFamily
        The R hash functions.
    coef_ : ndarray of float32, shape (n_repetitions, n_features, n_buckets)
        Weights of the R base models.
    intercept_ : ndarray of float32, shape (n_repetitions, n_buckets)
        Biases of the R base models.
    n_classes_ : int
        Number of labels ``K``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    loss_curves_ : ndarray of float, shape (n_repetitions, n_epochs)
        Mean training loss of each repetition per epoch (per labelled row for
        softmax, per row for sigmoid).
    output_ : str
        The loss the model was fitted with; decides how bucket scores are computed.

    References
    ----------
    T. Medini and A. Shrivastava, "A Deep Dive of Count-Min Sketch for Extreme
    Multi-Label Classification", Machine Learning with Guarantees Workshop at
    NeurIPS 2019. T. Medini, Q. Huang, Y. Wang, V. Mohan and A. Shrivastava,
    "Extreme Classification in Log Memory using Count-Min Sketch: A Case Study of
    Amazon Search with 50M Products", NeurIPS 2019.

    Examples
    --------
    >>> X, Y = make_extreme_multilabel(
    ...     2000, n_features=2000, n_classes=1000, random_state=0)
    >>> clf = MultiLabelMACH(n_buckets=32, n_repetitions=4, random_state=0).fit(X, Y)
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
        loss="sigmoid",
        n_jobs=None,
        random_state=None,
    ):
        super().__init__(
            n_buckets=n_buckets,
            n_repetitions=n_repetitions,
            n_classes=n_classes,
            n_epochs=n_epochs,
            learning_rate=learning_rate,
            n_jobs=n_jobs,
            random_state=random_state,
        )
        self.loss = loss

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.loss not in _LOSSES:
            raise ValueError(f"loss must be one of {_LOSSES}, got {self.loss!r}")

    def fit(self, X, y):
        """Train the R repetitions on label sets.

        Parameters
        ----------
        X : scipy.sparse matrix or array-like, shape (n_samples, n_features)
            Features; converted to CSR float32.
        y : scipy.sparse matrix of shape (n_samples, n_classes), or list of array-like of int
            Label sets: a 0/1 indicator matrix (as returned by
            :func:`make_extreme_multilabel` and :func:`rushml.xc_io.read_xc`) or
            one array of label ids per sample. Ids must lie in
            ``[0, n_classes)``; empty sets are allowed but not all of them.

        Returns
        -------
        self
        """
        self._validate_params()
        X = _check_X(X)
        Y, n_classes = _check_label_sets(y, X.shape[0], self.n_classes)
        if self.n_buckets >= n_classes:
            raise ValueError(
                f"n_buckets must be smaller than the number of classes ({n_classes}), "
                f"got {self.n_buckets}"
            )
        rng = np.random.default_rng(self.random_state)
        hash_seed, *rep_seeds = rng.integers(0, 2**63 - 1, size=1 + self.n_repetitions)
        family = UniversalHashFamily(self.n_buckets, self.n_repetitions, random_state=hash_seed)
        label_buckets = family(Y.indices)  # (R, nnz): h_r of every (sample, label) pair
        fits = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_repetition)(
                X,
                _bucket_targets(Y.indptr, label_buckets[r], self.n_buckets),
                self.n_buckets,
                self.n_epochs,
                self.learning_rate,
                self.loss,
                rep_seeds[r],
            )
            for r in range(self.n_repetitions)
        )
        self.hash_ = family
        self.coef_ = np.stack([w for w, _, _ in fits])
        self.intercept_ = np.stack([b for _, b, _ in fits])
        self.loss_curves_ = np.stack([c for _, _, c in fits])
        self.n_classes_, self.n_features_in_ = n_classes, X.shape[1]
        self.output_ = self.loss
        return self

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def predict_bucket_proba(self, X, *, repetitions=None) -> np.ndarray:
        """Bucket scores of each repetition, shape (n_samples, R, n_buckets), float32.

        Softmax probabilities for ``loss="softmax"`` (the parent's computation),
        per-bucket sigmoids for ``loss="sigmoid"``.

        Parameters
        ----------
        X : scipy.sparse matrix or array-like, shape (n_samples, n_features)
            Queries.
        repetitions : sequence of int or None, default=None
            Use only these repetitions; None uses all.
        """
        self._check_fitted()
        if self.output_ == "softmax":
            return super().predict_bucket_proba(X, repetitions=repetitions)
        X = _check_X(X, self.n_features_in_)
        reps = range(self.n_repetitions) if repetitions is None else list(repetitions)
        out = np.empty((X.shape[0], len(reps), self.n_buckets), dtype=np.float32)
        for j, r in enumerate(reps):
            out[:, j, :] = expit(X @ self.coef_[r] + self.intercept_[r])
        return out


# -- collision theory ---------------------------------------------------------------------


def _check_sizes(n_buckets, n_repetitions, n_classes):
    for name, value, low in (("n_buckets", n_buckets, 2), ("n_repetitions", n_repetitions, 1)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if n_classes is not None and (not isinstance(n_classes, numbers.Integral) or n_classes < 2):
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")


def predicted_collision_rates(
    n_buckets: int, n_repetitions: int, labels_per_sample, *, n_classes: int | None = None
) -> dict:
    """Collision rates of multi-label MACH predicted under uniform, independent hashing.

    For an example with ``L`` labels, ``B`` buckets and ``R`` repetitions
    (a bucket escapes one label with probability ``1 - 1/B``):

    * ``"within"``: a given label of the example shares its bucket with another
      of the example's labels in every repetition,
      ``(1 - (1 - 1/B)**(L - 1))**R``. Such a label's buckets carry other
      labels' mass too, so its score is inflated.
    * ``"false_positive"``: a given label *not* in the example lands, in every
      repetition, in a bucket holding one of the example's labels,
      ``(1 - (1 - 1/B)**L)**R``. Such a label scores like a true one: it is the
      count-min sketch's overestimate, the noise the ranking must tolerate.
    * ``"any_class"`` (only with ``n_classes``): a given label shares all R
      buckets with at least one of the other ``K - 1`` labels,
      ``1 - (1 - B**-R)**(K - 1)``: two such labels can never be told apart.
    * ``"expected_false_positives"`` (only with ``n_classes``): the expected
      number of non-labels per example that score like true labels,
      ``(K - L) (1 - (1 - 1/B)**L)**R``.

    Parameters
    ----------
    n_buckets : int
        Buckets per repetition ``B``, >= 2.
    n_repetitions : int
        Repetitions ``R``, >= 1.
    labels_per_sample : float or array-like of float
        ``L``, >= 1; an array (one label count per example) averages each rate
        over the examples.
    n_classes : int or None, default=None
        Number of labels ``K``, for the two rates that depend on it.

    Returns
    -------
    dict of str to float
        The rates named above.
    """
    _check_sizes(n_buckets, n_repetitions, n_classes)
    L = np.atleast_1d(np.asarray(labels_per_sample, dtype=np.float64))
    if L.size == 0 or not np.all(np.isfinite(L)) or L.min() < 1:
        raise ValueError(f"labels_per_sample must be >= 1, got {labels_per_sample!r}")
    escape = 1.0 - 1.0 / n_buckets
    R = n_repetitions
    rates = {
        "within": float(np.mean((1.0 - escape ** (L - 1.0)) ** R)),
        "false_positive": float(np.mean((1.0 - escape**L) ** R)),
    }
    if n_classes is not None:
        rates["any_class"] = float(-np.expm1((n_classes - 1) * np.log1p(-(float(n_buckets) ** -R))))
        rates["expected_false_positives"] = float(np.mean((n_classes - L) * (1.0 - escape**L) ** R))
    return rates


def measured_collision_rates(
    hash_family: UniversalHashFamily, y, *, n_classes: int | None = None
) -> dict:
    """Collision rates of :func:`predicted_collision_rates`, counted for real hashes and label sets.

    Per example (examples without labels are left out): ``"within"`` is the
    fraction of its labels whose bucket holds another of its labels in every
    repetition, ``"false_positive"`` the fraction of the other ``K - L`` labels
    whose bucket holds one of its labels in every repetition, and
    ``"expected_false_positives"`` their number; each is averaged over examples.
    ``"any_class"`` is the fraction of all ``K`` labels whose R buckets equal
    those of another label. The label-by-example check runs over blocks of
    examples, holding at most about 16 million booleans.

    Parameters
    ----------
    hash_family : UniversalHashFamily
        The R hash functions, for example a fitted model's ``hash_``.
    y : scipy.sparse matrix of shape (n_samples, n_classes), or list of array-like of int
        Label sets.
    n_classes : int or None, default=None
        Number of labels ``K``; None uses the indicator's width or ``max label + 1``.

    Returns
    -------
    dict of str to float
        Keys ``"within"``, ``"false_positive"``, ``"expected_false_positives"``
        and ``"any_class"``.
    """
    if not isinstance(hash_family, UniversalHashFamily):
        raise ValueError(
            f"hash_family must be a UniversalHashFamily, got {type(hash_family).__name__}"
        )
    Y, K = _check_label_sets(y, None, n_classes)
    B, R = hash_family.n_buckets, hash_family.n_hashes
    sizes = np.diff(Y.indptr)
    keep = np.flatnonzero(sizes > 0)
    Y, sizes = Y[keep], sizes[keep]
    n = Y.shape[0]
    table = hash_family(np.arange(K, dtype=np.int64))  # (R, K)
    label_buckets = table[:, Y.indices]  # (R, nnz)
    rows = np.repeat(np.arange(n, dtype=np.int64), sizes)

    # within: label (i, c) collides with another label of row i in every repetition
    shared = np.ones(Y.nnz, dtype=bool)
    for r in range(R):
        _, inverse, counts = np.unique(
            rows * B + label_buckets[r], return_inverse=True, return_counts=True
        )
        shared &= counts[inverse] > 1
    within = np.bincount(rows, weights=shared, minlength=n) / sizes

    # false positives: non-labels whose buckets are all occupied by the row's labels
    hits = np.empty(n, dtype=np.int64)
    block = max(1, _SCORE_CELLS // K)
    for s in range(0, n, block):
        e = min(s + block, n)
        # hot[r, b, i]: bucket b of repetition r holds a label of row s + i. Laid out so
        # that gathering the buckets of all K labels copies contiguous rows.
        hot = np.zeros((R, B, e - s), dtype=bool)
        lo, hi = Y.indptr[s], Y.indptr[e]
        for r in range(R):
            hot[r, label_buckets[r, lo:hi], rows[lo:hi] - s] = True
        all_hot = hot[0][table[0]]  # (K, rows in block)
        for r in range(1, R):
            all_hot &= hot[r][table[r]]
        hits[s:e] = all_hot.sum(axis=0)
    false_pos = hits - sizes  # the row's own labels are always "hot"
    _, counts = np.unique(table.T, axis=0, return_counts=True)
    return {
        "within": float(within.mean()),
        "false_positive": float(np.mean(false_pos / np.maximum(K - sizes, 1))),
        "expected_false_positives": float(false_pos.mean()),
        "any_class": float(np.sum(counts[counts > 1]) / K),
    }
