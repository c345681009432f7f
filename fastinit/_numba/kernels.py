"""Fill kernels: Philox4x32-10 words -> samples, written straight into ``out``.

Mirror: ``fastinit/_cython/kernels.pyx`` (same names, arguments and numbered
steps; Cython adds a trailing ``n_threads``). Spec: ``tests/reference.py``;
contract: README, "The randomness contract".

Geometry: memory element ``m`` of the 1-D ``out`` is row ``m // row_len``,
column ``k = m % row_len``, and holds global element
``g = first + row*row_step + k*step``; its value depends only on
(key, stream, g). Word ``w`` is lane ``w % 4`` of Philox block ``q = w // 4``
under counter ``(q_lo, q_hi, stream0, stream1)``. Work is cut into chunks of
rows, never into threads, so the thread count cannot change a bit.

Each distribution has: ``*_block_*`` (steps 1-3: the values of one Philox
block), ``*_blocks`` (step 4: a plain loop over whole blocks; a function of its
own, with one loop per output format, because LLVM vectorizes only such
loops), ``*_run`` (one contiguous chunk: unaligned head and tail element by
element, whole blocks in between; strided runs element by element) and the
parallel ``fill_*``.
"""

from numba import njit, prange

from .. import _constants as C
from . import _INLINE_OPTS, _NUMBA_OPTS
from .philox import philox_block
from .transforms import (
    F32,
    U64,
    box_muller_f32,
    box_muller_f64,
    erfinv_f32,
    erfinv_f64,
    f32_to_bf16_bits,
    f32_to_f16_bits,
    u01_closed_open_f32,
    u01_closed_open_f64,
    u01_open_open_f32,
    u01_open_open_f64,
)

CHUNK_ELEMS = 4 * C.CHUNK_BLOCKS
FMT_F64 = C.FMT_F64
FMT_BF16 = C.FMT_BF16
FMT_F16 = C.FMT_F16
SQRT2_F = F32(C.SQRT2)
SQRT2 = C.SQRT2
ERFINV_F32_CENTRAL_MAX_X = C.ERFINV_F32_CENTRAL_MAX_X


# --- shared helpers ----------------------------------------------------------
@njit(**_INLINE_OPTS)
def work_item(t, per_row, row_len, first, row_step, step):
    """Memory start, length and first global index of work item ``t``."""
    r = t // per_row
    k0 = (t % per_row) * CHUNK_ELEMS
    n = min(CHUNK_ELEMS, row_len - k0)
    return r * row_len + k0, n, first + r * row_step + k0 * step


@njit(**_INLINE_OPTS)
def head_len(g0, n, per, step):
    """Elements done one by one before the first whole block (all if strided)."""
    if step != 1:
        return n
    return min((per - g0 % per) % per, n)


@njit(**_INLINE_OPTS)
def clamp(x, lo_c, hi_c):
    x = lo_c if x < lo_c else x
    x = hi_c if x > hi_c else x
    return x


@njit(**_INLINE_OPTS)
def store(out, m, x, fmt):
    """Element-wise store; 16-bit formats round to nearest even."""
    if fmt == FMT_BF16:
        out[m] = f32_to_bf16_bits(x)
    elif fmt == FMT_F16:
        out[m] = f32_to_f16_bits(x)
    else:
        out[m] = x


# --- raw words ------------------------------------------------------------------
@njit(**_INLINE_OPTS)
def bits_block(q, key0, key1, stream0, stream1):
    # (1) counter for block q; (2) four words; (3) no transform
    return philox_block(U64(q), key0, key1, stream0, stream1)


@njit(**_NUMBA_OPTS)
def bits_blocks(out, q0, key0, key1, stream0, stream1):
    for j in range(out.size // 4):
        b = bits_block(q0 + j, key0, key1, stream0, stream1)
        # (4) store the block
        for i in range(4):
            out[4 * j + i] = b[i]


@njit(**_NUMBA_OPTS)
def bits_run(out, key0, key1, stream0, stream1, g0, step):
    n = out.size
    h = head_len(g0, n, 4, step)
    for m in range(h):
        g = g0 + m * step
        out[m] = bits_block(g >> 2, key0, key1, stream0, stream1)[g & 3]
    nb = (n - h) // 4
    bits_blocks(out[h:h + 4 * nb], (g0 + h) >> 2, key0, key1, stream0, stream1)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        out[m] = bits_block(g >> 2, key0, key1, stream0, stream1)[g & 3]


@njit(parallel=True, **_NUMBA_OPTS)
def fill_bits(out, key0, key1, stream0, stream1, first, row_len, row_step, step):
    """Raw Philox words: element g is word g."""
    per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    for t in prange((out.size // row_len) * per_row):
        m0, n, g0 = work_item(t, per_row, row_len, first, row_step, step)
        bits_run(out[m0:m0 + n], U64(key0), U64(key1), U64(stream0), U64(stream1), g0, step)


# --- uniform -----------------------------------------------------------------------
@njit(**_INLINE_OPTS)
def uniform_f32(w, lo, span, lo_c, hi_c):
    return clamp(lo + span * u01_closed_open_f32(w), lo_c, hi_c)


@njit(**_INLINE_OPTS)
def uniform_block_f32(q, key0, key1, stream0, stream1, lo, span, lo_c, hi_c):
    # (1) counter for block q; (2) four words, one per element
    b = philox_block(U64(q), key0, key1, stream0, stream1)
    # (3) words -> uniforms -> scale, shift, clamp
    return (uniform_f32(b[0], lo, span, lo_c, hi_c), uniform_f32(b[1], lo, span, lo_c, hi_c),
            uniform_f32(b[2], lo, span, lo_c, hi_c), uniform_f32(b[3], lo, span, lo_c, hi_c))


@njit(**_INLINE_OPTS)
def uniform_block_f64(q, key0, key1, stream0, stream1, lo, span, lo_c, hi_c):
    # (1) counter for block q; (2) four words, two per element
    b = philox_block(U64(q), key0, key1, stream0, stream1)
    # (3) words -> uniforms -> scale, shift, clamp
    return (clamp(lo + span * u01_closed_open_f64(b[0], b[1]), lo_c, hi_c),
            clamp(lo + span * u01_closed_open_f64(b[2], b[3]), lo_c, hi_c))


@njit(**_NUMBA_OPTS)
def uniform_blocks_f32(out, q0, key0, key1, stream0, stream1, lo, span, lo_c, hi_c, fmt):
    # (4) store: one loop per format, so that each loop vectorizes
    if fmt == FMT_BF16:
        for j in range(out.size // 4):
            v = uniform_block_f32(q0 + j, key0, key1, stream0, stream1, lo, span, lo_c, hi_c)
            for i in range(4):
                out[4 * j + i] = f32_to_bf16_bits(v[i])
    elif fmt == FMT_F16:
        for j in range(out.size // 4):
            v = uniform_block_f32(q0 + j, key0, key1, stream0, stream1, lo, span, lo_c, hi_c)
            for i in range(4):
                out[4 * j + i] = f32_to_f16_bits(v[i])
    else:
        for j in range(out.size // 4):
            v = uniform_block_f32(q0 + j, key0, key1, stream0, stream1, lo, span, lo_c, hi_c)
            for i in range(4):
                out[4 * j + i] = v[i]


@njit(**_NUMBA_OPTS)
def uniform_blocks_f64(out, q0, key0, key1, stream0, stream1, lo, span, lo_c, hi_c):
    for j in range(out.size // 2):
        v = uniform_block_f64(q0 + j, key0, key1, stream0, stream1, lo, span, lo_c, hi_c)
        # (4) store
        out[2 * j] = v[0]
        out[2 * j + 1] = v[1]


@njit(**_NUMBA_OPTS)
def uniform_run_f32(out, key0, key1, stream0, stream1, g0, step, lo, span, lo_c, hi_c, fmt):
    n = out.size
    h = head_len(g0, n, 4, step)
    for m in range(h):
        g = g0 + m * step
        v = uniform_block_f32(g >> 2, key0, key1, stream0, stream1, lo, span, lo_c, hi_c)
        store(out, m, v[g & 3], fmt)
    nb = (n - h) // 4
    uniform_blocks_f32(out[h:h + 4 * nb], (g0 + h) >> 2, key0, key1, stream0, stream1,
                       lo, span, lo_c, hi_c, fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        v = uniform_block_f32(g >> 2, key0, key1, stream0, stream1, lo, span, lo_c, hi_c)
        store(out, m, v[g & 3], fmt)


@njit(**_NUMBA_OPTS)
def uniform_run_f64(out, key0, key1, stream0, stream1, g0, step, lo, span, lo_c, hi_c):
    n = out.size
    h = head_len(g0, n, 2, step)
    for m in range(h):
        g = g0 + m * step
        out[m] = uniform_block_f64(g >> 1, key0, key1, stream0, stream1, lo, span, lo_c, hi_c)[g & 1]
    nb = (n - h) // 2
    uniform_blocks_f64(out[h:h + 2 * nb], (g0 + h) >> 1, key0, key1, stream0, stream1,
                       lo, span, lo_c, hi_c)
    for m in range(h + 2 * nb, n):
        g = g0 + m
        out[m] = uniform_block_f64(g >> 1, key0, key1, stream0, stream1, lo, span, lo_c, hi_c)[g & 1]


@njit(parallel=True, **_NUMBA_OPTS)
def fill_uniform(out, key0, key1, stream0, stream1, first, row_len, row_step, step,
                 lo, span, lo_c, hi_c, fmt):
    """clamp(lo + span*u, lo_c, hi_c), u = 24-bit (53-bit for float64) uniform."""
    per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    for t in prange((out.size // row_len) * per_row):
        m0, n, g0 = work_item(t, per_row, row_len, first, row_step, step)
        k0, k1, s0, s1 = U64(key0), U64(key1), U64(stream0), U64(stream1)
        if fmt == FMT_F64:
            uniform_run_f64(out[m0:m0 + n], k0, k1, s0, s1, g0, step, lo, span, lo_c, hi_c)
        else:
            uniform_run_f32(out[m0:m0 + n], k0, k1, s0, s1, g0, step, F32(lo), F32(span),
                            F32(lo_c), F32(hi_c), fmt)


# --- normal (Box-Muller) ----------------------------------------------------------
@njit(**_INLINE_OPTS)
def normal_block_f32(q, key0, key1, stream0, stream1, mean, std):
    # (1) counter for block q; (2) four words = two pairs
    b = philox_block(U64(q), key0, key1, stream0, stream1)
    # (3) each pair of words -> Box-Muller -> two normals -> scale, shift
    z0, z1 = box_muller_f32(b[0], b[1])
    z2, z3 = box_muller_f32(b[2], b[3])
    return mean + std * z0, mean + std * z1, mean + std * z2, mean + std * z3


@njit(**_INLINE_OPTS)
def normal_block_f64(q, key0, key1, stream0, stream1, mean, std):
    # (1) counter for block q; (2) four words = one pair
    b = philox_block(U64(q), key0, key1, stream0, stream1)
    # (3) Box-Muller -> two normals -> scale, shift
    z0, z1 = box_muller_f64(b[0], b[1], b[2], b[3])
    return mean + std * z0, mean + std * z1


@njit(**_NUMBA_OPTS)
def normal_blocks_f32(out, q0, key0, key1, stream0, stream1, mean, std, fmt):
    # (4) store: one loop per format, so that each loop vectorizes
    if fmt == FMT_BF16:
        for j in range(out.size // 4):
            v = normal_block_f32(q0 + j, key0, key1, stream0, stream1, mean, std)
            for i in range(4):
                out[4 * j + i] = f32_to_bf16_bits(v[i])
    elif fmt == FMT_F16:
        for j in range(out.size // 4):
            v = normal_block_f32(q0 + j, key0, key1, stream0, stream1, mean, std)
            for i in range(4):
                out[4 * j + i] = f32_to_f16_bits(v[i])
    else:
        for j in range(out.size // 4):
            v = normal_block_f32(q0 + j, key0, key1, stream0, stream1, mean, std)
            for i in range(4):
                out[4 * j + i] = v[i]


@njit(**_NUMBA_OPTS)
def normal_blocks_f64(out, q0, key0, key1, stream0, stream1, mean, std):
    for j in range(out.size // 2):
        v = normal_block_f64(q0 + j, key0, key1, stream0, stream1, mean, std)
        # (4) store
        out[2 * j] = v[0]
        out[2 * j + 1] = v[1]


@njit(**_NUMBA_OPTS)
def normal_run_f32(out, key0, key1, stream0, stream1, g0, step, mean, std, fmt):
    n = out.size
    h = head_len(g0, n, 4, step)
    for m in range(h):
        g = g0 + m * step
        store(out, m, normal_block_f32(g >> 2, key0, key1, stream0, stream1, mean, std)[g & 3], fmt)
    nb = (n - h) // 4
    normal_blocks_f32(out[h:h + 4 * nb], (g0 + h) >> 2, key0, key1, stream0, stream1,
                      mean, std, fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        store(out, m, normal_block_f32(g >> 2, key0, key1, stream0, stream1, mean, std)[g & 3], fmt)


@njit(**_NUMBA_OPTS)
def normal_run_f64(out, key0, key1, stream0, stream1, g0, step, mean, std):
    n = out.size
    h = head_len(g0, n, 2, step)
    for m in range(h):
        g = g0 + m * step
        out[m] = normal_block_f64(g >> 1, key0, key1, stream0, stream1, mean, std)[g & 1]
    nb = (n - h) // 2
    normal_blocks_f64(out[h:h + 2 * nb], (g0 + h) >> 1, key0, key1, stream0, stream1,
                      mean, std)
    for m in range(h + 2 * nb, n):
        g = g0 + m
        out[m] = normal_block_f64(g >> 1, key0, key1, stream0, stream1, mean, std)[g & 1]


@njit(parallel=True, **_NUMBA_OPTS)
def fill_normal(out, key0, key1, stream0, stream1, first, row_len, row_step, step,
                mean, std, fmt):
    """mean + std*z, z from Box-Muller on the pair of element g."""
    per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    for t in prange((out.size // row_len) * per_row):
        m0, n, g0 = work_item(t, per_row, row_len, first, row_step, step)
        k0, k1, s0, s1 = U64(key0), U64(key1), U64(stream0), U64(stream1)
        if fmt == FMT_F64:
            normal_run_f64(out[m0:m0 + n], k0, k1, s0, s1, g0, step, mean, std)
        else:
            normal_run_f32(out[m0:m0 + n], k0, k1, s0, s1, g0, step, F32(mean), F32(std), fmt)


# --- truncated normal (inverse CDF in erf space) -----------------------------------
@njit(**_INLINE_OPTS)
def truncated_f32(w, mean, std, ea, ed, eb, lo_c, hi_c, tails):
    x = clamp(ea + ed * u01_open_open_f32(w), ea, eb)
    return clamp(mean + std * (erfinv_f32(x, tails) * SQRT2_F), lo_c, hi_c)


@njit(**_INLINE_OPTS)
def truncated_block_f32(q, key0, key1, stream0, stream1, mean, std, ea, ed, eb, lo_c, hi_c,
                        tails):
    # (1) counter for block q; (2) four words, one per element
    b = philox_block(U64(q), key0, key1, stream0, stream1)
    # (3) words -> uniforms in erf space -> erfinv -> scale, shift, clamp
    return (truncated_f32(b[0], mean, std, ea, ed, eb, lo_c, hi_c, tails),
            truncated_f32(b[1], mean, std, ea, ed, eb, lo_c, hi_c, tails),
            truncated_f32(b[2], mean, std, ea, ed, eb, lo_c, hi_c, tails),
            truncated_f32(b[3], mean, std, ea, ed, eb, lo_c, hi_c, tails))


@njit(**_INLINE_OPTS)
def truncated_f64(w0, w1, mean, std, ea, ed, eb, lo_c, hi_c, tails):
    x = clamp(ea + ed * u01_open_open_f64(w0, w1), ea, eb)
    return clamp(mean + std * (erfinv_f64(x, tails) * SQRT2), lo_c, hi_c)


@njit(**_INLINE_OPTS)
def truncated_block_f64(q, key0, key1, stream0, stream1, mean, std, ea, ed, eb, lo_c, hi_c,
                        tails):
    # (1) counter for block q; (2) four words, two per element
    b = philox_block(U64(q), key0, key1, stream0, stream1)
    # (3) words -> uniforms in erf space -> erfinv -> scale, shift, clamp
    return (truncated_f64(b[0], b[1], mean, std, ea, ed, eb, lo_c, hi_c, tails),
            truncated_f64(b[2], b[3], mean, std, ea, ed, eb, lo_c, hi_c, tails))


@njit(**_NUMBA_OPTS)
def truncated_blocks_f32(out, q0, key0, key1, stream0, stream1, mean, std, ea, ed, eb,
                         lo_c, hi_c, tails, fmt):
    # (4) store: one loop per format, so that each loop vectorizes
    if fmt == FMT_BF16:
        for j in range(out.size // 4):
            v = truncated_block_f32(q0 + j, key0, key1, stream0, stream1, mean, std,
                                    ea, ed, eb, lo_c, hi_c, tails)
            for i in range(4):
                out[4 * j + i] = f32_to_bf16_bits(v[i])
    elif fmt == FMT_F16:
        for j in range(out.size // 4):
            v = truncated_block_f32(q0 + j, key0, key1, stream0, stream1, mean, std,
                                    ea, ed, eb, lo_c, hi_c, tails)
            for i in range(4):
                out[4 * j + i] = f32_to_f16_bits(v[i])
    else:
        for j in range(out.size // 4):
            v = truncated_block_f32(q0 + j, key0, key1, stream0, stream1, mean, std,
                                    ea, ed, eb, lo_c, hi_c, tails)
            for i in range(4):
                out[4 * j + i] = v[i]


@njit(**_NUMBA_OPTS)
def truncated_blocks_f64(out, q0, key0, key1, stream0, stream1, mean, std, ea, ed, eb,
                         lo_c, hi_c, tails):
    for j in range(out.size // 2):
        v = truncated_block_f64(q0 + j, key0, key1, stream0, stream1, mean, std,
                                ea, ed, eb, lo_c, hi_c, tails)
        # (4) store
        out[2 * j] = v[0]
        out[2 * j + 1] = v[1]


@njit(**_NUMBA_OPTS)
def truncated_run_f32(out, key0, key1, stream0, stream1, g0, step, mean, std, ea, eb,
                      lo_c, hi_c, fmt):
    n = out.size
    ed = eb - ea
    # skip the Giles tail branch when no x can reach it: same bits, faster
    tails = max(abs(ea), abs(eb)) > ERFINV_F32_CENTRAL_MAX_X
    h = head_len(g0, n, 4, step)
    for m in range(h):
        g = g0 + m * step
        v = truncated_block_f32(g >> 2, key0, key1, stream0, stream1, mean, std,
                                ea, ed, eb, lo_c, hi_c, tails)
        store(out, m, v[g & 3], fmt)
    nb = (n - h) // 4
    o = out[h:h + 4 * nb]
    q0 = (g0 + h) >> 2
    # literal flags: LLVM then compiles a select-free loop for the central case
    if tails:
        truncated_blocks_f32(o, q0, key0, key1, stream0, stream1, mean, std, ea, ed, eb,
                             lo_c, hi_c, True, fmt)
    else:
        truncated_blocks_f32(o, q0, key0, key1, stream0, stream1, mean, std, ea, ed, eb,
                             lo_c, hi_c, False, fmt)
    for m in range(h + 4 * nb, n):
        g = g0 + m
        v = truncated_block_f32(g >> 2, key0, key1, stream0, stream1, mean, std,
                                ea, ed, eb, lo_c, hi_c, tails)
        store(out, m, v[g & 3], fmt)


@njit(**_NUMBA_OPTS)
def truncated_run_f64(out, key0, key1, stream0, stream1, g0, step, mean, std, ea, eb,
                      lo_c, hi_c):
    n = out.size
    ed = eb - ea
    # as in truncated_run_f32: without tails only the central polynomial runs
    tails = max(abs(ea), abs(eb)) > ERFINV_F32_CENTRAL_MAX_X
    h = head_len(g0, n, 2, step)
    for m in range(h):
        g = g0 + m * step
        out[m] = truncated_block_f64(g >> 1, key0, key1, stream0, stream1, mean, std,
                                     ea, ed, eb, lo_c, hi_c, tails)[g & 1]
    nb = (n - h) // 2
    truncated_blocks_f64(out[h:h + 2 * nb], (g0 + h) >> 1, key0, key1, stream0, stream1,
                         mean, std, ea, ed, eb, lo_c, hi_c, tails)
    for m in range(h + 2 * nb, n):
        g = g0 + m
        out[m] = truncated_block_f64(g >> 1, key0, key1, stream0, stream1, mean, std,
                                     ea, ed, eb, lo_c, hi_c, tails)[g & 1]


@njit(parallel=True, **_NUMBA_OPTS)
def fill_truncated_normal(out, key0, key1, stream0, stream1, first, row_len, row_step, step,
                          mean, std, ea, eb, lo_c, hi_c, fmt):
    """clamp(mean + std*sqrt(2)*erfinv(ea + (eb-ea)*u), lo_c, hi_c)."""
    per_row = (row_len + CHUNK_ELEMS - 1) // CHUNK_ELEMS
    for t in prange((out.size // row_len) * per_row):
        m0, n, g0 = work_item(t, per_row, row_len, first, row_step, step)
        k0, k1, s0, s1 = U64(key0), U64(key1), U64(stream0), U64(stream1)
        if fmt == FMT_F64:
            truncated_run_f64(out[m0:m0 + n], k0, k1, s0, s1, g0, step, mean, std, ea, eb,
                              lo_c, hi_c)
        else:
            truncated_run_f32(out[m0:m0 + n], k0, k1, s0, s1, g0, step, F32(mean), F32(std),
                              F32(ea), F32(eb), F32(lo_c), F32(hi_c), fmt)
