"""Per-call scalars of the truncated normal: its path, tail constants, quantiles, reach.

An interval wholly in a far tail (lower >= TAIL_START, or upper <= -TAIL_START
by symmetry) is sampled by the kernels' tail path in float64: the inverse of
the tail's survival function, Q(z) = Q(a) * ((1 - u) + u * Q(b)/Q(a)),
solved by Newton's method on log Q (``_constants``, "Truncated normal in a far
tail"). Every other interval takes the erf-space inverse CDF. This module
computes, in Python and once per call, what the kernels take as arguments,
and the quantiles that decide whether the output dtype can show the law.
Q and the Mills ratio M = Q/phi are computed from Cody's erfcx, in log space,
so nothing underflows however far the tail.
"""

import math
from statistics import NormalDist

from . import constants

_STANDARD = NormalDist()


def _erfcx(y):
    if y <= constants.MILLS_SPLIT:
        p, q = constants.MILLS_MID_P, constants.MILLS_MID_Q
        n, d = p[8] * y, y
        for i in range(7):
            n, d = (n + p[i]) * y, (d + q[i]) * y
        return (n + p[7]) / (d + q[7])
    p, q = constants.MILLS_BIG_P, constants.MILLS_BIG_Q
    s = 1.0 / (y * y)
    n, d = p[5] * s, s
    for i in range(4):
        n, d = (n + p[i]) * s, (d + q[i]) * s
    return (constants.INV_SQRT_PI - s * (n + p[4]) / (d + q[4])) / y


def log_mills(z):
    """log M(z), M(z) = Q(z)/phi(z), for z >= TAIL_START."""
    return math.log(constants.SQRT_HALF_PI * _erfcx(z * constants.SQRT_HALF))


def tail_constants(a, b):
    """(d, log M(a)) for the upper-tail interval [a, b], a >= TAIL_START; d = Q(b)/Q(a)."""
    log_ma = log_mills(a)
    if math.isinf(b):
        return 0.0, log_ma
    # log Q(b) - log Q(a) = -(b - a)(b + a)/2 + log M(b) - log M(a)
    return math.exp(-(b - a) * (0.5 * b + 0.5 * a) + log_mills(b) - log_ma), log_ma


def tail_quantile(u, a, d, log_ma):
    """The kernels' tail solution for one uniform ``u``, with Python's log."""
    r = (1.0 - u) + u * d
    L = -math.log(r)
    z = a * math.sqrt(1.0 + (L + L) / (a * a))
    for _ in range(constants.TAIL_NEWTON_STEPS):
        m = constants.SQRT_HALF_PI * _erfcx(z * constants.SQRT_HALF)
        z = z - ((z - a) * (0.5 * z + 0.5 * a) - math.log(m) + log_ma - L) * m
    return z


def largest_open_uniform(double):
    """The largest u the kernels draw: (2k + 1) * 2**-24 or 2**-53 with k at its maximum."""
    return 1.0 - (constants.TWO_M53 if double else constants.TWO_M24)


class Plan:
    """How a truncated normal on [lower, upper] (standard units) is sampled.

    ``tail`` is +1 (upper tail), -1 (lower tail) or 0 (erf path). For a tail,
    ``a``, ``d`` and ``log_ma`` are the kernel scalars of the mirrored upper
    interval. ``quantile(u)`` is the standardized value at probability ``u``;
    ``lo``/``hi`` are the bounds with an infinite one replaced by the farthest
    value the kernel reaches.
    """

    def __init__(self, lower, upper, double, erf_limit):
        start = constants.TAIL_START
        self.tail = 1 if lower >= start else -1 if upper <= -start else 0
        u_max = largest_open_uniform(double)
        if self.tail:
            a, b = (lower, upper) if self.tail > 0 else (-upper, -lower)
            self.a = a
            self.d, self.log_ma = tail_constants(a, b)
            reach = tail_quantile(u_max, a, self.d, self.log_ma) * (1 + 1e-9)
        else:
            self.cdf_lo, self.cdf_hi = _STANDARD.cdf(lower), _STANDARD.cdf(upper)
            # erf(z/sqrt2) is kept inside +-erf_limit: the farthest z reached
            reach = -_STANDARD.inv_cdf(0.5 * (1.0 - erf_limit)) * (1 + 1e-6)
        self.lo = lower if math.isfinite(lower) else -reach
        self.hi = upper if math.isfinite(upper) else reach

    def quantile(self, u):
        if self.tail > 0:
            return tail_quantile(u, self.a, self.d, self.log_ma)
        if self.tail < 0:
            return -tail_quantile(1.0 - u, self.a, self.d, self.log_ma)
        return _STANDARD.inv_cdf(self.cdf_lo + u * (self.cdf_hi - self.cdf_lo))
