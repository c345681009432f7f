"""fastinit.keras on the Keras backend this interpreter was started with.

Run by tests/test_keras.py once per KERAS_BACKEND (jax, torch, numpy). The
article's model: Input (64, 32) -> Flatten -> Dense(128, relu) -> Dense(10, softmax).
"""

import math

import keras
import numpy as np
import pytest
import scipy.stats
from keras.src.initializers import ALL_OBJECTS_DICT
from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans

import fastinit
import fastinit.keras as fk

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
