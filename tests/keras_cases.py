"""fastinit.keras on the Keras backend this interpreter was started with.

Run by tests/test_keras.py once per KERAS_BACKEND (jax, torch, numpy). The
article's model: Input (64, 32) -> Flatten -> Dense(128, relu) -> Dense(10, softmax).
"""

import contextlib
import itertools
import math
import types

import keras
import numpy as np
import pytest
import scipy.stats
from keras.src.initializers import ALL_OBJECTS_DICT
from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans

import fastinit
import fastinit.keras as fk
from fastinit._engine import laws

BACKEND = keras.backend.backend()
# Keras's own jax-backend Variable.__array__ predates NumPy 2's copy keyword.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
KERNEL = (64 * 32, 128)
FAN_IN, FAN_OUT = KERNEL
# name: (constructor kwargs, std of the distribution on KERNEL)
RANDOM = {
    "RandomUniform": ({}, 0.1 / math.sqrt(12)),
    "RandomNormal": ({"mean": 0.0, "stddev": 0.01}, 0.01),
    "TruncatedNormal": ({"stddev": 0.05}, 0.05 * 0.87962566103423978),
    "GlorotUniform": ({}, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "GlorotNormal": ({}, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    "HeUniform": ({}, math.sqrt(2 / FAN_IN)),
    "HeNormal": ({}, math.sqrt(2 / FAN_IN)),
    "LecunUniform": ({}, math.sqrt(1 / FAN_IN)),
    "LecunNormal": ({}, math.sqrt(1 / FAN_IN)),
    "VarianceScaling": ({"scale": 0.5, "mode": "fan_out", "distribution": "untruncated_normal"},
                        math.sqrt(0.5 / FAN_OUT)),
    "Orthogonal": ({"gain": 1.5}, 1.5 / math.sqrt(FAN_IN)),  # unit columns of 2048 entries
}
CONSTANT = {"Zeros": {}, "Ones": {}, "Constant": {"value": 0.25}, "Identity": {"gain": 0.5}}
ALL = [*RANDOM, *CONSTANT]
# Two-sample KS at this size (2 x 262144): reject above the alpha = 1e-6 critical
# value, a false-alarm rate of 1e-6 per comparison.
KS_ALPHA = 1e-6


def make(name, seed=0, **extra):
    kwargs = {**RANDOM[name][0], "seed": seed} if name in RANDOM else dict(CONSTANT[name])
    return getattr(fk, name)(**kwargs, **extra)


def article_model(init):
    return keras.Sequential([
        keras.Input((64, 32)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu", kernel_initializer=init),
        keras.layers.Dense(10, activation="softmax", kernel_initializer=fk.GlorotUniform(seed=1)),
    ])


def weights(model):
    return [keras.ops.convert_to_numpy(w.value) for w in model.weights]


def kernel(model):
    return weights(model)[0]


@pytest.mark.parametrize("name", list(RANDOM))
def test_kernel_has_the_distribution_of_keras_initializer(name):
    ours = kernel(article_model(make(name))).ravel().astype(np.float64)
    theirs = getattr(keras.initializers, name)(**RANDOM[name][0], seed=1234)
    theirs = keras.ops.convert_to_numpy(theirs(KERNEL)).ravel().astype(np.float64)
    statistic = scipy.stats.ks_2samp(ours, theirs).statistic
    n = ours.size
    critical = math.sqrt(-math.log(KS_ALPHA / 2) * (n + n) / (2 * n * n))
    assert statistic < critical, f"{name}: KS D = {statistic:.2e} >= {critical:.2e}"
    # std within 1%: about 8 standard errors at n = 262144 (false alarm < 1e-14)
    assert ours.std() == pytest.approx(RANDOM[name][1], rel=0.01)
    assert abs(ours.mean()) < 6 * RANDOM[name][1] / math.sqrt(n)  # 6 sigma, false alarm 2e-9


@pytest.mark.parametrize("name", list(CONSTANT))
def test_constant_kernel_equals_keras_initializer(name):
    theirs = getattr(keras.initializers, name)(**CONSTANT[name])(KERNEL)
    np.testing.assert_array_equal(kernel(article_model(make(name))),
                                  keras.ops.convert_to_numpy(theirs))


@pytest.mark.parametrize("shape", [(5,), (64, 32), (2048, 128), (3, 3, 16, 32), (2, 5, 7, 3, 4)])
def test_fans_equal_keras_fans(shape):
    assert fastinit.compute_fans(shape) == keras_compute_fans(shape)


@pytest.mark.parametrize("name", ALL)
def test_kernel_is_the_fastinit_fill_of_stream_zero(name):
    got = kernel(article_model(make(name)))
    assert got.shape == KERNEL
    assert got.dtype == np.float32
    if name in RANDOM:
        np.testing.assert_array_equal(got, make(name, stream=0)(KERNEL))


@pytest.mark.parametrize("name", ALL)
def test_second_build_with_same_seeds_is_identical(name):
    first, second = weights(article_model(make(name))), weights(article_model(make(name)))
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ALL)
def test_saved_model_reloads_with_identical_weights(name, tmp_path):
    model = article_model(make(name))
    model.save(tmp_path / "article.keras")
    loaded = keras.models.load_model(tmp_path / "article.keras")
    for a, b in zip(weights(model), weights(loaded), strict=True):
        np.testing.assert_array_equal(a, b)
    init = loaded.layers[1].kernel_initializer
    assert type(init) is getattr(fk, name)
    assert init.get_config() == make(name).get_config()


if BACKEND != "numpy":  # the numpy backend has no gradients: it cannot train

    @pytest.mark.parametrize("name", ALL)
    def test_article_model_trains_with_loss_going_down(name):
        model = article_model(make(name))
        # run_eagerly: one XLA compilation per model would dominate these few steps
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss="sparse_categorical_crossentropy", run_eagerly=True)
        rng = np.random.default_rng(0)
        x = rng.standard_normal((64, 64, 32)).astype(np.float32)
        y = rng.integers(0, 10, 64)
        losses = [float(model.train_on_batch(x, y)) for _ in range(5)]
        assert all(math.isfinite(v) for v in losses)
        assert losses[-1] < losses[0], losses


@pytest.mark.parametrize("name", ALL)
def test_config_round_trips(name):
    init = make(name, stream="dense.kernel") if name in RANDOM else make(name)
    again = type(init).from_config(init.get_config())
    assert again.get_config() == init.get_config()
    restored = keras.initializers.deserialize(keras.initializers.serialize(init))
    assert type(restored) is type(init)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(restored((16, 8))),
                                  keras.ops.convert_to_numpy(init((16, 8))))


def test_orthogonal_kernel_has_orthonormal_columns_times_gain():
    got = kernel(article_model(make("Orthogonal"))).astype(np.float64)
    np.testing.assert_allclose(got.T @ got, 1.5**2 * np.eye(KERNEL[1]), atol=1e-5)


def test_one_instance_gives_each_call_the_next_stream():
    init = fk.HeNormal(seed=3)
    first, second = (keras.ops.convert_to_numpy(init((32, 16))) for _ in range(2))
    assert not np.array_equal(first, second)
    for stream, got in enumerate((first, second)):
        np.testing.assert_array_equal(
            got, fastinit.he_normal_(np.empty((32, 16), np.float32), seed=3, stream=stream))
    fixed = fk.HeNormal(seed=3, stream="w")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(fixed((8, 8))),
                                  keras.ops.convert_to_numpy(fixed((8, 8))))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_tensor_has_the_backend_type_and_the_fastinit_bits(dtype):
    got = fk.GlorotNormal(seed=9, stream=2)((24, 40), dtype=dtype)
    assert keras.ops.is_tensor(got)
    assert keras.backend.standardize_dtype(got.dtype) == dtype
    host = fastinit.glorot_normal_(
        np.empty((24, 40), fk._dtypes_for(dtype)[1]), seed=9, stream=2).astype(np.float32)
    got = keras.ops.convert_to_numpy(keras.ops.cast(got, "float32"))
    np.testing.assert_array_equal(got, host)


def test_get_maps_every_keras_name_to_the_class_of_that_name():
    names = ["he_normal", "HeNormal", "glorot_uniform", "lecun_normal", "normal", "uniform",
             "random_normal", "truncated_normal", "variance_scaling", "zeros", "zero", "ones",
             "one", "constant", "he_uniform", "lecun_uniform", "glorot_normal", "orthogonal",
             "Orthogonal", "OrthogonalInitializer", "identity", "IdentityInitializer"]
    for name in names:
        expected = ALL_OBJECTS_DICT[name].__name__
        got = fk.get(name, seed=0)
        assert type(got).__name__ == expected
        assert type(got).__module__ == "fastinit.keras"
    assert fk.get("random_normal", seed=5, stddev=0.01).get_config()["stddev"] == 0.01
    with pytest.raises(ValueError, match="identifier must be a Keras initializer name"):
        fk.get("he_gaussian", seed=0)


def test_bad_arguments_raise_at_construction():
    with pytest.raises(TypeError, match="seed must be an integer"):
        fk.HeNormal()
    with pytest.raises(ValueError, match="minval must be"):
        fk.RandomUniform(minval=1.0, maxval=0.0, seed=0)
    with pytest.raises(ValueError, match="mode must be one of"):
        fk.VarianceScaling(mode="fan_median", seed=0)
    with pytest.raises(TypeError, match="dtype must be float32, float64, float16 or bfloat16"):
        fk.HeNormal(seed=0)((4, 4), dtype="int32")


def test_keras_distribution_spelling_normal_means_truncated():
    assert fk.VarianceScaling(distribution="Normal", seed=0).distribution == "truncated_normal"
    assert keras.initializers.VarianceScaling(distribution="normal").distribution == (
        "truncated_normal")


def test_docstring_examples_run():
    import doctest

    failures, attempted = doctest.testmod(fk, optionflags=doctest.ELLIPSIS, report=False)
    assert failures == 0
    assert attempted >= 2


# --- Keras's layers that treat Keras's own VarianceScaling specially ---------------------------
# Survey of keras/src/layers (Keras 3.15): EinsumDense.build gives an instance of
# keras.initializers.VarianceScaling that lacks input_axes/output_axes a clone carrying the
# kernel's axes (einsum_dense.py:165-178 clones through get_config/from_config, :191-197 tests
# isinstance); MultiHeadAttention and GroupQueryAttention clone their initializers with
# from_config(get_config()) for each projection, each an EinsumDense
# (multi_head_attention.py:379-399, grouped_query_attention.py:235-255); BatchNormalization
# clones for renorm (batch_normalization.py:12-27, 283, 299). Dense, Conv and Embedding call
# the initializer as given: the controls.
# name: (kwargs, (scale, mode, distribution)) of fastinit.variance_scaling_
SCALED = {
    "GlorotUniform": ({}, (1.0, "fan_avg", "uniform")),
    "GlorotNormal": ({}, (1.0, "fan_avg", "truncated_normal")),
    "HeUniform": ({}, (2.0, "fan_in", "uniform")),
    "HeNormal": ({}, (2.0, "fan_in", "truncated_normal")),
    "LecunUniform": ({}, (1.0, "fan_in", "uniform")),
    "LecunNormal": ({}, (1.0, "fan_in", "truncated_normal")),
    "VarianceScaling": ({"scale": 0.7, "mode": "fan_out", "distribution": "untruncated_normal"},
                        (0.7, "fan_out", "untruncated_normal")),
}


def _einsum(equation, output_shape, input_shape):
    def build(init):
        layer = keras.layers.EinsumDense(equation, output_shape, kernel_initializer=init)
        layer(np.zeros((2, *input_shape), np.float32))
        return layer
    return build


def _attention(cls, **kwargs):
    def build(init):
        layer = cls(**kwargs, kernel_initializer=init)
        layer.build((2, 5, 48), (2, 7, 48))  # query, value
        return layer
    return build


def _plain(cls, input_shape, *args, **kwargs):
    def build(init):
        name = "embeddings_initializer" if cls is keras.layers.Embedding else "kernel_initializer"
        layer = cls(*args, **kwargs, **{name: init})
        x = np.zeros((2, *input_shape), np.int32 if cls is keras.layers.Embedding else np.float32)
        layer(x)
        return layer
    return build


LAYERS = {  # kernel axes (input; output) in the comments, as EinsumDense computes them
    "EinsumDense ab,bc->ac": _einsum("ab,bc->ac", 48, (64,)),  # [0]; [1]
    "EinsumDense abc,cde->abde": _einsum("abc,cde->abde", (None, 8, 16), (5, 64)),  # [0]; [1, 2]
    "EinsumDense abcd,cde->abe": _einsum("abcd,cde->abe", (None, 48), (5, 8, 16)),  # [0, 1]; [2]
    "EinsumDense abc,bcd->abd": _einsum("abc,bcd->abd", (5, 48), (5, 64)),  # [1]; [0, 2]
    "EinsumDense abc,bc->abc": _einsum("abc,bc->abc", (10, 100), (10, 100)),  # []; [0, 1]
    "EinsumDense ...b,bc->...c": _einsum("...b,bc->...c", 48, (3, 64)),  # [0]; [1]
    "MultiHeadAttention 8x16": _attention(keras.layers.MultiHeadAttention, num_heads=8,
                                          key_dim=16),
    "MultiHeadAttention 2x64 value 24 gated": _attention(
        keras.layers.MultiHeadAttention, num_heads=2, key_dim=64, value_dim=24, use_gate=True),
    "MultiHeadAttention 4x8 output (6, 5)": _attention(
        keras.layers.MultiHeadAttention, num_heads=4, key_dim=8, output_shape=(6, 5)),
    "GroupQueryAttention 8/2x16": _attention(keras.layers.GroupQueryAttention, head_dim=16,
                                             num_query_heads=8, num_key_value_heads=2),
    "Dense": _plain(keras.layers.Dense, (64,), 48),
    "Conv2D": _plain(keras.layers.Conv2D, (8, 8, 6), 16, 3),
    "Embedding": _plain(keras.layers.Embedding, (4,), 100, 12),
}


@contextlib.contextmanager
def recorded(sample=False):
    """Lists of the fills of Keras's VarianceScaling (the fans it computed and the stddev or
    limit it drew with) and of fastinit's (the full shape and the law reaching the kernels),
    in call order. Keras's draws are zeros unless `sample` (Keras's jax random compiles for
    every shape: seconds per layer)."""
    from keras.src.initializers import random_initializers as keras_module

    from fastinit._engine import fill

    theirs, ours = [], []
    real_fans, real_random, real_run = keras_module.compute_fans, keras_module.random, fill.run

    def compute_fans(shape, input_axes=None, output_axes=None):
        fans = real_fans(shape, input_axes, output_axes)
        theirs.append({"shape": tuple(shape), "fans": fans})
        return fans

    def sampler(name, size):
        def draw(shape, *args, **kwargs):
            theirs[-1]["size"] = kwargs[size]
            if not sample:
                return keras.ops.zeros(shape, kwargs.get("dtype"))
            return getattr(real_random, name)(shape, *args, **kwargs)
        return draw

    def run(req, law):
        if type(law) is laws.Scaled:
            default = fastinit.compute_fans(req.full)
            ours.append({"shape": req.full, "fans": (
                default[0] if law.fan_in is None else law.fan_in,
                default[1] if law.fan_out is None else law.fan_out),
                "size": laws.resolve(law, req.full)})
        return real_run(req, law)

    keras_module.compute_fans = compute_fans
    keras_module.random = types.SimpleNamespace(**{
        **vars(real_random), "truncated_normal": sampler("truncated_normal", "stddev"),
        "normal": sampler("normal", "stddev"), "uniform": sampler("uniform", "maxval")})
    fill.run = run
    try:
        yield theirs, ours
    finally:
        keras_module.compute_fans, keras_module.random, fill.run = real_fans, real_random, real_run


def size_of(law):
    """The stddev (normal, truncated before truncation) or the limit (uniform) of a law."""
    return law.high if type(law) is laws.Uniform else law.std


def kernels(layer):
    return [keras.ops.convert_to_numpy(w.value).astype(np.float64) for w in layer.weights
            if w.path.endswith(("kernel", "embeddings"))]


def check_sample(values, size, distribution):
    """Sample std within 6 standard errors of the law's std (false alarm 2e-9 per check; the
    standard error sqrt(1 / (2n)) of a normal's sample std bounds the uniform's and the
    truncated normal's, whose kurtosis is lower) and the law's bounds."""
    n = values.size
    std = {"uniform": size / math.sqrt(3), "truncated_normal": size * 0.87962566103423978,
           "untruncated_normal": size}[distribution]
    assert values.std() == pytest.approx(std, rel=6 * math.sqrt(1 / (2 * n)))
    top = np.abs(values).max()
    if distribution == "uniform":
        assert top <= size
        assert top >= (1 - 20 / n) * size  # P(all below) = (1 - 20/n)**n < e**-20 = 2e-9
    elif distribution == "truncated_normal":
        assert top <= 2 * size * (1 + 2**-23)  # the float32 rounding of the bound


def build_both(layer, name, sample):
    """The layer built with Keras's initializer and with fastinit's (seed 7), recording both
    and checking that every fill has Keras's shape, fans and stddev or limit."""
    kwargs = SCALED[name][0]
    with recorded(sample) as (theirs, _):
        keras_kernels = kernels(LAYERS[layer](getattr(keras.initializers, name)(**kwargs,
                                                                                 seed=7)))
    with recorded() as (_, ours):
        our_kernels = kernels(LAYERS[layer](getattr(fk, name)(**kwargs, seed=7)))
    assert len(theirs) == len(ours) == len(our_kernels) == len(keras_kernels)
    for k, (their, our) in enumerate(zip(theirs, ours, strict=True)):
        assert our["shape"] == their["shape"]
        assert our["fans"] == their["fans"], f"fill {k}"
        assert size_of(our["size"]) == their["size"]  # the same float arithmetic
    return theirs, our_kernels, keras_kernels


@pytest.mark.parametrize("name", list(SCALED))
@pytest.mark.parametrize("layer", list(LAYERS))
def test_layer_kernels_get_keras_fans_and_scale_and_the_fastinit_values(layer, name):
    scale, mode, distribution = SCALED[name][1]
    theirs, our_kernels, _ = build_both(layer, name, sample=False)
    streams = []
    for got in our_kernels:
        k = next(i for i, r in enumerate(theirs) if r["shape"] == got.shape
                 and i not in streams and np.array_equal(got, fastinit.variance_scaling_(
                     np.empty(got.shape, np.float32), seed=7, stream=i, scale=scale,
                     mode=mode, distribution=distribution, fan_in=r["fans"][0],
                     fan_out=r["fans"][1])))
        streams.append(k)  # the kernel is fastinit's fill of stream k with Keras's fans
        check_sample(got, theirs[k]["size"], distribution)
    assert sorted(streams) == list(range(len(streams)))  # one stream per kernel, none repeated


# each mode and distribution once, against Keras's own draws
@pytest.mark.parametrize(("layer", "name"), [
    ("MultiHeadAttention 8x16", "GlorotUniform"), ("EinsumDense abc,bcd->abd", "HeNormal"),
    ("EinsumDense abcd,cde->abe", "VarianceScaling")])
def test_layer_kernels_have_the_spread_of_keras_kernels(layer, name):
    theirs, our_kernels, keras_kernels = build_both(layer, name, sample=True)
    for record, ours, keras_kernel in zip(theirs, our_kernels, keras_kernels, strict=True):
        assert ours.shape == keras_kernel.shape == record["shape"]
        check_sample(keras_kernel, record["size"], SCALED[name][1][2])
        # the two samples' stds: 6 standard errors sqrt(1/n) of their ratio (false alarm 2e-9)
        assert ours.std() / keras_kernel.std() == pytest.approx(1, abs=6 / math.sqrt(ours.size))


AXES = [None, [], [0], [-1], [1, 2], [0, 0], [-3, 2], (0, 1)]


@pytest.mark.parametrize("shape", [(), (7,), (0,), (24, 40), (6, 8, 10), (2, 0, 3), (3, 1, 4, 5)])
def test_input_and_output_axes_give_keras_fans_and_raise_where_keras_does(shape):
    for input_axes, output_axes in itertools.product(AXES, AXES):
        theirs = keras.initializers.HeUniform(seed=0, input_axes=input_axes,
                                              output_axes=output_axes)
        ours = fk.HeUniform(seed=0, input_axes=input_axes, output_axes=output_axes, stream=5)
        try:
            with recorded() as (their_fills, _):
                theirs(shape)
        except IndexError:  # Keras's own error; fastinit says which argument
            with pytest.raises(ValueError, match="put_axes must name axes of the"):
                ours(shape)
            continue
        with recorded() as (_, our_fills):
            got = keras.ops.convert_to_numpy(ours(shape))
        assert got.shape == shape
        if math.prod(shape) == 0:
            continue
        assert our_fills[0]["fans"] == their_fills[0]["fans"], (input_axes, output_axes)
        assert size_of(our_fills[0]["size"]) == their_fills[0]["size"]
        fan_in, fan_out = their_fills[0]["fans"]
        np.testing.assert_array_equal(got, fastinit.variance_scaling_(
            np.empty(shape, np.float32), seed=0, stream=5, scale=2.0, mode="fan_in",
            distribution="uniform", fan_in=fan_in, fan_out=fan_out))


def test_axes_that_are_not_lists_of_integers_raise_at_construction():
    for bad in (0, "01", [0, 1.0], [True]):
        with pytest.raises(TypeError, match="input_axes must be None or a list of integers"):
            fk.HeUniform(seed=0, input_axes=bad, output_axes=[1])
    with pytest.raises(TypeError, match="output_axes must be None or a list of integers"):
        fk.VarianceScaling(seed=0, input_axes=[0], output_axes=1)
    with pytest.raises(ValueError, match=r"output_axes must name axes of the 2-D shape \(4, 6\) "
                                         r"\(each in \[-2, 2\)\), got \[1, 2\]"):
        fk.HeUniform(seed=0, input_axes=[0], output_axes=[1, 2])((4, 6))


def test_batch_normalization_renorm_clone_draws_the_next_stream():
    layer = keras.layers.BatchNormalization(
        renorm=True, moving_variance_initializer=fk.RandomUniform(1.0, 2.0, seed=4))
    layer.build((None, 32))

    def fill(stream):
        return fastinit.random_uniform_(np.empty(32, np.float32), seed=4, stream=stream,
                                        minval=1.0, maxval=2.0)

    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.moving_variance), fill(0))
    # the backend's float32 sqrt of the clone's fill, stream 1
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.moving_stddev),
                               np.sqrt(fill(1)), rtol=1e-6)


def test_attention_model_saves_and_loads_with_its_fastinit_initializers(tmp_path):
    inputs = keras.Input((5, 48))
    mha = keras.layers.MultiHeadAttention(4, 8, kernel_initializer=fk.GlorotUniform(seed=2))
    einsum = keras.layers.EinsumDense("abc,cd->abd", (None, 16),
                                      kernel_initializer=fk.HeNormal(seed=3, stream="out"))
    model = keras.Model(inputs, einsum(mha(inputs, inputs)))
    model.save(tmp_path / "attention.keras")
    loaded = keras.models.load_model(tmp_path / "attention.keras")
    for a, b in zip(weights(model), weights(loaded), strict=True):
        np.testing.assert_array_equal(a, b)
    config = loaded.layers[1].get_config()["kernel_initializer"]
    assert config["registered_name"] == "fastinit>GlorotUniform"
    assert loaded.layers[2].kernel_initializer.get_config() == {
        "seed": 3, "input_axes": None, "output_axes": None, "stream": "out"}
    init = fk.HeNormal(seed=0, input_axes=(0,), output_axes=[1, 2])
    assert isinstance(init, keras.initializers.VarianceScaling)
    restored = keras.initializers.get(keras.initializers.serialize(init))
    assert type(restored) is fk.HeNormal
    assert restored.get_config() == {"seed": 0, "input_axes": [0], "output_axes": [1, 2],
                                      "stream": None}


def test_seed_is_checked_once_when_built_and_never_per_call(monkeypatch):
    from fastinit._engine import checks

    seen = []
    monkeypatch.setattr(checks, "check_seed", lambda seed, f=checks.check_seed: seen.append(
        seed) or f(seed))
    init = fk.HeNormal(seed=5)
    for _ in range(3):
        init((16, 8))
    assert seen == [5]
