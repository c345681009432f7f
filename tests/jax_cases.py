"""fastinit.jax initializers: JAX's names and calling convention, fastinit's values.

Run by tests/test_jax.py in a subprocess (JAX stays out of the main test process).
"""

import itertools
import math

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
import scipy.stats
from jax._src.nn.initializers import _compute_fans as jax_compute_fans

import fastinit
import fastinit.jax as fj

KEY_SEED = 1234
SHAPE = (512, 256)
# factory name: (args, fastinit function, its kwargs for SHAPE)
FACTORIES = {
    "glorot_uniform": ((), fastinit.glorot_uniform_, {}),
    "glorot_normal": ((), fastinit.glorot_normal_, {}),
    "he_uniform": ((), fastinit.he_uniform_, {}),
    "he_normal": ((), fastinit.he_normal_, {}),
    "lecun_uniform": ((), fastinit.lecun_uniform_, {}),
    "lecun_normal": ((), fastinit.lecun_normal_, {}),
    "normal": ((0.5,), fastinit.random_normal_, {"mean": 0.0, "stddev": 0.5}),
    "uniform": ((0.5,), fastinit.random_uniform_, {"minval": 0.0, "maxval": 0.5}),
    "truncated_normal": ((0.5,), fastinit.truncated_normal_, {"stddev": 0.5}),
    "variance_scaling": ((0.5, "fan_out", "normal"), fastinit.variance_scaling_,
                         {"scale": 0.5, "mode": "fan_out", "distribution": "normal"}),
    "orthogonal": ((1.5,), fastinit.orthogonal_, {"gain": 1.5}),
}
# Two-sample KS at 2 x 131072 samples: reject above the alpha = 1e-6 critical value,
# a false-alarm rate of 1e-6 per comparison.
KS_ALPHA = 1e-6


def host(name, shape=SHAPE, dtype=np.float32, seed=KEY_SEED, stream=0):
    _, func, kwargs = FACTORIES[name]
    return func(np.empty(shape, dtype), seed=seed, stream=stream, **kwargs)


@pytest.mark.parametrize("name", list(FACTORIES))
def test_initializer_equals_fastinit_fill_of_key_seed(name):
    init = getattr(fj, name)(*FACTORIES[name][0])
    got = init(jax.random.key(KEY_SEED), SHAPE)
    assert got.dtype == jnp.float32
    np.testing.assert_array_equal(np.asarray(got), host(name))


@pytest.mark.parametrize("name", list(FACTORIES))
def test_initializer_has_the_distribution_of_jax_initializer(name):
    ours = np.asarray(getattr(fj, name)(*FACTORIES[name][0])(jax.random.key(0), SHAPE))
    theirs = np.asarray(getattr(jax.nn.initializers, name)(*FACTORIES[name][0])(
        jax.random.key(0), SHAPE))
    n = ours.size
    critical = math.sqrt(-math.log(KS_ALPHA / 2) * (n + n) / (2 * n * n))
    assert scipy.stats.ks_2samp(ours.ravel(), theirs.ravel()).statistic < critical
    # std within 2%: about 11 standard errors at n = 131072 (false alarm < 1e-20)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)


@pytest.mark.parametrize(("shape", "axes"), [
    ((64, 32), {}), ((3, 3, 16, 32), {}), ((16, 4, 80), {"in_axis": 0, "out_axis": 2}),
    ((5, 6, 7, 80), {"in_axis": (0, 1), "out_axis": -1}),
    ((4, 60, 80), {"batch_axis": 0}), ((2, 3, 60, 80), {"batch_axis": (0, 1)}),
])
def test_fans_equal_jax_fans(shape, axes):
    assert fj.jax_fans(shape, **axes) == jax_compute_fans(shape, **axes)
    init = fj.variance_scaling(1.0, "fan_in", "uniform", **axes)
    bound = math.sqrt(3.0 / jax_compute_fans(shape, **axes)[0])
    got = np.asarray(init(jax.random.key(0), shape))
    assert np.abs(got).max() <= bound
    # the bound is reached, so the fan is not larger: P(max < 0.99 b) = 0.99**n < 1e-8
    assert np.abs(got).max() > 0.99 * bound


FAN_SHAPES = [(), (7,), (0,), (4, 5), (0, 5), (3, 0, 4), (2, 3, 4), (2, 3, 4, 5),
              (2, 3, 0, 4, 5), (1, 2, 3, 4, 5)]
IN_AXES = [-2, -1, 0, 1, 3, -6, (), (0,), (0, 1), (-1, -2), (0, 0)]
OUT_AXES = [-1, 0, 2, (), (1, 2), [-3]]
BATCH_AXES = [(), 0, -1, (0, 1)]
# JAX's exception -> fastinit's (type, message) for the same arguments
JAX_ERRORS = {ValueError: (ValueError, "at least 2 axes"),
              IndexError: (ValueError, "must name axes of the"),
              ZeroDivisionError: (ValueError, "must have no zero-size axis")}


@pytest.mark.parametrize("shape", FAN_SHAPES)
def test_fans_equal_jax_fans_or_raise_where_jax_raises(shape):
    for in_axis, out_axis, batch_axis in itertools.product(IN_AXES, OUT_AXES, BATCH_AXES):
        axes = {"in_axis": in_axis, "out_axis": out_axis, "batch_axis": batch_axis}
        try:
            theirs = jax_compute_fans(shape, **axes)
        except (ValueError, IndexError, ZeroDivisionError) as error:
            kind, message = JAX_ERRORS[type(error)]
            with pytest.raises(kind, match=message):
                fj.jax_fans(shape, **axes)
            continue
        ours = fj.jax_fans(shape, **axes)
        assert ours == theirs, axes  # JAX's floats, to the last bit
        assert all(type(fan) is float for fan in ours)


# (shape, axes): JAX's variance_scaling fills or raises, and fastinit.jax's does the same
FACTORY_CASES = [
    ((7,), {"in_axis": 0, "out_axis": 0}), ((), {"in_axis": (), "out_axis": ()}),
    ((6, 4), {"in_axis": 0, "out_axis": 0}), ((6, 4), {"in_axis": (0, 0), "out_axis": 1}),
    ((3, 5, 4), {"in_axis": (0, 1), "out_axis": (1, 2)}), ((3, 5, 4), {"in_axis": ()}),
    ((2, 3, 4, 5), {"in_axis": -3, "out_axis": 0, "batch_axis": (1, -1)}),
    ((8,), {}), ((4, 5), {"in_axis": 2}), ((0, 5), {}), ((3, 0, 4), {}), ((0, 3, 4), {}),
    ((3, 0, 4), {"batch_axis": 0}), ((4, 5), {"in_axis": 1.5}),
]


@pytest.mark.parametrize(("shape", "axes"), FACTORY_CASES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
def test_variance_scaling_fills_with_jax_fans_or_raises_where_jax_raises(shape, axes, mode):
    try:
        jax.nn.initializers.variance_scaling(1.5, mode, "uniform", **axes)(jax.random.key(3),
                                                                            shape)
    except (ValueError, IndexError, ZeroDivisionError, TypeError) as error:
        kind, message = {**JAX_ERRORS, TypeError: (TypeError, "an integer or a sequence")}[
            type(error)]
        groups = {"in_axis": -2, "out_axis": -1, "batch_axis": (), **axes}.values()
        if type(error) is ZeroDivisionError and not any(
                shape[a] == 0 for a in itertools.chain.from_iterable(
                    (v,) if isinstance(v, int) else v for v in groups)):
            message = "must not be empty"  # a receptive axis is 0: JAX divides by 0 fans
        with pytest.raises(kind, match=message):
            fj.variance_scaling(1.5, mode, "uniform", **axes)(jax.random.key(3), shape)
        return
    fan_in, fan_out = jax_compute_fans(shape, **axes)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    got = np.asarray(fj.variance_scaling(1.5, mode, "uniform", **axes)(jax.random.key(3), shape))
    bound = math.sqrt(3.0 * (1.5 / fan))  # fastinit's arithmetic on JAX's fan
    np.testing.assert_array_equal(got, fastinit.random_uniform_(
        np.empty(shape, np.float32), seed=3, minval=-bound, maxval=bound))


def test_axes_that_are_not_integers_raise_when_the_initializer_is_built():
    for bad in (1.5, "ab", True, [0, 1.0], None):
        with pytest.raises(TypeError, match="in_axis must be an integer or a sequence of integers"):
            fj.he_normal(in_axis=bad)
    with pytest.raises(TypeError, match="batch_axis must be an integer or a sequence"):
        fj.variance_scaling(1.0, "fan_in", "normal", batch_axis=[False])
    with pytest.raises(ValueError, match="must not be empty for a variance-scaling initializer"):
        fj.glorot_uniform()(jax.random.key(0), (0, 3, 4))


def test_key_words_are_the_seed():
    assert fj.key_to_seed(jax.random.key(42)) == 42
    assert fj.key_to_seed(jax.random.PRNGKey(42)) == 42
    raw = jnp.array([3, 5], dtype=jnp.uint32)
    assert fj.key_to_seed(raw) == (3 << 32) | 5
    got = fj.he_normal()(raw, (8, 8))
    np.testing.assert_array_equal(np.asarray(got), fastinit.he_normal_(
        np.empty((8, 8), np.float32), seed=(3 << 32) | 5))
    with pytest.raises(TypeError, match="key must be a single threefry2x32 key"):
        fj.he_normal()(jnp.zeros(4, jnp.uint32), (8, 8))


def test_stream_and_dtype_follow_the_factory_and_the_call():
    key = jax.random.key(9)
    got = fj.he_normal(stream="dense.kernel", dtype=jnp.bfloat16)(key, (32, 16))
    assert got.dtype == jnp.bfloat16
    expected = fastinit.he_normal_(np.empty((32, 16), ml_dtypes.bfloat16), seed=9,
                                   stream="dense.kernel")
    np.testing.assert_array_equal(np.asarray(got).view(np.uint16), expected.view(np.uint16))
    f16 = fj.he_normal(stream="dense.kernel")(key, (32, 16), jnp.float16)
    assert f16.dtype == jnp.float16
    with pytest.raises(TypeError, match="dtype must be float32, float64, float16 or bfloat16"):
        fj.he_normal()(key, (4, 4), jnp.int32)


def test_bfloat16_keeps_the_exact_distribution_resolution():
    # bfloat16 values are the float32 samples rounded: thousands of distinct values
    got = np.asarray(fj.he_normal()(jax.random.key(0), (1024, 1024), jnp.bfloat16))
    assert np.unique(got.view(np.uint16)).size > 2000


def test_inside_jit_and_vmap_the_callback_gives_the_same_bits():
    init = fj.glorot_normal(stream=4)
    eager = np.asarray(init(jax.random.key(5), (64, 32)))
    jitted = jax.jit(lambda k: init(k, (64, 32)))(jax.random.key(5))
    np.testing.assert_array_equal(np.asarray(jitted), eager)
    keys = jax.random.split(jax.random.key(5), 3)
    batched = np.asarray(jax.vmap(lambda k: init(k, (64, 32)))(keys))
    for i in range(3):
        np.testing.assert_array_equal(batched[i], np.asarray(init(keys[i], (64, 32))))
    with pytest.raises(ValueError, match="mode must be one of"):
        jax.jit(lambda k: fj.variance_scaling(1.0, "fan_sum", "uniform")(k, (4, 4)))(
            jax.random.key(0))


def test_default_axes_need_two_dimensions_as_in_jax():
    with pytest.raises(ValueError, match="at least 2 axes"):
        fj.he_normal()(jax.random.key(0), (8,))
    with pytest.raises(ValueError, match="at least 2D"):
        jax.nn.initializers.he_normal()(jax.random.key(0), (8,))


def test_zeros_ones_constant_are_jax_own():
    key = jax.random.key(0)
    assert float(fj.zeros(key, (2, 2)).sum()) == 0.0
    assert float(fj.ones(key, (2, 2)).sum()) == 4.0
    assert float(fj.constant(-7.0)(key, (2, 2)).sum()) == -28.0


def test_flax_linen_model_initialized_by_fastinit_trains():
    from flax import linen as nn

    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = x.reshape((x.shape[0], -1))
            x = nn.relu(nn.Dense(128, kernel_init=fj.he_normal(stream="hidden"))(x))
            return nn.Dense(10, kernel_init=fj.glorot_uniform(stream="out"))(x)

    model = MLP()
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((64, 64, 32)), jnp.float32)
    y = jnp.asarray(rng.integers(0, 10, 64))
    params = jax.jit(model.init)(jax.random.key(0), x)  # traced keys: the callback path
    eager = model.init(jax.random.key(0), x)
    for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(eager), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

    def loss_fn(p):
        logits = model.apply(p, x)
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))

    @jax.jit
    def step(p):
        loss, grads = jax.value_and_grad(loss_fn)(p)
        return jax.tree.map(lambda w, g: w - 0.05 * g, p, grads), loss

    losses = []
    for _ in range(5):
        params, loss = step(params)
        losses.append(float(loss))
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0], losses


def test_docstring_examples_run():
    import doctest

    from fastinit.jax import _arrays

    for module, examples in ((fj, 10), (_arrays, 4)):
        failures, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS,
                                              report=False)
        assert failures == 0
        assert attempted >= examples


@pytest.mark.parametrize("name", sorted(set(fj.__all__) - {"zeros", "ones", "constant"}))
def test_parameters_section_names_exactly_the_signature(name):
    import inspect

    from test_docs import documented_parameters

    func = getattr(fj, name)
    documented = [p.lstrip("*") for p in documented_parameters(func.__doc__)]
    assert documented == list(inspect.signature(func).parameters)


def test_make_array_checks_its_seed_once_for_every_shard(monkeypatch):
    from fastinit._engine import checks

    seen = []
    monkeypatch.setattr(checks, "check_seed", lambda seed, f=checks.check_seed: seen.append(
        seed) or f(seed))
    mesh = jax.make_mesh((len(jax.devices()),), ("x",))  # a shard per device
    sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("x", None))
    w = fj.make_array("he_normal", (64, 32), np.float32, sharding, seed=4)
    assert len(w.addressable_shards) == len(jax.devices())
    assert seen == [4]
    assert (np.asarray(w) == fastinit.he_normal_(np.empty((64, 32), np.float32), seed=4)).all()
