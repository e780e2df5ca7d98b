"""Compiled (Numba) text parser behind :mod:`rushml.xc_io`.

Private: call it through :func:`rushml.xc_io.read_xc`. The kernel walks the file's
bytes once and writes CSR arrays; it never raises, it returns an error code and the
byte offset of the token at fault, and the caller turns those into a message that
names the line. ``tests/test_xc_io.py`` compares it with Python's own parsing.
"""

from __future__ import annotations

import numpy as np
from numba import njit

OK = 0
BAD_TOKEN = 1  # a token that is not an id, a ``id:value`` pair or a label list
NOT_FINITE = 2  # a value spelled nan, inf or infinity
TOO_LONG = 3  # more than 18 significant digits in an id

_SPACE, _TAB, _CR, _LF = 32, 9, 13, 10
_COLON, _COMMA, _DOT, _PLUS, _MINUS = 58, 44, 46, 43, 45
_ZERO, _NINE = 48, 57

# Exact powers of ten up to 1e22 are representable, so a value with few digits is
# converted with one correctly rounded multiplication or division.
_POW10 = np.array([10.0**i for i in range(23)])


@njit(cache=True, nogil=True)
def _blank(c):  # pragma: no cover
    return c == _SPACE or c == _TAB or c == _CR


@njit(cache=True, nogil=True)
def _int(buf, p, end):  # pragma: no cover
    """Parse an unsigned decimal integer at ``p``; return (value, next position, error)."""
    q = p
    v = 0
    while q < end and _ZERO <= buf[q] <= _NINE:
        if q - p >= 18:
            return 0, q, TOO_LONG
        v = v * 10 + (buf[q] - _ZERO)
        q += 1
    if q == p:
        return 0, q, BAD_TOKEN
    return v, q, OK


@njit(cache=True, nogil=True)
def _float(buf, p, end):  # pragma: no cover
    """Parse a decimal number (sign, digits, fraction, exponent) at ``p``.

    Returns (value, next position, error). The significand keeps its first 18
    digits; the rest only move the decimal point, far below float32's precision.
    """
    q = p
    negative = False
    if q < end and (buf[q] == _PLUS or buf[q] == _MINUS):
        negative = buf[q] == _MINUS
        q += 1
    if q < end and (buf[q] | 32) in (105, 110):  # 'i' or 'n': inf, infinity, nan
        return 0.0, q, NOT_FINITE
    mant = 0
    digits = 0
    scale = 0
    seen = False
    while q < end and _ZERO <= buf[q] <= _NINE:
        seen = True
        if digits < 18:
            mant = mant * 10 + (buf[q] - _ZERO)
            if mant:
                digits += 1
        else:
            scale += 1
        q += 1
    if q < end and buf[q] == _DOT:
        q += 1
        while q < end and _ZERO <= buf[q] <= _NINE:
            seen = True
            if digits < 18:
                mant = mant * 10 + (buf[q] - _ZERO)
                if mant:
                    digits += 1
                scale -= 1
            q += 1
    if not seen:
        return 0.0, q, BAD_TOKEN
    if q < end and (buf[q] | 32) == 101:  # 'e'
        q += 1
        exp_negative = False
        if q < end and (buf[q] == _PLUS or buf[q] == _MINUS):
            exp_negative = buf[q] == _MINUS
            q += 1
        e, q, err = _int(buf, q, end)
        if err != OK:
            return 0.0, q, BAD_TOKEN
        scale += -e if exp_negative else e
    value = float(mant)
    if scale > 0:
        value *= _POW10[scale] if scale <= 22 else 10.0**scale
    elif scale < 0:
        value /= _POW10[-scale] if scale >= -22 else 10.0 ** (-scale)
    if not np.isfinite(value):
        return 0.0, q, NOT_FINITE
    return -value if negative else value, q, OK


@njit(cache=True, nogil=True)
def parse(buf, start, labels_first, n_pairs, n_labels):  # pragma: no cover
    """Parse every line of ``buf[start:]`` as one row.

    With ``labels_first`` a line is ``[l1,l2,...] f:v f:v ...`` (the label list is
    absent when the line starts with a blank or with a pair); otherwise it is
    ``i:v i:v ...``. ``n_pairs`` and ``n_labels`` bound the output sizes (the counts
    of ':' and of ',' plus lines). A last line without a newline is a row; a newline
    at the end of the file does not start one.

    Returns ``(lab_ptr, lab_idx, ptr, idx, val, n_rows, error, error_at)``.
    """
    end = buf.shape[0]
    n_lines = 0
    for i in range(start, end):
        if buf[i] == _LF:
            n_lines += 1
    if end > start and buf[end - 1] != _LF:
        n_lines += 1
    lab_ptr = np.zeros(n_lines + 1, np.int64)
    lab_idx = np.empty(n_labels, np.int64)
    ptr = np.zeros(n_lines + 1, np.int64)
    idx = np.empty(n_pairs, np.int64)
    val = np.empty(n_pairs, np.float64)
    nl = 0
    nf = 0
    row = 0
    p = start
    while p < end:
        first = True
        while p < end and buf[p] != _LF:
            if _blank(buf[p]):
                p += 1
                first = False
                continue
            tok = p
            v, p, err = _int(buf, p, end)
            if err != OK:
                return lab_ptr, lab_idx, ptr, idx, val, row, err, tok
            if p < end and buf[p] == _COLON:
                x, p, err = _float(buf, p + 1, end)
                if err != OK:
                    return lab_ptr, lab_idx, ptr, idx, val, row, err, tok
                idx[nf] = v
                val[nf] = x
                nf += 1
            elif labels_first and first:
                lab_idx[nl] = v
                nl += 1
                while p < end and buf[p] == _COMMA:
                    v, p, err = _int(buf, p + 1, end)
                    if err != OK:
                        return lab_ptr, lab_idx, ptr, idx, val, row, BAD_TOKEN, tok
                    lab_idx[nl] = v
                    nl += 1
            else:
                return lab_ptr, lab_idx, ptr, idx, val, row, BAD_TOKEN, tok
            if p < end and not (_blank(buf[p]) or buf[p] == _LF):
                return lab_ptr, lab_idx, ptr, idx, val, row, BAD_TOKEN, tok
            first = False
        row += 1
        lab_ptr[row] = nl
        ptr[row] = nf
        p += 1
    return lab_ptr, lab_idx[:nl], ptr, idx[:nf], val[:nf], row, OK, -1
