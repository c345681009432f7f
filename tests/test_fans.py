"""Fans (Keras 3 / JAX rules), the variance-scaling arithmetic, and full-shape fans for shards.

Expected numbers are worked out by hand in the comments (decimal values to
40 digits, rounded), never recomputed with the library's own formulas.
"""

import math

import numpy as np
import pytest
from cases import SPECIALIZATIONS
from conftest import as_bytes

import fastinit
from fastinit._engine import constants, fans

# -- compute_fans ----------------------------------------------------------------------------

FAN_CASES = [
    # shape, kwargs, (fan_in, fan_out)
    ((), {}, (1, 1)),                                   # scalar
    ((7,), {}, (7, 7)),                                 # 1-D: (n, n)
    ((1,), {}, (1, 1)),
    ((5, 3), {}, (5, 3)),                               # dense (in, out)
    ((3, 4, 8), {}, (3 * 4, 3 * 8)),                    # conv1d (k, in, out)
    ((3, 5, 4, 8), {}, (15 * 4, 15 * 8)),               # conv2d (kh, kw, in, out)
    ((3, 3, 64, 128), {}, (576, 1152)),
    ((2, 3, 5, 4, 8), {}, (30 * 4, 30 * 8)),            # conv3d (kd, kh, kw, in, out)
    ((8, 4, 3, 5), {"in_axis": 1, "out_axis": 0}, (4 * 15, 8 * 15)),      # torch conv2d
    ((8, 4), {"in_axis": 1, "out_axis": 0}, (4, 8)),    # torch Linear (out, in)
    ((8, 4, 3), {"in_axis": 1, "out_axis": 0}, (4 * 3, 8 * 3)),           # torch conv1d
    ((4, 6, 5), {"in_axis": 0, "out_axis": 2}, (4 * 6, 5 * 6)),           # custom axes
    ((4, 6, 5), {"in_axis": 2, "out_axis": 0}, (5 * 6, 4 * 6)),
    ((4, 6, 5), {"in_axis": -3, "out_axis": -2}, (4 * 5, 6 * 5)),
    ((5, 3), {"in_axis": -1, "out_axis": -2}, (3, 5)),  # transposed dense
    ((0, 3), {}, (0, 3)),                               # zero-size shapes are plain products
]


@pytest.mark.parametrize(("shape", "kw", "expected"), FAN_CASES, ids=lambda v: str(v))
def test_compute_fans_matches_keras_jax(shape, kw, expected):
    got = fastinit.compute_fans(shape, **kw)
    assert got == expected
    assert all(type(f) is int for f in got)


def test_compute_fans_private_and_public_agree_on_positional_axes():
    assert fans.compute_fans((8, 4, 3, 5), 1, 0) == (60, 120)
    assert fans.compute_fans((3, 5, 4, 8)) == (60, 120)


def test_compute_fans_accepts_lists_and_numpy_shapes():
    assert fastinit.compute_fans([3, 5, 4, 8]) == (60, 120)
    assert fastinit.compute_fans(np.empty((3, 5, 4, 8)).shape) == (60, 120)
    assert fastinit.compute_fans(np.array([3, 5, 4, 8])) == (60, 120)


def test_compute_fans_axes_are_keyword_only():
    with pytest.raises(TypeError):
        fastinit.compute_fans((8, 4), 1, 0)


@pytest.mark.parametrize(("shape", "kw", "exc", "match"), [
    ((3, -1), {}, ValueError, r"^shape must be a tuple of non-negative integers, got \(3, -1\)$"),
    (5, {}, TypeError, r"^shape must be a tuple of non-negative integers, got 5$"),
    (None, {}, TypeError, r"^shape must be .+, got None$"),
    ((4, 5), {"in_axis": 2}, ValueError, r"^in_axis must be in \[-2, 2\) .*, got 2$"),
    ((4, 5), {"out_axis": -3}, ValueError, r"^out_axis must be in \[-2, 2\) .*, got -3$"),
    ((4, 5, 6), {"in_axis": 3}, ValueError, r"^in_axis must be in \[-3, 3\) .*, got 3$"),
    ((4, 5), {"in_axis": -1, "out_axis": 1}, ValueError,
     r"^in_axis and out_axis must name different axes, got -1 and 1$"),
    ((4, 5, 6), {"in_axis": 0, "out_axis": -3}, ValueError,
     r"^in_axis and out_axis must name different axes, got 0 and -3$"),
    ((4, 5), {"in_axis": 1.0}, TypeError, r"^in_axis must be an integer, got 1\.0$"),
    ((4, 5), {"out_axis": "0"}, TypeError, r"^out_axis must be an integer, got '0'$"),
    ((4, 5), {"out_axis": None}, TypeError, r"^out_axis must be an integer, got None$"),
], ids=lambda v: str(v))
def test_compute_fans_errors(shape, kw, exc, match):
    with pytest.raises(exc, match=match):
        fastinit.compute_fans(shape, **kw)


# -- the scalar arithmetic -------------------------------------------------------------------


def test_truncation_correction_is_the_keras_jax_constant():
    # std of a standard normal truncated to (-2, 2): keras/jax hard-code .87962566103423978
    assert constants.TRUNC_NORMAL_STD_CORRECTION == 0.87962566103423978


@pytest.mark.parametrize(("fan_in", "fan_out", "mode", "fan"), [
    (64, 32, "fan_in", 64), (64, 32, "fan_out", 32), (64, 32, "fan_avg", 48.0),
    (3, 4, "fan_avg", 3.5),          # a true mean, not integer division
    (1, 1, "fan_avg", 1.0), (576, 1152, "fan_avg", 864.0),
])
def test_fan_for_mode(fan_in, fan_out, mode, fan):
    got = fans.fan_for_mode(fan_in, fan_out, mode)
    assert got == fan
    assert type(got) is type(fan)


@pytest.mark.parametrize(("scale", "fan", "distribution", "kind", "value"), [
    # sqrt(2/64) / .87962566103423978 = 0.20096809714349133530...
    (2.0, 64, "truncated_normal", "truncated_normal", 0.2009680971434913353),
    # sqrt(1/48) / .87962566103423978 = 0.16408976419321178000...
    (1.0, 48.0, "truncated_normal", "truncated_normal", 0.1640897641932117800),
    # sqrt(1.5/3.5) / .87962566103423978 = 0.74424121499394784974...
    (1.5, 3.5, "truncated_normal", "truncated_normal", 0.7442412149939478497),
    # sqrt(2/10) = 0.44721359549995793928...
    (2.0, 10, "normal", "normal", 0.4472135954999579393),
    (2.0, 10, "untruncated_normal", "normal", 0.4472135954999579393),
    (1.0, 100, "normal", "normal", 0.1),
    # sqrt(3 * 2/64) = sqrt(6/64) = 0.30618621784789726227...
    (2.0, 64, "uniform", "uniform", 0.3061862178478972623),
    # sqrt(3 * 1/48) = 1/4 exactly (glorot_uniform on (64, 32))
    (1.0, 48.0, "uniform", "uniform", 0.25),
    # sqrt(3 * 1/576) = sqrt(6/1152): glorot_uniform on (64, 512), 0.10206207261596575409...
    (1.0, 288.0, "uniform", "uniform", 0.1020620726159657541),
    # sqrt(3 * 0.5/7) = 0.46291004988627573078...
    (0.5, 7, "uniform", "uniform", 0.4629100498862757308),
])
def test_variance_scaling_params_by_hand(scale, fan, distribution, kind, value):
    got_kind, got_value = fans.variance_scaling_params(scale, fan, distribution)
    assert got_kind == kind
    assert got_value == pytest.approx(value, rel=4e-16, abs=0)


# -- the named initializers are variance_scaling_ specializations, byte for byte -------------

# name -> (scale, mode, distribution), from the registry (tests/cases.py)
ALIASES = SPECIALIZATIONS


def test_the_registry_names_the_six_specializations():
    assert {"glorot_uniform_", "glorot_normal_", "he_uniform_", "he_normal_", "lecun_uniform_",
            "lecun_normal_"} <= set(ALIASES)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", ALIASES)
def test_alias_equals_its_variance_scaling_call(name, dtype, backend):
    scale, mode, dist = ALIASES[name]
    shape = (3, 5, 16, 40)  # fan_in 240, fan_out 600: a wrong mode changes every value
    alias = getattr(fastinit, name)(np.empty(shape, dtype), seed=9, stream="c", backend=backend)
    vs = fastinit.variance_scaling_(np.empty(shape, dtype), seed=9, stream="c", scale=scale,
                                    mode=mode, distribution=dist, backend=backend)
    assert as_bytes(alias) == as_bytes(vs)
    others = [(s, m, d) for s in (1.0, 2.0) for m in fans.MODES
              for d in ("uniform", "truncated_normal") if (s, m, d) != (scale, mode, dist)]
    for s, m, d in others:  # the comparison can tell the parameter sets apart
        other = fastinit.variance_scaling_(np.empty(shape, dtype), seed=9, stream="c", scale=s,
                                           mode=m, distribution=d, backend=backend)
        assert as_bytes(alias) != as_bytes(other), (s, m, d)


@pytest.mark.parametrize("name", ALIASES)
def test_alias_passes_its_axes_through(name, backend):
    scale, mode, dist = ALIASES[name]
    shape = (40, 16, 3, 5)  # torch layout (out, in, kh, kw)
    alias = getattr(fastinit, name)(np.empty(shape, np.float32), seed=2, in_axis=1,
                                    out_axis=0, backend=backend)
    vs = fastinit.variance_scaling_(np.empty(shape, np.float32), seed=2, scale=scale, mode=mode,
                                    distribution=dist, in_axis=1, out_axis=0, backend=backend)
    assert as_bytes(alias) == as_bytes(vs)


def test_fan_overrides_replace_the_inferred_fans(backend):
    # uniform bound sqrt(3/n): fan_avg with fan_out=96 on (64, 32) is n = (64 + 96)/2 = 80,
    # the same bound as fan_in with fan_in=80
    a = fastinit.variance_scaling_(np.empty((64, 32), np.float32), seed=4, mode="fan_avg",
                                   distribution="uniform", fan_out=96, backend=backend)
    b = fastinit.variance_scaling_(np.empty((64, 32), np.float32), seed=4, mode="fan_in",
                                   distribution="uniform", fan_in=80, backend=backend)
    c = fastinit.variance_scaling_(np.empty((64, 32), np.float32), seed=4, mode="fan_avg",
                                   distribution="uniform", backend=backend)
    assert as_bytes(a) == as_bytes(b)
    assert as_bytes(a) != as_bytes(c)


# -- fans always come from the full shape ----------------------------------------------------

FULL = (64, 512)
COLS = (slice(None), slice(64, 96))    # (64, 32) column block at origin (0, 64)

VS_CALLS = [(name, {}) for name in ALIASES] + [
    ("variance_scaling_", {"scale": 0.7, "mode": m, "distribution": d})
    for m in fans.MODES for d in fans.DISTRIBUTIONS]


def _ids(case):
    name, kw = case
    return name + "".join(f"-{v}" for v in kw.values())


@pytest.mark.parametrize("case", VS_CALLS, ids=_ids)
def test_column_shard_equals_block_of_whole_fill(case, backend):
    name, kw = case
    func = getattr(fastinit, name)
    whole = func(np.empty(FULL, np.float32), seed=21, stream="w", backend=backend, **kw)
    shard = func(np.empty((64, 32), np.float32), seed=21, stream="w", full_shape=FULL,
                 origin=(0, 64), backend=backend, **kw)
    assert as_bytes(shard) == as_bytes(whole[COLS])


@pytest.mark.parametrize("case", VS_CALLS, ids=_ids)
def test_flat_shard_equals_slice_of_whole_fill(case, backend):
    name, kw = case
    func = getattr(fastinit, name)
    whole = func(np.empty((6, 5, 24), np.float64), seed=8, backend=backend, **kw)
    shard = func(np.empty(100, np.float64), seed=8, full_shape=(6, 5, 24), offset=317,
                 backend=backend, **kw)
    assert as_bytes(shard) == as_bytes(whole.ravel()[317:417])


def test_he_uniform_column_shard_bound_is_from_full_shape(backend):
    # full (64, 512): fan_in = 64, bound sqrt(6/64) = 0.30618621784789726
    out = fastinit.he_uniform_(np.empty((64, 32), np.float64), seed=1, full_shape=FULL,
                               origin=(0, 64), backend=backend)
    bound = 0.30618621784789726
    peak = np.abs(out).max()
    assert peak <= bound
    # 2048 uniforms all inside 0.95*bound: probability 0.95**2048 < 1e-45
    assert peak > 0.95 * bound


def test_glorot_uniform_column_shard_uses_full_fan_out(backend):
    # full (64, 512): bound sqrt(6/(64+512)) = 0.10206207261596575;
    # the shard's own (64, 32) would give sqrt(6/96) = 0.25
    out = fastinit.glorot_uniform_(np.empty((64, 32), np.float64), seed=1, full_shape=FULL,
                                   origin=(0, 64), backend=backend)
    full_bound, shard_bound = 0.10206207261596575, 0.25
    peak = np.abs(out).max()
    assert peak <= full_bound < 0.5 * shard_bound
    assert peak > 0.95 * full_bound  # false alarm 0.95**2048 < 1e-45
    # with the shard's own fans, about 60% of the values would exceed full_bound
    assert np.mean(np.abs(out) > 0.9 * full_bound) < 0.2  # uniform: ~10%; binomial, n=2048


FAN_IN_ALIASES = [name for name, (_, mode, _) in ALIASES.items() if mode == "fan_in"]


@pytest.mark.parametrize("name", FAN_IN_ALIASES)
def test_fan_in_row_shard_uses_full_fan_in(name, backend):
    # full (512, 64), rows 128:192: fan_in 512, the shard's own would be 64
    scale, _, distribution = ALIASES[name]
    out = getattr(fastinit, name)(np.empty((64, 64), np.float64), seed=3, full_shape=(512, 64),
                                  origin=(128, 0), backend=backend)
    if distribution == "uniform":
        bound = math.sqrt(3 * scale / 512)     # he 0.1082531754730548, lecun 0.0765465544619743
    else:
        bound = 2 * math.sqrt(scale / 512) / 0.87962566103423978
    shard_bound = bound * math.sqrt(512 / 64)
    peak = np.abs(out).max()
    assert peak <= bound < 0.4 * shard_bound
    # 4096 draws: uniform 0.9**4096 < 1e-187; truncated P(|z| > 1.8) = 0.028, 0.972**4096 < 1e-49
    assert peak > 0.9 * bound


def test_zero_size_full_shape_does_not_divide_by_zero(backend):
    out = np.empty((0, 5), np.float32)
    assert fastinit.he_normal_(out, seed=0, backend=backend) is out
