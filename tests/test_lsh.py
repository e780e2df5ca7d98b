"""LSH families and hash tables: collision laws, sparse input, storage policies, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from rushml.lsh import DWTAHash, LSHTables, SimHash


def _pair_at_angle(theta: float, dim: int, rng: np.random.Generator) -> np.ndarray:
    """Two unit vectors in R^dim at angle theta, in a random plane."""
    q, _ = np.linalg.qr(rng.standard_normal((dim, 2)))
    u, w = q[:, 0], q[:, 1]
    return np.stack([u, np.cos(theta) * u + np.sin(theta) * w])


def dwta_reference(X: np.ndarray, h: DWTAHash) -> np.ndarray:
    """Loop-by-loop DWTA: winner of each bin among nonzeros, empty bins densified."""
    n_functions, bin_size = h.bins_.shape
    codes = np.zeros((X.shape[0], h.n_tables), dtype=np.int64)
    for i, x in enumerate(X):
        win = np.full(n_functions, -1)
        for f in range(n_functions):
            best = None
            for pos, feat in enumerate(h.bins_[f]):
                if x[feat] != 0 and (best is None or x[feat] > x[h.bins_[f][best]]):
                    best = pos
            if best is not None:
                win[f] = best
        filled = win.copy()
        for f in range(n_functions):
            for probe in h.probes_[f]:
                if filled[f] >= 0:
                    break
                filled[f] = win[probe]
        filled[filled < 0] = 0
        # SLIDE's released code shifts winner k by k * floor(ln bin_size) bits.
        shift = int(np.floor(np.log(h.bin_size)))
        for t in range(h.n_tables):
            for k in range(h.n_hashes):
                value = int(filled[t * h.n_hashes + k])
                if h.bucket_index == "overlapping":
                    codes[i, t] += value << (k * shift)
                else:
                    codes[i, t] += value * h.bin_size**k
    return codes


@pytest.mark.parametrize("theta", [np.pi / 8, np.pi / 4, np.pi / 2, 3 * np.pi / 4])
def test_simhash_single_bit_collision_rate_matches_one_minus_theta_over_pi(theta):
    rng = np.random.default_rng(1)
    pair = _pair_at_angle(theta, 64, rng)
    h = SimHash(n_hashes=1, n_tables=4000, random_state=0).fit(pair)
    codes = h.hash(pair)
    rate = np.mean(codes[0] == codes[1])
    # 4000 independent bits: std of the rate <= 0.5 / sqrt(4000) = 0.008; 0.03 is > 3.7 sigma.
    assert rate == pytest.approx(1 - theta / np.pi, abs=0.03)


def test_simhash_table_collision_rate_is_bit_rate_to_the_power_k():
    rng = np.random.default_rng(2)
    theta, k = np.pi / 4, 3
    pair = _pair_at_angle(theta, 64, rng)
    h = SimHash(n_hashes=k, n_tables=3000, random_state=3).fit(pair)
    codes = h.hash(pair)
    rate = np.mean(codes[0] == codes[1])
    # p**K = 0.42; 3000 tables give std 0.009, so 0.04 is > 4 sigma.
    assert rate == pytest.approx((1 - theta / np.pi) ** k, abs=0.04)


def test_simhash_hashes_in_row_chunks_with_the_same_codes(monkeypatch):
    import rushml.lsh

    rng = np.random.default_rng(4)
    X = rng.standard_normal((101, 9)).astype(np.float32)
    h = SimHash(n_hashes=5, n_tables=3, random_state=0).fit(X)
    bits = (X @ h.projections_ >= 0).reshape(101, 3, 5)
    expected = (bits.astype(np.int64) << np.arange(5)).sum(axis=2)
    monkeypatch.setattr(rushml.lsh, "_HASH_BLOCK", 15 * 7)  # 7 rows per chunk, last one short
    assert np.array_equal(h.hash(X), expected)
    assert np.array_equal(h.hash(sp.csr_matrix(X)), expected)


def test_simhash_codes_lie_in_range_and_sparse_equals_dense():
    X = sp.random(20, 300, density=0.05, random_state=0, format="csr", dtype=np.float32)
    h = SimHash(n_hashes=5, n_tables=7, random_state=0).fit(X)
    sparse_codes, dense_codes = h.hash(X), h.hash(X.toarray())
    assert sparse_codes.shape == (20, 7)
    assert np.array_equal(sparse_codes, dense_codes)
    assert sparse_codes.min() >= 0 and sparse_codes.max() < h.n_buckets_ == 32


def test_dwta_sparse_input_matches_loop_reference_and_dense_input():
    X = sp.random(30, 500, density=0.01, random_state=4, format="csr", dtype=np.float32)
    X.data -= 0.3  # negative values too: the winner is the largest nonzero, not the largest |x|
    h = DWTAHash(n_hashes=3, n_tables=5, bin_size=8, random_state=0).fit(X)
    codes = h.hash(X)
    assert np.array_equal(codes, dwta_reference(X.toarray(), h))
    assert np.array_equal(codes, h.hash(X.toarray()))
    assert codes.min() >= 0 and codes.max() < h.n_buckets_ == 8**3


def test_dwta_compiled_path_for_large_matrices_gives_the_numpy_codes():
    rng = np.random.default_rng(11)
    W = rng.standard_normal((5000, 24)).astype(np.float32)  # >= 4096 rows: compiled path
    W[rng.random(W.shape) < 0.6] = 0  # many empty bins: densification is exercised
    W[7] = 0  # an all-zero row
    h = DWTAHash(n_hashes=3, n_tables=6, bin_size=4, random_state=0).fit(W)
    compiled = h.hash(W)
    numpy_path = np.concatenate([h.hash(W[a : a + 1000]) for a in range(0, 5000, 1000)])
    assert np.array_equal(compiled, numpy_path)
    assert np.array_equal(compiled[:40], dwta_reference(W[:40], h))


def test_dwta_overlapping_index_is_slides_shifted_sum_on_both_paths():
    rng = np.random.default_rng(12)
    W = np.maximum(rng.standard_normal((5000, 128)), 0).astype(np.float32)
    kw = dict(n_hashes=6, n_tables=7, bin_size=8, random_state=3)
    h = DWTAHash(**kw, bucket_index="overlapping").fit(W)
    distinct = DWTAHash(**kw).fit(W)  # the same bins and probes: only the index differs
    assert h.n_buckets_ == 7 * (1 + 4 + 16 + 64 + 256 + 1024) + 1 == 9556
    compiled = h.hash(W)  # >= 4096 rows: the compiled path
    assert np.array_equal(compiled, np.concatenate([h.hash(W[:2000]), h.hash(W[2000:])]))
    assert np.array_equal(compiled[:30], dwta_reference(W[:30], h))
    # From the distinct code's base-8 digits (the winners), 3-bit values 2 bits apart.
    digits = distinct.hash(W)[..., None] // 8 ** np.arange(6) % 8
    assert np.array_equal(compiled, (digits << (2 * np.arange(6))).sum(axis=-1))
    assert compiled.max() < h.n_buckets_ and np.unique(compiled).size < 9556
    # Fewer buckets, more vectors per bucket than the distinct index gives the same winners.
    assert np.unique(compiled[:, 0]).size < np.unique(distinct.hash(W)[:, 0]).size


def test_dwta_is_invariant_to_positive_scaling_and_zero_rows_get_code_zero():
    rng = np.random.default_rng(5)
    X = np.maximum(rng.standard_normal((10, 64)), 0)  # ReLU-like: many zeros
    h = DWTAHash(n_hashes=2, n_tables=6, random_state=0).fit(X)
    assert np.array_equal(h.hash(X), h.hash(3.5 * X))
    assert np.array_equal(h.hash(np.zeros((2, 64))), np.zeros((2, 6), dtype=np.int64))


def test_dwta_collides_more_for_overlapping_sparse_vectors():
    rng = np.random.default_rng(6)
    base = sp.random(1, 5000, density=0.01, random_state=7, format="csr").toarray()[0]
    near = base.copy()
    near[np.flatnonzero(base)[:5]] = 0  # drop 10% of the 50 nonzeros
    far = sp.random(1, 5000, density=0.01, random_state=8, format="csr").toarray()[0]
    X = sp.csr_matrix(np.stack([base, near, far]))
    h = DWTAHash(n_hashes=1, n_tables=2000, random_state=int(rng.integers(1000))).fit(X)
    codes = h.hash(X)
    near_rate, far_rate = np.mean(codes[0] == codes[1]), np.mean(codes[0] == codes[2])
    # Unrelated vectors collide at about 1/bin_size = 0.125 (empty bins borrow from random
    # bins); vectors sharing 90% of their support collide far more often.
    assert near_rate > 0.6
    assert far_rate < 0.25


def test_tables_return_an_item_queried_with_its_own_hash():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((500, 32)).astype(np.float32)
    h = SimHash(n_hashes=6, n_tables=4, random_state=0).fit(X)
    codes = h.hash(X)
    tables = LSHTables(n_tables=4, n_buckets=h.n_buckets_, bucket_size=500)
    tables.insert(np.arange(500), codes)
    hits = tables.query(codes)
    assert all(i in got for i, got in enumerate(hits))


def test_query_counts_say_how_many_tables_agree():
    tables = LSHTables(n_tables=3, n_buckets=4)
    tables.insert([10, 11, 12], [[0, 1, 2], [0, 1, 3], [0, 2, 3]])
    hits, counts = tables.query([0, 1, 3], return_counts=True)
    assert hits[0].tolist() == [10, 11, 12]
    assert counts[0].tolist() == [2, 3, 2]


def test_filling_empty_fifo_tables_compiled_matches_the_general_insert():
    rng = np.random.default_rng(12)
    ids = rng.permutation(6000)  # >= 4096 items into empty FIFO tables: compiled path
    codes = rng.integers(0, 64, (6000, 3))  # ~94 items per bucket, capacity 50: overflow
    fast = LSHTables(n_tables=3, n_buckets=64, bucket_size=50).insert(ids, codes)
    slow = LSHTables(n_tables=3, n_buckets=64, bucket_size=50)
    slow.insert(ids[:2000], codes[:2000]).insert(ids[2000:], codes[2000:])  # general path
    assert np.array_equal(fast.offsets_, slow.offsets_)
    assert np.array_equal(fast.items_, slow.items_)
    assert np.array_equal(fast.seen_, slow.seen_)


def test_fifo_bucket_keeps_the_most_recent_items():
    tables = LSHTables(n_tables=1, n_buckets=2, bucket_size=3, policy="fifo")
    tables.insert(np.arange(4), np.zeros((4, 1), dtype=int))
    tables.insert([4, 5], [[0], [1]])
    assert tables.bucket(0, 0).tolist() == [2, 3, 4]
    assert tables.bucket(0, 1).tolist() == [5]
    assert tables.seen_[0].tolist() == [5, 1]


def test_reservoir_bucket_keeps_a_uniform_sample_of_all_arrivals():
    cap, n_items, n_runs = 10, 200, 300
    kept_early = kept_late = 0
    for seed in range(n_runs):
        tables = LSHTables(
            n_tables=1, n_buckets=1, bucket_size=cap, policy="reservoir", random_state=seed
        )
        for start in range(0, n_items, 20):  # arrivals in 10 separate inserts
            tables.insert(np.arange(start, start + 20), np.zeros((20, 1), dtype=int))
        kept = tables.bucket(0, 0)
        assert kept.size == cap and np.unique(kept).size == cap
        kept_early += np.sum(kept < 100)
        kept_late += np.sum(kept >= 100)
    # Uniform: each half holds 5 of the 10 kept on average; over 300 runs the share of the
    # first half has std about 0.5 * sqrt(1/3000) * sqrt(190/199) = 0.009; FIFO would give 0.
    share = kept_early / (kept_early + kept_late)
    assert share == pytest.approx(0.5, abs=0.04)


def test_hash_rejects_a_width_it_was_not_fitted_for():
    h = SimHash(n_hashes=2, n_tables=2, random_state=0).fit(np.zeros((1, 8)))
    with pytest.raises(ValueError, match="X has 9 features, the hash was fitted for 8"):
        h.hash(np.zeros((1, 9)))
    with pytest.raises(RuntimeError, match="DWTAHash is not fitted"):
        DWTAHash().hash(np.zeros((1, 8)))


@pytest.mark.parametrize(
    ("family", "params", "message"),
    [
        (SimHash, {"n_hashes": 0}, "n_hashes must be an integer >= 1, got 0"),
        (SimHash, {"n_tables": 0}, "n_tables must be an integer >= 1, got 0"),
        (SimHash, {"n_hashes": 63}, "n_hashes must be <= 62"),
        (SimHash, {"density": 0.0}, r"density must be in \(0, 1\], got 0.0"),
        (DWTAHash, {"n_hashes": 0}, "n_hashes must be an integer >= 1, got 0"),
        (DWTAHash, {"n_tables": 0}, "n_tables must be an integer >= 1, got 0"),
        (DWTAHash, {"bin_size": 1}, "bin_size must be an integer >= 2, got 1"),
        (DWTAHash, {"n_hashes": 30}, r"n_hashes=30 gives \d+ buckets, not below 2\*\*62"),
        (DWTAHash, {"bucket_index": "shifted"}, r"bucket_index must be 'distinct' or 'overlap"),
    ],
)
def test_hash_families_reject_bad_parameters_at_fit(family, params, message):
    h = family(**params)  # stored as given; checked in fit
    with pytest.raises(ValueError, match=message):
        h.fit(np.zeros((1, 16)))


def test_tables_reject_bad_configuration_and_codes():
    with pytest.raises(ValueError, match="n_tables must be an integer >= 1, got 0"):
        LSHTables(n_tables=0, n_buckets=4)
    with pytest.raises(ValueError, match="bucket_size must be an integer >= 1, got 0"):
        LSHTables(n_tables=1, n_buckets=4, bucket_size=0)
    with pytest.raises(ValueError, match="policy must be 'fifo' or 'reservoir', got 'lru'"):
        LSHTables(n_tables=1, n_buckets=4, policy="lru")
    tables = LSHTables(n_tables=2, n_buckets=4)
    with pytest.raises(ValueError, match=r"codes must lie in \[0, n_buckets=4\)"):
        tables.insert([0], [[0, 4]])
    with pytest.raises(ValueError, match=r"codes must have shape \(n, n_tables=2\)"):
        tables.query([[0, 1, 2]])
    with pytest.raises(ValueError, match="ids has 2 items but codes has 1 rows"):
        tables.insert([0, 1], [[0, 1]])
