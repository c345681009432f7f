"""Truncated normal on an interval wholly in a far tail, computed in float64.

Mirror: ``fastinit/_engine/_cython/tails.pxd`` (same names, arguments and numbered
steps). ``x = clamp(mean + std_s*z, lo_c, hi_c)``, ``z = tail_z_f64(u)``: the
inverse of the tail's survival function (``transforms.py``); ``std_s < 0``
mirrors a lower tail. Same words and uniforms as ``truncated.py``: one word
per float32/16-bit element (its 24-bit open uniform is exact in float64), two
per float64. Structure as in ``uniform.py``.
"""

import numpy as np
from numba import njit

from . import _INLINE_OPTS, _NUMBA_OPTS, stack_empty
from .chunks import batch_count, clamp, head_len, store, word_pair
from .philox import PHILOX_BATCH, PHILOX_WORDS, R1, R2, R3, philox_batch, philox_block
from .transforms import F32, F64, U64, tail_z_f64, u01_open_open_f32, u01_open_open_f64


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
    words = stack_empty(PHILOX_WORDS, np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        for j in range(min(PHILOX_BATCH, nb - jb)):
            o = h + 4 * (jb + j)
            for lane in range(4):
                # (3) word -> 24-bit open uniform, exact in float64 -> tail inverse;
                # (4) shift, scale, clamp in float64, round to the output, store
                u = F64(u01_open_open_f32(words[lane * PHILOX_BATCH + j]))
                x = truncated_tail_value(u, mean, std_s, a, d, log_ma, lo_c, hi_c)
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
    words = stack_empty(PHILOX_WORDS, np.uint32)
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) two words per element, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        for j in range(min(PHILOX_BATCH, nb - jb)):
            o = h + 2 * (jb + j)
            # (3) words -> 53-bit open uniform -> tail inverse; (4) shift, scale, clamp, store
            out[o] = truncated_tail_value(u01_open_open_f64(words[j], words[R1 + j]), mean,
                                          std_s, a, d, log_ma, lo_c, hi_c)
            out[o + 1] = truncated_tail_value(u01_open_open_f64(words[R2 + j], words[R3 + j]),
                                              mean, std_s, a, d, log_ma, lo_c, hi_c)
    for m in range(h + 2 * nb, n):
        w0, w1 = word_pair(2 * (g0 + m), key0, key1, stream0, stream1)
        out[m] = truncated_tail_value(u01_open_open_f64(w0, w1), mean, std_s, a, d, log_ma,
                                      lo_c, hi_c)
