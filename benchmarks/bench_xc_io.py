"""How fast :func:`rushml.xc_io.read_xc` reads an Amazon-670K-sized file.

Writes one data file of the Amazon-670K training set's shape (490,449 rows,
135,909 features, 670,091 labels; by default 76 features and 5.45 labels per row,
the set's averages) with :func:`rushml.xc_io.write_xc`, then reads it, in the same
run, with ``read_xc`` (a compiled byte parser) and with a plain-Python baseline that
splits each line with ``str.split`` and converts with ``int``/``float`` (how
``read_xc`` read files before), and checks that the two give the same matrices.
Reports the median of ``--repeats`` reads of each and their ratio. The first
``read_xc`` call of a fresh environment also compiles the parser (Numba caches it
on disk); that time is reported separately.

Run ``python benchmarks/bench_xc_io.py`` (about three minutes on 2 cores) or
``--rows 50000`` for a quick look. Results: ``benchmarks/results/xc-io.json``.
No BLAS routine runs in either reader, so the BLAS kernel does not matter here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))  # harness

import harness  # noqa: E402

from rushml.xc_io import read_xc, write_xc  # noqa: E402

AMAZON_670K = {"n_rows": 490_449, "n_features": 135_909, "n_labels": 670_091}


def python_read(path: Path):
    """Read the one-file layout line by line in plain Python (the baseline)."""
    with open(path, encoding="utf-8") as f:
        n, d, L = (int(t) for t in f.readline().split())
        lab_ptr, lab_idx, ptr, idx, val = [0], [], [0], [], []
        for line in f:
            tokens = line.split()
            if tokens and not line[0].isspace() and ":" not in tokens[0]:
                lab_idx.extend(int(t) for t in tokens[0].split(","))
                tokens = tokens[1:]
            for t in tokens:
                j, v = t.split(":")
                idx.append(int(j))
                val.append(float(v))
            lab_ptr.append(len(lab_idx))
            ptr.append(len(idx))
    X = sp.csr_matrix((np.asarray(val, np.float32), idx, ptr), shape=(n, d))
    Y = sp.csr_matrix((np.ones(len(lab_idx), np.float32), lab_idx, lab_ptr), shape=(n, L))
    X.sum_duplicates()
    Y.sum_duplicates()
    return X, Y


def random_file(path: Path, n_rows: int, nnz: float, labels: float, seed: int) -> None:
    """Write random rows of the Amazon-670K shape (uniform ids, Poisson row sizes)."""
    rng = np.random.default_rng(seed)
    d, L = AMAZON_670K["n_features"], AMAZON_670K["n_labels"]

    def rows(mean, n_cols, values):
        sizes = np.maximum(1, rng.poisson(mean, n_rows))
        indptr = np.concatenate([[0], np.cumsum(sizes)])
        cols = rng.integers(0, n_cols, indptr[-1])
        data = rng.random(indptr[-1]).astype(np.float32) if values else np.ones(indptr[-1])
        M = sp.csr_matrix((data, cols, indptr), shape=(n_rows, n_cols))
        M.sum_duplicates()
        return M

    write_xc(path, rows(nnz, d, True), rows(labels, L, False))


def timed(fn, repeats: int) -> tuple[list[float], object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return times, out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=AMAZON_670K["n_rows"])
    p.add_argument("--features-per-row", type=float, default=76.0)
    p.add_argument("--labels-per-row", type=float, default=5.45)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", type=Path, default=HERE / "results" / "xc-io.json")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.txt"
        start = time.perf_counter()
        random_file(path, args.rows, args.features_per_row, args.labels_per_row, args.seed)
        write_s = time.perf_counter() - start
        first, _ = timed(lambda: read_xc(path), 1)
        ours, (X, Y) = timed(lambda: read_xc(path), args.repeats)
        base, (Xb, Yb) = timed(lambda: python_read(path), args.repeats)
        same = (X != Xb).nnz == 0 and (Y != Yb).nnz == 0
        size = path.stat().st_size
    report = {
        "provenance": harness.provenance(
            "benchmarks/bench_xc_io.py", argv if argv is not None else sys.argv[1:]
        ),
        "file": {"rows": args.rows, "bytes": size, "nnz": int(X.nnz), "labels": int(Y.nnz)},
        "write_xc_seconds": round(write_s, 2),
        "read_xc_first_call_seconds": round(first[0], 3),
        "read_xc_seconds": [round(t, 3) for t in ours],
        "python_seconds": [round(t, 3) for t in base],
        "speedup_median": round(statistics.median(base) / statistics.median(ours), 1),
        "same_matrices": bool(same),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "provenance"}, indent=2))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
