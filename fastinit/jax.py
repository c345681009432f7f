"""JAX initializers filled by fastinit, and sharded ``jax.Array``\\ s filled shard by shard.

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

import functools
import inspect
import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np

import fastinit

from . import _dtypes
from . import _validation as V

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
        raise TypeError("key must be a single threefry2x32 key (jax.random.key or PRNGKey, "
                        f"data uint32[2]), got data {key.dtype}{list(key.shape)}")
    return key


def _host_dtype(dtype):
    """The numpy dtype JAX will hold (float64 only with x64 enabled)."""
    dtype = np.dtype(jax.dtypes.canonicalize_dtype(jnp.float64 if dtype is None else dtype))
    if _dtypes.format_of(dtype) is None:
        raise TypeError(
            f"dtype must be float32, float64, float16 or bfloat16, got {dtype}")
    return dtype


# XLA:CPU adopts a host buffer with this alignment instead of copying it.
_ALIGN = 64


def _host_buffer(shape, dtype):
    """An uninitialized C-ordered array whose data is _ALIGN-byte aligned."""
    nbytes = math.prod(shape) * dtype.itemsize
    raw = np.empty(nbytes + _ALIGN, np.uint8)
    start = -raw.ctypes.data % _ALIGN
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def _fill_host(fill, shape, dtype, seed, stream):
    return fill(_host_buffer(shape, dtype), seed=seed, stream=stream)


def _place_traced(out, sharding):
    """Constrain a traced result to `sharding`: Explicit mesh axes need ``reshard``
    (inside ``jax.set_mesh``, as JAX requires), Auto ones a sharding constraint."""
    types = getattr(getattr(sharding, "mesh", None), "axis_types", ())
    if any(t == jax.sharding.AxisType.Explicit for t in types):
        return jax.sharding.reshard(out, sharding)
    return jax.lax.with_sharding_constraint(out, sharding)


def _factory(fill_for_shape, dtype, stream):
    """An ``init(key, shape, dtype, out_sharding)`` over ``fill_for_shape(shape)``."""
    stream = V.check_stream(stream)

    def init(key, shape, dtype=dtype, out_sharding=None):
        shape = V.check_shape("shape", shape)
        dtype = _host_dtype(dtype)
        fill = fill_for_shape(shape)
        if isinstance(key, jax.core.Tracer):
            words = _key_words(key)
            # Arguments are checked here, at trace time, not in the callback.
            fill(np.empty((1,) * len(shape), dtype), seed=0, stream=stream)
            out = jax.pure_callback(
                lambda w: _fill_host(fill, shape, dtype, key_to_seed(w), stream),
                jax.ShapeDtypeStruct(shape, dtype), words, vmap_method="sequential")
            return out if out_sharding is None else _place_traced(out, out_sharding)
        seed = key_to_seed(key)
        if out_sharding is not None:
            return make_array(fill, shape, dtype, out_sharding, seed=seed, stream=stream)
        # the buffer is never touched again, so the device may keep it without a copy
        return jax.device_put(_fill_host(fill, shape, dtype, seed, stream))

    return init


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


def _axes(shape, axes):
    axes = (axes,) if isinstance(axes, numbers.Integral) else tuple(axes)
    return [int(a) % len(shape) for a in axes]


def jax_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    """Return ``(fan_in, fan_out)`` by ``jax.nn.initializers``' rules.

    ``fastinit.compute_fans`` with axes that may be sequences and with
    ``batch_axis`` taken out of the receptive field.

    Parameters
    ----------
    shape : tuple of int
        The full weight shape.
    in_axis, out_axis, batch_axis : int or sequence of int
        Default -2, -1, ().

    Returns
    -------
    tuple of int

    Raises
    ------
    ValueError
        If `shape` has fewer than 2 axes with the default `in_axis`, as JAX.

    Examples
    --------
    >>> import fastinit.jax
    >>> fastinit.jax.jax_fans((4, 3, 3, 16, 32), batch_axis=0)
    (144, 288)
    """
    if isinstance(in_axis, numbers.Integral) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"shape must have at least 2 axes for the default in_axis=-2, "
                         f"got {shape}")
    sizes = [math.prod(shape[a] for a in _axes(shape, ax)) for ax in (in_axis, out_axis,
                                                                      batch_axis)]
    if 0 in sizes:
        return 1, 1
    receptive = math.prod(shape) // (sizes[0] * sizes[1] * sizes[2])
    return sizes[0] * receptive, sizes[1] * receptive


@_returns_init
def variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1, batch_axis=(),
                     dtype=None, *, stream=0):
    """Build an initializer of variance ``scale / n``, as ``jax.nn.initializers.variance_scaling``.

    ``n`` is the fan chosen by `mode` from ``jax_fans(shape, in_axis, out_axis,
    batch_axis)``; the samples are ``fastinit.variance_scaling_``'s: truncated
    at ±2σ with the 0.8796... correction, ``"normal"`` (untruncated) or
    ``"uniform"``.

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
    def fill_for_shape(shape):
        fan_in, fan_out = jax_fans(shape, in_axis, out_axis, batch_axis)
        return functools.partial(fastinit.variance_scaling_, scale=scale, mode=mode,
                                 distribution=distribution, fan_in=fan_in, fan_out=fan_out)

    return _factory(fill_for_shape, dtype, stream)


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
    fill = functools.partial(fastinit.random_uniform_, minval=0.0, maxval=scale)
    return _factory(lambda shape: fill, dtype, stream)


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
    fill = functools.partial(fastinit.random_normal_, mean=0.0, stddev=stddev)
    return _factory(lambda shape: fill, dtype, stream)


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
    fill = functools.partial(fastinit.truncated_normal_, mean=0.0, stddev=stddev, lower=lower,
                             upper=upper)
    return _factory(lambda shape: fill, dtype, stream)


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
    fill = functools.partial(fastinit.orthogonal_, gain=scale, column_axis=column_axis)
    return _factory(lambda shape: fill, dtype, stream)


def _resolve(initializer):
    """A fastinit in-place function from itself or its name (``"he_normal"``)."""
    if isinstance(initializer, str):
        name = initializer if initializer.endswith("_") else initializer + "_"
        if name not in fastinit.__all__:
            raise ValueError(f"initializer must name a fastinit initializer such as "
                             f"'he_normal', got {initializer!r}")
        return getattr(fastinit, name)
    if not callable(initializer):
        raise TypeError(f"initializer must be a fastinit in-place function or its name, "
                        f"got {type(initializer).__name__}")
    return initializer


def _block(index, shape):
    """(block shape, origin) of a shard index: one slice per axis, step 1."""
    ranges = [s.indices(n) for s, n in zip(index, shape, strict=True)]
    return (tuple(stop - start for start, stop, _ in ranges),
            tuple(start for start, _, _ in ranges))


def make_array(initializer, shape, dtype, sharding, *, seed, stream=0, **kwargs):
    """Build a sharded ``jax.Array`` whose every addressable shard fastinit fills on the host.

    Through ``jax.make_array_from_callback``: each shard is a host buffer of
    the shard's shape, filled by `initializer` with ``full_shape=shape`` and
    ``origin`` from the shard's index, then put on its device; no host buffer
    of the whole tensor exists (unless the sharding replicates it whole).

    Parameters
    ----------
    initializer : callable or str
        A fastinit in-place function such as ``fastinit.he_normal_``, or its
        name (``"he_normal"``). ``zeros_``, ``ones_``, ``constant_`` and
        ``identity_`` take no `seed`/`stream`; ``orthogonal_`` computes the
        whole matrix on the host for each shard (a QR has no shard-local form).
    shape : tuple of int
        Shape of the full array.
    dtype : dtype
        float32, float64 (with x64 enabled), float16 or bfloat16.
    sharding : jax.sharding.Sharding
        For example a ``NamedSharding`` over a mesh.
    seed : int
        fastinit seed, ``0 <= seed < 2**64``.
    stream : int or str, default 0
        fastinit stream.
    **kwargs
        The initializer's own arguments (``stddev=...``, ``mode=...``).

    Returns
    -------
    jax.Array
        Bit for bit the array ``initializer(np.empty(shape, dtype), seed=seed,
        stream=stream, **kwargs)``, whatever the mesh and partition.

    Raises
    ------
    TypeError, ValueError
        As the initializer does, before a shard is filled.

    Examples
    --------
    >>> import jax, numpy as np, fastinit, fastinit.jax
    >>> mesh = jax.make_mesh((1,), ("x",))
    >>> sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("x", None))
    >>> w = fastinit.jax.make_array("he_normal", (64, 32), np.float32, sharding, seed=0)
    >>> ref = fastinit.he_normal_(np.empty((64, 32), np.float32), seed=0)
    >>> bool((np.asarray(w) == ref).all())
    True
    """
    fill = _resolve(initializer)
    shape = V.check_shape("shape", shape)
    dtype = _host_dtype(dtype)
    accepts = inspect.signature(fill).parameters
    if "seed" in accepts:
        kwargs.update(seed=V.check_uint64("seed", seed), stream=V.check_stream(stream))
    placed = "origin" in accepts  # zeros_, ones_, constant_ need no place
    if placed:
        kwargs["full_shape"] = shape
    # Device of each shard, so the callback hands JAX device arrays and drops its
    # host buffer at once; JAX asks for the shards in this same order.
    devices = {}
    for device, index in sharding.addressable_devices_indices_map(shape).items():
        devices.setdefault(_block(index, shape), []).append(device)

    def shard(index):
        block, origin = _block(index, shape)
        buf = _host_buffer(block, dtype)
        fill(buf, origin=origin, **kwargs) if placed else fill(buf, **kwargs)
        waiting = devices.get((block, origin))
        return jax.device_put(buf, waiting.pop(0)).block_until_ready() if waiting else buf

    return jax.make_array_from_callback(shape, sharding, shard, dtype=dtype)
