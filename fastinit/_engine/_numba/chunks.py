"""Work items and the per-element helpers every distribution shares.

Mirror: ``fastinit/_engine/_cython/chunks.pxd`` (same names, arguments and numbered
steps). A work item is at most CHUNK_ELEMS consecutive elements of one row
of a run. The threads of ``fastinit/_engine/parallel.py`` claim items in turn from
one shared counter, so which thread writes an item never changes a bit.
"""

from collections import namedtuple

from numba import njit

from .. import constants
from . import _INLINE_OPTS, borrowed, fetch_add
from .philox import PHILOX_BATCH, philox_block
from .transforms import U64, f32_to_bf16_bits, f32_to_f16_bits

CHUNK_ELEMS = 4 * constants.CHUNK_BLOCKS
FMT_F32 = constants.FMT_F32
FMT_F64 = constants.FMT_F64
FMT_BF16 = constants.FMT_BF16
FMT_F16 = constants.FMT_F16
# What every work item of one kernel call shares (the twin's struct run_args_t):
# key and stream words, the global stride within a row, the distribution's
# parameters in the entry point's order, the output format.
RunArgs = namedtuple("RunArgs", ["key0", "key1", "stream0", "stream1", "step", "p", "fmt"])


@njit(**_INLINE_OPTS)
def claim(claims, grain):
    """First of the next ``grain`` work items no thread has taken (``claims[0]`` moves on)."""
    return fetch_add(claims, grain)


@njit(**_INLINE_OPTS)
def run_args(key0, key1, stream0, stream1, step, p, fmt):
    """The RunArgs of one kernel call, key and stream words widened to uint64."""
    return RunArgs(U64(key0), U64(key1), U64(stream0), U64(stream1), step, p, fmt)


# The one claim loop of the fill_* kernels (kernels.py). Each passes as ``run``
# the function that fills one of its work items: Numba compiles claim_items
# for each ``run`` (every jitted function is a type of its own) and inlines
# both into the kernel, so the loop compiles as if written in place.
@njit(**_INLINE_OPTS)
def claim_items(run, out, args, first, row_len, row_step, claims, t1, grain, quota):
    """Claim work items ``grain`` at a time and ``run`` each: ``run(items, g0, args)``.

    Stops when the items ``< t1`` are gone or after ``quota`` claims.
    """
    out = borrowed(out)  # no refcount per slice: see fastinit/_engine/_numba/__init__.py
    per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    for _ in range(quota):
        t0 = claim(claims, grain)
        if t0 >= t1:
            break
        for t in range(t0, min(t0 + grain, t1)):
            m0, n, g0 = work_item(t, per_row, row_len, first, row_step, args.step)
            run(out[m0:m0 + n], g0, args)


@njit(**_INLINE_OPTS)
def work_item(t, per_row, row_len, first, row_step, step):
    """Memory start, length and first global index of work item ``t``."""
    r = t // per_row
    k0 = (t % per_row) * CHUNK_ELEMS
    n = min(CHUNK_ELEMS, row_len - k0)
    return r * row_len + k0, n, first + r * row_step + k0 * step


@njit(**_INLINE_OPTS)
def word_pair(w, key0, key1, stream0, stream1):
    """Words w and w+1 (w even) of a stream."""
    b = philox_block(U64(w >> 2), key0, key1, stream0, stream1)
    lane = w & 3
    return b[lane], b[lane + 1]


@njit(**_INLINE_OPTS)
def clamp(x, lo_c, hi_c):
    x = lo_c if x < lo_c else x
    x = hi_c if x > hi_c else x
    return x


@njit(**_INLINE_OPTS)
def store(out, m, x, fmt):
    """Write float32/float64 ``x``; 16-bit formats round to nearest even."""
    if fmt == FMT_BF16:
        out[m] = f32_to_bf16_bits(x)
    elif fmt == FMT_F16:
        out[m] = f32_to_f16_bits(x)
    else:
        out[m] = x


@njit(**_INLINE_OPTS)
def store_row(out, row, n, lo_c, hi_c, fmt):
    """``row[:n]`` clamped into [lo_c, hi_c], rounded to the 16-bit format ``fmt``, into ``out``.

    One plain loop; the truncated normals' batches of 16-bit fills go through
    it (truncated.py, rejection.py). Bounds the format holds: the clamp and the
    rounding commute.
    """
    if fmt == FMT_BF16:
        for m in range(n):
            out[m] = f32_to_bf16_bits(clamp(row[m], lo_c, hi_c))
    else:
        for m in range(n):
            out[m] = f32_to_f16_bits(clamp(row[m], lo_c, hi_c))


@njit(**_INLINE_OPTS)
def head_len(g0, n, per):
    """Elements before the first whole Philox block (g0 >= 0)."""
    return min((per - g0 % per) % per, n)


@njit(**_INLINE_OPTS)
def batch_count(nb):
    """Batches of PHILOX_BATCH blocks covering ``nb`` whole blocks."""
    return (nb + PHILOX_BATCH - 1) // PHILOX_BATCH
