"""Fans from a full logical shape, and the variance-scaling arithmetic.

Keras 3 / JAX rules: a scalar has fans (1, 1); a vector of n has (n, n);
otherwise fan_in = shape[in_axis] * receptive and fan_out = shape[out_axis] *
receptive, where receptive is the product of every other axis. Keras/JAX
layout is ``(*receptive, in, out)`` (in_axis=-2, out_axis=-1); PyTorch's is
``(out, in, *receptive)`` (in_axis=1, out_axis=0).
"""

import math

from . import constants

MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
DISTRIBUTIONS = ("truncated_normal", "normal", "untruncated_normal", "uniform")


def compute_fans(shape, in_axis=-2, out_axis=-1):
    """(fan_in, fan_out) of a full shape; axes already validated."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    in_axis %= len(shape)
    out_axis %= len(shape)
    receptive = math.prod(n for d, n in enumerate(shape) if d not in (in_axis, out_axis))
    return shape[in_axis] * receptive, shape[out_axis] * receptive


def fan_for_mode(fan_in, fan_out, mode):
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    if mode == "fan_geo_avg":  # JAX: the geometric mean of the fans
        return math.sqrt(fan_in * fan_out)
    return (fan_in + fan_out) / 2.0


def variance_scaling_params(scale, fan, distribution):
    """(kind, size) exactly as JAX/Keras compute them; ``kind`` names the law.

    ``"truncated_normal"``: size is the std before truncation at +-2 std,
    sqrt(scale/fan) / 0.8796...; ``"normal"`` (also for "untruncated_normal"):
    size is the std sqrt(scale/fan); ``"uniform"``: size is the bound
    sqrt(3*scale/fan) of [-size, size).
    """
    variance = scale / fan
    if distribution == "truncated_normal":
        return "truncated_normal", math.sqrt(variance) / constants.TRUNC_NORMAL_STD_CORRECTION
    if distribution in ("normal", "untruncated_normal"):
        return "normal", math.sqrt(variance)
    return "uniform", math.sqrt(3.0 * variance)


def keras_fans(shape, input_axes, output_axes):
    """Keras 3's ``compute_fans`` given both axis lists: the product of the sizes of each
    list's axes, nothing else (keras/src/initializers/random_initializers.py); axes checked."""
    return (math.prod(shape[a] for a in input_axes),
            math.prod(shape[a] for a in output_axes))


def jax_fans(shape, in_axes, out_axes, batch_axes):
    """``jax.nn.initializers._compute_fans`` in its own float arithmetic (jax/_src/nn/
    initializers.py): every axis outside the three groups is receptive field, and a group may
    repeat or overlap another. Axes checked, group sizes positive; floats returned, as JAX."""
    in_size, out_size, batch_size = (math.prod([shape[a] for a in axes])
                                     for axes in (in_axes, out_axes, batch_axes))
    receptive = math.prod(shape) / in_size / out_size / batch_size
    return in_size * receptive, out_size * receptive
