"""Truncated normal samples by the inverse CDF, in erf space.

Mirror: ``fastinit/_engine/_cython/truncated.pxd`` (same names, arguments and
numbered steps). ``x = clamp(mean + std*sqrt(2)*erfinv(ea + (eb-ea)*u),
lo_c, hi_c)`` with ``u`` in ``(0, 1)``: one word per float32 element, two
per float64. Structure as in ``uniform.py``, except that a 16-bit fill's
batch loop writes float32 into ``row``, which ``store_row`` then rounds to
the output format: rounding inside this long loop cost more (Cython's
bfloat16 fill ran 18% slower, Numba's float16 fill 50%). The uniform and
normal loops gained nothing from a row and round in place.
"""

import numpy as np
from numba import njit

from . import _INLINE_OPTS, _NUMBA_OPTS, float_row, stack_empty
from .chunks import FMT_F32, batch_count, clamp, head_len, store, store_row, word_pair
from .philox import PHILOX_BATCH, PHILOX_WORDS, R1, R2, R3, philox_batch, philox_block
from .transforms import (
    ERFINV_F32_CENTRAL_MAX_X,
    F32,
    SQRT2,
    U64,
    erfinv_f32,
    erfinv_f64,
    u01_open_open_f32,
    u01_open_open_f64,
)

SQRT2_F = F32(SQRT2)


@njit(**_NUMBA_OPTS)  # a function of its own: see _numba/__init__.py
def truncated_f32(w, mean, std, ea, ed, eb, lo_c, hi_c, tails):
    x = clamp(ea + ed * u01_open_open_f32(w), ea, eb)
    return clamp(mean + std * (erfinv_f32(x, tails) * SQRT2_F), lo_c, hi_c)


# Inlined at Numba IR level: as a function of its own it was too large for LLVM
# to inline (erfinv_f64's three polynomials), and the batch loop calling it
# stayed scalar, 6x slower.
@njit(**_INLINE_OPTS)
def truncated_f64(w0, w1, mean, std, ea, ed, eb, lo_c, hi_c, tails):
    x = clamp(ea + ed * u01_open_open_f64(w0, w1), ea, eb)
    return clamp(mean + std * (erfinv_f64(x, tails) * SQRT2), lo_c, hi_c)


@njit(**_NUMBA_OPTS)
def truncated_batch_f32(out, nblk, words, mean, std, ea, ed, eb, lo_c, hi_c, tails):
    # (3) words -> uniforms in erf space -> erfinv; (4) scale, clamp, store
    for j in range(nblk):
        out[4 * j] = truncated_f32(words[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
        out[4 * j + 1] = truncated_f32(words[R1 + j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
        out[4 * j + 2] = truncated_f32(words[R2 + j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
        out[4 * j + 3] = truncated_f32(words[R3 + j], mean, std, ea, ed, eb, lo_c, hi_c, tails)


@njit(**_NUMBA_OPTS)
def truncated_batch_f64(out, nblk, words, mean, std, ea, ed, eb, lo_c, hi_c, tails):
    for j in range(nblk):
        # (3) words -> uniforms in erf space -> erfinv; (4) scale, clamp, store
        out[2 * j] = truncated_f64(words[j], words[R1 + j], mean, std, ea, ed, eb, lo_c, hi_c,
                                   tails)
        out[2 * j + 1] = truncated_f64(words[R2 + j], words[R3 + j], mean, std, ea, ed, eb, lo_c,
                                       hi_c, tails)


@njit(**_NUMBA_OPTS)
def truncated_run_f32(out, key0, key1, stream0, stream1, g0, step, mean, std, ea, eb,
                      lo_c, hi_c, fmt):
    n = out.size
    ed = eb - ea
    # the Giles tail branch is skipped when no x can reach it: same bits, faster
    tails = max(abs(ea), abs(eb)) > ERFINV_F32_CENTRAL_MAX_X
    h = head_len(g0, n, 4) if step == 1 else n
    for m in range(h):
        g = g0 + m * step
        w = philox_block(U64(g >> 2), key0, key1, stream0, stream1)[g & 3]
        store(out, m, truncated_f32(w, mean, std, ea, ed, eb, lo_c, hi_c, tails), fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    words = stack_empty(PHILOX_WORDS, np.uint32)
    row = stack_empty(PHILOX_WORDS, np.float32)  # a 16-bit fill's floats before rounding
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        k = min(PHILOX_BATCH, nb - jb)
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        o = out[h + 4 * jb:]
        dst = float_row(o, row)
        # literal flags: without tails LLVM drops the tail polynomial and its select
        if tails:
            truncated_batch_f32(dst, k, words, mean, std, ea, ed, eb, lo_c, hi_c, True)
        else:
            truncated_batch_f32(dst, k, words, mean, std, ea, ed, eb, lo_c, hi_c, False)
        if fmt != FMT_F32:
            store_row(o, row, 4 * k, lo_c, hi_c, fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        w = philox_block(U64(g >> 2), key0, key1, stream0, stream1)[g & 3]
        store(out, m, truncated_f32(w, mean, std, ea, ed, eb, lo_c, hi_c, tails), fmt)


@njit(**_NUMBA_OPTS)
def truncated_run_f64(out, key0, key1, stream0, stream1, g0, step, mean, std, ea, eb,
                      lo_c, hi_c):
    n = out.size
    ed = eb - ea
    # as in truncated_run_f32: without tails only the central polynomial runs
    tails = max(abs(ea), abs(eb)) > ERFINV_F32_CENTRAL_MAX_X
    h = head_len(g0, n, 2) if step == 1 else n
    for m in range(h):
        w0, w1 = word_pair(2 * (g0 + m * step), key0, key1, stream0, stream1)
        out[m] = truncated_f64(w0, w1, mean, std, ea, ed, eb, lo_c, hi_c, tails)
    nb = (n - h) // 2
    q0 = (g0 + h) >> 1
    words = stack_empty(PHILOX_WORDS, np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) two words per element, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        o = out[h + 2 * jb:]
        k = min(PHILOX_BATCH, nb - jb)
        if tails:
            truncated_batch_f64(o, k, words, mean, std, ea, ed, eb, lo_c, hi_c, True)
        else:
            truncated_batch_f64(o, k, words, mean, std, ea, ed, eb, lo_c, hi_c, False)
    for m in range(h + 2 * nb, n):
        w0, w1 = word_pair(2 * (g0 + m), key0, key1, stream0, stream1)
        out[m] = truncated_f64(w0, w1, mean, std, ea, ed, eb, lo_c, hi_c, tails)
