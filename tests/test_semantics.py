"""Names mean what they mean in Keras 3 and JAX, checked against the frameworks themselves.

Statistical checks use fixed seeds; each states its false-alarm rate.
"""

import inspect
import math
import os

import numpy as np
from conftest import as_bytes, require

import fastinit


def test_fan_geo_avg_is_the_geometric_mean_of_the_fans(backend):
    # fans 64 and 256: sqrt(64 * 256) = 128, so scale 2 gives stddev sqrt(2/128) = 1/8
    a = fastinit.variance_scaling_(np.empty((64, 256), np.float32), seed=4, scale=2.0,
                                   mode="fan_geo_avg", distribution="normal", backend=backend)
    b = fastinit.random_normal_(np.empty((64, 256), np.float32), seed=4, stddev=0.125,
                                backend=backend)
    assert as_bytes(a) == as_bytes(b)


def test_fan_geo_avg_matches_jax():
    jax = require("jax")
    shape = (3, 3, 32, 200)  # fans 288 and 1800
    init = jax.nn.initializers.variance_scaling(2.0, "fan_geo_avg", "uniform")
    theirs = np.asarray(init(jax.random.key(0), shape, np.float32), np.float64)
    ours = fastinit.variance_scaling_(np.empty(shape, np.float64), seed=0, scale=2.0,
                                      mode="fan_geo_avg", distribution="uniform")
    b = math.sqrt(3 * 2.0 / math.sqrt(288 * 1800))
    # both U(-b, b); maxima of 57600 uniforms sit within b*1e-3 of b (fails with
    # probability e**-57.6 each); the std within 1% (over 20 standard errors)
    for x in (theirs, ours):
        assert b * (1 - 1e-3) < np.abs(x).max() < b
        assert abs(x.std() / (b / math.sqrt(3)) - 1) < 0.01


def test_normal_distribution_is_jax_untruncated_normal_not_keras(monkeypatch):
    jax = require("jax")
    monkeypatch.setenv("KERAS_BACKEND", os.environ.get("KERAS_BACKEND", "jax"))
    keras = require("keras")
    # JAX "normal" reaches beyond 2 sigma; Keras 3 reads "normal" as truncated
    init = jax.nn.initializers.variance_scaling(1.0, "fan_in", "normal")
    theirs = np.asarray(init(jax.random.key(1), (100, 1000), np.float32))
    ours = fastinit.variance_scaling_(np.empty((100, 1000), np.float32), seed=1,
                                      distribution="normal")
    sigma = math.sqrt(1 / 100)
    # P(|z| > 3) = 0.0027: about 270 of 1e5 samples; zero would have probability e**-270
    for x in (theirs, ours):
        assert (np.abs(x) > 3 * sigma).sum() > 100
    vs = keras.initializers.VarianceScaling(distribution="normal")
    assert vs.distribution == "truncated_normal"
    same = fastinit.variance_scaling_(np.empty((100, 1000), np.float32), seed=1,
                                      distribution="untruncated_normal")
    assert as_bytes(same) == as_bytes(ours)


def test_lecun_uniform_docstring_states_the_torch_relation():
    torch = require("torch")
    doc = inspect.getdoc(fastinit.lecun_uniform_)
    assert "is close" not in doc
    assert "a third of this variance" in doc
    # what the docstring says, checked against torch itself
    torch.manual_seed(0)
    fan_in = 256
    w_linear = torch.empty(64, fan_in)
    torch.nn.init.kaiming_uniform_(w_linear, nonlinearity="linear")
    w_default = torch.empty(4096, fan_in)
    torch.nn.init.kaiming_uniform_(w_default, a=math.sqrt(5))
    ours = fastinit.lecun_uniform_(np.empty((fan_in, 4096), np.float32), seed=0)
    lecun_var = 1 / fan_in
    # 2**20 uniforms: the variance within 1% (the standard error is 0.09%)
    assert abs(ours.var() / lecun_var - 1) < 0.01
    assert abs(float(w_default.var()) / (lecun_var / 3) - 1) < 0.01
    assert float(w_linear.abs().max()) <= math.sqrt(3 / fan_in)
