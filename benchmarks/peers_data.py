"""The peer benchmark's problems: generated from a label law, or read; saved for the workers.

:func:`generated_problem` draws a seeded multi-label problem from one label law
(``independent``, ``topical``, or ``single`` for one label per row) with
:func:`scaled_rows` training rows; :func:`save_problem` writes it in the two forms the
workers read (``.npz`` arrays, and the Extreme Classification Repository text format that
omikuji trains from) and :func:`load_problem` reads it back in a worker (numpy 1 or 2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse as sp

AMAZON_670K = {"n_classes": 670_091, "n_features": 135_909}  # the repository's Amazon-670K shape


def save_problem(folder: Path, X_train, Y_train, X_test, n_labels: int) -> None:
    """Write the training data (features and labels as CSR) and the test features."""
    arrays = {"n_labels": np.int64(n_labels)}
    for name, M in (("X_train", X_train), ("Y_train", Y_train), ("X_test", X_test)):
        M = sp.csr_matrix(M)
        arrays[f"{name}_indptr"] = M.indptr.astype(np.int64)
        arrays[f"{name}_indices"] = M.indices.astype(np.int64)
        arrays[f"{name}_data"] = M.data.astype(np.float32)
        arrays[f"{name}_shape"] = np.asarray(M.shape, np.int64)
    np.savez(folder / "data.npz", **arrays)
    from rushml.xc_io import write_xc

    write_xc(folder / "train.txt", X_train, Y_train)


def load_problem(folder: Path) -> dict:
    """Inverse of :func:`save_problem` (runs in the workers, numpy 1 or 2)."""
    z = np.load(folder / "data.npz")
    out = {"n_labels": int(z["n_labels"])}
    for name in ("X_train", "Y_train", "X_test"):
        out[name] = sp.csr_matrix(
            (z[f"{name}_data"], z[f"{name}_indices"], z[f"{name}_indptr"]),
            shape=tuple(int(s) for s in z[f"{name}_shape"]),
        )
    return out


def indicator(y, n_labels: int) -> sp.csr_matrix:
    y = np.asarray(y, np.int64)
    return sp.csr_matrix(
        (np.ones(y.size, np.float32), (np.arange(y.size), y)), shape=(y.size, n_labels)
    )


LAWS = ("independent", "topical", "single")


def scaled_rows(n_classes: int) -> int:
    """Training rows of a generated problem with K labels: ``100,000 * sqrt(K / 670,091)``.

    At least 10,000: 12,216 at K = 10^4, 38,631 at 10^5, 100,000 at Amazon-670K's size.
    """
    return max(10_000, round(100_000 * (n_classes / AMAZON_670K["n_classes"]) ** 0.5))


def generated_problem(
    n_classes: int, n_features: int, n_train: int, n_test: int, seed: int, law: str = "independent"
):
    """Return a seeded problem of one label law: ``(X_train, Y_train, X_test, Y_test)``."""
    from rushml.datasets import make_extreme_classification
    from rushml.multilabel import make_extreme_multilabel, make_topical_multilabel

    n = n_train + n_test
    if law == "independent":
        X, Y = make_extreme_multilabel(
            n, n_features=n_features, n_classes=n_classes, random_state=seed
        )
    elif law == "topical":
        X, Y = make_topical_multilabel(
            n, n_features=n_features, n_classes=n_classes, random_state=seed
        )
    elif law == "single":
        X, y = make_extreme_classification(
            n, n_features=n_features, n_classes=n_classes, random_state=seed
        )
        Y = indicator(y, n_classes)
    else:
        raise ValueError(f"unknown law {law!r}: one of {LAWS}")
    # The rows are drawn independently, so the first n_train are a random split.
    return X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]


def parse_size(text: str) -> int:
    """``1e4`` -> 10000, ``670k`` -> the Amazon-670K label count."""
    t = text.strip().lower()
    if t in ("670k", "amazon-670k"):
        return AMAZON_670K["n_classes"]
    if t.endswith("k"):
        return int(float(t[:-1]) * 1000)
    return int(float(t))
