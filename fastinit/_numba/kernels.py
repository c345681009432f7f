"""Fill kernels: Philox4x32-10 words -> samples, written straight into ``out``.

Mirror: ``fastinit/_cython/kernels.pyx`` (same names, arguments and numbered
steps; Cython adds a trailing ``n_threads``). Spec: ``tests/reference.py``;
contract: README, "The randomness contract".

Geometry: memory element ``m`` of the 1-D ``out`` is row ``m // row_len``,
column ``k = m % row_len``, and holds global element
``g = first + row*row_step + k*step``; its value depends only on
(key, stream, g). Word ``w`` is lane ``w % 4`` of Philox block ``q = w // 4``
under counter ``(q_lo, q_hi, stream0, stream1)``. Work is cut into chunks of
rows, never into threads, so the thread count cannot change a bit. Whole
blocks are made PHILOX_BATCH at a time by ``philox_batch``, then transformed
by a ``*_batch_*`` loop; heads, tails and strided runs take one block per
element. Where the Cython twin writes the transform loop inline, this side
gives it a function of its own with one loop per output format: LLVM
vectorizes only such loops (an index it cannot prove non-negative, or a
branch on the format inside the loop, keeps it scalar).
"""

import numpy as np
from numba import njit, prange

from .. import _constants as C
from . import _INLINE_OPTS, _NUMBA_OPTS
from .philox import PHILOX_BATCH, philox_batch, philox_block
from .transforms import (
    F32,
    F64,
    U64,
    box_muller_f32,
    box_muller_f64,
    erfinv_f32,
    erfinv_f64,
    f32_to_bf16_bits,
    f32_to_f16_bits,
    tail_z_f64,
    u01_closed_open_f32,
    u01_closed_open_f64,
    u01_open_open_f32,
    u01_open_open_f64,
)

CHUNK_ELEMS = 4 * C.CHUNK_BLOCKS
FMT_F64 = C.FMT_F64
FMT_BF16 = C.FMT_BF16
FMT_F16 = C.FMT_F16
SQRT2_F = F32(C.SQRT2)
SQRT2 = C.SQRT2
ERFINV_F32_CENTRAL_MAX_X = C.ERFINV_F32_CENTRAL_MAX_X


# --- shared helpers ----------------------------------------------------------
@njit(**_INLINE_OPTS)
def work_item(t, per_row, row_len, first, row_step, step):
    """Memory start, length and first global index of work item ``t``."""
    r = t // per_row
    k0 = (t % per_row) * CHUNK_ELEMS
    n = min(CHUNK_ELEMS, row_len - k0)
    return r * row_len + k0, n, first + r * row_step + k0 * step


@njit(**_INLINE_OPTS)
def word_pair(w, key0, key1, stream0, stream1):
    """Words w and w+1 (w even) of a stream."""
    b = philox_block(U64(w >> 2), key0, key1, stream0, stream1)
    lane = w & 3
    return b[lane], b[lane + 1]


@njit(**_INLINE_OPTS)
def clamp(x, lo_c, hi_c):
    x = lo_c if x < lo_c else x
    x = hi_c if x > hi_c else x
    return x


@njit(**_INLINE_OPTS)
def store(out, m, x, fmt):
    """Write float32/float64 ``x``; 16-bit formats round to nearest even."""
    if fmt == FMT_BF16:
        out[m] = f32_to_bf16_bits(x)
    elif fmt == FMT_F16:
        out[m] = f32_to_f16_bits(x)
    else:
        out[m] = x


@njit(**_INLINE_OPTS)
def head_len(g0, n, per):
    """Elements before the first whole Philox block (g0 >= 0)."""
    return min((per - g0 % per) % per, n)


@njit(**_INLINE_OPTS)
def batch_count(nb):
    return (nb + PHILOX_BATCH - 1) // PHILOX_BATCH


# --- raw words ------------------------------------------------------------------
@njit(**_NUMBA_OPTS)
def bits_batch(out, words):
    w0, w1, w2, w3 = words[0], words[1], words[2], words[3]
    for j in range(out.size // 4):
        # (3) no transform; (4) store the block
        out[4 * j] = w0[j]
        out[4 * j + 1] = w1[j]
        out[4 * j + 2] = w2[j]
        out[4 * j + 3] = w3[j]


@njit(**_NUMBA_OPTS)
def bits_run(out, key0, key1, stream0, stream1, g0, step):
    n = out.size
    h = head_len(g0, n, 4) if step == 1 else n
    for m in range(h):
        # (1) counter for the block of word g; (2) its four words
        g = g0 + m * step
        out[m] = philox_block(U64(g >> 2), key0, key1, stream0, stream1)[g & 3]
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    words = np.empty((4, PHILOX_BATCH), np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        bits_batch(out[h + 4 * jb:h + 4 * min(nb, jb + PHILOX_BATCH)], words)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        out[m] = philox_block(U64(g >> 2), key0, key1, stream0, stream1)[g & 3]


@njit(parallel=True, **_NUMBA_OPTS)
def fill_bits(out, key0, key1, stream0, stream1, first, row_len, row_step, step):
    """Raw Philox words: element g is word g."""
    per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    for t in prange((out.size // row_len) * per_row):
        m0, n, g0 = work_item(t, per_row, row_len, first, row_step, step)
        bits_run(out[m0:m0 + n], U64(key0), U64(key1), U64(stream0), U64(stream1), g0, step)


# --- uniform -----------------------------------------------------------------------
@njit(**_INLINE_OPTS)
def uniform_f32(w, lo, span, lo_c, hi_c):
    return clamp(lo + span * u01_closed_open_f32(w), lo_c, hi_c)


@njit(**_INLINE_OPTS)
def uniform_f64(w0, w1, lo, span, lo_c, hi_c):
    return clamp(lo + span * u01_closed_open_f64(w0, w1), lo_c, hi_c)


@njit(**_NUMBA_OPTS)
def uniform_batch_f32(out, words, lo, span, lo_c, hi_c, fmt):
    w0, w1, w2, w3 = words[0], words[1], words[2], words[3]
    # (3) words -> uniforms -> scale, shift, clamp; (4) store, one loop per format
    if fmt == FMT_BF16:
        for j in range(out.size // 4):
            out[4 * j] = f32_to_bf16_bits(uniform_f32(w0[j], lo, span, lo_c, hi_c))
            out[4 * j + 1] = f32_to_bf16_bits(uniform_f32(w1[j], lo, span, lo_c, hi_c))
            out[4 * j + 2] = f32_to_bf16_bits(uniform_f32(w2[j], lo, span, lo_c, hi_c))
            out[4 * j + 3] = f32_to_bf16_bits(uniform_f32(w3[j], lo, span, lo_c, hi_c))
    elif fmt == FMT_F16:
        for j in range(out.size // 4):
            out[4 * j] = f32_to_f16_bits(uniform_f32(w0[j], lo, span, lo_c, hi_c))
            out[4 * j + 1] = f32_to_f16_bits(uniform_f32(w1[j], lo, span, lo_c, hi_c))
            out[4 * j + 2] = f32_to_f16_bits(uniform_f32(w2[j], lo, span, lo_c, hi_c))
            out[4 * j + 3] = f32_to_f16_bits(uniform_f32(w3[j], lo, span, lo_c, hi_c))
    else:
        for j in range(out.size // 4):
            out[4 * j] = uniform_f32(w0[j], lo, span, lo_c, hi_c)
            out[4 * j + 1] = uniform_f32(w1[j], lo, span, lo_c, hi_c)
            out[4 * j + 2] = uniform_f32(w2[j], lo, span, lo_c, hi_c)
            out[4 * j + 3] = uniform_f32(w3[j], lo, span, lo_c, hi_c)


@njit(**_NUMBA_OPTS)
def uniform_batch_f64(out, words, lo, span, lo_c, hi_c):
    w0, w1, w2, w3 = words[0], words[1], words[2], words[3]
    for j in range(out.size // 2):
        # (3) words -> uniforms -> scale, shift, clamp; (4) store
        out[2 * j] = uniform_f64(w0[j], w1[j], lo, span, lo_c, hi_c)
        out[2 * j + 1] = uniform_f64(w2[j], w3[j], lo, span, lo_c, hi_c)


@njit(**_NUMBA_OPTS)
def uniform_run_f32(out, key0, key1, stream0, stream1, g0, step, lo, span, lo_c, hi_c, fmt):
    n = out.size
    h = head_len(g0, n, 4) if step == 1 else n
    for m in range(h):
        g = g0 + m * step
        w = philox_block(U64(g >> 2), key0, key1, stream0, stream1)[g & 3]
        store(out, m, uniform_f32(w, lo, span, lo_c, hi_c), fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    words = np.empty((4, PHILOX_BATCH), np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        uniform_batch_f32(out[h + 4 * jb:h + 4 * min(nb, jb + PHILOX_BATCH)], words,
                          lo, span, lo_c, hi_c, fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        w = philox_block(U64(g >> 2), key0, key1, stream0, stream1)[g & 3]
        store(out, m, uniform_f32(w, lo, span, lo_c, hi_c), fmt)


@njit(**_NUMBA_OPTS)
def uniform_run_f64(out, key0, key1, stream0, stream1, g0, step, lo, span, lo_c, hi_c):
    n = out.size
    h = head_len(g0, n, 2) if step == 1 else n
    for m in range(h):
        w0, w1 = word_pair(2 * (g0 + m * step), key0, key1, stream0, stream1)
        out[m] = uniform_f64(w0, w1, lo, span, lo_c, hi_c)
    nb = (n - h) // 2
    q0 = (g0 + h) >> 1
    words = np.empty((4, PHILOX_BATCH), np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) two words per element, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        uniform_batch_f64(out[h + 2 * jb:h + 2 * min(nb, jb + PHILOX_BATCH)], words,
                          lo, span, lo_c, hi_c)
    for m in range(h + 2 * nb, n):
        w0, w1 = word_pair(2 * (g0 + m), key0, key1, stream0, stream1)
        out[m] = uniform_f64(w0, w1, lo, span, lo_c, hi_c)


@njit(parallel=True, **_NUMBA_OPTS)
def fill_uniform(out, key0, key1, stream0, stream1, first, row_len, row_step, step,
                 lo, span, lo_c, hi_c, fmt):
    """clamp(lo + span*u, lo_c, hi_c), u = 24-bit (53-bit for float64) uniform."""
    per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    for t in prange((out.size // row_len) * per_row):
        m0, n, g0 = work_item(t, per_row, row_len, first, row_step, step)
        k0, k1, s0, s1 = U64(key0), U64(key1), U64(stream0), U64(stream1)
        if fmt == FMT_F64:
            uniform_run_f64(out[m0:m0 + n], k0, k1, s0, s1, g0, step, lo, span, lo_c, hi_c)
        else:
            uniform_run_f32(out[m0:m0 + n], k0, k1, s0, s1, g0, step, F32(lo), F32(span),
                            F32(lo_c), F32(hi_c), fmt)


# --- normal (Box-Muller) ----------------------------------------------------------
@njit(**_NUMBA_OPTS)
def normal_batch_f32(out, words, mean, std, fmt):
    w0, w1, w2, w3 = words[0], words[1], words[2], words[3]
    # (3) each pair of words -> Box-Muller -> two normals; (4) scale, shift and
    # store, one loop per format
    if fmt == FMT_BF16:
        for j in range(out.size // 4):
            z0, z1 = box_muller_f32(w0[j], w1[j])
            z2, z3 = box_muller_f32(w2[j], w3[j])
            out[4 * j] = f32_to_bf16_bits(mean + std * z0)
            out[4 * j + 1] = f32_to_bf16_bits(mean + std * z1)
            out[4 * j + 2] = f32_to_bf16_bits(mean + std * z2)
            out[4 * j + 3] = f32_to_bf16_bits(mean + std * z3)
    elif fmt == FMT_F16:
        for j in range(out.size // 4):
            z0, z1 = box_muller_f32(w0[j], w1[j])
            z2, z3 = box_muller_f32(w2[j], w3[j])
            out[4 * j] = f32_to_f16_bits(mean + std * z0)
            out[4 * j + 1] = f32_to_f16_bits(mean + std * z1)
            out[4 * j + 2] = f32_to_f16_bits(mean + std * z2)
            out[4 * j + 3] = f32_to_f16_bits(mean + std * z3)
    else:
        for j in range(out.size // 4):
            z0, z1 = box_muller_f32(w0[j], w1[j])
            z2, z3 = box_muller_f32(w2[j], w3[j])
            out[4 * j] = mean + std * z0
            out[4 * j + 1] = mean + std * z1
            out[4 * j + 2] = mean + std * z2
            out[4 * j + 3] = mean + std * z3


@njit(**_NUMBA_OPTS)
def normal_batch_f64(out, words, mean, std):
    w0, w1, w2, w3 = words[0], words[1], words[2], words[3]
    for j in range(out.size // 2):
        # (3) Box-Muller -> two normals; (4) scale, shift and store
        z0, z1 = box_muller_f64(w0[j], w1[j], w2[j], w3[j])
        out[2 * j] = mean + std * z0
        out[2 * j + 1] = mean + std * z1


@njit(**_NUMBA_OPTS)
def normal_run_f32(out, key0, key1, stream0, stream1, g0, step, mean, std, fmt):
    n = out.size
    h = head_len(g0, n, 4) if step == 1 else n
    for m in range(h):
        g = g0 + m * step
        w0, w1 = word_pair(g & ~1, key0, key1, stream0, stream1)
        z0, z1 = box_muller_f32(w0, w1)
        store(out, m, mean + std * (z0 if (g & 1) == 0 else z1), fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    words = np.empty((4, PHILOX_BATCH), np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) four words = two pairs, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        normal_batch_f32(out[h + 4 * jb:h + 4 * min(nb, jb + PHILOX_BATCH)], words,
                         mean, std, fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        w0, w1 = word_pair(g & ~1, key0, key1, stream0, stream1)
        z0, z1 = box_muller_f32(w0, w1)
        store(out, m, mean + std * (z0 if (g & 1) == 0 else z1), fmt)


@njit(**_NUMBA_OPTS)
def normal_run_f64(out, key0, key1, stream0, stream1, g0, step, mean, std):
    n = out.size
    h = head_len(g0, n, 2) if step == 1 else n
    for m in range(h):
        g = g0 + m * step
        b = philox_block(U64(g >> 1), key0, key1, stream0, stream1)
        z0, z1 = box_muller_f64(b[0], b[1], b[2], b[3])
        out[m] = mean + std * (z0 if (g & 1) == 0 else z1)
    nb = (n - h) // 2
    q0 = (g0 + h) >> 1
    words = np.empty((4, PHILOX_BATCH), np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) four words = one pair, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        normal_batch_f64(out[h + 2 * jb:h + 2 * min(nb, jb + PHILOX_BATCH)], words, mean, std)
    for m in range(h + 2 * nb, n):
        g = g0 + m
        b = philox_block(U64(g >> 1), key0, key1, stream0, stream1)
        z0, z1 = box_muller_f64(b[0], b[1], b[2], b[3])
        out[m] = mean + std * (z0 if (g & 1) == 0 else z1)


@njit(parallel=True, **_NUMBA_OPTS)
def fill_normal(out, key0, key1, stream0, stream1, first, row_len, row_step, step,
                mean, std, fmt):
    """mean + std*z, z from Box-Muller on the pair of element g."""
    per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    for t in prange((out.size // row_len) * per_row):
        m0, n, g0 = work_item(t, per_row, row_len, first, row_step, step)
        k0, k1, s0, s1 = U64(key0), U64(key1), U64(stream0), U64(stream1)
        if fmt == FMT_F64:
            normal_run_f64(out[m0:m0 + n], k0, k1, s0, s1, g0, step, mean, std)
        else:
            normal_run_f32(out[m0:m0 + n], k0, k1, s0, s1, g0, step, F32(mean), F32(std), fmt)


# --- truncated normal (inverse CDF in erf space) -----------------------------------
@njit(**_INLINE_OPTS)
def truncated_f32(w, mean, std, ea, ed, eb, lo_c, hi_c, tails):
    x = clamp(ea + ed * u01_open_open_f32(w), ea, eb)
    return clamp(mean + std * (erfinv_f32(x, tails) * SQRT2_F), lo_c, hi_c)


@njit(**_INLINE_OPTS)
def truncated_f64(w0, w1, mean, std, ea, ed, eb, lo_c, hi_c, tails):
    x = clamp(ea + ed * u01_open_open_f64(w0, w1), ea, eb)
    return clamp(mean + std * (erfinv_f64(x, tails) * SQRT2), lo_c, hi_c)


@njit(**_NUMBA_OPTS)
def truncated_batch_f32(out, words, mean, std, ea, ed, eb, lo_c, hi_c, tails, fmt):
    w0, w1, w2, w3 = words[0], words[1], words[2], words[3]
    # (3) words -> uniforms in erf space -> erfinv; (4) scale, clamp, store, one
    # loop per format
    if fmt == FMT_BF16:
        for j in range(out.size // 4):
            x = truncated_f32(w0[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
            out[4 * j] = f32_to_bf16_bits(x)
            x = truncated_f32(w1[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
            out[4 * j + 1] = f32_to_bf16_bits(x)
            x = truncated_f32(w2[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
            out[4 * j + 2] = f32_to_bf16_bits(x)
            x = truncated_f32(w3[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
            out[4 * j + 3] = f32_to_bf16_bits(x)
    elif fmt == FMT_F16:
        for j in range(out.size // 4):
            x = truncated_f32(w0[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
            out[4 * j] = f32_to_f16_bits(x)
            x = truncated_f32(w1[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
            out[4 * j + 1] = f32_to_f16_bits(x)
            x = truncated_f32(w2[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
            out[4 * j + 2] = f32_to_f16_bits(x)
            x = truncated_f32(w3[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
            out[4 * j + 3] = f32_to_f16_bits(x)
    else:
        for j in range(out.size // 4):
            out[4 * j] = truncated_f32(w0[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
            out[4 * j + 1] = truncated_f32(w1[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
            out[4 * j + 2] = truncated_f32(w2[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
            out[4 * j + 3] = truncated_f32(w3[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)


@njit(**_NUMBA_OPTS)
def truncated_batch_f64(out, words, mean, std, ea, ed, eb, lo_c, hi_c, tails):
    w0, w1, w2, w3 = words[0], words[1], words[2], words[3]
    for j in range(out.size // 2):
        # (3) words -> uniforms in erf space -> erfinv; (4) scale, clamp, store
        out[2 * j] = truncated_f64(w0[j], w1[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
        out[2 * j + 1] = truncated_f64(w2[j], w3[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)


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
    words = np.empty((4, PHILOX_BATCH), np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        o = out[h + 4 * jb:h + 4 * min(nb, jb + PHILOX_BATCH)]
        # literal flags: without tails LLVM drops the tail polynomial and its select
        if tails:
            truncated_batch_f32(o, words, mean, std, ea, ed, eb, lo_c, hi_c, True, fmt)
        else:
            truncated_batch_f32(o, words, mean, std, ea, ed, eb, lo_c, hi_c, False, fmt)
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
    words = np.empty((4, PHILOX_BATCH), np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) two words per element, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        truncated_batch_f64(out[h + 2 * jb:h + 2 * min(nb, jb + PHILOX_BATCH)], words,
                            mean, std, ea, ed, eb, lo_c, hi_c, tails)
    for m in range(h + 2 * nb, n):
        w0, w1 = word_pair(2 * (g0 + m), key0, key1, stream0, stream1)
        out[m] = truncated_f64(w0, w1, mean, std, ea, ed, eb, lo_c, hi_c, tails)


@njit(parallel=True, **_NUMBA_OPTS)
def fill_truncated_normal(out, key0, key1, stream0, stream1, first, row_len, row_step, step,
                          mean, std, ea, eb, lo_c, hi_c, fmt):
    """clamp(mean + std*sqrt(2)*erfinv(ea + (eb-ea)*u), lo_c, hi_c)."""
    per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    for t in prange((out.size // row_len) * per_row):
        m0, n, g0 = work_item(t, per_row, row_len, first, row_step, step)
        k0, k1, s0, s1 = U64(key0), U64(key1), U64(stream0), U64(stream1)
        if fmt == FMT_F64:
            truncated_run_f64(out[m0:m0 + n], k0, k1, s0, s1, g0, step, mean, std, ea, eb,
                              lo_c, hi_c)
        else:
            truncated_run_f32(out[m0:m0 + n], k0, k1, s0, s1, g0, step, F32(mean), F32(std),
                              F32(ea), F32(eb), F32(lo_c), F32(hi_c), fmt)


# --- truncated normal in a far tail (float64 whatever the output) -----------------
@njit(**_INLINE_OPTS)
def truncated_tail_value(u, mean, std_s, a, d, log_ma, lo_c, hi_c):
    """clamp(mean + std_s*z, lo_c, hi_c) in float64; std_s < 0 mirrors a lower tail."""
    return clamp(mean + std_s * tail_z_f64(u, a, d, log_ma), lo_c, hi_c)


@njit(**_NUMBA_OPTS)
def truncated_tail_run_f32(out, key0, key1, stream0, stream1, g0, step, mean, std_s, a, d,
                           log_ma, lo_c, hi_c, fmt):
    n = out.size
    h = head_len(g0, n, 4) if step == 1 else n
    for m in range(h):
        g = g0 + m * step
        w = philox_block(U64(g >> 2), key0, key1, stream0, stream1)[g & 3]
        x = truncated_tail_value(F64(u01_open_open_f32(w)), mean, std_s, a, d, log_ma,
                                 lo_c, hi_c)
        store(out, m, F32(x), fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    words = np.empty((4, PHILOX_BATCH), np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        for j in range(min(PHILOX_BATCH, nb - jb)):
            o = h + 4 * (jb + j)
            for lane in range(4):
                # (3) word -> 24-bit open uniform, exact in float64 -> tail inverse;
                # (4) shift, scale, clamp in float64, round to the output, store
                x = truncated_tail_value(F64(u01_open_open_f32(words[lane, j])), mean, std_s,
                                         a, d, log_ma, lo_c, hi_c)
                store(out, o + lane, F32(x), fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        w = philox_block(U64(g >> 2), key0, key1, stream0, stream1)[g & 3]
        x = truncated_tail_value(F64(u01_open_open_f32(w)), mean, std_s, a, d, log_ma,
                                 lo_c, hi_c)
        store(out, m, F32(x), fmt)


@njit(**_NUMBA_OPTS)
def truncated_tail_run_f64(out, key0, key1, stream0, stream1, g0, step, mean, std_s, a, d,
                           log_ma, lo_c, hi_c):
    n = out.size
    h = head_len(g0, n, 2) if step == 1 else n
    for m in range(h):
        w0, w1 = word_pair(2 * (g0 + m * step), key0, key1, stream0, stream1)
        out[m] = truncated_tail_value(u01_open_open_f64(w0, w1), mean, std_s, a, d, log_ma,
                                      lo_c, hi_c)
    nb = (n - h) // 2
    q0 = (g0 + h) >> 1
    words = np.empty((4, PHILOX_BATCH), np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) two words per element, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        for j in range(min(PHILOX_BATCH, nb - jb)):
            o = h + 2 * (jb + j)
            # (3) words -> 53-bit open uniform -> tail inverse; (4) shift, scale, clamp, store
            out[o] = truncated_tail_value(u01_open_open_f64(words[0, j], words[1, j]), mean,
                                          std_s, a, d, log_ma, lo_c, hi_c)
            out[o + 1] = truncated_tail_value(u01_open_open_f64(words[2, j], words[3, j]),
                                              mean, std_s, a, d, log_ma, lo_c, hi_c)
    for m in range(h + 2 * nb, n):
        w0, w1 = word_pair(2 * (g0 + m), key0, key1, stream0, stream1)
        out[m] = truncated_tail_value(u01_open_open_f64(w0, w1), mean, std_s, a, d, log_ma,
                                      lo_c, hi_c)


@njit(parallel=True, **_NUMBA_OPTS)
def fill_truncated_tail(out, key0, key1, stream0, stream1, first, row_len, row_step, step,
                        mean, std_s, a, d, log_ma, lo_c, hi_c, fmt):
    """clamp(mean + std_s*z, lo_c, hi_c), z the far-tail inverse of u (float64)."""
    per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    for t in prange((out.size // row_len) * per_row):
        m0, n, g0 = work_item(t, per_row, row_len, first, row_step, step)
        k0, k1, s0, s1 = U64(key0), U64(key1), U64(stream0), U64(stream1)
        if fmt == FMT_F64:
            truncated_tail_run_f64(out[m0:m0 + n], k0, k1, s0, s1, g0, step, mean, std_s, a, d,
                                   log_ma, lo_c, hi_c)
        else:
            truncated_tail_run_f32(out[m0:m0 + n], k0, k1, s0, s1, g0, step, mean, std_s, a, d,
                                   log_ma, lo_c, hi_c, fmt)
