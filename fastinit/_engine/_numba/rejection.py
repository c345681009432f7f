"""Truncated normal by rejection on counters, for an interval holding most of the mass.

Mirror: ``fastinit/_engine/_cython/rejection.pxd`` (same names, arguments and
numbered steps). Element ``g`` first takes the normal fill's value
``x = mean + std*z`` (pair ``P = g >> 1``, branch ``t = g & 1``), kept when
``lo_c <= x <= hi_c``. A rejected element takes the first kept candidate of
its redraw blocks: candidate ``k`` comes from block ``(k + 1) >> 1`` (float32;
words 0, 1 for odd ``k``, 2, 3 for even ``k``) or ``k`` (float64, all four
words), block ``r`` being Philox block number ``(r << REDRAW_Q_SHIFT) | P`` of
the stream under the redraw key, through the same Box-Muller and branch
``t``. If every candidate is rejected, word ``t`` (float64: words ``2t, 2t+1``)
of block FALLBACK_BLOCK feeds the erf-space inverse CDF of ``truncated.py``.
``lo_c, hi_c`` are the bounds in the precision the values are computed in
(float32 for the 32- and 16-bit formats); a 16-bit output is then clamped into
its own bounds ``lo_o, hi_o`` and rounded.

A work item runs the normal fill's batch loop unchanged, then a test pass
lists its rejected elements (``reject_flags``, ``collect``); after the item,
the list is redrawn REDRAW_BATCH elements at a time (``philox_list``: the
blocks of a list of counters), in whole vectors. Heads, tails and strided
runs take the element functions ``reject_f32``/``reject_f64``.
"""

import numpy as np
from numba import njit

from .. import constants
from . import _INLINE_OPTS, _NUMBA_OPTS, bit_count, float_row, stack_empty, trailing_zeros
from .chunks import (
    CHUNK_ELEMS,
    FMT_F32,
    batch_count,
    clamp,
    head_len,
    store,
    store_row,
    word_pair,
)
from .normal import normal_batch_f32, normal_batch_f64
from .philox import (
    PHILOX_BATCH,
    PHILOX_WORDS,
    REDRAW_BATCH,
    REDRAW_WORDS,
    philox_batch,
    philox_block,
    philox_list,
)
from .transforms import I32, U32, U64, box_muller_f32, box_muller_f64
from .truncated import truncated_f32, truncated_f64

REDRAW_KEY_XOR0 = U64(constants.REDRAW_KEY_XOR0)
REDRAW_KEY_XOR1 = U64(constants.REDRAW_KEY_XOR1)
REDRAW_Q_SHIFT = U64(constants.REDRAW_Q_SHIFT)
REDRAW_CANDIDATES_F32 = constants.REDRAW_CANDIDATES_F32
REDRAW_CANDIDATES_F64 = constants.REDRAW_CANDIDATES_F64
FALLBACK_BLOCK = constants.FALLBACK_BLOCK
FALLBACK_Q = U64(FALLBACK_BLOCK) << REDRAW_Q_SHIFT
REDRAW_PAD = constants.REDRAW_PAD
RB = REDRAW_BATCH
LIST_LEN = CHUNK_ELEMS + REDRAW_PAD  # a work item's rejected elements, and slack for SIMD stores
FLAGS_LEN = PHILOX_WORDS + REDRAW_PAD  # a batch's flags and their padding
TOP_BIT = U64(1) << U64(63)
# the constants as declared in the Cython twin (kernels.constants() reports them)
CONSTANTS = ("REDRAW_KEY_XOR0", "REDRAW_KEY_XOR1", "REDRAW_Q_SHIFT", "REDRAW_CANDIDATES_F32",
             "REDRAW_CANDIDATES_F64", "FALLBACK_BLOCK", "REDRAW_PAD")


@njit(**_INLINE_OPTS)
def accepted(x, lo_c, hi_c):
    return (x >= lo_c) and (x <= hi_c)


@njit(**_INLINE_OPTS)
def padded(n):
    """``n`` rounded up to whole vectors (REDRAW_PAD)."""
    return (n + REDRAW_PAD - 1) // REDRAW_PAD * REDRAW_PAD


# --- one element: the definition (heads, tails, strided runs) --------------------
@njit(**_INLINE_OPTS)
def fallback_f32(g, rk0, rk1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c):
    """Every candidate rejected: the inverse CDF of word t of the fallback block (exact)."""
    b = philox_block((U64(g) >> U64(1)) | FALLBACK_Q, rk0, rk1, stream0, stream1)
    return truncated_f32(b[g & 1], mean, std, ea, eb - ea, eb, lo_c, hi_c, True)


@njit(**_INLINE_OPTS)
def fallback_f64(g, rk0, rk1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c):
    """Every candidate rejected: the inverse CDF of words 2t, 2t+1 of the fallback block."""
    b = philox_block((U64(g) >> U64(1)) | FALLBACK_Q, rk0, rk1, stream0, stream1)
    t = g & 1
    return truncated_f64(b[2 * t], b[2 * t + 1], mean, std, ea, eb - ea, eb, lo_c, hi_c, True)


@njit(**_NUMBA_OPTS)
def reject_f32(g, key0, key1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c):
    pair = U64(g) >> U64(1)
    t = g & 1
    w0, w1 = word_pair(g & ~1, key0, key1, stream0, stream1)
    z0, z1 = box_muller_f32(w0, w1)
    x = mean + std * (z0 if t == 0 else z1)
    if accepted(x, lo_c, hi_c):
        return x
    rk0 = key0 ^ REDRAW_KEY_XOR0
    rk1 = key1 ^ REDRAW_KEY_XOR1
    for k in range(1, REDRAW_CANDIDATES_F32 + 1):
        b = philox_block(pair | (U64((k + 1) >> 1) << REDRAW_Q_SHIFT), rk0, rk1, stream0, stream1)
        lane = 0 if (k & 1) == 1 else 2
        z0, z1 = box_muller_f32(b[lane], b[lane + 1])
        x = mean + std * (z0 if t == 0 else z1)
        if accepted(x, lo_c, hi_c):
            return x
    return fallback_f32(g, rk0, rk1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c)


@njit(**_NUMBA_OPTS)
def reject_f64(g, key0, key1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c):
    pair = U64(g) >> U64(1)
    t = g & 1
    b = philox_block(pair, key0, key1, stream0, stream1)
    z0, z1 = box_muller_f64(b[0], b[1], b[2], b[3])
    x = mean + std * (z0 if t == 0 else z1)
    if accepted(x, lo_c, hi_c):
        return x
    rk0 = key0 ^ REDRAW_KEY_XOR0
    rk1 = key1 ^ REDRAW_KEY_XOR1
    for k in range(1, REDRAW_CANDIDATES_F64 + 1):
        b = philox_block(pair | (U64(k) << REDRAW_Q_SHIFT), rk0, rk1, stream0, stream1)
        z0, z1 = box_muller_f64(b[0], b[1], b[2], b[3])
        x = mean + std * (z0 if t == 0 else z1)
        if accepted(x, lo_c, hi_c):
            return x
    return fallback_f64(g, rk0, rk1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c)


# --- the test pass: which elements of a batch are rejected ----------------------------
# Inlined into the *_run_* loops (Numba IR level): as functions of their own,
# called once per batch, the test pass cost three times as much.
@njit(**_INLINE_OPTS)
def reject_flags(x, n, lo_c, hi_c, flags):
    """flags[m] = 1 where x[m] lies outside [lo_c, hi_c], m < n, then REDRAW_PAD zeros."""
    for m in range(n):
        flags[m] = np.uint8((x[m] < lo_c) | (x[m] > hi_c))
    for m in range(REDRAW_PAD):
        flags[n + m] = np.uint8(0)


@njit(**_INLINE_OPTS)
def collect(flags, n, lst, nl, base):
    """Append ``base + m`` for each set flags[m], m < n, to lst[nl:]; return the new length.

    Eight flags per 64-bit word (byte ``b`` of word ``jw`` is flag ``8*jw + b``):
    the lowest set one is stored without a branch (``lst`` has slack), the
    others in a loop, rare at the rates this path takes.
    """
    words = flags.view(np.uint64)
    for jw in range((n + 7) >> 3):
        w = words[jw]
        c = bit_count(w)
        b0 = base + 8 * jw
        lst[nl] = I32(b0 + (trailing_zeros(w | TOP_BIT) >> 3))
        if c > 1:
            w &= w - U64(1)
            for i in range(1, c):
                lst[nl + i] = I32(b0 + (trailing_zeros(w) >> 3))
                w &= w - U64(1)
        nl += c
    return nl


# --- the redraws of a work item's list, in batches -------------------------------------
@njit(**_INLINE_OPTS)
def redraw_words(words, qs, t, lst, e0, nb, g0, r, rk0, rk1, stream0, stream1):
    """Steps (1) and (2) of a batch of listed elements ``lst[e0:e0 + nb]``, both widths.

    (1) counters: block ``r`` of each element's pair, padded with block 0, and
    its branch in ``t``; (2) their four words each, lane-major.
    """
    for e in range(nb):
        g = g0 + np.int64(lst[e0 + e])
        qs[e] = (U64(g) >> U64(1)) | r
        t[e] = U32(g & 1)
    for e in range(nb, padded(nb)):
        qs[e] = U64(0)
        t[e] = U32(0)
    philox_list(words, qs, padded(nb), rk0, rk1, stream0, stream1)


@njit(**_NUMBA_OPTS)
def redraw_batch_f32(y, rej, wa, wb, t, n, mean, std, lo_c, hi_c):
    for e in range(n):
        # (3) two words -> Box-Muller -> the element's branch; (4) scale, shift, test
        z0, z1 = box_muller_f32(wa[e], wb[e])
        x = mean + std * (z0 if t[e] == 0 else z1)
        y[e] = x
        rej[e] = np.uint8((x < lo_c) | (x > hi_c))


@njit(**_NUMBA_OPTS)
def redraw_batch_f64(y, rej, words, t, n, mean, std, lo_c, hi_c):
    for e in range(n):
        # (3) four words -> Box-Muller -> the element's branch; (4) scale, shift, test
        z0, z1 = box_muller_f64(words[e], words[RB + e], words[2 * RB + e], words[3 * RB + e])
        x = mean + std * (z0 if t[e] == 0 else z1)
        y[e] = x
        rej[e] = np.uint8((x < lo_c) | (x > hi_c))


@njit(**_NUMBA_OPTS)
def redraw_f32(out, lst, nl, g0, key0, key1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c,
               lo_o, hi_o, fmt):
    """Elements ``g0 + lst[:nl]`` of a work item: candidates in batches, then the fallback."""
    qs = stack_empty(RB, np.uint64)
    t = stack_empty(RB, np.uint32)
    words = stack_empty(REDRAW_WORDS, np.uint32)
    y = stack_empty(RB, np.float32)
    rej = stack_empty(RB, np.uint8)
    rk0 = key0 ^ REDRAW_KEY_XOR0
    rk1 = key1 ^ REDRAW_KEY_XOR1
    for k in range(1, REDRAW_CANDIDATES_F32 + 1):
        r = U64((k + 1) >> 1) << REDRAW_Q_SHIFT
        lane = 0 if (k & 1) == 1 else 2 * RB
        kept = 0
        for ib in range((nl + RB - 1) // RB):
            e0 = ib * RB
            nb = min(RB, nl - e0)
            # (1), (2): counters and words of the batch
            redraw_words(words, qs, t, lst, e0, nb, g0, r, rk0, rk1, stream0, stream1)
            redraw_batch_f32(y, rej, words[lane:lane + RB], words[lane + RB:lane + 2 * RB], t,
                             padded(nb), mean, std, lo_c, hi_c)
            # each candidate to its element; the rejected stay on the list
            for e in range(nb):
                m = lst[e0 + e]
                store(out, m, clamp(y[e], lo_o, hi_o), fmt)
                lst[kept] = m
                kept += np.int64(rej[e])
        nl = kept
        if nl == 0:
            return
    for e in range(nl):
        x = fallback_f32(g0 + np.int64(lst[e]), rk0, rk1, stream0, stream1, mean, std, ea, eb,
                         lo_c, hi_c)
        store(out, lst[e], clamp(x, lo_o, hi_o), fmt)


@njit(**_NUMBA_OPTS)
def redraw_f64(out, lst, nl, g0, key0, key1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c):
    qs = stack_empty(RB, np.uint64)
    t = stack_empty(RB, np.uint32)
    words = stack_empty(REDRAW_WORDS, np.uint32)
    y = stack_empty(RB, np.float64)
    rej = stack_empty(RB, np.uint8)
    rk0 = key0 ^ REDRAW_KEY_XOR0
    rk1 = key1 ^ REDRAW_KEY_XOR1
    for k in range(1, REDRAW_CANDIDATES_F64 + 1):
        r = U64(k) << REDRAW_Q_SHIFT
        kept = 0
        for ib in range((nl + RB - 1) // RB):
            e0 = ib * RB
            nb = min(RB, nl - e0)
            # (1), (2): counters and words of the batch
            redraw_words(words, qs, t, lst, e0, nb, g0, r, rk0, rk1, stream0, stream1)
            redraw_batch_f64(y, rej, words, t, padded(nb), mean, std, lo_c, hi_c)
            # each candidate to its element; the rejected stay on the list
            for e in range(nb):
                m = lst[e0 + e]
                out[m] = y[e]
                lst[kept] = m
                kept += np.int64(rej[e])
        nl = kept
        if nl == 0:
            return
    for e in range(nl):
        out[lst[e]] = fallback_f64(g0 + np.int64(lst[e]), rk0, rk1, stream0, stream1, mean, std,
                                   ea, eb, lo_c, hi_c)


# --- one work item ---------------------------------------------------------------------
@njit(**_NUMBA_OPTS)
def reject_run_f32(out, key0, key1, stream0, stream1, g0, step, mean, std, ea, eb, lo_c, hi_c,
                   lo_o, hi_o, fmt):
    n = out.size
    h = head_len(g0, n, 4) if step == 1 else n
    for m in range(h):
        x = reject_f32(g0 + m * step, key0, key1, stream0, stream1, mean, std, ea, eb, lo_c,
                       hi_c)
        store(out, m, clamp(x, lo_o, hi_o), fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    words = stack_empty(PHILOX_WORDS, np.uint32)
    row = stack_empty(PHILOX_WORDS, np.float32)  # a 16-bit fill's floats before rounding
    flags = stack_empty(FLAGS_LEN, np.uint8)
    lst = stack_empty(LIST_LEN, np.int32)  # the item's rejected elements (memory positions)
    nl = 0
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        k = min(PHILOX_BATCH, nb - jb)
        # (1) counters for blocks q0 + jb ...; (2) four words = two pairs, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        o = out[h + 4 * jb:]
        dst = float_row(o, row)
        # (3) the normal fill's loop: Box-Muller, scale, shift; (4) test, list the rejected
        normal_batch_f32(dst[:4 * k], words, mean, std, FMT_F32)
        reject_flags(dst, 4 * k, lo_c, hi_c, flags)
        nl = collect(flags, 4 * k, lst, nl, h + 4 * jb)
        if fmt != FMT_F32:
            store_row(o, row, 4 * k, lo_o, hi_o, fmt)
    for m in range(h + 4 * nb, n):
        x = reject_f32(g0 + m, key0, key1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c)
        store(out, m, clamp(x, lo_o, hi_o), fmt)
    if nl > 0:
        redraw_f32(out, lst, nl, g0, key0, key1, stream0, stream1, mean, std, ea, eb, lo_c,
                   hi_c, lo_o, hi_o, fmt)


@njit(**_NUMBA_OPTS)
def reject_run_f64(out, key0, key1, stream0, stream1, g0, step, mean, std, ea, eb, lo_c, hi_c):
    n = out.size
    h = head_len(g0, n, 2) if step == 1 else n
    for m in range(h):
        out[m] = reject_f64(g0 + m * step, key0, key1, stream0, stream1, mean, std, ea, eb,
                            lo_c, hi_c)
    nb = (n - h) // 2
    q0 = (g0 + h) >> 1
    words = stack_empty(PHILOX_WORDS, np.uint32)
    flags = stack_empty(FLAGS_LEN, np.uint8)
    lst = stack_empty(LIST_LEN, np.int32)
    nl = 0
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        k = min(PHILOX_BATCH, nb - jb)
        # (1) counters for blocks q0 + jb ...; (2) four words = one pair, lane-major
        philox_batch(words, q0 + jb, key0, key1, stream0, stream1)
        o = out[h + 2 * jb:h + 2 * (jb + k)]
        # (3) the normal fill's loop: Box-Muller, scale, shift; (4) test, list the rejected
        normal_batch_f64(o, words, mean, std)
        reject_flags(o, 2 * k, lo_c, hi_c, flags)
        nl = collect(flags, 2 * k, lst, nl, h + 2 * jb)
    for m in range(h + 2 * nb, n):
        out[m] = reject_f64(g0 + m, key0, key1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c)
    if nl > 0:
        redraw_f64(out, lst, nl, g0, key0, key1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c)

