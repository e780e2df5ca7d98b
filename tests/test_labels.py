"""The one label-set converter (rushml._labels.label_sets) and what each caller accepts."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from rushml._labels import is_label_sets, label_sets
from rushml.mach import MACHClassifier
from rushml.metrics import labels_to_csr
from rushml.slide import SlideClassifier


def test_lists_and_indicators_give_the_same_canonical_matrix():
    lists = [[3, 1, 3], [], [0]]
    Y, K = label_sets(lists, n_classes=5)
    assert K == 5 and Y.shape == (3, 5)
    assert Y.indptr.tolist() == [0, 2, 2, 3] and Y.indices.tolist() == [1, 3, 0]
    assert Y.indptr.dtype == Y.indices.dtype == np.int64 and set(Y.data) == {1.0}
    dense = np.zeros((3, 5))
    dense[0, [3, 1]] = dense[2, 0] = 1
    Z, _ = label_sets(sp.csc_matrix(dense), n_classes=5)
    assert (Z != Y).nnz == 0 and Z.indices.tolist() == [1, 3, 0]


@pytest.mark.parametrize(
    ("y", "kwargs", "message"),
    [
        ([[0, -1]], {}, "labels must be >= 0, got -1"),
        ([[0, 7]], {"n_classes": 5}, "labels must be < n_classes=5, got 7"),
        (sp.csr_matrix(np.eye(3)), {"n_classes": 4}, "y has 3 columns, but n_classes=4"),
        ([[0], [1]], {"n_samples": 3}, "different numbers of samples: 3 and 2"),
        ([[], []], {}, "y has no labels at all"),
        ("abc", {}, "y must be a scipy.sparse indicator matrix"),
    ],
)
def test_what_is_always_refused(y, kwargs, message):
    for strict in (True, False):
        if message.startswith("y has no labels") and not strict:
            continue  # scoring allows empty targets (allow_empty below)
        with pytest.raises(ValueError, match=message):
            label_sets(y, strict=strict, **kwargs)


def test_strict_refuses_what_scoring_accepts():
    counts = sp.csr_matrix(np.array([[2.0, 0.0], [0.0, 1.0]]))
    floats = [np.array([0.0, 1.0])]
    with pytest.raises(ValueError, match="must hold only 0 and 1, got 2.0"):
        label_sets(counts)
    with pytest.raises(ValueError, match="label set 0 must hold integer label ids"):
        label_sets(floats)
    with pytest.raises(ValueError, match="label set 0 must be 1-d"):
        label_sets([np.array([[0, 1]])])
    assert labels_to_csr(counts).toarray().tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert labels_to_csr(floats).indices.tolist() == [0, 1]
    assert labels_to_csr([[], []]).shape == (2, 0)


def test_every_fit_refuses_a_count_matrix_as_labels():
    # The same input, the same refusal, in each estimator that takes label sets.
    rng = np.random.default_rng(0)
    X = sp.random(6, 20, density=0.3, format="csr", random_state=0, dtype=np.float32)
    Y = sp.csr_matrix(rng.integers(0, 3, size=(6, 4)).astype(float))
    Y[0, 0] = 2.0
    for model in (
        MACHClassifier(n_repetitions=2, n_buckets=2, n_epochs=1, random_state=0),
        SlideClassifier(hidden_size=4, n_epochs=1, batch_size=2, random_state=0),
    ):
        with pytest.raises(ValueError, match="must hold only 0 and 1"):
            model.fit(X, Y)


def test_label_sets_are_told_from_class_ids():
    assert is_label_sets([[1], [2]]) and is_label_sets(sp.eye(2, format="csr"))
    assert (
        not is_label_sets([1, 2]) and not is_label_sets(np.array([1, 2])) and not is_label_sets([])
    )
