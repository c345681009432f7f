"""Sharded JAX arrays filled shard by shard on the host: ``fastinit.jax.make_array``.

Imports ``jax``; only ``fastinit.jax`` imports this module.
"""

import math
import mmap

import jax
import jax.numpy as jnp
import numpy as np

from .. import _fillers, initializers, matrices
from .._engine import checks, framework_checks, request


def _host_dtype(dtype):
    """The numpy dtype JAX will hold (float64 only with x64 enabled)."""
    dtype = np.dtype(jax.dtypes.canonicalize_dtype(jnp.float64 if dtype is None else dtype))
    framework_checks.check_float_dtype(dtype)
    return dtype


# XLA:CPU adopts a host buffer with this alignment instead of copying it.
_ALIGN = 64
# From this size on a fresh buffer is mapped on its own and asks the kernel for
# transparent huge pages (Linux ``madvise``): the fill's first touch then takes
# one page fault per 2 MiB instead of one per 4 KiB, a sizeable share of the
# time of a fill that runs at several GB/s. Pages are page-aligned, so _ALIGN holds.
_HUGE_MIN_BYTES = 1 << 22


def _host_buffer(shape, dtype):
    """An uninitialized C-ordered array whose data is _ALIGN-byte aligned."""
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes >= _HUGE_MIN_BYTES and hasattr(mmap, "MADV_HUGEPAGE"):
        pages = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        pages.madvise(mmap.MADV_HUGEPAGE)
        # the array holds the mapping; it is unmapped when the last view goes
        return np.frombuffer(pages, dtype).reshape(shape)
    raw = np.empty(nbytes + _ALIGN, np.uint8)
    start = -raw.ctypes.data % _ALIGN
    return raw[start:start + nbytes].view(dtype).reshape(shape)


def _resolve(initializer):
    """A fastinit in-place function from itself or its name (``"he_normal"``)."""
    if isinstance(initializer, str):
        name = initializer if initializer.endswith("_") else initializer + "_"
        for module in (initializers, matrices):
            if name in module.__all__:
                return getattr(module, name)
        raise ValueError(framework_checks.JAX_INITIALIZER_NAME.format(initializer))
    if not callable(initializer):
        raise TypeError(framework_checks.JAX_INITIALIZER_TYPE.format(type(initializer).__name__))
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
    fill_part, random = _fillers.filler(_resolve(initializer), **kwargs)
    keys = request.keys(seed, stream) if random else None
    shape = checks.check_shape("shape", shape)
    dtype = _host_dtype(dtype)
    return place_filled(lambda out, full_shape, origin: fill_part(out, keys, full_shape, origin),
                        shape, dtype, sharding)


def place_filled(fill_part, shape, dtype, sharding):
    """A ``jax.Array`` of ``shape`` whose shards ``fill_part(out, full_shape, origin)`` fills."""
    # Device of each shard, so the callback hands JAX device arrays and drops its
    # host buffer at once; JAX asks for the shards in this same order.
    devices = {}
    for device, index in sharding.addressable_devices_indices_map(shape).items():
        devices.setdefault(_block(index, shape), []).append(device)

    def shard(index):
        block, origin = _block(index, shape)
        buf = _host_buffer(block, dtype)
        fill_part(buf, shape, origin)
        waiting = devices.get((block, origin))
        return jax.device_put(buf, waiting.pop(0)).block_until_ready() if waiting else buf

    return jax.make_array_from_callback(shape, sharding, shard, dtype=dtype)
