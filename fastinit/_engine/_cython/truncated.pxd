# Truncated normal samples by the inverse CDF, in erf space.
# Mirror: fastinit/_engine/_numba/truncated.py (same names, arguments and numbered
# steps). x = clamp(mean + std*sqrt(2)*erfinv(ea + (eb-ea)*u), lo_c, hi_c) with
# u in (0, 1): one word per float32 element, two per float64. Structure as in
# uniform.pxd, except that a 16-bit fill's batch loop writes float32 into
# ``row``, which ``store_row`` then rounds to the output format: rounding inside
# this long loop cost more (Cython's bfloat16 fill ran 18% slower, Numba's
# float16 fill 50%). The uniform and normal loops gained nothing from a row and
# round in place.

from libc.stdint cimport int64_t, uint32_t, uint64_t

from .chunks cimport (batch_count, clamp, head_len, out32_t, store, store_row, two_words,
                      word_pair)
from .philox cimport PHILOX_BATCH, philox_batch, philox_block
from .transforms cimport (ERFINV_F32_CENTRAL_MAX_X, SQRT2, erfinv_f32, erfinv_f64,
                          u01_open_open_f32, u01_open_open_f64)


cdef inline float truncated_f32(uint64_t w, float mean, float std, float ea, float ed, float eb,
                                float lo_c, float hi_c, bint tails) noexcept nogil:
    cdef float x = clamp(ea + ed * u01_open_open_f32(w), ea, eb)
    return clamp(mean + std * (erfinv_f32(x, tails) * <float>SQRT2), lo_c, hi_c)


cdef inline double truncated_f64(uint64_t w0, uint64_t w1, double mean, double std, double ea,
                                 double ed, double eb, double lo_c, double hi_c,
                                 bint tails) noexcept nogil:
    cdef double x = clamp(ea + ed * u01_open_open_f64(w0, w1), ea, eb)
    return clamp(mean + std * (erfinv_f64(x, tails) * SQRT2), lo_c, hi_c)


cdef inline void truncated_batch_f32(float* out, int64_t nblk, const uint32_t* words,
                                     float mean, float std, float ea, float ed, float eb,
                                     float lo_c, float hi_c, bint tails) noexcept nogil:
    cdef int64_t j
    # (3) words -> uniforms in erf space -> erfinv; (4) scale, clamp, store
    for j in range(nblk):
        out[4 * j] = truncated_f32(words[j], mean, std, ea, ed, eb, lo_c, hi_c, tails)
        out[4 * j + 1] = truncated_f32(words[PHILOX_BATCH + j], mean, std, ea, ed, eb, lo_c,
                                       hi_c, tails)
        out[4 * j + 2] = truncated_f32(words[2 * PHILOX_BATCH + j], mean, std, ea, ed, eb, lo_c,
                                       hi_c, tails)
        out[4 * j + 3] = truncated_f32(words[3 * PHILOX_BATCH + j], mean, std, ea, ed, eb, lo_c,
                                       hi_c, tails)


cdef inline void truncated_batch_f64(double* out, int64_t nblk, const uint32_t* words,
                                     double mean, double std, double ea, double ed, double eb,
                                     double lo_c, double hi_c, bint tails) noexcept nogil:
    cdef int64_t j
    for j in range(nblk):
        # (3) words -> uniforms in erf space -> erfinv; (4) scale, clamp, store
        out[2 * j] = truncated_f64(words[j], words[PHILOX_BATCH + j], mean, std, ea, ed, eb,
                                   lo_c, hi_c, tails)
        out[2 * j + 1] = truncated_f64(words[2 * PHILOX_BATCH + j], words[3 * PHILOX_BATCH + j],
                                       mean, std, ea, ed, eb, lo_c, hi_c, tails)


cdef inline void truncated_run_f32(out32_t* out, int64_t n, uint64_t key0, uint64_t key1,
                                   uint64_t stream0, uint64_t stream1, int64_t g0,
                                   int64_t step, float mean, float std, float ea, float eb,
                                   float lo_c, float hi_c, int fmt) noexcept nogil:
    cdef float ed = eb - ea
    # the Giles tail branch is skipped when no x can reach it: same bits, faster
    cdef bint tails = max(abs(ea), abs(eb)) > ERFINV_F32_CENTRAL_MAX_X
    cdef int64_t h = head_len(g0, n, 4) if step == 1 else n
    cdef int64_t m, g, nb, q0, ib, jb, k
    cdef uint64_t w
    cdef uint32_t words[4][PHILOX_BATCH]
    cdef float row[4 * PHILOX_BATCH]  # a 16-bit fill's floats before rounding
    cdef float* dst
    for m in range(h):
        g = g0 + m * step
        w = philox_block(<uint64_t>g >> 2, key0, key1, stream0, stream1).w[g & 3]
        store(out, m, truncated_f32(w, mean, std, ea, ed, eb, lo_c, hi_c, tails), fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        k = min(<int64_t>PHILOX_BATCH, nb - jb)
        if out32_t is float:  # the twin's float_row
            dst = out + h + 4 * jb
        else:
            dst = &row[0]
        # literal flags: without tails gcc drops the tail polynomial and its select
        if tails:
            truncated_batch_f32(dst, k, &words[0][0], mean, std, ea, ed, eb, lo_c, hi_c, True)
        else:
            truncated_batch_f32(dst, k, &words[0][0], mean, std, ea, ed, eb, lo_c, hi_c, False)
        if out32_t is not float:
            store_row(out + h + 4 * jb, &row[0], 4 * k, lo_c, hi_c, fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        w = philox_block(<uint64_t>g >> 2, key0, key1, stream0, stream1).w[g & 3]
        store(out, m, truncated_f32(w, mean, std, ea, ed, eb, lo_c, hi_c, tails), fmt)


cdef inline void truncated_run_f64(double* out, int64_t n, uint64_t key0, uint64_t key1,
                                   uint64_t stream0, uint64_t stream1, int64_t g0,
                                   int64_t step, double mean, double std, double ea, double eb,
                                   double lo_c, double hi_c) noexcept nogil:
    cdef double ed = eb - ea
    # as in truncated_run_f32: without tails only the central polynomial runs
    cdef bint tails = max(abs(ea), abs(eb)) > ERFINV_F32_CENTRAL_MAX_X
    cdef int64_t h = head_len(g0, n, 2) if step == 1 else n
    cdef int64_t m, nb, q0, ib, jb, k
    cdef two_words p
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        p = word_pair(2 * (g0 + m * step), key0, key1, stream0, stream1)
        out[m] = truncated_f64(p.w0, p.w1, mean, std, ea, ed, eb, lo_c, hi_c, tails)
    nb = (n - h) // 2
    q0 = (g0 + h) >> 1
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) two words per element, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        k = min(<int64_t>PHILOX_BATCH, nb - jb)
        if tails:
            truncated_batch_f64(out + h + 2 * jb, k, &words[0][0], mean, std, ea, ed, eb, lo_c,
                                hi_c, True)
        else:
            truncated_batch_f64(out + h + 2 * jb, k, &words[0][0], mean, std, ea, ed, eb, lo_c,
                                hi_c, False)
    for m in range(h + 2 * nb, n):
        p = word_pair(2 * (g0 + m), key0, key1, stream0, stream1)
        out[m] = truncated_f64(p.w0, p.w1, mean, std, ea, ed, eb, lo_c, hi_c, tails)
