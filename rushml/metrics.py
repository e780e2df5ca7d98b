"""Metrics of extreme classification: precision@k and the memory a model holds."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from rushml._labels import label_sets

__all__ = ["precision_at_k", "model_nbytes", "labels_to_csr"]


def labels_to_csr(y, n_classes: int | None = None) -> sp.csr_matrix:
    """Turn multi-label targets into a CSR indicator matrix.

    Parameters
    ----------
    y : scipy.sparse matrix or list of array-like of int
        Either an indicator matrix of shape (n_samples, n_classes) (any non-zero
        entry is a label) or one array of class ids per sample (cast to integers).
    n_classes : int, optional
        Number of columns; defaults to the indicator's width, else ``max label + 1``.
        A label at or past it raises ``ValueError``, as does a negative one
        (:func:`rushml._labels.label_sets` with ``strict=False``).

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n_samples, n_classes)
        Entry ``(i, c)`` is 1 when sample ``i`` carries label ``c``.
    """
    return label_sets(y, n_classes=n_classes, strict=False, allow_empty=True)[0]


def precision_at_k(topk, y_true, k: int) -> float:
    """Mean precision@k of ranked predictions.

    For each sample, the fraction of the first ``k`` predicted classes that are
    true labels, averaged over samples: ``P@k = mean_i |top_k(i) & Y_i| / k``.
    For single-label data ``P@1`` is the accuracy and ``P@k`` is at most ``1/k``.

    Parameters
    ----------
    topk : array-like of int, shape (n_samples, m) with m >= k
        Predicted class ids per sample, best first (as returned by
        ``predict_topk``). Negative ids count as misses (padding).
    y_true : array-like of int of shape (n_samples,), scipy.sparse matrix of shape
        (n_samples, n_classes), or list of array-like of int
        True labels: one class per sample, an indicator matrix, or one array of
        labels per sample.
    k : int
        Cut-off, ``1 <= k <= m``.

    Returns
    -------
    float
        Precision@k in ``[0, 1]``.
    """
    topk = np.asarray(topk)
    if topk.ndim != 2:
        raise ValueError(f"topk must be a 2-d array of class ids, got shape {topk.shape}")
    if not isinstance(k, int | np.integer) or not 1 <= k <= topk.shape[1]:
        raise ValueError(f"k must be an integer in [1, {topk.shape[1]}], got {k!r}")
    n = topk.shape[0]
    n_true = y_true.shape[0] if hasattr(y_true, "shape") else len(y_true)
    if n_true != n:
        raise ValueError(f"topk and y_true have different numbers of samples: {n} and {n_true}")
    if n == 0:
        raise ValueError("precision_at_k needs at least one sample")
    top = topk[:, :k].astype(np.int64)
    if not sp.issparse(y_true) and not isinstance(y_true, list):
        y = np.asarray(y_true)
        if y.ndim == 1:
            hits = (top == y[:, None]) & (top >= 0)
            return float(hits.sum() / (n * k))
        y_true = sp.csr_matrix(y)
    Y = labels_to_csr(y_true)
    # Look up Y[i, top[i, j]] for all (i, j); out-of-range ids are misses.
    valid = (top >= 0) & (top < Y.shape[1])
    rows = np.repeat(np.arange(n), k)[valid.ravel()]
    cols = top.ravel()[valid.ravel()]
    hits = np.asarray(Y[rows, cols]).ravel().sum() if rows.size else 0.0
    return float(hits / (n * k))


def model_nbytes(obj) -> int:
    """Bytes of the NumPy arrays (and SciPy sparse matrices) a model holds.

    Counts every :class:`numpy.ndarray` reachable from ``obj``'s attributes
    (``vars(obj)``), following lists, tuples, dicts, the data/indices/indptr of
    SciPy sparse matrices and the attributes of nested objects defined in this
    package (for example a MACH model's hash family and its base models). Each
    array is counted once even if shared, and views count their base array's
    buffer once. Python scalars, strings and interpreter overhead are not
    counted; for the models here they are a few hundred bytes next to
    megabytes of weights.

    Parameters
    ----------
    obj : object
        A fitted estimator, an array, or a container of them.

    Returns
    -------
    int
        Total ``nbytes`` of the distinct arrays found.
    """
    seen_objs: set[int] = set()
    seen_buffers: set[int] = set()
    total = 0

    def visit(o, depth: int) -> None:
        nonlocal total
        if depth > 20 or id(o) in seen_objs:
            return
        seen_objs.add(id(o))
        if isinstance(o, np.ndarray):
            base = o
            while isinstance(base.base, np.ndarray):
                base = base.base
            if id(base) not in seen_buffers:
                seen_buffers.add(id(base))
                total += base.nbytes
            return
        if sp.issparse(o):
            for name in ("data", "indices", "indptr", "row", "col", "offsets"):
                if hasattr(o, name):
                    visit(getattr(o, name), depth + 1)
            return
        if isinstance(o, dict):
            for v in o.values():
                visit(v, depth + 1)
            return
        if isinstance(o, list | tuple):
            for v in o:
                visit(v, depth + 1)
            return
        if depth == 0 or type(o).__module__.split(".")[0] == "rushml":
            attrs = getattr(o, "__dict__", None)
            if attrs is not None:
                visit(attrs, depth + 1)

    visit(obj, 0)
    return int(total)
