"""Slow, vectorized NumPy reference of the randomness contract.

This is the executable form of the contract written in docs/contract.md and
in ``fastinit/_engine/_numba/transforms.py``: element ``i`` of a logical
tensor as a function of (seed, stream, i, parameters, dtype), operation for
operation. Both backends must match it bit for bit. It shares
only the constants of ``fastinit._engine.constants`` with them, not code.
"""

import math

import numpy as np

from fastinit._engine import constants

F32 = np.float32
F64 = np.float64
U64 = np.uint64
M32 = U64(constants.MASK32)


def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 on arrays of uint32 counters and a uint32 key."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=U64) for c in (c0, c1, c2, c3))
    k0, k1 = U64(k0), U64(k1)
    for r in range(constants.PHILOX_ROUNDS):
        p0 = U64(constants.PHILOX_M4x32_0) * c0
        p1 = U64(constants.PHILOX_M4x32_1) * c2
        hi0, lo0 = p0 >> U64(32), p0 & M32
        hi1, lo1 = p1 >> U64(32), p1 & M32
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        if r < constants.PHILOX_ROUNDS - 1:
            k0 = (k0 + U64(constants.PHILOX_W32_0)) & M32
            k1 = (k1 + U64(constants.PHILOX_W32_1)) & M32
    return tuple(c.astype(np.uint32) for c in (c0, c1, c2, c3))


def words(seed, stream, w):
    """Raw word ``w`` (array of word indices) of ``stream`` under ``seed``."""
    w = np.asarray(w, dtype=U64)
    q = w >> U64(2)
    s = U64(stream)
    out = philox4x32_10(q & M32, q >> U64(32), s & M32, s >> U64(32),
                        seed & constants.MASK32, seed >> 32)
    lanes = np.stack(out)
    return lanes[(w & U64(3)).astype(np.intp), np.arange(w.size)]


# --- conversions ----------------------------------------------------------------
def u01_f32(w):
    return F32(w >> np.uint32(8)) * F32(constants.TWO_M24)


def u01_open_closed_f32(w):
    return F32((w >> np.uint32(8)).astype(np.int64) + 1) * F32(constants.TWO_M24)


def u01_open_open_f32(w):
    return F32(2 * (w >> np.uint32(9)).astype(np.int64) + 1) * F32(constants.TWO_M24)


def _bits53(w0, w1):
    return ((w0.astype(U64) >> U64(5)) << U64(26)) | (w1.astype(U64) >> U64(6))


def u01_f64(w0, w1):
    return F64(_bits53(w0, w1)) * F64(constants.TWO_M53)


def u01_open_closed_f64(w0, w1):
    return F64(_bits53(w0, w1) + U64(1)) * F64(constants.TWO_M53)


def u01_open_open_f64(w0, w1):
    k = _bits53(w0, w1) >> U64(1)
    return F64(U64(2) * k + U64(1)) * F64(constants.TWO_M53)


# --- elementary functions ---------------------------------------------------------
def _horner(coeffs, z, t):
    p = t(coeffs[0]) * np.ones_like(z)
    for c in coeffs[1:]:
        p = p * z + t(c)
    return p


def log_f32(x):
    x = np.asarray(x, dtype=F32)
    ix = x.view(np.uint32).astype(np.int64) - constants.LOGF_SQRT_HALF_BITS
    k = F32(ix >> 23)
    m = ((ix & 0x7FFFFF) + constants.LOGF_SQRT_HALF_BITS).astype(np.uint32).view(F32)
    f = m - F32(1)
    s = f / (F32(2) + f)
    z = s * s
    r = z * _horner(constants.LOGF_LG, z, F32)
    hfsq = F32(0.5) * f * f
    return (s * (hfsq + r) + k * F32(constants.LOGF_LN2_LO) - hfsq + f
            + k * F32(constants.LOGF_LN2_HI))


def log_f64(x):
    x = np.asarray(x, dtype=F64)
    ix = x.view(np.int64) - np.int64(constants.LOG_SQRT_HALF_BITS)
    k = F64(ix >> 52)
    m = ((ix & 0xFFFFFFFFFFFFF) + constants.LOG_SQRT_HALF_BITS).view(F64)
    f = m - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = w * _horner(constants.LOG_LG_EVEN, w, F64) + z * _horner(constants.LOG_LG_ODD, w, F64)
    return s * (hfsq + r) + k * constants.LOG_LN2_LO - hfsq + f + k * constants.LOG_LN2_HI


def sincos(x, t):
    if t is F32:
        sc, cc = constants.SIN_F32, constants.COS_F32
    else:
        sc, cc = constants.SIN_F64, constants.COS_F64
    z = x * x
    s = x + (x * z) * _horner(sc, z, t)
    c = t(1) + z * _horner(cc, z, t)
    return s, c


def _rotate(q, s, c):
    """(cos, sin) of q*pi/2 + theta from (sin theta, cos theta)."""
    swap = (q & 1) == 1
    cos_a = np.where(swap, s, c)
    sin_a = np.where(swap, c, s)
    cos_a = np.where((q == 1) | (q == 2), -cos_a, cos_a)
    sin_a = np.where(q >= 2, -sin_a, sin_a)
    return cos_a, sin_a


def erfinv_f32(x, tails=True):
    x = np.asarray(x, dtype=F32)
    w = -log_f32((F32(1) - x) * (F32(1) + x))
    p = _horner(constants.ERFINV_F32_CENTRAL, w - F32(constants.ERFINV_F32_CENTRAL_SHIFT), F32)
    if tails:
        v = np.sqrt(w) - F32(constants.ERFINV_F32_TAIL_SHIFT)
        tail = _horner(constants.ERFINV_F32_TAIL, v, F32)
        p = np.where(w < F32(constants.ERFINV_F32_SPLIT), p, tail)
    return p * x


def erfinv_f64(x):
    x = np.asarray(x, dtype=F64)
    w = -log_f64((1.0 - x) * (1.0 + x))
    p1 = _horner(constants.ERFINV_F64_P1, w - constants.ERFINV_F64_SHIFT_1, F64)
    v = np.sqrt(w)
    p2 = _horner(constants.ERFINV_F64_P2, v - constants.ERFINV_F64_SHIFT_2, F64)
    p3 = _horner(constants.ERFINV_F64_P3, v - constants.ERFINV_F64_SHIFT_3, F64)
    p = np.where(w < constants.ERFINV_F64_SPLIT_1, p1,
                 np.where(w < constants.ERFINV_F64_SPLIT_2, p2, p3))
    return p * x


# --- geometry ------------------------------------------------------------------------
def global_indices(shape, full, origin=None, offset=None):
    """Global (row-major) index in ``full`` of every element of a buffer of ``shape``.

    ``origin``: the buffer is the block starting there; ``offset``: it holds
    consecutive elements of the flattened full tensor from that index.
    """
    if offset is not None:
        return offset + np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    origin = origin or (0,) * len(full)
    grids = np.ix_(*(np.arange(o, o + n) for o, n in zip(origin, shape, strict=True)))
    return np.ravel_multi_index(grids, full).astype(np.int64) if shape else np.zeros((), np.int64)


# --- bounds ------------------------------------------------------------------------
def _step(x, dtype, toward):
    return float(np.nextafter(np.array(x, dtype), np.array(toward, dtype)))


def closed_bounds(lo, hi, dtype):
    """[lo, hi] rounded inward: the first value of ``dtype`` >= lo, the last <= hi."""
    lo_c = float(np.array(lo).astype(dtype))
    hi_c = float(np.array(hi).astype(dtype))
    lo_c = _step(lo_c, dtype, np.inf) if lo_c < lo else lo_c
    hi_c = _step(hi_c, dtype, -np.inf) if hi_c > hi else hi_c
    return lo_c, hi_c


def uniform_bounds(minval, maxval, dtype):
    """Half-open [minval, maxval): hi_c is the last value of ``dtype`` *below* maxval.

    ``minval == maxval`` is the one point ``minval``.
    """
    lo_c, hi_c = closed_bounds(minval, maxval, dtype)
    if minval < maxval and hi_c == maxval:
        hi_c = _step(hi_c, dtype, -np.inf)
    return lo_c, hi_c


# --- element values ----------------------------------------------------------------
def uniform(seed, stream, idx, lo, span, lo_c, hi_c, double=False):
    """Uniform elements ``idx``: clamp(lo + span*u, lo_c, hi_c), ``uniform_bounds``."""
    idx = np.asarray(idx, dtype=U64)
    if double:
        u = u01_f64(words(seed, stream, 2 * idx), words(seed, stream, 2 * idx + U64(1)))
        return np.minimum(np.maximum(F64(lo) + F64(span) * u, lo_c), hi_c)
    u = u01_f32(words(seed, stream, idx))
    x = F32(lo) + F32(span) * u
    return np.minimum(np.maximum(x, F32(lo_c)), F32(hi_c))


def standard_normal(seed, stream, idx, double=False):
    """Box-Muller: element 2j is r*cos(a), element 2j+1 is r*sin(a)."""
    idx = np.asarray(idx, dtype=U64)
    pair = idx >> U64(1)
    t = F64 if double else F32
    if double:
        w = [words(seed, stream, 4 * pair + U64(k)) for k in range(4)]
        u1 = u01_open_closed_f64(w[0], w[1])
        r = np.sqrt(F64(-2) * log_f64(u1))
        q = (w[2] >> np.uint32(30)).astype(np.int64)
        frac = ((w[2].astype(U64) >> U64(5)) & U64(0x1FFFFFF)) << U64(26)
        frac = (frac | (w[3].astype(U64) >> U64(6))).astype(np.int64)
        theta = F64(frac - (1 << (constants.ANGLE_BITS_F64 - 1))) * F64(constants.ANGLE_SCALE_F64)
    else:
        w0 = words(seed, stream, 2 * pair)
        w1 = words(seed, stream, 2 * pair + U64(1))
        r = np.sqrt(F32(-2) * log_f32(u01_open_closed_f32(w0)))
        q = (w1 >> np.uint32(30)).astype(np.int64)
        frac = ((w1 >> np.uint32(8)) & np.uint32(0x3FFFFF)).astype(np.int64)
        theta = F32(frac - (1 << (constants.ANGLE_BITS_F32 - 1))) * F32(constants.ANGLE_SCALE_F32)
    s, c = sincos(theta, t)
    cos_a, sin_a = _rotate(q, s, c)
    return np.where((idx & U64(1)) == 0, r * cos_a, r * sin_a)


def normal(seed, stream, idx, mean, std, double=False):
    t = F64 if double else F32
    return t(mean) + t(std) * standard_normal(seed, stream, idx, double)


def truncated_normal(seed, stream, idx, mean, std, ea, eb, lo_c, hi_c, double=False):
    """Inverse CDF in erf space: x = ea + (eb-ea)*u, z = sqrt(2)*erfinv(x).

    ``lo_c, hi_c = closed_bounds(mean + std*a, mean + std*b, dtype)``: closed.
    """
    idx = np.asarray(idx, dtype=U64)
    t = F64 if double else F32
    if double:
        u = u01_open_open_f64(words(seed, stream, 2 * idx), words(seed, stream, 2 * idx + U64(1)))
    else:
        u = u01_open_open_f32(words(seed, stream, idx))
    x = t(ea) + (t(eb) - t(ea)) * u
    x = np.minimum(np.maximum(x, t(ea)), t(eb))
    e = erfinv_f64(x) if double else erfinv_f32(x)
    z = e * t(constants.SQRT2)
    y = t(mean) + t(std) * z
    return np.minimum(np.maximum(y, t(lo_c)), t(hi_c))


# --- truncated normal in a far tail (float64 whatever the output dtype) -------------
def _erfcx_mid(y):
    p, q = constants.MILLS_MID_P, constants.MILLS_MID_Q
    n = p[8] * y
    d = y
    for i in range(7):
        n = (n + p[i]) * y
        d = (d + q[i]) * y
    return (n + p[7]) / (d + q[7])


def _erfcx_big(y):
    p, q = constants.MILLS_BIG_P, constants.MILLS_BIG_Q
    s = 1.0 / (y * y)
    n = p[5] * s
    d = s
    for i in range(4):
        n = (n + p[i]) * s
        d = (d + q[i]) * s
    r = s * (n + p[4]) / (d + q[4])
    return (constants.INV_SQRT_PI - r) / y


def mills(z):
    """Mills ratio Q(z)/phi(z) = sqrt(pi/2) * erfcx(z/sqrt(2)) (Cody), z >= 2."""
    z = np.asarray(z, dtype=F64)
    y = z * constants.SQRT_HALF
    with np.errstate(over="ignore", invalid="ignore"):  # the branch not taken
        e = np.where(y <= constants.MILLS_SPLIT, _erfcx_mid(y), _erfcx_big(y))
    return constants.SQRT_HALF_PI * e


def tail_constants(a, b):
    """Per-call scalars of the upper tail [a, b]: (d = Q(b)/Q(a), log M(a)).

    In log space with Python's math.log/math.exp, so nothing underflows:
    log Q(b) - log Q(a) = -(b - a)(b + a)/2 + log M(b) - log M(a).
    """
    log_ma = math.log(float(mills(a)))
    if math.isinf(b):
        return 0.0, log_ma
    return math.exp(-(b - a) * (0.5 * b + 0.5 * a) + math.log(float(mills(b))) - log_ma), log_ma


def tail_z(u, a, d, log_ma):
    """z in [a, b] with Q(z) = Q(a) * ((1 - u) + u*d), d = Q(b)/Q(a), log_ma = log M(a)."""
    u = np.asarray(u, dtype=F64)
    r = (1.0 - u) + u * d
    L = -log_f64(r)
    z = a * np.sqrt(1.0 + (L + L) / (a * a))
    for _ in range(constants.TAIL_NEWTON_STEPS):
        m = mills(z)
        h = (z - a) * (0.5 * z + 0.5 * a) - log_f64(m) + log_ma - L
        z = z - h * m
    return z


def truncated_tail(seed, stream, idx, mean, std_s, a, d, log_ma, lo_c, hi_c, double=False):
    """Truncated normal on an interval in a far tail, computed in float64.

    Upper tail [a, b] (a >= TAIL_START): std_s = std. Lower tail [-b, -a]:
    the mirror image, std_s = -std. Same words and uniform as the erf path:
    word i, u = (2k+1)*2**-24 (k = w >> 9) for 32/16-bit outputs; words 2i,
    2i+1 and the 53-bit open uniform for float64. The value is clamped in
    float64 into [lo_c, hi_c] (closed bounds rounded inward), then rounded.
    """
    idx = np.asarray(idx, dtype=U64)
    if double:
        u = u01_open_open_f64(words(seed, stream, 2 * idx), words(seed, stream, 2 * idx + U64(1)))
    else:
        u = u01_open_open_f32(words(seed, stream, idx)).astype(F64)
    x = F64(mean) + F64(std_s) * tail_z(u, a, d, log_ma)
    x = np.minimum(np.maximum(x, F64(lo_c)), F64(hi_c))
    return x if double else x.astype(F32)
