"""fastinit.jax.make_array on 8 host-platform CPU devices.

Run by tests/test_jax.py in a subprocess with
XLA_FLAGS=--xla_force_host_platform_device_count=8, set before JAX is imported.
"""

import contextlib
import gc
import tracemalloc

import jax
import ml_dtypes
import numpy as np
import pytest
from cases import CASES as REGISTRY
from jax.sharding import AxisType, NamedSharding
from jax.sharding import PartitionSpec as P

import fastinit
import fastinit.jax as fj
from fastinit.jax import _arrays

DTYPES = [np.float32, ml_dtypes.bfloat16]
MESHES = {"1d": ((8,), ("x",)), "2d": ((4, 2), ("x", "y"))}
SPECS = {
    "1d": [P("x", None), P(None, "x"), P(), P("x")],
    "2d": [P("x", None), P(None, "x"), P("x", "y"), P("y", "x"), P(("x", "y"), None),
           P("y", None), P(None, ("y", "x")), P()],
}
CASES = [(mesh, spec) for mesh, specs in SPECS.items() for spec in specs]
# Shapes that do not divide by all 8 devices, only by the axes they are cut along.
SHAPES = [(64, 48), (24, 40), (8, 8)]


def mesh_of(name):
    return jax.make_mesh(*MESHES[name])


def bits(a):
    a = np.asarray(a)
    return a.view(np.uint16) if a.dtype.itemsize == 2 else a


def test_eight_devices():
    assert jax.device_count() == 8


@pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "bf16"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize(("mesh", "spec"), CASES, ids=[f"{m}-{s}" for m, s in CASES])
def test_sharded_array_equals_single_device_fill(mesh, spec, shape, dtype):
    sharding = NamedSharding(mesh_of(mesh), spec)
    got = fj.make_array(fastinit.he_normal_, shape, dtype, sharding, seed=11, stream="w")
    assert got.sharding == sharding
    assert got.shape == shape
    expected = fastinit.he_normal_(np.empty(shape, dtype), seed=11, stream="w")
    np.testing.assert_array_equal(bits(got), bits(expected))
    single = fj.he_normal(stream="w", dtype=dtype)(jax.random.key(11), shape)
    np.testing.assert_array_equal(bits(single), bits(expected))
    for shard in got.addressable_shards:
        np.testing.assert_array_equal(bits(shard.data), bits(expected[shard.index]))


# every float row of the registry (tests/cases.py), by its name without the underscore
FLOAT_ROWS = [case for case in REGISTRY if case.kind != "bits"]


@pytest.mark.parametrize("case", FLOAT_ROWS, ids=[case.id for case in FLOAT_ROWS])
def test_every_initializer_by_name_with_its_arguments(case):
    sharding = NamedSharding(mesh_of("2d"), P("x", "y"))
    got = fj.make_array(case.name.rstrip("_"), (16, 32), np.float32, sharding, seed=3, stream=1,
                        **case.kwargs)
    expected = case.call(np.empty((16, 32), np.float32), seed=3, stream=1)
    np.testing.assert_array_equal(np.asarray(got), expected)


def test_uneven_partitions_are_refused_by_jax_itself():
    # JAX cannot build an array whose axis does not divide by the mesh axis it is cut along
    sharding = NamedSharding(mesh_of("1d"), P("x", None))
    with pytest.raises(ValueError, match="evenly divide"):
        fj.make_array("he_normal", (10, 4), np.float32, sharding, seed=0)


def test_initializer_with_out_sharding_fills_shard_by_shard():
    sharding = NamedSharding(mesh_of("2d"), P("y", "x"))
    got = fj.glorot_uniform(stream=2)(jax.random.key(4), (32, 16), out_sharding=sharding)
    assert got.sharding == sharding
    expected = fastinit.glorot_uniform_(np.empty((32, 16), np.float32), seed=4, stream=2)
    np.testing.assert_array_equal(np.asarray(got), expected)
    auto = NamedSharding(jax.make_mesh(*MESHES["2d"], axis_types=(AxisType.Auto,) * 2),
                         P("y", "x"))
    # under jit, Explicit mesh axes need the mesh set (jax.set_mesh sets it when called)
    for placed, context in ((auto, contextlib.nullcontext), (sharding, jax.set_mesh)):
        init = fj.glorot_uniform(stream=2)
        with context(placed.mesh):
            got = jax.jit(lambda k, s=placed, f=init: f(k, (32, 16), out_sharding=s))(
                jax.random.key(4))
        assert got.sharding == placed
        np.testing.assert_array_equal(np.asarray(got), expected)


def transient_host_bytes(build):
    """Peak of traced (NumPy) host allocations above what the result still holds.

    On CPU devices a shard's host buffer may become the device buffer itself
    (no copy); it then stays traced and is not counted as transient.
    """
    build().block_until_ready()  # warm up JAX
    gc.collect()
    tracemalloc.start()
    try:
        out = build()
        out.block_until_ready()
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del out
    return peak - current


def test_peak_host_memory_is_about_one_shard(monkeypatch):
    shape, tensor = (2048, 1024), 2048 * 1024 * 4  # 8 MiB, 1 MiB per shard
    sharding = NamedSharding(mesh_of("1d"), P("x", None))
    requested = []
    allocate = _arrays._host_buffer
    monkeypatch.setattr(_arrays, "_host_buffer",
                        lambda s, d: requested.append(s) or allocate(s, d))

    def build():
        return fj.make_array("he_normal", shape, np.float32, sharding, seed=0)

    transient = transient_host_bytes(build)
    assert set(requested) == {(256, 1024)}  # only shard-sized host buffers
    # the shard being filled, and the previous one until JAX has let go of it
    assert transient <= 2 * tensor // 8 + 2**16

    def whole_tensor_on_host():
        host = fastinit.he_normal_(np.empty(shape, np.float32), seed=0)
        return jax.device_put(jax.numpy.array(host), sharding)

    # the same measure sees a whole-tensor host buffer
    assert transient_host_bytes(whole_tensor_on_host) >= tensor


def test_bad_arguments_raise():
    sharding = NamedSharding(mesh_of("1d"), P("x"))
    with pytest.raises(ValueError, match="initializer must name a fastinit initializer"):
        fj.make_array("he_gaussian", (8,), np.float32, sharding, seed=0)
    with pytest.raises(TypeError, match="seed must be an integer"):
        fj.make_array("he_normal", (8, 8), np.float32, sharding, seed=-1.5)
    with pytest.raises(TypeError, match="dtype must be float32"):
        fj.make_array("he_normal", (8, 8), np.int8, sharding, seed=0)
