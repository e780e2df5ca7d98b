import numpy as np
import pytest

from rushml.sketch import CountMinSketch


def test_estimates_never_fall_below_true_counts():
    rng = np.random.default_rng(1)
    stream = rng.zipf(1.3, size=20_000) % 5_000
    sketch = CountMinSketch(width=64, depth=3, random_state=0).update(stream)
    truth = np.bincount(stream, minlength=5_000)
    assert np.all(sketch.query(np.arange(5_000)) >= truth)


def test_wide_sketch_is_exact_when_no_collisions_are_possible():
    # 20 distinct ids in 2**16 counters per row, 4 rows: a collision in every row at once
    # for some id has probability below 20 * (20 / 2**16) ** 4, about 1e-13.
    items = np.arange(20) * 7919
    counts = np.arange(1, 21)
    sketch = CountMinSketch(width=1 << 16, depth=4, random_state=3).update(items, counts)
    np.testing.assert_array_equal(sketch.query(items), counts)


def test_error_bound_holds_for_all_but_delta_of_items():
    rng = np.random.default_rng(2)
    stream = rng.integers(0, 2_000, size=50_000)
    sketch = CountMinSketch(width=272, depth=5, random_state=4).update(stream)
    truth = np.bincount(stream, minlength=2_000)
    over = np.mean(sketch.query(np.arange(2_000)) - truth > sketch.epsilon * sketch.total_)
    assert over <= sketch.delta


def test_same_seed_gives_same_table_and_other_seed_differs():
    stream = np.arange(1_000) % 97
    a = CountMinSketch(width=32, depth=2, random_state=5).update(stream).counts_
    b = CountMinSketch(width=32, depth=2, random_state=5).update(stream).counts_
    c = CountMinSketch(width=32, depth=2, random_state=6).update(stream).counts_
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"width": 0, "depth": 2}, "width must be >= 1, got 0"),
        ({"width": 8, "depth": 0}, "depth must be >= 1, got 0"),
    ],
)
def test_bad_shape_is_rejected_with_the_parameter_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CountMinSketch(**kwargs)


def test_negative_counts_are_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        CountMinSketch(width=8, depth=2).update([1, 2], [1, -1])
