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
PHILOX_ROUNDS = constants.PHILOX_ROUNDS
PHILOX_BATCH = constants.PHILOX_BATCH
R1, R2, R3 = PHILOX_BATCH, 2 * PHILOX_BATCH, 3 * PHILOX_BATCH  # rows 1-3 of words


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


@njit(**_NUMBA_OPTS)
def philox_batch(words, q, key0, key1, stream0, stream1):
    """Blocks q .. q + PHILOX_BATCH - 1, lane-major: words[i*PHILOX_BATCH + j] = word i of q + j.

    A loop of its own: LLVM vectorizes it over j, and the transform loops that
    read ``words`` then run at the float width (16 lanes), not Philox's 64-bit one.
    One flat array with constant row offsets: LLVM sees the four rows never overlap.
    """
    for j in range(PHILOX_BATCH):
        b = philox_block(np.uint64(q + j), key0, key1, stream0, stream1)
        words[j] = b[0]
        words[PHILOX_BATCH + j] = b[1]
        words[2 * PHILOX_BATCH + j] = b[2]
        words[3 * PHILOX_BATCH + j] = b[3]
