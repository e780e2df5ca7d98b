"""SLIDE at the Amazon-670K shape, trained for several epochs: test precision against time.

The network is SLIDE's Amazon-670K network (135,909 sparse features -> 128 ReLU units ->
670,091 outputs, batches of 128, Adam), trained on generated data of two label laws that
the settings were not chosen on:

* ``single``: one label per row from a Zipf law (``make_extreme_classification``);
* ``topical``: label sets of about five labels drawn from topics that share features
  (``make_topical_multilabel``), so P@5 means something.

Trainers, each in its own process, one after the other, on every core, the same data,
initial weights, batch order and learning rate:

* ``dense``: every output computed (BLAS products, Adam on every weight);
* ``slide``: DWTA tables (K = 6, L = 50, buckets of 128, FIFO) with the bucket index of
  SLIDE's released code (``bucket_index="overlapping"``), the batch's labels shared as
  negatives, the active set capped at 0.5 % of the outputs (3,350) by table votes;
* ``random``: the batch's labels plus uniformly random neurons, as many in all as
  ``slide`` activated on average, under the same cap (the control for the hash tables);
* ``in_batch``: the batch's labels alone, no hashing (the cheapest sampler there is);
* ``mode``: no training, the most frequent training labels for every row.

Each trainer evaluates P@1 and P@5 on the test rows (exact scores of every class) every
``--eval-every`` examples; its clock stops meanwhile. After training, a profile times the
phases of ``--profile-batches`` further steps of the ``slide`` network (hidden layer,
active sets, output forward and backward, the two Adam updates, one refill of the tables).

Run ``python benchmarks/bench_slide_curves.py`` (about 70 minutes on 2 cores) or
``--quick`` (a smoke run at a small shape, written to ``slide-curves-quick.json``).
Results: ``benchmarks/results/slide-curves.json``, rewritten after every trainer.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing as mp
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))  # harness

import harness  # noqa: E402

FULL = dict(
    n_features=135_909,
    n_classes=670_091,
    hidden_size=128,
    n_train=50_000,
    n_test=2_000,
    n_epochs=3,
    eval_every=12_500,
    batch_size=128,
    # SlideClassifier's default, chosen on small problems of another seed (see its
    # docstring), not on these.
    learning_rate=3e-3,
    hash_family="dwta",
    n_hashes=6,
    n_tables=50,
    bin_size=8,
    bucket_index="overlapping",
    bucket_size=128,
    max_active=3_350,  # 0.5 % of 670,091
    rehash_period=6_400,
    rebuild_period=128_000,
    profile_batches=20,
    seed=0,
)
QUICK = dict(
    FULL,
    n_features=5_000,
    n_classes=20_000,
    hidden_size=32,
    n_train=3_000,
    n_test=300,
    n_epochs=2,
    eval_every=1_500,
    n_hashes=4,
    n_tables=10,
    max_active=100,
    profile_batches=3,
)
LAWS = ("single", "topical")
METHODS = ("mode", "in_batch", "slide", "random", "dense")


def _bench_slide():
    spec = importlib.util.spec_from_file_location("bench_slide", HERE / "bench_slide.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_data(cfg, law):
    """``(X_train, Y_train, X_test, Y_test)``; labels as ids (single) or indicator rows."""
    from rushml.datasets import make_extreme_classification
    from rushml.multilabel import make_topical_multilabel

    n = cfg["n_train"] + cfg["n_test"]
    shape = dict(n_features=cfg["n_features"], n_classes=cfg["n_classes"])
    if law == "single":
        X, Y = make_extreme_classification(n, **shape, random_state=cfg["seed"])
    else:
        X, Y = make_topical_multilabel(n, **shape, random_state=cfg["seed"])
    # Rows are drawn independently: the first n_train are a random split.
    return X[: cfg["n_train"]], Y[: cfg["n_train"]], X[cfg["n_train"] :], Y[cfg["n_train"] :]


def label_counts(Y, n_classes):
    if hasattr(Y, "indices"):
        return np.bincount(Y.indices, minlength=n_classes)
    return np.bincount(Y, minlength=n_classes)


def params_of(method, cfg, n_random):
    common = dict(
        hidden_size=cfg["hidden_size"],
        n_classes=cfg["n_classes"],
        batch_size=cfg["batch_size"],
        learning_rate=cfg["learning_rate"],
        n_epochs=cfg["n_epochs"],
        random_state=cfg["seed"],
    )
    if method == "dense":
        return dict(common, sampling="dense")
    if method == "in_batch":
        return dict(common, sampling="random", n_sampled=0)
    batch = cfg.get("active_set") == "batch"
    if method == "random":  # under SLIDE's cap too, so that both compute as many outputs
        if batch:  # the batch's labels and n_random random neurons, one set per batch
            return dict(common, sampling="random", n_sampled=n_random, active_set="batch")
        return dict(common, sampling="random", n_sampled=n_random, max_active=cfg["max_active"])
    lsh = dict(common, **_bench_slide().lsh_params(cfg), max_active=cfg["max_active"])
    if batch:  # one set per batch: labels, the most shared hits, random neurons to the cap
        lsh.update(active_set="batch", min_active=cfg["max_active"])
    return lsh


def _example_sets_step(net, H, ptr, ids, rng, adam):
    """One step with an active set per example; times after each phase, rows touched."""
    from rushml import _slide_kernels as k

    active, n_active = net._active(H, ptr, ids, rng)
    t = [time.perf_counter()]
    G, dH, _ = k.output_forward_backward(H, net.W2_, net.b2_, active, n_active, np.diff(ptr))
    t.append(time.perf_counter())
    valid = np.arange(active.shape[1])[None, :] < n_active[:, None]
    rows = active[valid]
    k.scatter_adam(
        net.W2_, *net._moments["W2"], net.b2_, *net._moments["b2"], rows,
        np.nonzero(valid)[0].astype(np.int64), G[valid] / np.float32(H.shape[0]), H, **adam,
    )  # fmt: skip
    t.append(time.perf_counter())
    return t, dH, int(np.unique(rows).size)


def _batch_set_step(net, H, ptr, ids, rng, adam):
    """One step with one active set per batch (``active_set="batch"``)."""
    from rushml import _slide_batch as sb

    rows = net._batch_set(H, ptr, ids, rng)
    t = [time.perf_counter()]
    G, dH, _ = sb.block_forward_backward(
        H, net.W2_[rows], net.b2_[rows], ptr, np.searchsorted(rows, ids)
    )
    G /= np.float32(H.shape[0])
    gW, gb = G.T @ H, G.sum(axis=0)
    t.append(time.perf_counter())
    sb.rows_adam(net.W2_, *net._moments["W2"], rows, gW, **adam)
    sb.rows_adam(net.b2_, *net._moments["b2"], rows, gb, **adam)
    t.append(time.perf_counter())
    return t, dH, int(rows.size)


def profile_steps(net, X, Y, n_batches, seed):
    """Wall seconds of each phase of ``n_batches`` training steps, and of one refill."""
    from rushml import _slide_kernels as k
    from rushml.slide import _labels_csr

    step = _batch_set_step if net.active_set == "batch" else _example_sets_step
    rng = np.random.default_rng(seed)
    lab_ptr, lab_ids, _ = _labels_csr(Y, net.n_classes_)
    phases = {p: [] for p in ("hidden", "active_set", "forward_backward", "adam_output")}
    phases["adam_input"] = []
    n_unique = []
    adam = dict(lr=0.0, beta1=0.9, beta2=0.999, eps=1e-8, step=net._step + 1)
    previous = k.set_threads(None)
    try:
        for _ in range(n_batches):
            idx = np.sort(rng.choice(X.shape[0], net.batch_size, replace=False))
            Xb = X[idx]
            ptr = np.concatenate([[0], np.cumsum(lab_ptr[idx + 1] - lab_ptr[idx])])
            ids = np.concatenate([lab_ids[lab_ptr[i] : lab_ptr[i + 1]] for i in idx])
            t = [time.perf_counter()]
            H = net._hidden(Xb)
            t.append(time.perf_counter())
            middle, dH, touched = step(
                net, H, ptr.astype(np.int64), ids.astype(np.int64), rng, adam
            )
            t += middle
            M, V = net._moments["W1"]
            empty = np.zeros(0, dtype=np.float32)
            k.scatter_adam(
                net.W1_, M, V, empty, empty, empty, *net._input_pairs(Xb, len(idx)), dH, **adam
            )
            t.append(time.perf_counter())
            for name, a, b_ in zip(phases, t[:-1], t[1:], strict=True):
                phases[name].append(b_ - a)
            n_unique.append(touched)
        t0 = time.perf_counter()
        net._touched[:] = True  # the worst case: every neuron changed since the last refill
        net._refill_tables(rng, new_functions=False)
        refill_all = time.perf_counter() - t0
    finally:
        k.set_threads(previous)
    out = {name: float(np.median(v)) for name, v in phases.items()}
    out["step_total"] = float(sum(out.values()))
    out["distinct_output_rows_per_batch"] = float(np.mean(n_unique))
    out["refill_every_row_seconds"] = refill_all
    out["note"] = "lr=0 steps: same arithmetic as training, the weights do not move"
    return out


def run_one(method, law, cfg, n_random):
    """Train (or count, for ``mode``) one method in this child process."""
    from rushml.metrics import precision_at_k
    from rushml.slide import SlideClassifier

    X_tr, Y_tr, X_te, Y_te = make_data(cfg, law)
    out = {"method": method}
    if method == "mode":
        top = np.argsort(-label_counts(Y_tr, cfg["n_classes"]), kind="stable")[:5]
        pred = np.broadcast_to(top, (X_te.shape[0], 5))
        out["p_at_1"] = [precision_at_k(pred, Y_te, 1)]
        out["p_at_5"] = [precision_at_k(pred, Y_te, 5)]
        out["train_time"] = [0.0]
        return out
    net = SlideClassifier(**params_of(method, cfg, n_random))
    SlideClassifier(**{**params_of(method, cfg, n_random), "n_epochs": 1}).fit(
        X_tr[:512], Y_tr[:512]
    )  # compile the kernels outside the clock
    net.fit(X_tr, Y_tr, eval_set=(X_te, Y_te), eval_every=cfg["eval_every"])
    h = net.history_
    out.update(
        train_time=h["train_time"],
        train_cpu_time=h["train_cpu_time"],
        examples=h["examples"],
        p_at_1=h["p_at_1"],
        p_at_5=h["p_at_5"],
        mean_active_per_eval=h["mean_active"],
        mean_active=float(net.active_counts_.mean()),
        epoch_seconds=net.epoch_times_,
        epoch_cpu_seconds=net.epoch_cpu_times_,
        ms_per_batch=1000 * float(np.sum(net.epoch_times_)) / len(net.loss_curve_),
        batch_cpu_ms_median=1000 * float(np.median(net.batch_cpu_times_)),
        multiply_adds_per_epoch=float(np.mean(net.epoch_multiply_adds_)),
    )
    if method == "slide":
        out.update(
            refills=net.n_rehash_,
            refill_cpu_seconds=net.refill_cpu_times_,
            rehashed_rows=net.rehashed_rows_,
            profile=profile_steps(net, X_tr, Y_tr, cfg["profile_batches"], cfg["seed"]),
        )
    out["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


def time_to_reach(result, target):
    """Training seconds at the first evaluation whose P@1 reaches ``target`` (None if none)."""
    for t, p in zip(result["train_time"], result["p_at_1"], strict=True):
        if p >= target:
            return t
    return None


def at_time(result, seconds):
    """P@1 of the last evaluation made by ``seconds`` of training (None if none)."""
    done = [p for t, p in zip(result["train_time"], result["p_at_1"], strict=True) if t <= seconds]
    return done[-1] if done else None


def summarise(res) -> dict:
    """The issue's ratios, from one law's results."""
    out = {}
    if "dense" not in res or "slide" not in res:
        return out
    d, s = res["dense"], res["slide"]
    best = max(d["p_at_1"])
    out["dense_best_p_at_1"] = best
    gains = np.diff(d["p_at_1"])
    out["dense_last_gain"] = float(gains[-1]) if gains.size else None
    out["dense_still_improving"] = bool(gains.size and gains[-1] > 0.01 * best)
    out["slide_best_p_at_1"] = max(s["p_at_1"])
    out["slide_p_at_1_ratio_vs_dense_best"] = max(s["p_at_1"]) / max(best, 1e-12)
    reach = 0.95 * best
    t_slide, t_dense = time_to_reach(s, reach), time_to_reach(d, reach)
    out["slide_seconds_to_095_dense"] = t_slide
    out["dense_seconds_to_095_dense"] = t_dense
    out["slide_time_fraction_to_095_dense"] = (
        t_slide / t_dense if t_slide is not None and t_dense else None
    )
    # The same target as a number that always exists: SLIDE's best P@1 by one fifth of
    # dense's time to 0.95 of its best, over dense's best (0 if SLIDE had no evaluation
    # by then); at least 0.95 means SLIDE got there in a fifth of the time.
    early = [
        p for t, p in zip(s["train_time"], s["p_at_1"], strict=True) if t <= 0.2 * (t_dense or 0)
    ]
    out["slide_p_at_1_by_a_fifth_of_dense_time_over_dense_best"] = max(early, default=0.0) / max(
        best, 1e-12
    )
    out["speedup_per_epoch_vs_dense"] = float(np.mean(d["epoch_seconds"])) / float(
        np.mean(s["epoch_seconds"])
    )
    out["slide_ms_per_batch"] = s["ms_per_batch"]
    out["slide_active_fraction"] = s["mean_active"] / CONFIG_CLASSES
    for other in ("random", "in_batch"):
        if other not in res:
            continue
        r = res[other]
        # Point by point after the first epoch (the same examples seen at each point).
        per_epoch = len(s["p_at_1"]) // len(s["epoch_seconds"])
        pairs = list(zip(s["p_at_1"], r["p_at_1"], strict=False))[per_epoch:]
        ratios = [a / max(b, 1e-12) for a, b in pairs]
        out[f"slide_over_{other}_p_at_1_after_epoch_1"] = ratios
        out[f"slide_over_{other}_min_after_epoch_1"] = min(ratios) if ratios else None
        # At equal training time: the other's P@1 by the time SLIDE finished.
        other_then = at_time(r, s["train_time"][-1])
        out[f"slide_over_{other}_when_slide_finished"] = (
            s["p_at_1"][-1] / max(other_then, 1e-12) if other_then is not None else None
        )
        # And the other way: SLIDE's P@1 by the time the other finished, over the other's.
        slide_then = at_time(s, r["train_time"][-1])
        out[f"slide_over_{other}_when_{other}_finished"] = (
            slide_then / max(r["p_at_1"][-1], 1e-12) if slide_then is not None else None
        )
        out[f"{other}_best_p_at_1"] = max(r["p_at_1"])
    if "mode" in res:
        out["mode_p_at_1"] = res["mode"]["p_at_1"][0]
    out["slide_peak_rss_bytes"] = s["peak_rss_bytes"]
    return out


CONFIG_CLASSES = FULL["n_classes"]


def main(argv=None) -> int:
    global CONFIG_CLASSES
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--laws", nargs="+", choices=LAWS, default=list(LAWS))
    p.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    p.add_argument("--epochs", type=int)
    p.add_argument("--n-train", type=int)
    p.add_argument("--output", type=Path)
    p.add_argument(
        "--active-set",
        choices=("example", "batch"),
        default="example",
        help="SLIDE's and random sampling's active sets: one per example (SLIDE), or one "
        "per batch scored as a dense block (written to slide-curves-batch.json)",
    )
    p.add_argument(
        "--resummarise",
        action="store_true",
        help="recompute every law's summary from the results already in the output file",
    )
    p.add_argument(
        "--rehash-growth",
        type=float,
        default=1.0,
        help="factor on the refill period after every refill (SLIDE decays the refill "
        "frequency exponentially; 1 keeps the period fixed)",
    )
    args = p.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    if args.epochs:
        cfg["n_epochs"] = args.epochs
    if args.n_train:
        cfg["n_train"] = args.n_train
    CONFIG_CLASSES = cfg["n_classes"]
    name = "slide-curves-quick.json" if args.quick else "slide-curves.json"
    if args.rehash_growth != 1.0:
        cfg["rehash_growth"] = args.rehash_growth
    if args.active_set == "batch":
        cfg["active_set"] = "batch"
        name = name.replace("slide-curves", "slide-curves-batch")
    out_path = args.output or HERE / "results" / name
    if args.resummarise:
        report = json.loads(out_path.read_text())
        CONFIG_CLASSES = report["config"]["n_classes"]
        for entry in report["laws"].values():
            entry["summary"] = summarise(entry["results"])
        out_path.write_text(json.dumps(report, indent=1) + "\n")
        return 0
    report = {
        "benchmark": "slide-curves",
        "quick": args.quick,
        "config": cfg,
        "provenance": harness.provenance(
            "benchmarks/bench_slide_curves.py",
            sys.argv[1:] if argv is None else argv,
            packages=("torch",),
        ),
        "laws": {},
    }
    ctx = mp.get_context("spawn")
    # slide runs before random, which takes its active count.
    order = [m for m in METHODS if m in args.methods]
    for law in args.laws:
        res, n_random = {}, 1
        report["laws"][law] = {"results": res}
        for method in order:
            print(f"[slide-curves] {law} {method} ...", flush=True)
            load = list(os.getloadavg())
            with ctx.Pool(1) as pool:
                r = pool.apply(run_one, (method, law, cfg, n_random))
            r["load_average_before"], r["load_average_after"] = load, list(os.getloadavg())
            res[method] = r
            if method == "in_batch":
                in_batch_active = r["mean_active"]
            if method == "slide":
                shared = in_batch_active if "in_batch" in res else 0.0
                # Equal total count: the shared labels are in both active sets.
                n_random = max(1, round(r["mean_active"] - shared))
                report["laws"][law]["n_random_sampled"] = n_random
            print(
                f"[slide-curves] {law} {method}: P@1 {[round(x, 3) for x in r['p_at_1']]}"
                + (f", {r['ms_per_batch']:.0f} ms/batch" if "ms_per_batch" in r else ""),
                flush=True,
            )
            report["laws"][law]["summary"] = summarise(res)
            out_path.parent.mkdir(parents=True, exist_ok=True)
            out_path.write_text(json.dumps(report, indent=1) + "\n")
    harness.check_results(report)  # the partial writes above keep a long run's progress
    print(json.dumps({law: v["summary"] for law, v in report["laws"].items()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
