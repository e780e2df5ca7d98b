"""Label sets as one canonical CSR indicator: the one converter every estimator and metric uses.

Multi-label targets arrive as a scipy.sparse indicator matrix or as a list with one array
of label ids per sample. :func:`label_sets` turns either into a CSR matrix of shape
``(n_samples, n_classes)`` whose rows hold each sample's distinct labels, sorted, with
int64 ``indptr`` and ``indices`` and data 1.

What it refuses is chosen once, here:

- always: a negative label, a label at or past ``n_classes``, a sparse indicator whose
  width is not ``n_classes``, a sample count other than ``n_samples`` (when given), and
  anything that is neither a sparse matrix nor a sequence of label arrays;
- ``strict=True`` (what ``fit`` receives): an indicator holding values other than 0 and
  1, and a label set that is not a 1-d array of integers (a float id is a mistake, not a
  label);
- ``allow_empty=False`` (what ``fit`` receives unless empty rows are all it has): targets
  with no label at all.

``strict=False`` is for scoring (:func:`rushml.metrics.labels_to_csr`): any non-zero
entry of an indicator counts as a label, and ids are cast to integers.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def is_label_sets(y) -> bool:
    """Whether ``y`` gives label sets (an indicator matrix or a list of arrays), not one id each."""
    return sp.issparse(y) or (isinstance(y, list | tuple) and len(y) > 0 and np.ndim(y[0]) > 0)


def _from_sparse(y, strict: bool) -> sp.csr_matrix:
    Y = sp.csr_matrix(y, dtype=np.float64, copy=True)
    Y.eliminate_zeros()
    if strict and Y.nnz and not np.all(Y.data == 1):
        bad = Y.data[Y.data != 1][0]
        raise ValueError(f"y indicator matrix must hold only 0 and 1, got {float(bad)!r}")
    Y.sum_duplicates()
    Y.data[:] = 1
    return Y


def _from_lists(y, strict: bool, n_classes: int | None) -> sp.csr_matrix:
    rows = []
    for i, r in enumerate(y):
        a = np.asarray(r)
        if strict and a.ndim > 1:
            raise ValueError(f"label set {i} must be 1-d, got shape {a.shape}")
        a = a.ravel()
        if strict and a.size and not np.issubdtype(a.dtype, np.integer):
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
        (np.ones(labels.size), labels, indptr), shape=(len(rows), max(width, n_classes or 0))
    )
    Y.sum_duplicates()  # a label listed twice in one set counts once
    Y.data[:] = 1
    return Y


def label_sets(
    y,
    *,
    n_samples: int | None = None,
    n_classes: int | None = None,
    strict: bool = True,
    allow_empty: bool = False,
) -> tuple[sp.csr_matrix, int]:
    """Validate multi-label targets; return the canonical CSR indicator and the class count.

    Parameters
    ----------
    y : scipy.sparse matrix of shape (n_samples, n_classes), or sequence of array-like of int
        An indicator matrix, or one array of label ids per sample (rows may be empty).
    n_samples : int, optional
        The number of samples ``y`` must have (``X``'s rows).
    n_classes : int, optional
        The number of classes; default: an indicator's width, else the largest id + 1.
    strict : bool, default=True
        Refuse indicator values other than 0/1 and label sets that are not 1-d integers.
    allow_empty : bool, default=False
        Accept targets without a single label.

    Returns
    -------
    Y : scipy.sparse.csr_matrix of float64, shape (n_samples, n_classes)
        Sorted, duplicate-free rows; int64 ``indptr`` and ``indices``.
    n_classes : int
    """
    if sp.issparse(y):
        Y = _from_sparse(y, strict)
    elif isinstance(y, list | tuple) or (not strict and not isinstance(y, str | bytes)):
        Y = _from_lists(y, strict, n_classes)
    else:
        raise ValueError(
            "y must be a scipy.sparse indicator matrix (n_samples, n_classes) or a list of "
            f"label arrays, got {type(y).__name__}"
        )
    if n_samples is not None and Y.shape[0] != n_samples:
        raise ValueError(f"X and y have different numbers of samples: {n_samples} and {Y.shape[0]}")
    if Y.nnz == 0 and not allow_empty:
        raise ValueError("y has no labels at all: fit needs at least one labelled sample")
    if n_classes is None:
        n_classes = Y.shape[1]
    elif Y.nnz and int(Y.indices.max()) >= n_classes:
        raise ValueError(f"labels must be < n_classes={n_classes}, got {int(Y.indices.max())}")
    elif Y.shape[1] != n_classes:
        raise ValueError(f"y has {Y.shape[1]} columns, but n_classes={n_classes}")
    Y.sort_indices()
    Y.indices = Y.indices.astype(np.int64)
    Y.indptr = Y.indptr.astype(np.int64)
    return Y, int(n_classes)
