"""A 2-universal hash family for mapping class ids to buckets.

The family is the classic Carter-Wegman construction
``h(x) = ((a * x + b) mod p) mod B`` with the Mersenne prime ``p = 2**31 - 1``,
``a`` drawn uniformly from ``[1, p)`` and ``b`` from ``[0, p)``. For two
distinct keys below ``p`` the probability (over the draw of ``a, b``) that they
land in the same bucket is at most about ``1 / B``, which is all MACH's analysis
needs. Keys must be integers in ``[0, p)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MERSENNE_PRIME", "UniversalHashFamily"]

MERSENNE_PRIME = (1 << 31) - 1


class UniversalHashFamily:
    """``n_hashes`` independent draws of a 2-universal hash into ``n_buckets`` buckets.

    Parameters
    ----------
    n_buckets : int
        Number of buckets ``B``, >= 1.
    n_hashes : int, default=1
        Number of independent hash functions ``R``, >= 1.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the draw of the coefficients.

    Attributes
    ----------
    a : ndarray of int64, shape (n_hashes,)
        Multipliers, in ``[1, p)``.
    b : ndarray of int64, shape (n_hashes,)
        Offsets, in ``[0, p)``.

    References
    ----------
    J. L. Carter and M. N. Wegman, "Universal classes of hash functions",
    Journal of Computer and System Sciences 18(2), 1979. Used by MACH: T. Medini,
    Q. Huang, Y. Wang, V. Mohan and A. Shrivastava, "Extreme Classification in
    Log Memory using Count-Min Sketch: A Case Study of Amazon Search with 50M
    Products", NeurIPS 2019.

    Examples
    --------
    >>> h = UniversalHashFamily(n_buckets=8, n_hashes=3, random_state=0)
    >>> h(np.arange(5)).shape
    (3, 5)
    """

    def __init__(
        self,
        n_buckets: int,
        n_hashes: int = 1,
        *,
        random_state: int | np.random.Generator | None = None,
    ):
        for name, value in (("n_buckets", n_buckets), ("n_hashes", n_hashes)):
            if not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if n_buckets >= MERSENNE_PRIME:
            raise ValueError(f"n_buckets must be < 2**31 - 1, got {n_buckets!r}")
        self.n_buckets = int(n_buckets)
        self.n_hashes = int(n_hashes)
        rng = np.random.default_rng(random_state)
        self.a = rng.integers(1, MERSENNE_PRIME, size=self.n_hashes, dtype=np.int64)
        self.b = rng.integers(0, MERSENNE_PRIME, size=self.n_hashes, dtype=np.int64)

    def __call__(self, keys) -> np.ndarray:
        """Hash integer keys with every function of the family.

        Parameters
        ----------
        keys : array-like of int, shape (n,)
            Keys in ``[0, 2**31 - 1)``.

        Returns
        -------
        ndarray of int64, shape (n_hashes, n)
            Row ``r`` holds ``h_r(keys)``, values in ``[0, n_buckets)``.
        """
        x = np.asarray(keys)
        if x.ndim != 1:
            raise ValueError(f"keys must be 1-d, got shape {x.shape}")
        if x.size and not np.issubdtype(x.dtype, np.integer):
            raise ValueError(f"keys must be integers, got dtype {x.dtype}")
        x = x.astype(np.int64)
        if x.size and (x.min() < 0 or x.max() >= MERSENNE_PRIME):
            raise ValueError("keys must be in [0, 2**31 - 1)")
        # a < 2**31 and x < 2**31, so a * x + b < 2**63: no int64 overflow.
        return ((self.a[:, None] * x[None, :] + self.b[:, None]) % MERSENNE_PRIME) % self.n_buckets

    def __repr__(self) -> str:
        return f"UniversalHashFamily(n_buckets={self.n_buckets}, n_hashes={self.n_hashes})"
