"""Read and write the Extreme Classification Repository's sparse text format.

The data sets of the Extreme Classification Repository (Delicious, EURLex-4K,
Wiki10-31K, Amazon-670K, ...) ship as text files laid out as::

    n_samples n_features n_labels
    l1,l2,l3 f1:v1 f2:v2 ...
    l4 f7:v7 ...

The header line gives the three sizes; each following line holds one sample:
its comma-separated label ids (possibly none, then the line starts with a
space), then ``feature:value`` pairs separated by spaces. Ids are zero-based.
:func:`read_xc` returns the features as CSR and the labels as a CSR indicator
matrix, ready for :func:`rushml.metrics.precision_at_k` and for
:meth:`rushml.mach.MACHClassifier.fit` (which takes multi-label targets);
:func:`first_labels` turns multi-label data into a single-label problem.
"""

from __future__ import annotations

import io
import os

import numpy as np
import scipy.sparse as sp

__all__ = ["read_xc", "write_xc", "first_labels"]


def _open_text(source):
    if isinstance(source, str | os.PathLike):
        return open(source, encoding="utf-8"), True
    if isinstance(source, io.TextIOBase):
        return source, False
    raise ValueError(f"source must be a path or a text file object, got {type(source).__name__}")


def read_xc(source, *, zero_based: bool = True):
    """Read an Extreme Classification Repository data file.

    Parameters
    ----------
    source : str, os.PathLike or text file object
        The file, starting with the ``n_samples n_features n_labels`` header.
    zero_based : bool, default=True
        Ids in the file start at 0 (the repository's convention). Set False
        for files with one-based ids; they are shifted to zero-based.

    Returns
    -------
    X : scipy.sparse.csr_matrix of float32, shape (n_samples, n_features)
        Features, with sorted indices; repeated features in a line are summed.
    Y : scipy.sparse.csr_matrix of float32, shape (n_samples, n_labels)
        Label indicator (entries 1).

    Raises
    ------
    ValueError
        On a malformed header or line, an id outside the header's sizes, or a
        sample count that differs from the header; the message names the line.
    """
    f, close = _open_text(source)
    try:
        header = f.readline()
        parts = header.split()
        try:
            if len(parts) != 3:
                raise ValueError
            n_samples, n_features, n_labels = (int(p) for p in parts)
        except ValueError:
            raise ValueError(
                f"line 1: expected header 'n_samples n_features n_labels', got {header.strip()!r}"
            ) from None
        shift = 0 if zero_based else 1
        lab_ptr, lab_idx = [0], []
        feat_ptr, feat_idx, feat_val = [0], [], []
        n_rows = 0
        for lineno, line in enumerate(f, start=2):
            if not line.strip():
                continue
            tokens = line.split()
            # A line without labels starts with whitespace or directly with a feature pair.
            if line[0].isspace() or ":" in tokens[0]:
                label_tok, feats = "", tokens
            else:
                label_tok, feats = tokens[0], tokens[1:]
            try:
                labels = [int(t) - shift for t in label_tok.split(",") if t]
                pairs = [t.split(":") for t in feats]
                idx = [int(p[0]) - shift for p in pairs]
                val = [float(p[1]) for p in pairs]
                if any(len(p) != 2 for p in pairs):
                    raise ValueError
            except (ValueError, IndexError):
                raise ValueError(
                    f"line {lineno}: expected 'l1,l2,... f:v f:v ...', got {line.strip()[:80]!r}"
                ) from None
            if labels and (min(labels) < 0 or max(labels) >= n_labels):
                raise ValueError(f"line {lineno}: label id out of range [0, {n_labels})")
            if idx and (min(idx) < 0 or max(idx) >= n_features):
                raise ValueError(f"line {lineno}: feature id out of range [0, {n_features})")
            lab_idx.extend(labels)
            lab_ptr.append(len(lab_idx))
            feat_idx.extend(idx)
            feat_val.extend(val)
            feat_ptr.append(len(feat_idx))
            n_rows += 1
    finally:
        if close:
            f.close()
    if n_rows != n_samples:
        raise ValueError(f"header says {n_samples} samples, but the file has {n_rows}")
    X = sp.csr_matrix(
        (np.asarray(feat_val, np.float32), np.asarray(feat_idx, np.int64), np.asarray(feat_ptr)),
        shape=(n_samples, n_features),
    )
    X.sum_duplicates()
    Y = sp.csr_matrix(
        (np.ones(len(lab_idx), np.float32), np.asarray(lab_idx, np.int64), np.asarray(lab_ptr)),
        shape=(n_samples, n_labels),
    )
    Y.sum_duplicates()
    Y.data[:] = 1
    return X, Y


def write_xc(target, X, Y) -> None:
    """Write features and labels in the repository's text format (zero-based ids).

    Parameters
    ----------
    target : str, os.PathLike or text file object
        Where to write.
    X : scipy.sparse matrix, shape (n_samples, n_features)
        Features.
    Y : scipy.sparse matrix of shape (n_samples, n_labels), or ndarray of int of shape (n_samples,)
        Label indicator, or one class id per sample (then ``n_labels = max + 1``).
    """
    X = sp.csr_matrix(X)
    if not sp.issparse(Y):
        y = np.asarray(Y, dtype=np.int64)
        Y = sp.csr_matrix(
            (np.ones(y.size), (np.arange(y.size), y)), shape=(y.size, int(y.max()) + 1)
        )
    Y = sp.csr_matrix(Y)
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X and Y have different numbers of rows: {X.shape[0]} and {Y.shape[0]}")
    f, close = (
        (open(target, "w", encoding="utf-8"), True)
        if isinstance(target, str | os.PathLike)
        else (target, False)
    )
    try:
        f.write(f"{X.shape[0]} {X.shape[1]} {Y.shape[1]}\n")
        for i in range(X.shape[0]):
            labels = ",".join(str(c) for c in Y.indices[Y.indptr[i] : Y.indptr[i + 1]])
            s, e = X.indptr[i], X.indptr[i + 1]
            feats = " ".join(
                f"{j}:{v:.6g}" for j, v in zip(X.indices[s:e], X.data[s:e], strict=True)
            )
            f.write(f"{labels} {feats}\n")
    finally:
        if close:
            f.close()


def first_labels(X, Y):
    """Reduce multi-label data to single-label: keep rows with a label, take the smallest id.

    Parameters
    ----------
    X : scipy.sparse.csr_matrix, shape (n_samples, n_features)
        Features.
    Y : scipy.sparse.csr_matrix, shape (n_samples, n_labels)
        Label indicator with sorted indices.

    Returns
    -------
    X_kept : scipy.sparse.csr_matrix, shape (n_kept, n_features)
        Rows that carry at least one label.
    y : ndarray of int64, shape (n_kept,)
        The smallest label id of each kept row.
    """
    Y = sp.csr_matrix(Y)
    Y.sort_indices()
    has = np.diff(Y.indptr) > 0
    return sp.csr_matrix(X)[has], Y.indices[Y.indptr[:-1][has]].astype(np.int64)
