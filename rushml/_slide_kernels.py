"""Compiled (Numba) kernels of SLIDE's sparse output layer; private.

Three kernels do the per-batch work that NumPy cannot vectorise well (the hash-table
kernels, DWTA codes of a weight matrix, table fills and the retrieval of candidates at
prediction, are in :mod:`rushml._lsh_kernels`):

* :func:`gather_active`: each example's active output neurons, from its hash
  buckets, its labels and optional extra candidates.
* :func:`output_forward_backward`: softmax cross-entropy over each example's
  active neurons, the logits' gradient and the gradient reaching the hidden layer.
* :func:`scatter_adam`: sum per-example gradient contributions row by row and
  apply Adam to the touched rows only.

Examples of a batch (and touched rows in the update) run in parallel with
``prange`` and no locks when Numba has more than one thread; with one thread a
serial driver runs the same per-example function, which skips the parallel
compiler pass (compiling cold is then several times faster). Unlike HOGWILD,
no two threads ever write the same weight: each example writes its own rows of
the outputs, and the update groups contributions by row before one thread
updates that row. Results therefore do not
depend on the number of threads. Plain-NumPy references of each kernel live in
``tests/test_slide.py``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from rushml._lsh_kernels import _FAST, _parallel, scratch_marks, set_threads  # noqa: F401

# -- active sets ---------------------------------------------------------------------


@njit(cache=True)
def _gather_one(
    i,
    codes,
    offsets,
    items,
    lab_ptr,
    lab_ids,
    shared,
    extra,
    max_active,
    fill_to,
    out,
    out_n,
    mark,
):  # pragma: no cover - compiled
    # mark: scratch of one int32 per output neuron, all zero on entry and on exit.
    n_tables = codes.shape[1]
    lo, hi = lab_ptr[i], lab_ptr[i + 1]
    n_lab = hi - lo
    for s in range(lo, hi):
        out[i, s - lo] = lab_ids[s]
        mark[lab_ids[s]] = -(1 << 30)  # labels never count as candidates
    # Shared negatives (the batch's other labels) follow the labels, within max_active.
    n_fixed = n_lab
    for s in range(shared.shape[0]):
        x = shared[s]
        if n_fixed >= max_active:
            break
        if mark[x] == 0:
            out[i, n_fixed] = x
            n_fixed += 1
            mark[x] = -(1 << 30)
    # Distinct bucket hits in order of first retrieval, with their votes (tables agreeing).
    n_cand = 0
    for t in range(n_tables):
        n_cand += offsets[t, codes[i, t] + 1] - offsets[t, codes[i, t]]
    uniq = np.empty(n_cand, dtype=np.int64)
    n_uniq = 0
    max_votes = 0
    for t in range(n_tables):
        c = codes[i, t]
        for p in range(offsets[t, c], offsets[t, c + 1]):
            x = items[p]
            if mark[x] == 0:
                uniq[n_uniq] = x
                n_uniq += 1
            mark[x] += 1
            if mark[x] > max_votes:
                max_votes = mark[x]
    # Keep the most-voted hits (ties: first retrieved) within max_active, in retrieval order.
    room = max(max_active - n_fixed, 0)
    threshold, spare = 0, room  # keep votes > threshold, plus `spare` of votes == threshold
    if n_uniq > room:
        per_vote = np.zeros(max_votes + 1, dtype=np.int64)
        for u in range(n_uniq):
            per_vote[mark[uniq[u]]] += 1
        above = 0
        threshold = max_votes
        while above + per_vote[threshold] < room:
            above += per_vote[threshold]
            threshold -= 1
        spare = room - above
    n = n_fixed
    for u in range(n_uniq):
        x = uniq[u]
        v = mark[x]
        mark[x] = 0
        if n_uniq <= room or v > threshold or (v == threshold and spare > 0):
            if n_uniq > room and v == threshold:
                spare -= 1
            out[i, n] = x
            n += 1
    for s in range(n_lab, n):
        mark[out[i, s]] = 1
    # Fill up to fill_to[i] with the extras, in their order, skipping active ones.
    target = min(fill_to[i], max(max_active, n_fixed))
    for e in range(extra.shape[1]):
        if n >= target:
            break
        x = extra[i, e]
        if mark[x] == 0:
            mark[x] = 1
            out[i, n] = x
            n += 1
    for s in range(n):
        mark[out[i, s]] = 0
    out_n[i] = n


@njit(cache=True)
def _gather_serial(
    codes, offsets, items, lab_ptr, lab_ids, shared, extra, max_active, fill_to, out, out_n, marks
):  # pragma: no cover - compiled
    for i in range(codes.shape[0]):
        _gather_one(
            i,
            codes,
            offsets,
            items,
            lab_ptr,
            lab_ids,
            shared,
            extra,
            max_active,
            fill_to,
            out,
            out_n,
            marks[0],
        )


@njit(parallel=True, cache=True)
def _gather_parallel(
    codes, offsets, items, lab_ptr, lab_ids, shared, extra, max_active, fill_to, out, out_n, marks
):  # pragma: no cover - compiled
    n_chunks = marks.shape[0]
    n = codes.shape[0]
    for chunk in prange(n_chunks):  # one scratch row per chunk of examples
        for i in range(chunk * n // n_chunks, (chunk + 1) * n // n_chunks):
            _gather_one(
                i,
                codes,
                offsets,
                items,
                lab_ptr,
                lab_ids,
                shared,
                extra,
                max_active,
                fill_to,
                out,
                out_n,
                marks[chunk],
            )


def gather_active(
    codes,
    offsets,
    items,
    lab_ptr,
    lab_ids,
    extra,
    max_active,
    fill_to,
    n_outputs,
    marks=None,
    shared=None,
):
    """Active output neurons of each example: labels, shared ids, bucket hits, then fillers.

    Parameters
    ----------
    codes : ndarray of int64, shape (n_examples, n_tables)
        Bucket code of each example's hidden vector in each table (``n_tables``
        may be 0).
    offsets : ndarray of int64, shape (n_tables, n_buckets + 1)
        Bucket offsets into ``items`` (:attr:`rushml.lsh.LSHTables.offsets_`).
    items : ndarray of int32, shape (n_stored,)
        Neuron ids stored in the tables.
    lab_ptr, lab_ids : ndarray of int64
        Labels of example ``i`` are ``lab_ids[lab_ptr[i]:lab_ptr[i + 1]]`` (distinct).
    extra : ndarray of int64, shape (n_examples, n_extra)
        Filler candidates per example (random neurons), used in order.
    max_active : int
        At most this many neurons in all (labels are always kept): the bucket
        hits retrieved by the most tables are kept first (ties: the one
        retrieved first, scanning tables in order).
    fill_to : ndarray of int64, shape (n_examples,)
        While an example has fewer active neurons than this, its next extra
        not yet active is added.
    n_outputs : int
        Neurons in the layer (every id is below it).
    marks : ndarray of int32, shape (n_chunks, n_outputs), optional
        All-zero scratch (left all-zero); one row per parallel chunk. Passing the
        same buffer on every batch saves allocating it.
    shared : ndarray of int64, shape (n_shared,), optional
        Ids every example gets right after its labels (skipping its own labels),
        in order while there is room under ``max_active``, before any bucket hit:
        a batch's labels shared as negatives. ``None``: none.

    Returns
    -------
    active : ndarray of int64, shape (n_examples, width)
        Row ``i``: the labels, the shared ids, the kept hits in retrieval order,
        then the fillers.
    n_active : ndarray of int64, shape (n_examples,)
        Valid entries per row.
    """
    n_examples = codes.shape[0]
    n_lab = np.diff(lab_ptr)
    if codes.shape[1]:
        rows = np.arange(codes.shape[1])[None, :]
        n_hits = (offsets[rows, codes + 1] - offsets[rows, codes]).sum(axis=1)
    else:
        n_hits = np.zeros(n_examples, dtype=np.int64)
    shared = np.zeros(0, np.int64) if shared is None else np.asarray(shared, dtype=np.int64)
    n_fixed = n_lab + shared.size  # at most: a label that is also shared counts once
    bound = np.minimum(n_fixed + n_hits + extra.shape[1], np.maximum(max_active, n_lab))
    width = int(max(bound.max(initial=0), 1))
    out = np.full((n_examples, width), -1, dtype=np.int64)
    out_n = np.zeros(n_examples, dtype=np.int64)
    if marks is None:
        marks = scratch_marks(n_outputs)
    run = _gather_parallel if _parallel() and marks.shape[0] > 1 else _gather_serial
    run(
        codes,
        offsets,
        items.astype(np.int32, copy=False),
        lab_ptr,
        lab_ids,
        shared,
        extra.astype(np.int64, copy=False),
        int(max_active),
        np.asarray(fill_to, dtype=np.int64),
        out,
        out_n,
        marks,
    )
    return out, out_n


# -- forward and backward over the active sets ------------------------------------------


@njit(cache=True, fastmath=_FAST)
def _fb_one(i, H, W, b, active, n_active, n_labels, G, dH, loss):  # pragma: no cover - compiled
    hidden = H.shape[1]
    n = n_active[i]
    nl = n_labels[i]
    for k in range(hidden):
        dH[i, k] = 0.0
    loss[i] = 0.0
    for j in range(active.shape[1]):
        G[i, j] = 0.0
    if nl == 0 or n == 0:
        return
    # Logits of the active neurons only: z_j = w_j . h + b_j.
    zmax = -3.0e38
    for j in range(n):
        r = active[i, j]
        z = b[r]
        for k in range(hidden):
            z += W[r, k] * H[i, k]
        G[i, j] = z
        if z > zmax:
            zmax = z
    # Softmax over the active set (stabilised by the largest logit).
    total = 0.0
    for j in range(n):
        e = np.exp(G[i, j] - zmax)
        G[i, j] = e
        total += e
    # Cross-entropy against the uniform distribution over the labels (first nl entries):
    # loss = log sum_j exp(z_j) - mean_{labels} z_l; dloss/dz_j = p_j - [j label] / nl.
    log_total = np.log(total)
    for j in range(nl):
        loss[i] -= (np.log(G[i, j]) - log_total) / nl
    for j in range(n):
        g = G[i, j] / total
        if j < nl:
            g -= 1.0 / nl
        G[i, j] = g
        r = active[i, j]
        for k in range(hidden):
            dH[i, k] += g * W[r, k]
    # Back through the ReLU: no gradient where the hidden unit was off.
    for k in range(hidden):
        if H[i, k] <= 0.0:
            dH[i, k] = 0.0


@njit(cache=True)
def _fb_serial(H, W, b, active, n_active, n_labels, G, dH, loss):  # pragma: no cover - compiled
    for i in range(H.shape[0]):
        _fb_one(i, H, W, b, active, n_active, n_labels, G, dH, loss)


@njit(parallel=True, cache=True)
def _fb_parallel(H, W, b, active, n_active, n_labels, G, dH, loss):  # pragma: no cover - compiled
    for i in prange(H.shape[0]):
        _fb_one(i, H, W, b, active, n_active, n_labels, G, dH, loss)


def output_forward_backward(H, W, b, active, n_active, n_labels):
    """Softmax cross-entropy over each example's active neurons, and its gradients.

    Parameters
    ----------
    H : ndarray of float32, shape (n_examples, hidden)
        Hidden activations (after the ReLU).
    W : ndarray of float32, shape (n_outputs, hidden)
        Output weights, one row per neuron.
    b : ndarray of float32, shape (n_outputs,)
        Output biases.
    active, n_active : ndarrays from :func:`gather_active`
        Active neurons per example; the first ``n_labels[i]`` are the labels.
    n_labels : ndarray of int64, shape (n_examples,)
        Labels per example; an example without labels contributes nothing.

    Returns
    -------
    G : ndarray of float32, shape (n_examples, width)
        ``dloss_i / dz_{active[i, j]}``, zero past ``n_active[i]``.
    dH : ndarray of float32, shape (n_examples, hidden)
        ``dloss_i / dh_i`` masked by the ReLU (zero where ``H <= 0``).
    loss : ndarray of float64, shape (n_examples,)
        Cross-entropy of each example over its active set.
    """
    G = np.empty(active.shape, dtype=np.float32)
    dH = np.empty(H.shape, dtype=np.float32)
    loss = np.empty(H.shape[0], dtype=np.float64)
    run = _fb_parallel if _parallel() else _fb_serial
    run(H, W, b, active, n_active, n_labels, G, dH, loss)
    return G, dH, loss


# -- sparse Adam ----------------------------------------------------------------------


@njit(cache=True)
def _group_by_row(rows, n_rows):  # pragma: no cover - compiled
    """Sort contribution indices by row (counting sort): (starts, touched rows, order)."""
    starts = np.zeros(n_rows + 1, dtype=np.int64)
    for p in range(rows.size):
        starts[rows[p] + 1] += 1
    touched = np.empty(n_rows, dtype=np.int64)
    n_touched = 0
    for r in range(n_rows):
        if starts[r + 1] > 0:
            touched[n_touched] = r
            n_touched += 1
        starts[r + 1] += starts[r]
    fill = starts[:-1].copy()
    order = np.empty(rows.size, dtype=np.int64)
    for p in range(rows.size):
        order[fill[rows[p]]] = p
        fill[rows[p]] += 1
    return starts, touched[:n_touched], order


@njit(cache=True, fastmath=_FAST)
def _adam_rows(
    lo,
    hi,
    touched,
    W,
    M,
    V,
    bias,
    Mb,
    Vb,
    starts,
    order,
    ex,
    coef,
    src,
    lr,
    beta1,
    beta2,
    eps,
    om1,
    om2,
    mode,
):  # pragma: no cover - compiled
    dim = W.shape[1]
    g = np.empty(dim, dtype=np.float32)  # one scratch gradient for the whole range
    for t in range(lo, hi):
        r = touched[t]
        g[:] = 0.0
        gb = np.float32(0.0)
        for q in range(starts[r], starts[r + 1]):
            p = order[q]
            c = coef[p]
            gb += c
            for k in range(dim):
                g[k] += c * src[ex[p], k]
        if mode == 1:  # gradient only: write it into W (and bias)
            for k in range(dim):
                W[r, k] = g[k]
            if bias.size > 0:
                bias[r] = gb
            continue
        # Adam (Kingma & Ba 2015, Algorithm 1, in the form of its section 2 that folds the
        # bias corrections into the step: lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t)).
        for k in range(dim):
            m = beta1 * M[r, k] + om1 * g[k]
            v = beta2 * V[r, k] + om2 * g[k] * g[k]
            M[r, k] = m
            V[r, k] = v
            W[r, k] -= lr * m / (np.sqrt(v) + eps)
        if bias.size > 0:
            m = beta1 * Mb[r] + om1 * gb
            v = beta2 * Vb[r] + om2 * gb * gb
            Mb[r] = m
            Vb[r] = v
            bias[r] -= lr * m / (np.sqrt(v) + eps)


@njit(cache=True)
def _scatter_serial(
    W, M, V, bias, Mb, Vb, rows, ex, coef, src, lr, beta1, beta2, eps, om1, om2, mode
):  # pragma: no cover - compiled
    starts, touched, order = _group_by_row(rows, W.shape[0])
    _adam_rows(
        0,
        touched.size,
        touched,
        W,
        M,
        V,
        bias,
        Mb,
        Vb,
        starts,
        order,
        ex,
        coef,
        src,
        lr,
        beta1,
        beta2,
        eps,
        om1,
        om2,
        mode,
    )


@njit(parallel=True, cache=True)
def _scatter_parallel(
    W, M, V, bias, Mb, Vb, rows, ex, coef, src, lr, beta1, beta2, eps, om1, om2, mode
):  # pragma: no cover - compiled
    starts, touched, order = _group_by_row(rows, W.shape[0])
    n = touched.size
    n_chunks = min(n, 64)
    for c in prange(n_chunks):
        _adam_rows(
            c * n // n_chunks,
            (c + 1) * n // n_chunks,
            touched,
            W,
            M,
            V,
            bias,
            Mb,
            Vb,
            starts,
            order,
            ex,
            coef,
            src,
            lr,
            beta1,
            beta2,
            eps,
            om1,
            om2,
            mode,
        )


def scatter_adam(
    W, M, V, bias, Mb, Vb, rows, ex, coef, src, *, lr, beta1, beta2, eps, step, grad_only=False
):
    """Apply Adam to the rows of ``W`` touched by a batch, in place.

    The gradient of row ``r`` is ``g_r = sum_{p: rows[p] = r} coef[p] * src[ex[p]]``
    (and of ``bias[r]``: ``sum_p coef[p]``); rows no triple names are left as they
    are, moments included (lazy Adam, as SLIDE updates only active neurons).

    Parameters
    ----------
    W, M, V : ndarray of float32, shape (n_rows, dim)
        Weights and Adam's first and second moments, updated in place.
    bias, Mb, Vb : ndarray of float32, shape (n_rows,) or (0,)
        Bias and its moments; empty arrays for a layer without bias here.
    rows, ex : ndarray of int64, shape (n_pairs,)
        Row and example of each contribution.
    coef : ndarray of float32, shape (n_pairs,)
        Scalar factor of each contribution.
    src : ndarray of float32, shape (n_examples, dim)
        Per-example vectors the contributions scale.
    lr, beta1, beta2, eps : float
        Adam's step size and decay rates.
    step : int
        Adam's step counter ``t >= 1`` for the bias corrections.
    grad_only : bool, default=False
        Write the summed gradient into ``W`` (and ``bias``) instead of updating.
    """
    run = _scatter_parallel if _parallel() else _scatter_serial
    run(
        W,
        M,
        V,
        bias,
        Mb,
        Vb,
        rows,
        ex,
        coef,
        src,
        *_adam_scalars(lr, beta1, beta2, eps, step),
        1 if grad_only else 0,
    )


def _adam_scalars(lr, beta1, beta2, eps, step):
    """Float32 scalars of one Adam step: lr_t, beta1, beta2, eps_t, 1 - beta1, 1 - beta2.

    Kingma & Ba (2015), end of section 2: ``lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t)``
    and ``eps_t = eps sqrt(1 - beta2^t)`` give the bias-corrected update with one
    division and one square root per weight.
    """
    c2 = np.sqrt(1.0 - beta2**step)
    lr_t = lr * c2 / (1.0 - beta1**step)
    f32 = np.float32
    return f32(lr_t), f32(beta1), f32(beta2), f32(eps * c2), f32(1.0 - beta1), f32(1.0 - beta2)


# -- dense Adam (the dense baseline's output layer) --------------------------------------

_SPAN = 1 << 14  # entries per parallel work item


@njit(cache=True, fastmath=_FAST)
def _adam_span(lo, hi, W, M, V, G, lr, beta1, beta2, eps, om1, om2):  # pragma: no cover
    for i in range(lo, hi):
        g = G[i]
        m = beta1 * M[i] + om1 * g
        v = beta2 * V[i] + om2 * g * g
        M[i] = m
        V[i] = v
        W[i] -= lr * m / (np.sqrt(v) + eps)


@njit(parallel=True, cache=True)
def _dense_adam_parallel(W, M, V, G, lr, beta1, beta2, eps, om1, om2):  # pragma: no cover
    n_spans = (W.size + _SPAN - 1) // _SPAN
    for s in prange(n_spans):
        lo = s * _SPAN
        _adam_span(lo, min(lo + _SPAN, W.size), W, M, V, G, lr, beta1, beta2, eps, om1, om2)


def dense_adam(W, M, V, G, *, lr, beta1, beta2, eps, step):
    """Adam on every entry of ``W`` (any shape, C-contiguous float32), in place."""
    args = (
        W.reshape(-1),
        M.reshape(-1),
        V.reshape(-1),
        G.reshape(-1),
        *_adam_scalars(lr, beta1, beta2, eps, step),
    )
    # A small array costs less in one thread than waking the others (an output row set,
    # a bias): parallel only from a few work items up.
    if _parallel() and W.size >= 4 * _SPAN:
        _dense_adam_parallel(*args)
    else:
        _adam_span(0, W.size, *args)
