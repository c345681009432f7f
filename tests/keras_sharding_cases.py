"""fastinit.keras under a Keras distribution on 8 JAX CPU devices.

Run by tests/test_keras.py with KERAS_BACKEND=jax and
XLA_FLAGS=--xla_force_host_platform_device_count=8. Keras hands a layout to an
initializer whose __call__ takes one; fastinit.keras then fills each shard on
the host (fastinit.jax.make_array) instead of the whole kernel.
"""

import keras
import numpy as np
import pytest

import fastinit
import fastinit.keras as fk

CASES = {  # class: (kwargs, the fastinit fill of the whole kernel)
    "HeNormal": ({"seed": 0}, lambda w: fastinit.he_normal_(w, seed=0)),
    "GlorotUniform": ({"seed": 1}, lambda w: fastinit.glorot_uniform_(w, seed=1)),
    "RandomNormal": ({"seed": 2, "stddev": 0.01},
                     lambda w: fastinit.random_normal_(w, seed=2, stddev=0.01)),
    "Orthogonal": ({"seed": 3}, lambda w: fastinit.orthogonal_(w, seed=3)),
    "Identity": ({"gain": 2.0}, lambda w: fastinit.identity_(w, gain=2.0)),
}
LAYOUTS = {"columns": [None, "model"], "rows": ["model", None], "both": ["data", "model"]}


@pytest.fixture(scope="module", autouse=True)
def distribution():
    assert keras.backend.backend() == "jax"
    yield
    keras.distribution.set_distribution(None)


def distribute(axes):
    mesh = keras.distribution.DeviceMesh((2, 4), ["data", "model"],
                                         keras.distribution.list_devices())
    layout_map = keras.distribution.LayoutMap(mesh)
    layout_map[".*kernel"] = keras.distribution.TensorLayout(axes)
    keras.distribution.set_distribution(
        keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="data"))


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name", list(CASES))
def test_kernel_is_sharded_as_laid_out_and_equals_the_whole_fill(name, layout):
    import jax

    assert jax.device_count() == 8
    distribute(LAYOUTS[layout])
    init = getattr(fk, name)(**CASES[name][0])
    model = keras.Sequential([
        keras.Input((64, 32)), keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu", kernel_initializer=init)])
    kernel = model.layers[1].kernel.value
    assert tuple(kernel.sharding.spec) == tuple(LAYOUTS[layout])
    assert len(kernel.addressable_shards) == 8
    np.testing.assert_array_equal(np.asarray(kernel),
                                  CASES[name][1](np.empty((2048, 128), np.float32)))


def test_attention_kernels_sharded_equal_the_unsharded_ones():
    """EinsumDense's clone with the kernel's axes fills each shard with Keras's fans."""
    def kernels():
        layer = keras.layers.MultiHeadAttention(8, 16, kernel_initializer=fk.GlorotUniform(seed=5))
        layer.build((2, 5, 64), (2, 7, 64))
        return [w.value for w in layer.weights if w.path.endswith("kernel")]

    distribute([None, "model", None])
    sharded = kernels()
    keras.distribution.set_distribution(None)
    whole = kernels()
    assert len(sharded) == len(whole) == 4
    for got, expected in zip(sharded, whole, strict=True):
        assert tuple(got.sharding.spec) == (None, "model", None)
        assert len(got.addressable_shards) == 8
        np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
