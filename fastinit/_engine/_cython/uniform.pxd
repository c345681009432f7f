# Raw words and uniforms: one word per float32 element, two per float64.
# Mirror: fastinit/_engine/_numba/uniform.py (same names, arguments and numbered
# steps). A *_run_* fills one work item: heads, tails and strided runs take
# one Philox block per element; whole blocks are made PHILOX_BATCH at a time
# by philox_batch and transformed by a *_batch_* loop that gcc vectorizes
# (``store`` is specialized on the literal format each caller passes). A
# *_batch_* loop counts blocks (``nblk`` <= PHILOX_BATCH), not elements: under
# Python's -fwrapv gcc cannot bound ``n // 4`` of an element count, and
# unrolled the loop less; the uniform fill ran 5% slower for it.

from libc.stdint cimport int64_t, uint32_t, uint64_t

from .chunks cimport batch_count, clamp, head_len, out32_t, store, two_words, word_pair
from .philox cimport PHILOX_BATCH, philox_batch, philox_block
from .transforms cimport u01_closed_open_f32, u01_closed_open_f64


# --- raw words ------------------------------------------------------------------
cdef inline void bits_batch(uint32_t* out, int64_t nblk, const uint32_t* words) noexcept nogil:
    cdef int64_t j
    for j in range(nblk):
        # (3) no transform; (4) store the block
        out[4 * j] = words[j]
        out[4 * j + 1] = words[PHILOX_BATCH + j]
        out[4 * j + 2] = words[2 * PHILOX_BATCH + j]
        out[4 * j + 3] = words[3 * PHILOX_BATCH + j]


cdef inline void bits_run(uint32_t* out, int64_t n, uint64_t key0, uint64_t key1,
                          uint64_t stream0, uint64_t stream1, int64_t g0,
                          int64_t step) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 4) if step == 1 else n
    cdef int64_t m, g, nb, q0, ib, jb
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        # (1) counter for the block of word g; (2) its four words
        g = g0 + m * step
        out[m] = <uint32_t>philox_block(<uint64_t>g >> 2, key0, key1, stream0, stream1).w[g & 3]
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        bits_batch(out + h + 4 * jb, min(<int64_t>PHILOX_BATCH, nb - jb), &words[0][0])
    for m in range(h + 4 * nb, n):
        g = g0 + m
        out[m] = <uint32_t>philox_block(<uint64_t>g >> 2, key0, key1, stream0, stream1).w[g & 3]


# --- uniform -----------------------------------------------------------------------
cdef inline float uniform_f32(uint64_t w, float lo, float span, float lo_c,
                              float hi_c) noexcept nogil:
    return clamp(lo + span * u01_closed_open_f32(w), lo_c, hi_c)


cdef inline double uniform_f64(uint64_t w0, uint64_t w1, double lo, double span, double lo_c,
                               double hi_c) noexcept nogil:
    return clamp(lo + span * u01_closed_open_f64(w0, w1), lo_c, hi_c)


cdef inline void uniform_batch_f32(out32_t* out, int64_t nblk, const uint32_t* words, float lo,
                                   float span, float lo_c, float hi_c, int fmt) noexcept nogil:
    cdef int64_t j
    # (3) words -> uniforms -> scale, shift, clamp; (4) store
    for j in range(nblk):
        store(out, 4 * j, uniform_f32(words[j], lo, span, lo_c, hi_c), fmt)
        store(out, 4 * j + 1, uniform_f32(words[PHILOX_BATCH + j], lo, span, lo_c, hi_c), fmt)
        store(out, 4 * j + 2, uniform_f32(words[2 * PHILOX_BATCH + j], lo, span, lo_c, hi_c),
              fmt)
        store(out, 4 * j + 3, uniform_f32(words[3 * PHILOX_BATCH + j], lo, span, lo_c, hi_c),
              fmt)


cdef inline void uniform_batch_f64(double* out, int64_t nblk, const uint32_t* words, double lo,
                                   double span, double lo_c, double hi_c) noexcept nogil:
    cdef int64_t j
    for j in range(nblk):
        # (3) words -> uniforms -> scale, shift, clamp; (4) store
        out[2 * j] = uniform_f64(words[j], words[PHILOX_BATCH + j], lo, span, lo_c, hi_c)
        out[2 * j + 1] = uniform_f64(words[2 * PHILOX_BATCH + j], words[3 * PHILOX_BATCH + j],
                                     lo, span, lo_c, hi_c)


cdef inline void uniform_run_f32(out32_t* out, int64_t n, uint64_t key0, uint64_t key1,
                                 uint64_t stream0, uint64_t stream1, int64_t g0, int64_t step,
                                 float lo, float span, float lo_c, float hi_c,
                                 int fmt) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 4) if step == 1 else n
    cdef int64_t m, g, nb, q0, ib, jb
    cdef uint64_t w
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        g = g0 + m * step
        w = philox_block(<uint64_t>g >> 2, key0, key1, stream0, stream1).w[g & 3]
        store(out, m, uniform_f32(w, lo, span, lo_c, hi_c), fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        uniform_batch_f32(out + h + 4 * jb, min(<int64_t>PHILOX_BATCH, nb - jb),
                          &words[0][0], lo, span, lo_c, hi_c, fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        w = philox_block(<uint64_t>g >> 2, key0, key1, stream0, stream1).w[g & 3]
        store(out, m, uniform_f32(w, lo, span, lo_c, hi_c), fmt)


cdef inline void uniform_run_f64(double* out, int64_t n, uint64_t key0, uint64_t key1,
                                 uint64_t stream0, uint64_t stream1, int64_t g0, int64_t step,
                                 double lo, double span, double lo_c,
                                 double hi_c) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 2) if step == 1 else n
    cdef int64_t m, nb, q0, ib, jb
    cdef two_words p
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        p = word_pair(2 * (g0 + m * step), key0, key1, stream0, stream1)
        out[m] = uniform_f64(p.w0, p.w1, lo, span, lo_c, hi_c)
    nb = (n - h) // 2
    q0 = (g0 + h) >> 1
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) two words per element, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        uniform_batch_f64(out + h + 2 * jb, min(<int64_t>PHILOX_BATCH, nb - jb),
                          &words[0][0], lo, span, lo_c, hi_c)
    for m in range(h + 2 * nb, n):
        p = word_pair(2 * (g0 + m), key0, key1, stream0, stream1)
        out[m] = uniform_f64(p.w0, p.w1, lo, span, lo_c, hi_c)
