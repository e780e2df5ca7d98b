import numpy as np
import pytest
import scipy.sparse as sp

from rushml.metrics import labels_to_csr, model_nbytes, precision_at_k


def test_precision_at_1_is_accuracy_for_single_labels():
    topk = np.array([[3, 1], [0, 2], [5, 4], [1, 1]])
    y = np.array([3, 2, 4, 0])
    assert precision_at_k(topk, y, 1) == pytest.approx(0.25)
    # P@2 counts hits in the first two, divided by 2: (1 + 1 + 1 + 0) / 8
    assert precision_at_k(topk, y, 2) == pytest.approx(3 / 8)


def test_multilabel_precision_same_for_indicator_and_label_lists():
    topk = np.array([[0, 1, 2], [4, 3, 0]])
    lists = [np.array([1, 2]), np.array([0])]
    Y = labels_to_csr(lists, n_classes=5)
    for y in (lists, Y):
        assert precision_at_k(topk, y, 1) == pytest.approx(0.0)
        assert precision_at_k(topk, y, 2) == pytest.approx(1 / 4)
        assert precision_at_k(topk, y, 3) == pytest.approx(3 / 6)


def test_padding_and_out_of_range_ids_count_as_misses():
    topk = np.array([[-1, 2], [7, 0]])
    assert precision_at_k(topk, np.array([2, 0]), 2) == pytest.approx(0.5)
    Y = sp.csr_matrix(np.array([[0, 0, 1], [1, 0, 0]]))
    assert precision_at_k(topk, Y, 2) == pytest.approx(0.5)


def test_precision_rejects_bad_k_and_lengths():
    topk = np.zeros((3, 2), dtype=int)
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 2\], got 3"):
        precision_at_k(topk, np.zeros(3, dtype=int), 3)
    with pytest.raises(ValueError, match="different numbers of samples: 3 and 2"):
        precision_at_k(topk, np.zeros(2, dtype=int), 1)


def test_labels_to_csr_merges_duplicates():
    Y = labels_to_csr([[1, 1, 3], []], n_classes=4)
    assert Y.shape == (2, 4) and Y.nnz == 2 and set(Y.data) == {1}


class _Toy:
    def __init__(self):
        self.coef_ = np.zeros((10, 4), dtype=np.float32)  # 160 bytes
        self.parts_ = [np.zeros(5, dtype=np.int64), {"b": np.zeros(3)}]  # 40 + 24
        self.alias_ = self.coef_[:2]  # a view: its buffer is counted once
        self.sparse_ = sp.csr_matrix(np.eye(3, dtype=np.float32))  # 12 + 4*3(int32) + 4*4
        self.name = "not counted"


def test_model_nbytes_counts_each_array_buffer_once():
    toy = _Toy()
    sparse_bytes = toy.sparse_.data.nbytes + toy.sparse_.indices.nbytes + toy.sparse_.indptr.nbytes
    assert model_nbytes(toy) == 160 + 40 + 24 + sparse_bytes
    assert model_nbytes(np.zeros(7)) == 56
