"""JAX initializers filled by fastinit, and sharded JAX arrays filled shard by shard.

The factories have the names, arguments and calling convention of
``jax.nn.initializers``: ``init = he_normal(); w = init(key, shape, dtype)``,
so they drop into Flax (``nn.Dense(128, kernel_init=fastinit.jax.he_normal())``).
The values are fastinit's, computed on the host and copied to the device once.

Seed mapping. The JAX key's data, two 32-bit words ``(w0, w1)`` (a
``threefry2x32`` key, typed ``jax.random.key`` or raw ``jax.random.PRNGKey``),
give the fastinit seed ``(w0 << 32) | w1``; ``jax.random.key(s)`` therefore
fills exactly what ``fastinit.he_normal_(w, seed=s)`` fills, for any
``0 <= s < 2**32``. ``stream`` is an argument of each factory (default 0).

Inside ``jax.jit`` (or ``vmap``, or any trace), where the key is not concrete,
the fill runs on the host through ``jax.pure_callback`` with the same bits.
:func:`make_array` builds a sharded array without ever holding the whole tensor
on the host: each addressable shard is filled by fastinit from its place in
the full tensor, so the array equals the unsharded one bit for bit on any mesh.

This module imports ``jax``; ``import fastinit`` never imports it.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from .. import _fillers, matrices
from .._engine import checks, fans, framework_checks, laws, request
from ._arrays import _host_buffer, _host_dtype, place_filled
from ._arrays import make_array as make_array

__all__ = [
    "constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "jax_fans",
    "key_to_seed",
    "lecun_normal", "lecun_uniform", "make_array", "normal", "ones", "orthogonal",
    "truncated_normal", "uniform", "variance_scaling", "zeros",
]

# No randomness to reproduce: JAX's own constant initializers.
zeros = jax.nn.initializers.zeros
ones = jax.nn.initializers.ones
constant = jax.nn.initializers.constant


def key_to_seed(key):
    """Return the fastinit seed of a concrete JAX key: ``(w0 << 32) | w1``.

    Parameters
    ----------
    key : jax.Array
        A single ``threefry2x32`` key: typed (``jax.random.key``) or raw
        ``uint32[2]`` (``jax.random.PRNGKey``).

    Returns
    -------
    int
        The seed in ``[0, 2**64)``.

    Examples
    --------
    >>> import jax, fastinit.jax
    >>> fastinit.jax.key_to_seed(jax.random.key(42))
    42
    """
    words = np.asarray(_key_words(key))
    return (int(words[0]) << 32) | int(words[1])


def _key_words(key):
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    if key.dtype != jnp.uint32 or key.shape != (2,):
        raise TypeError(framework_checks.JAX_KEY.format(key.dtype, list(key.shape)))
    return key


def _fill_host(fill_part, shape, dtype, keys):
    return fill_part(_host_buffer(shape, dtype), keys)


def _place_traced(out, sharding):
    """Constrain a traced result to `sharding`: Explicit mesh axes need ``reshard``
    (inside ``jax.set_mesh``, as JAX requires), Auto ones a sharding constraint."""
    types = getattr(getattr(sharding, "mesh", None), "axis_types", ())
    if any(t == jax.sharding.AxisType.Explicit for t in types):
        return jax.sharding.reshard(out, sharding)
    return jax.lax.with_sharding_constraint(out, sharding)


def _factory(filler_for_shape, dtype, stream):
    """An ``init(key, shape, dtype, out_sharding)`` over ``filler_for_shape(shape)``.

    The distribution was checked when the factory was built; the stream is
    checked here, the shape and dtype at each call, before any fill.
    """
    stream = request.stream_words(stream)

    def init(key, shape, dtype=dtype, out_sharding=None):
        shape = checks.check_shape("shape", shape)
        dtype = _host_dtype(dtype)
        fill_part = filler_for_shape(shape)
        if isinstance(key, jax.core.Tracer):
            words = _key_words(key)
            out = jax.pure_callback(
                lambda w: _fill_host(fill_part, shape, dtype, _keys(key_to_seed(w), stream)),
                jax.ShapeDtypeStruct(shape, dtype), words, vmap_method="sequential")
            return out if out_sharding is None else _place_traced(out, out_sharding)
        keys = _keys(key_to_seed(key), stream)
        if out_sharding is not None:
            return place_filled(lambda out, full, origin: fill_part(out, keys, full, origin),
                                shape, dtype, out_sharding)
        # the buffer is never touched again, so the device may keep it without a copy
        return jax.device_put(_fill_host(fill_part, shape, dtype, keys))

    return init


def _keys(seed, stream_words):
    """Keys of a key's seed (always in [0, 2**64): two uint32 words) and a checked stream."""
    return request.Keys(*request.key_words(seed), *stream_words)


_INIT_DOC = """

    Returns
    -------
    callable
        ``init(key, shape, dtype=dtype, out_sharding=None) -> jax.Array``.
        The seed is ``(w0 << 32) | w1`` of the key's data; with a
        ``jax.sharding.Sharding`` as `out_sharding` every shard is filled on
        the host by :func:`make_array`. Under ``jax.jit`` (a traced key) the
        fill runs through ``jax.pure_callback``: same bits, but the whole
        tensor passes through the host, then is resharded to `out_sharding`
        (Explicit mesh axes need ``jax.set_mesh``, as JAX requires).
"""


_DTYPE_STREAM = """dtype : dtype, optional
        The initializer's default dtype (JAX's default float when None).
    stream : int or str, default 0
        fastinit stream: the same key with another stream gives independent
        values."""


def _returns_init(func):
    doc = func.__doc__.replace("%(dtype_stream)s", _DTYPE_STREAM)
    head, examples = doc.split("\n    Examples\n")
    func.__doc__ = head.rstrip() + _INIT_DOC + "\n    Examples\n" + examples
    return func


def _checked_axes(in_axis, out_axis, batch_axis):
    return tuple(framework_checks.check_jax_axis(name, axis) for name, axis in
                 (("in_axis", in_axis), ("out_axis", out_axis), ("batch_axis", batch_axis)))


def _fans(shape, axes):
    """JAX's fans of a checked shape for axes checked by `_checked_axes`; raises where JAX does."""
    (in_axes, in_single), (out_axes, _), (batch_axes, _) = axes
    if in_single and in_axes[0] == -2 and len(shape) <= 1:
        raise ValueError(framework_checks.JAX_FANS_NDIM.format(shape))
    shown = [group[0] if single else group for group, single in axes]
    for name, (group, _), given in zip(("in_axis", "out_axis", "batch_axis"), axes, shown,
                                       strict=True):
        framework_checks.check_axes_of(name, group, shape, given)
    if any(shape[a] == 0 for group, _ in axes for a in group):
        raise ValueError(framework_checks.JAX_FANS_ZERO.format(shape, *shown))
    return fans.jax_fans(shape, in_axes, out_axes, batch_axes)


def jax_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """Return ``(fan_in, fan_out)`` exactly as ``jax.nn.initializers`` computes them.

    The sizes of the `in_axis`, `out_axis` and `batch_axis` groups are the
    products of their axes' sizes; every other axis is receptive field, and
    ``fan = size * prod(shape) / (in_size * out_size * batch_size)`` in JAX's
    own float arithmetic. Groups may repeat axes or overlap each other, as in
    JAX.

    Parameters
    ----------
    shape : tuple of int
        The full weight shape.
    in_axis, out_axis, batch_axis : int or sequence of int
        Default -2, -1, ().

    Returns
    -------
    tuple of float
        As JAX returns them (``(fan_in, fan_out)``; 0.0 each when a receptive
        axis has size 0).

    Raises
    ------
    TypeError
        If an axis argument is not an integer or a sequence of integers.
    ValueError
        Where JAX raises: `shape` has fewer than 2 axes with the default
        `in_axis`, an axis is out of range, or an axis of the three groups
        has size 0.

    Examples
    --------
    >>> import fastinit.jax
    >>> fastinit.jax.jax_fans((4, 3, 3, 16, 32), batch_axis=0)
    (144.0, 288.0)
    >>> fastinit.jax.jax_fans((7,), in_axis=0, out_axis=0)
    (1.0, 1.0)
    """
    return _fans(checks.check_shape("shape", shape), _checked_axes(in_axis, out_axis, batch_axis))


@_returns_init
def variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1, batch_axis=(),
                     dtype=None, *, stream=0):
    """Build an initializer of variance ``scale / n``, as ``jax.nn.initializers.variance_scaling``.

    ``n`` is the fan chosen by `mode` from ``jax_fans(shape, in_axis, out_axis,
    batch_axis)``; the samples are ``fastinit.variance_scaling_``'s: truncated
    at ±2σ with the 0.8796... correction, ``"normal"`` (untruncated) or
    ``"uniform"``. A zero-size shape raises ``ValueError`` at the call, where
    JAX divides by its zero fans.

    Parameters
    ----------
    scale : float
        Positive.
    mode : str
        ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"`` (and any other mode
        ``fastinit.variance_scaling_`` accepts).
    distribution : {"truncated_normal", "normal", "uniform"}
    in_axis, out_axis, batch_axis : int or sequence of int
        Default -2, -1, (): axes of the inputs, the outputs, and axes left out
        of the fans.
    %(dtype_stream)s

    Examples
    --------
    >>> import jax, fastinit.jax
    >>> w = fastinit.jax.variance_scaling(2.0, "fan_in", "uniform")(jax.random.key(0), (64, 8))
    >>> bool(abs(w).max() <= (3 * 2.0 / 64) ** 0.5)
    True
    """
    law = laws.scaled(scale, mode, distribution)
    axes = _checked_axes(in_axis, out_axis, batch_axis)

    def filler_for_shape(shape):
        fan_in, fan_out = _fans(shape, axes)
        if math.prod(shape) == 0:  # both fans are 0
            raise ValueError(framework_checks.JAX_FANS_EMPTY.format(shape))
        return _fillers.law_filler(law._replace(fan_in=fan_in, fan_out=fan_out))

    return _factory(filler_for_shape, dtype, stream)


def _named(name, scale, mode, distribution):
    def factory(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None, *, stream=0):
        return variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis,
                                dtype, stream=stream)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = f"""Build ``jax.nn.initializers.{name}`` filled by fastinit.

    ``variance_scaling({scale}, "{mode}", "{distribution}", ...)``; the values
    are those of ``fastinit.{name}_``.

    Parameters
    ----------
    in_axis, out_axis, batch_axis : int or sequence of int
        Default -2, -1, ().
    %(dtype_stream)s

    Examples
    --------
    >>> import jax, numpy as np, fastinit, fastinit.jax
    >>> w = fastinit.jax.{name}()(jax.random.key(7), (64, 32))
    >>> ref = fastinit.{name}_(np.empty((64, 32), np.float32), seed=7)
    >>> bool((np.asarray(w) == ref).all())
    True
    """
    return _returns_init(factory)


glorot_uniform = _named("glorot_uniform", 1.0, "fan_avg", "uniform")
glorot_normal = _named("glorot_normal", 1.0, "fan_avg", "truncated_normal")
he_uniform = _named("he_uniform", 2.0, "fan_in", "uniform")
he_normal = _named("he_normal", 2.0, "fan_in", "truncated_normal")
lecun_uniform = _named("lecun_uniform", 1.0, "fan_in", "uniform")
lecun_normal = _named("lecun_normal", 1.0, "fan_in", "truncated_normal")


@_returns_init
def uniform(scale=1e-2, dtype=None, *, stream=0):
    """Build an initializer of samples uniform in ``[0, scale)``, as JAX's ``uniform``.

    Parameters
    ----------
    scale : float, default 0.01
        Upper bound.
    %(dtype_stream)s

    Examples
    --------
    >>> import jax, fastinit.jax
    >>> w = fastinit.jax.uniform(2.0)(jax.random.key(0), (1000,))
    >>> bool(w.min() >= 0 and w.max() <= 2.0)
    True
    """
    fill_part = _fillers.law_filler(laws.uniform(0.0, scale, names=("0", "scale")))
    return _factory(lambda shape: fill_part, dtype, stream)


@_returns_init
def normal(stddev=1e-2, dtype=None, *, stream=0):
    """Build an initializer of ``N(0, stddev**2)`` samples, as JAX's ``normal``.

    Parameters
    ----------
    stddev : float, default 0.01
    %(dtype_stream)s

    Examples
    --------
    >>> import jax, fastinit.jax
    >>> w = fastinit.jax.normal(1.0)(jax.random.key(0), (100_000,))
    >>> bool(abs(float(w.std()) - 1.0) < 0.01)
    True
    """
    fill_part = _fillers.law_filler(laws.normal(0.0, stddev))
    return _factory(lambda shape: fill_part, dtype, stream)


@_returns_init
def truncated_normal(stddev=1e-2, dtype=None, lower=-2.0, upper=2.0, *, stream=0):
    """Build an initializer of ``N(0, stddev**2)`` truncated to ``[lower, upper]`` stddevs.

    As JAX's ``truncated_normal``: `stddev` is the std before truncation (no
    0.8796... correction).

    Parameters
    ----------
    stddev : float, default 0.01
    dtype : dtype, optional
        The initializer's default dtype (JAX's default float when None).
    lower, upper : float, default -2.0, 2.0
        Bounds in units of `stddev`.
    stream : int or str, default 0
        fastinit stream.

    Examples
    --------
    >>> import jax, fastinit.jax
    >>> w = fastinit.jax.truncated_normal(1.0)(jax.random.key(0), (1000,))
    >>> bool(abs(w).max() <= 2.0)
    True
    """
    fill_part = _fillers.law_filler(laws.truncated(0.0, stddev, lower, upper))
    return _factory(lambda shape: fill_part, dtype, stream)


@_returns_init
def orthogonal(scale=1.0, column_axis=-1, dtype=None, *, stream=0):
    """Build an initializer of (semi-)orthogonal matrices times `scale`, as JAX's ``orthogonal``.

    The values of ``fastinit.orthogonal_(gain=scale, column_axis=column_axis)``:
    QR of a standard normal matrix filled by fastinit, signs fixed so the
    result is Haar-distributed. The whole matrix is computed on the host,
    also for each shard of an `out_sharding`.

    Parameters
    ----------
    scale : float, default 1.0
    column_axis : int, default -1
        The axis whose slices are orthonormal columns.
    %(dtype_stream)s

    Examples
    --------
    >>> import jax, numpy as np, fastinit.jax
    >>> w = np.asarray(fastinit.jax.orthogonal()(jax.random.key(0), (64, 16)))
    >>> bool(np.allclose(w.T @ w, np.eye(16), atol=1e-5))
    True
    """
    fill_part = _fillers.filler(matrices.orthogonal_, gain=scale, column_axis=column_axis)[0]
    return _factory(lambda shape: fill_part, dtype, stream)
