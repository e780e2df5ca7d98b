"""Count-min sketch: the counting structure that MACH's decoding mirrors.

A count-min sketch keeps ``depth`` rows of ``width`` counters. Each row has its
own 2-universal hash of the item ids; an update adds to one counter per row, a
query returns the smallest of the item's ``depth`` counters. Collisions only
ever add, so estimates never fall below the true count, and with
``width = ceil(e / epsilon)`` and ``depth = ceil(ln(1 / delta))`` an estimate
exceeds the truth by more than ``epsilon * total`` with probability at most
``delta``.

References
----------
G. Cormode and S. Muthukrishnan, "An improved data stream summary: the
count-min sketch and its applications", Journal of Algorithms 55(1), 2005.
"""

from __future__ import annotations

import numpy as np

from rushml.hashing import UniversalHashFamily


class CountMinSketch:
    """Approximate counts of integer items in ``depth * width`` counters.

    Item ids must lie in ``[0, 2**31 - 1)``, the domain of
    :class:`rushml.hashing.UniversalHashFamily`.

    Parameters
    ----------
    width : int
        Counters per row (``>= 1``); the error bound is ``e / width`` of the total.
    depth : int
        Rows, one independent hash each (``>= 1``); failure probability ``exp(-depth)``.
    random_state : int, numpy.random.Generator or None, default=None
        Seed for the row hashes.
    """

    def __init__(self, width: int, depth: int, *, random_state=None):
        if int(width) < 1:
            raise ValueError(f"width must be >= 1, got {width!r}")
        if int(depth) < 1:
            raise ValueError(f"depth must be >= 1, got {depth!r}")
        self.width = int(width)
        self.depth = int(depth)
        self.random_state = random_state
        self.hash_ = UniversalHashFamily(self.width, self.depth, random_state=random_state)
        self.counts_ = np.zeros((self.depth, self.width), dtype=np.int64)
        self.total_ = 0

    def update(self, items, counts=1) -> CountMinSketch:
        """Add ``counts`` (scalar or per item) to each of ``items`` (non-negative ints)."""
        items = np.asarray(items, dtype=np.int64).ravel()
        counts = np.broadcast_to(np.asarray(counts, dtype=np.int64), items.shape)
        if np.any(counts < 0):
            raise ValueError("counts must be non-negative in a count-min sketch")
        buckets = self.hash_(items)  # (depth, n_items)
        for row in range(self.depth):
            np.add.at(self.counts_[row], buckets[row], counts)
        self.total_ += int(counts.sum())
        return self

    def query(self, items) -> np.ndarray:
        """Estimated count of each item: the minimum over its ``depth`` counters."""
        items = np.asarray(items, dtype=np.int64).ravel()
        buckets = self.hash_(items)
        rows = np.arange(self.depth)[:, None]
        return self.counts_[rows, buckets].min(axis=0)

    @property
    def epsilon(self) -> float:
        """Relative error bound ``e / width`` of the classic guarantee."""
        return float(np.e / self.width)

    @property
    def delta(self) -> float:
        """Failure probability ``exp(-depth)`` of the classic guarantee."""
        return float(np.exp(-self.depth))
