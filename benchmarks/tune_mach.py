"""Measure MACH settings on one generated problem, to choose the one ``bench_peers.py`` runs.

The problems are the peer benchmark's (:func:`peers_data.generated_problem`, rows from
:func:`peers_data.scaled_rows`), drawn with a seed the reported runs do not use, so
the recommended setting (``peers_methods.MACH_RECOMMENDED``) is not chosen on the data
it is reported on. Each setting is a JSON object of :class:`rushml.mach.MACHClassifier`
parameters; every setting trains in this process (2 threads, threading backend), one
after the other, and is scored on the same 2,000 test rows.

Run e.g.::

    python benchmarks/tune_mach.py --law topical --size 1e5 --seed 100 \\
        '{"n_repetitions": 32, "n_buckets": 64, "prune_threshold": 0.8}'

Results go to ``benchmarks/results/mach-tuning-<law>-<size>.json`` (``--output``).
Peers are not run here: compare with omikuji's row of a ``bench_peers.py`` run on the
same law, size and seed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))  # harness and the peer benchmark's modules

import harness  # noqa: E402
import peers_data as peers  # noqa: E402


def main(argv=None) -> int:
    from joblib import parallel_config

    from rushml.mach import MACHClassifier
    from rushml.metrics import model_nbytes, precision_at_k

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--law", choices=peers.LAWS, default="topical")
    p.add_argument("--size", default="1e5", help="label count K: 1e4, 1e5, 670k")
    p.add_argument("--seed", type=int, default=100)
    p.add_argument("--n-test", type=int, default=2000)
    p.add_argument("--output", type=Path, default=None)
    p.add_argument("settings", nargs="+", help="JSON objects of MACHClassifier parameters")
    args = p.parse_args(argv)
    K = peers.parse_size(args.size)
    n_train = peers.scaled_rows(K)
    X_tr, Y_tr, X_te, Y_te = peers.generated_problem(
        K, peers.AMAZON_670K["n_features"], n_train, args.n_test, args.seed, args.law
    )
    rows = []
    for text in args.settings:
        params = json.loads(text)
        clf = MACHClassifier(n_classes=K, n_jobs=2, random_state=0, **params)
        start = time.perf_counter()
        with parallel_config(backend="threading"):
            clf.fit(X_tr, Y_tr)
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        top = clf.predict_topk(X_te, 5)
        predict_s = time.perf_counter() - start
        row = {
            "params": params,
            "train_s": round(train_s, 2),
            "predict_ms_per_1k": round(predict_s / X_te.shape[0] * 1e6, 1),
            "p_at_1": round(float(precision_at_k(top, Y_te, 1)), 4),
            "p_at_5": round(float(precision_at_k(top, Y_te, 5)), 4),
            "model_bytes": int(model_nbytes(clf)),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = args.output or HERE / "results" / f"mach-tuning-{args.law}-{args.size}.json"
    report = {
        "provenance": harness.provenance(
            "benchmarks/tune_mach.py", argv if argv is not None else sys.argv[1:]
        ),
        "problem": {"law": args.law, "n_classes": K, "n_train": n_train, "seed": args.seed},
        "settings": rows,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
