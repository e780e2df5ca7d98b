"""The peer benchmark's workers: train, save, predict one method, in its own process.

``bench_peers.py --worker FAMILY ...`` calls :func:`run_worker`, which writes the times
and model bytes as JSON and the top-k predictions as ``.npy`` for the parent to score.
Only numpy and scipy are imported here, so the PECOS worker runs in its own environment.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from peers_data import load_problem

TOP_K = 5


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def _topk_from_lists(rows, k: int) -> np.ndarray:
    out = np.full((len(rows), k), -1, np.int64)
    for i, r in enumerate(rows):
        r = list(r)[:k]
        out[i, : len(r)] = r
    return out


def _train_predict_mach(data, params, threads, model_dir: Path):
    import pickle

    from joblib import parallel_config

    from rushml.mach import MACHClassifier

    X, Y = data["X_train"], data["Y_train"]  # every label of every row
    clf = MACHClassifier(**params, n_classes=data["n_labels"], n_jobs=threads, random_state=0)
    # Compile the Numba kernels first (cached on disk after the first run), so that the
    # timings below measure training and prediction, not the one-off JIT compilation.
    warm = MACHClassifier(**{**params, "n_repetitions": 1, "n_buckets": 2, "n_epochs": 1})
    labelled = np.flatnonzero(np.diff(Y.indptr))[:64]
    warm.set_params(n_classes=data["n_labels"], random_state=0).fit(X[labelled], Y[labelled])
    warm.predict_topk(data["X_test"][:2], k=TOP_K)
    t0 = time.perf_counter()
    with parallel_config(backend="threading"):  # the SGD kernels release the GIL
        clf.fit(X, Y)
    train_s = time.perf_counter() - t0
    with open(model_dir / "model.pkl", "wb") as f:
        pickle.dump(clf, f, protocol=5)
    t0 = time.perf_counter()
    topk = clf.predict_topk(data["X_test"], k=TOP_K)
    predict_s = time.perf_counter() - t0
    return train_s, predict_s, np.asarray(topk, np.int64)


def _train_predict_omikuji(data, params, threads, model_dir: Path, folder: Path):
    import omikuji

    t0 = time.perf_counter()
    model = omikuji.Model.train_on_data(
        str(folder / "train.txt"), omikuji.Model.default_hyper_param(), n_threads=threads
    )
    train_s = time.perf_counter() - t0
    model.save(str(model_dir / "model"))
    X = data["X_test"]
    t0 = time.perf_counter()
    rows = []
    for i in range(X.shape[0]):
        s, e = X.indptr[i], X.indptr[i + 1]
        pairs = list(zip(X.indices[s:e].tolist(), X.data[s:e].tolist(), strict=True))
        rows.append([label for label, _ in model.predict(pairs, top_k=TOP_K)])
    predict_s = time.perf_counter() - t0
    return train_s, predict_s, _topk_from_lists(rows, TOP_K)


def _label_lists(Y: sp.csr_matrix) -> list[list[int]]:
    return [Y.indices[Y.indptr[i] : Y.indptr[i + 1]].tolist() for i in range(Y.shape[0])]


def _train_predict_napkinxc(data, params, threads, model_dir: Path):
    from napkinxc.models import PLT

    model = PLT(str(model_dir / "model"), threads=threads, seed=0)
    labels = _label_lists(data["Y_train"])
    t0 = time.perf_counter()
    model.fit(data["X_train"], labels)
    train_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = model.predict(data["X_test"], top_k=TOP_K)
    predict_s = time.perf_counter() - t0
    return train_s, predict_s, _topk_from_lists(rows, TOP_K)


def _train_predict_pecos(data, params, threads, model_dir: Path):
    from pecos.xmc import Indexer, LabelEmbeddingFactory
    from pecos.xmc.xlinear.model import XLinearModel

    X = data["X_train"].astype(np.float32)
    Y = data["Y_train"].astype(np.float32)
    t0 = time.perf_counter()
    label_feat = LabelEmbeddingFactory.create(Y, X, method="pifa")
    chain = Indexer.gen(label_feat, threads=threads)
    model = XLinearModel.train(X, Y, C=chain, threads=threads)
    train_s = time.perf_counter() - t0
    model.save(str(model_dir / "model"))
    t0 = time.perf_counter()
    P = model.predict(data["X_test"].astype(np.float32), only_topk=TOP_K, threads=threads)
    predict_s = time.perf_counter() - t0
    P = sp.csr_matrix(P)
    rows = []
    for i in range(P.shape[0]):
        s, e = P.indptr[i], P.indptr[i + 1]
        order = np.argsort(-P.data[s:e], kind="stable")
        rows.append(P.indices[s:e][order].tolist())
    return train_s, predict_s, _topk_from_lists(rows, TOP_K)


def run_worker(family: str, params: dict, folder: Path, out: Path, threads: int) -> None:
    """Train, save, predict; write ``out``.json (times, model bytes) and ``out``.npy (top-k)."""
    model_dir = out.parent / (out.name + ".model")
    model_dir.mkdir(parents=True, exist_ok=True)
    data = load_problem(folder)
    result: dict = {"status": "ok", "reason": ""}
    try:
        if family == "mach":
            fit = _train_predict_mach(data, params, threads, model_dir)
        elif family == "omikuji":
            fit = _train_predict_omikuji(data, params, threads, model_dir, folder)
        elif family == "napkinxc":
            fit = _train_predict_napkinxc(data, params, threads, model_dir)
        elif family == "pecos":
            fit = _train_predict_pecos(data, params, threads, model_dir)
        else:
            raise ValueError(f"unknown family {family!r}")
    except MemoryError as exc:
        result.update(status="out_of_memory", reason=f"MemoryError: {exc}"[:300])
    except Exception as exc:  # reported, not fatal: the parent records the reason
        result.update(status="error", reason=f"{type(exc).__name__}: {exc}"[:300])
    else:
        train_s, predict_s, topk = fit
        np.save(out.with_suffix(".npy"), topk)
        n_test = data["X_test"].shape[0]
        result.update(
            train_s=train_s,
            predict_ms_per_1k=1000.0 * predict_s / n_test * 1000.0,
            model_bytes=folder_bytes(model_dir),
        )
    out.with_suffix(".json").write_text(json.dumps(result))
