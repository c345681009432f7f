"""From validated arguments to kernel calls: the one path every fill takes.

public function -> ``prepare`` (validation, geometry; raises before any
write) -> distribution scalars -> ``backends.call`` over the runs.
"""

import functools
import math
from typing import NamedTuple

import numpy as np

from . import backends, checks, constants, formats, streams, tails

# 1 - 2**-24 and 1 - 2**-53: the largest values below 1 in float32/float64,
# so (1-x)(1+x) never reaches 0 inside the inverse CDF.
_ERF_LIMIT = {False: 1.0 - 2.0**-24, True: 1.0 - 2.0**-53}
_F32_MAX = float(np.finfo(np.float32).max)
_F64_MAX = float(np.finfo(np.float64).max)


# F-ordered buffers are filled through a C-ordered scratch block of at most this
# many elements (4 MiB of float32), then copied in: bounded, not proportional.
TILE_ELEMENTS = 1 << 20


class Job(NamedTuple):
    out: np.ndarray
    fmt: int
    full: tuple
    gstrides: list
    first: int
    keys: tuple
    backend: str
    n_threads: int


def prepare(out, seed, stream, full_shape, origin, offset, n_threads, backend, *, bits=False):
    """Validate everything common to random fills; no byte is written."""
    if bits:
        checks.check_bits_buffer(out)
        fmt = None
    else:
        fmt = checks.check_buffer(out)
    seed = checks.check_uint64("seed", seed)
    stream = checks.check_stream(stream)
    full = checks.check_geometry(out.shape, full_shape, origin, offset)
    n_threads = checks.check_n_threads(n_threads)
    checks.check_choice("backend", backend, backends.BACKENDS)
    name = backends.resolve(backend)
    checks.check_backend_built(name, backends.cython_available())
    gstrides, first = streams.global_geometry(out.shape, full, origin, offset)
    keys = (*streams.key_words(seed), *streams.stream_words(stream))
    return Job(out, fmt, full, gstrides, first, keys, name,
               backends.effective_n_threads(n_threads, out.size))


def _run(job, name, params):
    """Kernel ``name`` over the whole buffer: directly, or tile by tile if F-ordered."""
    out = job.out
    if out.size == 0:
        return
    if out.flags.c_contiguous:
        runs = streams.plan_runs(out.shape, job.gstrides, streams.c_strides(out.shape),
                                  job.first)
        backends.call(job.backend, name, job.n_threads, formats.memory(out, job.fmt), runs,
                      job.keys, params)
        return
    scratch = np.empty(min(out.size, TILE_ELEMENTS), out.dtype)
    for index, shape, first in streams.f_order_tiles(out.shape, job.gstrides, job.first,
                                                      TILE_ELEMENTS):
        tile = scratch[:math.prod(shape)].reshape(shape)
        runs = streams.plan_runs(shape, job.gstrides, streams.c_strides(shape), first)
        backends.call(job.backend, name, job.n_threads, formats.memory(tile, job.fmt), runs,
                      job.keys, params)
        out[index] = tile


def _closed_bounds(job, lo, hi):
    """[lo, hi] rounded inward to the dtype: the clamp of a closed interval."""
    dtype = job.out.dtype
    lo_c = formats.inward(lo, dtype, up=True)
    hi_c = formats.inward(hi, dtype, up=False)
    checks.check_nonempty(lo_c, hi_c, f"[{lo}, {hi}]", dtype)
    return lo_c, hi_c


def _half_open_bounds(job, lo, hi):
    """[lo, hi) rounded inward: hi_c is the largest value of the dtype below hi.

    ``lo == hi`` is the one-point interval [lo, lo] (Keras and JAX return lo).
    """
    if lo == hi:
        return _closed_bounds(job, lo, hi)
    dtype = job.out.dtype
    lo_c = formats.inward(lo, dtype, up=True)
    hi_c = formats.below(hi, dtype)
    checks.check_nonempty(lo_c, hi_c, f"[{lo}, {hi})", dtype)
    return lo_c, hi_c


def bits(job):
    _run(job, "fill_bits", ())
    return job.out


def constant(out, value):
    """Validated buffer and finite value: the value must be finite in the dtype too."""
    checks.check_fits("value", value, out.dtype)
    if out.size:
        out[...] = value
    return out


def uniform(job, low, high):
    """Validated low <= high; values clamp(low + (high-low)*u) in [low, high)."""
    checks.check_fits("minval", low, job.out.dtype)
    checks.check_fits("maxval", high, job.out.dtype)
    # the 32-bit paths compute in float32: a wider span would overflow to inf
    span = high - low
    checks.check_span(span, _F64_MAX if job.fmt == constants.FMT_F64 else _F32_MAX, job.out.dtype)
    lo_c, hi_c = _half_open_bounds(job, low, high)
    _run(job, "fill_uniform", (low, span, lo_c, hi_c, job.fmt))
    return job.out


def normal(job, mean, std):
    """Validated mean, std >= 0; Box-Muller never goes beyond NORMAL_Z_MAX standard deviations."""
    double = job.fmt == constants.FMT_F64
    z_max = constants.NORMAL_Z_MAX_F64 if double else constants.NORMAL_Z_MAX_F32
    checks.check_normal_reach(mean, std, z_max, job.out.dtype)
    _run(job, "fill_normal", (mean, std, job.fmt))
    return job.out


@functools.lru_cache(maxsize=256)
def _truncated_scalars(mean, std, lower, upper, fmt, dtype):
    """(kernel name, its scalars) for a truncated normal; validates the interval.

    Cached: a model's layers repeat the same few (std, dtype), and the tail
    constants and quantiles cost tens of microseconds in Python.
    """
    limit = _ERF_LIMIT[fmt == constants.FMT_F64]
    plan = tails.Plan(lower, upper, fmt == constants.FMT_F64, limit)
    lo, hi = mean + std * plan.lo, mean + std * plan.hi
    checks.check_fits("mean + stddev * lower", lo, dtype)
    checks.check_fits("mean + stddev * upper", hi, dtype)
    lo_c = formats.inward(lo, dtype, up=True)
    hi_c = formats.inward(hi, dtype, up=False)
    checks.check_nonempty(lo_c, hi_c, f"[{lo}, {hi}]", dtype)
    q_lo, q_hi = (mean + std * plan.quantile(p) for p in (0.01, 0.99))
    checks.check_faithful(formats.count_between(min(q_lo, q_hi), max(q_lo, q_hi), dtype),
                     lower, upper, constants.TRUNC_MIN_VALUES, dtype)
    if plan.tail:
        return "fill_truncated_tail", (mean, plan.tail * std, plan.a, plan.d, plan.log_ma,
                                       lo_c, hi_c, fmt)
    ea = min(max(math.erf(lower / constants.SQRT2), -limit), limit)
    eb = min(max(math.erf(upper / constants.SQRT2), -limit), limit)
    return "fill_truncated_normal", (mean, std, ea, eb, lo_c, hi_c, fmt)


def truncated_normal(job, mean, std, lower, upper):
    """Validated std > 0 and lower < upper (standard units; either may be infinite).

    An interval wholly in a far tail takes the float64 tail kernel, any other
    the erf-space inverse CDF (``tails.Plan``).
    """
    name, params = _truncated_scalars(mean, std, lower, upper, job.fmt, job.out.dtype)
    _run(job, name, params)
    return job.out
