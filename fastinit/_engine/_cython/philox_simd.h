/* Philox4x32-10 constants and a SIMD batch of blocks for the Cython kernels.

   Salmon, Moraes, Dror, Shaw, "Parallel Random Numbers: As Easy as 1, 2, 3",
   SC 2011; Random123 philox.h (constant names). Values: constants.h, which
   setup.py writes from fastinit/_engine/constants.py.

   This header has no Numba twin: it is hand-written x86 SIMD for one job,
   philox_batch in philox.pxd (whose scalar loop is the twin of
   fastinit/_engine/_numba/philox.py). It computes integers only - 32x32->64-bit
   products, xors, shifts - so its words cannot differ from the scalar
   philox4x32_10 by rounding; they are pinned by the known-answer tests
   (tests/test_kat.py, tests/test_cython_build.py) and by the bit-for-bit
   comparisons with tests/reference.py, which run through both paths.

   Why intrinsics: gcc 12 vectorizes the masked 64-bit product of
   philox4x32_10 as vpmullq when AVX-512DQ is on (3 uops on Intel) and as
   shift/add chains with AVX2; LLVM (Numba) emits vpmuludq, one per product,
   which the intrinsics below spell out.

   Also here, for the truncated normal by rejection (rejection.pxd), and
   integers only too: philox_list_simd, the blocks of a list of block
   numbers (philox_list in philox.pxd), and collect_simd, the positions of
   the set flags of a batch (collect in rejection.pxd), by AVX-512 compress
   or AVX2 pext/pdep and a permute. Both are pinned by the bit-for-bit
   comparisons of the rejection sampler with tests/reference.py, which run
   through them and through their scalar twins. */
#ifndef FASTINIT_PHILOX_SIMD_H
#define FASTINIT_PHILOX_SIMD_H

#include <stdint.h>

/* PHILOX_M4x32_*, PHILOX_W32_*, MASK32, PHILOX_ROUNDS, PHILOX_BATCH */
#include "constants.h"

/* words[i * PHILOX_BATCH + j] = word i of block q + j, j < PHILOX_BATCH */
/* -DFASTINIT_NO_SIMD builds the portable fallback (what non-x86 machines run) */
#if !defined(FASTINIT_NO_SIMD) && (defined(__AVX512F__) || defined(__AVX2__) \
                                   || defined(__SSE2__) || defined(_M_X64))
#include <immintrin.h>
#define PHILOX_SIMD 1
#if defined(__AVX512F__)
typedef __m512i fi_vec;
enum { FI_LANES = 8 };
#define fi_set1(x) _mm512_set1_epi64((long long)(x))
#define fi_iota() _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0)
#define fi_add _mm512_add_epi64
#define fi_mul _mm512_mul_epu32
#define fi_xor _mm512_xor_si512
#define fi_and _mm512_and_si512
#define fi_hi(a) _mm512_srli_epi64((a), 32)
#define fi_loadu(p) _mm512_loadu_si512((const void *)(p))
/* the low 32 bits of each lane */
#define fi_store32(p, a) _mm256_storeu_si256((__m256i *)(p), _mm512_cvtepi64_epi32(a))
/* the low 32 bits of each lane of a, then of b: one vpermt2d, one store */
#define fi_store32x2(p, a, b) _mm512_storeu_si512((void *)(p), _mm512_permutex2var_epi32( \
    (a), _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), (b)))
#elif defined(__AVX2__)
typedef __m256i fi_vec;
enum { FI_LANES = 4 };
#define fi_set1(x) _mm256_set1_epi64x((long long)(x))
#define fi_iota() _mm256_set_epi64x(3, 2, 1, 0)
#define fi_add _mm256_add_epi64
#define fi_mul _mm256_mul_epu32
#define fi_xor _mm256_xor_si256
#define fi_and _mm256_and_si256
#define fi_hi(a) _mm256_srli_epi64((a), 32)
#define fi_loadu(p) _mm256_loadu_si256((const __m256i *)(p))
#define fi_store32(p, a) _mm_storeu_si128((__m128i *)(p), _mm256_castsi256_si128( \
    _mm256_permutevar8x32_epi32((a), _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7))))
#else
typedef __m128i fi_vec;
enum { FI_LANES = 2 };
#define fi_set1(x) _mm_set1_epi64x((long long)(x))
#define fi_iota() _mm_set_epi64x(1, 0)
#define fi_add _mm_add_epi64
#define fi_mul _mm_mul_epu32
#define fi_xor _mm_xor_si128
#define fi_and _mm_and_si128
#define fi_hi(a) _mm_srli_epi64((a), 32)
#define fi_loadu(p) _mm_loadu_si128((const __m128i *)(p))
#define fi_store32(p, a) _mm_storel_epi64((__m128i *)(p), \
    _mm_shuffle_epi32((a), _MM_SHUFFLE(3, 1, 2, 0)))
#endif
/* vectors of blocks in flight in philox_batch_simd; 4 or 8 measured slower
   with AVX-512 (the state spills to the stack) */
enum { FI_GROUPS = 2 };
#ifndef fi_store32x2
#define fi_store32x2(p, a, b) (fi_store32((p), (a)), fi_store32((p) + FI_LANES, (b)))
#endif

/* Any q: one vector of blocks at a time, all ten rounds (the plain form). */
static inline void philox_batch_simd_any(uint32_t *words, uint64_t q, uint64_t k0,
                                         uint64_t k1, uint64_t s0, uint64_t s1) {
    const fi_vec m0 = fi_set1(PHILOX_M4x32_0), m1 = fi_set1(PHILOX_M4x32_1);
    for (int j = 0; j < PHILOX_BATCH; j += FI_LANES) {
        fi_vec qv = fi_add(fi_set1(q + j), fi_iota());
        fi_vec c0 = fi_and(qv, fi_set1(MASK32)), c1 = fi_hi(qv);
        fi_vec c2 = fi_set1(s0), c3 = fi_set1(s1);
        uint64_t a = k0, b = k1;
        for (int r = 0; r < PHILOX_ROUNDS; r++) {
            /* mul_epu32 reads the low 32 bits of each lane: high garbage
               in c0..c3 never reaches a product nor the stored words */
            fi_vec p0 = fi_mul(c0, m0), p1 = fi_mul(c2, m1);
            c0 = fi_xor(fi_xor(fi_hi(p1), c1), fi_set1(a));
            c2 = fi_xor(fi_xor(fi_hi(p0), c3), fi_set1(b));
            c1 = p1;
            c3 = p0;
            a = (a + PHILOX_W32_0) & MASK32;
            b = (b + PHILOX_W32_1) & MASK32;
        }
        fi_store32(words + j, c0);
        fi_store32(words + PHILOX_BATCH + j, c1);
        fi_store32(words + 2 * PHILOX_BATCH + j, c2);
        fi_store32(words + 3 * PHILOX_BATCH + j, c3);
    }
}

/* The same words, faster, when q >> 32 (counter word 1) is one value for the
   whole batch (all batches but those crossing a multiple of 2**32 blocks,
   which take philox_batch_simd_any). Then, in every block, words 2, 3
   and 1 of the counter are shared: the round-0 product of word 2, round-1
   words 0 and 1, and the round-1 product of word 0 are scalars, worked out
   once here, so rounds 0 and 1 make one vector product each instead of two.
   FI_GROUPS vectors of blocks go through each round together: their
   dependency chains (multiply, shift, xor) interleave, which hides the
   multiply latency. Round keys are broadcast once per batch; two vectors'
   low words are packed into one 64-byte store (fi_store32x2). Only the low 32 bits of a lane
   matter (see philox_batch_simd_any), so the folded constants keep just those. */
static inline void philox_batch_simd(uint32_t *words, uint64_t q, uint64_t k0,
                                     uint64_t k1, uint64_t s0, uint64_t s1) {
    if ((q & MASK32) > MASK32 - (PHILOX_BATCH - 1)) {  /* word 1 changes in the batch */
        philox_batch_simd_any(words, q, k0, k1, s0, s1);
        return;
    }
    const fi_vec m0 = fi_set1(PHILOX_M4x32_0), m1 = fi_set1(PHILOX_M4x32_1);
    uint64_t a[PHILOX_ROUNDS], b[PHILOX_ROUNDS];
    fi_vec ka[PHILOX_ROUNDS], kb[PHILOX_ROUNDS];
    a[0] = k0;
    b[0] = k1;
    for (int r = 1; r < PHILOX_ROUNDS; r++) {
        a[r] = (a[r - 1] + PHILOX_W32_0) & MASK32;
        b[r] = (b[r - 1] + PHILOX_W32_1) & MASK32;
    }
    for (int r = 0; r < PHILOX_ROUNDS; r++) {
        ka[r] = fi_set1(a[r]);
        kb[r] = fi_set1(b[r]);
    }
    /* round 0: p1 = M1*s0; c0 = hi(p1) ^ (q >> 32) ^ a0; c1 = lo(p1) (shared) */
    const uint64_t p1s = PHILOX_M4x32_1 * (s0 & MASK32);
    const uint64_t c0s = ((p1s >> 32) ^ (q >> 32) ^ a[0]) & MASK32, c1s = p1s & MASK32;
    /* round 1: p0 = M0*c0 (shared): c2 = hi(p0) ^ c3 ^ b1, c3 = lo(p0) */
    const uint64_t p0s = PHILOX_M4x32_0 * c0s;
    const fi_vec x0b = fi_set1(s1 ^ b[0]);           /* round 0: c2 = hi(p0) ^ x0b */
    const fi_vec x1a = fi_set1(c1s ^ a[1]);          /* round 1: c0 = hi(p1) ^ x1a */
    const fi_vec x1b = fi_set1((p0s >> 32) ^ b[1]);  /* round 1: c2 = c3 ^ x1b */
    const fi_vec x2b = fi_set1((p0s & MASK32) ^ b[2]); /* round 2: c2 = hi(p0) ^ x2b */
    const fi_vec step = fi_set1(FI_LANES);
    fi_vec qv = fi_add(fi_set1(q), fi_iota());
    for (int j = 0; j < PHILOX_BATCH; j += FI_GROUPS * FI_LANES) {
        fi_vec c0[FI_GROUPS], c1[FI_GROUPS], c2[FI_GROUPS], c3[FI_GROUPS];
        #pragma GCC unroll 16
        for (int g = 0; g < FI_GROUPS; g++) {  /* round 0 (counter word 0 = q) */
            fi_vec p0 = fi_mul(qv, m0);
            qv = fi_add(qv, step);
            c2[g] = fi_xor(fi_hi(p0), x0b);
            c3[g] = p0;
        }
        #pragma GCC unroll 16
        for (int g = 0; g < FI_GROUPS; g++) {  /* round 1 */
            fi_vec p1 = fi_mul(c2[g], m1);
            c0[g] = fi_xor(fi_hi(p1), x1a);
            c1[g] = p1;
            c2[g] = fi_xor(c3[g], x1b);
        }
        #pragma GCC unroll 16
        for (int g = 0; g < FI_GROUPS; g++) {  /* round 2 (word 3 was shared) */
            fi_vec p0 = fi_mul(c0[g], m0), p1 = fi_mul(c2[g], m1);
            c0[g] = fi_xor(fi_xor(fi_hi(p1), c1[g]), ka[2]);
            c2[g] = fi_xor(fi_hi(p0), x2b);
            c1[g] = p1;
            c3[g] = p0;
        }
        #pragma GCC unroll 16
        for (int r = 3; r < PHILOX_ROUNDS; r++) {
            #pragma GCC unroll 16
            for (int g = 0; g < FI_GROUPS; g++) {
                fi_vec p0 = fi_mul(c0[g], m0), p1 = fi_mul(c2[g], m1);
                c0[g] = fi_xor(fi_xor(fi_hi(p1), c1[g]), ka[r]);
                c2[g] = fi_xor(fi_xor(fi_hi(p0), c3[g]), kb[r]);
                c1[g] = p1;
                c3[g] = p0;
            }
        }
        #pragma GCC unroll 16
        for (int g = 0; g < FI_GROUPS; g += 2) {
            uint32_t *w = words + j + g * FI_LANES;
            fi_store32x2(w, c0[g], c0[g + 1]);
            fi_store32x2(w + PHILOX_BATCH, c1[g], c1[g + 1]);
            fi_store32x2(w + 2 * PHILOX_BATCH, c2[g], c2[g + 1]);
            fi_store32x2(w + 3 * PHILOX_BATCH, c3[g], c3[g + 1]);
        }
    }
}

/* Blocks qs[0 .. n) of any block numbers, n a multiple of FI_GROUPS * FI_LANES
   (REDRAW_PAD is one): words[i * REDRAW_BATCH + e] = word i of block qs[e].
   Counter words 2 and 3 (the stream) are shared by every block, so round 0's
   product of word 2 is a scalar; then the rounds of philox_batch_simd_any,
   FI_GROUPS vectors at a time. */
static inline void philox_list_simd(uint32_t *words, const uint64_t *qs, int64_t n,
                                    uint64_t k0, uint64_t k1, uint64_t s0, uint64_t s1) {
    const fi_vec m0 = fi_set1(PHILOX_M4x32_0), m1 = fi_set1(PHILOX_M4x32_1);
    fi_vec ka[PHILOX_ROUNDS], kb[PHILOX_ROUNDS];
    uint64_t a = k0 & MASK32, b = k1 & MASK32;
    for (int r = 0; r < PHILOX_ROUNDS; r++) {
        ka[r] = fi_set1(a);
        kb[r] = fi_set1(b);
        a = (a + PHILOX_W32_0) & MASK32;
        b = (b + PHILOX_W32_1) & MASK32;
    }
    /* round 0: p1 = M1*s0 (shared): c0 = hi(p1) ^ c1 ^ k0 with c1 = q >> 32, c1 = lo(p1);
       p0 = M0*(q & MASK32): c2 = hi(p0) ^ s1 ^ k1, c3 = lo(p0) */
    const uint64_t p1s = PHILOX_M4x32_1 * (s0 & MASK32);
    const fi_vec x0a = fi_set1((p1s >> 32) ^ (k0 & MASK32));
    const fi_vec c1s = fi_set1(p1s & MASK32);
    const fi_vec x0b = fi_set1((s1 ^ k1) & MASK32);
    for (int64_t e = 0; e < n; e += FI_GROUPS * FI_LANES) {
        fi_vec c0[FI_GROUPS], c1[FI_GROUPS], c2[FI_GROUPS], c3[FI_GROUPS];
        #pragma GCC unroll 16
        for (int g = 0; g < FI_GROUPS; g++) {
            fi_vec q = fi_loadu(qs + e + g * FI_LANES);
            fi_vec p0 = fi_mul(q, m0);  /* mul_epu32: the low 32 bits of q */
            c0[g] = fi_xor(fi_hi(q), x0a);
            c1[g] = c1s;
            c2[g] = fi_xor(fi_hi(p0), x0b);
            c3[g] = p0;
        }
        #pragma GCC unroll 16
        for (int r = 1; r < PHILOX_ROUNDS; r++) {
            #pragma GCC unroll 16
            for (int g = 0; g < FI_GROUPS; g++) {
                fi_vec p0 = fi_mul(c0[g], m0), p1 = fi_mul(c2[g], m1);
                c0[g] = fi_xor(fi_xor(fi_hi(p1), c1[g]), ka[r]);
                c2[g] = fi_xor(fi_xor(fi_hi(p0), c3[g]), kb[r]);
                c1[g] = p1;
                c3[g] = p0;
            }
        }
        #pragma GCC unroll 16
        for (int g = 0; g < FI_GROUPS; g += 2) {
            uint32_t *w = words + e + g * FI_LANES;
            fi_store32x2(w, c0[g], c0[g + 1]);
            fi_store32x2(w + REDRAW_BATCH, c1[g], c1[g + 1]);
            fi_store32x2(w + 2 * REDRAW_BATCH, c2[g], c2[g + 1]);
            fi_store32x2(w + 3 * REDRAW_BATCH, c3[g], c3[g + 1]);
        }
    }
}
#else
#define PHILOX_SIMD 0
static inline void philox_batch_simd(uint32_t *words, uint64_t q, uint64_t k0,
                                     uint64_t k1, uint64_t s0, uint64_t s1) {}
static inline void philox_list_simd(uint32_t *words, const uint64_t *qs, int64_t n,
                                    uint64_t k0, uint64_t k1, uint64_t s0, uint64_t s1) {}
#endif

/* list[nl ...] = base + m for every flags[m] != 0, m < n, in increasing m; returns
   the new nl. flags holds 0 or 1 and is zero-padded to a multiple of 16; list has
   16 entries of slack (whole vectors are stored). */
#if !defined(FASTINIT_NO_SIMD) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define COLLECT_SIMD 1
static inline int64_t collect_simd(const uint8_t *flags, int64_t n, int32_t *list, int64_t nl,
                                   int64_t base) {
    /* 64 flags: one byte test, then per 16 of them the compress of their positions;
       the four counts come from one mask, so only one add per 64 flags waits for
       the previous one */
    __m512i at = _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                                    13, 14, 15),
                                  _mm512_set1_epi32((int32_t)base));
    const __m512i sixteen = _mm512_set1_epi32(16);
    const __m512i one = _mm512_set1_epi8(1);
    int64_t m = 0;
    for (; m + 64 <= n; m += 64) {
        uint64_t r = (uint64_t)_mm512_test_epi8_mask(_mm512_loadu_si512((const void *)(flags + m)),
                                                     one);
        int32_t *dst = list + nl;
        for (int q = 0; q < 4; q++) {
            __mmask16 rq = (__mmask16)(r >> (16 * q));
            _mm512_storeu_si512((void *)dst, _mm512_maskz_compress_epi32(rq, at));
            dst += __builtin_popcount((unsigned)rq);
            at = _mm512_add_epi32(at, sixteen);
        }
        nl += __builtin_popcountll(r);
    }
    for (; m < n; m += 16) {
        __mmask16 r = _mm_test_epi8_mask(_mm_loadu_si128((const __m128i *)(flags + m)),
                                         _mm512_castsi512_si128(one));
        _mm512_storeu_si512((void *)(list + nl), _mm512_maskz_compress_epi32(r, at));
        nl += __builtin_popcount((unsigned)r);
        at = _mm512_add_epi32(at, sixteen);
    }
    return nl;
}
#elif !defined(FASTINIT_NO_SIMD) && defined(__AVX2__) && defined(__BMI2__)
#define COLLECT_SIMD 1
static inline int64_t collect_simd(const uint8_t *flags, int64_t n, int32_t *list, int64_t nl,
                                   int64_t base) {
    /* 8 flags: a bit each (movemask), then the byte indices of the set ones packed by
       pdep/pext, widened to a permute of the positions */
    __m256i at = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                  _mm256_set1_epi32((int32_t)base));
    const __m256i eight = _mm256_set1_epi32(8);
    for (int64_t m = 0; m < n; m += 16) {
        /* << 7 within 16-bit lanes moves each byte's bit 0 to its bit 7 (flags are 0 or 1) */
        unsigned r16 = (unsigned)_mm_movemask_epi8(
            _mm_slli_epi16(_mm_loadu_si128((const __m128i *)(flags + m)), 7));
        for (int h = 0; h < 2; h++) {
            unsigned r = (r16 >> (8 * h)) & 0xFF;
            uint64_t picked = _pext_u64(0x0706050403020100ull,
                                        _pdep_u64(r, 0x0101010101010101ull) * 0xFF);
            __m256i perm = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)picked));
            _mm256_storeu_si256((__m256i *)(list + nl), _mm256_permutevar8x32_epi32(at, perm));
            nl += __builtin_popcount(r);
            at = _mm256_add_epi32(at, eight);
        }
    }
    return nl;
}
#else
#define COLLECT_SIMD 0
static inline int64_t collect_simd(const uint8_t *flags, int64_t n, int32_t *list, int64_t nl,
                                   int64_t base) {
    return nl;
}
#endif

#endif /* FASTINIT_PHILOX_SIMD_H */
