"""Philox4x32-10 (Salmon, Moraes, Dror, Shaw, SC 2011; Random123 philox.h).

Mirror: ``fastinit/_engine/_cython/philox.pxd``. State words live in uint64 lanes,
masked to 32 bits, so one 64-bit multiply gives both halves of the 32x32
product and LLVM vectorizes it as ``vpmuludq`` (the Cython twin uses
``_mm*_mul_epu32`` intrinsics for the same instruction).
"""

import numpy as np
from numba import njit

from .. import constants
from . import _INLINE_OPTS, _NUMBA_OPTS

PHILOX_M4x32_0 = np.uint64(constants.PHILOX_M4x32_0)
PHILOX_M4x32_1 = np.uint64(constants.PHILOX_M4x32_1)
PHILOX_W32_0 = np.uint64(constants.PHILOX_W32_0)
PHILOX_W32_1 = np.uint64(constants.PHILOX_W32_1)
MASK32 = np.uint64(constants.MASK32)
S32 = np.uint64(32)
U64 = np.uint64
PHILOX_ROUNDS = constants.PHILOX_ROUNDS
PHILOX_BATCH = constants.PHILOX_BATCH
R1, R2, R3 = PHILOX_BATCH, 2 * PHILOX_BATCH, 3 * PHILOX_BATCH  # rows 1-3 of words
PHILOX_WORDS = 4 * PHILOX_BATCH  # words of a batch (a module-level int: see stack_empty)
REDRAW_BATCH = constants.REDRAW_BATCH
REDRAW_WORDS = 4 * REDRAW_BATCH  # words of a batch of redraws


@njit(**_INLINE_OPTS)
def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Ten Philox rounds on counter (c0..c3) under key (k0, k1); uint64 in/out."""
    for _ in range(PHILOX_ROUNDS):
        p0 = PHILOX_M4x32_0 * c0
        p1 = PHILOX_M4x32_1 * c2
        c0, c1, c2, c3 = (p1 >> S32) ^ c1 ^ k0, p1 & MASK32, (p0 >> S32) ^ c3 ^ k1, p0 & MASK32
        # key schedule: Weyl sequence, bumped between rounds
        k0 = (k0 + PHILOX_W32_0) & MASK32
        k1 = (k1 + PHILOX_W32_1) & MASK32
    return c0, c1, c2, c3


@njit(**_INLINE_OPTS)
def philox_block(q, key0, key1, stream0, stream1):
    """The four words of block ``q`` (uint64 block index) of a stream."""
    return philox4x32_10(q & MASK32, q >> S32, stream0, stream1, key0, key1)


@njit(**_NUMBA_OPTS)  # once per 2**32 blocks: compiled once, not inlined
def philox_batch_any(words, q, key0, key1, stream0, stream1):
    """``philox_batch`` for any q, one block after the other (the plain form)."""
    for j in range(PHILOX_BATCH):
        b = philox_block(q + np.uint64(j), key0, key1, stream0, stream1)
        words[j] = b[0]
        words[R1 + j] = b[1]
        words[R2 + j] = b[2]
        words[R3 + j] = b[3]


@njit(**_INLINE_OPTS)  # inlined into each *_run_* batch loop: see below
def philox_batch(words, q, key0, key1, stream0, stream1):
    """Blocks q .. q + PHILOX_BATCH - 1, lane-major: words[i*PHILOX_BATCH + j] = word i of q + j.

    Loops of their own: LLVM vectorizes them over j (64-bit lanes, one
    ``vpmuludq`` per product), and the transform loops that read ``words``
    then run at the float width (16 lanes), not Philox's 64-bit one. One flat
    array with constant row offsets: LLVM sees the four rows never overlap.

    The batch loop is the Cython header's (philox_simd.h): when q >> 32
    (counter word 1) is one value for the whole batch, counter words 1-3 are
    shared by its blocks, so the round-0 product of word 2, round-1 words 0
    and 1 and the round-1 product of word 0 are scalars, worked out once here;
    rounds 0 and 1 then make one product each instead of two. The inputs are
    masked to 32 bits so that LLVM knows every factor fits in 32 bits
    (``vpmuludq``, not ``vpmullq``). Inlined (``_INLINE_OPTS``) into its
    callers: LLVM then hoists the round keys' broadcasts out of their batch
    loops, which a call per batch paid again each time (10% of the words).
    """
    key0 = U64(key0) & MASK32
    key1 = U64(key1) & MASK32
    stream0 = U64(stream0) & MASK32
    stream1 = U64(stream1) & MASK32
    q = U64(q)
    ql = q & MASK32
    if ql > MASK32 - U64(PHILOX_BATCH - 1):  # word 1 changes in the batch
        philox_batch_any(words, q, key0, key1, stream0, stream1)
        return
    a1 = (key0 + PHILOX_W32_0) & MASK32
    b1 = (key1 + PHILOX_W32_1) & MASK32
    a2 = (a1 + PHILOX_W32_0) & MASK32
    b2 = (b1 + PHILOX_W32_1) & MASK32
    # round 0: p1 = M1*s0; c0 = hi(p1) ^ (q >> 32) ^ k0; c1 = lo(p1) (shared)
    p1s = PHILOX_M4x32_1 * stream0
    c0s = (p1s >> S32) ^ (q >> S32) ^ key0
    # round 1: p0 = M0*c0 (shared): c2 = hi(p0) ^ c3 ^ b1, c3 = lo(p0)
    p0s = PHILOX_M4x32_0 * c0s
    x0b = stream1 ^ key1  # round 0: c2 = hi(p0) ^ x0b
    x1a = (p1s & MASK32) ^ a1  # round 1: c0 = hi(p1) ^ x1a
    x1b = (p0s >> S32) ^ b1  # round 1: c2 = c3 ^ x1b
    x2b = (p0s & MASK32) ^ b2  # round 2: c2 = hi(p0) ^ x2b
    for j in range(PHILOX_BATCH):
        # round 0 (counter word 0 = q + j; & MASK32 holds: no carry into word 1)
        p0 = PHILOX_M4x32_0 * ((ql + U64(j)) & MASK32)
        c2 = (p0 >> S32) ^ x0b
        c3 = p0 & MASK32
        # round 1
        p1 = PHILOX_M4x32_1 * c2
        c0 = (p1 >> S32) ^ x1a
        c1 = p1 & MASK32
        c2 = c3 ^ x1b
        # round 2 (word 3 was shared)
        p0 = PHILOX_M4x32_0 * c0
        p1 = PHILOX_M4x32_1 * c2
        c0 = (p1 >> S32) ^ c1 ^ a2
        c1 = p1 & MASK32
        c2 = (p0 >> S32) ^ x2b
        c3 = p0 & MASK32
        k0 = a2
        k1 = b2
        for _ in range(3, PHILOX_ROUNDS):
            k0 = (k0 + PHILOX_W32_0) & MASK32
            k1 = (k1 + PHILOX_W32_1) & MASK32
            p0 = PHILOX_M4x32_0 * c0
            p1 = PHILOX_M4x32_1 * c2
            c0, c1, c2, c3 = (p1 >> S32) ^ c1 ^ k0, p1 & MASK32, (p0 >> S32) ^ c3 ^ k1, p0 & MASK32
        words[j] = c0
        words[R1 + j] = c1
        words[R2 + j] = c2
        words[R3 + j] = c3


@njit(**_NUMBA_OPTS)
def philox_list(words, qs, n, key0, key1, stream0, stream1):
    """Blocks qs[0..n) (any block numbers), lane-major: words[i*REDRAW_BATCH + e] = word i of qs[e].

    The redraws of the truncated normal (rejection.py); n is a multiple of
    REDRAW_PAD (whole vectors: padding entries compute blocks nobody reads).
    The inputs are masked to 32 bits, so that LLVM knows every factor fits
    in 32 bits, as in philox_batch.
    """
    key0 = U64(key0) & MASK32
    key1 = U64(key1) & MASK32
    stream0 = U64(stream0) & MASK32
    stream1 = U64(stream1) & MASK32
    for e in range(n):
        b = philox_block(U64(qs[e]), key0, key1, stream0, stream1)
        words[e] = b[0]
        words[REDRAW_BATCH + e] = b[1]
        words[2 * REDRAW_BATCH + e] = b[2]
        words[3 * REDRAW_BATCH + e] = b[3]
