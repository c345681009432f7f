"""Raw words and uniforms: one word per float32 element, two per float64.

Mirror: ``fastinit/_engine/_cython/uniform.pxd`` (same names, arguments and numbered
steps). A ``*_run_*`` fills one work item: heads, tails and strided runs
take one Philox block per element; whole blocks are made PHILOX_BATCH at a
time by ``philox_batch`` and transformed by a ``*_batch_*`` loop with one
loop per output format (LLVM vectorizes only a loop without that branch).
"""

import numpy as np
from numba import njit

from . import _INLINE_OPTS, _NUMBA_OPTS, stack_empty
from .chunks import FMT_BF16, FMT_F16, batch_count, clamp, head_len, store, word_pair
from .philox import PHILOX_BATCH, PHILOX_WORDS, R1, R2, R3, philox_batch, philox_block
from .transforms import (
    U64,
    f32_to_bf16_bits,
    f32_to_f16_bits,
    u01_closed_open_f32,
    u01_closed_open_f64,
)


# --- raw words ------------------------------------------------------------------
# Inlined into bits_run (its only caller; a copy loop, cheap to compile there):
# LLVM then sees ``words`` is bits_run's own stack array, drops the overlap
# checks of a call, and the raw-word fill ran 4% faster.
@njit(**_INLINE_OPTS)
def bits_batch(out, words):
    for j in range(out.size // 4):
        # (3) no transform; (4) store the block
        out[4 * j] = words[j]
        out[4 * j + 1] = words[R1 + j]
        out[4 * j + 2] = words[R2 + j]
        out[4 * j + 3] = words[R3 + j]


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
    words = stack_empty(PHILOX_WORDS, np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        bits_batch(out[h + 4 * jb:h + 4 * min(nb, jb + PHILOX_BATCH)], words)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        out[m] = philox_block(U64(g >> 2), key0, key1, stream0, stream1)[g & 3]


# --- uniform -----------------------------------------------------------------------
@njit(**_NUMBA_OPTS)  # a function of its own: see _numba/__init__.py
def uniform_f32(w, lo, span, lo_c, hi_c):
    return clamp(lo + span * u01_closed_open_f32(w), lo_c, hi_c)


@njit(**_NUMBA_OPTS)
def uniform_f64(w0, w1, lo, span, lo_c, hi_c):
    return clamp(lo + span * u01_closed_open_f64(w0, w1), lo_c, hi_c)


@njit(**_NUMBA_OPTS)
def uniform_batch_f32(out, words, lo, span, lo_c, hi_c, fmt):
    # (3) words -> uniforms -> scale, shift, clamp; (4) store
    if fmt == FMT_BF16:
        for j in range(out.size // 4):
            out[4 * j] = f32_to_bf16_bits(uniform_f32(words[j], lo, span, lo_c, hi_c))
            out[4 * j + 1] = f32_to_bf16_bits(uniform_f32(words[R1 + j], lo, span, lo_c, hi_c))
            out[4 * j + 2] = f32_to_bf16_bits(uniform_f32(words[R2 + j], lo, span, lo_c, hi_c))
            out[4 * j + 3] = f32_to_bf16_bits(uniform_f32(words[R3 + j], lo, span, lo_c, hi_c))
    elif fmt == FMT_F16:
        for j in range(out.size // 4):
            out[4 * j] = f32_to_f16_bits(uniform_f32(words[j], lo, span, lo_c, hi_c))
            out[4 * j + 1] = f32_to_f16_bits(uniform_f32(words[R1 + j], lo, span, lo_c, hi_c))
            out[4 * j + 2] = f32_to_f16_bits(uniform_f32(words[R2 + j], lo, span, lo_c, hi_c))
            out[4 * j + 3] = f32_to_f16_bits(uniform_f32(words[R3 + j], lo, span, lo_c, hi_c))
    else:
        for j in range(out.size // 4):
            out[4 * j] = uniform_f32(words[j], lo, span, lo_c, hi_c)
            out[4 * j + 1] = uniform_f32(words[R1 + j], lo, span, lo_c, hi_c)
            out[4 * j + 2] = uniform_f32(words[R2 + j], lo, span, lo_c, hi_c)
            out[4 * j + 3] = uniform_f32(words[R3 + j], lo, span, lo_c, hi_c)


@njit(**_NUMBA_OPTS)
def uniform_batch_f64(out, words, lo, span, lo_c, hi_c):
    for j in range(out.size // 2):
        # (3) words -> uniforms -> scale, shift, clamp; (4) store
        out[2 * j] = uniform_f64(words[j], words[R1 + j], lo, span, lo_c, hi_c)
        out[2 * j + 1] = uniform_f64(words[R2 + j], words[R3 + j], lo, span, lo_c, hi_c)


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
    words = stack_empty(PHILOX_WORDS, np.uint32)
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
    words = stack_empty(PHILOX_WORDS, np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) two words per element, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        uniform_batch_f64(out[h + 2 * jb:h + 2 * min(nb, jb + PHILOX_BATCH)], words,
                          lo, span, lo_c, hi_c)
    for m in range(h + 2 * nb, n):
        w0, w1 = word_pair(2 * (g0 + m), key0, key1, stream0, stream1)
        out[m] = uniform_f64(w0, w1, lo, span, lo_c, hi_c)
