"""Seeded synthetic data with the statistics of extreme-classification benchmarks.

Real extreme-classification data sets (Delicious, EURLex, Amazon-670K, ...) share
three traits that matter to the algorithms on this site: the features are sparse
and high-dimensional (bag-of-words, tf-idf weighted, rows L2-normalised), a few
"stop-word" features appear in most rows, and the label frequencies follow a
power law (a few head labels, a long tail seen once or never). The generator
here reproduces those traits at any scale from 10^3 to 10^6 classes without ever
building a ``n_classes x n_features`` matrix: each class's prototype features are
computed on demand from a seeded hash of the class id.

The sampling of rows is written against a list of labels per row, so the
single-label generator and a multi-label one share the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["make_extreme_classification", "train_test_split"]

_MERSENNE_PRIME = (1 << 31) - 1


def _power_law_cdf(n: int, exponent: float) -> np.ndarray:
    """Cumulative distribution of ranks ``1..n``, weight proportional to ``rank**-exponent``."""
    weights = np.arange(1, n + 1, dtype=np.float64) ** (-exponent)
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    return cdf


def _draw_ranks(rng: np.random.Generator, cdf: np.ndarray, size: int) -> np.ndarray:
    """Draw ``size`` zero-based ranks from a cumulative distribution (inverse-CDF sampling)."""
    ranks = np.searchsorted(cdf, rng.random(size), side="right")
    return np.minimum(ranks, cdf.size - 1)


@dataclass
class _FeatureModel:
    """How rows are written: class prototypes (hashed, never stored) plus power-law noise.

    Class ``c`` owns ``n_proto`` prototype features; the ``j``-th is
    ``((a_j * c + b_j) mod p) mod n_features`` with ``p = 2**31 - 1``. Prototype
    feature ``j`` is used with probability proportional to ``(j + 1) ** -0.5``, so the
    rows of one class share a few core features and differ in the rest. Noise
    features are drawn from a Zipf law over a fixed random ordering of all features
    (the "stop words" of the collection).
    """

    n_features: int
    a: np.ndarray  # (n_proto,) int64, hash multipliers in [1, p)
    b: np.ndarray  # (n_proto,) int64, hash offsets in [0, p)
    proto_cdf: np.ndarray  # (n_proto,) float64
    noise_order: np.ndarray  # (n_features,) int64, feature id of each noise rank
    noise_cdf: np.ndarray  # (n_features,) float64

    @classmethod
    def draw(cls, rng: np.random.Generator, n_features: int, n_proto: int) -> _FeatureModel:
        a = rng.integers(1, _MERSENNE_PRIME, size=n_proto, dtype=np.int64)
        b = rng.integers(0, _MERSENNE_PRIME, size=n_proto, dtype=np.int64)
        return cls(
            n_features=n_features,
            a=a,
            b=b,
            proto_cdf=_power_law_cdf(n_proto, 0.5),
            noise_order=rng.permutation(n_features).astype(np.int64),
            noise_cdf=_power_law_cdf(n_features, 1.0),
        )

    def prototype_features(self, classes: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """Feature id of prototype slot ``slots[i]`` of class ``classes[i]``."""
        c = classes.astype(np.int64)
        h = (self.a[slots] * c + self.b[slots]) % _MERSENNE_PRIME
        return h % self.n_features

    def sample_rows(
        self,
        rng: np.random.Generator,
        label_indptr: np.ndarray,
        labels: np.ndarray,
        n_nonzero: int,
        noise: float,
        shared_ids: np.ndarray | None = None,
        shared: float = 0.0,
    ) -> sp.csr_matrix:
        """Write one sparse row per label set ``labels[label_indptr[i]:label_indptr[i + 1]]``.

        With ``shared_ids`` (one prototype id per row, such as the row's topic), a
        fraction ``shared`` of the signal tokens come from that prototype instead of
        a label's: features that all labels of a topic share.
        """
        n_rows = label_indptr.size - 1
        n_labels = np.diff(label_indptr)
        # Row lengths vary like document lengths: 1 + Poisson(n_nonzero - 1) tokens.
        lengths = 1 + rng.poisson(max(n_nonzero - 1, 0), size=n_rows)
        lengths = np.minimum(lengths, self.n_features)
        rows = np.repeat(np.arange(n_rows, dtype=np.int64), lengths)
        n_tokens = rows.size
        feats = np.empty(n_tokens, dtype=np.int64)

        signal = (rng.random(n_tokens) >= noise) & (n_labels[rows] > 0)
        sig_rows = rows[signal]
        # Each signal token belongs to one of its row's labels, chosen uniformly.
        pick = label_indptr[sig_rows] + (rng.random(sig_rows.size) * n_labels[sig_rows]).astype(
            np.int64
        )
        slots = _draw_ranks(rng, self.proto_cdf, sig_rows.size)
        owners = labels[pick]
        if shared_ids is not None:
            common = rng.random(sig_rows.size) < shared
            owners = np.where(common, shared_ids[sig_rows], owners)
        feats[signal] = self.prototype_features(owners, slots)
        n_noise = n_tokens - sig_rows.size
        feats[~signal] = self.noise_order[_draw_ranks(rng, self.noise_cdf, n_noise)]

        # Positive, tf-like weights; duplicate (row, feature) pairs are summed.
        vals = (0.5 + rng.random(n_tokens)).astype(np.float32)
        X = sp.csr_matrix((vals, (rows, feats)), shape=(n_rows, self.n_features), dtype=np.float32)
        X.sum_duplicates()
        X.sort_indices()
        _l2_normalise_rows(X)
        return X


def _l2_normalise_rows(X: sp.csr_matrix) -> None:
    """Scale every non-empty row of a CSR matrix to unit L2 norm, in place."""
    sq = np.add.reduceat(X.data.astype(np.float64) ** 2, X.indptr[:-1]) if X.nnz else None
    if sq is None:
        return
    lengths = np.diff(X.indptr)
    norms = np.sqrt(sq)
    norms[lengths == 0] = 1.0  # reduceat repeats a value for empty rows; leave those rows alone
    X.data /= np.repeat(norms, lengths).astype(np.float32)


def _check_common(n_samples, n_features, n_classes, n_nonzero, label_exponent, noise) -> None:
    for name, value, low in (
        ("n_samples", n_samples, 1),
        ("n_features", n_features, 1),
        ("n_classes", n_classes, 1),
        ("n_nonzero", n_nonzero, 1),
    ):
        if not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if n_classes >= _MERSENNE_PRIME:
        raise ValueError(f"n_classes must be < 2**31 - 1, got {n_classes!r}")
    if not np.isfinite(label_exponent) or label_exponent < 0:
        raise ValueError(f"label_exponent must be a finite number >= 0, got {label_exponent!r}")
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise must be in [0, 1], got {noise!r}")


def make_extreme_classification(
    n_samples: int,
    *,
    n_features: int,
    n_classes: int,
    n_nonzero: int = 20,
    label_exponent: float = 1.1,
    noise: float = 0.3,
    random_state: int | np.random.Generator | None = None,
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Generate a learnable single-label extreme-classification problem.

    Each class owns a sparse prototype of ``2 * n_nonzero`` feature ids, derived
    from a seeded hash of the class id (so nothing of size ``n_classes`` times
    ``n_features`` is ever allocated). A row of class ``c`` draws about
    ``n_nonzero`` tokens: each is, with probability ``1 - noise``, one of
    ``c``'s prototype features (the ``j``-th with probability proportional to
    ``(j + 1) ** -0.5``) and otherwise a noise feature from a Zipf law over all
    features. Token weights are positive, duplicates are summed and every row is
    scaled to unit L2 norm, like tf-idf rows of the Extreme Classification
    Repository's data sets. Class frequencies follow a power law: the class of
    popularity rank ``r`` (1-based) is drawn with probability proportional to
    ``r ** -label_exponent``; ranks are assigned to class ids by a seeded random
    permutation.

    Parameters
    ----------
    n_samples : int
        Number of rows, >= 1.
    n_features : int
        Number of feature columns, >= 1.
    n_classes : int
        Number of classes ``K``, >= 1 (tested from 10^3 to 10^6).
    n_nonzero : int, default=20
        Mean number of tokens per row (rows have ``1 + Poisson(n_nonzero - 1)``
        tokens; repeated features merge, so the stored nonzeros per row are
        slightly fewer, about 0.85 ``n_nonzero`` at the defaults). Each class's
        prototype has ``2 * n_nonzero`` features.
    label_exponent : float, default=1.1
        Power-law (Zipf) exponent of the class frequencies, >= 0; 0 gives
        uniform classes, larger values a heavier head.
    noise : float, default=0.3
        Fraction of tokens in ``[0, 1]`` that are class-independent noise
        features; 1 makes the labels unlearnable.
    random_state : int, numpy.random.Generator or None, default=None
        Seed or generator; the same seed gives the same data.

    Returns
    -------
    X : scipy.sparse.csr_matrix of float32, shape (n_samples, n_features)
        Row-normalised sparse features with sorted indices.
    y : ndarray of int64, shape (n_samples,)
        Class ids in ``[0, n_classes)``.

    Examples
    --------
    >>> X, y = make_extreme_classification(
    ...     1000, n_features=5000, n_classes=10_000, random_state=0)
    >>> X.shape, y.dtype
    ((1000, 5000), dtype('int64'))
    """
    _check_common(n_samples, n_features, n_classes, n_nonzero, label_exponent, noise)
    rng = np.random.default_rng(random_state)
    model = _FeatureModel.draw(rng, n_features, 2 * n_nonzero)
    rank_of_class = rng.permutation(n_classes).astype(np.int64)
    y = rank_of_class[_draw_ranks(rng, _power_law_cdf(n_classes, label_exponent), n_samples)]
    indptr = np.arange(n_samples + 1, dtype=np.int64)
    X = model.sample_rows(rng, indptr, y, n_nonzero, noise)
    return X, y


def train_test_split(
    X,
    y,
    *,
    test_size: float = 0.2,
    random_state: int | np.random.Generator | None = None,
):
    """Split rows at random into a training and a test part.

    A minimal, dependency-free counterpart of
    :func:`sklearn.model_selection.train_test_split` that keeps CSR matrices
    CSR and also accepts multi-label ``y`` (a CSR indicator matrix or a list of
    label arrays). It does not stratify: under a power law many tail classes
    occur in only one part, as in the real benchmarks' fixed splits.

    Parameters
    ----------
    X : array-like or scipy.sparse matrix, shape (n_samples, n_features)
        Features.
    y : ndarray of shape (n_samples,), scipy.sparse matrix or list
        Labels, one entry (or row) per sample.
    test_size : float, default=0.2
        Fraction of rows in the test part, in ``(0, 1)``.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the row permutation.

    Returns
    -------
    X_train, X_test, y_train, y_test
        The two parts, in the order of :func:`sklearn.model_selection.train_test_split`.
    """
    n = X.shape[0]
    n_labels = y.shape[0] if hasattr(y, "shape") else len(y)
    if n_labels != n:
        raise ValueError(f"X and y have different numbers of rows: {n} and {n_labels}")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}")
    n_test = int(round(test_size * n))
    if not 0 < n_test < n:
        raise ValueError(f"test_size={test_size!r} leaves an empty part with {n} rows")
    perm = np.random.default_rng(random_state).permutation(n)
    test, train = np.sort(perm[:n_test]), np.sort(perm[n_test:])

    def take(a, idx):
        if isinstance(a, list):
            return [a[i] for i in idx]
        return a[idx]

    return take(X, train), take(X, test), take(y, train), take(y, test)
