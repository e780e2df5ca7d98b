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


def _read_bytes(source) -> tuple[bytes, str]:
    """Return the whole file as bytes and the name messages call it by."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            return f.read(), _read_name(source)
    if isinstance(source, io.TextIOBase):
        return source.read().encode("utf-8"), _read_name(source)
    if isinstance(source, io.BufferedIOBase | io.RawIOBase):
        return source.read(), _read_name(source)
    raise ValueError(f"source must be a path or a file object, got {type(source).__name__}")


def _line_text(buf: np.ndarray, at: int) -> str:
    """Return the line holding byte ``at``, for messages (cut at 80 characters)."""
    data = buf.tobytes()
    begin = data.rfind(b"\n", 0, at) + 1
    stop = data.find(b"\n", at)
    return data[begin : stop if stop >= 0 else len(data)].decode("utf-8", "replace").strip()[:80]


def _token_text(buf: np.ndarray, at: int) -> str:
    data = buf.tobytes()
    stop = at
    while stop < len(data) and data[stop] not in b" \t\r\n":
        stop += 1
    return data[at:stop].decode("utf-8", "replace")


def _parse(source, sizes: tuple[str, ...], labels_first: bool, expected: str, zero_based: bool):
    """Parse one file: its header of ``sizes``, then one row per line.

    Returns ``(header, lab_ptr, lab_idx, ptr, idx, val)`` with ids checked against the
    header and shifted to zero-based; raises ValueError naming the file and the line.
    """
    from rushml import _xc_kernels as _k

    data, name = _read_bytes(source)
    newline = data.find(b"\n")
    head = data[: newline if newline >= 0 else len(data)].decode("utf-8", "replace")
    parts = head.split()
    try:
        if len(parts) != len(sizes):
            raise ValueError
        header = dict(zip(sizes, (int(p) for p in parts), strict=True))
        if min(header.values()) < 0:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"{name}: line 1: expected header '{' '.join(sizes)}', got {head.strip()!r}"
        ) from None
    buf = np.frombuffer(data, dtype=np.uint8)
    start = newline + 1 if newline >= 0 else len(data)
    body = buf[start:]
    n_pairs = int(np.count_nonzero(body == ord(":")))
    n_lines = int(np.count_nonzero(body == ord("\n"))) + 1
    n_labels = int(np.count_nonzero(body == ord(","))) + n_lines if labels_first else 0
    lab_ptr, lab_idx, ptr, idx, val, n_rows, err, at = _k.parse(
        buf, start, labels_first, n_pairs, n_labels
    )
    if err != _k.OK:
        line = 2 + int(np.count_nonzero(body[: at - start] == ord("\n")))
        if err == _k.NOT_FINITE:
            why = f"value in {_token_text(buf, at)!r} is not a finite number"
        elif err == _k.TOO_LONG:
            why = f"id in {_token_text(buf, at)!r} has more than 18 digits"
        else:
            why = f"expected {expected}, got {_line_text(buf, at)!r}"
        raise ValueError(f"{name}: line {line}: {why}")
    n_samples = header[sizes[0]]
    rows_ptr = (lab_ptr, ptr)
    # Empty lines after the last sample (a trailing blank line) are not samples.
    while n_rows > n_samples and all(p[n_rows] == p[n_rows - 1] for p in rows_ptr):
        n_rows -= 1
    if n_rows != n_samples:
        raise ValueError(f"{name}: header says {n_samples} samples, but the file has {n_rows}")
    lab_ptr, ptr = lab_ptr[: n_rows + 1], ptr[: n_rows + 1]
    shift = 0 if zero_based else 1
    for ids, ids_ptr, size, what in (
        (lab_idx, lab_ptr, header.get("n_labels"), "label"),
        (idx, ptr, header[sizes[1]], "label" if sizes[1] == "n_labels" else "feature"),
    ):
        if size is None or not ids.size:
            continue
        ids -= shift
        bad = np.flatnonzero((ids < 0) | (ids >= size))
        if bad.size:
            row = int(np.searchsorted(ids_ptr, bad[0], side="right")) - 1
            raise ValueError(f"{name}: line {row + 2}: {what} id out of range [0, {size})")
    return header, lab_ptr, lab_idx, ptr, idx, val


def _indicator(ptr, idx, n_rows: int, n_cols: int) -> sp.csr_matrix:
    Y = sp.csr_matrix((np.ones(idx.size, np.float32), idx, ptr), shape=(n_rows, n_cols))
    Y.sum_duplicates()
    Y.data[:] = 1
    return Y


def read_xc(source, labels=None, *, zero_based: bool = True):
    """Read an Extreme Classification Repository data set.

    The repository ships two layouts, and both are read:

    * one file (the bag-of-words sets such as Amazon-670K): a header
      ``n_samples n_features n_labels``, then per sample its comma-separated label
      ids (none: the line starts with a blank) and its ``feature:value`` pairs;
    * two files (the newer sets): ``source`` holds the features, a header
      ``n_samples n_features`` then ``feature:value`` pairs per line, and ``labels``
      holds the labels, a header ``n_samples n_labels`` then ``label:value`` pairs.

    Every line after the header is a sample, an empty line an empty sample; blank
    lines after the last sample are ignored.

    Parameters
    ----------
    source : str, os.PathLike or file object
        The data file (one-file layout) or the features file (two-file layout).
    labels : str, os.PathLike or file object, optional
        The labels file of the two-file layout.
    zero_based : bool, default=True
        Ids in the file start at 0 (the repository's convention). Set False
        for files with one-based ids; they are shifted to zero-based.

    Returns
    -------
    X : scipy.sparse.csr_matrix of float32, shape (n_samples, n_features)
        Features, with sorted indices; repeated features in a line are summed.
    Y : scipy.sparse.csr_matrix of float32, shape (n_samples, n_labels)
        Label indicator (entries 1; the two-file layout's label values are dropped).

    Raises
    ------
    ValueError
        On a malformed header or line, a value that is NaN or infinite, an id
        outside the header's sizes, or a sample count that differs from the header
        (or between the two files); the message names the file and the line.
    """
    pair = "'f:v f:v ...'"
    if labels is None:
        head, lab_ptr, lab_idx, ptr, idx, val = _parse(
            source,
            ("n_samples", "n_features", "n_labels"),
            True,
            "'l1,l2,... f:v f:v ...'",
            zero_based,
        )
        n_labels = head["n_labels"]
    else:
        head, _, _, ptr, idx, val = _parse(
            source, ("n_samples", "n_features"), False, pair, zero_based
        )
        lab_head, _, _, lab_ptr, lab_idx, _ = _parse(
            labels, ("n_samples", "n_labels"), False, "'l:v l:v ...'", zero_based
        )
        if lab_head["n_samples"] != head["n_samples"]:
            raise ValueError(
                f"{_read_name(labels)}: header says {lab_head['n_samples']} samples, "
                f"but the features file {_read_name(source)} has {head['n_samples']}"
            )
        n_labels = lab_head["n_labels"]
    n_samples = head["n_samples"]
    X = sp.csr_matrix((val.astype(np.float32), idx, ptr), shape=(n_samples, head["n_features"]))
    X.sum_duplicates()
    return X, _indicator(lab_ptr, lab_idx, n_samples, n_labels)


def _read_name(source) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return getattr(source, "name", "<stream>")


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
