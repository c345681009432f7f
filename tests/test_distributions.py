"""Statistics of every distribution, against exact targets.

Fixed seeds make every test deterministic. Each assertion is a test whose
false-alarm rate for a *correct* generator is stated: mean and variance use
5.5 standard errors (two-sided normal tail 4e-8), KS uses p > 1e-6. With
about 150 such assertions the chance that a correct generator fails one at a
given seed is below 1e-4; a wrong transform (scale, truncation, pairing) moves
these statistics by hundreds of standard errors.
"""

import math

import numpy as np
import pytest
from scipy import stats

import fastinit
from fastinit import _dtypes

N = 2**20
Z = 5.5  # standard errors allowed
KS_P = 1e-6
FULL = (1024, 1024)  # N elements; fans 1024/1024 for the variance-scaling family

# name -> (call, exact scipy distribution, bounded)
TN = 0.87962566103423978


def _cases():
    vs_std = math.sqrt(2.0 / 1024) / TN
    return {
        "uniform": (lambda o, **k: fastinit.random_uniform_(o, minval=-0.3, maxval=0.7, **k),
                    stats.uniform(-0.3, 1.0), (-0.3, 0.7)),
        "normal": (lambda o, **k: fastinit.random_normal_(o, mean=0.5, stddev=2.0, **k),
                   stats.norm(0.5, 2.0), None),
        "truncated_2sigma": (lambda o, **k: fastinit.truncated_normal_(o, mean=0.1, stddev=0.7,
                                                                       **k),
                             stats.truncnorm(-2, 2, loc=0.1, scale=0.7), (0.1 - 1.4, 0.1 + 1.4)),
        "truncated_asym": (lambda o, **k: fastinit.truncated_normal_(o, lower=-1.0, upper=4.5,
                                                                     stddev=1.0, **k),
                           stats.truncnorm(-1.0, 4.5), (-1.0, 4.5)),
        "truncated_tail": (lambda o, **k: fastinit.truncated_normal_(o, lower=2.5, upper=6.0,
                                                                     stddev=1.0, **k),
                           stats.truncnorm(2.5, 6.0), (2.5, 6.0)),
        "he_normal": (fastinit.he_normal_, stats.truncnorm(-2, 2, scale=vs_std),
                      (-2 * vs_std, 2 * vs_std)),
        "glorot_uniform": (fastinit.glorot_uniform_,
                           stats.uniform(-math.sqrt(3 / 1024), 2 * math.sqrt(3 / 1024)),
                           (-math.sqrt(3 / 1024), math.sqrt(3 / 1024))),
        "lecun_uniform": (fastinit.lecun_uniform_,
                          stats.uniform(-math.sqrt(3 / 1024), 2 * math.sqrt(3 / 1024)),
                          (-math.sqrt(3 / 1024), math.sqrt(3 / 1024))),
        "variance_scaling_normal": (
            lambda o, **k: fastinit.variance_scaling_(o, scale=3.0, distribution="normal", **k),
            stats.norm(0, math.sqrt(3 / 1024)), None),
    }


CASES = _cases()


def _sample(name, dtype, backend, seed=12345):
    call = CASES[name][0]
    out = np.empty(FULL, dtype)
    call(out, seed=seed, stream=name, backend=backend)
    return out.astype(np.float64).ravel()


@pytest.mark.parametrize("name", CASES)
def test_mean_and_variance(name, dtype, backend):
    x = _sample(name, dtype, backend)
    dist = CASES[name][1]
    mu, var = dist.mean(), dist.var()
    # rounding to a 16-bit format adds at most half an ulp per sample
    slack = 0.0 if dtype.itemsize >= 4 else 2.0**-8 * (abs(mu) + math.sqrt(var))
    se_mean = math.sqrt(var / N)
    assert abs(x.mean() - mu) < Z * se_mean + slack
    m4 = np.mean((x - x.mean()) ** 4)
    se_var = math.sqrt(max(m4 - x.var() ** 2, 0.0) / N)
    assert abs(x.var() - var) < Z * se_var + 2 * slack * math.sqrt(var)


@pytest.mark.parametrize("name", CASES)
def test_ks_against_exact_cdf(name, backend):
    # float32 and float64 only: 16-bit outputs are visibly discrete at N = 2**20
    for dtype in (np.float32, np.float64):
        x = _sample(name, np.dtype(dtype), backend, seed=777)
        assert stats.kstest(x, CASES[name][1].cdf).pvalue > KS_P, dtype


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][2] is not None])
def test_bounds_hold_after_rounding(name, dtype, backend):
    lo, hi = CASES[name][2]
    x = _sample(name, dtype, backend)
    assert lo <= x.min()
    assert x.max() <= hi
    if name != "truncated_tail":  # its upper bound has density ~1e-8: never reached
        # the bounds are nearly reached: the clamp is not cutting a wide margin
        width = hi - lo
        assert x.min() < lo + 0.01 * width
        assert x.max() > hi - 0.05 * width


def test_uniform_never_returns_maxval(backend):
    # seed 7, stream 2, element 1146343 has u = 1 - 2**-24, and 1 + (1 - 2**-24) rounds
    # to 2.0 in float32: the clamp keeps it at the largest float32 below 2
    x = fastinit.random_uniform_(np.empty(1, np.float32), seed=7, stream=2, minval=1.0,
                                 maxval=2.0, full_shape=(2**21,), offset=1146343,
                                 backend=backend)
    assert x[0] == np.nextafter(np.float32(2.0), np.float32(0.0))


@pytest.mark.parametrize("dtype", [np.float16, _dtypes.BFLOAT16], ids=["f16", "bf16"])
def test_uniform_is_half_open_after_rounding_to_16_bit(dtype, backend):
    # float32 uniforms just below 1 round to 1.0 in 16 bits (2**-11 of them in
    # float16): the upper clamp is the largest 16-bit value below maxval instead
    below_one = float(np.nextafter(np.array(1.0, dtype), np.array(0.0, dtype)))
    x = fastinit.random_uniform_(np.empty(N, dtype), seed=5, minval=0.0, maxval=1.0,
                                 backend=backend).astype(np.float64)
    assert x.min() >= 0.0
    assert x.max() == below_one
    for maxval in (0.05, 0.1, 1 / 3):  # bounds that no 16-bit format represents
        x = fastinit.random_uniform_(np.empty(N, dtype), seed=6, minval=-maxval,
                                     maxval=maxval, backend=backend).astype(np.float64)
        assert -maxval <= x.min()
        assert x.max() < maxval


# shapes whose fans make the bound b a power of two, so every dtype holds b itself:
# He sqrt(6/6) = 1, Glorot sqrt(6/(8*4096 + 16*4096)) = 1/128, LeCun sqrt(3/12) = 1/2
HALF_OPEN_SHAPES = {"he_uniform_": ((6, 2**17), 1.0),
                    "glorot_uniform_": ((4096, 8, 16), 1 / 128),
                    "lecun_uniform_": ((12, 2**16), 0.5)}


@pytest.mark.parametrize("name", HALF_OPEN_SHAPES)
def test_variance_scaling_uniforms_are_half_open(name, dtype, backend):
    shape, b = HALF_OPEN_SHAPES[name]
    x = getattr(fastinit, name)(np.empty(shape, dtype), seed=3, backend=backend)
    x = x.astype(np.float64)
    assert -b <= x.min()
    assert x.max() < b


def test_truncated_bounds_stay_closed(backend):
    # [-2, 2] standard deviations of N(0, 1): bfloat16 rounds values within 2**-8 of
    # +-2 onto the bound itself, which the closed interval allows (and float32 never
    # passes it)
    for dtype in (_dtypes.BFLOAT16, np.float16, np.float32):
        x = fastinit.truncated_normal_(np.empty(N, dtype), seed=9, stddev=1.0,
                                       backend=backend).astype(np.float64)
        assert -2.0 <= x.min()
        assert x.max() <= 2.0
        if dtype is _dtypes.BFLOAT16:
            assert x.min() == -2.0
            assert x.max() == 2.0


def test_sixteen_bit_is_the_rounded_float32_value(backend):
    import ml_dtypes

    # normal range, float16 overflow, float16 subnormals
    for kw in (dict(stddev=1.0), dict(stddev=3e4), dict(stddev=1e-6)):
        f32 = fastinit.random_normal_(np.empty(N, np.float32), seed=8, backend=backend, **kw)
        with np.errstate(over="ignore"):
            for dtype in (np.float16, ml_dtypes.bfloat16):
                x = fastinit.random_normal_(np.empty(N, dtype), seed=8, backend=backend, **kw)
                assert x.view(np.uint16).tobytes() == f32.astype(dtype).view(np.uint16).tobytes()


def test_normal_pairs_are_uncorrelated(backend):
    # elements 2j and 2j+1 share a Box-Muller pair: cos and sin branches are
    # uncorrelated; |r| < 5.5/sqrt(N/2) fails with probability 4e-8
    x = _sample("normal", np.dtype(np.float32), backend)
    r = np.corrcoef(x[0::2], x[1::2])[0, 1]
    assert abs(r) < Z / math.sqrt(N / 2)


def test_normal_extremes_are_bounded_by_box_muller(backend):
    # 24-bit u1 in (0, 1]: |z| <= sqrt(-2 ln 2**-24) = 5.768 in float32
    x = fastinit.random_normal_(np.empty(2**22, np.float32), seed=1, stddev=1.0, backend=backend)
    assert np.abs(x).max() <= math.sqrt(-2 * math.log(2.0**-24)) * (1 + 1e-6)
