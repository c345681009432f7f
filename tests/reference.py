"""Slow, vectorized NumPy reference of the randomness contract.

This is the executable form of the contract written in docs/contract.md and
in ``fastinit/_engine/_numba/transforms.py``: element ``i`` of a logical
tensor as a function of (seed, stream, i, parameters, dtype), operation for
operation. Both backends must match it bit for bit. It shares
only the constants of ``fastinit._engine.constants`` with them, not code.
"""

import math
from statistics import NormalDist

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


def block(seed, stream, q, key_xor=(0, 0)):
    """The four words (uint32 arrays) of Philox blocks ``q`` (array of block numbers) of
    ``stream``, under the seed's key words xor ``key_xor``."""
    q = np.asarray(q, dtype=U64)
    s = U64(stream)
    return philox4x32_10(q & M32, q >> U64(32), np.full(q.shape, s & M32),
                         np.full(q.shape, s >> U64(32)), (seed & constants.MASK32) ^ key_xor[0],
                         (seed >> 32) ^ key_xor[1])


def box_muller_f32(w0, w1):
    """The float32 pair (r cos a, r sin a) of two words."""
    r = np.sqrt(F32(-2) * log_f32(u01_open_closed_f32(w0)))
    q = (w1 >> np.uint32(30)).astype(np.int64)
    frac = ((w1 >> np.uint32(8)) & np.uint32(0x3FFFFF)).astype(np.int64)
    theta = F32(frac - (1 << (constants.ANGLE_BITS_F32 - 1))) * F32(constants.ANGLE_SCALE_F32)
    s, c = sincos(theta, F32)
    cos_a, sin_a = _rotate(q, s, c)
    return r * cos_a, r * sin_a


def box_muller_f64(w0, w1, w2, w3):
    """The float64 pair of four words: 53-bit u1 from (w0, w1), the angle from (w2, w3)."""
    u1 = u01_open_closed_f64(w0, w1)
    r = np.sqrt(F64(-2) * log_f64(u1))
    q = (w2 >> np.uint32(30)).astype(np.int64)
    frac = ((w2.astype(U64) >> U64(5)) & U64(0x1FFFFFF)) << U64(26)
    frac = (frac | (w3.astype(U64) >> U64(6))).astype(np.int64)
    theta = F64(frac - (1 << (constants.ANGLE_BITS_F64 - 1))) * F64(constants.ANGLE_SCALE_F64)
    s, c = sincos(theta, F64)
    cos_a, sin_a = _rotate(q, s, c)
    return r * cos_a, r * sin_a


def standard_normal(seed, stream, idx, double=False):
    """Box-Muller: element 2j is r*cos(a), element 2j+1 is r*sin(a)."""
    idx = np.asarray(idx, dtype=U64)
    pair = idx >> U64(1)
    if double:
        z0, z1 = box_muller_f64(*(words(seed, stream, 4 * pair + U64(k)) for k in range(4)))
    else:
        z0, z1 = box_muller_f32(words(seed, stream, 2 * pair),
                                words(seed, stream, 2 * pair + U64(1)))
    return np.where((idx & U64(1)) == 0, z0, z1)


def normal(seed, stream, idx, mean, std, double=False):
    t = F64 if double else F32
    return t(mean) + t(std) * standard_normal(seed, stream, idx, double)


def truncated_normal(seed, stream, idx, mean, std, ea, eb, lo_c, hi_c, double=False):
    """Inverse CDF in erf space: x = ea + (eb-ea)*u, z = sqrt(2)*erfinv(x).

    ``lo_c, hi_c = closed_bounds(mean + std*a, mean + std*b, dtype)``: closed.
    """
    idx = np.asarray(idx, dtype=U64)
    if double:
        u = u01_open_open_f64(words(seed, stream, 2 * idx), words(seed, stream, 2 * idx + U64(1)))
    else:
        u = u01_open_open_f32(words(seed, stream, idx))
    return erf_inverse_cdf(u, mean, std, ea, eb, lo_c, hi_c, double)


def erf_inverse_cdf(u, mean, std, ea, eb, lo_c, hi_c, double=False):
    """clamp(mean + std*sqrt(2)*erfinv(clamp(ea + (eb-ea)*u, ea, eb)), lo_c, hi_c)."""
    t = F64 if double else F32
    x = t(ea) + (t(eb) - t(ea)) * u
    x = np.minimum(np.maximum(x, t(ea)), t(eb))
    e = erfinv_f64(x) if double else erfinv_f32(x)
    z = e * t(constants.SQRT2)
    y = t(mean) + t(std) * z
    return np.minimum(np.maximum(y, t(lo_c)), t(hi_c))


# --- truncated normal by rejection on counters (contract 0.2) -----------------------
REDRAW_KEY = (constants.REDRAW_KEY_XOR0, constants.REDRAW_KEY_XOR1)


def redraw_block(seed, stream, pair, r):
    """Redraw block ``r`` of the pairs ``pair``: number (r << REDRAW_Q_SHIFT) | pair, redraw key."""
    return block(seed, stream, pair | U64(r << constants.REDRAW_Q_SHIFT), REDRAW_KEY)


def truncated_reject(seed, stream, idx, mean, std, ea, eb, lo_c, hi_c, double=False,
                     attempts=False):
    """Truncated normal by rejection, in float32 (16-bit outputs: before clamp and rounding)
    or float64.

    Element i keeps the normal fill's value x when ``lo_c <= x <= hi_c``
    (bounds rounded inward to float32 or float64; an infinite bound rejects
    nothing). Otherwise candidate k = 1, 2, ... of its pair P = i >> 1 and
    branch t = i & 1: float32, 12 candidates, k from redraw block (k + 1) >> 1,
    words 0, 1 (odd k) or 2, 3 (even k) through Box-Muller; float64, 6
    candidates, k from block k, its four words. The first kept candidate is
    the value; if none is, word t (float64: words 2t, 2t+1) of redraw block
    FALLBACK_BLOCK is the uniform of the erf-space inverse CDF (with ``ea``,
    ``eb`` and the clamp into ``[lo_c, hi_c]``).
    """
    idx = np.asarray(idx, dtype=U64)
    t = F64 if double else F32
    lo, hi = t(lo_c), t(hi_c)
    x = normal(seed, stream, idx, mean, std, double)
    done = (x >= lo) & (x <= hi)
    sine = (idx & U64(1)) == 1
    pair = idx >> U64(1)
    candidates = constants.REDRAW_CANDIDATES_F64 if double else constants.REDRAW_CANDIDATES_F32
    taken = np.zeros(idx.shape, np.int64)
    for k in range(1, candidates + 1):
        todo = np.nonzero(~done)[0]
        if todo.size == 0:
            break
        if double:
            z0, z1 = box_muller_f64(*redraw_block(seed, stream, pair[todo], k))
        else:
            w = redraw_block(seed, stream, pair[todo], (k + 1) // 2)
            z0, z1 = box_muller_f32(*(w[:2] if k % 2 else w[2:]))
        y = t(mean) + t(std) * np.where(sine[todo], z1, z0)
        ok = (y >= lo) & (y <= hi)
        x[todo[ok]] = y[ok]
        done[todo[ok]] = True
        taken[todo] = k
    todo = np.nonzero(~done)[0]
    if todo.size:
        w = redraw_block(seed, stream, pair[todo], constants.FALLBACK_BLOCK)
        s = sine[todo]
        if double:
            u = u01_open_open_f64(np.where(s, w[2], w[0]), np.where(s, w[3], w[1]))
        else:
            u = u01_open_open_f32(np.where(s, w[1], w[0]))
        x[todo] = erf_inverse_cdf(u, mean, std, ea, eb, lo_c, hi_c, double)
        taken[todo] = candidates + 1
    return (x, taken) if attempts else x


def normal_mass(lower, upper):
    """Phi(upper) - Phi(lower), the standard normal's mass on [lower, upper], in float64
    (Python's ``statistics.NormalDist``: 0.5 * erfc(-x / sqrt(2)))."""
    return NormalDist().cdf(upper) - NormalDist().cdf(lower)


def truncated(seed, stream, idx, mean, std, lower, upper, dtype):
    """``truncated_normal_`` on [lower, upper] (standard units) in the output ``dtype``.

    The contract's choice of sampler: an interval wholly beyond TAIL_START
    (either side) takes the far-tail path, one holding at least
    REJECT_MIN_MASS of the mass rejection, any other the erf-space inverse
    CDF. Bounds: ``closed_bounds`` of ``mean + std*lower``, ``mean +
    std*upper`` in the dtype, and for rejection in the precision of the
    computation too (float32 for 16-bit outputs); an infinite bound never
    clamps nor rejects.
    """
    dtype = np.dtype(dtype)
    double = dtype == np.float64
    work = np.float64 if double else np.float32
    lo, hi = mean + std * lower, mean + std * upper

    def bounds(t):
        lo_c, hi_c = closed_bounds(lo if math.isfinite(lo) else 0.0,
                                   hi if math.isfinite(hi) else 0.0, t)
        return (lo_c if math.isfinite(lo) else -math.inf, hi_c if math.isfinite(hi) else math.inf)

    lo_o, hi_o = bounds(dtype)
    if lower >= constants.TAIL_START or upper <= -constants.TAIL_START:
        upper_tail = lower >= constants.TAIL_START
        a, b, sign = (lower, upper, 1.0) if upper_tail else (-upper, -lower, -1.0)
        d, log_ma = tail_constants(a, b)
        return truncated_tail(seed, stream, idx, mean, sign * std, a, d, log_ma, lo_o, hi_o,
                              double).astype(dtype)
    lim = 1 - 2.0 ** (-53 if double else -24)
    ea = min(max(math.erf(lower / math.sqrt(2)), -lim), lim)
    eb = min(max(math.erf(upper / math.sqrt(2)), -lim), lim)
    if normal_mass(lower, upper) >= constants.REJECT_MIN_MASS:
        lo_c, hi_c = bounds(work)
        x = truncated_reject(seed, stream, idx, mean, std, ea, eb, lo_c, hi_c, double)
        return np.minimum(np.maximum(x, work(lo_o)), work(hi_o)).astype(dtype)
    return truncated_normal(seed, stream, idx, mean, std, ea, eb, lo_o, hi_o,
                            double).astype(dtype)


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
