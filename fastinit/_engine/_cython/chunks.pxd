# Work items and the per-element helpers every distribution shares.
# Mirror: fastinit/_engine/_numba/chunks.py (same names, arguments and numbered steps).
# A work item is at most CHUNK_ELEMS consecutive elements of one row of a run.
# The threads of fastinit/_engine/parallel.py claim items in turn from one shared
# counter, so which thread writes an item never changes a bit.

from cython cimport floating
from libc.stdint cimport int64_t, uint16_t, uint32_t, uint64_t

from .philox cimport PHILOX_BATCH, philox_block, philox_words
from .transforms cimport f32_to_bf16_bits, f32_to_f16_bits

cdef extern from "constants.h":  # written by setup.py from fastinit/_engine/constants.py
    enum: FMT_F32
    enum: FMT_F64
    enum: FMT_BF16
    enum: FMT_F16
    enum: CHUNK_BLOCKS  # Philox blocks per work item

cdef enum:
    CHUNK_ELEMS = 4 * CHUNK_BLOCKS

ctypedef fused out_t:  # the buffer: float32, float64, or the bits of float16/bfloat16
    float
    double
    uint16_t

ctypedef fused out32_t:  # what the float32 paths write
    float
    uint16_t

ctypedef fused mem_t:  # what a kernel writes: out_t, or fill_bits' words
    float
    double
    uint16_t
    uint32_t

ctypedef struct run_args_t:  # what every work item of one kernel call shares
    uint64_t key0
    uint64_t key1
    uint64_t stream0
    uint64_t stream1
    int64_t step  # global stride within a row
    double p[8]  # the distribution's parameters in the entry point's order (at most 8)
    int fmt

ctypedef struct item_t:
    int64_t m0  # first memory element
    int64_t n   # elements
    int64_t g0  # global index of the first element

cdef extern from *:
    # gcc/clang builtin; fastinit/_engine/_numba/__init__.py::fetch_add is its twin.
    # Relaxed order suffices: the claimed number orders nothing, and the caller
    # learns that the stores are done through a lock.
    int64_t __atomic_fetch_add(int64_t* p, int64_t v, int order) nogil
    int __ATOMIC_RELAXED

ctypedef struct two_words:
    uint64_t w0
    uint64_t w1


cdef inline int64_t claim(int64_t* claims, int64_t grain) noexcept nogil:
    """First of the next ``grain`` work items no thread has taken (``claims[0]`` moves on)."""
    return __atomic_fetch_add(claims, grain, __ATOMIC_RELAXED)


cdef inline run_args_t run_args(uint64_t key0, uint64_t key1, uint64_t stream0, uint64_t stream1,
                                int64_t step, int fmt) noexcept nogil:
    """The run_args_t of one kernel call; the caller fills in ``p``."""
    cdef run_args_t args
    args.key0 = key0
    args.key1 = key1
    args.stream0 = stream0
    args.stream1 = stream1
    args.step = step
    args.fmt = fmt
    return args


# The one claim loop of the fill_* kernels (kernels.pyx). Each passes as
# ``run`` the inline function that fills one of its work items: gcc inlines
# claim_items into the kernel, where ``run`` is a constant, and then ``run``
# itself, so the loop compiles as if written in place, with no call through a
# pointer (a template, in effect). ``run[out_t]`` names a specialization.
cdef inline void claim_items(
        void (*run)(mem_t*, int64_t, int64_t, const run_args_t*) noexcept nogil, mem_t[::1] out,
        const run_args_t* args, int64_t first, int64_t row_len, int64_t row_step, int64_t* claims,
        int64_t t1, int64_t grain, int64_t quota) noexcept nogil:
    """Claim work items ``grain`` at a time and ``run`` each: ``run(items, n, g0, args)``.

    Stops when the items ``< t1`` are gone or after ``quota`` claims.
    """
    cdef int64_t per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    cdef int64_t t, t0, turn
    cdef item_t it
    for turn in range(quota):
        t0 = claim(claims, grain)
        if t0 >= t1:
            break
        for t in range(t0, min(t0 + grain, t1)):
            it = work_item(t, per_row, row_len, first, row_step, args.step)
            run(&out[it.m0], it.n, it.g0, args)


cdef inline item_t work_item(int64_t t, int64_t per_row, int64_t row_len, int64_t first,
                             int64_t row_step, int64_t step) noexcept nogil:
    """Memory start, length and first global index of work item ``t``."""
    cdef int64_t r = t // per_row
    cdef int64_t k0 = (t % per_row) * CHUNK_ELEMS
    cdef item_t it
    it.m0 = r * row_len + k0
    it.n = min(<int64_t>CHUNK_ELEMS, row_len - k0)
    it.g0 = first + r * row_step + k0 * step
    return it


cdef inline two_words word_pair(int64_t w, uint64_t key0, uint64_t key1, uint64_t stream0,
                                uint64_t stream1) noexcept nogil:
    """Words w and w+1 (w even) of a stream."""
    cdef philox_words b = philox_block(<uint64_t>w >> 2, key0, key1, stream0, stream1)
    cdef int lane = w & 3
    cdef two_words p
    p.w0 = b.w[lane]
    p.w1 = b.w[lane + 1]
    return p


cdef inline floating clamp(floating x, floating lo_c, floating hi_c) noexcept nogil:
    x = lo_c if x < lo_c else x
    x = hi_c if x > hi_c else x
    return x


cdef inline void store(out32_t* out, int64_t m, float x, int fmt) noexcept nogil:
    """Write float32 ``x``; 16-bit formats round to nearest even."""
    if out32_t is float:
        out[m] = x
    elif fmt == FMT_BF16:
        out[m] = f32_to_bf16_bits(x)
    else:
        out[m] = f32_to_f16_bits(x)


cdef inline void store_row(uint16_t* out, const float* row, int64_t n, float lo_c, float hi_c,
                           int fmt) noexcept nogil:
    """``row[:n]`` clamped into [lo_c, hi_c], rounded to the 16-bit format ``fmt``, into ``out``.

    One plain loop; the truncated normals' batches of 16-bit fills go through
    it (truncated.pxd, rejection.pxd). Bounds the format holds: the clamp and
    the rounding commute.
    """
    cdef int64_t m
    if fmt == FMT_BF16:
        for m in range(n):
            out[m] = f32_to_bf16_bits(clamp(row[m], lo_c, hi_c))
    else:
        for m in range(n):
            out[m] = f32_to_f16_bits(clamp(row[m], lo_c, hi_c))


cdef inline int64_t head_len(int64_t g0, int64_t n, int64_t per) noexcept nogil:
    """Elements before the first whole Philox block (g0 >= 0)."""
    return min((per - g0 % per) % per, n)


cdef inline int64_t batch_count(int64_t nb) noexcept nogil:
    """Batches of PHILOX_BATCH blocks covering ``nb`` whole blocks."""
    return (nb + PHILOX_BATCH - 1) // PHILOX_BATCH
