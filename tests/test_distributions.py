"""Statistics of every distribution, against exact targets.

Fixed seeds make every test deterministic. Each assertion is a test whose
false-alarm rate for a *correct* generator is stated: mean and variance use
5.5 standard errors (two-sided normal tail 4e-8), KS uses p > 1e-6. With
about 300 mean/variance and 60 KS assertions (the rows of tests/cases.py)
the chance that a correct generator fails one at a given seed is below 1e-4;
a wrong transform (scale, truncation, pairing) moves these statistics by
hundreds of standard errors.
"""

import math

import numpy as np
import pytest
from cases import BY_ID, CASES, WITH_LAW, cdf, ids
from conftest import require

import fastinit
from fastinit._engine import formats

N = 2**20
Z = 5.5  # standard errors allowed
KS_P = 1e-6
FULL = (512, 2048)  # N elements; fans 512 (in) and 2048 (out), so a wrong mode shows
FANS = (512, 2048)
MARGIN_COUNT = 30  # a bound is "nearly reached" when this many samples are expected near it


def _law(case):
    return case.exact(*FANS)


def _sample(case, dtype, backend, seed=12345):
    out = np.empty(FULL, dtype)
    case.call(out, seed=seed, stream=case.id, backend=backend)
    return out.astype(np.float64).ravel()


@pytest.mark.parametrize("case", WITH_LAW, ids=ids(WITH_LAW))
def test_mean_and_variance(case, dtype, backend):
    x = _sample(case, dtype, backend)
    law = _law(case)
    mu, var = law.mean(), law.var()
    # rounding to a 16-bit format adds at most half an ulp per sample
    slack = 0.0 if dtype.itemsize >= 4 else 2.0**-8 * (abs(mu) + math.sqrt(var))
    se_mean = math.sqrt(var / N)
    assert abs(x.mean() - mu) < Z * se_mean + slack
    m4 = np.mean((x - x.mean()) ** 4)
    se_var = math.sqrt(max(m4 - x.var() ** 2, 0.0) / N)
    assert abs(x.var() - var) < Z * se_var + 2 * slack * math.sqrt(var)


@pytest.mark.parametrize("case", WITH_LAW, ids=ids(WITH_LAW))
def test_ks_against_exact_cdf(case, backend):
    # float32 and float64 only: 16-bit outputs are visibly discrete at N = 2**20
    for dtype in (np.float32, np.float64):
        x = _sample(case, np.dtype(dtype), backend, seed=777)
        assert require("scipy.stats").kstest(x, cdf(_law(case))).pvalue > KS_P, dtype


TRUNCATED = [case for case in WITH_LAW if case.kind == "truncated"]


@pytest.mark.parametrize("case", TRUNCATED, ids=ids(TRUNCATED))
def test_fast_cdf_of_each_truncated_law_equals_scipy(case):
    # the KS test above takes the CDF from cases.cdf, not from scipy's slow truncnorm.cdf
    law = _law(case)
    lo, hi = law.support()
    spread = 12 * law.std()
    x = np.linspace(max(lo, law.mean() - spread), min(hi, law.mean() + spread), 2001)
    np.testing.assert_allclose(cdf(law)(x), law.cdf(x), rtol=0, atol=1e-12)


BOUNDED = [case for case in WITH_LAW if case.kind in ("uniform", "truncated")]


@pytest.mark.parametrize("case", BOUNDED, ids=ids(BOUNDED))
def test_bounds_hold_after_rounding(case, dtype, backend):
    # uniforms are half-open [lo, hi), truncated normals closed [lo, hi]
    law = _law(case)
    lo, hi = law.support()
    x = _sample(case, dtype, backend)
    assert lo <= x.min()
    assert x.max() < hi if case.kind == "uniform" else x.max() <= hi
    # where many samples are expected near a bound, it is nearly reached: the
    # clamp is not cutting a wide margin
    width = hi - lo
    if not math.isfinite(width):  # a half-infinite support has no margin to measure
        return
    if N * law.cdf(lo + 0.01 * width) > MARGIN_COUNT:
        assert x.min() < lo + 0.01 * width
    if N * law.sf(hi - 0.05 * width) > MARGIN_COUNT:
        assert x.max() > hi - 0.05 * width


CONSTANTS = [case for case in CASES if case.kind == "constant"]


@pytest.mark.parametrize("case", CONSTANTS, ids=ids(CONSTANTS))
def test_constants_fill_their_value(case, dtype):
    out = np.full((7, 9), 7.25, dtype)
    assert case.call(out) is out
    np.testing.assert_array_equal(out.astype(np.float64), np.full((7, 9), case.value))


def test_uniform_never_returns_maxval(backend):
    # seed 7, stream 2, element 1146343 has u = 1 - 2**-24, and 1 + (1 - 2**-24) rounds
    # to 2.0 in float32: the clamp keeps it at the largest float32 below 2
    x = fastinit.random_uniform_(np.empty(1, np.float32), seed=7, stream=2, minval=1.0,
                                 maxval=2.0, full_shape=(2**21,), offset=1146343,
                                 backend=backend)
    assert x[0] == np.nextafter(np.float32(2.0), np.float32(0.0))


@pytest.mark.parametrize("dtype", [np.float16, formats.BFLOAT16], ids=["f16", "bf16"])
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
    for dtype in (formats.BFLOAT16, np.float16, np.float32):
        x = fastinit.truncated_normal_(np.empty(N, dtype), seed=9, stddev=1.0,
                                       backend=backend).astype(np.float64)
        assert -2.0 <= x.min()
        assert x.max() <= 2.0
        if dtype is formats.BFLOAT16:
            assert x.min() == -2.0
            assert x.max() == 2.0


def test_sixteen_bit_is_the_rounded_float32_value(backend):
    import ml_dtypes

    # normal range, float16 values up to 5.77 * 1.1e4 = 63470 (near its largest,
    # 65504), float16 subnormals
    for kw in (dict(stddev=1.0), dict(stddev=1.1e4), dict(stddev=1e-6)):
        f32 = fastinit.random_normal_(np.empty(N, np.float32), seed=8, backend=backend, **kw)
        with np.errstate(over="ignore"):
            for dtype in (np.float16, ml_dtypes.bfloat16):
                x = fastinit.random_normal_(np.empty(N, dtype), seed=8, backend=backend, **kw)
                assert x.view(np.uint16).tobytes() == f32.astype(dtype).view(np.uint16).tobytes()


def test_normal_pairs_are_uncorrelated(backend):
    # elements 2j and 2j+1 share a Box-Muller pair: cos and sin branches are
    # uncorrelated; |r| < 5.5/sqrt(N/2) fails with probability 4e-8
    x = _sample(BY_ID["random_normal_"], np.dtype(np.float32), backend)
    r = np.corrcoef(x[0::2], x[1::2])[0, 1]
    assert abs(r) < Z / math.sqrt(N / 2)


def test_normal_extremes_are_bounded_by_box_muller(backend):
    # 24-bit u1 in (0, 1]: |z| <= sqrt(-2 ln 2**-24) = 5.768 in float32
    x = fastinit.random_normal_(np.empty(2**22, np.float32), seed=1, stddev=1.0, backend=backend)
    assert np.abs(x).max() <= math.sqrt(-2 * math.log(2.0**-24)) * (1 + 1e-6)
