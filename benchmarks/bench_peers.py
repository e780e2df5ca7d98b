"""MACH next to the extreme classifiers practitioners use: omikuji, napkinXC, PECOS.

Each method trains and predicts in its own subprocess under a wall-clock limit
and an address-space limit (``RLIMIT_AS``), so a peer that hangs or runs out of
memory is reported in the results instead of ending the run. The parent process
generates (or reads) the data once, writes it to a temporary folder in the two
formats the workers read (``.npz`` arrays and the Extreme Classification
Repository text format, which omikuji trains from), launches one worker per
method, samples the worker's process tree for resident memory and threads, and
scores every method's top-5 predictions with the same
:func:`rushml.metrics.precision_at_k`.

Measured per method: training seconds, prediction seconds per 1,000 queries,
P@1/P@3/P@5 on held-out rows, model bytes on disk (each method saves its model
into its own folder; the folder is measured), peak resident memory of the
worker's process tree, configured and observed threads. Results go to
``benchmarks/results/peers.json`` (with provenance) and a Markdown table
``benchmarks/results/peers.md``.

Methods
-------
``mach``            our MACH (:class:`rushml.mach.MACHClassifier`) at the recommended
                    setting (:data:`MACH_RECOMMENDED`), trained on every label of a row.
``mach-R{R}-B{B}…``  other settings given with ``--mach RxB[:key=value,...]``, e.g.
                    ``--mach 4x256 8x512:n_epochs=3,prune_threshold=0.1``.
``omikuji``         omikuji's default hyper-parameters (Parabel-like: 3 balanced
                    2-means label trees, linear node classifiers).
``napkinxc-plt``    napkinXC's probabilistic label tree, default settings.
``pecos-xrlinear``  PECOS XR-Linear (PIFA label embedding, hierarchical k-means
                    indexer). libpecos needs numpy < 2, so it runs in its own
                    virtual environment ``.venv-pecos``, made by ``--pecos-venv``
                    from ``benchmarks/requirements-pecos.txt``; without it the
                    method is reported skipped, with the reason.

Generated problems are multi-label and come from two label laws (``--laws``):
``independent`` (:func:`rushml.multilabel.make_extreme_multilabel`: labels drawn
independently from one power law, each with its own features) and ``topical``
(:func:`rushml.multilabel.make_topical_multilabel`: labels in topics that co-occur
and share features). Their training rows grow with K (:func:`scaled_rows`: 100,000
at the Amazon-670K size) unless ``--n-train`` is given; ``--laws single`` gives the
old single-label problems of :func:`rushml.datasets.make_extreme_classification`.

Run ``python benchmarks/bench_peers.py --quick`` for a smoke run, or e.g.
``python benchmarks/bench_peers.py --sizes 1e4 1e5 670k``, or on the repository's
files ``python benchmarks/bench_peers.py --methods mach omikuji --xc-train F --xc-test G``
(two files each for the two-file layout: ``--xc-train X.txt Y.txt``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
PECOS_VENV = ROOT / ".venv-pecos"
PECOS_REQUIREMENTS = HERE / "requirements-pecos.txt"

AMAZON_670K = {"n_classes": 670_091, "n_features": 135_909}  # the repository's Amazon-670K shape
TOP_K = 5
REFERENCE = "omikuji"  # the Parabel-like peer MACH's targets are stated against

# Every method row carries these fields; the site's directive checks them too.
METHOD_FIELDS = (
    "method",
    "family",
    "params",
    "status",
    "reason",
    "train_s",
    "predict_ms_per_1k",
    "p_at_1",
    "p_at_3",
    "p_at_5",
    "model_bytes",
    "peak_rss_bytes",
    "threads",
    "threads_observed",
)
PROVENANCE_FIELDS = ("date", "cpu", "n_cpus", "python", "versions", "git_commit", "blas", "command")


# -- the methods ---------------------------------------------------------------------------


#: The MACH setting run as method ``mach``: every label of a row, B sigmoid outputs per
#: repetition, weights pruned at 0.8 from their row's median and stored in float16. Chosen
#: on problems that are not reported (seed 100, K = 10^5, both laws; the reported runs use
#: seed 0): against R x B of 4x256 to 32x128 dense, thresholds 0.05 to 1.2, 1 to 5 epochs
#: and learning rates 1 to 3, it was the cheapest setting within 0.95x of omikuji's P@5 on
#: both laws (benchmarks/results/mach-tuning.md has the measurements).
MACH_RECOMMENDED = {
    "n_repetitions": 32,
    "n_buckets": 64,
    "n_epochs": 3,
    "learning_rate": 2.0,
    "loss": "sigmoid",
    "prune_threshold": 0.8,
    "weight_dtype": "float16",
}
_MACH_KEYS = {  # parameter: (type, short name in a method name)
    "n_epochs": (int, "e"),
    "learning_rate": (float, "lr"),
    "loss": (str, ""),
    "prune_threshold": (float, "p"),
    "weight_dtype": (str, ""),
}


def parse_mach_setting(text: str) -> dict:
    """``"8x512:n_epochs=3,prune_threshold=0.1"`` -> the method's table entry.

    Unnamed parameters take the recommended setting's values.
    """
    head, _, rest = text.partition(":")
    try:
        r, b = (int(v) for v in head.lower().split("x"))
    except ValueError:
        raise SystemExit(f"--mach {text!r}: expected RxB[:key=value,...], e.g. 8x512") from None
    params = {**MACH_RECOMMENDED, "n_repetitions": r, "n_buckets": b}
    name = f"mach-R{r}-B{b}"
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        if key not in _MACH_KEYS:
            raise SystemExit(
                f"--mach {text!r}: unknown parameter {key!r} (one of {list(_MACH_KEYS)})"
            )
        kind, short = _MACH_KEYS[key]
        params[key] = None if value == "none" else kind(value)
        name += f"-{short}{value}"
    return {"method": name, "family": "mach", "params": params}


def default_methods(mach_settings=()) -> list[dict]:
    """The method table: name, family and keyword parameters of each worker.

    ``mach`` (the recommended setting) first, then any ``mach_settings`` strings
    (see :func:`parse_mach_setting`), then the peers.
    """
    methods = [{"method": "mach", "family": "mach", "params": dict(MACH_RECOMMENDED)}]
    methods += [parse_mach_setting(t) for t in mach_settings]
    methods += [
        {
            "method": "omikuji",
            "family": "omikuji",
            "params": {"hyper_param": "default (Parabel-like)"},
        },
        {
            "method": "napkinxc-plt",
            "family": "napkinxc",
            "params": {"model": "PLT", "defaults": True},
        },
        {
            "method": "pecos-xrlinear",
            "family": "pecos",
            "params": {"model": "XLinearModel", "indexer": "PIFA + hierarchical 2-means"},
        },
    ]
    return methods


def unavailable_reason(family: str) -> str | None:
    """Why a family cannot run here, or None when it can."""
    if family == "mach":
        return None if importlib.util.find_spec("rushml.mach") else "rushml.mach is not importable"
    if family == "omikuji":
        return (
            None
            if importlib.util.find_spec("omikuji")
            else "omikuji is not installed (pip install -r benchmarks/requirements-peers.txt)"
        )
    if family == "napkinxc":
        return (
            None
            if importlib.util.find_spec("napkinxc")
            else "napkinxc is not installed (pip install -r benchmarks/requirements-peers.txt)"
        )
    if family == "pecos":
        py = PECOS_VENV / "bin" / "python"
        if not py.exists():
            return (
                "libpecos needs numpy < 2, which this environment does not have; "
                "run with --pecos-venv to build .venv-pecos from benchmarks/requirements-pecos.txt"
            )
        return None
    return f"unknown family {family!r}"


def worker_python(family: str) -> str:
    return str(PECOS_VENV / "bin" / "python") if family == "pecos" else sys.executable


# -- data ----------------------------------------------------------------------------------


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


# -- workers (run in their own process) ----------------------------------------------------


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


# -- the parent: launch, cap, watch ----------------------------------------------------------


def _limit_memory(mem_cap: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem_cap, mem_cap))

    return apply


def _watch_tree(pid: int, stop: threading.Event, stats: dict) -> None:
    """Sample resident memory (summed over the process tree) and threads until stopped."""
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.Error:
        return
    while not stop.is_set():
        try:
            procs = [root, *root.children(recursive=True)]
            rss = threads = 0
            for p in procs:
                try:
                    rss += p.memory_info().rss
                    threads += p.num_threads()
                except psutil.Error:
                    pass
            stats["rss"] = max(stats["rss"], rss)
            stats["threads"] = max(stats["threads"], threads)
        except psutil.Error:
            return
        stop.wait(0.05)


def run_method(
    spec: dict, folder: Path, Y_test, threads: int, time_cap: float, mem_cap: int
) -> dict:
    """Run one method in a capped subprocess and return its result row."""
    row = {field: None for field in METHOD_FIELDS}
    row.update(
        method=spec["method"],
        family=spec["family"],
        params=spec["params"],
        threads=threads,
        reason="",
    )
    reason = unavailable_reason(spec["family"])
    if reason:
        row.update(status="skipped", reason=reason)
        return row
    out = folder / spec["method"]
    cmd = [
        worker_python(spec["family"]),
        str(Path(__file__).resolve()),
        "--worker",
        spec["family"],
        "--worker-params",
        json.dumps(spec["params"]),
        "--data",
        str(folder),
        "--worker-out",
        str(out),
        "--threads",
        str(threads),
    ]
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=_limit_memory(mem_cap),
        start_new_session=True,
    )
    stats = {"rss": 0, "threads": 0}
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_tree, args=(proc.pid, stop, stats), daemon=True)
    watcher.start()
    log_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: log_chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    t0 = time.monotonic()
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - t0 > time_cap:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    stop.set()
    watcher.join()
    reader.join(timeout=5)
    log = b"".join(log_chunks).decode(errors="replace")
    # ru_maxrss is in KiB on Linux; the sampled tree sum catches helper processes too.
    row["peak_rss_bytes"] = int(max(usage.ru_maxrss * 1024, stats["rss"]))
    row["threads_observed"] = int(stats["threads"]) or None
    result_file = out.with_suffix(".json")
    if timed_out:
        row.update(status="timeout", reason=f"killed after the {time_cap:g} s time cap")
    elif result_file.exists():
        result = json.loads(result_file.read_text())
        row.update({k: v for k, v in result.items() if k in METHOD_FIELDS})
        if row["status"] == "error":
            row["reason"] += (
                f" (under the {mem_cap / 2**30:g} GiB address-space cap, a failed allocation "
                "can surface as an error like this one)"
            )
        if row["status"] == "ok":
            topk = np.load(out.with_suffix(".npy"))
            from rushml.metrics import precision_at_k

            for k in (1, 3, 5):
                row[f"p_at_{k}"] = round(float(precision_at_k(topk, Y_test, k)), 6)
    else:
        code = proc.returncode
        tail = " ".join(log.strip().splitlines()[-3:])[-300:]
        memory_words = ("MemoryError", "bad_alloc", "memory allocation", "Cannot allocate")
        if code in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT) or any(
            w in log for w in memory_words
        ):
            row.update(
                status="out_of_memory" if any(w in log for w in memory_words) else "crashed",
                reason=f"exit {code} under the {mem_cap / 2**30:g} GiB address-space cap: {tail}",
            )
        else:
            row.update(status="error", reason=f"exit {code}: {tail}")
    shutil.rmtree(out.parent / (out.name + ".model"), ignore_errors=True)
    return row


def best_run(rows: list[dict]) -> dict:
    """The finished run with the least training time (else the first), with every time."""
    done = [r for r in rows if r["status"] == "ok"]
    best = dict(min(done, key=lambda r: r["train_s"]) if done else rows[0])
    best["train_s_runs"] = [r["train_s"] for r in rows]
    best["predict_ms_per_1k_runs"] = [r["predict_ms_per_1k"] for r in rows]
    return best


# -- provenance and output --------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("numpy", "scipy", "numba", "joblib", "omikuji", "napkinxc"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    py = PECOS_VENV / "bin" / "python"
    if py.exists():
        code = "import importlib.metadata as m; print(m.version('libpecos'), m.version('numpy'))"
        got = subprocess.run([str(py), "-c", code], capture_output=True, text=True)
        if got.returncode == 0:
            pecos_v, pecos_np = got.stdout.split()
            out["libpecos"] = pecos_v
            out["numpy (pecos env)"] = pecos_np
    out.setdefault("libpecos", None)
    return out


def blas_info() -> list[dict]:
    import threadpoolctl

    return [
        {k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
        for info in threadpoolctl.threadpool_info()
        if info.get("user_api") == "blas"
    ]


def git_commit() -> str:
    got = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return got.stdout.strip() if got.returncode == 0 else "unknown"


def git_dirty() -> list[str]:
    """Tracked files of the measured code that differ from the commit (uncommitted edits)."""
    got = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", "rushml", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return sorted(line[3:] for line in got.stdout.splitlines()) if got.returncode == 0 else []


def provenance(argv: list[str]) -> dict:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "n_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "versions": package_versions(),
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
        "blas": blas_info(),
        "command": " ".join(["python", "benchmarks/bench_peers.py", *argv]),
    }


def _fmt(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "s":
        return f"{value:.2f}"
    if kind == "p":
        return f"{value:.3f}"
    if kind == "mb":
        return f"{value / 2**20:.1f}"
    return str(value)


def markdown_table(report: dict) -> str:
    """The results as one Markdown table per problem, with the provenance above."""
    prov = report["provenance"]
    lines = [
        "# MACH against the peers",
        "",
        f"Run {prov['date']} on {prov['cpu']} ({prov['n_cpus']} CPUs), "
        f"commit {prov['git_commit'][:12]}"
        + (
            f" plus uncommitted edits to {', '.join(prov['git_dirty'])}."
            if prov.get("git_dirty")
            else "."
        ),
        f"Command: `{prov['command']}`",
        "",
    ]
    for problem in report["problems"]:
        lines += [
            f"## {problem['name']}",
            "",
            f"{problem['description']}",
            "",
            "| method | status | train s | predict ms / 1k | P@1 | P@3 | P@5 "
            "| model MiB | peak RSS MiB | threads (observed) |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in problem["methods"]:
            status = r["status"] if r["status"] == "ok" else f"{r['status']}: {r['reason']}"
            status = status.replace("|", "/")
            lines.append(
                f"| {r['method']} | {status} | {_fmt(r['train_s'], 's')} | "
                f"{_fmt(r['predict_ms_per_1k'], 's')} | "
                f"{_fmt(r['p_at_1'], 'p')} | {_fmt(r['p_at_3'], 'p')} | {_fmt(r['p_at_5'], 'p')} | "
                f"{_fmt(r['model_bytes'], 'mb')} | {_fmt(r['peak_rss_bytes'], 'mb')} | "
                f"{r['threads']} ({_fmt(r['threads_observed'], '')}) |"
            )
        lines.append("")
        ref = next((r for r in problem["methods"] if r["method"] == REFERENCE), None)
        for r in problem["methods"]:
            if r["family"] != "mach" or not ref or not r["status"] == ref["status"] == "ok":
                continue
            ratio = {
                f: r[f] / ref[f] for f in ("train_s", "model_bytes", "peak_rss_bytes", "p_at_1")
            }
            lines.append(
                f"- {r['method']} / {REFERENCE}: training time {ratio['train_s']:.2f}x, "
                f"model {ratio['model_bytes']:.2f}x, peak RSS {ratio['peak_rss_bytes']:.2f}x, "
                f"P@1 {ratio['p_at_1']:.2f}x"
            )
        lines.append("")
    return "\n".join(lines)


def make_pecos_venv() -> None:
    """Create ``.venv-pecos`` (numpy < 2) from ``benchmarks/requirements-pecos.txt``."""
    py = PECOS_VENV / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PECOS_VENV)], check=True)
    # libpecos declares torch/transformers for its neural models; XR-Linear needs none of
    # them, so its own dependencies are pinned in the file and installed without resolving.
    subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--no-deps", "-r", str(PECOS_REQUIREMENTS)],
        check=True,
    )


# -- command line ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sizes",
        nargs="+",
        default=["1e4", "1e5"],
        help="label counts K of the generated problems: 1e4, 1e5, 670k",
    )
    p.add_argument(
        "--quick", action="store_true", help="one tiny problem (K=1000), for a smoke run"
    )
    p.add_argument(
        "--laws",
        nargs="+",
        default=["independent", "topical"],
        choices=LAWS,
        help="label laws of the generated problems (one problem per law and size)",
    )
    p.add_argument(
        "--n-train",
        type=int,
        default=None,
        help="training rows of each generated problem (default: scaled_rows(K))",
    )
    p.add_argument("--n-test", type=int, default=2_000, help="test rows of each generated problem")
    p.add_argument(
        "--n-features",
        type=int,
        default=AMAZON_670K["n_features"],
        help="feature columns of the generated problems",
    )
    p.add_argument(
        "--xc-train",
        type=Path,
        nargs="+",
        help="an Extreme Classification Repository training file (or its features and labels)",
    )
    p.add_argument("--xc-test", type=Path, nargs="+", help="its test file(s), with --xc-train")
    p.add_argument(
        "--max-test", type=int, default=None, help="score only the first N test rows of --xc-test"
    )
    p.add_argument(
        "--mach",
        nargs="*",
        default=[],
        help="MACH settings beside the recommended one: RxB[:key=value,...], keys "
        + ", ".join(_MACH_KEYS),
    )
    p.add_argument("--methods", nargs="+", default=None, help="run only these method names")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads per method")
    p.add_argument(
        "--time-cap",
        type=float,
        default=600.0,
        help="wall-clock seconds per method (train + predict)",
    )
    p.add_argument("--mem-cap", type=float, default=16.0, help="address-space cap per method, GiB")
    p.add_argument(
        "--pecos-venv", action="store_true", help="build .venv-pecos (numpy < 2) to run PECOS"
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="run the methods this many times, round robin; keep each one's fastest run",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--output",
        type=Path,
        default=None,
        help="JSON file, the table goes beside it as .md (default: results/peers.json, "
        "or results/peers-quick.json with --quick, so a smoke run never overwrites the real one)",
    )
    # worker mode (internal)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--worker-params", help=argparse.SUPPRESS)
    p.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    return p


def problems_from_args(args) -> list[dict]:
    if args.xc_train or args.xc_test:
        if not (args.xc_train and args.xc_test):
            raise SystemExit("--xc-train and --xc-test go together")
        for files in (args.xc_train, args.xc_test):
            if len(files) > 2:
                raise SystemExit("--xc-train and --xc-test take one file, or features and labels")
        return [{"kind": "xc", "train": args.xc_train, "test": args.xc_test}]
    if args.quick:
        return [
            {
                "kind": "generated",
                "law": "independent",
                "n_classes": 1000,
                "n_features": 2000,
                "n_train": 2000,
                "n_test": 300,
            }
        ]
    return [
        {
            "kind": "generated",
            "law": law,
            "n_classes": parse_size(size),
            "n_features": args.n_features,
            "n_train": args.n_train or scaled_rows(parse_size(size)),
            "n_test": args.n_test,
        }
        for size in args.sizes
        for law in args.laws
    ]


def run(args, argv) -> dict:
    if args.pecos_venv:
        make_pecos_venv()

    methods = default_methods(args.mach)
    if args.methods:
        unknown = set(args.methods) - {m["method"] for m in methods}
        if unknown:
            raise SystemExit(
                f"--methods: unknown {sorted(unknown)}; known: {[m['method'] for m in methods]}"
            )
        methods = [m for m in methods if m["method"] in set(args.methods)]
    mem_cap = int(args.mem_cap * 2**30)
    report = {"benchmark": "peers", "provenance": provenance(argv), "problems": []}
    for prob in problems_from_args(args):
        with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
            folder = Path(tmp)
            if prob["kind"] == "xc":
                from rushml.xc_io import read_xc

                X_tr, Y_tr = read_xc(*prob["train"])
                X_te, Y_te = read_xc(*prob["test"])
                if args.max_test:
                    X_te, Y_te = X_te[: args.max_test], Y_te[: args.max_test]
                n_labels = max(Y_tr.shape[1], Y_te.shape[1])
                d = max(X_tr.shape[1], X_te.shape[1])
                X_tr.resize((X_tr.shape[0], d)), X_te.resize((X_te.shape[0], d))
                Y_tr.resize((Y_tr.shape[0], n_labels)), Y_te.resize((Y_te.shape[0], n_labels))
                name = " + ".join(f.name for f in prob["train"])
                desc = (
                    "Extreme Classification Repository files "
                    f"{name} / {' + '.join(f.name for f in prob['test'])}"
                )
            else:
                n_labels = prob["n_classes"]
                X_tr, Y_tr, X_te, Y_te = generated_problem(
                    n_labels,
                    prob["n_features"],
                    prob["n_train"],
                    prob["n_test"],
                    args.seed,
                    prob["law"],
                )
                name = f"{prob['law']}, K={n_labels:,}"
                source = {
                    "independent": "rushml.multilabel.make_extreme_multilabel",
                    "topical": "rushml.multilabel.make_topical_multilabel",
                    "single": "rushml.datasets.make_extreme_classification (one label per row)",
                }[prob["law"]]
                desc = f"{prob['law']} labels, generated by {source} (seed {args.seed})"
            save_problem(folder, X_tr, Y_tr, X_te, n_labels)
            entry = {
                "id": f"{prob['law']}-{n_labels}" if prob["kind"] == "generated" else "xc",
                "law": prob.get("law", "xc"),
                "name": name,
                "description": (
                    f"{desc}: {X_tr.shape[0]:,} training and {X_te.shape[0]:,} test rows, "
                    f"{X_tr.shape[1]:,} features, {n_labels:,} labels, "
                    f"{Y_tr.nnz / max(Y_tr.shape[0], 1):.2f} labels per training row."
                ),
                "n_classes": int(n_labels),
                "n_features": int(X_tr.shape[1]),
                "n_train": int(X_tr.shape[0]),
                "n_test": int(X_te.shape[0]),
                "time_cap_s": args.time_cap,
                "mem_cap_bytes": mem_cap,
                "repeats": args.repeats,
                "methods": [],
            }
            # Round-robin repeats: every method sees the machine's load at several moments;
            # the fastest finished run is kept, all training times are recorded.
            runs: dict[str, list[dict]] = {spec["method"]: [] for spec in methods}
            for rep in range(args.repeats):
                for spec in methods:
                    row = run_method(spec, folder, Y_te, args.threads, args.time_cap, mem_cap)
                    print(
                        f"[{name} #{rep + 1}] {row['method']}: {row['status']} "
                        f"train_s={row['train_s']} p@1={row['p_at_1']} {row['reason']}",
                        flush=True,
                    )
                    runs[spec["method"]].append(row)
            for spec in methods:
                entry["methods"].append(best_run(runs[spec["method"]]))
            report["problems"].append(entry)
    return report


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    if args.worker:
        run_worker(
            args.worker, json.loads(args.worker_params), args.data, args.worker_out, args.threads
        )
        return 0
    report = run(args, argv)
    if args.output is None:
        args.output = RESULTS / ("peers-quick.json" if args.quick else "peers.json")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    args.output.with_suffix(".md").write_text(markdown_table(report))
    print(f"wrote {args.output} and {args.output.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
