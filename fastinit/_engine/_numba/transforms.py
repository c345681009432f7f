"""Words -> numbers: uniforms, log, sincos, erfinv, Box-Muller, 16-bit rounding.

Mirror: ``fastinit/_engine/_cython/transforms.pxd``; executable spec:
``tests/reference.py``. Every function does the same floating-point operations
in the same order as its twin (no libm, no fused multiply-add), so both
backends give identical bits. Float32 paths cast every constant to float32:
a float64 constant would silently promote the arithmetic.
"""

import numpy as np
from numba import njit
from numba.extending import overload

from .. import constants
from . import _INLINE_OPTS, _NUMBA_OPTS, unrolled_horner

F32 = np.float32
F64 = np.float64
U32 = np.uint32
U64 = np.uint64
I32 = np.int32

TWO_M24 = F32(constants.TWO_M24)
TWO_M53 = F64(constants.TWO_M53)
ONE_F = F32(1.0)
TWO_F = F32(2.0)
HALF_F = F32(0.5)
NEG_TWO_F = F32(-2.0)
LOGF_SQRT_HALF_BITS = I32(constants.LOGF_SQRT_HALF_BITS)
LOGF_LG = tuple(F32(c) for c in constants.LOGF_LG)
LOGF_LN2_HI = F32(constants.LOGF_LN2_HI)
LOGF_LN2_LO = F32(constants.LOGF_LN2_LO)
LOG_SQRT_HALF_BITS = np.int64(constants.LOG_SQRT_HALF_BITS)
LOG_LG_EVEN = constants.LOG_LG_EVEN
LOG_LG_ODD = constants.LOG_LG_ODD
LOG_LN2_HI = constants.LOG_LN2_HI
LOG_LN2_LO = constants.LOG_LN2_LO
SIN_F32 = tuple(F32(c) for c in constants.SIN_F32)
COS_F32 = tuple(F32(c) for c in constants.COS_F32)
SIN_F64 = constants.SIN_F64
COS_F64 = constants.COS_F64
ANGLE_BITS_F32 = constants.ANGLE_BITS_F32
ANGLE_BITS_F64 = constants.ANGLE_BITS_F64
ANGLE_SCALE_F32 = F32(constants.ANGLE_SCALE_F32)
ANGLE_SCALE_F64 = constants.ANGLE_SCALE_F64
ANGLE_HALF_F32 = I32(1 << (ANGLE_BITS_F32 - 1))
ANGLE_HALF_F64 = 1 << (ANGLE_BITS_F64 - 1)
ERFINV_F32_SPLIT = F32(constants.ERFINV_F32_SPLIT)
ERFINV_F32_CENTRAL_SHIFT = F32(constants.ERFINV_F32_CENTRAL_SHIFT)
ERFINV_F32_CENTRAL = tuple(F32(c) for c in constants.ERFINV_F32_CENTRAL)
ERFINV_F32_TAIL_SHIFT = F32(constants.ERFINV_F32_TAIL_SHIFT)
ERFINV_F32_TAIL = tuple(F32(c) for c in constants.ERFINV_F32_TAIL)
ERFINV_F32_CENTRAL_MAX_X = constants.ERFINV_F32_CENTRAL_MAX_X
ERFINV_F64_SPLIT_1 = constants.ERFINV_F64_SPLIT_1
ERFINV_F64_SHIFT_1 = constants.ERFINV_F64_SHIFT_1
ERFINV_F64_P1 = constants.ERFINV_F64_P1
ERFINV_F64_SPLIT_2 = constants.ERFINV_F64_SPLIT_2
ERFINV_F64_SHIFT_2 = constants.ERFINV_F64_SHIFT_2
ERFINV_F64_P2 = constants.ERFINV_F64_P2
ERFINV_F64_SHIFT_3 = constants.ERFINV_F64_SHIFT_3
ERFINV_F64_P3 = constants.ERFINV_F64_P3
SQRT2 = constants.SQRT2
MILLS_SPLIT = constants.MILLS_SPLIT
MILLS_MID_P = constants.MILLS_MID_P
MILLS_MID_Q = constants.MILLS_MID_Q
MILLS_BIG_P = constants.MILLS_BIG_P
MILLS_BIG_Q = constants.MILLS_BIG_Q
INV_SQRT_PI = constants.INV_SQRT_PI
SQRT_HALF = constants.SQRT_HALF
SQRT_HALF_PI = constants.SQRT_HALF_PI
TAIL_NEWTON_STEPS = constants.TAIL_NEWTON_STEPS
F16_MAX_BITS = U32(constants.F16_MAX_BITS)
F16_MIN_NORMAL_BITS = U32(constants.F16_MIN_NORMAL_BITS)
F16_DENORM_MAGIC_BITS = U32(constants.F16_DENORM_MAGIC_BITS)
F16_REBIAS = U32(constants.F16_REBIAS)
F16_INF = U32(constants.F16_INF)
# the constants as declared in the Cython twin (kernels.constants() reports them)
CONSTANTS = (
    "TWO_M24", "TWO_M53", "LOGF_SQRT_HALF_BITS", "LOGF_LG", "LOGF_LN2_HI", "LOGF_LN2_LO",
    "LOG_SQRT_HALF_BITS", "LOG_LG_EVEN", "LOG_LG_ODD", "LOG_LN2_HI", "LOG_LN2_LO",
    "SIN_F32", "COS_F32", "SIN_F64", "COS_F64", "ANGLE_BITS_F32", "ANGLE_BITS_F64",
    "ANGLE_SCALE_F32", "ANGLE_SCALE_F64", "ERFINV_F32_SPLIT", "ERFINV_F32_CENTRAL_SHIFT",
    "ERFINV_F32_CENTRAL", "ERFINV_F32_TAIL_SHIFT", "ERFINV_F32_TAIL",
    "ERFINV_F32_CENTRAL_MAX_X", "ERFINV_F64_SPLIT_1", "ERFINV_F64_SHIFT_1", "ERFINV_F64_P1",
    "ERFINV_F64_SPLIT_2", "ERFINV_F64_SHIFT_2", "ERFINV_F64_P2", "ERFINV_F64_SHIFT_3",
    "ERFINV_F64_P3", "SQRT2", "F16_MAX_BITS", "F16_MIN_NORMAL_BITS", "F16_DENORM_MAGIC_BITS",
    "F16_REBIAS", "F16_INF", "MILLS_SPLIT", "MILLS_MID_P", "MILLS_MID_Q", "MILLS_BIG_P",
    "MILLS_BIG_Q", "INV_SQRT_PI", "SQRT_HALF", "SQRT_HALF_PI", "TAIL_NEWTON_STEPS",
)


# --- bit views (the twin puns through a union) ----------------------------------
@njit(**_INLINE_OPTS)
def f32_bits(x):
    return F32(x).view(np.uint32)


@njit(**_INLINE_OPTS)
def f32_from_bits(u):
    return U32(u).view(np.float32)


@njit(**_INLINE_OPTS)
def f64_bits(x):
    return F64(x).view(np.uint64)


@njit(**_INLINE_OPTS)
def f64_from_bits(u):
    return U64(u).view(np.float64)


# --- words -> uniforms (the interval is in the name) ---------------------------
@njit(**_INLINE_OPTS)
def u01_closed_open_f32(w):
    # >> 8: keep 24 bits, exactly the float32 significand (32-bit integer ops
    # throughout, so the float loop vectorizes 16 lanes wide)
    return F32(np.int32(U32(w) >> U32(8))) * TWO_M24


@njit(**_INLINE_OPTS)
def u01_open_closed_f32(w):
    # +1: never 0, so log stays finite
    return F32(np.int32(U32(w) >> U32(8)) + np.int32(1)) * TWO_M24


@njit(**_INLINE_OPTS)
def u01_open_open_f32(w):
    # 23 bits and a half step: (2k+1)/2**24 is never 0 nor 1
    return F32(np.int32(((U32(w) >> U32(9)) << U32(1)) + U32(1))) * TWO_M24


@njit(**_INLINE_OPTS)
def bits53(w0, w1):
    # 27 + 26 bits: the float64 significand
    return ((w0 >> U64(5)) << U64(26)) | (w1 >> U64(6))


@njit(**_INLINE_OPTS)
def u01_closed_open_f64(w0, w1):
    return F64(bits53(w0, w1)) * TWO_M53


@njit(**_INLINE_OPTS)
def u01_open_closed_f64(w0, w1):
    return F64(bits53(w0, w1) + U64(1)) * TWO_M53


@njit(**_INLINE_OPTS)
def u01_open_open_f64(w0, w1):
    return F64(((bits53(w0, w1) >> U64(1)) << U64(1)) + U64(1)) * TWO_M53


# --- log (fdlibm/musl): x = 2**k * m, m in [sqrt(1/2), sqrt(2)) ---------------
@njit(**_INLINE_OPTS)
def log_f32(x):
    # subtracting sqrt(1/2)'s bits centres m on 1 without a branch
    ix = I32(f32_bits(x)) - LOGF_SQRT_HALF_BITS
    k = F32(ix >> I32(23))
    m = f32_from_bits(U32((ix & I32(0x7FFFFF)) + LOGF_SQRT_HALF_BITS))
    f = m - ONE_F
    s = f / (TWO_F + f)
    z = s * s
    r = z * horner_f32(LOGF_LG, z)
    hfsq = HALF_F * f * f
    return s * (hfsq + r) + k * LOGF_LN2_LO - hfsq + f + k * LOGF_LN2_HI


@njit(**_INLINE_OPTS)
def log_f64(x):
    ix = np.int64(f64_bits(x)) - LOG_SQRT_HALF_BITS
    k = F64(ix >> 52)
    m = f64_from_bits(U64((ix & 0xFFFFFFFFFFFFF) + LOG_SQRT_HALF_BITS))
    f = m - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * horner_f64(LOG_LG_EVEN, w)
    t2 = z * horner_f64(LOG_LG_ODD, w)
    return s * (hfsq + (t1 + t2)) + k * LOG_LN2_LO - hfsq + f + k * LOG_LN2_HI


@njit(**_INLINE_OPTS)
def horner_f32(coeffs, z):
    """coeffs[0]*z**(n-1) + ... + coeffs[n-1], float32 coefficients."""
    p = coeffs[0]
    for i in range(1, len(coeffs)):
        p = p * z + coeffs[i]
    return p


def horner_f64(coeffs, z):
    """coeffs[0]*z**(n-1) + ... + coeffs[n-1], written out (``unrolled_horner``)."""
    p = coeffs[0]  # as Python (NUMBA_DISABLE_JIT=1): the same operations in the same order
    for i in range(1, len(coeffs)):
        p = p * z + coeffs[i]
    return p


overload(horner_f64)(unrolled_horner)


# --- sincos on [-pi/4, pi/4): no range reduction is ever needed ----------------
@njit(**_INLINE_OPTS)
def sincos_f32(x):
    """(sin x, cos x)."""
    z = x * x
    s = x + (x * z) * horner_f32(SIN_F32, z)
    c = ONE_F + z * horner_f32(COS_F32, z)
    return s, c


@njit(**_INLINE_OPTS)
def sincos_f64(x):
    """(sin x, cos x)."""
    z = x * x
    s = x + (x * z) * horner_f64(SIN_F64, z)
    c = 1.0 + z * horner_f64(COS_F64, z)
    return s, c


# rotate: (cos, sin) of q*pi/2 + theta from (sin theta, cos theta), q in 0..3:
# odd q swaps, cos is negative for q in {1, 2}, sin for q >= 2. Selects and
# negations only, so every result is exact.
@njit(**_INLINE_OPTS)
def rotate_f32(q, s, c):
    swap = (q & 1) == 1
    cos_a = s if swap else c
    sin_a = c if swap else s
    cos_a = -cos_a if ((q + 1) & 2) != 0 else cos_a
    sin_a = -sin_a if (q & 2) != 0 else sin_a
    return cos_a, sin_a


@njit(**_INLINE_OPTS)
def rotate_f64(q, s, c):
    swap = (q & 1) == 1
    cos_a = s if swap else c
    sin_a = c if swap else s
    cos_a = -cos_a if ((q + 1) & 2) != 0 else cos_a
    sin_a = -sin_a if (q & 2) != 0 else sin_a
    return cos_a, sin_a


# --- Box-Muller: one pair of uniforms -> the pair (r cos a, r sin a) -----------
@njit(**_NUMBA_OPTS)  # a function of its own: see _numba/__init__.py
def box_muller_f32(w0, w1):
    r = np.sqrt(NEG_TWO_F * log_f32(u01_open_closed_f32(w0)))
    w1 = U32(w1)
    q = I32(w1 >> U32(30))  # 2 bits: the quadrant
    frac = I32((w1 >> U32(8)) & U32(0x3FFFFF))  # 22 bits: the offset
    theta = F32(frac - ANGLE_HALF_F32) * ANGLE_SCALE_F32
    s, c = sincos_f32(theta)
    cos_a, sin_a = rotate_f32(q, s, c)
    return r * cos_a, r * sin_a


@njit(**_NUMBA_OPTS)
def box_muller_f64(w0, w1, w2, w3):
    r = np.sqrt(-2.0 * log_f64(u01_open_closed_f64(w0, w1)))
    q = np.int64(w2 >> U64(30))
    frac = np.int64((((w2 >> U64(5)) & U64(0x1FFFFFF)) << U64(26)) | (w3 >> U64(6)))
    theta = F64(frac - ANGLE_HALF_F64) * ANGLE_SCALE_F64
    s, c = sincos_f64(theta)
    cos_a, sin_a = rotate_f64(q, s, c)
    return r * cos_a, r * sin_a


# --- inverse error function (Giles 2011): erfinv(x) = x * P(w) -----------------
@njit(**_INLINE_OPTS)
def erfinv_f32(x, tails):
    w = -log_f32((ONE_F - x) * (ONE_F + x))
    p = horner_f32(ERFINV_F32_CENTRAL, w - ERFINV_F32_CENTRAL_SHIFT)
    if tails:
        p2 = horner_f32(ERFINV_F32_TAIL, np.sqrt(w) - ERFINV_F32_TAIL_SHIFT)
        p = p if w < ERFINV_F32_SPLIT else p2
    return p * x


@njit(**_INLINE_OPTS)
def erfinv_f64(x, tails):
    w = -log_f64((1.0 - x) * (1.0 + x))
    if not tails or w < ERFINV_F64_SPLIT_1:  # |x| <= 0.99: w < 3.92, never a tail
        p = horner_f64(ERFINV_F64_P1, w - ERFINV_F64_SHIFT_1)
    elif w < ERFINV_F64_SPLIT_2:
        p = horner_f64(ERFINV_F64_P2, np.sqrt(w) - ERFINV_F64_SHIFT_2)
    else:
        p = horner_f64(ERFINV_F64_P3, np.sqrt(w) - ERFINV_F64_SHIFT_3)
    return p * x


# --- far tails of the normal, in float64 ------------------------------------------
@njit(**_INLINE_OPTS)
def mills_f64(z):
    """Mills ratio Q(z)/phi(z) = sqrt(pi/2) * erfcx(z/sqrt2), Cody's rationals, z >= 2."""
    y = z * SQRT_HALF
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


# not inlined at Numba IR level: four Newton steps, each with mills_f64 and
# log_f64, would be copied into every call site and multiply the compile time
@njit(**_NUMBA_OPTS)
def tail_z_f64(u, a, d, log_ma):
    """z >= a with Q(z) = Q(a) * ((1 - u) + u*d): Newton on log Q, a fixed step count."""
    r = (1.0 - u) + u * d
    L = -log_f64(r)
    # exact when M(z) = M(a); Newton then comes down to the root monotonically
    z = a * np.sqrt(1.0 + (L + L) / (a * a))
    for _ in range(TAIL_NEWTON_STEPS):
        # h(z) = log Q(a) - log Q(z) - L, h'(z) = 1/M(z)
        m = mills_f64(z)
        h = (z - a) * (0.5 * z + 0.5 * a) - log_f64(m) + log_ma - L
        z = z - h * m
    return z


# --- float32 -> 16-bit formats, round to nearest even ----------------------------
@njit(**_INLINE_OPTS)
def f32_to_bf16_bits(x):
    b = f32_bits(x)
    # +0x7FFF and the kept lsb: ties go to even
    return np.uint16((b + U32(0x7FFF) + ((b >> U32(16)) & U32(1))) >> U32(16))


@njit(**_INLINE_OPTS)
def f32_to_f16_bits(x):
    """F. Giesen's float_to_half_fast3_rtne, branch-free (no NaN reaches it)."""
    b = f32_bits(x)
    sign = b & U32(0x80000000)
    b = b ^ sign
    # subnormal result: the float add aligns the 10 kept bits at the bottom,
    # rounding to nearest even
    sub = f32_bits(f32_from_bits(b) + f32_from_bits(F16_DENORM_MAGIC_BITS)) - F16_DENORM_MAGIC_BITS
    # normal result: rebias the exponent; +0xFFF and the kept lsb round to even
    nrm = ((b + F16_REBIAS) + ((b >> U32(13)) & U32(1))) >> U32(13)
    o = sub if b < F16_MIN_NORMAL_BITS else nrm
    o = F16_INF if b >= F16_MAX_BITS else o
    return np.uint16(o | (sign >> U32(16)))
