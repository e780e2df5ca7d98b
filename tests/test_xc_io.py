import io

import numpy as np
import pytest
import scipy.sparse as sp

from rushml.datasets import make_extreme_classification
from rushml.mach import MACHClassifier
from rushml.metrics import precision_at_k
from rushml.xc_io import first_labels, read_xc, write_xc

SAMPLE = """4 6 5
0,3 0:0.5 2:1.25
 1:1.0 5:0.5
4 5:2.0
2,1,2 0:1 0:1 3:0.25
"""


def test_reads_a_repository_style_file(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text(SAMPLE)
    X, Y = read_xc(path)
    assert X.shape == (4, 6) and X.dtype == np.float32 and sp.isspmatrix_csr(X)
    np.testing.assert_allclose(
        X.toarray(),
        [[0.5, 0, 1.25, 0, 0, 0], [0, 1, 0, 0, 0, 0.5], [0, 0, 0, 0, 0, 2], [2, 0, 0, 0.25, 0, 0]],
    )
    # row 1 has no labels; row 3 repeats label 2 (kept once)
    assert [Y.indices[Y.indptr[i] : Y.indptr[i + 1]].tolist() for i in range(4)] == [
        [0, 3],
        [],
        [4],
        [1, 2],
    ]
    assert Y.shape == (4, 5) and set(Y.data) == {1}


def test_one_based_files_are_shifted():
    X, Y = read_xc(io.StringIO("1 3 2\n2 3:1.5\n"), zero_based=False)
    assert X.toarray().tolist() == [[0, 0, 1.5]] and Y.toarray().tolist() == [[0, 1]]


def test_write_then_read_round_trips_generated_data(tmp_path):
    X, y = make_extreme_classification(200, n_features=1000, n_classes=300, random_state=0)
    path = tmp_path / "gen.txt"
    write_xc(path, X, y)
    X2, Y2 = read_xc(path)
    # values are written with 6 significant digits
    np.testing.assert_allclose(X2.toarray(), X.toarray(), rtol=1e-5)
    Xs, ys = first_labels(X2, Y2)
    assert np.array_equal(ys, y) and Xs.shape == X.shape


def test_a_model_trains_on_a_file_read_from_disk(tmp_path):
    X, y = make_extreme_classification(
        2000, n_features=2000, n_classes=100, label_exponent=0.5, noise=0.2, random_state=1
    )
    write_xc(tmp_path / "d.txt", X, y)
    Xr, Yr = read_xc(tmp_path / "d.txt")
    Xs, ys = first_labels(Xr, Yr)
    clf = MACHClassifier(n_buckets=16, n_repetitions=4, n_epochs=3, random_state=0).fit(Xs, ys)
    # training-set P@1 of a learnable 100-class problem; multi-label P@1 via the indicator
    assert precision_at_k(clf.predict_topk(Xr, 1), Yr, 1) > 0.8


def test_first_labels_drops_unlabelled_rows():
    X, Y = read_xc(io.StringIO(SAMPLE))
    Xs, ys = first_labels(X, Y)
    assert ys.tolist() == [0, 4, 1] and Xs.shape == (3, 6)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("4 6\n", r"line 1: expected header 'n_samples n_features n_labels', got '4 6'"),
        ("1 6 5\n0 1:x\n", r"line 2: expected 'l1,l2,\.\.\. f:v f:v \.\.\.'"),
        ("1 6 5\n0 17\n", "line 2: expected"),
        ("1 6 5\n7 1:1\n", r"line 2: label id out of range \[0, 5\)"),
        ("1 6 5\n0 6:1\n", r"line 2: feature id out of range \[0, 6\)"),
        ("2 6 5\n0 1:1\n", "header says 2 samples, but the file has 1"),
    ],
)
def test_malformed_files_raise_naming_the_line(text, match):
    with pytest.raises(ValueError, match=match):
        read_xc(io.StringIO(text))


def test_two_file_layout_is_read(tmp_path):
    (tmp_path / "X.txt").write_text("3 4\n0:1.5 3:2\n\n2:0.25\n")
    (tmp_path / "Y.txt").write_text("3 5\n4:1 0:1\n2:1\n\n")
    X, Y = read_xc(tmp_path / "X.txt", tmp_path / "Y.txt")
    assert X.toarray().tolist() == [[1.5, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0.25, 0]]
    assert Y.shape == (3, 5) and Y.toarray().tolist() == [
        [1, 0, 0, 0, 1],
        [0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0],
    ]


def test_two_files_must_agree_on_the_sample_count(tmp_path):
    (tmp_path / "X.txt").write_text("2 4\n0:1\n1:1\n")
    (tmp_path / "Y.txt").write_text("3 5\n0:1\n1:1\n2:1\n")
    with pytest.raises(ValueError, match=r"Y\.txt: header says 3 samples, but the features file"):
        read_xc(tmp_path / "X.txt", tmp_path / "Y.txt")


def test_a_label_file_names_label_ids_out_of_range(tmp_path):
    (tmp_path / "X.txt").write_text("1 4\n0:1\n")
    (tmp_path / "Y.txt").write_text("1 5\n5:1\n")
    with pytest.raises(ValueError, match=r"Y\.txt: line 2: label id out of range \[0, 5\)"):
        read_xc(tmp_path / "X.txt", tmp_path / "Y.txt")


@pytest.mark.parametrize("bad", ["nan", "NaN", "-inf", "inf", "Infinity", "1e400"])
def test_non_finite_values_are_refused_naming_file_and_line(tmp_path, bad):
    path = tmp_path / "train.txt"
    path.write_text(f"2 6 5\n0 1:1\n1 2:0.5 3:{bad}\n")
    match = rf"train\.txt: line 3: value in '3:{bad}' is not a finite number"
    with pytest.raises(ValueError, match=match):
        read_xc(path)


def test_empty_rows_round_trip(tmp_path):
    X = sp.csr_matrix(np.array([[0, 0, 0], [1.5, 0, 0], [0, 0, 0], [0, 2, 0], [0, 0, 0]]))
    Y = sp.csr_matrix(np.array([[0, 0], [0, 1], [1, 0], [0, 0], [0, 0]]))
    write_xc(tmp_path / "d.txt", X, Y)
    X2, Y2 = read_xc(tmp_path / "d.txt")
    assert X2.toarray().tolist() == X.toarray().tolist()
    assert Y2.toarray().tolist() == Y.toarray().tolist()


def test_trailing_blank_lines_and_crlf_endings_are_accepted():
    X, Y = read_xc(io.StringIO("2 3 2\r\n1 0:1\r\n0 2:3\r\n\r\n\n"))
    assert X.toarray().tolist() == [[1, 0, 0], [0, 0, 3]]
    assert Y.toarray().tolist() == [[0, 1], [1, 0]]
    with pytest.raises(ValueError, match="header says 2 samples, but the file has 3"):
        read_xc(io.StringIO("2 3 2\n1 0:1\n0 2:3\n1 1:1\n"))


def test_values_parse_as_python_does():
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [rng.standard_normal(300) * 10.0 ** rng.integers(-30, 30, 300), [0.0, -0.0, 1.0, 7.0]]
    )
    spellings = [f"{v:.6g}" for v in values] + [f"{v:.17e}" for v in values]
    spellings += [f"{v:.12f}" for v in values[:50]] + ["+3", "1.", ".5", "-.25e+2", "4E-3"]
    line = " ".join(f"{j}:{s}" for j, s in enumerate(spellings))
    X, _ = read_xc(io.StringIO(f"1 {len(spellings)} 1\n0 {line}\n"))
    expected = np.array([float(s) for s in spellings], dtype=np.float32)
    np.testing.assert_array_equal(X.toarray()[0], expected)


@pytest.mark.parametrize(
    "line",
    ["0 1:1:2", "0 1:", "0 :1", "0 1:1e", "0,,1 1:1", "0, 1:1", "0 1:1x", "-1 1:1"]
    + ["0 12345678901234567890:1"],
)
def test_malformed_tokens_name_the_line(line):
    with pytest.raises(ValueError, match=r"<stream>: line 3: "):
        read_xc(io.StringIO(f"2 6 5\n0 1:1\n{line}\n"))
