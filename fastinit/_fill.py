"""From validated arguments to kernel calls: the one path every fill takes.

public function -> ``prepare`` (validation, geometry; raises before any
write) -> distribution scalars -> ``_backend.call`` over the runs.
"""

import math
from typing import NamedTuple

import numpy as np

from . import _backend, _dtypes, _streams
from . import _constants as C
from . import _validation as V

# 1 - 2**-24 and 1 - 2**-53: the largest values below 1 in float32/float64,
# so (1-x)(1+x) never reaches 0 inside the inverse CDF.
_ERF_LIMIT = {False: 1.0 - 2.0**-24, True: 1.0 - 2.0**-53}
_F32_MAX = float(np.finfo(np.float32).max)
_F64_MAX = float(np.finfo(np.float64).max)


class Job(NamedTuple):
    out: np.ndarray
    fmt: int
    full: tuple
    mem: np.ndarray
    runs: list
    keys: tuple
    backend: str
    n_threads: int


def prepare(out, *, seed, stream, full_shape, origin, offset, n_threads, backend, bits=False):
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
    if name == "cython" and not _backend.cython_available():
        raise ValueError("backend must be 'numba' or 'auto' here: the Cython extension is "
                         "not built, got 'cython' (reinstall with a C compiler)")
    mem = _dtypes.memory(out, fmt)
    runs = _streams.plan_runs(out, full, origin, offset) if out.size else []
    keys = (*_streams.key_words(seed), *_streams.stream_words(stream))
    return Job(out, fmt, full, mem, runs, keys, name,
               _backend.effective_n_threads(n_threads, out.size))


def _inward_bounds(job, lo, hi):
    dtype = job.out.dtype
    lo_c = _dtypes.inward(lo, dtype, up=True)
    hi_c = _dtypes.inward(hi, dtype, up=False)
    if lo_c > hi_c:
        raise ValueError(f"the interval [{lo}, {hi}] must contain a value representable in "
                         f"{dtype}, got none")
    return lo_c, hi_c


def bits(job):
    if job.runs:
        _backend.call(job.backend, "fill_bits", job.n_threads, job.mem, job.runs, job.keys, ())
    return job.out


def uniform(job, low, high):
    """Validated low <= high; values clamp(low + (high-low)*u) in [low, high]."""
    span = high - low
    # the 32-bit paths compute in float32: a wider span would overflow to inf
    limit = _F64_MAX if job.fmt == C.FMT_F64 else _F32_MAX
    if not abs(span) <= limit:
        raise ValueError(f"maxval - minval must be at most {limit:.4g} for {job.out.dtype}, "
                         f"got {span}")
    lo_c, hi_c = _inward_bounds(job, low, high)
    if job.runs:
        _backend.call(job.backend, "fill_uniform", job.n_threads, job.mem, job.runs, job.keys,
                      (low, span, lo_c, hi_c, job.fmt))
    return job.out


def normal(job, mean, std):
    if job.runs:
        _backend.call(job.backend, "fill_normal", job.n_threads, job.mem, job.runs, job.keys,
                      (mean, std, job.fmt))
    return job.out


def truncated_normal(job, mean, std, lower, upper):
    """Validated std > 0 and lower < upper (in units of std)."""
    limit = _ERF_LIMIT[job.fmt == C.FMT_F64]
    ea = min(max(math.erf(lower / C.SQRT2), -limit), limit)
    eb = min(max(math.erf(upper / C.SQRT2), -limit), limit)
    lo_c, hi_c = _inward_bounds(job, mean + std * lower, mean + std * upper)
    if job.runs:
        _backend.call(job.backend, "fill_truncated_normal", job.n_threads, job.mem, job.runs,
                      job.keys, (mean, std, ea, eb, lo_c, hi_c, job.fmt))
    return job.out
