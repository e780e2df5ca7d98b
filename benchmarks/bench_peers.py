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

The parts: :mod:`peers_methods` (the method table), :mod:`peers_data` (the problems),
:mod:`peers_workers` (what runs in each worker), :mod:`peers_report` (the Markdown
table) and :mod:`harness` (provenance, the capped worker, peak memory), shared with the
other benchmarks; this file is the command line and the parent that runs the workers.

Run ``python benchmarks/bench_peers.py --quick`` for a smoke run, or e.g.
``python benchmarks/bench_peers.py --sizes 1e4 1e5 670k``, or on the repository's
files ``python benchmarks/bench_peers.py --methods mach omikuji --xc-train F --xc-test G``
(two files each for the two-file layout: ``--xc-train X.txt Y.txt``).
"""

from __future__ import annotations

import argparse
import importlib.util  # noqa: F401 (the tests reach find_spec through this module)
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # harness and the peers_* modules

import harness  # noqa: E402
from peers_data import (  # noqa: E402
    AMAZON_670K,
    LAWS,
    generated_problem,
    indicator,
    load_problem,
    parse_size,
    save_problem,
    scaled_rows,
)
from peers_methods import (  # noqa: E402
    _MACH_KEYS,
    MACH_RECOMMENDED,
    default_methods,
    make_pecos_venv,
    parse_mach_setting,
    worker_python,
)
from peers_methods import unavailable_reason as _unavailable_reason  # noqa: E402
from peers_report import REFERENCE, markdown_table  # noqa: E402
from peers_workers import TOP_K, run_worker  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
PECOS_VENV = ROOT / ".venv-pecos"
PECOS_REQUIREMENTS = HERE / "requirements-pecos.txt"

__all__ = [
    "AMAZON_670K",
    "LAWS",
    "MACH_RECOMMENDED",
    "REFERENCE",
    "TOP_K",
    "generated_problem",
    "indicator",
    "load_problem",
    "parse_mach_setting",
    "parse_size",
    "save_problem",
    "scaled_rows",
]

# Every method row carries these fields and the provenance these: read from the schema the
# site checks the committed results with (portfolio/benchmarks/schemas), never copied.
_PEERS_SCHEMA = json.loads((harness.SCHEMAS / "peers.schema.json").read_text())
METHOD_FIELDS = tuple(_PEERS_SCHEMA["$defs"]["method"]["required"])
PROVENANCE_FIELDS = tuple(
    json.loads((harness.SCHEMAS / "provenance.schema.json").read_text())["required"]
)
MEMORY_WORDS = ("MemoryError", "bad_alloc", "memory allocation", "Cannot allocate")


# -- the parent: launch, cap, watch, score ---------------------------------------------------


def unavailable_reason(family: str) -> str | None:
    """Why a family cannot run here, or None when it can (PECOS from ``PECOS_VENV``)."""
    return _unavailable_reason(family, PECOS_VENV)


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
        worker_python(spec["family"], PECOS_VENV),
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
    run = harness.run_capped(
        cmd, env=harness.worker_env(threads), cwd=ROOT, time_cap=time_cap, mem_cap=mem_cap
    )
    row["peak_rss_bytes"] = run.peak_rss_bytes
    row["threads_observed"] = run.threads_observed
    result_file = out.with_suffix(".json")
    if run.timed_out:
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
        code, log = run.returncode, run.log
        tail = " ".join(log.strip().splitlines()[-3:])[-300:]
        if code in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT) or any(
            w in log for w in MEMORY_WORDS
        ):
            row.update(
                status="out_of_memory" if any(w in log for w in MEMORY_WORDS) else "crashed",
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


def provenance(argv: list[str]) -> dict:
    """The run's provenance (:func:`harness.provenance`), with the peers' versions."""
    prov = harness.provenance(
        "benchmarks/bench_peers.py", argv, packages=("joblib", "omikuji", "napkinxc")
    )
    versions = prov["versions"]
    py = PECOS_VENV / "bin" / "python"
    if py.exists():
        code = "import importlib.metadata as m; print(m.version('libpecos'), m.version('numpy'))"
        got = subprocess.run([str(py), "-c", code], capture_output=True, text=True)
        if got.returncode == 0:
            versions["libpecos"], versions["numpy (pecos env)"] = got.stdout.split()
    versions.setdefault("libpecos", None)
    return prov


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
        make_pecos_venv(PECOS_VENV, PECOS_REQUIREMENTS)

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
    harness.check_results(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    args.output.with_suffix(".md").write_text(markdown_table(report))
    print(f"wrote {args.output} and {args.output.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
