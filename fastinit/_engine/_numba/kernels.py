"""Fill kernels: Philox4x32-10 words -> samples, written straight into ``out``.

Mirror: ``fastinit/_engine/_cython/kernels.pyx`` (same names, arguments and numbered
steps). Spec: ``tests/reference.py``; contract: README, "The randomness
contract".

Geometry: memory element ``m`` of the 1-D ``out`` is row ``m // row_len``,
column ``k = m % row_len``, and holds global element
``g = first + row*row_step + k*step``; its value depends only on
(key, stream, g). Word ``w`` is lane ``w % 4`` of Philox block ``q = w // 4``
under counter ``(q_lo, q_hi, stream0, stream1)``. Each ``fill_*`` is serial
and releases the GIL. Its threads share ``claims``: each call takes ``grain``
work items at a time (``claim_items`` in ``chunks.py``) until the items ``< t1``
are gone or it has taken ``quota`` turns, and fills each with its
``*_item`` function; ``fastinit/_engine/parallel.py`` runs the calls. Claiming
inside the kernel costs one atomic add per ``grain`` items, where a return
to Python between tasks cost tens of microseconds with cold caches.
"""

import numba
from numba import njit

from ..constants import FMT_BF16, FMT_F16, FMT_F32
from . import _INLINE_OPTS, _NUMBA_OPTS, philox, rejection, transforms
from .chunks import CHUNK_ELEMS, FMT_F64, claim_items, run_args
from .normal import normal_run_f32, normal_run_f64
from .philox import philox4x32_10
from .rejection import reject_run_f32, reject_run_f64
from .tails import truncated_tail_run_f32, truncated_tail_run_f64
from .transforms import F32, U32, U64
from .truncated import truncated_run_f32, truncated_run_f64
from .uniform import bits_run, uniform_run_f32, uniform_run_f64


# --- entry points: the work items < t1 of one run, claimed grain by grain -------
@njit(**_NUMBA_OPTS)
def fill_bits(out, key0, key1, stream0, stream1, first, row_len, row_step, step,
              claims, t1, grain, quota):
    """Raw Philox words: element g is word g."""
    args = run_args(key0, key1, stream0, stream1, step, (), FMT_F32)
    claim_items(bits_item, out, args, first, row_len, row_step, claims, t1, grain, quota)


@njit(**_NUMBA_OPTS)
def fill_uniform(out, key0, key1, stream0, stream1, first, row_len, row_step, step,
                 lo, span, lo_c, hi_c, fmt, claims, t1, grain, quota):
    """clamp(lo + span*u, lo_c, hi_c), u = 24-bit (53-bit for float64) uniform."""
    args = run_args(key0, key1, stream0, stream1, step, (lo, span, lo_c, hi_c), fmt)
    claim_items(uniform_item, out, args, first, row_len, row_step, claims, t1, grain, quota)


@njit(**_NUMBA_OPTS)
def fill_normal(out, key0, key1, stream0, stream1, first, row_len, row_step, step,
                mean, std, fmt, claims, t1, grain, quota):
    """mean + std*z, z from Box-Muller on the pair of element g."""
    args = run_args(key0, key1, stream0, stream1, step, (mean, std), fmt)
    claim_items(normal_item, out, args, first, row_len, row_step, claims, t1, grain, quota)


@njit(**_NUMBA_OPTS)
def fill_truncated_normal(out, key0, key1, stream0, stream1, first, row_len, row_step, step,
                          mean, std, ea, eb, lo_c, hi_c, fmt, claims, t1, grain, quota):
    """clamp(mean + std*sqrt(2)*erfinv(ea + (eb-ea)*u), lo_c, hi_c)."""
    args = run_args(key0, key1, stream0, stream1, step, (mean, std, ea, eb, lo_c, hi_c), fmt)
    claim_items(truncated_item, out, args, first, row_len, row_step, claims, t1, grain, quota)


@njit(**_NUMBA_OPTS)
def fill_truncated_reject(out, key0, key1, stream0, stream1, first, row_len, row_step, step,
                          mean, std, ea, eb, lo_c, hi_c, lo_o, hi_o, fmt, claims, t1, grain,
                          quota):
    """mean + std*z of the normal fill where inside [lo_c, hi_c], else redrawn (rejection.py)."""
    args = run_args(key0, key1, stream0, stream1, step,
                    (mean, std, ea, eb, lo_c, hi_c, lo_o, hi_o), fmt)
    claim_items(truncated_reject_item, out, args, first, row_len, row_step, claims, t1, grain,
                quota)


@njit(**_NUMBA_OPTS)
def fill_truncated_tail(out, key0, key1, stream0, stream1, first, row_len, row_step, step,
                        mean, std_s, a, d, log_ma, lo_c, hi_c, fmt, claims, t1, grain, quota):
    """clamp(mean + std_s*z, lo_c, hi_c), z the far-tail inverse of u (float64)."""
    args = run_args(key0, key1, stream0, stream1, step, (mean, std_s, a, d, log_ma, lo_c, hi_c),
                    fmt)
    claim_items(truncated_tail_item, out, args, first, row_len, row_step, claims, t1, grain,
                quota)


# --- one work item of each entry point: ``out`` its elements, g0 the first one's index ---
@njit(**_INLINE_OPTS)
def bits_item(out, g0, args):
    bits_run(out, args.key0, args.key1, args.stream0, args.stream1, g0, args.step)


@njit(**_INLINE_OPTS)
def uniform_item(out, g0, args):
    lo, span, lo_c, hi_c = args.p
    if args.fmt == FMT_F64:
        uniform_run_f64(out, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                        lo, span, lo_c, hi_c)
    else:
        uniform_run_f32(out, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                        F32(lo), F32(span), F32(lo_c), F32(hi_c), args.fmt)


@njit(**_INLINE_OPTS)
def normal_item(out, g0, args):
    mean, std = args.p
    if args.fmt == FMT_F64:
        normal_run_f64(out, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                       mean, std)
    else:
        normal_run_f32(out, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                       F32(mean), F32(std), args.fmt)


@njit(**_INLINE_OPTS)
def truncated_item(out, g0, args):
    mean, std, ea, eb, lo_c, hi_c = args.p
    if args.fmt == FMT_F64:
        truncated_run_f64(out, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                          mean, std, ea, eb, lo_c, hi_c)
    else:
        truncated_run_f32(out, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                          F32(mean), F32(std), F32(ea), F32(eb), F32(lo_c), F32(hi_c), args.fmt)


@njit(**_INLINE_OPTS)
def truncated_reject_item(out, g0, args):
    mean, std, ea, eb, lo_c, hi_c, lo_o, hi_o = args.p
    if args.fmt == FMT_F64:
        reject_run_f64(out, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                       mean, std, ea, eb, lo_c, hi_c)
    else:
        reject_run_f32(out, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                       F32(mean), F32(std), F32(ea), F32(eb), F32(lo_c), F32(hi_c), F32(lo_o),
                       F32(hi_o), args.fmt)


@njit(**_INLINE_OPTS)
def truncated_tail_item(out, g0, args):
    mean, std_s, a, d, log_ma, lo_c, hi_c = args.p
    if args.fmt == FMT_F64:
        truncated_tail_run_f64(out, args.key0, args.key1, args.stream0, args.stream1, g0,
                               args.step, mean, std_s, a, d, log_ma, lo_c, hi_c)
    else:  # float32 and the 16-bit formats: the tail path computes in float64
        truncated_tail_run_f32(out, args.key0, args.key1, args.stream0, args.stream1, g0,
                               args.step, mean, std_s, a, d, log_ma, lo_c, hi_c, args.fmt)


# --- test hooks: what the kernels see ---------------------------------------------
@njit(**_NUMBA_OPTS)
def philox4x32_10_words(c0, c1, c2, c3, k0, k1):
    """The four words of ``philox4x32_10`` on one counter: the known-answer-test hook.

    fill_bits cannot reach counters with ``c1 >= 2**29`` (word indices are int64).
    """
    b = philox4x32_10(U64(c0), U64(c1), U64(c2), U64(c3), U64(k0), U64(k1))
    return U32(b[0]), U32(b[1]), U32(b[2]), U32(b[3])


def constants():
    """Name -> value of each constant of fastinit._engine.constants, in the type the kernels use."""
    names = ("PHILOX_M4x32_0", "PHILOX_M4x32_1", "PHILOX_W32_0", "PHILOX_W32_1", "MASK32",
             "PHILOX_ROUNDS", "PHILOX_BATCH")
    seen = {name: getattr(philox, name) for name in names}
    seen.update(FMT_F32=FMT_F32, FMT_F64=FMT_F64, FMT_BF16=FMT_BF16, FMT_F16=FMT_F16,
                CHUNK_BLOCKS=CHUNK_ELEMS // 4, REDRAW_BATCH=philox.REDRAW_BATCH)
    seen.update((name, getattr(rejection, name)) for name in rejection.CONSTANTS)
    seen.update((name, getattr(transforms, name)) for name in transforms.CONSTANTS)
    return seen


def build_info():
    """How this backend compiles its kernels (``show_config`` prints it)."""
    opts = ", ".join(f"{k}={v}" for k, v in _NUMBA_OPTS.items())
    return f"numba {numba.__version__} @njit({opts})"
