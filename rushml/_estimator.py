"""The estimator contract of MACH and its base model: parameters and input checks.

:class:`_ParamsMixin` gives ``get_params``/``set_params`` and a short repr, as
scikit-learn estimators have them; the ``_check_*`` functions validate ``fit``'s and
``predict``'s arguments, each error naming the parameter and the value.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np
import scipy.sparse as sp

from rushml._labels import is_label_sets, label_sets


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
