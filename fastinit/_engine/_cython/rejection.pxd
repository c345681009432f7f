# Truncated normal by rejection on counters, for an interval holding most of the mass.
# Mirror: fastinit/_engine/_numba/rejection.py (same names, arguments and numbered
# steps). Element g first takes the normal fill's value x = mean + std*z (pair
# P = g >> 1, branch t = g & 1), kept when lo_c <= x <= hi_c. A rejected element
# takes the first kept candidate of its redraw blocks: candidate k comes from
# block (k + 1) >> 1 (float32; words 0, 1 for odd k, 2, 3 for even k) or k
# (float64, all four words), block r being Philox block number
# (r << REDRAW_Q_SHIFT) | P of the stream under the redraw key, through the same
# Box-Muller and branch t. If every candidate is rejected, word t (float64: words
# 2t, 2t+1) of block FALLBACK_BLOCK feeds the erf-space inverse CDF of
# truncated.pxd. lo_c, hi_c are the bounds in the precision the values are
# computed in (float32 for the 32- and 16-bit formats); a 16-bit output is then
# clamped into its own bounds lo_o, hi_o and rounded.
#
# A work item runs the normal fill's batch loop unchanged, then a test pass lists
# its rejected elements (reject_flags, collect: collect_simd of philox_simd.h on
# x86-64-v3/v4); after the item, the list is redrawn REDRAW_BATCH elements at a
# time (philox_list: the blocks of a list of counters), in whole vectors. Heads,
# tails and strided runs take the element functions reject_f32/reject_f64.

from cython cimport floating
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy

from .chunks cimport (CHUNK_ELEMS, FMT_F32, batch_count, clamp, head_len, out32_t, store,
                      store_row, two_words, word_pair)
from .normal cimport normal_batch_f32, normal_batch_f64
from .philox cimport (PHILOX_BATCH, REDRAW_BATCH, philox_batch, philox_block, philox_list,
                      philox_words)
from .transforms cimport (box_muller_f32, box_muller_f64, f32_bits, f32_from_bits, f64_bits,
                          f64_from_bits, pair_f32, pair_f64)
from .truncated cimport truncated_f32, truncated_f64

cdef extern from "constants.h":  # written by setup.py from fastinit/_engine/constants.py
    const uint64_t REDRAW_KEY_XOR0
    const uint64_t REDRAW_KEY_XOR1
    enum: REDRAW_Q_SHIFT
    enum: REDRAW_CANDIDATES_F32
    enum: REDRAW_CANDIDATES_F64
    enum: FALLBACK_BLOCK
    enum: REDRAW_PAD

cdef extern from "philox_simd.h":
    const bint COLLECT_SIMD
    int64_t collect_simd(const uint8_t* flags, int64_t n, int32_t* lst, int64_t nl,
                         int64_t base) nogil

cdef extern from *:
    int __builtin_popcountll(unsigned long long) nogil
    int __builtin_ctzll(unsigned long long) nogil

cdef enum:
    LIST_LEN = CHUNK_ELEMS + REDRAW_PAD  # a work item's rejected elements, and slack for SIMD stores
    FLAGS_LEN = 4 * PHILOX_BATCH + REDRAW_PAD  # a batch's flags and their padding


cdef inline bint accepted(floating x, floating lo_c, floating hi_c) noexcept nogil:
    return (x >= lo_c) and (x <= hi_c)


cdef inline int64_t padded(int64_t n) noexcept nogil:
    """``n`` rounded up to whole vectors (REDRAW_PAD)."""
    return (n + REDRAW_PAD - 1) // REDRAW_PAD * REDRAW_PAD


# --- one element: the definition (heads, tails, strided runs) --------------------
cdef inline float fallback_f32(int64_t g, uint64_t rk0, uint64_t rk1, uint64_t stream0,
                               uint64_t stream1, float mean, float std, float ea, float eb,
                               float lo_c, float hi_c) noexcept nogil:
    """Every candidate rejected: the inverse CDF of word t of the fallback block (exact)."""
    cdef philox_words b = philox_block((<uint64_t>g >> 1)
                                       | (<uint64_t>FALLBACK_BLOCK << REDRAW_Q_SHIFT),
                                       rk0, rk1, stream0, stream1)
    return truncated_f32(b.w[g & 1], mean, std, ea, eb - ea, eb, lo_c, hi_c, True)


cdef inline double fallback_f64(int64_t g, uint64_t rk0, uint64_t rk1, uint64_t stream0,
                                uint64_t stream1, double mean, double std, double ea, double eb,
                                double lo_c, double hi_c) noexcept nogil:
    """Every candidate rejected: the inverse CDF of words 2t, 2t+1 of the fallback block."""
    cdef philox_words b = philox_block((<uint64_t>g >> 1)
                                       | (<uint64_t>FALLBACK_BLOCK << REDRAW_Q_SHIFT),
                                       rk0, rk1, stream0, stream1)
    cdef int64_t t = g & 1
    return truncated_f64(b.w[2 * t], b.w[2 * t + 1], mean, std, ea, eb - ea, eb, lo_c, hi_c,
                         True)


cdef inline float reject_f32(int64_t g, uint64_t key0, uint64_t key1, uint64_t stream0,
                             uint64_t stream1, float mean, float std, float ea, float eb,
                             float lo_c, float hi_c) noexcept nogil:
    cdef uint64_t pair = <uint64_t>g >> 1
    cdef int64_t t = g & 1
    cdef two_words p = word_pair(g & ~1, key0, key1, stream0, stream1)
    cdef pair_f32 z = box_muller_f32(p.w0, p.w1)
    cdef float x = mean + std * (z.x0 if t == 0 else z.x1)
    cdef uint64_t rk0, rk1
    cdef int k, lane
    cdef philox_words b
    if accepted(x, lo_c, hi_c):
        return x
    rk0 = key0 ^ REDRAW_KEY_XOR0
    rk1 = key1 ^ REDRAW_KEY_XOR1
    for k in range(1, REDRAW_CANDIDATES_F32 + 1):
        b = philox_block(pair | (<uint64_t>((k + 1) >> 1) << REDRAW_Q_SHIFT), rk0, rk1, stream0,
                         stream1)
        lane = 0 if (k & 1) == 1 else 2
        z = box_muller_f32(b.w[lane], b.w[lane + 1])
        x = mean + std * (z.x0 if t == 0 else z.x1)
        if accepted(x, lo_c, hi_c):
            return x
    return fallback_f32(g, rk0, rk1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c)


cdef inline double reject_f64(int64_t g, uint64_t key0, uint64_t key1, uint64_t stream0,
                              uint64_t stream1, double mean, double std, double ea, double eb,
                              double lo_c, double hi_c) noexcept nogil:
    cdef uint64_t pair = <uint64_t>g >> 1
    cdef int64_t t = g & 1
    cdef philox_words b = philox_block(pair, key0, key1, stream0, stream1)
    cdef pair_f64 z = box_muller_f64(b.w[0], b.w[1], b.w[2], b.w[3])
    cdef double x = mean + std * (z.x0 if t == 0 else z.x1)
    cdef uint64_t rk0, rk1
    cdef int k
    if accepted(x, lo_c, hi_c):
        return x
    rk0 = key0 ^ REDRAW_KEY_XOR0
    rk1 = key1 ^ REDRAW_KEY_XOR1
    for k in range(1, REDRAW_CANDIDATES_F64 + 1):
        b = philox_block(pair | (<uint64_t>k << REDRAW_Q_SHIFT), rk0, rk1, stream0, stream1)
        z = box_muller_f64(b.w[0], b.w[1], b.w[2], b.w[3])
        x = mean + std * (z.x0 if t == 0 else z.x1)
        if accepted(x, lo_c, hi_c):
            return x
    return fallback_f64(g, rk0, rk1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c)


# --- the test pass: which elements of a batch are rejected ----------------------------
cdef inline void reject_flags(floating* x, int64_t n, floating lo_c, floating hi_c,
                              uint8_t* flags) noexcept nogil:
    """flags[m] = 1 where x[m] lies outside [lo_c, hi_c], m < n, then REDRAW_PAD zeros."""
    cdef int64_t m
    for m in range(n):
        flags[m] = (x[m] < lo_c) | (x[m] > hi_c)
    for m in range(REDRAW_PAD):
        flags[n + m] = 0


cdef inline int64_t collect(const uint8_t* flags, int64_t n, int32_t* lst, int64_t nl,
                            int64_t base) noexcept nogil:
    """Append ``base + m`` for each set flags[m], m < n, to lst[nl:]; return the new length.

    Eight flags per 64-bit word (byte ``b`` of word ``jw`` is flag ``8*jw + b``):
    the lowest set one is stored without a branch (``lst`` has slack), the
    others in a loop, rare at the rates this path takes. x86-64-v3/v4:
    collect_simd (philox_simd.h), the same list by a compress of positions.
    """
    cdef int64_t jw, b0, c, i
    cdef uint64_t w
    if COLLECT_SIMD:
        return collect_simd(flags, n, lst, nl, base)
    for jw in range((n + 7) >> 3):
        memcpy(&w, flags + 8 * jw, 8)
        c = __builtin_popcountll(w)
        b0 = base + 8 * jw
        lst[nl] = <int32_t>(b0 + (__builtin_ctzll(w | (<uint64_t>1 << 63)) >> 3))
        if c > 1:
            w &= w - 1
            for i in range(1, c):
                lst[nl + i] = <int32_t>(b0 + (__builtin_ctzll(w) >> 3))
                w &= w - 1
        nl += c
    return nl


# --- the redraws of a work item's list, in batches -------------------------------------
cdef inline void redraw_words(uint32_t* words, uint64_t* qs, uint32_t* t, const int32_t* lst,
                              int64_t e0, int64_t nb, int64_t g0, uint64_t r, uint64_t rk0,
                              uint64_t rk1, uint64_t stream0, uint64_t stream1) noexcept nogil:
    """Steps (1) and (2) of a batch of listed elements ``lst[e0:e0 + nb]``, both widths.

    (1) counters: block ``r`` of each element's pair, padded with block 0, and
    its branch in ``t``; (2) their four words each, lane-major.
    """
    cdef int64_t e, g
    for e in range(nb):
        g = g0 + lst[e0 + e]
        qs[e] = (<uint64_t>g >> 1) | r
        t[e] = <uint32_t>(g & 1)
    for e in range(nb, padded(nb)):
        qs[e] = 0
        t[e] = 0
    philox_list(words, qs, padded(nb), rk0, rk1, stream0, stream1)


cdef inline void redraw_batch_f32(float* y, uint8_t* rej, const uint32_t* wa, const uint32_t* wb,
                                  const uint32_t* t, int64_t n, float mean, float std,
                                  float lo_c, float hi_c) noexcept nogil:
    cdef int64_t e
    cdef pair_f32 z
    cdef uint32_t sine
    cdef float x
    for e in range(n):
        # (3) two words -> Box-Muller -> the element's branch; (4) scale, shift, test
        z = box_muller_f32(wa[e], wb[e])
        sine = <uint32_t>0 - t[e]  # the branch as a select on the bits: gcc vectorizes it
        x = mean + std * f32_from_bits((f32_bits(z.x1) & sine) | (f32_bits(z.x0) & ~sine))
        y[e] = x
        rej[e] = (x < lo_c) | (x > hi_c)


cdef inline void redraw_batch_f64(double* y, uint8_t* rej, const uint32_t* words,
                                  const uint32_t* t, int64_t n, double mean, double std,
                                  double lo_c, double hi_c) noexcept nogil:
    cdef int64_t e
    cdef pair_f64 z
    cdef uint64_t sine
    cdef double x
    for e in range(n):
        # (3) four words -> Box-Muller -> the element's branch; (4) scale, shift, test
        z = box_muller_f64(words[e], words[REDRAW_BATCH + e], words[2 * REDRAW_BATCH + e],
                           words[3 * REDRAW_BATCH + e])
        sine = <uint64_t>0 - t[e]
        x = mean + std * f64_from_bits((f64_bits(z.x1) & sine) | (f64_bits(z.x0) & ~sine))
        y[e] = x
        rej[e] = (x < lo_c) | (x > hi_c)


cdef inline void redraw_f32(out32_t* out, int32_t* lst, int64_t nl, int64_t g0, uint64_t key0,
                            uint64_t key1, uint64_t stream0, uint64_t stream1, float mean,
                            float std, float ea, float eb, float lo_c, float hi_c, float lo_o,
                            float hi_o, int fmt) noexcept nogil:
    """Elements ``g0 + lst[:nl]`` of a work item: candidates in batches, then the fallback."""
    cdef uint64_t qs[REDRAW_BATCH]
    cdef uint32_t t[REDRAW_BATCH]
    cdef uint32_t words[4 * REDRAW_BATCH]
    cdef float y[REDRAW_BATCH]
    cdef uint8_t rej[REDRAW_BATCH]
    cdef uint64_t rk0 = key0 ^ REDRAW_KEY_XOR0
    cdef uint64_t rk1 = key1 ^ REDRAW_KEY_XOR1
    cdef uint64_t r
    cdef int64_t k, lane, kept, ib, e0, nb, e
    cdef int32_t m
    for k in range(1, REDRAW_CANDIDATES_F32 + 1):
        r = <uint64_t>((k + 1) >> 1) << REDRAW_Q_SHIFT
        lane = 0 if (k & 1) == 1 else 2 * REDRAW_BATCH
        kept = 0
        for ib in range((nl + REDRAW_BATCH - 1) // REDRAW_BATCH):
            e0 = ib * REDRAW_BATCH
            nb = min(<int64_t>REDRAW_BATCH, nl - e0)
            # (1), (2): counters and words of the batch
            redraw_words(&words[0], &qs[0], &t[0], lst, e0, nb, g0, r, rk0, rk1, stream0,
                         stream1)
            redraw_batch_f32(&y[0], &rej[0], &words[lane], &words[lane + REDRAW_BATCH], &t[0],
                             padded(nb), mean, std, lo_c, hi_c)
            # each candidate to its element; the rejected stay on the list
            for e in range(nb):
                m = lst[e0 + e]
                store(out, m, clamp(y[e], lo_o, hi_o), fmt)
                lst[kept] = m
                kept += rej[e]
        nl = kept
        if nl == 0:
            return
    for e in range(nl):
        store(out, lst[e], clamp(fallback_f32(g0 + lst[e], rk0, rk1, stream0, stream1, mean, std,
                                              ea, eb, lo_c, hi_c), lo_o, hi_o), fmt)


cdef inline void redraw_f64(double* out, int32_t* lst, int64_t nl, int64_t g0, uint64_t key0,
                            uint64_t key1, uint64_t stream0, uint64_t stream1, double mean,
                            double std, double ea, double eb, double lo_c,
                            double hi_c) noexcept nogil:
    cdef uint64_t qs[REDRAW_BATCH]
    cdef uint32_t t[REDRAW_BATCH]
    cdef uint32_t words[4 * REDRAW_BATCH]
    cdef double y[REDRAW_BATCH]
    cdef uint8_t rej[REDRAW_BATCH]
    cdef uint64_t rk0 = key0 ^ REDRAW_KEY_XOR0
    cdef uint64_t rk1 = key1 ^ REDRAW_KEY_XOR1
    cdef uint64_t r
    cdef int64_t k, kept, ib, e0, nb, e
    cdef int32_t m
    for k in range(1, REDRAW_CANDIDATES_F64 + 1):
        r = <uint64_t>k << REDRAW_Q_SHIFT
        kept = 0
        for ib in range((nl + REDRAW_BATCH - 1) // REDRAW_BATCH):
            e0 = ib * REDRAW_BATCH
            nb = min(<int64_t>REDRAW_BATCH, nl - e0)
            # (1), (2): counters and words of the batch
            redraw_words(&words[0], &qs[0], &t[0], lst, e0, nb, g0, r, rk0, rk1, stream0,
                         stream1)
            redraw_batch_f64(&y[0], &rej[0], &words[0], &t[0], padded(nb), mean, std, lo_c,
                             hi_c)
            # each candidate to its element; the rejected stay on the list
            for e in range(nb):
                m = lst[e0 + e]
                out[m] = y[e]
                lst[kept] = m
                kept += rej[e]
        nl = kept
        if nl == 0:
            return
    for e in range(nl):
        out[lst[e]] = fallback_f64(g0 + lst[e], rk0, rk1, stream0, stream1, mean, std, ea, eb,
                                   lo_c, hi_c)


# --- one work item ---------------------------------------------------------------------
cdef inline void reject_run_f32(out32_t* out, int64_t n, uint64_t key0, uint64_t key1,
                                uint64_t stream0, uint64_t stream1, int64_t g0, int64_t step,
                                float mean, float std, float ea, float eb, float lo_c,
                                float hi_c, float lo_o, float hi_o, int fmt) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 4) if step == 1 else n
    cdef int64_t m, nb, q0, ib, jb, k
    cdef int64_t nl = 0
    cdef uint32_t words[4][PHILOX_BATCH]
    cdef float row[4 * PHILOX_BATCH]  # a 16-bit fill's floats before rounding
    cdef uint8_t flags[FLAGS_LEN]
    cdef int32_t lst[LIST_LEN]  # the item's rejected elements (memory positions)
    cdef float* dst
    for m in range(h):
        store(out, m, clamp(reject_f32(g0 + m * step, key0, key1, stream0, stream1, mean, std,
                                       ea, eb, lo_c, hi_c), lo_o, hi_o), fmt)
    nb = (n - h) // 4
    q0 = (g0 + h) >> 2
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        k = min(<int64_t>PHILOX_BATCH, nb - jb)
        # (1) counters for blocks q0 + jb ...; (2) four words = two pairs, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        if out32_t is float:  # the twin's float_row
            dst = out + h + 4 * jb
        else:
            dst = &row[0]
        # (3) the normal fill's loop: Box-Muller, scale, shift; (4) test, list the rejected
        normal_batch_f32(dst, k, &words[0][0], mean, std, FMT_F32)
        reject_flags(dst, 4 * k, lo_c, hi_c, &flags[0])
        nl = collect(&flags[0], 4 * k, &lst[0], nl, h + 4 * jb)
        if out32_t is not float:
            store_row(out + h + 4 * jb, &row[0], 4 * k, lo_o, hi_o, fmt)
    for m in range(h + 4 * nb, n):
        store(out, m, clamp(reject_f32(g0 + m, key0, key1, stream0, stream1, mean, std, ea, eb,
                                       lo_c, hi_c), lo_o, hi_o), fmt)
    if nl > 0:
        redraw_f32(out, &lst[0], nl, g0, key0, key1, stream0, stream1, mean, std, ea, eb, lo_c,
                   hi_c, lo_o, hi_o, fmt)


cdef inline void reject_run_f64(double* out, int64_t n, uint64_t key0, uint64_t key1,
                                uint64_t stream0, uint64_t stream1, int64_t g0, int64_t step,
                                double mean, double std, double ea, double eb, double lo_c,
                                double hi_c) noexcept nogil:
    cdef int64_t h = head_len(g0, n, 2) if step == 1 else n
    cdef int64_t m, nb, q0, ib, jb, k
    cdef int64_t nl = 0
    cdef uint32_t words[4][PHILOX_BATCH]
    cdef uint8_t flags[FLAGS_LEN]
    cdef int32_t lst[LIST_LEN]
    for m in range(h):
        out[m] = reject_f64(g0 + m * step, key0, key1, stream0, stream1, mean, std, ea, eb,
                            lo_c, hi_c)
    nb = (n - h) // 2
    q0 = (g0 + h) >> 1
    for ib in range(batch_count(nb)):
        jb = ib * PHILOX_BATCH
        k = min(<int64_t>PHILOX_BATCH, nb - jb)
        # (1) counters for blocks q0 + jb ...; (2) four words = one pair, lane-major
        philox_batch(&words[0][0], q0 + jb, key0, key1, stream0, stream1)
        # (3) the normal fill's loop: Box-Muller, scale, shift; (4) test, list the rejected
        normal_batch_f64(out + h + 2 * jb, k, &words[0][0], mean, std)
        reject_flags(out + h + 2 * jb, 2 * k, lo_c, hi_c, &flags[0])
        nl = collect(&flags[0], 2 * k, &lst[0], nl, h + 2 * jb)
    for m in range(h + 2 * nb, n):
        out[m] = reject_f64(g0 + m, key0, key1, stream0, stream1, mean, std, ea, eb, lo_c, hi_c)
    if nl > 0:
        redraw_f64(out, &lst[0], nl, g0, key0, key1, stream0, stream1, mean, std, ea, eb, lo_c,
                   hi_c)
