"""From validated arguments to kernel calls: the one path every fill takes.

public function -> ``prepare`` (validation, geometry; raises before any
write) -> distribution scalars -> ``_backend.call`` over the runs.
"""

import functools
import math
from typing import NamedTuple

import numpy as np

from . import _backend, _dtypes, _streams, _tails
from . import _constants as C
from . import _validation as V

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
        V.check_bits_buffer(out)
        fmt = None
    else:
        fmt = V.check_buffer(out)
    seed = V.check_uint64("seed", seed)
    stream = V.check_stream(stream)
    full = V.check_geometry(out.shape, full_shape, origin, offset)
    n_threads = V.check_n_threads(n_threads)
    V.check_choice("backend", backend, _backend.BACKENDS)
    name = _backend.resolve(backend)
    V.check_backend_built(name, _backend.cython_available())
    gstrides, first = _streams.global_geometry(out.shape, full, origin, offset)
    keys = (*_streams.key_words(seed), *_streams.stream_words(stream))
    return Job(out, fmt, full, gstrides, first, keys, name,
               _backend.effective_n_threads(n_threads, out.size))


def _run(job, name, params):
    """Kernel ``name`` over the whole buffer: directly, or tile by tile if F-ordered."""
    out = job.out
    if out.size == 0:
        return
    if out.flags.c_contiguous:
        runs = _streams.plan_runs(out.shape, job.gstrides, _streams.c_strides(out.shape),
                                  job.first)
        _backend.call(job.backend, name, job.n_threads, _dtypes.memory(out, job.fmt), runs,
                      job.keys, params)
        return
    scratch = np.empty(min(out.size, TILE_ELEMENTS), out.dtype)
    for index, shape, first in _streams.f_order_tiles(out.shape, job.gstrides, job.first,
                                                      TILE_ELEMENTS):
        tile = scratch[:math.prod(shape)].reshape(shape)
        runs = _streams.plan_runs(shape, job.gstrides, _streams.c_strides(shape), first)
        _backend.call(job.backend, name, job.n_threads, _dtypes.memory(tile, job.fmt), runs,
                      job.keys, params)
        out[index] = tile


def _closed_bounds(job, lo, hi):
    """[lo, hi] rounded inward to the dtype: the clamp of a closed interval."""
    dtype = job.out.dtype
    lo_c = _dtypes.inward(lo, dtype, up=True)
    hi_c = _dtypes.inward(hi, dtype, up=False)
    V.check_nonempty(lo_c, hi_c, f"[{lo}, {hi}]", dtype)
    return lo_c, hi_c


def _half_open_bounds(job, lo, hi):
    """[lo, hi) rounded inward: hi_c is the largest value of the dtype below hi.

    ``lo == hi`` is the one-point interval [lo, lo] (Keras and JAX return lo).
    """
    if lo == hi:
        return _closed_bounds(job, lo, hi)
    dtype = job.out.dtype
    lo_c = _dtypes.inward(lo, dtype, up=True)
    hi_c = _dtypes.below(hi, dtype)
    V.check_nonempty(lo_c, hi_c, f"[{lo}, {hi})", dtype)
    return lo_c, hi_c


def bits(job):
    _run(job, "fill_bits", ())
    return job.out


def constant(out, value):
    """Validated buffer and finite value: the value must be finite in the dtype too."""
    V.check_fits("value", value, out.dtype)
    if out.size:
        out[...] = value
    return out


def uniform(job, low, high):
    """Validated low <= high; values clamp(low + (high-low)*u) in [low, high)."""
    V.check_fits("minval", low, job.out.dtype)
    V.check_fits("maxval", high, job.out.dtype)
    # the 32-bit paths compute in float32: a wider span would overflow to inf
    span = high - low
    V.check_span(span, _F64_MAX if job.fmt == C.FMT_F64 else _F32_MAX, job.out.dtype)
    lo_c, hi_c = _half_open_bounds(job, low, high)
    _run(job, "fill_uniform", (low, span, lo_c, hi_c, job.fmt))
    return job.out


def normal(job, mean, std):
    """Validated mean, std >= 0; Box-Muller never goes beyond NORMAL_Z_MAX standard deviations."""
    z_max = C.NORMAL_Z_MAX_F64 if job.fmt == C.FMT_F64 else C.NORMAL_Z_MAX_F32
    V.check_normal_reach(mean, std, z_max, job.out.dtype)
    _run(job, "fill_normal", (mean, std, job.fmt))
    return job.out


@functools.lru_cache(maxsize=256)
def _truncated_scalars(mean, std, lower, upper, fmt, dtype):
    """(kernel name, its scalars) for a truncated normal; validates the interval.

    Cached: a model's layers repeat the same few (std, dtype), and the tail
    constants and quantiles cost tens of microseconds in Python.
    """
    limit = _ERF_LIMIT[fmt == C.FMT_F64]
    plan = _tails.Plan(lower, upper, fmt == C.FMT_F64, limit)
    lo, hi = mean + std * plan.lo, mean + std * plan.hi
    V.check_fits("mean + stddev * lower", lo, dtype)
    V.check_fits("mean + stddev * upper", hi, dtype)
    lo_c = _dtypes.inward(lo, dtype, up=True)
    hi_c = _dtypes.inward(hi, dtype, up=False)
    V.check_nonempty(lo_c, hi_c, f"[{lo}, {hi}]", dtype)
    q_lo, q_hi = (mean + std * plan.quantile(p) for p in (0.01, 0.99))
    V.check_faithful(_dtypes.count_between(min(q_lo, q_hi), max(q_lo, q_hi), dtype),
                     lower, upper, C.TRUNC_MIN_VALUES, dtype)
    if plan.tail:
        return "fill_truncated_tail", (mean, plan.tail * std, plan.a, plan.d, plan.log_ma,
                                       lo_c, hi_c, fmt)
    ea = min(max(math.erf(lower / C.SQRT2), -limit), limit)
    eb = min(max(math.erf(upper / C.SQRT2), -limit), limit)
    return "fill_truncated_normal", (mean, std, ea, eb, lo_c, hi_c, fmt)


def truncated_normal(job, mean, std, lower, upper):
    """Validated std > 0 and lower < upper (standard units; either may be infinite).

    An interval wholly in a far tail takes the float64 tail kernel, any other
    the erf-space inverse CDF (``_tails.Plan``).
    """
    name, params = _truncated_scalars(mean, std, lower, upper, job.fmt, job.out.dtype)
    _run(job, name, params)
    return job.out
