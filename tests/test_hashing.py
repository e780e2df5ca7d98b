import numpy as np
import pytest

from rushml.hashing import MERSENNE_PRIME, UniversalHashFamily


def test_hash_values_have_shape_dtype_and_range():
    h = UniversalHashFamily(n_buckets=37, n_hashes=5, random_state=0)
    out = h(np.arange(1000))
    assert out.shape == (5, 1000) and out.dtype == np.int64
    assert out.min() >= 0 and out.max() < 37


def test_bucket_loads_are_near_uniform():
    B, n = 100, 200_000
    h = UniversalHashFamily(n_buckets=B, n_hashes=4, random_state=1)
    for row in h(np.arange(n)):
        loads = np.bincount(row, minlength=B)
        # binomial sd of a load is sqrt(n/B) ~ 45; allow 5 sd around the mean 2000
        assert np.abs(loads - n / B).max() < 5 * np.sqrt(n / B)


def test_pairwise_collision_rate_over_draws_is_about_one_over_b():
    B, draws = 50, 40_000
    h = UniversalHashFamily(n_buckets=B, n_hashes=draws, random_state=2)
    rng = np.random.default_rng(0)
    keys = rng.choice(10**6, size=20, replace=False)
    out = h(keys)  # (draws, 20)
    for i, j in [(0, 1), (2, 3), (4, 19)]:
        rate = np.mean(out[:, i] == out[:, j])
        # expected 1/B = 0.02; binomial sd over 40k draws is 0.0007, so 0.004 is ~6 sd
        assert rate == pytest.approx(1 / B, abs=0.004)


def test_collision_rate_over_key_pairs_for_one_function_is_about_one_over_b():
    B = 64
    h = UniversalHashFamily(n_buckets=B, n_hashes=1, random_state=3)
    rng = np.random.default_rng(1)
    x, y = rng.choice(2**30, size=(2, 100_000), replace=False)
    rate = np.mean(h(x)[0] == h(y)[0])
    # 1/64 = 0.0156; sd over 100k pairs is 0.0004, so 0.002 is 5 sd
    assert rate == pytest.approx(1 / B, abs=0.002)


def test_repetitions_are_independent_so_joint_collisions_are_about_one_over_b_squared():
    B, draws = 10, 200_000
    h = UniversalHashFamily(n_buckets=B, n_hashes=draws, random_state=4)
    out = h(np.array([11, 12345]))
    same = out[:, 0] == out[:, 1]
    both = np.mean(same[0::2] & same[1::2])
    # 1/B**2 = 0.01 for independent draws; sd over 100k pairs is 0.0003
    assert both == pytest.approx(1 / B**2, abs=0.0015)


def test_same_seed_same_functions_other_seed_different():
    keys = np.arange(500)
    a = UniversalHashFamily(n_buckets=16, n_hashes=3, random_state=9)(keys)
    b = UniversalHashFamily(n_buckets=16, n_hashes=3, random_state=9)(keys)
    c = UniversalHashFamily(n_buckets=16, n_hashes=3, random_state=10)(keys)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_large_keys_do_not_overflow():
    h = UniversalHashFamily(n_buckets=1000, n_hashes=2, random_state=0)
    big = np.array([MERSENNE_PRIME - 1, MERSENNE_PRIME - 2], dtype=np.int64)
    expected = [
        ((int(a) * int(x) + int(b)) % MERSENNE_PRIME) % 1000
        for a, b in zip(h.a, h.b, strict=True)
        for x in big
    ]
    assert h(big).ravel().tolist() == expected


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_buckets=0), "n_buckets must be an integer >= 1, got 0"),
        (dict(n_buckets=4, n_hashes=0), "n_hashes must be an integer >= 1, got 0"),
        (dict(n_buckets=2.5), "n_buckets must be an integer >= 1, got 2.5"),
    ],
)
def test_bad_family_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        UniversalHashFamily(**kwargs)


def test_bad_keys_raise():
    h = UniversalHashFamily(n_buckets=4, random_state=0)
    with pytest.raises(ValueError, match=r"keys must be in \[0, 2\*\*31 - 1\)"):
        h(np.array([-1]))
    with pytest.raises(ValueError, match="keys must be integers, got dtype float64"):
        h(np.array([1.5]))
    with pytest.raises(ValueError, match="keys must be 1-d"):
        h(np.zeros((2, 2), dtype=int))
