# Normal samples by Box-Muller: a pair of elements shares a pair of uniforms.
# Mirror: fastinit/_engine/_numba/normal.py (same names, arguments and numbered steps).
# Element 2j takes the cosine branch, 2j+1 the sine branch; float32 uses one
# word per element, float64 two. Structure as in uniform.pxd: heads and tails
# one block per element, whole blocks in batches.

from libc.stdint cimport int64_t, uint32_t, uint64_t

from .chunks cimport batch_count, head_len, out32_t, store, two_words, word_pair
from .philox cimport PHILOX_BATCH, philox_batch, philox_block, philox_words
from .transforms cimport box_muller_f32, box_muller_f64, pair_f32, pair_f64


cdef inline void normal_batch_f32(out32_t* out, int64_t nblk, const uint32_t* words,
                                  float mean, float std, int fmt) noexcept nogil:
    cdef int64_t j
    cdef pair_f32 z, z2
    # (3) each pair of words -> Box-Muller -> two normals; (4) scale, shift and store
    for j in range(nblk):
        z = box_muller_f32(words[j], words[PHILOX_BATCH + j])
        z2 = box_muller_f32(words[2 * PHILOX_BATCH + j], words[3 * PHILOX_BATCH + j])
        store(out, 4 * j, mean + std * z.x0, fmt)
        store(out, 4 * j + 1, mean + std * z.x1, fmt)
        store(out, 4 * j + 2, mean + std * z2.x0, fmt)
        store(out, 4 * j + 3, mean + std * z2.x1, fmt)


cdef inline void normal_batch_f64(double* out, int64_t nblk, const uint32_t* words,
                                  double mean, double std) noexcept nogil:
    cdef int64_t j
    cdef pair_f64 z
    for j in range(nblk):
        # (3) four words -> Box-Muller -> two normals; (4) scale, shift and store
        z = box_muller_f64(words[j], words[PHILOX_BATCH + j], words[2 * PHILOX_BATCH + j],
                           words[3 * PHILOX_BATCH + j])
        out[2 * j] = mean + std * z.x0
        out[2 * j + 1] = mean + std * z.x1


cdef inline void normal_run_f32(out32_t* out, int64_t n, uint64_t key0, uint64_t key1,
                                uint64_t stream0, uint64_t stream1, int64_t g0, int64_t step,
                                float mean, float std, int fmt) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 4) if step == 1 else n
    cdef int64_t m, g, nb, q0, ib, jb
    cdef two_words p
    cdef pair_f32 z
    cdef uint32_t words[4][PHILOX_BATCH]
    for m in range(h):
        g = g0 + m * step
        p = word_pair(g & ~1, key0, key1, stream0, stream1)
        z = box_muller_f32(p.w0, p.w1)
        store(out, m, mean + std * (z.x0 if (g & 1) == 0 else z.x1), fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) four words = two pairs, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        normal_batch_f32(out + h + 4 * jb, min(<int64_t>PHILOX_BATCH, nb - jb),
                         &words[0][0], mean, std, fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        p = word_pair(g & ~1, key0, key1, stream0, stream1)
        z = box_muller_f32(p.w0, p.w1)
        store(out, m, mean + std * (z.x0 if (g & 1) == 0 else z.x1), fmt)


cdef inline void normal_run_f64(double* out, int64_t n, uint64_t key0, uint64_t key1,
                                uint64_t stream0, uint64_t stream1, int64_t g0, int64_t step,
                                double mean, double std) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 2) if step == 1 else n
    cdef int64_t m, g, nb, q0, ib, jb
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
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        # (1) counters for blocks q0 + jb ...; (2) four words = one pair, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        normal_batch_f64(out + h + 2 * jb, min(<int64_t>PHILOX_BATCH, nb - jb),
                         &words[0][0], mean, std)
    for m in range(h + 2 * nb, n):
        g = g0 + m
        b = philox_block(<uint64_t>g >> 1, key0, key1, stream0, stream1)
        z = box_muller_f64(b.w[0], b.w[1], b.w[2], b.w[3])
        out[m] = mean + std * (z.x0 if (g & 1) == 0 else z.x1)
