# Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel Random Numbers: As Easy
# as 1, 2, 3", SC 2011; Random123 philox.h), with Random123's constant names.
# Mirror: fastinit/_engine/_numba/philox.py. Values: constants.h, which setup.py
# writes from fastinit/_engine/constants.py. State words live in
# uint64_t lanes, masked to 32 bits before each multiply, so one 64-bit product
# gives both halves of the 32x32 product: this scalar function is the spec for
# heads, tails and strided runs.
#
# philox_batch: the same rounds on PHILOX_BATCH consecutive blocks; philox_list:
# on a list of block numbers (philox_list_simd from philox_simd.h on x86). On x86 it
# calls philox_batch_simd from philox_simd.h (integer intrinsics, no twin; the
# header says why); elsewhere, or with -DFASTINIT_NO_SIMD, the scalar loops
# below, twins of the Numba loops: rounds 0 and 1 folded as in the header, and
# philox_batch_any (the plain loop) for a batch across a multiple of 2**32 blocks.

from libc.stdint cimport int64_t, uint32_t, uint64_t

cdef extern from "constants.h":
    const uint64_t PHILOX_M4x32_0
    const uint64_t PHILOX_M4x32_1
    const uint64_t PHILOX_W32_0
    const uint64_t PHILOX_W32_1
    const uint64_t MASK32
    enum: PHILOX_ROUNDS
    enum: PHILOX_BATCH
    enum: REDRAW_BATCH

cdef extern from "philox_simd.h":
    const bint PHILOX_SIMD
    void philox_batch_simd(uint32_t* words, uint64_t q, uint64_t k0, uint64_t k1, uint64_t s0,
                           uint64_t s1) nogil
    void philox_list_simd(uint32_t* words, const uint64_t* qs, int64_t n, uint64_t k0,
                          uint64_t k1, uint64_t s0, uint64_t s1) nogil


ctypedef struct philox_words:
    uint64_t w[4]  # the four output words, each in 0 .. 2**32 - 1


cdef inline philox_words philox4x32_10(uint64_t c0, uint64_t c1, uint64_t c2, uint64_t c3,
                                       uint64_t k0, uint64_t k1) noexcept nogil:
    """Ten Philox rounds on counter (c0..c3) under key (k0, k1); uint64 in/out."""
    cdef uint64_t p0, p1
    cdef int r
    cdef philox_words out
    for r in range(PHILOX_ROUNDS):
        # & MASK32: only the low 32 bits of a state word enter the product
        p0 = PHILOX_M4x32_0 * (c0 & MASK32)
        p1 = PHILOX_M4x32_1 * (c2 & MASK32)
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & MASK32, (p0 >> 32) ^ c3 ^ k1, p0 & MASK32
        # key schedule: Weyl sequence, bumped between rounds
        k0 = (k0 + PHILOX_W32_0) & MASK32
        k1 = (k1 + PHILOX_W32_1) & MASK32
    out.w[0] = c0
    out.w[1] = c1
    out.w[2] = c2
    out.w[3] = c3
    return out


cdef inline philox_words philox_block(uint64_t q, uint64_t key0, uint64_t key1,
                                      uint64_t stream0, uint64_t stream1) noexcept nogil:
    """The four words of block ``q`` (uint64 block index) of a stream."""
    return philox4x32_10(q & MASK32, q >> 32, stream0, stream1, key0, key1)


cdef inline void philox_batch_any(uint32_t* words, uint64_t q, uint64_t key0, uint64_t key1,
                                  uint64_t stream0, uint64_t stream1) noexcept nogil:
    """``philox_batch`` for any q, one block after the other (the plain form)."""
    cdef int j
    cdef philox_words b
    for j in range(PHILOX_BATCH):
        b = philox_block(q + j, key0, key1, stream0, stream1)
        words[j] = <uint32_t>b.w[0]
        words[PHILOX_BATCH + j] = <uint32_t>b.w[1]
        words[2 * PHILOX_BATCH + j] = <uint32_t>b.w[2]
        words[3 * PHILOX_BATCH + j] = <uint32_t>b.w[3]


cdef inline void philox_batch(uint32_t* words, uint64_t q, uint64_t key0, uint64_t key1,
                              uint64_t stream0, uint64_t stream1) noexcept nogil:
    """Blocks q .. q + PHILOX_BATCH - 1, lane-major: words[i*PHILOX_BATCH + j] = word i of q + j."""
    cdef int j, r
    cdef uint64_t ql, a1, b1, a2, b2, p1s, c0s, p0s, x0b, x1a, x1b, x2b
    cdef uint64_t p0, p1, c0, c1, c2, c3, k0, k1
    if PHILOX_SIMD:
        philox_batch_simd(words, q, key0, key1, stream0, stream1)
        return
    # the twin of the Numba loops, which fold rounds 0 and 1 as philox_simd.h does
    key0 &= MASK32
    key1 &= MASK32
    stream0 &= MASK32
    stream1 &= MASK32
    ql = q & MASK32
    if ql > MASK32 - (PHILOX_BATCH - 1):  # word 1 changes in the batch
        philox_batch_any(words, q, key0, key1, stream0, stream1)
        return
    a1 = (key0 + PHILOX_W32_0) & MASK32
    b1 = (key1 + PHILOX_W32_1) & MASK32
    a2 = (a1 + PHILOX_W32_0) & MASK32
    b2 = (b1 + PHILOX_W32_1) & MASK32
    # round 0: p1 = M1*s0; c0 = hi(p1) ^ (q >> 32) ^ k0; c1 = lo(p1) (shared)
    p1s = PHILOX_M4x32_1 * stream0
    c0s = (p1s >> 32) ^ (q >> 32) ^ key0
    # round 1: p0 = M0*c0 (shared): c2 = hi(p0) ^ c3 ^ b1, c3 = lo(p0)
    p0s = PHILOX_M4x32_0 * c0s
    x0b = stream1 ^ key1  # round 0: c2 = hi(p0) ^ x0b
    x1a = (p1s & MASK32) ^ a1  # round 1: c0 = hi(p1) ^ x1a
    x1b = (p0s >> 32) ^ b1  # round 1: c2 = c3 ^ x1b
    x2b = (p0s & MASK32) ^ b2  # round 2: c2 = hi(p0) ^ x2b
    for j in range(PHILOX_BATCH):
        # round 0 (counter word 0 = q + j; & MASK32 holds: no carry into word 1)
        p0 = PHILOX_M4x32_0 * ((ql + <uint64_t>j) & MASK32)
        c2 = (p0 >> 32) ^ x0b
        c3 = p0 & MASK32
        # round 1
        p1 = PHILOX_M4x32_1 * c2
        c0 = (p1 >> 32) ^ x1a
        c1 = p1 & MASK32
        c2 = c3 ^ x1b
        # round 2 (word 3 was shared)
        p0 = PHILOX_M4x32_0 * c0
        p1 = PHILOX_M4x32_1 * c2
        c0 = (p1 >> 32) ^ c1 ^ a2
        c1 = p1 & MASK32
        c2 = (p0 >> 32) ^ x2b
        c3 = p0 & MASK32
        k0 = a2
        k1 = b2
        for r in range(3, PHILOX_ROUNDS):
            k0 = (k0 + PHILOX_W32_0) & MASK32
            k1 = (k1 + PHILOX_W32_1) & MASK32
            p0 = PHILOX_M4x32_0 * c0
            p1 = PHILOX_M4x32_1 * c2
            c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & MASK32, (p0 >> 32) ^ c3 ^ k1, p0 & MASK32
        words[j] = <uint32_t>c0
        words[PHILOX_BATCH + j] = <uint32_t>c1
        words[2 * PHILOX_BATCH + j] = <uint32_t>c2
        words[3 * PHILOX_BATCH + j] = <uint32_t>c3


cdef inline void philox_list(uint32_t* words, const uint64_t* qs, int64_t n, uint64_t key0,
                             uint64_t key1, uint64_t stream0, uint64_t stream1) noexcept nogil:
    """Blocks qs[0..n) (any block numbers), lane-major: words[i*REDRAW_BATCH + e] = word i of qs[e]."""
    cdef int64_t e
    cdef philox_words b
    if PHILOX_SIMD:
        philox_list_simd(words, qs, n, key0, key1, stream0, stream1)
        return
    key0 &= MASK32
    key1 &= MASK32
    stream0 &= MASK32
    stream1 &= MASK32
    for e in range(n):
        b = philox_block(qs[e], key0, key1, stream0, stream1)
        words[e] = <uint32_t>b.w[0]
        words[REDRAW_BATCH + e] = <uint32_t>b.w[1]
        words[2 * REDRAW_BATCH + e] = <uint32_t>b.w[2]
        words[3 * REDRAW_BATCH + e] = <uint32_t>b.w[3]
