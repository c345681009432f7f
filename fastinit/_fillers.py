"""A public initializer and its arguments, checked once, as a function that fills any part.

``fastinit.jax.make_array`` fills each shard of an array, the Keras classes
each tensor they are asked for: they turn the initializer and its arguments
into a filler once (every check raises there) and call it per part with the
part's place in the full tensor, so nothing is checked again per part and no
dummy buffer is ever filled to validate arguments.

A filler is ``filler(out, keys, full_shape=None, origin=None, offset=None,
n_threads=None, backend="auto") -> out``; ``keys`` is a checked
``request.Keys`` (ignored by fills without randomness).
"""

from . import initializers, matrices
from ._engine import checks, fill, framework_checks, laws, request

# The law of each public element-wise initializer, from its own distribution
# arguments: the same names and defaults as the function (tests/test_fillers.py
# compares the signatures).
LAWS = {
    initializers.random_uniform_: lambda minval=-0.05, maxval=0.05: laws.uniform(minval, maxval),
    initializers.random_normal_: lambda mean=0.0, stddev=0.05: laws.normal(mean, stddev),
    initializers.truncated_normal_: (
        lambda mean=0.0, stddev=0.05, lower=-2.0, upper=2.0:
        laws.truncated(mean, stddev, lower, upper)),
    initializers.variance_scaling_: (
        lambda scale=1.0, mode="fan_in", distribution="truncated_normal", in_axis=-2,
        out_axis=-1, fan_in=None, fan_out=None:
        laws.scaled(scale, mode, distribution, in_axis, out_axis, fan_in, fan_out)),
}
# The six named variance-scaling initializers: (scale, mode, distribution).
NAMED = {
    initializers.glorot_uniform_: (1.0, "fan_avg", "uniform"),
    initializers.glorot_normal_: (1.0, "fan_avg", "truncated_normal"),
    initializers.he_uniform_: (2.0, "fan_in", "uniform"),
    initializers.he_normal_: (2.0, "fan_in", "truncated_normal"),
    initializers.lecun_uniform_: (1.0, "fan_in", "uniform"),
    initializers.lecun_normal_: (1.0, "fan_in", "truncated_normal"),
}
CONSTANTS = {initializers.zeros_: 0.0, initializers.ones_: 1.0}
# Fillers of other public functions, registered by the module that defines them
# (fastinit.torch's drop-ins, when it is imported): ``func -> factory(full, **kwargs)``,
# ``full`` the full shape, for laws that need it up front (torch's fans).
SHAPED = {}


def law_filler(law, *, bits=False):
    """The filler of a checked law."""
    def fill_part(out, keys, full_shape=None, origin=None, offset=None, n_threads=None,
                  backend="auto"):
        req = request.parse(out, keys, full_shape, origin, offset, n_threads, backend, bits=bits)
        return fill.run(req, law)

    return fill_part


def constant_filler(value):
    """The filler of a constant ``value``, checked (the keys are ignored)."""
    value = checks.check_real("value", value)

    def fill_part(out, keys, full_shape=None, origin=None, offset=None, n_threads=None,
                  backend="auto"):
        checks.check_buffer(out)
        checks.check_geometry(out.shape, full_shape, origin, offset)
        return fill.constant(out, value)

    return fill_part


def _orthogonal_filler(gain=1.0, column_axis=-1):
    gain = checks.check_real("gain", gain)
    column_axis = checks.check_integer("column_axis", column_axis, "an integer")

    def fill_part(out, keys, full_shape=None, origin=None, offset=None, n_threads=None,
                  backend="auto"):
        req = request.parse(out, keys, full_shape, origin, offset, n_threads, backend)
        return matrices.orthogonal(req, gain, column_axis, origin, offset)

    return fill_part


def _identity_filler(gain=1.0):
    gain = checks.check_real("gain", gain)

    def fill_part(out, keys, full_shape=None, origin=None, offset=None, n_threads=None,
                  backend="auto"):
        return matrices.identity(out, gain, full_shape, origin, offset)

    return fill_part


def _bits_filler(**_):  # random_bits_ has no distribution arguments
    return law_filler(laws.BITS, bits=True)


# The other public functions: func -> (filler of its distribution arguments, random).
OTHERS = {
    initializers.random_bits_: (_bits_filler, True),
    matrices.orthogonal_: (_orthogonal_filler, True),
    matrices.identity_: (_identity_filler, False),
    initializers.constant_: (constant_filler, False),
}


def known(func):
    """Whether :func:`part_filler` has a filler for ``func``."""
    return any(func in table for table in (LAWS, NAMED, CONSTANTS, OTHERS, SHAPED))


def part_filler(func, full, **kwargs):
    """The filler of ``func`` with ``kwargs`` for parts of a tensor of full shape ``full``."""
    if func in SHAPED:
        return SHAPED[func](full, **kwargs)
    return filler(func, **kwargs)[0]


def filler(func, **kwargs):
    """The filler of public initializer ``func`` with its distribution arguments ``kwargs``.

    Returns ``(filler, random)``: ``random`` is False for fills without
    randomness (zeros, ones, constant, identity), which take no seed.
    """
    if func in LAWS:
        return law_filler(LAWS[func](**kwargs)), True
    if func in NAMED:
        law = laws.scaled(*NAMED[func], **kwargs)  # in_axis, out_axis
        return law_filler(law), True
    if func in OTHERS:
        make, random = OTHERS[func]
        return make(**kwargs), random
    if func in CONSTANTS:
        return constant_filler(CONSTANTS[func], **kwargs), False
    raise ValueError(framework_checks.FILLER_FUNCTION.format(getattr(func, "__name__", func)))
