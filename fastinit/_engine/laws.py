"""Checked distributions: what a fill draws, apart from the buffer it fills.

A law is built once from a caller's arguments (every check here raises
before any write) and can then fill any number of buffers: the Keras and JAX
initializers build theirs when they are constructed, the torch drop-ins and
the public functions per call. ``Scaled`` (variance scaling) becomes one of
the others once the full shape, and so the fans, are known (:func:`resolve`).
"""

import functools
import math
from typing import NamedTuple

from . import checks, fans


class Bits(NamedTuple):
    """The raw Philox words (uint32 buffers)."""


class Uniform(NamedTuple):
    """Uniform on the half-open ``[low, high)`` (``low == high``: the point ``low``)."""

    low: float
    high: float


class Normal(NamedTuple):
    """Normal with mean ``mean`` and standard deviation ``std`` (Box-Muller)."""

    mean: float
    std: float


class Truncated(NamedTuple):
    """Normal ``(mean, std)`` truncated to ``[lower, upper]`` standard deviations (closed)."""

    mean: float
    std: float
    lower: float
    upper: float


class Scaled(NamedTuple):
    """Variance ``scale / n``, ``n`` the fan chosen by ``mode`` (Keras/JAX rules)."""

    scale: float
    mode: str
    distribution: str
    in_axis: int
    out_axis: int
    fan_in: int | None
    fan_out: int | None


BITS = Bits()


def uniform(low, high, names=("minval", "maxval")):
    """``Uniform(low, high)`` from finite reals with ``low <= high``."""
    low = checks.check_real(names[0], low)
    high = checks.check_real(names[1], high)
    checks.check_less(names[0], low, names[1], high, strict=False)
    return Uniform(low, high)


def normal(mean, std, names=("mean", "stddev")):
    """``Normal(mean, std)`` from a finite mean and a finite ``std >= 0``."""
    return Normal(checks.check_real(names[0], mean),
                  checks.check_real(names[1], std, nonnegative=True))


def truncated(mean, std, lower, upper):
    """``Truncated`` from a finite mean, a finite ``std > 0`` and ``lower < upper``.

    Either bound may be infinite.
    """
    mean = checks.check_real("mean", mean)
    std = checks.check_real("stddev", std, positive=True)
    lower = checks.check_real("lower", lower, infinite=True)
    upper = checks.check_real("upper", upper, infinite=True)
    checks.check_less("lower", lower, "upper", upper, strict=True)
    return Truncated(mean, std, lower, upper)


def scaled(scale, mode, distribution, in_axis=-2, out_axis=-1, fan_in=None, fan_out=None):
    """``Scaled`` from Keras/JAX's variance-scaling arguments (modes and names in any case)."""
    scale = checks.check_real("scale", scale, positive=True)
    mode = checks.check_choice("mode", mode, fans.MODES, any_case=True)
    distribution = checks.check_choice("distribution", distribution, fans.DISTRIBUTIONS,
                                       any_case=True)
    in_axis = checks.check_integer("in_axis", in_axis, "an integer")
    out_axis = checks.check_integer("out_axis", out_axis, "an integer")
    fan_in = None if fan_in is None else checks.check_positive_int("fan_in", fan_in)
    fan_out = None if fan_out is None else checks.check_positive_int("fan_out", fan_out)
    return Scaled(scale, mode, distribution, in_axis, out_axis, fan_in, fan_out)


def resolve(law, full):
    """The concrete law of a fill of the full shape ``full`` (``Scaled`` needs its fans)."""
    if type(law) is Scaled:
        return _scaled_law(law, full)
    return law


@functools.lru_cache(maxsize=1024)
def _scaled_law(law, full):
    """Keras/JAX variance scaling for a full shape: truncated at +-2 sigma, normal or uniform."""
    checks.check_axes(full, law.in_axis, law.out_axis)
    fan_in, fan_out = fans.compute_fans(full, law.in_axis, law.out_axis) if math.prod(full) \
        else (1, 1)
    fan_in = fan_in if law.fan_in is None else law.fan_in
    fan_out = fan_out if law.fan_out is None else law.fan_out
    kind, size = fans.variance_scaling_params(
        law.scale, fans.fan_for_mode(fan_in, fan_out, law.mode), law.distribution)
    if kind == "truncated_normal":
        return Truncated(0.0, size, -2.0, 2.0)
    if kind == "normal":
        return Normal(0.0, size)
    return Uniform(-size, size)
