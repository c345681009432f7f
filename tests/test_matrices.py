"""fastinit.orthogonal_ and identity_ against Keras 3 and JAX themselves.

The frameworks are handed fastinit's own normal matrix (their normal sampler is
replaced for the call), so their QR, sign correction, transpose and reshape run
on the same input and must give the same matrix to float32 rounding.
"""

import os

import numpy as np
import pytest
from conftest import require

import fastinit
from fastinit._engine import formats

os.environ.setdefault("KERAS_BACKEND", "jax")

SHAPES = [(16, 16), (64, 16), (16, 64), (3, 3, 16, 32), (3, 3, 2, 64), (5, 1, 7)]
IDS = ["square", "tall", "wide", "conv-tall", "conv-wide", "3d"]


def normal_matrix(shape, seed, stream, column_axis=-1):
    """The (max, min) standard normal matrix fastinit factors, as in Keras and JAX."""
    n_cols = shape[column_axis]
    n_rows = int(np.prod(shape)) // n_cols
    a = np.empty((max(n_rows, n_cols), min(n_rows, n_cols)), np.float32)
    return fastinit.random_normal_(a, seed=seed, stream=stream, stddev=1.0)


def as_matrix(w, column_axis=-1):
    w = np.moveaxis(np.asarray(w, np.float64), column_axis, -1)
    return w.reshape(-1, w.shape[-1])


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_orthogonal_float32_is_orthogonal_to_1e5(shape):
    w = fastinit.orthogonal_(np.empty(shape, np.float32), seed=3, stream="w")
    m = as_matrix(w)
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, np.eye(len(gram)), rtol=0, atol=1e-5)


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_orthogonal_equals_keras_on_the_same_normal_matrix(shape, monkeypatch):
    keras = require("keras")
    from keras.src.initializers import random_initializers

    a = normal_matrix(shape, 4, "k")
    monkeypatch.setattr(random_initializers.random, "normal",
                        lambda flat_shape, **kw: keras.ops.convert_to_tensor(a))
    expected = np.asarray(keras.initializers.Orthogonal(gain=1.5, seed=0)(shape, "float32"))
    w = fastinit.orthogonal_(np.empty(shape, np.float32), seed=4, stream="k", gain=1.5)
    np.testing.assert_allclose(w, expected, rtol=0, atol=2e-5)


@pytest.mark.parametrize("column_axis", [-1, 0, 1])
def test_orthogonal_equals_jax_on_the_same_normal_matrix(column_axis, monkeypatch):
    jax = require("jax")
    from jax._src.random import core

    shape = (6, 4, 5)
    a = normal_matrix(shape, 5, 9, column_axis)
    monkeypatch.setattr(core, "normal", lambda key, shape, dtype: jax.numpy.asarray(a))
    init = jax.nn.initializers.orthogonal(scale=0.5, column_axis=column_axis)
    try:
        expected = np.asarray(init(jax.random.key(0), shape, jax.numpy.float32))
    finally:
        core._orthogonal.clear_cache()  # the traced constant must not outlive the patch
    w = fastinit.orthogonal_(np.empty(shape, np.float32), seed=5, stream=9, gain=0.5,
                             column_axis=column_axis)
    np.testing.assert_allclose(w, expected, rtol=0, atol=2e-5)


def test_orthogonal_is_reproducible_across_threads_and_backends(backend):
    ref = fastinit.orthogonal_(np.empty((96, 40), np.float32), seed=1, n_threads=1,
                               backend="numba")
    w = fastinit.orthogonal_(np.empty((96, 40), np.float32), seed=1, n_threads=2,
                             backend=backend)
    np.testing.assert_array_equal(w, ref)


def test_orthogonal_block_and_flat_shard_equal_slices_of_the_full_matrix():
    full = fastinit.orthogonal_(np.empty((12, 10)), seed=2, stream="x")
    block = fastinit.orthogonal_(np.empty((6, 5)), seed=2, stream="x", full_shape=(12, 10),
                                 origin=(6, 5))
    flat = fastinit.orthogonal_(np.empty(17), seed=2, stream="x", full_shape=(12, 10),
                                offset=33)
    np.testing.assert_array_equal(block, full[6:, 5:])
    np.testing.assert_array_equal(flat, full.ravel()[33:50])


def test_orthogonal_16_bit_is_the_float32_result_rounded(dtype):
    ref = fastinit.orthogonal_(np.empty((20, 8), np.float32), seed=7)
    w = fastinit.orthogonal_(np.empty((20, 8), dtype), seed=7)
    if dtype != np.float64:
        np.testing.assert_array_equal(w, ref.astype(dtype))


def test_orthogonal_columns_differ_by_seed_and_stream():
    a = fastinit.orthogonal_(np.empty((8, 8)), seed=0)
    assert not np.array_equal(a, fastinit.orthogonal_(np.empty((8, 8)), seed=1))
    assert not np.array_equal(a, fastinit.orthogonal_(np.empty((8, 8)), seed=0, stream=1))


@pytest.mark.parametrize(("kwargs", "exc", "words"), [
    ({"out": np.zeros(5)}, ValueError, "at least 2 axes for an orthogonal matrix, got (5,)"),
    ({"out": np.zeros((3, 4)), "column_axis": 2}, ValueError, "column_axis must be in [-2, 2)"),
    ({"out": np.zeros((3, 4)), "gain": float("nan")}, ValueError, "gain must be a finite"),
    ({"out": np.zeros((3, 4), np.int32)}, TypeError, "got int32"),
])
def test_orthogonal_bad_arguments_raise_before_any_write(kwargs, exc, words):
    out = kwargs["out"]
    with pytest.raises(exc, match=words.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[")):
        fastinit.orthogonal_(seed=0, **kwargs)
    assert not out.any()


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (6, 1)])
def test_identity_equals_keras_identity(shape):
    keras = require("keras")
    expected = np.asarray(keras.initializers.Identity(gain=2.5)(shape, "float32"))
    w = fastinit.identity_(np.full(shape, 9.0, np.float32), gain=2.5)
    np.testing.assert_array_equal(w, expected)


def test_identity_blocks_and_flat_shards_equal_slices_of_the_full_matrix():
    full = fastinit.identity_(np.empty((7, 9)))
    for origin in [(0, 0), (2, 3), (5, 0), (0, 6)]:
        block = fastinit.identity_(np.empty((2, 3)), full_shape=(7, 9), origin=origin)
        np.testing.assert_array_equal(block, full[origin[0]:origin[0] + 2,
                                                  origin[1]:origin[1] + 3])
    for offset in range(0, 63 - 11):
        flat = fastinit.identity_(np.empty(11), full_shape=(7, 9), offset=offset)
        np.testing.assert_array_equal(flat, full.ravel()[offset:offset + 11])


def test_identity_rejects_non_matrices():
    with pytest.raises(ValueError, match="exactly 2 axes for an identity matrix, got"):
        fastinit.identity_(np.empty((2, 2, 2)))


def test_bfloat16_identity_gain_rounds_like_constant():
    w = fastinit.identity_(np.empty((2, 2), formats.BFLOAT16), gain=0.1)
    c = fastinit.constant_(np.empty(1, formats.BFLOAT16), value=0.1)
    assert w[0, 0] == c[0]
    assert w[0, 1] == 0
