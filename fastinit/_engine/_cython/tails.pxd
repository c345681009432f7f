# Truncated normal on an interval wholly in a far tail, computed in float64
# whatever the output. Mirror: fastinit/_engine/_numba/tails.py (same names, arguments
# and numbered steps). x = clamp(mean + std_s*z, lo_c, hi_c), z = tail_z_f64(u):
# the inverse of the tail's survival function (transforms.pxd); std_s < 0
# mirrors a lower tail. Same words and uniforms as truncated.pxd: one word per
# float32/16-bit element (its 24-bit open uniform is exact in float64), two per
# float64. Structure as in uniform.pxd.

from libc.stdint cimport int64_t, uint32_t, uint64_t

from .chunks cimport batch_count, clamp, head_len, out32_t, store, two_words, word_pair
from .philox cimport PHILOX_BATCH, philox_batch, philox_block
from .transforms cimport tail_z_f64, u01_open_open_f32, u01_open_open_f64


cdef inline double truncated_tail_value(double u, double mean, double std_s, double a,
                                        double d, double log_ma, double lo_c,
                                        double hi_c) noexcept nogil:
    """clamp(mean + std_s*z, lo_c, hi_c) in float64; std_s < 0 mirrors a lower tail."""
    return clamp(mean + std_s * tail_z_f64(u, a, d, log_ma), lo_c, hi_c)


cdef inline void truncated_tail_run_f32(out32_t* out, int64_t n, uint64_t key0, uint64_t key1,
                                        uint64_t stream0, uint64_t stream1, int64_t g0,
                                        int64_t step, double mean, double std_s, double a,
                                        double d, double log_ma, double lo_c, double hi_c,
                                        int fmt) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 4) if step == 1 else n
    cdef int64_t m, g, j, nb, q0, ib, jb, o
    cdef int lane
    cdef uint64_t w
    cdef double x
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        g = g0 + m * step
        w = philox_block(<uint64_t>g >> 2, key0, key1, stream0, stream1).w[g & 3]
        x = truncated_tail_value(<double>u01_open_open_f32(w), mean, std_s, a, d, log_ma,
                                 lo_c, hi_c)
        store(out, m, <float>x, fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        for j in range(min(<int64_t>PHILOX_BATCH, nb - jb)):
            o = h + 4 * (jb + j)
            for lane in range(4):
                # (3) word -> 24-bit open uniform, exact in float64 -> tail inverse;
                # (4) shift, scale, clamp in float64, round to the output, store
                x = truncated_tail_value(<double>u01_open_open_f32(words[lane][j]), mean,
                                         std_s, a, d, log_ma, lo_c, hi_c)
                store(out, o + lane, <float>x, fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        w = philox_block(<uint64_t>g >> 2, key0, key1, stream0, stream1).w[g & 3]
        x = truncated_tail_value(<double>u01_open_open_f32(w), mean, std_s, a, d, log_ma,
                                 lo_c, hi_c)
        store(out, m, <float>x, fmt)


cdef inline void truncated_tail_run_f64(double* out, int64_t n, uint64_t key0, uint64_t key1,
                                        uint64_t stream0, uint64_t stream1, int64_t g0,
                                        int64_t step, double mean, double std_s, double a,
                                        double d, double log_ma, double lo_c,
                                        double hi_c) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 2) if step == 1 else n
    cdef int64_t m, j, nb, q0, ib, jb, o
    cdef two_words p
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        p = word_pair(2 * (g0 + m * step), key0, key1, stream0, stream1)
        out[m] = truncated_tail_value(u01_open_open_f64(p.w0, p.w1), mean, std_s, a, d, log_ma,
                                      lo_c, hi_c)
    nb = (n - h) // 2
    q0 = (g0 + h) >> 1
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) two words per element, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        for j in range(min(<int64_t>PHILOX_BATCH, nb - jb)):
            o = h + 2 * (jb + j)
            # (3) words -> 53-bit open uniform -> tail inverse; (4) shift, scale, clamp, store
            out[o] = truncated_tail_value(u01_open_open_f64(words[0][j], words[1][j]), mean,
                                          std_s, a, d, log_ma, lo_c, hi_c)
            out[o + 1] = truncated_tail_value(u01_open_open_f64(words[2][j], words[3][j]),
                                              mean, std_s, a, d, log_ma, lo_c, hi_c)
    for m in range(h + 2 * nb, n):
        p = word_pair(2 * (g0 + m), key0, key1, stream0, stream1)
        out[m] = truncated_tail_value(u01_open_open_f64(p.w0, p.w1), mean, std_s, a, d, log_ma,
                                      lo_c, hi_c)
