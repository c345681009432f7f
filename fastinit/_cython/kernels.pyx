# cython: wraparound=False, cdivision=True, language_level=3
# boundscheck=False comes from setup.py, so that FASTINIT_CYTHON_DEBUG=1 can turn
# it back on (a directive written here would override the build's).
"""Fill kernels: Philox4x32-10 words -> samples, written straight into ``out``.

Philox4x32-10: Salmon, Moraes, Dror, Shaw, "Parallel Random Numbers: As Easy as
1, 2, 3", SC 2011. Word ``w`` of a stream is lane ``w % 4`` of Philox block
``q = w // 4`` under counter ``(q & 0xFFFFFFFF, q >> 32, stream0, stream1)`` and
key ``(key0, key1)``. Mirror: ``fastinit/_numba/kernels.py`` (same names,
arguments and numbered steps; this side adds a trailing ``n_threads``). Spec:
``tests/reference.py``.

Geometry: memory element ``m`` of the 1-D ``out`` is row ``m // row_len``,
column ``k = m % row_len`` and holds global element
``g = first + row*row_step + k*step``; its value depends only on
(key, stream, g). Work is cut into chunks of rows, never into threads, so the
thread count cannot change a bit. Whole blocks are made PHILOX_BATCH at a
time by ``philox_batch`` (x86 SIMD, same words as ``philox4x32_10``; see
philox.pxd for why), then transformed in a loop gcc vectorizes; heads, tails
and strided runs take one block per element. ``_kernels_v3``/``_kernels_v4``
are this file compiled with -march=x86-64-v3/v4 (setup.py).
"""

from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int64_t, uint16_t, uint32_t, uint64_t

from .philox cimport (MASK32, PHILOX_BATCH, PHILOX_M4x32_0, PHILOX_M4x32_1, PHILOX_ROUNDS,
                      PHILOX_W32_0, PHILOX_W32_1, philox4x32_10, philox_batch, philox_block,
                      philox_words)
from .transforms cimport *

cdef enum:
    FMT_F32 = 0
    FMT_F64 = 1
    FMT_BF16 = 2
    FMT_F16 = 3
    CHUNK_BLOCKS = 2048  # Philox blocks per parallel work item
    CHUNK_ELEMS = 4 * CHUNK_BLOCKS

ctypedef fused out_t:  # the buffer: float32, float64, or the bits of float16/bfloat16
    float
    double
    uint16_t

ctypedef fused out32_t:  # what the float32 paths write
    float
    uint16_t

ctypedef struct item_t:
    int64_t m0  # first memory element
    int64_t n   # elements
    int64_t g0  # global index of the first element

ctypedef struct two_words:
    uint64_t w0
    uint64_t w1


# --- shared helpers ----------------------------------------------------------
cdef inline item_t work_item(int64_t t, int64_t per_row, int64_t row_len, int64_t first,
                             int64_t row_step, int64_t step) noexcept nogil:
    """Memory start, length and first global index of work item ``t``."""
    cdef int64_t r = t // per_row
    cdef int64_t k0 = (t % per_row) * CHUNK_ELEMS
    cdef item_t it
    it.m0 = r * row_len + k0
    it.n = min(<int64_t>CHUNK_ELEMS, row_len - k0)
    it.g0 = first + r * row_step + k0 * step
    return it


cdef inline two_words word_pair(int64_t w, uint64_t key0, uint64_t key1, uint64_t stream0,
                                uint64_t stream1) noexcept nogil:
    """Words w and w+1 (w even) of a stream."""
    cdef philox_words b = philox_block(<uint64_t>w >> 2, key0, key1, stream0, stream1)
    cdef int lane = w & 3
    cdef two_words p
    p.w0 = b.w[lane]
    p.w1 = b.w[lane + 1]
    return p


cdef inline floating clamp(floating x, floating lo_c, floating hi_c) noexcept nogil:
    x = lo_c if x < lo_c else x
    x = hi_c if x > hi_c else x
    return x


cdef inline void store(out32_t* out, int64_t m, float x, int fmt) noexcept nogil:
    """Write float32 ``x``; 16-bit formats round to nearest even."""
    if out32_t is float:
        out[m] = x
    elif fmt == FMT_BF16:
        out[m] = f32_to_bf16_bits(x)
    else:
        out[m] = f32_to_f16_bits(x)


cdef inline int64_t head_len(int64_t g0, int64_t n, int64_t per) noexcept nogil:
    """Elements before the first whole Philox block (g0 >= 0)."""
    return min((per - g0 % per) % per, n)


# --- raw words ------------------------------------------------------------------
cdef inline void bits_run(uint32_t* out, int64_t n, uint64_t key0, uint64_t key1,
                          uint64_t stream0, uint64_t stream1, int64_t g0,
                          int64_t step) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 4) if step == 1 else n
    cdef int64_t m, g, j, nb, q0, ib, jb, o
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        # (1) counter for the block of word g; (2) its four words
        g = g0 + m * step
        out[m] = <uint32_t>philox_block(<uint64_t>g >> 2, key0, key1, stream0, stream1).w[g & 3]
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    for ib in range((nb + PHILOX_BATCH - 1) // PHILOX_BATCH):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        for j in range(min(<int64_t>PHILOX_BATCH, nb - jb)):
            o = h + 4 * (jb + j)
            # (3) no transform; (4) store the block
            out[o] = words[0][j]
            out[o + 1] = words[1][j]
            out[o + 2] = words[2][j]
            out[o + 3] = words[3][j]
    for m in range(h + 4 * nb, n):
        g = g0 + m
        out[m] = <uint32_t>philox_block(<uint64_t>g >> 2, key0, key1, stream0, stream1).w[g & 3]


def fill_bits(uint32_t[::1] out,  # OUT
              uint32_t key0, uint32_t key1, uint32_t stream0, uint32_t stream1,
              int64_t first, int64_t row_len, int64_t row_step, int64_t step, int n_threads):
    """Raw Philox words: element g is word g."""
    cdef int64_t per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    cdef int64_t t
    cdef item_t it
    for t in prange((out.shape[0] // row_len) * per_row, nogil=True, schedule="static",
                    num_threads=n_threads):
        it = work_item(t, per_row, row_len, first, row_step, step)
        bits_run(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step)


# --- uniform -----------------------------------------------------------------------
cdef inline float uniform_f32(uint64_t w, float lo, float span, float lo_c,
                              float hi_c) noexcept nogil:
    return clamp(lo + span * u01_closed_open_f32(w), lo_c, hi_c)


cdef inline double uniform_f64(uint64_t w0, uint64_t w1, double lo, double span, double lo_c,
                               double hi_c) noexcept nogil:
    return clamp(lo + span * u01_closed_open_f64(w0, w1), lo_c, hi_c)


cdef inline void uniform_run_f32(out32_t* out, int64_t n, uint64_t key0, uint64_t key1,
                                 uint64_t stream0, uint64_t stream1, int64_t g0, int64_t step,
                                 float lo, float span, float lo_c, float hi_c,
                                 int fmt) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 4) if step == 1 else n
    cdef int64_t m, g, j, nb, q0, ib, jb, o
    cdef uint64_t w
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        g = g0 + m * step
        w = philox_block(<uint64_t>g >> 2, key0, key1, stream0, stream1).w[g & 3]
        store(out, m, uniform_f32(w, lo, span, lo_c, hi_c), fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    for ib in range((nb + PHILOX_BATCH - 1) // PHILOX_BATCH):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        for j in range(min(<int64_t>PHILOX_BATCH, nb - jb)):
            o = h + 4 * (jb + j)
            # (3) words -> uniforms -> scale, shift, clamp; (4) store
            store(out, o, uniform_f32(words[0][j], lo, span, lo_c, hi_c), fmt)
            store(out, o + 1, uniform_f32(words[1][j], lo, span, lo_c, hi_c), fmt)
            store(out, o + 2, uniform_f32(words[2][j], lo, span, lo_c, hi_c), fmt)
            store(out, o + 3, uniform_f32(words[3][j], lo, span, lo_c, hi_c), fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        w = philox_block(<uint64_t>g >> 2, key0, key1, stream0, stream1).w[g & 3]
        store(out, m, uniform_f32(w, lo, span, lo_c, hi_c), fmt)


cdef inline void uniform_run_f64(double* out, int64_t n, uint64_t key0, uint64_t key1,
                                 uint64_t stream0, uint64_t stream1, int64_t g0, int64_t step,
                                 double lo, double span, double lo_c,
                                 double hi_c) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 2) if step == 1 else n
    cdef int64_t m, j, nb, q0, ib, jb, o
    cdef two_words p
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        p = word_pair(2 * (g0 + m * step), key0, key1, stream0, stream1)
        out[m] = uniform_f64(p.w0, p.w1, lo, span, lo_c, hi_c)
    nb = (n - h) // 2
    q0 = (g0 + h) >> 1
    for ib in range((nb + PHILOX_BATCH - 1) // PHILOX_BATCH):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) two words per element, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        for j in range(min(<int64_t>PHILOX_BATCH, nb - jb)):
            o = h + 2 * (jb + j)
            # (3) words -> uniforms -> scale, shift, clamp; (4) store
            out[o] = uniform_f64(words[0][j], words[1][j], lo, span, lo_c, hi_c)
            out[o + 1] = uniform_f64(words[2][j], words[3][j], lo, span, lo_c, hi_c)
    for m in range(h + 2 * nb, n):
        p = word_pair(2 * (g0 + m), key0, key1, stream0, stream1)
        out[m] = uniform_f64(p.w0, p.w1, lo, span, lo_c, hi_c)


def fill_uniform(out_t[::1] out,  # OUT
                 uint32_t key0, uint32_t key1, uint32_t stream0, uint32_t stream1,
                 int64_t first, int64_t row_len, int64_t row_step, int64_t step,
                 double lo, double span, double lo_c, double hi_c, int fmt, int n_threads):
    """clamp(lo + span*u, lo_c, hi_c), u = 24-bit (53-bit for float64) uniform."""
    cdef int64_t per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    cdef int64_t t
    cdef item_t it
    for t in prange((out.shape[0] // row_len) * per_row, nogil=True, schedule="static",
                    num_threads=n_threads):
        it = work_item(t, per_row, row_len, first, row_step, step)
        if out_t is double:  # the twin tests fmt == FMT_F64; here the type decides
            uniform_run_f64(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                            lo, span, lo_c, hi_c)
        elif out_t is float:
            uniform_run_f32(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                            <float>lo, <float>span, <float>lo_c, <float>hi_c, FMT_F32)
        elif fmt == FMT_BF16:  # literal formats: gcc specializes store() for each
            uniform_run_f32(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                            <float>lo, <float>span, <float>lo_c, <float>hi_c, FMT_BF16)
        else:
            uniform_run_f32(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                            <float>lo, <float>span, <float>lo_c, <float>hi_c, FMT_F16)


# --- normal (Box-Muller) ----------------------------------------------------------
cdef inline void normal_run_f32(out32_t* out, int64_t n, uint64_t key0, uint64_t key1,
                                uint64_t stream0, uint64_t stream1, int64_t g0, int64_t step,
                                float mean, float std, int fmt) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 4) if step == 1 else n
    cdef int64_t m, g, j, nb, q0, ib, jb, o
    cdef two_words p
    cdef pair_f32 z, z2
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        g = g0 + m * step
        p = word_pair(g & ~1, key0, key1, stream0, stream1)
        z = box_muller_f32(p.w0, p.w1)
        store(out, m, mean + std * (z.x0 if (g & 1) == 0 else z.x1), fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    for ib in range((nb + PHILOX_BATCH - 1) // PHILOX_BATCH):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) four words = two pairs, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        for j in range(min(<int64_t>PHILOX_BATCH, nb - jb)):
            o = h + 4 * (jb + j)
            # (3) each pair of words -> Box-Muller -> two normals
            z = box_muller_f32(words[0][j], words[1][j])
            z2 = box_muller_f32(words[2][j], words[3][j])
            # (4) scale, shift and store
            store(out, o, mean + std * z.x0, fmt)
            store(out, o + 1, mean + std * z.x1, fmt)
            store(out, o + 2, mean + std * z2.x0, fmt)
            store(out, o + 3, mean + std * z2.x1, fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        p = word_pair(g & ~1, key0, key1, stream0, stream1)
        z = box_muller_f32(p.w0, p.w1)
        store(out, m, mean + std * (z.x0 if (g & 1) == 0 else z.x1), fmt)


cdef inline void normal_run_f64(double* out, int64_t n, uint64_t key0, uint64_t key1,
                                uint64_t stream0, uint64_t stream1, int64_t g0, int64_t step,
                                double mean, double std) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 2) if step == 1 else n
    cdef int64_t m, g, j, nb, q0, ib, jb, o
    cdef pair_f64 z
    cdef philox_words b
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        g = g0 + m * step
        b = philox_block(<uint64_t>g >> 1, key0, key1, stream0, stream1)
        z = box_muller_f64(b.w[0], b.w[1], b.w[2], b.w[3])
        out[m] = mean + std * (z.x0 if (g & 1) == 0 else z.x1)
    nb = (n - h) // 2
    q0 = (g0 + h) >> 1
    for ib in range((nb + PHILOX_BATCH - 1) // PHILOX_BATCH):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) four words = one pair, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        for j in range(min(<int64_t>PHILOX_BATCH, nb - jb)):
            o = h + 2 * (jb + j)
            # (3) Box-Muller -> two normals
            z = box_muller_f64(words[0][j], words[1][j], words[2][j], words[3][j])
            # (4) scale, shift and store
            out[o] = mean + std * z.x0
            out[o + 1] = mean + std * z.x1
    for m in range(h + 2 * nb, n):
        g = g0 + m
        b = philox_block(<uint64_t>g >> 1, key0, key1, stream0, stream1)
        z = box_muller_f64(b.w[0], b.w[1], b.w[2], b.w[3])
        out[m] = mean + std * (z.x0 if (g & 1) == 0 else z.x1)


def fill_normal(out_t[::1] out,  # OUT
                uint32_t key0, uint32_t key1, uint32_t stream0, uint32_t stream1,
                int64_t first, int64_t row_len, int64_t row_step, int64_t step,
                double mean, double std, int fmt, int n_threads):
    """mean + std*z, z from Box-Muller on the pair of element g."""
    cdef int64_t per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    cdef int64_t t
    cdef item_t it
    for t in prange((out.shape[0] // row_len) * per_row, nogil=True, schedule="static",
                    num_threads=n_threads):
        it = work_item(t, per_row, row_len, first, row_step, step)
        if out_t is double:
            normal_run_f64(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                           mean, std)
        elif out_t is float:
            normal_run_f32(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                           <float>mean, <float>std, FMT_F32)
        elif fmt == FMT_BF16:  # literal formats: gcc specializes store() for each
            normal_run_f32(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                           <float>mean, <float>std, FMT_BF16)
        else:
            normal_run_f32(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                           <float>mean, <float>std, FMT_F16)


# --- truncated normal (inverse CDF in erf space) -----------------------------------
cdef inline float truncated_f32(uint64_t w, float mean, float std, float ea, float ed, float eb,
                                float lo_c, float hi_c, bint tails) noexcept nogil:
    cdef float x = clamp(ea + ed * u01_open_open_f32(w), ea, eb)
    return clamp(mean + std * (erfinv_f32(x, tails) * <float>SQRT2), lo_c, hi_c)


cdef inline double truncated_f64(uint64_t w0, uint64_t w1, double mean, double std, double ea,
                                 double ed, double eb, double lo_c, double hi_c,
                                 bint tails) noexcept nogil:
    cdef double x = clamp(ea + ed * u01_open_open_f64(w0, w1), ea, eb)
    return clamp(mean + std * (erfinv_f64(x, tails) * SQRT2), lo_c, hi_c)


cdef inline void truncated_run_f32(out32_t* out, int64_t n, uint64_t key0, uint64_t key1,
                                   uint64_t stream0, uint64_t stream1, int64_t g0,
                                   int64_t step, float mean, float std, float ea, float eb,
                                   float lo_c, float hi_c, int fmt) noexcept nogil:
    cdef float ed = eb - ea
    # the Giles tail branch is skipped when no x can reach it: same bits, faster
    cdef bint tails = max(abs(ea), abs(eb)) > ERFINV_F32_CENTRAL_MAX_X
    cdef int64_t h = head_len(g0, n, 4) if step == 1 else n
    cdef int64_t m, g, j, nb, q0, ib, jb, o
    cdef uint64_t w
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        g = g0 + m * step
        w = philox_block(<uint64_t>g >> 2, key0, key1, stream0, stream1).w[g & 3]
        store(out, m, truncated_f32(w, mean, std, ea, ed, eb, lo_c, hi_c, tails), fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    for ib in range((nb + PHILOX_BATCH - 1) // PHILOX_BATCH):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) their four words each, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        # (3) words -> uniforms in erf space -> erfinv; (4) scale, clamp, store.
        # Two loops with a literal tails: without tails gcc drops the tail
        # polynomial and its select from the vector loop.
        for j in range(min(<int64_t>PHILOX_BATCH, nb - jb) if tails else 0):
            o = h + 4 * (jb + j)
            store(out, o,
                  truncated_f32(words[0][j], mean, std, ea, ed, eb, lo_c, hi_c, True), fmt)
            store(out, o + 1,
                  truncated_f32(words[1][j], mean, std, ea, ed, eb, lo_c, hi_c, True), fmt)
            store(out, o + 2,
                  truncated_f32(words[2][j], mean, std, ea, ed, eb, lo_c, hi_c, True), fmt)
            store(out, o + 3,
                  truncated_f32(words[3][j], mean, std, ea, ed, eb, lo_c, hi_c, True), fmt)
        for j in range(0 if tails else min(<int64_t>PHILOX_BATCH, nb - jb)):
            o = h + 4 * (jb + j)
            store(out, o,
                  truncated_f32(words[0][j], mean, std, ea, ed, eb, lo_c, hi_c, False), fmt)
            store(out, o + 1,
                  truncated_f32(words[1][j], mean, std, ea, ed, eb, lo_c, hi_c, False), fmt)
            store(out, o + 2,
                  truncated_f32(words[2][j], mean, std, ea, ed, eb, lo_c, hi_c, False), fmt)
            store(out, o + 3,
                  truncated_f32(words[3][j], mean, std, ea, ed, eb, lo_c, hi_c, False), fmt)
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
    cdef int64_t m, j, nb, q0, ib, jb, o
    cdef two_words p
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        p = word_pair(2 * (g0 + m * step), key0, key1, stream0, stream1)
        out[m] = truncated_f64(p.w0, p.w1, mean, std, ea, ed, eb, lo_c, hi_c, tails)
    nb = (n - h) // 2
    q0 = (g0 + h) >> 1
    for ib in range((nb + PHILOX_BATCH - 1) // PHILOX_BATCH):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) two words per element, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        # (3) words -> uniforms in erf space -> erfinv; (4) scale, clamp, store.
        # Two loops with a literal tails, as in truncated_run_f32.
        for j in range(min(<int64_t>PHILOX_BATCH, nb - jb) if tails else 0):
            o = h + 2 * (jb + j)
            out[o] = truncated_f64(words[0][j], words[1][j], mean, std, ea, ed, eb, lo_c,
                                   hi_c, True)
            out[o + 1] = truncated_f64(words[2][j], words[3][j], mean, std, ea, ed, eb, lo_c,
                                       hi_c, True)
        for j in range(0 if tails else min(<int64_t>PHILOX_BATCH, nb - jb)):
            o = h + 2 * (jb + j)
            out[o] = truncated_f64(words[0][j], words[1][j], mean, std, ea, ed, eb, lo_c,
                                   hi_c, False)
            out[o + 1] = truncated_f64(words[2][j], words[3][j], mean, std, ea, ed, eb, lo_c,
                                       hi_c, False)
    for m in range(h + 2 * nb, n):
        p = word_pair(2 * (g0 + m), key0, key1, stream0, stream1)
        out[m] = truncated_f64(p.w0, p.w1, mean, std, ea, ed, eb, lo_c, hi_c, tails)


def fill_truncated_normal(out_t[::1] out,  # OUT
                          uint32_t key0, uint32_t key1, uint32_t stream0, uint32_t stream1,
                          int64_t first, int64_t row_len, int64_t row_step, int64_t step,
                          double mean, double std, double ea, double eb, double lo_c,
                          double hi_c, int fmt, int n_threads):
    """clamp(mean + std*sqrt(2)*erfinv(ea + (eb-ea)*u), lo_c, hi_c)."""
    cdef int64_t per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    cdef int64_t t
    cdef item_t it
    for t in prange((out.shape[0] // row_len) * per_row, nogil=True, schedule="static",
                    num_threads=n_threads):
        it = work_item(t, per_row, row_len, first, row_step, step)
        if out_t is double:
            truncated_run_f64(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                              mean, std, ea, eb, lo_c, hi_c)
        elif out_t is float:
            truncated_run_f32(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                              <float>mean, <float>std, <float>ea, <float>eb, <float>lo_c,
                              <float>hi_c, FMT_F32)
        elif fmt == FMT_BF16:  # literal formats: gcc specializes store() for each
            truncated_run_f32(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                              <float>mean, <float>std, <float>ea, <float>eb, <float>lo_c,
                              <float>hi_c, FMT_BF16)
        else:
            truncated_run_f32(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                              <float>mean, <float>std, <float>ea, <float>eb, <float>lo_c,
                              <float>hi_c, FMT_F16)


# --- truncated normal in a far tail (float64 whatever the output) -----------------
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
    for ib in range((nb + PHILOX_BATCH - 1) // PHILOX_BATCH):
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
    for ib in range((nb + PHILOX_BATCH - 1) // PHILOX_BATCH):
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


def fill_truncated_tail(out_t[::1] out,  # OUT
                        uint32_t key0, uint32_t key1, uint32_t stream0, uint32_t stream1,
                        int64_t first, int64_t row_len, int64_t row_step, int64_t step,
                        double mean, double std_s, double a, double d, double log_ma,
                        double lo_c, double hi_c, int fmt, int n_threads):
    """clamp(mean + std_s*z, lo_c, hi_c), z the far-tail inverse of u (float64)."""
    cdef int64_t per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    cdef int64_t t
    cdef item_t it
    for t in prange((out.shape[0] // row_len) * per_row, nogil=True, schedule="static",
                    num_threads=n_threads):
        it = work_item(t, per_row, row_len, first, row_step, step)
        if out_t is double:
            truncated_tail_run_f64(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                                   mean, std_s, a, d, log_ma, lo_c, hi_c)
        elif out_t is float:
            truncated_tail_run_f32(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                                   mean, std_s, a, d, log_ma, lo_c, hi_c, FMT_F32)
        else:
            truncated_tail_run_f32(&out[it.m0], it.n, key0, key1, stream0, stream1, it.g0, step,
                                   mean, std_s, a, d, log_ma, lo_c, hi_c, fmt)


# --- test hooks: what the kernels see ---------------------------------------------
def philox4x32_10_words(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                        uint32_t k1):
    """The four words of ``philox4x32_10`` on one counter: the known-answer-test hook.

    fill_bits cannot reach counters with ``c1 >= 2**29`` (word indices are int64).
    """
    cdef philox_words b = philox4x32_10(c0, c1, c2, c3, k0, k1)
    return tuple(<uint32_t>b.w[i] for i in range(4))


# --- the constants as the kernels see them (compared with fastinit._constants) -------
def constants():
    """Name -> value of every constant of fastinit._constants the kernels use."""
    return dict(
        PHILOX_M4x32_0=PHILOX_M4x32_0, PHILOX_M4x32_1=PHILOX_M4x32_1,
        PHILOX_W32_0=PHILOX_W32_0, PHILOX_W32_1=PHILOX_W32_1,
        PHILOX_ROUNDS=PHILOX_ROUNDS, MASK32=MASK32,
        FMT_F32=FMT_F32, FMT_F64=FMT_F64, FMT_BF16=FMT_BF16, FMT_F16=FMT_F16,
        CHUNK_BLOCKS=CHUNK_BLOCKS, TWO_M24=TWO_M24, TWO_M53=TWO_M53,
        LOGF_SQRT_HALF_BITS=LOGF_SQRT_HALF_BITS, LOGF_LG=tuple(LOGF_LG),
        LOGF_LN2_HI=LOGF_LN2_HI, LOGF_LN2_LO=LOGF_LN2_LO,
        LOG_SQRT_HALF_BITS=LOG_SQRT_HALF_BITS, LOG_LG_EVEN=tuple(LOG_LG_EVEN),
        LOG_LG_ODD=tuple(LOG_LG_ODD), LOG_LN2_HI=LOG_LN2_HI, LOG_LN2_LO=LOG_LN2_LO,
        SIN_F32=tuple(SIN_F32), COS_F32=tuple(COS_F32),
        SIN_F64=tuple(SIN_F64), COS_F64=tuple(COS_F64),
        ANGLE_BITS_F32=ANGLE_BITS_F32, ANGLE_BITS_F64=ANGLE_BITS_F64,
        ANGLE_SCALE_F32=ANGLE_SCALE_F32, ANGLE_SCALE_F64=ANGLE_SCALE_F64,
        ERFINV_F32_SPLIT=ERFINV_F32_SPLIT, ERFINV_F32_CENTRAL_SHIFT=ERFINV_F32_CENTRAL_SHIFT,
        ERFINV_F32_CENTRAL=tuple(ERFINV_F32_CENTRAL),
        ERFINV_F32_TAIL_SHIFT=ERFINV_F32_TAIL_SHIFT, ERFINV_F32_TAIL=tuple(ERFINV_F32_TAIL),
        ERFINV_F32_CENTRAL_MAX_X=ERFINV_F32_CENTRAL_MAX_X,
        ERFINV_F64_SPLIT_1=ERFINV_F64_SPLIT_1, ERFINV_F64_SHIFT_1=ERFINV_F64_SHIFT_1,
        ERFINV_F64_P1=tuple(ERFINV_F64_P1), ERFINV_F64_SPLIT_2=ERFINV_F64_SPLIT_2,
        ERFINV_F64_SHIFT_2=ERFINV_F64_SHIFT_2, ERFINV_F64_P2=tuple(ERFINV_F64_P2),
        ERFINV_F64_SHIFT_3=ERFINV_F64_SHIFT_3, ERFINV_F64_P3=tuple(ERFINV_F64_P3),
        SQRT2=SQRT2, F16_MAX_BITS=F16_MAX_BITS, F16_MIN_NORMAL_BITS=F16_MIN_NORMAL_BITS,
        F16_DENORM_MAGIC_BITS=F16_DENORM_MAGIC_BITS, F16_REBIAS=F16_REBIAS, F16_INF=F16_INF,
        MILLS_SPLIT=MILLS_SPLIT, MILLS_MID_P=tuple(MILLS_MID_P), MILLS_MID_Q=tuple(MILLS_MID_Q),
        MILLS_BIG_P=tuple(MILLS_BIG_P), MILLS_BIG_Q=tuple(MILLS_BIG_Q), INV_SQRT_PI=INV_SQRT_PI,
        SQRT_HALF=SQRT_HALF, SQRT_HALF_PI=SQRT_HALF_PI, TAIL_NEWTON_STEPS=TAIL_NEWTON_STEPS,
    )
