"""SLIDE's prediction index: a fitted output layer's neurons hashed into LSH tables.

Training refills its tables before the last weight updates, and prediction can afford
more candidates per example than a training step, so prediction hashes the final
weights again, possibly with other ``K`` and ``L``. :class:`LSHPredictionIndex` holds
those tables; :meth:`~LSHPredictionIndex.topk` scores, per example, exactly the neurons
its hidden vector retrieves, plus ``n_prior`` fixed ones.
:meth:`rushml.slide.SlideClassifier.build_index` builds one from the fitted network.
"""

from __future__ import annotations

import numbers

import numpy as np

from rushml import _lsh_kernels as _k
from rushml.lsh import DWTAHash, LSHTables, SimHash

__all__ = ["LSHPredictionIndex", "make_hash"]

_SEED_MAX = 2**63 - 1
#: Tables are built in groups of at most this many, each with its own hash functions: the
#: codes of one group (n_classes by the group's tables) are all that exists at once.
GROUP = 50
HASH_FAMILIES = ("dwta", "simhash")


def make_hash(
    hash_family: str, *, n_hashes: int, n_tables: int, bin_size: int, bucket_index: str, seed: int
):
    """Return the (unfitted) hash functions of one family: DWTA or SimHash."""
    if hash_family == "dwta":
        return DWTAHash(
            n_hashes=n_hashes,
            n_tables=n_tables,
            bin_size=bin_size,
            bucket_index=bucket_index,
            random_state=seed,
        )
    return SimHash(n_hashes=n_hashes, n_tables=n_tables, random_state=seed)


def check_lsh_params(hash_family, n_hashes, n_tables, bin_size, bucket_size) -> None:
    """Check the table parameters that training and the index share; name the one at fault."""
    for name, value, low in (
        ("n_hashes", n_hashes, 1),
        ("n_tables", n_tables, 1),
        ("bin_size", bin_size, 2),
        ("bucket_size", bucket_size, 1),
    ):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if hash_family not in HASH_FAMILIES:
        raise ValueError(f"hash_family must be one of {HASH_FAMILIES}, got {hash_family!r}")
    width = (2 if hash_family == "simhash" else bin_size) ** n_hashes
    if width > 2**40:
        raise ValueError(
            f"n_hashes={n_hashes!r} with n_tables={n_tables!r} gives "
            f"{width} buckets per table; use fewer hashes"
        )


def mips_items(W, b):
    """Return the neurons ``[w_j, b_j]`` scaled into the unit ball, lifted onto the sphere."""
    items = np.empty((W.shape[0], W.shape[1] + 2), dtype=np.float32)
    items[:, :-2], items[:, -2] = W, b
    norms = np.sqrt(np.einsum("ij,ij->i", items[:, :-1], items[:, :-1], dtype=np.float64))
    items[:, :-1] /= np.float32(max(norms.max(), 1e-30))
    items[:, -1] = np.sqrt(np.maximum(0.0, 1.0 - (norms / max(norms.max(), 1e-30)) ** 2))
    return items


def mips_queries(H):
    """Return the queries ``[h, 1]``, of unit norm, with a zero last coordinate."""
    Q = np.zeros((H.shape[0], H.shape[1] + 2), dtype=np.float32)
    Q[:, :-2], Q[:, -2] = H, 1.0
    Q /= np.linalg.norm(Q, axis=1, keepdims=True)
    return Q


class LSHPredictionIndex:
    """LSH tables over the neurons of a fitted output layer, for prediction.

    Parameters
    ----------
    hash_family : {"dwta", "simhash"}, default="dwta"
    n_hashes, n_tables, bin_size, bucket_size : int
        As in :class:`rushml.slide.SlideClassifier`.
    bucket_index : {"distinct", "overlapping"}, default="distinct"
        How DWTA's codes form a bucket index (see :class:`rushml.lsh.DWTAHash`).
    n_prior : int, default=0
        The ``n_prior`` neurons of largest output bias (the classes the network deems
        most frequent a priori) are candidates of every example, ``>= 0``.
    mips : bool, default=False
        Hash for the largest inner product with the bias included, not for similar
        direction: neuron ``j`` is indexed as ``[w_j, b_j] / M`` (``M`` the largest
        such norm) with one more coordinate ``sqrt(1 - |[w_j, b_j]|**2 / M**2)``, so
        every indexed vector has unit norm, and a hidden vector ``h`` is queried as
        ``[h, 1] / |[h, 1]|`` with a zero last coordinate. The angle between them then
        orders the neurons exactly as ``w_j . h + b_j`` does, and SimHash retrieves the
        largest logits (simple-LSH); without it, the tables compare directions and
        ignore the bias.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the hash functions and the insertion order.

    Attributes
    ----------
    hashes : list of DWTAHash or SimHash
        The hash functions of each group of tables.
    offsets : ndarray of shape (n_tables, n_buckets + 1)
        Where each table's buckets start in ``items``.
    items : ndarray of int64
        The neurons of every bucket of every table, bucket after bucket.
    prior : ndarray of int64, shape (n_prior,)
        The neurons every example gets as candidates.
    """

    def __init__(
        self,
        *,
        hash_family="dwta",
        n_hashes=6,
        n_tables=50,
        bin_size=8,
        bucket_size=128,
        bucket_index="distinct",
        n_prior=0,
        mips=False,
        random_state=None,
    ):
        self.hash_family = hash_family
        self.n_hashes = n_hashes
        self.n_tables = n_tables
        self.bin_size = bin_size
        self.bucket_size = bucket_size
        self.bucket_index = bucket_index
        self.n_prior = n_prior
        self.mips = mips
        self.random_state = random_state

    def _validate(self, n_classes: int) -> None:
        check_lsh_params(
            self.hash_family, self.n_hashes, self.n_tables, self.bin_size, self.bucket_size
        )
        n_prior = self.n_prior
        if not isinstance(n_prior, numbers.Integral) or isinstance(n_prior, bool):
            n_prior = -1
        if not 0 <= n_prior <= n_classes:
            raise ValueError(
                f"n_prior must be an integer in [0, {n_classes}], got {self.n_prior!r}"
            )
        if not isinstance(self.mips, bool):
            raise ValueError(f"mips must be True or False, got {self.mips!r}")

    def fit(self, W, b) -> LSHPredictionIndex:
        """Hash the neurons: rows of ``W`` (n_classes, hidden_size), biases ``b``."""
        n_classes = W.shape[0]
        self._validate(n_classes)
        rng = np.random.default_rng(self.random_state)
        # Neurons in a random order (a full FIFO bucket keeps a random subset), hashed in
        # that order so no permuted copy of the codes is needed.
        order = rng.permutation(n_classes)
        items = mips_items(W[order], b[order]) if self.mips else W[order]
        hashes, offsets, parts, stored = [], [], [], 0
        for first in range(0, self.n_tables, GROUP):
            n_group = min(GROUP, self.n_tables - first)
            hasher = make_hash(
                self.hash_family,
                n_hashes=self.n_hashes,
                n_tables=n_group,
                bin_size=self.bin_size,
                bucket_index=self.bucket_index,
                seed=int(rng.integers(_SEED_MAX)),
            ).fit(items[:1])
            tables = LSHTables(
                n_tables=n_group,
                n_buckets=hasher.n_buckets_,
                bucket_size=self.bucket_size,
                policy="fifo",
                random_state=int(rng.integers(_SEED_MAX)),
            ).insert(order, hasher.hash(items))
            hashes.append(hasher)
            offsets.append(tables.offsets_ + stored)
            parts.append(tables.items_)
            stored += tables.items_.size
        del items
        self.hashes = hashes
        self.offsets = np.concatenate(offsets)
        self.items = np.concatenate(parts)
        self.prior = np.argsort(-b, kind="stable")[: self.n_prior].astype(np.int64)
        return self

    def topk(self, H, W, b, k: int, marks) -> tuple[np.ndarray, np.ndarray]:
        """Best ``k`` retrieved neurons per hidden vector (exact scores); and how many.

        Returns ``(ids, n_candidates)``: ``ids`` of shape (n, k), ``-1`` where an example
        has fewer than ``k`` candidates. ``marks`` is the scratch array of
        :func:`rushml._lsh_kernels.scratch_marks`.
        """
        query = mips_queries(H) if self.mips else H
        codes = np.concatenate([h.hash(query) for h in self.hashes], axis=1)
        ids, _, n_cand = _k.retrieve_topk(
            H, W, b, codes, self.offsets, self.items, self.prior, k, marks
        )
        return ids, n_cand
