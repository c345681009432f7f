"""From a checked request and law to kernel calls: the one path every fill takes.

``run(request, law)``: the law's scalars for the output format (computed and
checked once per distinct law and format, then cached), the runs of global
indices of the buffer, then the backend's kernel over them, through the
parallel driver or, for a small fill, straight on the calling thread.
"""

import functools
import math

import numpy as np

from . import backends, checks, formats, laws, parallel, request, streams, tails
from .constants import (
    FMT_F64,
    NORMAL_Z_MAX_F32,
    NORMAL_Z_MAX_F64,
    REJECT_MIN_MASS,
    SQRT2,
    TRUNC_MIN_VALUES,
)

# 1 - 2**-24 and 1 - 2**-53: the largest values below 1 in float32/float64,
# so (1-x)(1+x) never reaches 0 inside the inverse CDF.
_ERF_LIMIT = {False: 1.0 - 2.0**-24, True: 1.0 - 2.0**-53}
_F32_MAX = float(np.finfo(np.float32).max)
_F64_MAX = float(np.finfo(np.float64).max)

# F-ordered buffers are filled through a C-ordered scratch block of at most this
# many elements (4 MiB of float32), then copied in: bounded, not proportional.
TILE_ELEMENTS = 1 << 20


def public(out, seed, stream, full_shape, origin, offset, n_threads, backend, law, *,
           bits=False):
    """The path of every public random function: one checked request, one law, one fill."""
    req = request.parse(out, request.keys(seed, stream), full_shape, origin, offset, n_threads,
                        backend, bits=bits)
    return run(req, law)


def run(req, law):
    """Fill ``request.out`` with ``law``; returns it. Raises before any write."""
    name, params = scalars(laws.resolve(law, req.full), req.fmt)
    return run_kernel(req, name, params)


def run_kernel(req, name, params):
    """Fill ``request.out`` with kernel ``name`` and its scalars (:func:`scalars` of a law,
    for a caller that keeps them: a model's tensors repeat a few laws); returns it."""
    out = req.out
    if out.size == 0:
        return out
    if out.flags.c_contiguous:
        _call(req, name, params, formats.memory(out, req.fmt), out.shape, req.first)
        return out
    scratch = np.empty(min(out.size, TILE_ELEMENTS), out.dtype)
    for index, shape, first in streams.f_order_tiles(out.shape, req.gstrides, req.first,
                                                     TILE_ELEMENTS):
        tile = scratch[:math.prod(shape)].reshape(shape)
        _call(req, name, params, formats.memory(tile, req.fmt), shape, first)
        out[index] = tile
    return out


def _call(req, name, params, mem, shape, first):
    """The kernel over the runs of a C-ordered ``mem`` of ``shape`` whose first element is
    global element ``first``."""
    kernel = backends.kernel(req.backend, name)
    if len(shape) <= 1 or req.gstrides == _c_strides(shape):
        # consecutive in the full tensor too: one run
        step = req.gstrides[-1] if shape else 1
        args = (mem, *req.keys, first, mem.size, 0, step, *params)
        if mem.size <= parallel.GRAIN_ELEMENTS:
            parallel.run_small(kernel, args, mem.size)
            return
        arglists, row_lens, sizes = [args], [mem.size], [mem.size]
    else:
        runs = streams.plan_runs(shape, req.gstrides, _c_strides(shape), first)
        arglists = [(mem[r.start:r.start + r.size], *req.keys, r.first, r.row_len, r.row_step,
                     r.step, *params) for r in runs]
        row_lens, sizes = [r.row_len for r in runs], [r.size for r in runs]
    parallel.run(kernel, arglists, row_lens, sizes,
                 backends.effective_n_threads(req.n_threads, mem.size))


@functools.lru_cache(maxsize=256)
def _c_strides(shape):
    return tuple(math.prod(shape[d + 1:]) for d in range(len(shape)))


def scalars(law, fmt):
    """(kernel name, its scalars) of ``law`` for output format ``fmt``; checks what the
    dtype must hold. Cached per distinct (law, format): a model's layers repeat a few."""
    # Laws are tuples: Normal(0, 1) == Uniform(0, 1) as cache keys unless the type is part
    # of the key; and -0.0 == 0.0, yet a zero-std fill of mean -0.0 writes -0.0.
    signs = () if 0.0 not in law else tuple(math.copysign(1.0, v) for v in law
                                             if isinstance(v, float) and v == 0.0)
    return _scalars(type(law), law, fmt, signs)


@functools.lru_cache(maxsize=1024)
def _scalars(kind, law, fmt, signs):
    if kind is laws.Bits:
        return "fill_bits", ()
    dtype = formats.dtype_of(fmt)
    if kind is laws.Uniform:
        return "fill_uniform", _uniform(law, fmt, dtype)
    if kind is laws.Normal:
        z_max = NORMAL_Z_MAX_F64 if fmt == FMT_F64 else NORMAL_Z_MAX_F32
        checks.check_normal_reach(law.mean, law.std, z_max, dtype)
        return "fill_normal", (law.mean, law.std, fmt)
    return _truncated(law, fmt, dtype)


def _uniform(law, fmt, dtype):
    """clamp(low + (high-low)*u) into [low, high) rounded inward to the dtype."""
    low, high = law
    checks.check_fits("minval", low, dtype)
    checks.check_fits("maxval", high, dtype)
    # the 32-bit paths compute in float32: a wider span would overflow to inf
    span = high - low
    checks.check_span(span, _F64_MAX if fmt == FMT_F64 else _F32_MAX, dtype)
    lo_c = formats.inward(low, dtype, up=True)
    # [low, high): the upper clamp is the largest value of the dtype below high;
    # low == high is the one-point interval [low, low] (Keras and JAX return low)
    hi_c = formats.inward(high, dtype, up=False) if low == high else formats.below(high, dtype)
    checks.check_nonempty(lo_c, hi_c, f"[{low}, {high}{']' if low == high else ')'}", dtype)
    return low, span, lo_c, hi_c, fmt


def _truncated(law, fmt, dtype):
    """The far-tail kernel for an interval wholly beyond TAIL_START, rejection for one holding
    at least REJECT_MIN_MASS of the mass, else the erf-space inverse CDF."""
    mean, std, lower, upper = law
    double = fmt == FMT_F64
    limit = _ERF_LIMIT[double]
    plan = tails.Plan(lower, upper, double, limit)
    reject = not plan.tail and plan.cdf_hi - plan.cdf_lo >= REJECT_MIN_MASS
    if reject:
        # rejection keeps normal values as they are: an infinite bound rejects none, and
        # the values reach mean -+ z_max * std at most
        z_max = NORMAL_Z_MAX_F64 if double else NORMAL_Z_MAX_F32
        lo = mean + std * (lower if math.isfinite(lower) else -z_max)
        hi = mean + std * (upper if math.isfinite(upper) else z_max)
    else:
        lo, hi = mean + std * plan.lo, mean + std * plan.hi
    checks.check_fits("mean + stddev * lower", lo, dtype)
    checks.check_fits("mean + stddev * upper", hi, dtype)
    lo_c = formats.inward(lo, dtype, up=True)
    hi_c = formats.inward(hi, dtype, up=False)
    checks.check_nonempty(lo_c, hi_c, f"[{lo}, {hi}]", dtype)
    q_lo, q_hi = (mean + std * plan.quantile(p) for p in (0.01, 0.99))
    checks.check_faithful(formats.count_between(min(q_lo, q_hi), max(q_lo, q_hi), dtype),
                          lower, upper, TRUNC_MIN_VALUES, dtype)
    if plan.tail:
        return "fill_truncated_tail", (mean, plan.tail * std, plan.a, plan.d, plan.log_ma,
                                       lo_c, hi_c, fmt)
    ea = min(max(math.erf(lower / SQRT2), -limit), limit)
    eb = min(max(math.erf(upper / SQRT2), -limit), limit)
    if reject:
        return _rejection(law, lo, hi, ea, eb, fmt, dtype)
    return "fill_truncated_normal", (mean, std, ea, eb, lo_c, hi_c, fmt)


def _rejection(law, lo, hi, ea, eb, fmt, dtype):
    """Scalars of the rejection kernel, or of the normal fill when no value can be rejected.

    Values are tested in the precision they are computed in (float32 for the
    32- and 16-bit formats) against ``[lo, hi]`` rounded inward to it
    (``lo_c, hi_c``), then clamped into the output dtype's own bounds
    (``lo_o, hi_o``; the same for float32 and float64) and rounded.
    """
    mean, std, lower, upper = law
    work = np.float64 if fmt == FMT_F64 else np.float32
    lo_c = formats.inward(lo, work, up=True) if math.isfinite(lower) else -math.inf
    hi_c = formats.inward(hi, work, up=False) if math.isfinite(upper) else math.inf
    lo_o = formats.inward(lo, dtype, up=True) if math.isfinite(lower) else -math.inf
    hi_o = formats.inward(hi, dtype, up=False) if math.isfinite(upper) else math.inf
    # |z| <= z_max, and the kernels' mean + std*z is monotone in z: when the extremes
    # stay inside [lo_o, hi_o] nothing is ever rejected, and the values are the normal fill's
    z_max = work(NORMAL_Z_MAX_F64 if fmt == FMT_F64 else NORMAL_Z_MAX_F32)
    m, s = work(mean), work(std)
    with np.errstate(over="ignore"):
        if m - s * z_max >= lo_o and m + s * z_max <= hi_o:
            return "fill_normal", (mean, std, fmt)
    return "fill_truncated_reject", (mean, std, ea, eb, lo_c, hi_c, lo_o, hi_o, fmt)


def constant(out, value):
    """A checked buffer and finite value: the value must be finite in the dtype too."""
    checks.check_fits("value", value, out.dtype)
    if out.size:
        out[...] = value
    return out
