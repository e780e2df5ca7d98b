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

The module holds the data generator (:func:`make_extreme_multilabel`) and the
predicted and measured collision rates (:func:`predicted_collision_rates`,
:func:`measured_collision_rates`). The estimator is
:class:`rushml.mach.MACHClassifier`, whose ``fit`` takes label sets as well as
one label per sample.

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

from rushml._labels import label_sets

# Private helpers of the MACH and data modules, imported (not copied) so the
# multi-label code shares their checks and their row sampler.
from rushml.datasets import _check_common, _draw_ranks, _FeatureModel, _power_law_cdf
from rushml.hashing import UniversalHashFamily

__all__ = [
    "make_extreme_multilabel",
    "make_topical_multilabel",
    "measured_collision_rates",
    "predicted_collision_rates",
]

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


def make_topical_multilabel(
    n_samples: int,
    *,
    n_features: int,
    n_classes: int,
    labels_per_sample: float = 5.0,
    labels_per_topic: int = 50,
    n_nonzero: int = 40,
    topic_exponent: float = 1.0,
    label_exponent: float = 0.8,
    leak: float = 0.1,
    shared: float = 0.5,
    noise: float = 0.3,
    random_state: int | np.random.Generator | None = None,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Generate multi-label data whose labels come in topics that share features.

    A second label law beside :func:`make_extreme_multilabel`, with what that one
    lacks: labels that co-occur and features that several labels share, the
    structure a label tree's clustering is built to use. The labels are split at
    random into topics of ``labels_per_topic``. A row draws one topic from a power
    law over topics (exponent ``topic_exponent``) and ``1 + Poisson(labels_per_sample
    - 1)`` labels: each from its topic with probability ``1 - leak`` (a power law
    over the topic's labels, exponent ``label_exponent``), otherwise from all
    labels (a power law over a random order of them); a label drawn twice counts
    once. Of a row's signal tokens a fraction ``shared`` comes from the topic's
    own prototype and the rest from the prototype of one of its labels, so the
    labels of a topic share features and differ in a few of their own.

    Parameters
    ----------
    n_samples, n_features, n_classes : int
        Rows, feature columns and labels ``K`` (each >= 1).
    labels_per_sample : float, default=5.0
        Mean number of labels drawn per row, >= 1 (before repeats are merged).
    labels_per_topic : int, default=50
        Labels in each topic, >= 1 (the last topic may hold fewer).
    n_nonzero : int, default=40
        Mean number of tokens per row, >= 1.
    topic_exponent, label_exponent : float, default=1.0 and 0.8
        Power-law exponents of the topic frequencies and of the label frequencies
        within a topic (and over all labels, for leaked labels), >= 0.
    leak : float, default=0.1
        Probability in ``[0, 1]`` that a label comes from outside the row's topic.
    shared : float, default=0.5
        Fraction in ``[0, 1]`` of signal tokens drawn from the topic's prototype.
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
    >>> X, Y = make_topical_multilabel(500, n_features=2000, n_classes=1000, random_state=0)
    >>> X.shape, Y.shape
    ((500, 2000), (500, 1000))
    """
    _check_common(n_samples, n_features, n_classes, n_nonzero, label_exponent, noise)
    if not isinstance(labels_per_topic, int | np.integer) or labels_per_topic < 1:
        raise ValueError(f"labels_per_topic must be an integer >= 1, got {labels_per_topic!r}")
    if not np.isfinite(labels_per_sample) or labels_per_sample < 1:
        raise ValueError(
            f"labels_per_sample must be a finite number >= 1, got {labels_per_sample!r}"
        )
    if not np.isfinite(topic_exponent) or topic_exponent < 0:
        raise ValueError(f"topic_exponent must be a finite number >= 0, got {topic_exponent!r}")
    for name, value in (("leak", leak), ("shared", shared)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    rng = np.random.default_rng(random_state)
    model = _FeatureModel.draw(rng, n_features, 2 * n_nonzero)
    m = int(labels_per_topic)
    n_topics = -(-n_classes // m)
    label_at = rng.permutation(n_classes).astype(np.int64)  # topic t holds label_at[t*m:(t+1)*m]
    topic_of_rank = rng.permutation(n_topics).astype(np.int64)
    topics = topic_of_rank[_draw_ranks(rng, _power_law_cdf(n_topics, topic_exponent), n_samples)]
    sizes = np.minimum(1 + rng.poisson(labels_per_sample - 1.0, size=n_samples), n_classes)
    rows = np.repeat(np.arange(n_samples, dtype=np.int64), sizes)
    topic_size = np.minimum(m, n_classes - topics[rows] * m)
    within = _draw_ranks(rng, _power_law_cdf(m, label_exponent), rows.size) % topic_size
    labels = label_at[topics[rows] * m + within]
    leaked = rng.random(rows.size) < leak
    global_order = rng.permutation(n_classes).astype(np.int64)
    cdf = _power_law_cdf(n_classes, label_exponent)
    labels[leaked] = global_order[_draw_ranks(rng, cdf, int(leaked.sum()))]
    Y = sp.csr_matrix(
        (np.ones(rows.size, dtype=np.float32), (rows, labels)), shape=(n_samples, n_classes)
    )
    Y.sum_duplicates()
    Y.sort_indices()
    Y.data[:] = 1
    # Topic t's prototype is hashed like a class with id n_classes + t.
    X = model.sample_rows(
        rng, Y.indptr, Y.indices.astype(np.int64), n_nonzero, noise, n_classes + topics, shared
    )
    return X, Y


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
    Y, K = label_sets(y, n_classes=n_classes)
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
