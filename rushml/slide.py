"""SLIDE: train a wide output layer by computing only the neurons LSH retrieves.

The network is sparse input -> dense hidden layer (ReLU) -> wide output layer
with a softmax. For each example, SLIDE hashes its hidden vector ``h`` with the
same LSH family that indexed the output neurons' weight vectors, and the union
of the ``L`` buckets it lands in, plus the example's true labels, is its active
set. Logits, the softmax cross-entropy, its gradients and the Adam updates are
computed for the active neurons only, so the cost per example grows with the
active set, not with the number of classes. Because the neurons' weights move
during training, the tables are refilled periodically, with a period that
grows as training settles.

:class:`SlideClassifier` also runs the two baselines through the same training
loop: ``sampling="dense"`` (full softmax with BLAS matrix products and Adam on
every weight) and ``sampling="random"`` (the labels plus uniformly random
neurons instead of the LSH hits). With ``active_set="batch"`` a batch shares one
active set (its labels, the hits retrieved for the most examples, random fill),
scored as one dense block (:mod:`rushml._slide_batch`): the same count per
example, a few thousand output rows per Adam step instead of the union of a
hundred different sets.

The module is that one estimator class, its docstring and three small helpers, which
is why it runs past the 700 lines the other modules keep to. The compiled kernels are
in :mod:`rushml._slide_kernels` (training) and :mod:`rushml._lsh_kernels` (hash
tables), the prediction index in :mod:`rushml.slide_index`.

References
----------
B. Chen, T. Medini, J. Farwell, S. Gobriel, C. Tai, A. Shrivastava, "SLIDE : In
Defense of Smart Algorithms over Hardware Acceleration for Large-Scale Deep
Learning Systems", MLSys 2020.

D. P. Kingma, J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
"""

from __future__ import annotations

import numbers
import time

import numpy as np
import scipy.sparse as sp

from rushml import _slide_batch as _batch
from rushml import _slide_kernels as _k
from rushml._labels import is_label_sets, label_sets
from rushml.lsh import LSHTables
from rushml.slide_index import LSHPredictionIndex, check_lsh_params, make_hash

__all__ = ["SlideClassifier"]

_SEED_MAX = 2**63 - 1
# build_index fills at most this many tables from one set of codes.


def _now() -> np.ndarray:
    """Wall-clock and process CPU seconds, as one array."""
    return np.array([time.perf_counter(), time.process_time()])


def _scatter_gradient(W, b, rows, examples, values, H) -> None:
    """Add a scattered gradient into zeroed ``W`` (and ``b``).

    The update kernel's gradient-only mode, which reads no moments (``W`` stands in).
    """
    empty = np.zeros(0, dtype=np.float32)
    _k.scatter_adam(
        W, W, W, b, empty, empty, rows, examples, values, H,
        lr=0.0, beta1=0.0, beta2=0.0, eps=1.0, step=1, grad_only=True,
    )  # fmt: skip


def _labels_csr(y, n_classes):
    """Distinct labels per example as ``(indptr, ids)``, plus the label count implied by y.

    Label sets go through :func:`rushml._labels.label_sets` (strict: 0/1 indicators,
    integer ids); the range against ``n_classes`` is checked by the caller.
    """
    if is_label_sets(y) or (isinstance(y, list | tuple) and len(y) == 0):
        Y, width = label_sets(y, strict=True, allow_empty=True)
        return Y.indptr, Y.indices, width if sp.issparse(y) else None
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"y must be 1-d class ids, a list of label arrays or a sparse indicator matrix, "
            f"got an array of shape {y.shape}"
        )
    if y.size and not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must hold integer class ids, got dtype {y.dtype}")
    return np.arange(y.size + 1, dtype=np.int64), y.astype(np.int64), None


class SlideClassifier:
    """Sparse input -> ReLU hidden layer -> wide softmax layer, trained the SLIDE way.

    Parameters
    ----------
    hidden_size : int, default=128
        Width of the hidden layer, ``>= 1`` (SLIDE on Amazon-670K: 128).
    n_classes : int or None, default=None
        Output neurons; ``None`` takes the largest label in ``y`` plus one
        (SLIDE on Amazon-670K: 670,091). Labels must lie in ``[0, n_classes)``.
    sampling : {"lsh", "random", "dense"}, default="lsh"
        How the active set is chosen. ``"lsh"``: labels plus the hits of the
        hash tables (SLIDE). ``"random"``: labels plus ``n_sampled`` other
        uniformly random neurons (every neuron when ``n_sampled >= n_classes``).
        ``"dense"``: every neuron, through BLAS matrix products (the dense
        baseline).
    hash_family : {"dwta", "simhash"}, default="dwta"
        LSH family for ``"lsh"`` sampling (SLIDE's default is DWTA).
    n_hashes : int, default=6
        ``K``, hash functions per table code (SLIDE's output layer: 6).
    n_tables : int, default=50
        ``L``, number of hash tables (SLIDE's output layer: 50).
    bin_size : int, default=8
        DWTA bin size (SLIDE: 8); the ``K`` winners, each in ``[0, bin_size)``,
        form a code in ``[0, bin_size**K)`` (``8**6 = 262,144`` buckets). SLIDE's
        released code allocates ``2**18`` buckets too but shifts each 3-bit
        winner by only ``floor(ln 8) = 2`` bits, so its codes overlap and one of
        its tables reaches at most 9,556 buckets: far bigger buckets, far more
        hits per query than here at the same ``K`` (``bucket_index="overlapping"``
        reproduces it). Ignored by SimHash (``2**K``).
    bucket_index : {"distinct", "overlapping"}, default="distinct"
        How DWTA's ``K`` winners form a table's bucket code
        (:class:`rushml.lsh.DWTAHash`): every tuple its own bucket, or SLIDE's
        released formula, whose codes overlap. Ignored by SimHash.
    bucket_size : int, default=128
        Capacity of a bucket (SLIDE: 128).
    bucket_policy : {"fifo", "reservoir"}, default="fifo"
        Replacement in a full bucket (SLIDE: FIFO).
    max_active : int or None, default=None
        Cap on the active set per example (labels always kept; the neurons
        retrieved by the most tables win). ``None``: no cap.
    min_active : int or None, default=None
        For ``"lsh"`` sampling: when labels and hits number fewer than this,
        uniformly random neurons fill the active set up to it, so every example
        computes the same number of neurons (0.5 % of Amazon-670K's outputs is
        3,350 neurons). ``None``: no filling.
    n_sampled : int or None, default=None
        Random neurons per example, besides its labels (and the batch's, with
        ``batch_negatives``), for ``"random"`` sampling (required there; 0 with
        ``batch_negatives`` trains on in-batch negatives alone); ``>= n_classes``
        makes every neuron active.
    batch_negatives : bool, default=True
        For ``"lsh"`` and ``"random"``: every example's active set also holds
        the labels of the other examples in its batch, as negatives, before the
        hash hits or random neurons (within ``max_active``). Frequent classes
        are then scored as negatives about as often as they are positives;
        without them a sampled softmax mostly pushes a head class up and the
        network drifts to predicting it for most inputs. Ignored by
        ``"dense"``, where every neuron is active.
    active_set : {"example", "batch"}, default="example"
        For ``"lsh"`` and ``"random"``: ``"example"`` gives every example its own
        active set (SLIDE); ``"batch"`` gives the whole batch one set, scored as a
        dense block by BLAS (:mod:`rushml._slide_batch`): the batch's labels, then
        the hits retrieved for the most examples (each example offers its best
        ``2 * max_active / batch_size``), up to ``max_active`` in all, then random
        neurons up to ``min_active``; with ``"random"``, the labels and
        ``n_sampled`` random neurons. Every example computes every neuron of the
        set, and Adam touches the set's rows only. ``batch_negatives`` is implied.
    batch_size : int, default=128
        Examples per Adam step (SLIDE: 128).
    learning_rate : float, default=3e-3
        Adam step size. SLIDE used 0.0001 over many epochs of Amazon-670K's
        490,449 rows; at that rate a few epochs of a few thousand rows leave the
        network predicting the most frequent class. 0.003 was chosen on generated
        problems of 2,000 and 20,000 classes (seed 7, 3 epochs): there 0.001 left
        SLIDE and the dense network 0.26 to 0.32 P@1 behind after 3 epochs, while
        0.003 and 0.01 reached 0.66 to 0.75 with either; 0.003 is the cautious one.
    beta1, beta2 : float, default=0.9, 0.999
        Adam's decay rates (SLIDE: 0.9, 0.999).
    epsilon : float, default=1e-8
        Adam's denominator offset.
    n_epochs : int, default=1
        Passes over the training data, ``>= 1``.
    rehash_period : int, default=6400
        Examples between the first two refills of the tables (SLIDE: 6,400).
    rehash_growth : float, default=1.0
        Factor applied to the refill period after each refill, ``>= 1``: the
        period grows geometrically, so tables are refilled often while the
        weights move fast and rarely later (SLIDE decays the refill frequency
        exponentially; 1.0 keeps it fixed).
    rebuild_period : int, default=128000
        Examples between draws of new hash functions (SLIDE: 128,000).
    n_jobs : int or None, default=None
        Threads for the compiled kernels; ``None`` or ``-1``: all cores.
        Results do not depend on it.
    random_state : int, numpy.random.Generator or None, default=None
        Seed for weights, batch order, hash functions, tables and sampling.

    Attributes
    ----------
    W1_ : ndarray of float32, shape (n_features, hidden_size)
        Input-to-hidden weights (row per input feature).
    b1_ : ndarray of float32, shape (hidden_size,)
    W2_ : ndarray of float32, shape (n_classes, hidden_size)
        Output weights, one row per output neuron.
    b2_ : ndarray of float32, shape (n_classes,)
    n_classes_ : int
    loss_curve_ : list of float
        Mean training loss of every batch, in order.
    active_counts_ : ndarray of int64, shape (n_samples,)
        Active neurons of every example in the last epoch (in batch order).
    history_ : dict of lists
        One entry per evaluation: ``"train_time"`` (seconds of training so
        far, evaluation excluded), ``"train_cpu_time"`` (the same in CPU
        seconds of this process, all threads: steadier than the wall clock on a
        shared machine), ``"examples"`` (examples processed),
        ``"p_at_1"`` and ``"p_at_5"`` (on ``eval_set``; P@5 is ``None`` below
        5 classes), ``"mean_active"``.
    epoch_times_ : list of float
        Training seconds of every epoch (evaluation excluded).
    epoch_cpu_times_ : list of float
        The same in process CPU seconds.
    batch_cpu_times_ : list of float
        Process CPU seconds of every training step (one batch: hidden layer,
        active set, forward, backward and Adam), in order; refills of the
        tables are not in it (see ``refill_cpu_times_``).
    refill_cpu_times_ : list of float
        Process CPU seconds of every refill of the tables.
    epoch_multiply_adds_ : list of int
        Multiply-adds of every epoch, counted, not timed: input layer forward
        and gradient (``2 * nnz * hidden_size``), output layer forward,
        backward and gradient over the active neurons (``3 * active *
        hidden_size``), and for ``"lsh"`` the hashing of every query and
        every rehashed neuron (SimHash: ``hidden_size`` per bit; DWTA: one per
        compared element). Deterministic for a given ``random_state``.
    n_rehash_ : int
        Refills of the tables so far.
    rehashed_rows_ : list of int
        Output neurons hashed at every refill: all of them when the hash
        functions are new, otherwise only those updated since the last refill.
    index_ : LSHPredictionIndex or None
        Set by :meth:`build_index`: the hash functions, tables and prior
        classes that ``predict_topk(..., candidates="lsh")`` reads
        (:class:`rushml.slide_index.LSHPredictionIndex`).
    last_candidates_ : ndarray of int64, shape (n_samples,)
        Classes scored per sample by the last LSH prediction.

    References
    ----------
    B. Chen, T. Medini, J. Farwell, S. Gobriel, C. Tai, A. Shrivastava, "SLIDE :
    In Defense of Smart Algorithms over Hardware Acceleration for Large-Scale
    Deep Learning Systems", MLSys 2020.
    """

    def __init__(
        self,
        *,
        hidden_size=128,
        n_classes=None,
        sampling="lsh",
        hash_family="dwta",
        n_hashes=6,
        n_tables=50,
        bin_size=8,
        bucket_index="distinct",
        bucket_size=128,
        bucket_policy="fifo",
        max_active=None,
        min_active=None,
        n_sampled=None,
        batch_negatives=True,
        active_set="example",
        batch_size=128,
        learning_rate=3e-3,
        beta1=0.9,
        beta2=0.999,
        epsilon=1e-8,
        n_epochs=1,
        rehash_period=6400,
        rehash_growth=1.0,
        rebuild_period=128000,
        n_jobs=None,
        random_state=None,
    ):
        self.hidden_size = hidden_size
        self.n_classes = n_classes
        self.sampling = sampling
        self.hash_family = hash_family
        self.n_hashes = n_hashes
        self.n_tables = n_tables
        self.bin_size = bin_size
        self.bucket_index = bucket_index
        self.bucket_size = bucket_size
        self.bucket_policy = bucket_policy
        self.max_active = max_active
        self.min_active = min_active
        self.n_sampled = n_sampled
        self.batch_negatives = batch_negatives
        self.active_set = active_set
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.n_epochs = n_epochs
        self.rehash_period = rehash_period
        self.rehash_growth = rehash_growth
        self.rebuild_period = rebuild_period
        self.n_jobs = n_jobs
        self.random_state = random_state

    # -- validation -------------------------------------------------------------

    _INT_PARAMS = {
        "hidden_size": 1,
        "n_hashes": 1,
        "n_tables": 1,
        "bin_size": 2,
        "bucket_size": 1,
        "batch_size": 1,
        "n_epochs": 1,
        "rehash_period": 1,
        "rebuild_period": 1,
    }
    _CHOICES = {
        "sampling": ("lsh", "random", "dense"),
        "hash_family": ("dwta", "simhash"),
        "bucket_index": ("distinct", "overlapping"),
        "bucket_policy": ("fifo", "reservoir"),
        "active_set": ("example", "batch"),
    }

    def _validate_params(self) -> None:
        for name, low in self._INT_PARAMS.items():
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        for name, choices in self._CHOICES.items():
            if getattr(self, name) not in choices:
                raise ValueError(f"{name} must be one of {choices}, got {getattr(self, name)!r}")
        for name, low in (("max_active", 1), ("min_active", 1), ("n_sampled", 0), ("n_classes", 1)):
            value = getattr(self, name)
            if value is not None and (
                not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low
            ):
                raise ValueError(f"{name} must be None or an integer >= {low}, got {value!r}")
        for name in ("learning_rate", "epsilon"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        for name in ("beta1", "beta2"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Real) or not 0 <= value < 1:
                raise ValueError(f"{name} must be in [0, 1), got {value!r}")
        if not isinstance(self.batch_negatives, bool):
            raise ValueError(f"batch_negatives must be True or False, got {self.batch_negatives!r}")
        if not isinstance(self.rehash_growth, numbers.Real) or not self.rehash_growth >= 1:
            raise ValueError(f"rehash_growth must be a number >= 1, got {self.rehash_growth!r}")
        self._check_cross_params()

    def _check_cross_params(self) -> None:
        """Rules that involve more than one parameter."""
        if (
            self.min_active is not None
            and self.max_active is not None
            and self.min_active > self.max_active
        ):
            raise ValueError(
                f"min_active={self.min_active!r} exceeds max_active={self.max_active!r}"
            )
        if self.sampling == "random" and self.n_sampled is None:
            raise ValueError("sampling='random' needs n_sampled (random neurons per example)")
        if self.sampling == "lsh":
            check_lsh_params(
                self.hash_family, self.n_hashes, self.n_tables, self.bin_size, self.bucket_size
            )

    def _check_X(self, X, fitted: bool):
        if not sp.issparse(X):
            X = np.asarray(X)
            if X.ndim != 2:
                raise ValueError(f"X must be 2-d (n_samples, n_features), got shape {X.shape}")
        X = sp.csr_matrix(X, dtype=np.float32)
        if fitted and X.shape[1] != self.W1_.shape[0]:
            raise ValueError(
                f"X has {X.shape[1]} features, the network was fitted with {self.W1_.shape[0]}"
            )
        return X

    # -- setup ------------------------------------------------------------------

    def _init_state(self, n_features: int, n_classes: int, rng: np.random.Generator) -> None:
        h = self.hidden_size
        # Rows of X have unit norm, so N(0, 1) input weights give O(1) pre-activations;
        # the output layer starts near zero: every logit starts near 0, so neurons a sparse
        # method rarely touches do not keep large random scores (hashing ignores the scale).
        self.W1_ = rng.standard_normal((n_features, h), dtype=np.float32)
        self.b1_ = np.zeros(h, dtype=np.float32)
        self.W2_ = rng.standard_normal((n_classes, h), dtype=np.float32) * np.float32(1e-3)
        self.b2_ = np.zeros(n_classes, dtype=np.float32)
        self._moments = {
            name: (np.zeros_like(w), np.zeros_like(w))
            for name, w in (("W1", self.W1_), ("b1", self.b1_), ("W2", self.W2_), ("b2", self.b2_))
        }
        self.n_classes_ = n_classes
        self.n_features_in_ = n_features
        self._marks = _k.scratch_marks(n_classes)  # reused by every batch
        self._step = 0
        self._work = 0  # multiply-adds of the current epoch
        self.n_rehash_ = 0
        self.rehashed_rows_ = []
        self._tables = None
        self._codes = None  # every neuron's code in every table, as of the last refill
        self._touched = np.zeros(n_classes, dtype=bool)  # rows of W2_ updated since then
        self.index_ = None  # prediction tables, built by build_index

    def _make_hash(self, seed: int):
        return make_hash(
            self.hash_family,
            n_hashes=self.n_hashes,
            n_tables=self.n_tables,
            bin_size=self.bin_size,
            bucket_index=self.bucket_index,
            seed=seed,
        )

    def _refill_tables(self, rng: np.random.Generator, new_functions: bool) -> None:
        """Refill the tables from every neuron's current codes (new functions if asked).

        With the same functions, only the neurons updated since the last refill are
        hashed again: lazy Adam leaves every other row of ``W2_`` exactly as it was,
        so its code is unchanged. New functions hash every neuron.
        """
        if new_functions or self._hash is None or self._codes is None:
            self._hash = self._make_hash(int(rng.integers(_SEED_MAX))).fit(self.W2_[:1])
            self._codes = self._hash.hash(self.W2_)
            rows = self.n_classes_
        else:
            changed = np.flatnonzero(self._touched)
            if changed.size:
                self._codes[changed] = self._hash.hash(self.W2_[changed])
            rows = changed.size
        self._touched[:] = False
        self.rehashed_rows_.append(int(rows))
        codes = self._codes
        self._work += rows * self._hash_cost()
        tables = LSHTables(
            n_tables=self.n_tables,
            n_buckets=self._hash.n_buckets_,
            bucket_size=self.bucket_size,
            policy=self.bucket_policy,
            random_state=int(rng.integers(_SEED_MAX)),
        )
        # Random insertion order: a full FIFO bucket then keeps a random subset, not the top ids.
        order = rng.permutation(self.n_classes_)
        self._tables = tables.insert(order, codes[order])
        self.n_rehash_ += 1

    def _hash_cost(self) -> int:
        """Multiply-adds (SimHash) or compared elements (DWTA) to hash one vector."""
        if self.hash_family == "simhash":
            return self.hidden_size * self.n_hashes * self.n_tables
        return self.n_hashes * self.n_tables * self.bin_size

    # -- one batch --------------------------------------------------------------

    def _hidden(self, Xb: sp.csr_matrix) -> np.ndarray:
        H = np.asarray(Xb @ self.W1_)
        H += self.b1_
        np.maximum(H, 0, out=H)
        return H

    def _random_neurons(self, rng, n, count):
        """``count`` or more uniformly random neuron ids per row, distinct where it matters."""
        n_classes = self.n_classes_
        if count >= n_classes:
            return np.ascontiguousarray(
                np.broadcast_to(np.arange(n_classes, dtype=np.int64), (n, n_classes))
            )
        if 4 * count > n_classes:  # dense draw: a random permutation prefix per row
            return np.argsort(rng.random((n, n_classes)), axis=1)[:, :count].astype(np.int64)
        # Sparse draw with replacement; the kernel skips repeats, so draw a few spare ones.
        return rng.integers(0, n_classes, size=(n, count + count // 10 + 16), dtype=np.int64)

    def _active(self, H, lab_ptr, lab_ids, rng):
        n = H.shape[0]
        n_lab = np.diff(lab_ptr)
        # The batch's labels, shared by every example as negatives (its own stay positives).
        shared = np.unique(lab_ids) if self.batch_negatives else np.zeros(0, np.int64)
        if self.sampling == "lsh":
            codes = self._hash.hash(H)
            offsets, items = self._tables.offsets_, self._tables.items_
            fill = self.min_active or 0
            extra = self._random_neurons(rng, n, fill) if fill else np.zeros((n, 0), np.int64)
            fill_to = np.full(n, fill, dtype=np.int64)
        else:
            codes = np.zeros((n, 0), dtype=np.int64)
            offsets = np.zeros((0, 2), dtype=np.int64)
            items = np.zeros(0, dtype=np.int32)
            # Random draws may land on shared ids (skipped), so draw that many more.
            count = self.n_sampled + shared.size if self.n_sampled else 0
            extra = self._random_neurons(rng, n, count) if count else np.zeros((n, 0), np.int64)
            # Every example's labels are among the shared ones, so its labels and the
            # shared negatives number max(n_lab, shared.size); n_sampled come on top.
            fill_to = np.maximum(n_lab, shared.size) + self.n_sampled
        cap = self.max_active if self.max_active is not None else self.n_classes_
        return _k.gather_active(
            codes,
            offsets,
            items,
            lab_ptr,
            lab_ids,
            extra,
            cap,
            fill_to,
            self.n_classes_,
            self._marks,
            shared=shared,
        )

    def _batch_grads_sparse(self, Xb, lab_ptr, lab_ids, rng):
        """Forward and backward over the active sets; returns what the updates need."""
        H = self._hidden(Xb)
        active, n_active = self._active(H, lab_ptr, lab_ids, rng)
        n_labels = np.diff(lab_ptr)
        G, dH, loss = _k.output_forward_backward(H, self.W2_, self.b2_, active, n_active, n_labels)
        return H, active, n_active, G, dH, loss

    def _batch_set(self, H, lab_ptr, lab_ids, rng):
        """Return the batch's one active set (``active_set="batch"``), sorted."""
        n = H.shape[0]
        if self.sampling == "random":
            hits, n_hits = np.zeros((n, 0), np.int64), np.zeros(n, np.int64)
            cap, fill = None, np.unique(lab_ids).size + self.n_sampled
        else:
            cap = self.max_active
            offer = self.n_classes_ if cap is None else -(-2 * cap // max(n, 1))
            hits, n_hits = _k.gather_active(
                self._hash.hash(H),
                self._tables.offsets_,
                self._tables.items_,
                np.zeros(n + 1, np.int64),
                np.zeros(0, np.int64),
                np.zeros((n, 0), np.int64),
                offer,
                np.zeros(n, np.int64),
                self.n_classes_,
                self._marks,
            )
            fill = self.min_active or 0
        return _batch.batch_set(lab_ids, hits, n_hits, cap, fill, self.n_classes_, rng)

    def _adam(self, name, W, G):
        M, V = self._moments[name]
        _k.dense_adam(
            W,
            M,
            V,
            G,
            lr=self.learning_rate,
            beta1=self.beta1,
            beta2=self.beta2,
            eps=self.epsilon,
            step=self._step,
        )

    def _input_pairs(self, Xb, n):
        rows = Xb.indices.astype(np.int64)
        ex = np.repeat(np.arange(n, dtype=np.int64), np.diff(Xb.indptr))
        coef = (Xb.data / np.float32(n)).astype(np.float32)
        return rows, ex, coef

    def _batch_gradients(self, Xb, lab_ptr, lab_ids, rng):
        """Forward and backward of one batch: what an update and :meth:`gradients` both need.

        Returns ``(H, dH, loss, n_active, output)``: ``output`` is ``("dense", gW2, gb2)``
        or ``("sparse", rows, examples, values)``, the output layer's gradient (mean over
        the batch) as dense arrays or as one value row per (neuron, example) pair.
        """
        n = Xb.shape[0]
        if self.sampling == "dense" or self.active_set == "batch":
            H = self._hidden(Xb)
            if self.sampling == "dense":
                rows, W, b, pos = None, self.W2_, self.b2_, lab_ids
            else:
                rows = self._batch_set(H, lab_ptr, lab_ids, rng)
                W, b, pos = self.W2_[rows], self.b2_[rows], np.searchsorted(rows, lab_ids)
            Gz, dH, loss = _batch.block_forward_backward(H, W, b, lab_ptr, pos)
            Gz /= np.float32(n)
            # eq: dL/dW2 = G^T H, (n_classes or |set|, hidden)
            grads = (Gz.T @ H, Gz.sum(axis=0))
            output = ("dense", *grads) if rows is None else ("rows", rows, *grads)
            return H, dH, loss, np.full(n, W.shape[0], dtype=np.int64), output
        H, active, n_active, G, dH, loss = self._batch_grads_sparse(Xb, lab_ptr, lab_ids, rng)
        valid = np.arange(active.shape[1])[None, :] < n_active[:, None]
        ex = np.nonzero(valid)[0].astype(np.int64)
        return H, dH, loss, n_active, ("sparse", active[valid], ex, G[valid] / np.float32(n))

    def _train_batch(self, Xb, lab_ptr, lab_ids, rng) -> float:
        n = Xb.shape[0]
        self._step += 1
        adam = dict(
            lr=self.learning_rate,
            beta1=self.beta1,
            beta2=self.beta2,
            eps=self.epsilon,
            step=self._step,
        )
        H, dH, loss, n_active, output = self._batch_gradients(Xb, lab_ptr, lab_ids, rng)
        if output[0] == "dense":
            self._adam("W2", self.W2_, output[1])
            self._adam("b2", self.b2_, output[2])
        elif output[0] == "rows":
            rows, gW, gb = output[1:]
            _batch.rows_adam(self.W2_, *self._moments["W2"], rows, gW, **adam)
            _batch.rows_adam(self.b2_, *self._moments["b2"], rows, gb, **adam)
            if self.sampling == "lsh":
                self._touched[rows] = True
        else:
            rows, ex, values = output[1:]
            M, V = self._moments["W2"]
            Mb, Vb = self._moments["b2"]
            _k.scatter_adam(self.W2_, M, V, self.b2_, Mb, Vb, rows, ex, values, H, **adam)
            if self.sampling == "lsh":
                self._touched[rows] = True
        # Input layer: only rows of features present in the batch move (lazy Adam).
        M, V = self._moments["W1"]
        empty = np.zeros(0, dtype=np.float32)
        _k.scatter_adam(self.W1_, M, V, empty, empty, empty, *self._input_pairs(Xb, n), dH, **adam)
        self._adam("b1", self.b1_, (dH.sum(axis=0) / np.float32(n)).astype(np.float32))
        self._last_active = n_active
        h = self.hidden_size
        self._work += 2 * int(Xb.nnz) * h + 3 * int(n_active.sum()) * h
        if self.sampling == "lsh":
            self._work += n * self._hash_cost()
        return float(loss.mean())

    # -- public API -------------------------------------------------------------

    def fit(self, X, y, *, eval_set=None, eval_every=None):
        """Train the network.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix, shape (n_samples, n_features)
            Inputs (sparse is the intended case; rows of unit L2 norm work best).
        y : array-like of int of shape (n_samples,), list of array-like of int, or
            scipy.sparse matrix of shape (n_samples, n_classes)
            One class per sample, a label list per sample, or an indicator matrix.
        eval_set : tuple (X_val, y_val), optional
            Held-out data scored with P@1 (full softmax) every ``eval_every``
            examples and at the end of every epoch; the clock stops meanwhile.
        eval_every : int or None, default=None
            Examples between evaluations; ``None``: once per epoch.

        Returns
        -------
        self : SlideClassifier
        """
        self._validate_params()
        X = self._check_X(X, fitted=False)
        lab_ptr, lab_ids, n_cols = _labels_csr(y, self.n_classes)
        if lab_ptr.size - 1 != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {lab_ptr.size - 1}")
        n_classes = self.n_classes
        if n_classes is None:
            n_classes = n_cols if n_cols is not None else int(lab_ids.max(initial=-1)) + 1
        if n_classes < 1:
            raise ValueError("y holds no labels; set n_classes")
        if lab_ids.size and (lab_ids.min() < 0 or lab_ids.max() >= n_classes):
            bad = int(lab_ids.max()) if lab_ids.max() >= n_classes else int(lab_ids.min())
            raise ValueError(f"label id {bad} is outside [0, n_classes={n_classes})")
        if eval_every is not None and (
            not isinstance(eval_every, numbers.Integral) or eval_every < 1
        ):
            raise ValueError(f"eval_every must be None or an integer >= 1, got {eval_every!r}")

        # One generator per independent part, seeded up front.
        seeds = np.random.SeedSequence(
            np.random.default_rng(self.random_state).integers(_SEED_MAX)
        ).spawn(4)
        rng_init, rng_order, rng_hash, rng_sample = (np.random.default_rng(s) for s in seeds)
        self._init_state(X.shape[1], n_classes, rng_init)
        self._hash = None
        self.loss_curve_, self.epoch_times_, self.epoch_cpu_times_ = [], [], []
        self.batch_cpu_times_, self.refill_cpu_times_, self.epoch_multiply_adds_ = [], [], []
        self.history_ = {
            "train_time": [],
            "train_cpu_time": [],
            "examples": [],
            "p_at_1": [],
            "p_at_5": [],
            "mean_active": [],
        }
        previous = _k.set_threads(self.n_jobs)
        try:
            self._run_epochs(
                X, lab_ptr, lab_ids, rng_order, rng_hash, rng_sample, eval_set, eval_every
            )
        finally:
            _k.set_threads(previous)
        return self

    def _run_epochs(
        self, X, lab_ptr, lab_ids, rng_order, rng_hash, rng_sample, eval_set, eval_every
    ):
        n = X.shape[0]
        lsh = self.sampling == "lsh"
        period = float(self.rehash_period)
        next_rehash, next_rebuild = period, float(self.rebuild_period)
        seen, since_eval = 0, 0
        clock = np.zeros(2)  # training seconds so far: wall clock, process CPU
        recent_active = []
        for _ in range(self.n_epochs):
            t_epoch = _now()
            self._work = 0
            spent_eval = np.zeros(2)
            if lsh and self._tables is None:
                self._timed_refill(rng_hash, new_functions=True)
            order = rng_order.permutation(n)
            epoch_active = []
            for start in range(0, n, self.batch_size):
                idx = np.sort(order[start : start + self.batch_size])
                Xb = X[idx]
                b_ptr = lab_ptr[idx + 1] - lab_ptr[idx]
                b_ptr = np.concatenate([[0], np.cumsum(b_ptr)]).astype(np.int64)
                b_ids = (
                    np.concatenate([lab_ids[lab_ptr[i] : lab_ptr[i + 1]] for i in idx])
                    if idx.size
                    else np.zeros(0, np.int64)
                )
                cpu = time.process_time()
                self.loss_curve_.append(self._train_batch(Xb, b_ptr, b_ids, rng_sample))
                self.batch_cpu_times_.append(time.process_time() - cpu)
                epoch_active.append(self._last_active)
                recent_active.append(self._last_active)
                seen += idx.size
                since_eval += idx.size
                if lsh and seen >= next_rebuild:
                    self._timed_refill(rng_hash, new_functions=True)
                    next_rebuild += self.rebuild_period
                    next_rehash = seen + period
                elif lsh and seen >= next_rehash:
                    self._timed_refill(rng_hash, new_functions=False)
                    period *= self.rehash_growth
                    next_rehash = seen + period
                t0 = _now()
                took = t0 - t_epoch - spent_eval  # training time of this epoch so far
                last = start + self.batch_size >= n
                if eval_set is not None and (
                    (eval_every is not None and since_eval >= eval_every) or last
                ):
                    self._record(eval_set, seen, clock + took, recent_active)
                    recent_active, since_eval = [], 0
                    spent_eval += _now() - t0
            clock += took
            self.epoch_times_.append(float(took[0]))
            self.epoch_cpu_times_.append(float(took[1]))
            self.epoch_multiply_adds_.append(int(self._work))
            self.active_counts_ = np.concatenate(epoch_active)

    def _timed_refill(self, rng: np.random.Generator, new_functions: bool) -> None:
        cpu = time.process_time()
        self._refill_tables(rng, new_functions)
        self.refill_cpu_times_.append(time.process_time() - cpu)

    def _record(self, eval_set, seen, train_time, recent_active):
        from rushml.metrics import precision_at_k

        X_val, y_val = eval_set
        top = self.predict_topk(X_val, k=min(5, self.n_classes_))
        self.history_["p_at_5"].append(
            float(precision_at_k(top, y_val, 5)) if top.shape[1] == 5 else None
        )
        p1 = precision_at_k(top, y_val, 1)
        self.history_["train_time"].append(float(train_time[0]))
        self.history_["train_cpu_time"].append(float(train_time[1]))
        self.history_["examples"].append(int(seen))
        self.history_["p_at_1"].append(float(p1))
        self.history_["mean_active"].append(float(np.concatenate(recent_active).mean()))

    def _check_fitted(self):
        if not hasattr(self, "W2_"):
            raise RuntimeError("SlideClassifier is not fitted yet: call fit(X, y) first")

    def decision_function(self, X) -> np.ndarray:
        """Logits of every class (full output layer), shape (n_samples, n_classes)."""
        self._check_fitted()
        X = self._check_X(X, fitted=True)
        return self._hidden(X) @ self.W2_.T + self.b2_

    def build_index(
        self,
        *,
        hash_family=None,
        n_hashes=None,
        n_tables=None,
        bin_size=None,
        bucket_size=None,
        n_prior=0,
        mips=False,
        random_state=None,
    ):
        """Hash the fitted output neurons into fresh tables for LSH prediction.

        The tables of training were filled before the last weight updates; this
        indexes the final weights, possibly with other ``K`` and ``L``
        (prediction can afford more candidates per example than a training step).
        :meth:`predict_topk` with ``candidates="lsh"`` then scores, per example,
        the neurons its hidden vector retrieves plus ``n_prior`` fixed ones.

        Parameters
        ----------
        hash_family, n_hashes, n_tables, bin_size, bucket_size : optional
            As in the constructor; ``None`` takes the estimator's value.
        n_prior : int, default=0
            The neurons of largest output bias every example gets as candidates.
        mips : bool, default=False
            Hash for the largest inner product, bias included (simple-LSH), rather
            than for similar direction; see
            :class:`rushml.slide_index.LSHPredictionIndex`.
        random_state : int, numpy.random.Generator or None, default=None
            Seed of the hash functions and the insertion order.

        Returns
        -------
        self : SlideClassifier
        """
        self._check_fitted()
        # The estimator's table parameters unless given; DWTA's bucket index is the
        # default, "distinct", whatever training used.
        self.index_ = LSHPredictionIndex(
            hash_family=self.hash_family if hash_family is None else hash_family,
            n_hashes=self.n_hashes if n_hashes is None else n_hashes,
            n_tables=self.n_tables if n_tables is None else n_tables,
            bin_size=self.bin_size if bin_size is None else bin_size,
            bucket_size=self.bucket_size if bucket_size is None else bucket_size,
            n_prior=n_prior,
            mips=mips,
            random_state=random_state,
        ).fit(self.W2_, self.b2_)
        return self

    def predict_topk(self, X, k=5, *, chunk_size=None, candidates="all") -> np.ndarray:
        """Return the ``k`` highest-scoring classes per sample.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix, shape (n_samples, n_features)
        k : int, default=5
            Classes returned per sample, ``1 <= k <= n_classes``.
        chunk_size : int or None, default=None
            Samples scored at once; ``None``: 256 (``candidates="all"``) or
            1,024 (``"lsh"``).
        candidates : {"all", "lsh"}, default="all"
            ``"all"``: exact scores of every class, computed for a block of
            samples and 8,192 classes at a time, the best ``k`` so far kept per
            sample (never an ``n_samples`` by ``n_classes`` matrix).
            ``"lsh"``: exact scores of the classes the sample's hidden vector
            retrieves from the tables of :meth:`build_index` (built with the
            training parameters on first use), plus that index's prior
            classes; a sample with fewer than ``k`` candidates gets ``-1``
            in the remaining places.

        Returns
        -------
        ndarray of int64, shape (n_samples, k)
            Class ids, best first.
        """
        self._check_fitted()
        if not isinstance(k, numbers.Integral) or not 1 <= k <= self.n_classes_:
            raise ValueError(f"k must be an integer in [1, {self.n_classes_}], got {k!r}")
        if candidates not in ("all", "lsh"):
            raise ValueError(f"candidates must be 'all' or 'lsh', got {candidates!r}")
        X = self._check_X(X, fitted=True)
        if candidates == "lsh":
            return self._predict_lsh(X, k, chunk_size or 1024)
        H = self._hidden(X)
        step = chunk_size or 256
        out = np.empty((X.shape[0], k), dtype=np.int64)
        for a in range(0, X.shape[0], step):
            out[a : a + step] = self._exact_topk(H[a : a + step], k)
        return out

    def _exact_topk(self, H, k, class_block=8192):
        """Top ``k`` of every class for a block of rows, a block of classes at a time.

        Each (rows, class_block) score block stays small enough for the cache; the
        running best ``k`` per row are merged with each block's (ties: lower id).
        """
        n = H.shape[0]
        rows = np.arange(n)[:, None]
        best_s = np.full((n, k), -np.inf, dtype=np.float32)
        best_i = np.full((n, k), -1, dtype=np.int64)
        for c in range(0, self.n_classes_, class_block):
            S = H @ self.W2_[c : c + class_block].T
            S += self.b2_[c : c + class_block]
            if k == 1:
                j = S.argmax(axis=1)
                s = S[rows[:, 0], j]
                better = s > best_s[:, 0]
                best_s[better, 0], best_i[better, 0] = s[better], j[better] + c
                continue
            kk = min(k, S.shape[1])
            part = np.argpartition(-S, kk - 1, axis=1)[:, :kk]
            cand_s = np.concatenate([best_s, S[rows, part]], axis=1)
            cand_i = np.concatenate([best_i, part + c], axis=1)
            # Best score first, then the lower id: a stable sort on the id-ordered pairs.
            by_id = np.argsort(np.where(cand_i < 0, np.iinfo(np.int64).max, cand_i), axis=1)
            cand_s, cand_i = cand_s[rows, by_id], cand_i[rows, by_id]
            order = np.argsort(-cand_s, axis=1, kind="stable")[:, :k]
            best_s, best_i = cand_s[rows, order], cand_i[rows, order]
        return best_i

    def _predict_lsh(self, X, k, step):
        if getattr(self, "index_", None) is None:
            self.build_index(random_state=self.random_state)
        marks = getattr(self, "_marks", None)
        if marks is None or marks.shape[1] != self.n_classes_:
            marks = self._marks = _k.scratch_marks(self.n_classes_)
        out = np.empty((X.shape[0], k), dtype=np.int64)
        counts = np.empty(X.shape[0], dtype=np.int64)
        previous = _k.set_threads(self.n_jobs)
        try:
            for a in range(0, X.shape[0], step):
                H = self._hidden(X[a : a + step])
                out[a : a + step], counts[a : a + step] = self.index_.topk(
                    H, self.W2_, self.b2_, k, marks
                )
        finally:
            _k.set_threads(previous)
        self.last_candidates_ = counts
        return out

    def predict(self, X) -> np.ndarray:
        """Most likely class per sample, shape (n_samples,)."""
        return self.predict_topk(X, k=1)[:, 0]

    def gradients(self, X, y) -> dict:
        """Loss and gradients of the current weights on one batch, without updating.

        The weights are initialised from ``random_state`` first if the network
        has not been fitted; the active sets follow ``sampling`` as in training.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix, shape (n_samples, n_features)
        y : labels, as in :meth:`fit`

        Returns
        -------
        dict
            ``"loss"`` (mean over the batch) and dense gradients ``"W1"``,
            ``"b1"``, ``"W2"``, ``"b2"`` shaped like the weights.
        """
        self._validate_params()
        X = self._check_X(X, fitted=hasattr(self, "W2_"))
        lab_ptr, lab_ids, n_cols = _labels_csr(y, self.n_classes)
        if not hasattr(self, "W2_"):
            n_classes = self.n_classes or n_cols or int(lab_ids.max()) + 1
            seeds = np.random.SeedSequence(
                np.random.default_rng(self.random_state).integers(_SEED_MAX)
            ).spawn(4)
            self._init_state(X.shape[1], n_classes, np.random.default_rng(seeds[0]))
            self._hash = None
        if lab_ids.size and lab_ids.max() >= self.n_classes_:
            raise ValueError(
                f"label id {int(lab_ids.max())} is outside [0, n_classes={self.n_classes_})"
            )
        n = X.shape[0]
        rng = np.random.default_rng(0)
        if self.sampling == "lsh" and self._tables is None:
            self._refill_tables(rng, new_functions=True)
        H, dH, loss, _, output = self._batch_gradients(X, lab_ptr, lab_ids, rng)
        if output[0] == "dense":
            gW2, gb2 = output[1:]
        elif output[0] == "rows":
            gW2, gb2 = np.zeros_like(self.W2_), np.zeros_like(self.b2_)
            gW2[output[1]], gb2[output[1]] = output[2], output[3]
        else:
            gW2, gb2 = np.zeros_like(self.W2_), np.zeros_like(self.b2_)
            _scatter_gradient(gW2, gb2, *output[1:], H)
        gW1 = np.zeros_like(self.W1_)
        _scatter_gradient(gW1, np.zeros(0, dtype=np.float32), *self._input_pairs(X, n), dH)
        out = {"W2": gW2, "b2": gb2, "W1": gW1, "b1": dH.sum(axis=0) / np.float32(n)}
        out["loss"] = float(loss.mean())
        return out
