"""SLIDE: compiled kernels against NumPy references, dense equivalence, determinism, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from rushml import _lsh_kernels
from rushml import _slide_kernels as kernels
from rushml._slide_batch import batch_set, random_fill
from rushml.datasets import make_extreme_classification
from rushml.lsh import LSHTables
from rushml.metrics import precision_at_k
from rushml.slide import SlideClassifier

# -- plain-NumPy references of the kernels ------------------------------------------------


def gather_active_reference(codes, tables, lab_ptr, lab_ids, extra, max_active, fill_to, shared=()):
    """Labels; shared ids; hits in retrieval order, the most-voted kept (ties: first
    retrieved); extras."""
    out = []
    for i in range(codes.shape[0]):
        labels = lab_ids[lab_ptr[i] : lab_ptr[i + 1]].tolist()
        others = [x for x in dict.fromkeys(shared) if x not in labels]
        fixed = labels + others[: max(max_active - len(labels), 0)]
        votes = {}  # insertion order = order of first retrieval, table by table
        for t in range(codes.shape[1]):
            for x in tables.bucket(t, codes[i, t]).tolist():
                if x not in fixed:
                    votes[x] = votes.get(x, 0) + 1
        ranked = sorted(votes, key=lambda c: -votes[c])  # stable: ties keep retrieval order
        keep = set(ranked[: max(max_active - len(fixed), 0)])
        active = fixed + [c for c in votes if c in keep]
        for e in extra[i].tolist():
            if len(active) >= min(fill_to[i], max(max_active, len(fixed))):
                break
            if e not in active:
                active.append(e)
        out.append(active)
    return out


def forward_backward_reference(H, W, b, active_rows, n_labels):
    """Softmax cross-entropy over each active set, in float64."""
    H, W, b = H.astype(np.float64), W.astype(np.float64), b.astype(np.float64)
    G, dH, loss = [], np.zeros_like(H), np.zeros(H.shape[0])
    for i, act in enumerate(active_rows):
        z = W[act] @ H[i] + b[act]
        p = np.exp(z - z.max())
        p /= p.sum()
        t = np.zeros(len(act))
        t[: n_labels[i]] = 1.0 / n_labels[i]
        loss[i] = -np.sum(t[: n_labels[i]] * np.log(p[: n_labels[i]]))
        g = p - t
        G.append(g)
        dH[i] = (g @ W[act]) * (H[i] > 0)
    return G, dH, loss


def adam_rows_reference(W, M, V, rows, ex, coef, src, lr, beta1, beta2, eps, step):
    """Lazy Adam in float64: only rows named by a contribution move."""
    W, M, V = (a.astype(np.float64) for a in (W, M, V))
    grad = np.zeros_like(W)
    np.add.at(grad, rows, coef[:, None] * src[ex])
    touched = np.unique(rows)
    g = grad[touched]
    M[touched] = beta1 * M[touched] + (1 - beta1) * g
    V[touched] = beta2 * V[touched] + (1 - beta2) * g**2
    mhat, vhat = M[touched] / (1 - beta1**step), V[touched] / (1 - beta2**step)
    W[touched] -= lr * mhat / (np.sqrt(vhat) + eps)
    return W, M, V


def retrieve_topk_reference(H, W, b, codes, tables, extra, k):
    """Union of the prior and the example's buckets, scored in float64, best k (ties: low id)."""
    out = []
    for i in range(H.shape[0]):
        cand = set(extra.tolist())
        for t in range(codes.shape[1]):
            cand.update(tables.bucket(t, codes[i, t]).tolist())
        cand = np.array(sorted(cand), dtype=np.int64)
        z = W[cand].astype(np.float64) @ H[i].astype(np.float64) + b[cand]
        order = np.lexsort((cand, -z))[:k]
        out.append((cand[order].tolist(), cand.size))
    return out


# -- kernels against references -------------------------------------------------------


def test_gather_active_kernel_matches_reference_labels_first_vote_cap_and_fill():
    rng = np.random.default_rng(0)
    n_items, n_tables, n_buckets = 300, 6, 16
    tables = LSHTables(n_tables=n_tables, n_buckets=n_buckets, bucket_size=20, random_state=0)
    tables.insert(rng.permutation(n_items), rng.integers(0, n_buckets, (n_items, n_tables)))
    codes = rng.integers(0, n_buckets, (40, n_tables))
    lab_ptr = np.concatenate([[0], np.cumsum(rng.integers(0, 4, 40))]).astype(np.int64)
    lab_ids = np.concatenate(
        [rng.choice(n_items, size=k, replace=False) for k in np.diff(lab_ptr)]
    ).astype(np.int64)
    extra = rng.integers(0, n_items, (40, 30)).astype(np.int64)  # repeats included
    fill_to = rng.integers(0, 40, 40)
    # Shared ids: some are labels of some rows, one repeats (it counts once).
    shared = np.concatenate([lab_ids[:3], rng.choice(n_items, 5, replace=False), lab_ids[:1]])
    for max_active, shared_ids in itertools.product((15, 25, 10_000), (None, shared)):
        active, n_active = kernels.gather_active(
            codes,
            tables.offsets_,
            tables.items_,
            lab_ptr,
            lab_ids,
            extra,
            max_active,
            fill_to,
            n_items,
            shared=shared_ids,
        )
        expected = gather_active_reference(
            codes,
            tables,
            lab_ptr,
            lab_ids,
            extra,
            max_active,
            fill_to,
            shared=() if shared_ids is None else shared_ids.tolist(),
        )
        got = [active[i, : n_active[i]].tolist() for i in range(40)]
        assert got == expected


def test_retrieve_topk_kernel_matches_reference_union_exact_scores_and_order():
    rng = np.random.default_rng(5)
    n_items, n_tables, n_buckets, hidden = 400, 5, 8, 12
    tables = LSHTables(n_tables=n_tables, n_buckets=n_buckets, bucket_size=30, random_state=0)
    tables.insert(rng.permutation(n_items), rng.integers(0, n_buckets, (n_items, n_tables)))
    codes = rng.integers(0, n_buckets, (30, n_tables))
    H = np.maximum(rng.standard_normal((30, hidden)), 0).astype(np.float32)
    # Scores on a coarse grid, so ties occur and their order (lower id first) is checked.
    W = (rng.integers(-3, 4, (n_items, hidden)) / 4).astype(np.float32)
    b = (rng.integers(-2, 3, n_items) / 4).astype(np.float32)
    H = np.round(H * 4) / 4
    for extra, k in ((np.zeros(0, np.int64), 1), (np.array([7, 3, 399], np.int64), 5)):
        ids, scores, n_cand = _lsh_kernels.retrieve_topk(
            H, W, b, codes, tables.offsets_, tables.items_, extra, k
        )
        expected = retrieve_topk_reference(H, W, b, codes, tables, extra, k)
        assert [row.tolist() for row in ids] == [e[0] for e in expected]
        assert n_cand.tolist() == [e[1] for e in expected]
        np.testing.assert_allclose(scores, np.sum(W[ids] * H[:, None, :], axis=2) + b[ids])


def test_retrieve_topk_pads_with_minus_one_when_candidates_are_fewer_than_k():
    tables = LSHTables(n_tables=1, n_buckets=4, bucket_size=2, random_state=0)
    tables.insert(np.arange(3), np.array([[0], [0], [1]]))
    H = np.ones((1, 2), np.float32)
    W = np.arange(6, dtype=np.float32).reshape(3, 2)
    ids, scores, n_cand = _lsh_kernels.retrieve_topk(
        H,
        W,
        np.zeros(3, np.float32),
        np.array([[0]]),
        tables.offsets_,
        tables.items_,
        np.zeros(0, np.int64),
        4,
    )
    assert ids.tolist() == [[1, 0, -1, -1]] and n_cand.tolist() == [2]
    assert np.isneginf(scores[0, 2:]).all()


def test_forward_backward_kernel_matches_float64_reference():
    rng = np.random.default_rng(1)
    n, hidden, n_out = 12, 16, 50
    H = np.maximum(rng.standard_normal((n, hidden)), 0).astype(np.float32)
    W = rng.standard_normal((n_out, hidden)).astype(np.float32)
    b = rng.standard_normal(n_out).astype(np.float32)
    n_labels = rng.integers(1, 4, n).astype(np.int64)
    rows = [rng.choice(n_out, size=int(k) + 8, replace=False) for k in n_labels]
    active = np.full((n, 12), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        active[i, : r.size] = r
    n_active = np.array([r.size for r in rows], dtype=np.int64)
    G, dH, loss = kernels.output_forward_backward(H, W, b, active, n_active, n_labels)
    G_ref, dH_ref, loss_ref = forward_backward_reference(H, W, b, rows, n_labels)
    # float32 sums of at most 12 terms of size O(1): errors stay below 1e-5.
    for i in range(n):
        np.testing.assert_allclose(G[i, : n_active[i]], G_ref[i], atol=1e-5)
        assert np.all(G[i, n_active[i] :] == 0)
    np.testing.assert_allclose(dH, dH_ref, atol=1e-5)
    np.testing.assert_allclose(loss, loss_ref, atol=1e-5)


def test_scatter_adam_kernel_matches_lazy_adam_reference_and_leaves_other_rows():
    rng = np.random.default_rng(2)
    n_rows, dim, n_ex, n_pairs = 40, 8, 6, 70
    W = rng.standard_normal((n_rows, dim)).astype(np.float32)
    M = (0.1 * rng.standard_normal((n_rows, dim))).astype(np.float32)
    V = (0.1 * rng.random((n_rows, dim))).astype(np.float32)
    rows = rng.integers(0, n_rows // 2, n_pairs).astype(np.int64)  # upper half untouched
    ex = rng.integers(0, n_ex, n_pairs).astype(np.int64)
    coef = rng.standard_normal(n_pairs).astype(np.float32)
    src = rng.standard_normal((n_ex, dim)).astype(np.float32)
    hyper = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, step=3)
    W_ref, M_ref, V_ref = adam_rows_reference(W, M, V, rows, ex, coef, src, **hyper)
    before = W.copy()
    empty = np.zeros(0, dtype=np.float32)
    kernels.scatter_adam(W, M, V, empty, empty, empty, rows, ex, coef, src, **hyper)
    # float32 Adam steps of size <= lr = 0.01: agreement to 1e-5 is float32 rounding.
    np.testing.assert_allclose(W, W_ref, atol=1e-5)
    np.testing.assert_allclose(M, M_ref, atol=1e-5)
    np.testing.assert_allclose(V, V_ref, atol=1e-5)
    untouched = np.setdiff1d(np.arange(n_rows), rows)
    assert np.array_equal(W[untouched], before[untouched])


def test_dense_adam_kernel_matches_the_adam_reference_on_every_entry():
    rng = np.random.default_rng(4)
    W = rng.standard_normal((30, 5)).astype(np.float32)
    M = (0.1 * rng.standard_normal((30, 5))).astype(np.float32)
    V = (0.1 * rng.random((30, 5))).astype(np.float32)
    G = rng.standard_normal((30, 5)).astype(np.float32)
    hyper = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, step=5)
    # The row reference with one contribution per row, of coefficient 1 and vector G[r].
    rows = np.arange(30)
    W_ref, M_ref, V_ref = adam_rows_reference(
        W, M, V, rows, rows, np.ones(30, np.float32), G, **hyper
    )
    kernels.dense_adam(W, M, V, G, **hyper)
    # float32 steps of size <= lr = 0.01: agreement to 1e-5 is float32 rounding.
    np.testing.assert_allclose(W, W_ref, atol=1e-5)
    np.testing.assert_allclose(M, M_ref, atol=1e-5)
    np.testing.assert_allclose(V, V_ref, atol=1e-5)


# -- the network ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data():
    X, y = make_extreme_classification(
        900, n_features=2000, n_classes=200, n_nonzero=15, random_state=0
    )
    return X, y


def _net(**params):
    base = dict(
        hidden_size=16,
        n_classes=200,
        learning_rate=1e-2,
        batch_size=128,
        n_hashes=2,
        n_tables=8,
        random_state=0,
    )
    base.update(params)
    return SlideClassifier(**base)


def test_with_every_neuron_active_sparse_gradients_equal_dense_gradients(data):
    X, y = data
    Xb, yb = X[:128], y[:128]
    sparse = _net(sampling="random", n_sampled=200).gradients(Xb, yb)
    dense = _net(sampling="dense").gradients(Xb, yb)
    # Same float32 weights, only the summation order differs: 1e-5 absolute.
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(sparse[name], dense[name], atol=1e-5, err_msg=name)
    assert sparse["loss"] == pytest.approx(dense["loss"], abs=1e-5)
    assert np.abs(dense["W2"]).max() > 1e-3  # the comparison is not between zeros


def test_with_every_neuron_active_a_few_steps_give_the_dense_losses(data):
    X, y = data
    sparse = _net(sampling="random", n_sampled=200).fit(X[:384], y[:384])
    dense = _net(sampling="dense").fit(X[:384], y[:384])
    assert len(sparse.loss_curve_) == 3
    assert np.all(sparse.active_counts_ == 200)
    # Three Adam steps of float32 arithmetic in a different order: 1e-4 relative.
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(sparse.W2_, dense.W2_, atol=1e-4)


def test_lsh_training_is_deterministic_single_threaded_and_independent_of_threads(data):
    X, y = data
    a = _net(n_jobs=1, n_epochs=2).fit(X, y)
    b = _net(n_jobs=1, n_epochs=2).fit(X, y)
    c = _net(n_jobs=2, n_epochs=2).fit(X, y)
    assert np.array_equal(a.W2_, b.W2_) and np.array_equal(a.W1_, b.W1_)
    assert a.loss_curve_ == b.loss_curve_
    # No two threads write the same weight, so the thread count cannot change a bit.
    assert np.array_equal(a.W2_, c.W2_)
    d = _net(n_jobs=1, n_epochs=2, random_state=1).fit(X, y)
    assert not np.array_equal(a.W2_, d.W2_)


def test_lsh_active_set_holds_the_labels_and_a_fraction_of_the_outputs(data):
    X, y = data
    net = _net(n_epochs=1).fit(X, y)
    assert net.active_counts_.min() >= 1
    assert net.active_counts_.mean() < 0.6 * 200
    capped = _net(n_epochs=1, max_active=10).fit(X, y)
    assert capped.active_counts_.max() <= 10
    filled = _net(n_epochs=1, min_active=60, max_active=60).fit(X, y)
    # Random fillers make up the difference; 60 of 200 leaves plenty of unused ids.
    assert np.all(filled.active_counts_ == 60)
    with pytest.raises(ValueError, match="min_active=61 exceeds max_active=60"):
        _net(min_active=61, max_active=60).fit(X, y)


@pytest.mark.parametrize("family", ["dwta", "simhash"])
def test_slide_learns_far_above_chance_with_either_hash_family(data, family):
    X, y = data
    net = _net(
        hash_family=family, n_hashes=2 if family == "dwta" else 4, n_epochs=10, learning_rate=3e-2
    )
    net.fit(X[:700], y[:700])
    p1 = precision_at_k(net.predict_topk(X[700:], k=3), y[700:], 1)
    majority = np.mean(y[700:] == np.bincount(y[:700]).argmax())
    # Classes follow a power law, so always answering the head class already scores;
    # a network that learned something beats it clearly (seed 0 gives about +0.3).
    assert p1 > majority + 0.15
    assert net.predict(X[700:710]).shape == (10,)


def test_lsh_prediction_with_every_class_as_prior_equals_exact_prediction(data):
    X, y = data
    net = _net(n_epochs=2).fit(X[:700], y[:700])
    exact = net.predict_topk(X[700:], k=3)
    # Class-blocked chunks of any size give the same answer.
    assert np.array_equal(net.predict_topk(X[700:], k=3, chunk_size=7), exact)
    net.build_index(n_prior=200, random_state=0)
    assert np.array_equal(net.predict_topk(X[700:], k=3, candidates="lsh"), exact)
    assert np.all(net.last_candidates_ == 200)


@pytest.mark.parametrize("k", [1, 4])
def test_exact_top_k_merged_over_class_blocks_equals_a_full_sort(data, k):
    X, y = data
    net = _net(n_epochs=1).fit(X[:300], y[:300])
    H = net._hidden(net._check_X(X[300:360], fitted=True))
    S = H.astype(np.float64) @ net.W2_.T.astype(np.float64) + net.b2_
    ids = np.arange(S.shape[1])
    expected = np.array([np.lexsort((ids, -row))[:k] for row in S])
    # Blocks of 13 classes: 16 merges, the last block shorter than k is fine too.
    got = net._exact_topk(H, k, class_block=13)
    assert np.array_equal(got, expected)


def test_lsh_prediction_scores_a_fraction_of_the_classes_and_keeps_most_of_exact_p_at_1(data):
    X, y = data
    net = _net(n_epochs=10, learning_rate=3e-2).fit(X[:700], y[:700])
    exact = precision_at_k(net.predict_topk(X[700:], k=1), y[700:], 1)
    net.build_index(n_hashes=1, n_tables=8, bucket_size=64, n_prior=10, random_state=0)
    lsh = precision_at_k(net.predict_topk(X[700:], k=1, candidates="lsh"), y[700:], 1)
    assert net.last_candidates_.mean() < 0.6 * 200
    # 200 test rows: seed 0 keeps about 0.95 of exact P@1; 0.8 leaves room for other seeds.
    assert lsh >= 0.8 * exact and exact > 0.3


def test_index_built_in_groups_of_tables_retrieves_the_union_of_every_group(data, monkeypatch):
    import rushml.slide_index

    X, y = data
    net = _net(n_epochs=2).fit(X[:600], y[:600])
    monkeypatch.setattr(rushml.slide_index, "GROUP", 3)  # 8 tables: groups of 3, 3 and 2
    net.build_index(hash_family="simhash", n_hashes=3, mips=True, random_state=0)
    index = net.index_
    assert [h.n_tables for h in index.hashes] == [3, 3, 2]
    assert index.offsets.shape == (8, 2**3 + 1)
    ids = net.predict_topk(X[600:650], k=2, candidates="lsh")
    H = net._hidden(net._check_X(X[600:650], fitted=True))
    Q = rushml.slide_index.mips_queries(H)
    codes = np.concatenate([h.hash(Q) for h in index.hashes], axis=1)
    for i in range(50):
        cand = set()
        for t in range(8):
            lo, hi = index.offsets[t, codes[i, t]], index.offsets[t, codes[i, t] + 1]
            cand.update(index.items[lo:hi].tolist())
        assert net.last_candidates_[i] == len(cand)
        cand = np.array(sorted(cand))
        z = H[i] @ net.W2_[cand].T + net.b2_[cand]
        assert set(ids[i][ids[i] >= 0]) <= set(cand[np.argsort(-z)[:2]].tolist()) | {-1}


def test_lsh_prediction_builds_its_index_on_first_use_and_refit_drops_it(data):
    X, y = data
    net = _net(n_epochs=1).fit(X[:300], y[:300])
    assert net.index_ is None
    first = net.predict_topk(X[300:340], k=2, candidates="lsh")
    assert net.index_.n_tables == 8 and first.shape == (40, 2)
    assert net.index_.offsets.shape[0] == 8
    assert np.array_equal(first, net.predict_topk(X[300:340], k=2, candidates="lsh"))
    net.fit(X[:300], y[:300])
    assert net.index_ is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_prior": -1}, r"n_prior must be an integer in \[0, 200\], got -1"),
        ({"n_tables": 0}, "n_tables must be an integer >= 1, got 0"),
        ({"hash_family": "minhash"}, "hash_family must be one of"),
    ],
)
def test_bad_index_parameters_raise_naming_the_parameter(data, params, message):
    X, y = data
    net = _net(n_epochs=1).fit(X[:200], y[:200])
    with pytest.raises(ValueError, match=message):
        net.build_index(**params)


def test_bad_candidates_value_raises(data):
    X, y = data
    net = _net(n_epochs=1).fit(X[:200], y[:200])
    with pytest.raises(ValueError, match="candidates must be 'all' or 'lsh', got 'tree'"):
        net.predict_topk(X[:5], candidates="tree")


def test_multi_label_targets_spread_the_loss_uniformly_over_the_labels():
    rng = np.random.default_rng(3)
    X = sp.random(8, 50, density=0.2, random_state=3, format="csr", dtype=np.float32)
    y = [rng.choice(30, size=k, replace=False) for k in (1, 2, 3, 1, 2, 3, 1, 2)]
    net = _net(sampling="random", n_sampled=30, n_classes=30)
    g = net.gradients(X, y)
    # Float64 reference: target 1/|labels| on each label, gradient p - t averaged over rows.
    H = np.maximum(X.toarray() @ net.W1_.astype(np.float64) + net.b1_, 0)
    Z = H @ net.W2_.T.astype(np.float64) + net.b2_
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    T = np.zeros_like(P)
    for i, labels in enumerate(y):
        T[i, labels] = 1.0 / len(labels)
    np.testing.assert_allclose(g["b2"], (P - T).mean(axis=0), atol=1e-6)
    indicator = sp.csr_matrix(
        (np.ones(sum(map(len, y))), np.concatenate(y), np.cumsum([0, *map(len, y)])),
        shape=(8, 30),
    )
    g_csr = _net(sampling="dense", n_classes=30).gradients(X, indicator)
    np.testing.assert_allclose(g["W2"], g_csr["W2"], atol=1e-6)


def test_tables_are_refilled_on_a_growing_schedule(data):
    X, y = data
    net = _net(rehash_period=128, rehash_growth=2.0, n_epochs=1, batch_size=64)
    net.fit(X[:896], y[:896])
    # Refills after 128, then 256 more (384), then 512 more (896): plus the initial fill.
    assert net.n_rehash_ == 4
    fixed = _net(rehash_period=128, rehash_growth=1.0, n_epochs=1, batch_size=64)
    assert fixed.fit(X[:896], y[:896]).n_rehash_ == 1 + 896 // 128


def test_history_records_clock_examples_and_precision(data):
    X, y = data
    net = _net(n_epochs=2).fit(X[:600], y[:600], eval_set=(X[600:], y[600:]), eval_every=300)
    h = net.history_
    assert h["examples"] == [384, 600, 984, 1200]
    assert np.all(np.diff(h["train_time"]) > 0)
    assert all(0 <= p <= 1 for p in h["p_at_1"])
    assert sum(net.epoch_times_) == pytest.approx(h["train_time"][-1], rel=1e-6)
    assert sum(net.epoch_cpu_times_) == pytest.approx(h["train_cpu_time"][-1], rel=1e-6)
    assert np.all(np.diff(h["train_cpu_time"]) > 0)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_hashes": 0}, "n_hashes must be an integer >= 1, got 0"),
        ({"n_tables": 0}, "n_tables must be an integer >= 1, got 0"),
        ({"hidden_size": 0}, "hidden_size must be an integer >= 1, got 0"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),
        ({"sampling": "topk"}, r"sampling must be one of \('lsh', 'random', 'dense'\)"),
        ({"sampling": "random"}, "sampling='random' needs n_sampled"),
        ({"learning_rate": 0.0}, "learning_rate must be a positive number, got 0.0"),
        ({"beta2": 1.0}, r"beta2 must be in \[0, 1\), got 1.0"),
        ({"rehash_growth": 0.5}, "rehash_growth must be a number >= 1, got 0.5"),
        ({"n_hashes": 40}, "gives 1329227995784915872903807060280344576 buckets"),
    ],
)
def test_bad_configuration_raises_at_fit_naming_the_parameter(data, params, message):
    X, y = data
    net = _net(**params)  # stored as given
    with pytest.raises(ValueError, match=message):
        net.fit(X[:10], y[:10])


def test_labels_outside_the_output_layer_and_mismatched_rows_raise(data):
    X, y = data
    bad = y[:10].copy()
    bad[3] = 200
    with pytest.raises(ValueError, match=r"label id 200 is outside \[0, n_classes=200\)"):
        _net().fit(X[:10], bad)
    with pytest.raises(ValueError, match="X has 10 rows but y has 9"):
        _net().fit(X[:10], y[:9])
    with pytest.raises(RuntimeError, match="SlideClassifier is not fitted yet"):
        _net().predict(X[:2])
    net = _net(sampling="dense", n_epochs=1).fit(X[:200], y[:200])
    with pytest.raises(ValueError, match="X has 5 features, the network was fitted with 2000"):
        net.predict(np.zeros((1, 5)))
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 200\], got 0"):
        net.predict_topk(X[:2], k=0)


# -- what makes the sampled softmax learn -------------------------------------------------


@pytest.fixture(scope="module")
def skewed():
    """A few thousand rows whose most frequent class holds about a sixth of them."""
    X, y = make_extreme_classification(
        6000, n_features=3000, n_classes=2000, label_exponent=1.1, random_state=0
    )
    return X[:5000], y[:5000], X[5000:], y[5000:]


def test_the_defaults_learn_far_above_predicting_the_mode(skewed):
    X, y, X_test, y_test = skewed
    mode_p1 = float(np.mean(y_test == np.bincount(y).argmax()))
    net = SlideClassifier(n_epochs=3, random_state=0).fit(X, y)
    p1 = float(np.mean(net.predict(X_test) == y_test))
    # The defaults shipped before (SLIDE's rate, no batch negatives) stayed at the mode.
    old = SlideClassifier(learning_rate=1e-4, batch_negatives=False, n_epochs=3, random_state=0)
    old_p1 = float(np.mean(old.fit(X, y).predict(X_test) == y_test))
    assert p1 > mode_p1 + 0.3, (p1, mode_p1)
    assert old_p1 < mode_p1 + 0.05, (old_p1, mode_p1)


def test_batch_negatives_keep_the_network_from_predicting_the_mode_for_most_rows(skewed):
    X, y, X_test, y_test = skewed
    mode = np.bincount(y).argmax()
    params = dict(sampling="random", n_sampled=50, n_epochs=3)
    without = SlideClassifier(**params, batch_negatives=False, random_state=0).fit(X, y)
    shared = SlideClassifier(**params, batch_negatives=True, random_state=0).fit(X, y)
    # Without them the head class is a positive of many rows of every batch and almost
    # never a negative: its logit mostly rises, and it wins most rows.
    assert np.mean(without.predict(X_test) == mode) > 0.6
    assert np.mean(shared.predict(X_test) == mode) < 0.3
    p1 = [float(np.mean(net.predict(X_test) == y_test)) for net in (without, shared)]
    assert p1[1] > p1[0] + 0.2, p1
    # Every example scored its batch's labels (about 70 distinct in a batch of 128) on
    # top of its 50 random neurons.
    assert shared.active_counts_.min() > 50 and shared.active_counts_.mean() > 100
    assert without.active_counts_.max() <= 51


def test_in_batch_negatives_alone_activate_exactly_the_batch_labels(skewed):
    X, y, _, _ = skewed
    net = SlideClassifier(sampling="random", n_sampled=0, batch_size=100, random_state=0)
    net.fit(X[:1000], y[:1000])
    order = np.random.default_rng(
        np.random.SeedSequence(np.random.default_rng(0).integers(2**63 - 1)).spawn(4)[1]
    ).permutation(1000)
    distinct = [np.unique(y[:1000][order[a : a + 100]]).size for a in range(0, 1000, 100)]
    assert net.active_counts_.tolist() == np.repeat(distinct, 100).tolist()


def test_a_refill_rehashes_only_the_updated_neurons_and_gets_every_code_right(data):
    X, y = data
    net = _net(n_epochs=1, batch_size=8, max_active=10, rehash_period=64, rebuild_period=10**6)
    checked = []
    refill = net._refill_tables

    def checked_refill(rng, new_functions):
        refill(rng, new_functions)
        # The codes kept are those of the current weights, as if every row were hashed.
        assert np.array_equal(net._codes, net._hash.hash(net.W2_))
        checked.append(net.rehashed_rows_[-1])

    net._refill_tables = checked_refill
    net.fit(X, y)
    assert len(checked) == net.n_rehash_ > 3
    assert checked[0] == 200  # new functions: every neuron
    assert all(0 < rows < 200 for rows in checked[1:])  # then only the updated ones


# -- one active set per batch -----------------------------------------------------------


def test_batch_set_keeps_every_label_then_the_most_shared_hits_then_random_fill():
    rng = np.random.default_rng(0)
    labels = np.array([7, 3, 7, 50])
    hits = np.array([[9, 11, 3, -1], [11, 12, -1, -1], [11, 9, 13, 14]])
    n_hits = np.array([3, 2, 4])
    # Room for 3 hits after the 3 distinct labels: 11 (3 examples), 9 (2), then the
    # smallest id among those retrieved once (3 is a label, so 12).
    got = batch_set(labels, hits, n_hits, cap=6, fill=0, n_outputs=100, rng=rng)
    assert got.tolist() == [3, 7, 9, 11, 12, 50]
    # No cap: every hit; filling to 20 adds distinct random ids not already chosen.
    full = batch_set(labels, hits, n_hits, cap=None, fill=20, n_outputs=100, rng=rng)
    assert full.size == 20 and np.unique(full).size == 20
    assert {3, 7, 50, 9, 11, 12, 13, 14} <= set(full.tolist())
    # Labels are kept even over the cap; a fill beyond the layer stops at the layer.
    assert batch_set(labels, hits, n_hits, 2, 0, 100, rng).tolist() == [3, 7, 50]
    assert batch_set(labels, hits, n_hits, None, 500, 100, rng).tolist() == list(range(100))


def test_random_fill_draws_distinct_free_ids_in_both_regimes():
    rng = np.random.default_rng(1)
    taken = np.array([0, 5, 9], dtype=np.int64)
    for n_outputs, count in ((10_000, 50), (12, 9)):  # sparse draw, then dense draw
        got = random_fill(rng, taken, count, n_outputs)
        assert got.size == count and np.unique(got).size == count
        assert not np.isin(got, taken).any() and got.min() >= 0 and got.max() < n_outputs


def test_batch_active_set_gradients_equal_the_dense_network_restricted_to_the_set(data):
    X, y = data
    Xb, yb = X[:128], y[:128]
    net = _net(active_set="batch", max_active=60, min_active=60)
    got = net.gradients(Xb, yb)
    rows = np.flatnonzero(np.abs(got["W2"]).sum(axis=1))
    assert rows.size == 60 and set(yb.tolist()) <= set(rows.tolist())
    # Reference in float64: a softmax over the set's neurons only, for every example.
    H = np.maximum(Xb.astype(np.float64) @ net.W1_ + net.b1_, 0)
    Z = H @ net.W2_[rows].T.astype(np.float64) + net.b2_[rows]
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    pos = np.searchsorted(rows, yb)
    loss = -np.log(P[np.arange(128), pos]).mean()
    P[np.arange(128), pos] -= 1
    P /= 128
    np.testing.assert_allclose(got["W2"][rows], P.T @ H, atol=1e-5)
    np.testing.assert_allclose(got["b2"][rows], P.sum(axis=0), atol=1e-5)
    dH = (P @ net.W2_[rows]) * (H > 0)
    np.testing.assert_allclose(got["b1"], dH.sum(axis=0), atol=1e-5)
    np.testing.assert_allclose(got["W1"], Xb.T @ dH, atol=1e-5)
    assert got["loss"] == pytest.approx(loss, abs=1e-5)
    # With every neuron in the set it is the dense network's gradient.
    whole = _net(sampling="random", n_sampled=200, active_set="batch").gradients(Xb, yb)
    dense = _net(sampling="dense").gradients(Xb, yb)
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(whole[name], dense[name], atol=1e-5, err_msg=name)


def test_batch_active_set_trains_deterministically_and_moves_only_the_sets_rows(data):
    X, y = data
    params = dict(active_set="batch", max_active=40, min_active=40, n_epochs=2)
    a = _net(n_jobs=1, **params).fit(X, y)
    b = _net(n_jobs=2, **params).fit(X, y)
    assert np.array_equal(a.W2_, b.W2_) and a.loss_curve_ == b.loss_curve_
    # Every example computed the same 40 neurons (more only where labels alone exceed 40).
    assert a.active_counts_.min() >= 40
    one = _net(**{**params, "n_epochs": 1}, batch_size=900).fit(X, y)  # a single step
    start = _net(**{**params, "n_epochs": 1}, batch_size=900)
    start.gradients(X[:1], y[:1])  # the initial weights, from the same seed
    moved = np.flatnonzero(np.any(one.W2_ != start.W2_, axis=1))
    assert moved.size == one.active_counts_[0]


def test_batch_active_set_with_lsh_learns_far_above_predicting_the_mode(skewed):
    X, y, X_test, y_test = skewed
    mode_p1 = float(np.mean(y_test == np.bincount(y).argmax()))
    common = dict(active_set="batch", n_epochs=3, random_state=0)
    lsh = SlideClassifier(max_active=400, min_active=400, **common).fit(X, y)
    p1 = float(np.mean(lsh.predict(X_test) == y_test))
    assert np.all(lsh.active_counts_ == 400)
    assert p1 > mode_p1 + 0.3, (p1, mode_p1)
