"""Locality-sensitive hashing: SimHash, densified winner-take-all, and hash tables.

SLIDE keeps the neurons of a wide layer in ``L`` hash tables. Each table is
addressed by ``K`` hash functions of one LSH family concatenated into one bucket
code, so two vectors share a bucket in a table with probability ``p**K`` when
one function collides with probability ``p``; looking in all ``L`` tables
retrieves a vector's near neighbours with probability ``1 - (1 - p**K)**L``.
Querying the tables with a layer's input returns, cheaply, the neurons whose
weight vectors are most aligned with it: those with the largest activations.

Two families are provided, both vectorised over many vectors at once:

* :class:`SimHash` (signed random projections): one bit per function, the sign
  of a Gaussian projection; two vectors at angle ``theta`` collide with
  probability ``1 - theta / pi``.
* :class:`DWTAHash` (densified winner-take-all): each function looks at
  ``bin_size`` coordinates and returns the position of the largest nonzero one;
  functions that see only zeros borrow the value of another function (the
  densification), so the hash stays informative on very sparse vectors.

:class:`LSHTables` stores item ids by bucket code with a fixed bucket capacity
and a replacement policy (first-in-first-out or reservoir sampling).

References
----------
M. S. Charikar, "Similarity estimation techniques from rounding algorithms",
STOC 2002 (SimHash).

B. Chen, A. Shrivastava, "Densified Winner Take All (WTA) Hashing for Sparse
Datasets", UAI 2018 (DWTA).

B. Chen, T. Medini, J. Farwell, S. Gobriel, C. Tai, A. Shrivastava, "SLIDE : In
Defense of Smart Algorithms over Hardware Acceleration for Large-Scale Deep
Learning Systems", MLSys 2020 (hash tables over neurons).
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

__all__ = ["SimHash", "DWTAHash", "LSHTables"]

# Densification gives up after this many probes; only an all-zero vector needs them all.
_MAX_PROBES = 100
# Dense inputs with at least this many rows (a layer's weight matrix) are hashed by a
# compiled kernel; fewer rows (a batch of hidden vectors) stay in NumPy. Same codes.
_COMPILED_ROWS = 4096
# SimHash projects this many (row, function) pairs at a time (16 MB of float32).
_HASH_BLOCK = 4_000_000


def _check_int(name: str, value, low: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _n_features_of(X) -> int:
    shape = getattr(X, "shape", None)
    if shape is None or len(shape) != 2:
        raise ValueError(f"X must be a 2-d array or sparse matrix, got shape {shape!r}")
    if shape[1] < 1:
        raise ValueError(f"X must have at least one feature, got shape {shape!r}")
    return int(shape[1])


class SimHash:
    """Signed random projections, ``K`` bits per table code, ``L`` tables.

    Function ``j`` maps ``x`` to the bit ``[r_j . x >= 0]`` for a random
    Gaussian vector ``r_j``. The ``K`` bits of table ``l`` form the code
    ``sum_k bit_{l,k} 2**k`` in ``[0, 2**K)``.

    Parameters
    ----------
    n_hashes : int, default=8
        ``K``, bits concatenated into one table's code, in ``[1, 62]``.
    n_tables : int, default=10
        ``L``, number of tables, ``>= 1``.
    density : float, default=1.0
        Fraction of nonzero entries in the projection vectors, in ``(0, 1]``;
        below 1 the projections are sparse (cheaper on wide inputs, as in
        SLIDE's sparse random projections) and the collision law holds only
        approximately.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the projections, resolved once in :meth:`fit`.

    Attributes
    ----------
    projections_ : ndarray of float32, shape (n_features, n_hashes * n_tables)
        Column ``l * K + k`` is the projection of bit ``k`` of table ``l``.
    n_buckets_ : int
        ``2**K``, the number of distinct codes per table.

    References
    ----------
    M. S. Charikar, "Similarity estimation techniques from rounding
    algorithms", STOC 2002.
    """

    def __init__(self, *, n_hashes=8, n_tables=10, density=1.0, random_state=None):
        self.n_hashes = n_hashes
        self.n_tables = n_tables
        self.density = density
        self.random_state = random_state

    def fit(self, X) -> SimHash:
        """Draw the projections for inputs with ``X.shape[1]`` features.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix, shape (n_samples, n_features)
            Only its number of columns is used.

        Returns
        -------
        self : SimHash
        """
        n_features = _n_features_of(X)
        k = _check_int("n_hashes", self.n_hashes, 1)
        if k > 62:
            raise ValueError(f"n_hashes must be <= 62 so codes fit in int64, got {k!r}")
        n_tables = _check_int("n_tables", self.n_tables, 1)
        if not (isinstance(self.density, numbers.Real) and 0.0 < self.density <= 1.0):
            raise ValueError(f"density must be in (0, 1], got {self.density!r}")
        rng = np.random.default_rng(self.random_state)
        proj = rng.standard_normal((n_features, k * n_tables), dtype=np.float32)
        if self.density < 1.0:
            proj *= rng.random(proj.shape, dtype=np.float32) < self.density
        self.projections_ = proj
        self.n_features_in_ = n_features
        self.n_buckets_ = 1 << k
        return self

    def hash(self, X) -> np.ndarray:
        """Bucket code of every row in every table.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix, shape (n_samples, n_features)
            Vectors to hash.

        Returns
        -------
        codes : ndarray of int64, shape (n_samples, n_tables)
            Codes in ``[0, 2**n_hashes)``.
        """
        _check_fitted(self, "projections_")
        if _n_features_of(X) != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, the hash was fitted for {self.n_features_in_}"
            )
        if not sp.issparse(X):
            X = np.asarray(X, np.float32)
        weights = np.int64(1) << np.arange(self.n_hashes, dtype=np.int64)
        codes = np.empty((X.shape[0], self.n_tables), dtype=np.int64)
        # Rows in chunks: the projections of a whole weight matrix (670,091 rows by
        # K * L functions) would otherwise take gigabytes at once.
        step = max(1, _HASH_BLOCK // self.projections_.shape[1])
        for a in range(0, X.shape[0], step):
            proj = np.asarray(X[a : a + step] @ self.projections_)
            bits = (proj >= 0).reshape(proj.shape[0], self.n_tables, self.n_hashes)
            codes[a : a + step] = bits @ weights  # sum_k bit_k 2**k
        return codes


class DWTAHash:
    """Densified winner-take-all hashing, ``K`` functions per table code, ``L`` tables.

    Function ``j`` reads ``bin_size`` coordinates (the ``j``-th bin of a
    concatenation of random permutations of the features) and returns the
    position, in ``[0, bin_size)``, of the largest nonzero value among them
    (ties: the first). A function whose bin holds only zeros is empty; it takes
    the value of the first non-empty function ``j'`` met along its own seeded
    probe sequence (densification). Sparse and dense inputs holding the same
    vector get the same codes. The ``K`` values of table ``l`` form the code
    ``sum_k value_{l,k} bin_size**k`` in ``[0, bin_size**K)`` (``bucket_index=
    "distinct"``: every tuple of winners its own bucket), or, as SLIDE's released
    code does, ``sum_k value_{l,k} 2**(k s)`` with ``s = floor(ln bin_size)``
    (``"overlapping"``: for ``bin_size = 8``, 3-bit values shifted by 2 bits, so
    neighbouring values overlap and ``K = 6`` reaches only ``7 * 1365 + 1 =
    9,556`` buckets instead of 262,144: fewer, fuller buckets).

    Parameters
    ----------
    n_hashes : int, default=6
        ``K``, functions concatenated into one table's code, ``>= 1``.
    n_tables : int, default=50
        ``L``, number of tables, ``>= 1``.
    bin_size : int, default=8
        Coordinates read by one function, ``>= 2`` (SLIDE's default is 8, so
        ``K = 6`` gives ``8**6 = 2**18`` buckets).
    bucket_index : {"distinct", "overlapping"}, default="distinct"
        How the ``K`` winners of a table form its bucket code (see above).
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the permutations and probe sequences, resolved once in :meth:`fit`.

    Attributes
    ----------
    bins_ : ndarray of int64, shape (n_hashes * n_tables, bin_size)
        Feature ids read by each function (function ``l * K + k`` feeds table ``l``).
    n_buckets_ : int
        Codes per table: ``bin_size**K`` (``"distinct"``), or ``(bin_size - 1)
        * sum_k 2**(k s) + 1`` (``"overlapping"``).

    References
    ----------
    B. Chen, A. Shrivastava, "Densified Winner Take All (WTA) Hashing for Sparse
    Datasets", UAI 2018.
    """

    def __init__(
        self, *, n_hashes=6, n_tables=50, bin_size=8, bucket_index="distinct", random_state=None
    ):
        self.n_hashes = n_hashes
        self.n_tables = n_tables
        self.bin_size = bin_size
        self.bucket_index = bucket_index
        self.random_state = random_state

    def fit(self, X) -> DWTAHash:
        """Draw the bins and probe sequences for inputs with ``X.shape[1]`` features.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix, shape (n_samples, n_features)
            Only its number of columns is used.

        Returns
        -------
        self : DWTAHash
        """
        n_features = _n_features_of(X)
        k = _check_int("n_hashes", self.n_hashes, 1)
        n_tables = _check_int("n_tables", self.n_tables, 1)
        bin_size = _check_int("bin_size", self.bin_size, 2)
        if self.bucket_index not in ("distinct", "overlapping"):
            raise ValueError(
                f"bucket_index must be 'distinct' or 'overlapping', got {self.bucket_index!r}"
            )
        # Weight of winner k in the code: bin_size**k, or 2**(k * floor(ln bin_size)).
        base = bin_size if self.bucket_index == "distinct" else 1 << int(np.floor(np.log(bin_size)))
        n_buckets = (bin_size - 1) * sum(base**j for j in range(k)) + 1
        if n_buckets >= 2**62:
            raise ValueError(
                f"bin_size={bin_size} with n_hashes={k} gives {n_buckets} buckets, not below "
                "2**62; lower n_hashes"
            )
        rng = np.random.default_rng(self.random_state)
        n_functions = k * n_tables
        n_perms = -(-n_functions * bin_size // n_features)
        perms = [rng.permutation(n_features) for _ in range(n_perms)]
        self.bins_ = np.concatenate(perms)[: n_functions * bin_size].reshape(n_functions, bin_size)
        # Probe sequence of each function for densification: random other functions.
        self.probes_ = rng.integers(0, n_functions, size=(n_functions, _MAX_PROBES))
        self.n_features_in_ = n_features
        self.code_base_ = int(base)
        self.n_buckets_ = int(n_buckets)
        return self

    def _winners_dense(self, X: np.ndarray) -> np.ndarray:
        vals = X[:, self.bins_]  # (n, n_functions, bin_size)
        if vals.size and vals.min() >= 0:
            # Non-negative input (ReLU outputs): zeros never win a bin that has a nonzero.
            win = vals.argmax(axis=2)
            win[vals.max(axis=2) == 0] = -1
            return win
        masked = np.where(vals != 0, vals, -np.inf)
        win = masked.argmax(axis=2)
        win[~np.isfinite(masked.max(axis=2))] = -1  # empty: only zeros in the bin
        return win

    def _winners_sparse(self, X: sp.csr_matrix) -> np.ndarray:
        n_functions, bin_size = self.bins_.shape
        # Inverse map: feature -> the slots (function * bin_size + position) that read it.
        slots_of = sp.csr_matrix(
            (
                np.ones(self.bins_.size, dtype=np.int8),
                (self.bins_.ravel(), np.arange(self.bins_.size)),
            ),
            shape=(self.n_features_in_, self.bins_.size),
        )
        slots_of.sort_indices()
        X = sp.csr_matrix(X)
        X.sum_duplicates()
        keep = X.data != 0
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[keep]
        feats, vals = X.indices[keep], X.data[keep]
        n_slots = np.diff(slots_of.indptr)[feats]
        starts = slots_of.indptr[feats]
        # One entry per (nonzero, slot reading it).
        rep = np.repeat(np.arange(feats.size), n_slots)
        offs = np.arange(rep.size) - np.repeat(np.cumsum(n_slots) - n_slots, n_slots)
        slot = slots_of.indices[starts[rep] + offs]
        row, val = rows[rep], vals[rep]
        func, pos = slot // bin_size, slot % bin_size
        # Largest value first, then the first position: the dense argmax's choice.
        order = np.lexsort((pos, -val, func, row))
        row, func, pos = row[order], func[order], pos[order]
        first = np.ones(row.size, dtype=bool)
        first[1:] = (row[1:] != row[:-1]) | (func[1:] != func[:-1])
        win = np.full((X.shape[0], n_functions), -1, dtype=np.int64)
        win[row[first], func[first]] = pos[first]
        return win

    def hash(self, X) -> np.ndarray:
        """Bucket code of every row in every table.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix, shape (n_samples, n_features)
            Vectors to hash; sparse input is never densified.

        Returns
        -------
        codes : ndarray of int64, shape (n_samples, n_tables)
            Codes in ``[0, bin_size**n_hashes)``; an all-zero row gets code 0.
        """
        _check_fitted(self, "bins_")
        if _n_features_of(X) != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, the hash was fitted for {self.n_features_in_}"
            )
        if not sp.issparse(X) and X.shape[0] >= _COMPILED_ROWS:
            from rushml._lsh_kernels import dwta_codes

            X = np.ascontiguousarray(X, dtype=np.float32)
            return dwta_codes(
                X, self.bins_, self.probes_, self.n_hashes, self.n_tables, self.code_base_
            )
        if sp.issparse(X):
            win = self._winners_sparse(X)
        else:
            X = np.asarray(X)
            # Chunks of rows keep the gathered (rows, functions, bin_size) block small.
            step = max(1, 4_000_000 // self.bins_.size)
            win = (
                np.concatenate(
                    [self._winners_dense(X[a : a + step]) for a in range(0, X.shape[0], step)]
                )
                if X.shape[0]
                else np.zeros((0, self.bins_.shape[0]), dtype=np.int64)
            )
        # Densification: an empty function copies the first non-empty one on its probe list.
        filled = win.copy()
        for probe in range(_MAX_PROBES):
            empty_r, empty_f = np.nonzero(filled < 0)
            if empty_r.size == 0:
                break
            filled[empty_r, empty_f] = win[empty_r, self.probes_[empty_f, probe]]
        filled[filled < 0] = 0  # all-zero rows
        vals = filled.reshape(X.shape[0], self.n_tables, self.n_hashes)
        weights = np.int64(self.code_base_) ** np.arange(self.n_hashes, dtype=np.int64)
        return (vals * weights).sum(axis=2)


def _stable_order(keys: np.ndarray, n_keys: int) -> np.ndarray:
    """Stable argsort of integer keys in ``[0, n_keys)`` by 16-bit radix passes (linear time)."""
    if n_keys <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")  # NumPy radix-sorts these
    order = np.arange(keys.size)
    for shift in range(0, int(n_keys - 1).bit_length(), 16):
        digit = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
    return order


def _check_fitted(obj, attr: str) -> None:
    if not hasattr(obj, attr):
        raise RuntimeError(f"{type(obj).__name__} is not fitted yet: call fit(X) first")


class LSHTables:
    """``L`` hash tables of item ids, addressed by bucket codes, with bounded buckets.

    Table ``l`` keeps, for each code ``c`` in ``[0, n_buckets)``, at most
    ``bucket_size`` item ids. Storage is compact (items sorted by bucket, plus
    bucket offsets), so memory grows with the number of stored items, not with
    ``n_buckets * bucket_size``.

    Parameters
    ----------
    n_tables : int
        ``L``, number of tables, ``>= 1``.
    n_buckets : int
        Codes per table, ``>= 1`` (``n_buckets_`` of the hash family).
    bucket_size : int, default=128
        Capacity of one bucket, ``>= 1`` (SLIDE: 128).
    policy : {"fifo", "reservoir"}, default="fifo"
        What a full bucket keeps. ``"fifo"``: the ``bucket_size`` most recent
        items (the oldest is replaced, as in SLIDE). ``"reservoir"``: a uniform
        random sample of every item ever inserted into the bucket.
    random_state : int, numpy.random.Generator or None, default=None
        Seed for the reservoir policy.

    Attributes
    ----------
    offsets_ : ndarray of int64, shape (n_tables, n_buckets + 1)
        Items of bucket ``c`` of table ``l`` are ``items_[offsets_[l, c]:offsets_[l, c + 1]]``.
    items_ : ndarray of int32, shape (n_stored,)
        Item ids, table by table, bucket by bucket, oldest first.
    seen_ : ndarray of int64, shape (n_tables, n_buckets)
        Items ever inserted into each bucket (kept or not).
    """

    def __init__(self, *, n_tables, n_buckets, bucket_size=128, policy="fifo", random_state=None):
        self.n_tables = _check_int("n_tables", n_tables, 1)
        self.n_buckets = _check_int("n_buckets", n_buckets, 1)
        self.bucket_size = _check_int("bucket_size", bucket_size, 1)
        if policy not in ("fifo", "reservoir"):
            raise ValueError(f"policy must be 'fifo' or 'reservoir', got {policy!r}")
        self.policy = policy
        self.random_state = random_state
        self._rng = np.random.default_rng(random_state)
        self.clear()

    def clear(self) -> LSHTables:
        """Empty every bucket."""
        self.offsets_ = np.zeros((self.n_tables, self.n_buckets + 1), dtype=np.int64)
        self.items_ = np.zeros(0, dtype=np.int32)
        self.seen_ = np.zeros((self.n_tables, self.n_buckets), dtype=np.int64)
        return self

    def _check_codes(self, codes) -> np.ndarray:
        codes = np.asarray(codes)
        if codes.ndim == 1:
            codes = codes[None, :]
        if codes.ndim != 2 or codes.shape[1] != self.n_tables:
            raise ValueError(
                f"codes must have shape (n, n_tables={self.n_tables}), got {np.shape(codes)}"
            )
        if codes.size and (codes.min() < 0 or codes.max() >= self.n_buckets):
            raise ValueError(
                f"codes must lie in [0, n_buckets={self.n_buckets}), got range "
                f"[{codes.min()}, {codes.max()}]"
            )
        return codes.astype(np.int64, copy=False)

    def insert(self, ids, codes) -> LSHTables:
        """Insert items, item ``i`` into bucket ``codes[i, l]`` of every table ``l``.

        Parameters
        ----------
        ids : array-like of int, shape (n_items,)
            Item ids, ``>= 0`` and below ``2**31``; insertion order is ``ids``' order.
        codes : array-like of int, shape (n_items, n_tables)
            Bucket code of each item in each table.

        Returns
        -------
        self : LSHTables
        """
        ids = np.asarray(ids).ravel()
        codes = self._check_codes(codes)
        if ids.size != codes.shape[0]:
            raise ValueError(f"ids has {ids.size} items but codes has {codes.shape[0]} rows")
        if ids.size and (ids.min() < 0 or ids.max() >= 2**31):
            raise ValueError("ids must lie in [0, 2**31)")
        if self.items_.size == 0 and self.policy == "fifo" and ids.size >= _COMPILED_ROWS:
            # Filling empty tables (SLIDE's rehash): one compiled counting sort per table.
            from rushml._lsh_kernels import fill_fifo_tables

            self.offsets_, self.items_, self.seen_ = fill_fifo_tables(
                ids, codes, self.n_buckets, self.bucket_size
            )
            return self
        new_offsets = np.zeros_like(self.offsets_)
        parts = []
        for t in range(self.n_tables):
            lo, hi = self.offsets_[t, 0], self.offsets_[t, -1]
            old_items = self.items_[lo:hi]
            old_codes = np.repeat(np.arange(self.n_buckets), np.diff(self.offsets_[t]))
            items = np.concatenate([old_items, ids.astype(np.int32)])
            bucket = np.concatenate([old_codes, codes[:, t]])
            is_new = np.arange(items.size) >= old_items.size
            seen_before = self.seen_[t].copy()
            self.seen_[t] += np.bincount(codes[:, t], minlength=self.n_buckets)
            keep = self._keep(bucket, is_new, seen_before)
            items, bucket = items[keep], bucket[keep]
            order = _stable_order(bucket, self.n_buckets)  # arrivals stay in order
            parts.append(items[order])
            counts = np.bincount(bucket, minlength=self.n_buckets)
            new_offsets[t, 1:] = np.cumsum(counts)
        base = np.cumsum([0] + [p.size for p in parts[:-1]])
        self.offsets_ = new_offsets + base[:, None]
        self.items_ = np.concatenate(parts) if parts else np.zeros(0, np.int32)
        return self

    def _keep(self, bucket, is_new, seen_before) -> np.ndarray:
        """Mask of the items a bucket keeps after an insert, under the policy."""
        cap = self.bucket_size
        counts = np.bincount(bucket, minlength=self.n_buckets)
        if self.policy == "fifo" and counts.max(initial=0) <= cap:
            return np.ones(bucket.size, dtype=bool)  # no bucket is over capacity
        order = _stable_order(bucket, self.n_buckets)
        starts = np.cumsum(counts) - counts
        rank = np.empty(bucket.size, dtype=np.int64)
        rank[order] = np.arange(bucket.size) - np.repeat(starts, counts)
        if self.policy == "fifo":
            return rank >= counts[bucket] - cap  # the last `cap` arrivals
        # Reservoir: the kept set is a uniform cap-subset of everything seen. The old
        # contents are a uniform subset of the old arrivals, so draw how many of the
        # final slots fall on old arrivals (hypergeometric), then pick uniformly.
        n_new = np.bincount(bucket[is_new], minlength=self.n_buckets)
        total = seen_before + n_new
        take = np.minimum(cap, total)
        k_old = np.zeros(self.n_buckets, dtype=np.int64)
        busy = (n_new > 0) & (seen_before > 0)
        k_old[busy] = self._rng.hypergeometric(seen_before[busy], n_new[busy], take[busy])
        k_old[~busy & (seen_before > 0)] = np.minimum(cap, seen_before[~busy & (seen_before > 0)])
        k_new = take - k_old
        prio = self._rng.random(bucket.size)
        order = np.lexsort((prio, is_new, bucket))
        group = bucket * 2 + is_new
        g_counts = np.bincount(group, minlength=2 * self.n_buckets)
        g_starts = np.cumsum(g_counts) - g_counts
        g_rank = np.empty(bucket.size, dtype=np.int64)
        g_rank[order] = np.arange(bucket.size) - np.repeat(g_starts, g_counts)
        limit = np.where(is_new, k_new[bucket], k_old[bucket])
        return g_rank < limit

    def bucket(self, table: int, code: int) -> np.ndarray:
        """Item ids in bucket ``code`` of table ``table``, oldest first."""
        lo, hi = self.offsets_[table, code], self.offsets_[table, code + 1]
        return self.items_[lo:hi].copy()

    def query(self, codes, *, return_counts=False):
        """Union of the buckets a query's codes point to, one query per row.

        Parameters
        ----------
        codes : array-like of int, shape (n_queries, n_tables) or (n_tables,)
            Bucket code of each query in each table.
        return_counts : bool, default=False
            Also return, per retrieved id, how many tables returned it.

        Returns
        -------
        hits : list of ndarray of int32
            Sorted distinct item ids retrieved for each query.
        counts : list of ndarray of int64
            Only with ``return_counts``: tables agreeing on each id.
        """
        codes = self._check_codes(codes)
        tables = np.arange(self.n_tables)
        hits, counts = [], []
        for row in codes:
            lo, hi = self.offsets_[tables, row], self.offsets_[tables, row + 1]
            got = np.concatenate([self.items_[a:b] for a, b in zip(lo, hi, strict=True)])
            ids, cnt = np.unique(got, return_counts=True)
            hits.append(ids.astype(np.int32))
            counts.append(cnt.astype(np.int64))
        return (hits, counts) if return_counts else hits
