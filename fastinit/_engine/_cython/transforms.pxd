# Words -> numbers: uniforms, log, sincos, erfinv, Box-Muller, 16-bit rounding.
# Mirror: fastinit/_engine/_numba/transforms.py; executable spec: tests/reference.py.
# Every function does the same floating-point operations in the same order as
# its twin (no libm but sqrt, no fused multiply-add: -ffp-contract=off), so both
# backends give identical bits. Float32 paths cast every constant with
# <float>: a double constant would silently promote the arithmetic.
# Constants: constants.h, which setup.py writes from fastinit/_engine/constants.py
# (hex floats: each literal is exactly the Python double).

from libc.math cimport sqrt, sqrtf
from libc.stdint cimport int32_t, int64_t, uint16_t, uint32_t, uint64_t

cdef extern from "constants.h":  # written by setup.py from fastinit/_engine/constants.py
    const double TWO_M24
    const double TWO_M53
    const int32_t LOGF_SQRT_HALF_BITS
    const double LOGF_LG[4]
    const double LOGF_LN2_HI
    const double LOGF_LN2_LO
    const int64_t LOG_SQRT_HALF_BITS
    const double LOG_LG_EVEN[3]
    const double LOG_LG_ODD[4]
    const double LOG_LN2_HI
    const double LOG_LN2_LO
    const double SIN_F32[4]
    const double COS_F32[5]
    const double SIN_F64[8]
    const double COS_F64[9]
    enum: ANGLE_BITS_F32
    enum: ANGLE_BITS_F64
    const double ANGLE_SCALE_F32
    const double ANGLE_SCALE_F64
    const double ERFINV_F32_SPLIT
    const double ERFINV_F32_CENTRAL_SHIFT
    const double ERFINV_F32_CENTRAL[9]
    const double ERFINV_F32_TAIL_SHIFT
    const double ERFINV_F32_TAIL[9]
    const double ERFINV_F32_CENTRAL_MAX_X
    const double ERFINV_F64_SPLIT_1
    const double ERFINV_F64_SHIFT_1
    const double ERFINV_F64_P1[23]
    const double ERFINV_F64_SPLIT_2
    const double ERFINV_F64_SHIFT_2
    const double ERFINV_F64_P2[19]
    const double ERFINV_F64_SHIFT_3
    const double ERFINV_F64_P3[17]
    const double SQRT2
    const double MILLS_SPLIT
    const double MILLS_MID_P[9]
    const double MILLS_MID_Q[8]
    const double MILLS_BIG_P[6]
    const double MILLS_BIG_Q[5]
    const double INV_SQRT_PI
    const double SQRT_HALF
    const double SQRT_HALF_PI
    enum: TAIL_NEWTON_STEPS
    const uint32_t F16_MAX_BITS
    const uint32_t F16_MIN_NORMAL_BITS
    const uint32_t F16_DENORM_MAGIC_BITS
    const uint32_t F16_REBIAS
    const uint32_t F16_INF


ctypedef struct pair_f32:
    float x0
    float x1

ctypedef struct pair_f64:
    double x0
    double x1

# type punning through a union: defined in GNU C, unlike a pointer cast
ctypedef union bits32:
    float f
    uint32_t u

ctypedef union bits64:
    double f
    int64_t i
    uint64_t u


cdef inline uint32_t f32_bits(float x) noexcept nogil:
    cdef bits32 b
    b.f = x
    return b.u


cdef inline float f32_from_bits(uint32_t u) noexcept nogil:
    cdef bits32 b
    b.u = u
    return b.f


cdef inline uint64_t f64_bits(double x) noexcept nogil:
    cdef bits64 b
    b.f = x
    return b.u


cdef inline double f64_from_bits(uint64_t u) noexcept nogil:
    cdef bits64 b
    b.u = u
    return b.f


# --- words -> uniforms (the interval is in the name) ---------------------------
cdef inline float u01_closed_open_f32(uint64_t w) noexcept nogil:
    # >> 8: keep 24 bits, exactly the float32 significand
    return <float><int32_t>(w >> 8) * <float>TWO_M24


cdef inline float u01_open_closed_f32(uint64_t w) noexcept nogil:
    # +1: never 0, so log stays finite
    return <float><int32_t>((w >> 8) + 1) * <float>TWO_M24


cdef inline float u01_open_open_f32(uint64_t w) noexcept nogil:
    # 23 bits and a half step: (2k+1)/2**24 is never 0 nor 1
    return <float><int32_t>(((w >> 9) << 1) + 1) * <float>TWO_M24


cdef inline uint64_t bits53(uint64_t w0, uint64_t w1) noexcept nogil:
    # 27 + 26 bits: the float64 significand
    return ((w0 >> 5) << 26) | (w1 >> 6)


cdef inline double u01_closed_open_f64(uint64_t w0, uint64_t w1) noexcept nogil:
    return <double><int64_t>bits53(w0, w1) * TWO_M53


cdef inline double u01_open_closed_f64(uint64_t w0, uint64_t w1) noexcept nogil:
    return <double><int64_t>(bits53(w0, w1) + 1) * TWO_M53


cdef inline double u01_open_open_f64(uint64_t w0, uint64_t w1) noexcept nogil:
    return <double><int64_t>(((bits53(w0, w1) >> 1) << 1) + 1) * TWO_M53


# --- log (fdlibm/musl): x = 2**k * m, m in [sqrt(1/2), sqrt(2)) ---------------
cdef inline float log_f32(float x) noexcept nogil:
    # subtracting sqrt(1/2)'s bits centres m on 1 without a branch
    cdef int32_t ix = <int32_t>f32_bits(x) - LOGF_SQRT_HALF_BITS
    cdef float k = <float>(ix >> 23)
    cdef float m = f32_from_bits(<uint32_t>((ix & 0x7FFFFF) + LOGF_SQRT_HALF_BITS))
    cdef float f = m - <float>1.0
    cdef float s = f / (<float>2.0 + f)
    cdef float z = s * s
    cdef float r = z * horner_f32(LOGF_LG, 4, z)
    cdef float hfsq = <float>0.5 * f * f
    return s * (hfsq + r) + k * <float>LOGF_LN2_LO - hfsq + f + k * <float>LOGF_LN2_HI


cdef inline double log_f64(double x) noexcept nogil:
    cdef int64_t ix = <int64_t>f64_bits(x) - LOG_SQRT_HALF_BITS
    cdef double k = <double>(ix >> 52)
    cdef double m = f64_from_bits(<uint64_t>((ix & ((<int64_t>1 << 52) - 1)) + LOG_SQRT_HALF_BITS))
    cdef double f = m - 1.0
    cdef double hfsq = 0.5 * f * f
    cdef double s = f / (2.0 + f)
    cdef double z = s * s
    cdef double w = z * z
    cdef double t1 = w * horner_f64(LOG_LG_EVEN, 3, w)
    cdef double t2 = z * horner_f64(LOG_LG_ODD, 4, w)
    return s * (hfsq + (t1 + t2)) + k * LOG_LN2_LO - hfsq + f + k * LOG_LN2_HI


cdef inline float horner_f32(const double* coeffs, int n, float z) noexcept nogil:
    """coeffs[0]*z**(n-1) + ... + coeffs[n-1], each coefficient rounded to float32.

    Written out, not looped: with n a constant at every call, the guards fold
    away and gcc vectorizes the caller's loop (it will not if an inner loop
    is left).
    """
    cdef float p = <float>coeffs[0]
    if n > 1: p = p * z + <float>coeffs[1]
    if n > 2: p = p * z + <float>coeffs[2]
    if n > 3: p = p * z + <float>coeffs[3]
    if n > 4: p = p * z + <float>coeffs[4]
    if n > 5: p = p * z + <float>coeffs[5]
    if n > 6: p = p * z + <float>coeffs[6]
    if n > 7: p = p * z + <float>coeffs[7]
    if n > 8: p = p * z + <float>coeffs[8]
    return p


cdef inline double horner_f64(const double* coeffs, int n, double z) noexcept nogil:
    """coeffs[0]*z**(n-1) + ... + coeffs[n-1]; written out as horner_f32 (n <= 23)."""
    cdef double p = coeffs[0]
    if n > 1: p = p * z + coeffs[1]
    if n > 2: p = p * z + coeffs[2]
    if n > 3: p = p * z + coeffs[3]
    if n > 4: p = p * z + coeffs[4]
    if n > 5: p = p * z + coeffs[5]
    if n > 6: p = p * z + coeffs[6]
    if n > 7: p = p * z + coeffs[7]
    if n > 8: p = p * z + coeffs[8]
    if n > 9: p = p * z + coeffs[9]
    if n > 10: p = p * z + coeffs[10]
    if n > 11: p = p * z + coeffs[11]
    if n > 12: p = p * z + coeffs[12]
    if n > 13: p = p * z + coeffs[13]
    if n > 14: p = p * z + coeffs[14]
    if n > 15: p = p * z + coeffs[15]
    if n > 16: p = p * z + coeffs[16]
    if n > 17: p = p * z + coeffs[17]
    if n > 18: p = p * z + coeffs[18]
    if n > 19: p = p * z + coeffs[19]
    if n > 20: p = p * z + coeffs[20]
    if n > 21: p = p * z + coeffs[21]
    if n > 22: p = p * z + coeffs[22]
    return p


# --- sincos on [-pi/4, pi/4): no range reduction is ever needed ----------------
cdef inline pair_f32 sincos_f32(float x) noexcept nogil:
    """(sin x, cos x)."""
    cdef float z = x * x
    cdef pair_f32 sc
    sc.x0 = x + (x * z) * horner_f32(SIN_F32, 4, z)
    sc.x1 = <float>1.0 + z * horner_f32(COS_F32, 5, z)
    return sc


cdef inline pair_f64 sincos_f64(double x) noexcept nogil:
    """(sin x, cos x)."""
    cdef double z = x * x
    cdef pair_f64 sc
    sc.x0 = x + (x * z) * horner_f64(SIN_F64, 8, z)
    sc.x1 = 1.0 + z * horner_f64(COS_F64, 9, z)
    return sc


# rotate: (cos, sin) of q*pi/2 + theta from (sin theta, cos theta), q in 0..3.
# Selects and negations on the bits (exact, like the twin's -x), so gcc
# vectorizes them: odd q swaps, cos is negative for q in {1, 2}, sin for q >= 2.
cdef inline pair_f32 rotate_f32(uint32_t q, float s, float c) noexcept nogil:
    cdef uint32_t swap = 0 - (q & 1)
    cdef uint32_t sb = f32_bits(s), cb = f32_bits(c)
    cdef pair_f32 cs
    cs.x0 = f32_from_bits(((sb & swap) | (cb & ~swap)) ^ (((q + 1) & 2) << 30))
    cs.x1 = f32_from_bits(((cb & swap) | (sb & ~swap)) ^ ((q & 2) << 30))
    return cs


cdef inline pair_f64 rotate_f64(uint64_t q, double s, double c) noexcept nogil:
    cdef uint64_t swap = 0 - (q & 1)
    cdef uint64_t sb = f64_bits(s), cb = f64_bits(c)
    cdef pair_f64 cs
    cs.x0 = f64_from_bits(((sb & swap) | (cb & ~swap)) ^ (((q + 1) & 2) << 62))
    cs.x1 = f64_from_bits(((cb & swap) | (sb & ~swap)) ^ ((q & 2) << 62))
    return cs


# --- Box-Muller: one pair of uniforms -> the pair (r cos a, r sin a) -----------
cdef inline pair_f32 box_muller_f32(uint64_t w0, uint64_t w1) noexcept nogil:
    cdef float r = sqrtf(<float>-2.0 * log_f32(u01_open_closed_f32(w0)))
    cdef uint32_t q = <uint32_t>(w1 >> 30)  # 2 bits: the quadrant
    cdef int32_t frac = <int32_t>((w1 >> 8) & 0x3FFFFF)  # 22 bits: the offset
    cdef float theta = <float>(frac - (1 << (ANGLE_BITS_F32 - 1))) * <float>ANGLE_SCALE_F32
    cdef pair_f32 sc = sincos_f32(theta)
    cdef pair_f32 cs = rotate_f32(q, sc.x0, sc.x1)
    cdef pair_f32 z
    z.x0 = r * cs.x0
    z.x1 = r * cs.x1
    return z


cdef inline pair_f64 box_muller_f64(uint64_t w0, uint64_t w1, uint64_t w2,
                                    uint64_t w3) noexcept nogil:
    cdef double r = sqrt(-2.0 * log_f64(u01_open_closed_f64(w0, w1)))
    cdef uint64_t q = w2 >> 30
    cdef int64_t frac = <int64_t>((((w2 >> 5) & 0x1FFFFFF) << 26) | (w3 >> 6))
    cdef double theta = <double>(frac - (<int64_t>1 << (ANGLE_BITS_F64 - 1))) * ANGLE_SCALE_F64
    cdef pair_f64 sc = sincos_f64(theta)
    cdef pair_f64 cs = rotate_f64(q, sc.x0, sc.x1)
    cdef pair_f64 z
    z.x0 = r * cs.x0
    z.x1 = r * cs.x1
    return z


# --- inverse error function (Giles 2011): erfinv(x) = x * P(w) -----------------
cdef inline float erfinv_f32(float x, bint tails) noexcept nogil:
    cdef float w = -log_f32((<float>1.0 - x) * (<float>1.0 + x))
    cdef float p = horner_f32(ERFINV_F32_CENTRAL, 9, w - <float>ERFINV_F32_CENTRAL_SHIFT)
    cdef float p2
    if tails:
        p2 = horner_f32(ERFINV_F32_TAIL, 9, sqrtf(w) - <float>ERFINV_F32_TAIL_SHIFT)
        p = p if w < <float>ERFINV_F32_SPLIT else p2
    return p * x


cdef inline double erfinv_f64(double x, bint tails) noexcept nogil:
    cdef double w = -log_f64((1.0 - x) * (1.0 + x))
    cdef double p
    if not tails or w < ERFINV_F64_SPLIT_1:  # |x| <= 0.99: w < 3.92, never a tail
        p = horner_f64(ERFINV_F64_P1, 23, w - ERFINV_F64_SHIFT_1)
    elif w < ERFINV_F64_SPLIT_2:
        p = horner_f64(ERFINV_F64_P2, 19, sqrt(w) - ERFINV_F64_SHIFT_2)
    else:
        p = horner_f64(ERFINV_F64_P3, 17, sqrt(w) - ERFINV_F64_SHIFT_3)
    return p * x


# --- far tails of the normal, in float64 ------------------------------------------
cdef inline double mills_f64(double z) noexcept nogil:
    """Mills ratio Q(z)/phi(z) = sqrt(pi/2) * erfcx(z/sqrt2), Cody's rationals, z >= 2."""
    cdef double y = z * SQRT_HALF
    cdef double n, d, s, e
    cdef int i
    if y <= MILLS_SPLIT:
        n = MILLS_MID_P[8] * y
        d = y
        for i in range(7):
            n = (n + MILLS_MID_P[i]) * y
            d = (d + MILLS_MID_Q[i]) * y
        e = (n + MILLS_MID_P[7]) / (d + MILLS_MID_Q[7])
    else:
        # asymptotic form: 1/y**2 is the variable
        s = 1.0 / (y * y)
        n = MILLS_BIG_P[5] * s
        d = s
        for i in range(4):
            n = (n + MILLS_BIG_P[i]) * s
            d = (d + MILLS_BIG_Q[i]) * s
        e = (INV_SQRT_PI - s * (n + MILLS_BIG_P[4]) / (d + MILLS_BIG_Q[4])) / y
    return SQRT_HALF_PI * e


cdef inline double tail_z_f64(double u, double a, double d, double log_ma) noexcept nogil:
    """z >= a with Q(z) = Q(a) * ((1 - u) + u*d): Newton on log Q, a fixed step count."""
    cdef double r = (1.0 - u) + u * d
    cdef double L = -log_f64(r)
    # exact when M(z) = M(a); Newton then comes down to the root monotonically
    cdef double z = a * sqrt(1.0 + (L + L) / (a * a))
    cdef double m, h
    cdef int k
    for k in range(TAIL_NEWTON_STEPS):
        # h(z) = log Q(a) - log Q(z) - L, h'(z) = 1/M(z)
        m = mills_f64(z)
        h = (z - a) * (0.5 * z + 0.5 * a) - log_f64(m) + log_ma - L
        z = z - h * m
    return z


# --- float32 -> 16-bit formats, round to nearest even ----------------------------
cdef inline uint16_t f32_to_bf16_bits(float x) noexcept nogil:
    cdef uint32_t b = f32_bits(x)
    # +0x7FFF and the kept lsb: ties go to even
    return <uint16_t>((b + 0x7FFF + ((b >> 16) & 1)) >> 16)


cdef inline uint16_t f32_to_f16_bits(float x) noexcept nogil:
    """F. Giesen's float_to_half_fast3_rtne, branch-free (no NaN reaches it)."""
    cdef uint32_t b = f32_bits(x)
    cdef uint32_t sign = b & (<uint32_t>1 << 31)
    cdef uint32_t sub, nrm, o
    b = b ^ sign
    # subnormal result: the float add aligns the 10 kept bits at the bottom,
    # rounding to nearest even
    sub = f32_bits(f32_from_bits(b) + f32_from_bits(F16_DENORM_MAGIC_BITS)) - F16_DENORM_MAGIC_BITS
    # normal result: rebias the exponent; +0xFFF and the kept lsb round to even
    nrm = ((b + F16_REBIAS) + ((b >> 13) & 1)) >> 13
    o = sub if b < F16_MIN_NORMAL_BITS else nrm
    o = F16_INF if b >= F16_MAX_BITS else o
    return <uint16_t>(o | (sign >> 16))
