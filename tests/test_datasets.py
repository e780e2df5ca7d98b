import numpy as np
import pytest
import scipy.sparse as sp

from rushml.datasets import make_extreme_classification, train_test_split


def test_generator_returns_normalised_float32_csr_and_int64_labels_in_range():
    X, y = make_extreme_classification(
        500, n_features=3000, n_classes=1000, n_nonzero=15, random_state=0
    )
    assert sp.isspmatrix_csr(X) and X.dtype == np.float32 and X.shape == (500, 3000)
    assert y.dtype == np.int64 and y.shape == (500,)
    assert y.min() >= 0 and y.max() < 1000
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    # float32 rounding of a 15-term sum: 1e-5 relative error is ample
    np.testing.assert_allclose(norms, 1.0, rtol=1e-5)
    assert X.has_sorted_indices


def test_nonzeros_per_row_are_about_n_nonzero():
    X, _ = make_extreme_classification(
        4000, n_features=50_000, n_classes=2000, n_nonzero=30, random_state=1
    )
    mean_nnz = X.nnz / X.shape[0]
    # Poisson lengths with mean 30, minus merged repeats (documented ~0.85x): allow 0.75-1.0x
    assert 0.75 * 30 <= mean_nnz <= 30


def test_same_seed_gives_same_data_and_other_seed_differs():
    kw = dict(n_features=2000, n_classes=500, random_state=7)
    X1, y1 = make_extreme_classification(300, **kw)
    X2, y2 = make_extreme_classification(300, **kw)
    assert (X1 != X2).nnz == 0 and np.array_equal(y1, y2)
    X3, y3 = make_extreme_classification(300, **{**kw, "random_state": 8})
    assert not np.array_equal(y1, y3)


def test_class_frequencies_follow_the_power_law():
    _, y = make_extreme_classification(
        200_000, n_features=1000, n_classes=10_000, n_nonzero=2, label_exponent=1.1, random_state=0
    )
    counts = np.sort(np.bincount(y, minlength=10_000))[::-1]
    # Fit the exponent on ranks 1..100 (well sampled: >= ~100 draws each); expect ~1.1,
    # sampling noise on the fitted slope is a few hundredths
    ranks = np.arange(1, 101)
    slope = np.polyfit(np.log(ranks), np.log(counts[:100]), 1)[0]
    assert -1.25 < slope < -0.95
    # the head is heavy and the tail long: the top 1% of classes hold over a third of rows
    assert counts[:100].sum() > 0.33 * y.size


def test_uniform_labels_when_exponent_is_zero():
    _, y = make_extreme_classification(
        50_000, n_features=100, n_classes=10, n_nonzero=2, label_exponent=0.0, random_state=0
    )
    freq = np.bincount(y, minlength=10) / y.size
    # binomial sd of a 0.1 frequency over 50k draws is 0.0013; 0.01 is > 7 sd
    np.testing.assert_allclose(freq, 0.1, atol=0.01)


def test_rows_of_one_class_share_features_so_data_is_learnable():
    X, y = make_extreme_classification(
        6000, n_features=20_000, n_classes=200, noise=0.2, label_exponent=0.5, random_state=3
    )
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
    centroids = (
        sp.csr_matrix((np.ones(ytr.size), (ytr, np.arange(ytr.size))), shape=(200, ytr.size)) @ Xtr
    )
    pred = np.asarray((Xte @ centroids.T).argmax(axis=1)).ravel()
    # chance is < 2%; a nearest-centroid classifier must do far better on learnable data
    assert (pred == yte).mean() > 0.8


def test_pure_noise_is_not_learnable():
    X, y = make_extreme_classification(
        6000, n_features=20_000, n_classes=200, noise=1.0, label_exponent=0.0, random_state=3
    )
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
    centroids = (
        sp.csr_matrix((np.ones(ytr.size), (ytr, np.arange(ytr.size))), shape=(200, ytr.size)) @ Xtr
    )
    pred = np.asarray((Xte @ centroids.T).argmax(axis=1)).ravel()
    # chance is 0.5%; 5% leaves room for sampling noise on 1500 test rows
    assert (pred == yte).mean() < 0.05


def test_million_classes_are_generated_fast_and_lean():
    import time
    import tracemalloc

    tracemalloc.start()
    t = time.perf_counter()
    X, y = make_extreme_classification(
        20_000, n_features=100_000, n_classes=1_000_000, random_state=0
    )
    elapsed = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert y.max() < 1_000_000 and X.shape == (20_000, 100_000)
    # a dense K x d prototype matrix would be 4e11 bytes; the K-sized tables are ~24 MB
    assert peak < 200e6
    # ~0.1 s on the 2-core dev box; 10 s leaves room for a loaded CI machine
    assert elapsed < 10


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_classes=0), "n_classes must be an integer >= 1, got 0"),
        (dict(n_features=-5), "n_features must be an integer >= 1, got -5"),
        (dict(n_nonzero=0), "n_nonzero must be an integer >= 1"),
        (dict(noise=1.5), r"noise must be in \[0, 1\], got 1.5"),
        (dict(label_exponent=-1.0), "label_exponent must be a finite number >= 0"),
    ],
)
def test_bad_generator_arguments_raise_with_the_parameter_named(kwargs, match):
    args = dict(n_features=100, n_classes=10)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        make_extreme_classification(10, **args)


def test_split_partitions_rows_and_keeps_csr():
    X, y = make_extreme_classification(1000, n_features=500, n_classes=50, random_state=0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=1)
    assert sp.isspmatrix_csr(Xtr) and Xtr.shape[0] == 700 and Xte.shape[0] == 300
    assert sorted(np.concatenate([ytr, yte]).tolist()) == sorted(y.tolist())


def test_split_accepts_label_lists_and_rejects_mismatched_lengths():
    X = np.arange(20.0).reshape(10, 2)
    y = [np.array([i, i + 1]) for i in range(10)]
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0)
    assert len(ytr) == 8 and len(yte) == 2
    for row, labels in zip(Xte, yte, strict=True):
        assert labels[0] == row[0] / 2
    with pytest.raises(ValueError, match="different numbers of rows: 10 and 9"):
        train_test_split(X, y[:9])
    with pytest.raises(ValueError, match="test_size must be in"):
        train_test_split(X, y, test_size=1.0)
