"""Truncated normal by rejection on counters (contract 0.2): the switch, the definition, the law.

An interval holding at least REJECT_MIN_MASS of the normal's mass is sampled by
rejection (``fastinit/_engine/_numba/rejection.py`` and its Cython twin): the
normal fill's value where it lies in the interval, else redraws from counters
of the element's own pair, else the inverse CDF. Both backends are compared
bit for bit with ``tests/reference.py`` at the kernel level, on every output
format, with intervals whose elements take each path (the primary draw, the
candidates, the fallback: a narrow interval, which the public path would give
to the inverse CDF, exercises the fallback). Where no value can leave the
interval (+-100 sigma), the fill is the normal fill's, and the rejection
kernel gives the same bits.

Statistical thresholds: KS p > 1e-6 (40 tests: 18 float32/float64, 18
16-bit ones on the law rounded to the format, whose p-value is conservative,
and 4 of the fallback), mean and variance within 5.5 standard errors (4e-8
each, 36 tests): a correct sampler fails one of them with probability below
5e-5 at these fixed seeds.
"""

import math
from statistics import NormalDist

import numpy as np
import pytest
import reference
from conftest import as_bytes, require

import fastinit
from fastinit._engine import backends, constants, fill, formats, laws, parallel, streams

SEED, STREAM = 0x5EED0002, "decoder.layers.2.mlp.down_proj.weight"
SID = streams.stream_id(STREAM)
KEYS = (SEED & constants.MASK32, SEED >> 32, SID & constants.MASK32, SID >> 32)
DTYPES = {"f32": np.dtype(np.float32), "f64": np.dtype(np.float64),
          "f16": np.dtype(np.float16), "bf16": formats.BFLOAT16}
INF = math.inf
CHUNK = 4 * constants.CHUNK_BLOCKS
# (n_rows, row_len, first, row_step, step): heads and tails of work items, several
# items, rows, a strided run (element by element)
GEOMETRIES = {
    "odd_first": (1, 2 * CHUNK + 5, 12_345, 0, 1),
    "rows": (3, 1_001, 3, 2_003, 1),
    "strided": (3, 257, 11, 10_000, 3),
}


def kernel_name(lower, upper, dtype=np.float32, mean=0.0, std=1.0):
    return fill.scalars(laws.truncated(mean, std, lower, upper), formats.format_of(dtype))[0]


def mass(lower, upper):
    return NormalDist().cdf(upper) - NormalDist().cdf(lower)


# --- which kernel runs ------------------------------------------------------------------
SWITCH_EDGE = NormalDist().inv_cdf(0.975)  # +-1.95996...: mass 0.95 exactly


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_switch_at_reject_min_mass(dtype):
    assert constants.REJECT_MIN_MASS == 0.95
    above, below = SWITCH_EDGE + 1e-6, SWITCH_EDGE - 1e-6
    assert mass(-above, above) > 0.95 > mass(-below, below)
    assert kernel_name(-above, above, dtype) == "fill_truncated_reject"
    assert kernel_name(-below, below, dtype) == "fill_truncated_normal"
    # mass 0.95 exactly (in the float64 the switch is computed in): rejection
    assert mass(-SWITCH_EDGE, SWITCH_EDGE) == constants.REJECT_MIN_MASS
    assert kernel_name(-SWITCH_EDGE, SWITCH_EDGE, dtype) == "fill_truncated_reject"
    # asymmetric: [-1.7, 3] holds 0.9541, [-1.6, 3] 0.9439
    assert kernel_name(-1.7, 3.0, dtype) == "fill_truncated_reject"
    assert kernel_name(-1.6, 3.0, dtype) == "fill_truncated_normal"
    # Keras and JAX (+-2 sigma, 0.9545), a half-infinite interval, and the other paths
    assert kernel_name(-2.0, 2.0, dtype, std=0.05) == "fill_truncated_reject"
    assert kernel_name(-2.0, INF, dtype) == "fill_truncated_reject"
    assert kernel_name(-1.0, 3.0, dtype) == "fill_truncated_normal"
    assert kernel_name(2.5, 6.0, dtype) == "fill_truncated_tail"
    assert kernel_name(-INF, -3.0, dtype) == "fill_truncated_tail"


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_no_value_can_leave_the_interval_runs_the_normal_fill(dtype):
    # torch's trunc_normal_(std=0.02) default: +-2 absolute = +-100 sigma
    assert kernel_name(-100.0, 100.0, dtype, std=0.02) == "fill_normal"
    # |z| <= 5.7684 in float32 (24-bit u1), 8.5717 in float64 (53-bit u1)
    double = dtype == np.float64
    assert kernel_name(-5.8, 5.8, dtype) == ("fill_truncated_reject" if double
                                             else "fill_normal")
    assert kernel_name(-8.6, 8.6, dtype) == "fill_normal"
    assert kernel_name(-5.7, 5.7, dtype) == "fill_truncated_reject"


# --- kernel calls with the contract's scalars ---------------------------------------------
def reject_scalars(mean, std, lower, upper, dtype):
    """The rejection kernel's scalars (mean, std, ea, eb, lo_c, hi_c, lo_o, hi_o, fmt)."""
    dtype = np.dtype(dtype)
    double = dtype == np.float64
    work = np.float64 if double else np.float32
    lim = 1 - 2.0 ** (-53 if double else -24)
    ea = min(max(math.erf(lower / math.sqrt(2)), -lim), lim)
    eb = min(max(math.erf(upper / math.sqrt(2)), -lim), lim)
    lo, hi = mean + std * lower, mean + std * upper
    lo_c, hi_c = reference.closed_bounds(lo, hi if math.isfinite(hi) else 0.0, work)
    lo_o, hi_o = reference.closed_bounds(lo, hi if math.isfinite(hi) else 0.0, dtype)
    if not math.isfinite(hi):
        hi_c = hi_o = INF
    return mean, std, ea, eb, lo_c, hi_c, lo_o, hi_o, formats.format_of(dtype)


def run_kernel(backend, name, dtype, geometry, scalars, n_threads=2):
    """Kernel ``name`` of ``backend`` over a buffer of ``geometry`` (see GEOMETRIES)."""
    n_rows, row_len, first, row_step, step = geometry
    out = np.empty(n_rows * row_len, dtype)
    mem = formats.memory(out, formats.format_of(dtype))
    parallel.run(backends.kernel(backend, name),
                 [(mem, *KEYS, first, row_len, row_step, step, *scalars)], [row_len], [mem.size],
                 n_threads)
    return out


def global_indices(n_rows, row_len, first, row_step, step):
    r = np.arange(n_rows, dtype=np.int64)[:, None]
    k = np.arange(row_len, dtype=np.int64)[None, :]
    return (first + r * row_step + k * step).ravel()


def reference_values(scalars, dtype, idx, attempts=False):
    mean, std, ea, eb, lo_c, hi_c, lo_o, hi_o, _ = scalars
    double = np.dtype(dtype) == np.float64
    x, taken = reference.truncated_reject(SEED, SID, idx, mean, std, ea, eb, lo_c, hi_c,
                                          double, attempts=True)
    if not double:
        x = np.minimum(np.maximum(x, np.float32(lo_o)), np.float32(hi_o))
    return (x.astype(dtype), taken) if attempts else x.astype(dtype)


# (mean, std, lower, upper): the primary draw and candidates (+-2 sigma, a half-infinite
# interval), and one so narrow that most elements end on the fallback
INTERVALS = {"keras": (0.1, 0.7, -2.0, 2.0), "half_inf": (-0.5, 1.5, -1.8, INF),
             "narrow": (0.25, 0.5, 0.5, 0.6)}


@pytest.mark.parametrize("geometry", GEOMETRIES.values(), ids=GEOMETRIES.keys())
@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
@pytest.mark.parametrize("interval", INTERVALS.values(), ids=INTERVALS.keys())
def test_kernel_equals_reference(interval, dtype, geometry, backend):
    scalars = reject_scalars(*interval, dtype)
    out = run_kernel(backend, "fill_truncated_reject", dtype, geometry, scalars)
    want, taken = reference_values(scalars, dtype, global_indices(*geometry), attempts=True)
    assert as_bytes(out) == as_bytes(want)
    # every path is taken: the normal fill's value, a candidate, and for the narrow
    # interval the fallback (candidates + 1)
    fallback = (constants.REDRAW_CANDIDATES_F64 if dtype == np.float64
                else constants.REDRAW_CANDIDATES_F32) + 1
    assert (taken == 0).any()
    assert ((taken > 0) & (taken < fallback)).any()
    if interval == INTERVALS["narrow"]:
        assert (taken == fallback).sum() > 0.3 * taken.size


def test_redraw_counters_are_above_every_primary_block():
    # element indices stay below 2**62 (checks.MAX_ELEMENTS): a pair below 2**61, so
    # block (r << 61) | pair, r >= 1, is never a block number the primary draws use
    from fastinit._engine import checks

    assert checks.MAX_ELEMENTS <= 2**62
    assert constants.REDRAW_Q_SHIFT == 61
    assert 1 <= constants.FALLBACK_BLOCK < 8
    assert (constants.REDRAW_CANDIDATES_F32 + 1) // 2 < constants.FALLBACK_BLOCK
    assert constants.REDRAW_CANDIDATES_F64 < constants.FALLBACK_BLOCK


def test_public_fill_equals_reference_at_large_indices(backend):
    # a shard at the end of a 2**40-element tensor: redraw counters with high pair bits
    n = 2**40 + 4097
    out = fastinit.truncated_normal_(np.empty(9000, np.float32), seed=SEED, stream=STREAM,
                                     stddev=0.3, full_shape=(n,), offset=n - 9000,
                                     backend=backend)
    idx = np.arange(n - 9000, n, dtype=np.int64)
    want = reference.truncated(SEED, SID, idx, 0.0, 0.3, -2.0, 2.0, np.float32)
    assert as_bytes(out) == as_bytes(want)


# Elements of public fills known to take the redraw path, found with
# reference.truncated_reject(..., attempts=True) over the first 2**16 indices:
# index -> (the candidate kept, the value's bits). Candidate 1 means the normal
# fill's value was rejected, 2 that the first candidate was too, 3 the second.
# The fallback is out of reach of a public fill at a mass >= 0.95: 0.05**13 per
# float32 element, 0.05**7 per float64 one (the narrow interval above takes it).
REDRAWN = {
    "keras_f32": ((0.0, 0.3, -2.0, 2.0), np.float32, {
        17: (1, 0x3EB244AA), 835: (2, 0x3DEB3772), 1314: (2, 0xBE8C43E4),
        2547: (3, 0xBDB1BF2C), 36758: (3, 0x3C9CEE0C)}),
    "keras_f64": ((0.0, 0.3, -2.0, 2.0), np.float64, {
        9: (1, 0x3FD571BAD7E249AB), 828: (2, 0x3FDFDBCD8C631611), 829: (2, 0x3FDB207EAB5F68E7),
        1768: (3, 0xBFC6671AD98571AE), 32710: (3, 0x3FDCE68CFBE77846)}),
    "switch_f32": ((0.3, 1.7, -SWITCH_EDGE, SWITCH_EDGE), np.float32, {
        17: (1, 0x4011792B), 835: (2, 0x3F736968), 1314: (2, 0xBFA04F1C),
        2547: (3, 0xBE446A74), 36758: (3, 0x3ED12DE9)}),
    "switch_f64": ((0.3, 1.7, -SWITCH_EDGE, SWITCH_EDGE), np.float64, {
        9: (1, 0x400196F569FC0540), 828: (2, 0x4008F76D5481EB5D), 829: (2, 0x40059D6ACA74A60A),
        1768: (3, 0xBFE62321C538C772), 14133: (3, 0xC00282A0C3B6C391)}),
}


@pytest.mark.parametrize("name", REDRAWN)
def test_elements_on_the_redraw_path_equal_reference(name, backend):
    (mean, std, lower, upper), dtype, pinned = REDRAWN[name]
    idx = np.array(sorted(pinned), dtype=np.int64)
    bits = np.array([pinned[i][1] for i in idx], np.uint32 if dtype == np.float32 else np.uint64)
    x, taken = reference_values(reject_scalars(mean, std, lower, upper, dtype), dtype, idx,
                                attempts=True)
    assert taken.tolist() == [pinned[i][0] for i in idx]
    assert as_bytes(x) == as_bytes(bits)
    # the whole fill (the batched redraws of a work item) and each element alone
    # (the element function of a work item's head)
    kwargs = dict(seed=SEED, stream=STREAM, mean=mean, stddev=std, lower=lower, upper=upper,
                  backend=backend)
    n = int(idx[-1]) + 1
    whole = fastinit.truncated_normal_(np.empty(n, dtype), **kwargs)
    assert as_bytes(whole[idx]) == as_bytes(bits)
    for i, b in zip(idx, bits, strict=True):
        alone = fastinit.truncated_normal_(np.empty(1, dtype), full_shape=(n,), offset=int(i),
                                           **kwargs)
        assert as_bytes(alone) == as_bytes(b), i


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_rejection_kernel_equals_normal_fill_where_nothing_is_rejected(dtype, backend):
    # the shortcut above changes no bit: with +-100 sigma the rejection kernel itself
    # gives the normal fill's values, and so does the reference's definition
    geometry = GEOMETRIES["odd_first"]
    scalars = reject_scalars(0.0, 0.02, -100.0, 100.0, dtype)
    rejected = run_kernel(backend, "fill_truncated_reject", dtype, geometry, scalars)
    normal = run_kernel(backend, "fill_normal", dtype, geometry,
                        (0.0, 0.02, formats.format_of(dtype)))
    assert as_bytes(rejected) == as_bytes(normal)
    idx = global_indices(*geometry)
    want = reference.normal(SEED, SID, idx, 0.0, 0.02, dtype == np.float64).astype(dtype)
    assert as_bytes(reference_values(scalars, dtype, idx)) == as_bytes(want)
    out = fastinit.truncated_normal_(np.empty(idx.size, dtype), seed=SEED, stream=STREAM,
                                     stddev=0.02, lower=-100.0, upper=100.0,
                                     full_shape=(geometry[2] + idx.size,), offset=geometry[2],
                                     backend=backend)
    assert as_bytes(out) == as_bytes(want)


# --- the law ----------------------------------------------------------------------------------
N = 2**20
Z = 5.5
KS_P = 1e-6
# (lower, upper) in standard units, each sampled with mean 0.3 and std 1.7: both sides
# of the switch, the switch itself, the normal fill's shortcut, a tail
LAWS = {"keras": (-2.0, 2.0), "3sigma": (-3.0, 3.0), "100sigma": (-100.0, 100.0),
        "m1_3": (-1.0, 3.0), "asym_wide": (-1.7, 3.0), "half_inf": (-1.8, INF),
        "just_above": (-SWITCH_EDGE - 1e-6, SWITCH_EDGE + 1e-6),
        "at_switch": (-SWITCH_EDGE, SWITCH_EDGE),
        "just_below": (-SWITCH_EDGE + 1e-6, SWITCH_EDGE - 1e-6)}
MEAN, STD = 0.3, 1.7


def _truncnorm(lower, upper):
    stats = require("scipy.stats")
    return stats.truncnorm(lower, upper, loc=MEAN, scale=STD)


def law_sample(interval, dtype, seed, stream):
    """N values of ``truncated_normal_`` (MEAN, STD, ``interval``) in ``dtype``, as float64,
    checked to lie in the closed interval."""
    lower, upper = interval
    x = fastinit.truncated_normal_(np.empty(N, dtype), seed=seed, stream=stream, mean=MEAN,
                                   stddev=STD, lower=lower, upper=upper).astype(np.float64)
    assert MEAN + STD * lower <= x.min()
    assert x.max() <= MEAN + STD * upper
    return x


@pytest.mark.parametrize("interval", LAWS.values(), ids=LAWS.keys())
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_ks_against_truncnorm(interval, dtype):
    x = law_sample(interval, dtype, 11, "ks")
    assert require("scipy.stats").kstest(x, _truncnorm(*interval).cdf).pvalue > KS_P


def rounded_ks_pvalue(x, dtype, law):
    """KS p-value of 16-bit values ``x`` against ``law`` rounded to nearest in ``dtype``.

    Value ``v`` holds the law's mass between the midpoints to its neighbours
    in the format, so the rounded law's CDF at ``v`` is the law's CDF at the
    upper midpoint. The KS statistic is taken at every value seen and just
    below it (the steps of both CDFs); with a discrete law the continuous KS
    distribution gives a conservative p-value (W. J. Conover, JASA 67, 1972).
    """
    v, counts = np.unique(x, return_counts=True)
    v16 = v.astype(dtype)
    up = np.nextafter(v16, np.array(INF, dtype)).astype(np.float64)
    down = np.nextafter(v16, np.array(-INF, dtype)).astype(np.float64)
    at = np.cumsum(counts) / x.size
    d = max(np.abs(at - law.cdf((v + up) / 2)).max(),
            np.abs(at - counts / x.size - law.cdf((down + v) / 2)).max())
    return require("scipy.stats").kstwo.sf(d, x.size)


@pytest.mark.parametrize("interval", LAWS.values(), ids=LAWS.keys())
@pytest.mark.parametrize("dtype", [np.float16, formats.BFLOAT16], ids=["f16", "bf16"])
def test_sixteen_bit_ks_against_rounded_truncnorm(interval, dtype):
    x = law_sample(interval, dtype, 13, "ks16")
    assert rounded_ks_pvalue(x, dtype, _truncnorm(*interval)) > KS_P


@pytest.mark.parametrize("interval", LAWS.values(), ids=LAWS.keys())
@pytest.mark.parametrize("dtype", [np.float16, formats.BFLOAT16], ids=["f16", "bf16"])
def test_sixteen_bit_mean_variance_and_bounds(interval, dtype):
    x = law_sample(interval, dtype, 12, "mv")
    law = _truncnorm(*interval)
    # rounding to 16 bits moves a value by at most half an ulp of its magnitude
    slack = 2.0**-8 * (abs(law.mean()) + 4 * law.std())
    assert abs(x.mean() - law.mean()) < Z * math.sqrt(law.var() / N) + slack
    m4 = np.mean((x - x.mean()) ** 4)
    se_var = math.sqrt(max(m4 - x.var() ** 2, 0.0) / N)
    assert abs(x.var() - law.var()) < Z * se_var + 2 * slack * law.std()


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_narrow_interval_through_the_fallback_is_exact(dtype, backend):
    # [0.5, 0.6] holds 0.034 of the mass: about 64% of the values come from the
    # fallback's inverse CDF, the rest from candidates; the mixture is the law
    lower, upper = 0.5, 0.6
    scalars = reject_scalars(MEAN, STD, lower, upper, dtype)
    x = run_kernel(backend, "fill_truncated_reject", dtype, (1, 2**18, 0, 0, 1),
                   scalars).astype(np.float64)
    assert require("scipy.stats").kstest(x, _truncnorm(lower, upper).cdf).pvalue > KS_P


@pytest.mark.parametrize("interval", LAWS.values(), ids=LAWS.keys())
def test_sixteen_bit_is_the_float32_value_clamped_and_rounded(interval, backend):
    lower, upper = interval
    kwargs = dict(seed=14, stream="r16", mean=MEAN, stddev=STD, lower=lower, upper=upper,
                  backend=backend)
    f32 = fastinit.truncated_normal_(np.empty(2**16, np.float32), **kwargs)
    for dtype in (np.float16, formats.BFLOAT16):
        lo_o, hi_o = reject_scalars(MEAN, STD, lower, upper, dtype)[6:8]
        x = fastinit.truncated_normal_(np.empty(2**16, dtype), **kwargs)
        want = np.minimum(np.maximum(f32, np.float32(lo_o)), np.float32(hi_o)).astype(dtype)
        assert as_bytes(x) == as_bytes(want), dtype
