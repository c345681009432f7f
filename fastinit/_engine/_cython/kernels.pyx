# cython: wraparound=False, cdivision=True, language_level=3
# boundscheck=False comes from setup.py, so that FASTINIT_CYTHON_DEBUG=1 can turn
# it back on (a directive written here would override the build's).
"""Fill kernels: Philox4x32-10 words -> samples, written straight into ``out``.

Mirror: ``fastinit/_engine/_numba/kernels.py`` (same names, arguments and numbered
steps). Spec: ``tests/reference.py``; contract: README, "The randomness
contract".

Geometry: memory element ``m`` of the 1-D ``out`` is row ``m // row_len``,
column ``k = m % row_len`` and holds global element
``g = first + row*row_step + k*step``; its value depends only on
(key, stream, g). Word ``w`` is lane ``w % 4`` of Philox block ``q = w // 4``
under counter ``(q_lo, q_hi, stream0, stream1)``. Each ``fill_*`` is serial
and releases the GIL. Its threads share ``claims``: each call takes ``grain``
work items at a time (``claim_items`` in ``chunks.pxd``) until the items ``< t1``
are gone or it has taken ``quota`` turns, and fills each with its
``*_item`` function; ``fastinit/_engine/parallel.py`` runs the calls. Claiming
inside the kernel costs one atomic add per ``grain`` items, where a return
to Python between tasks cost tens of microseconds with cold caches.
``_kernels_v3``/``_kernels_v4`` are this file compiled with
-march=x86-64-v3/v4 (setup.py).
"""

from libc.stdint cimport int64_t, uint32_t

from .chunks cimport (CHUNK_BLOCKS, FMT_BF16, FMT_F16, FMT_F32, FMT_F64, claim_items, out_t,
                      run_args, run_args_t)
from .normal cimport normal_run_f32, normal_run_f64
from .philox cimport (MASK32, PHILOX_BATCH, PHILOX_M4x32_0, PHILOX_M4x32_1, PHILOX_ROUNDS,
                      PHILOX_W32_0, PHILOX_W32_1, REDRAW_BATCH, philox4x32_10, philox_words)
from .rejection cimport (FALLBACK_BLOCK, REDRAW_CANDIDATES_F32, REDRAW_CANDIDATES_F64,
                         REDRAW_KEY_XOR0, REDRAW_KEY_XOR1, REDRAW_PAD, REDRAW_Q_SHIFT,
                         reject_run_f32, reject_run_f64)
from .transforms cimport *
from .tails cimport truncated_tail_run_f32, truncated_tail_run_f64
from .truncated cimport truncated_run_f32, truncated_run_f64
from .uniform cimport bits_run, uniform_run_f32, uniform_run_f64

cdef extern from *:
    """
    #ifndef FASTINIT_BUILD_FLAGS
    #define FASTINIT_BUILD_FLAGS "unknown"
    #endif
    """
    const char* FASTINIT_BUILD_FLAGS


# --- entry points: the work items < t1 of one run, claimed grain by grain -------
def fill_bits(uint32_t[::1] out,  # OUT
              uint32_t key0, uint32_t key1, uint32_t stream0, uint32_t stream1,
              int64_t first, int64_t row_len, int64_t row_step, int64_t step,
              int64_t[::1] claims, int64_t t1, int64_t grain, int64_t quota):
    """Raw Philox words: element g is word g."""
    cdef run_args_t args = run_args(key0, key1, stream0, stream1, step, FMT_F32)
    with nogil:
        claim_items(bits_item, out, &args, first, row_len, row_step, &claims[0], t1, grain,
                    quota)


def fill_uniform(out_t[::1] out,  # OUT
                 uint32_t key0, uint32_t key1, uint32_t stream0, uint32_t stream1,
                 int64_t first, int64_t row_len, int64_t row_step, int64_t step,
                 double lo, double span, double lo_c, double hi_c, int fmt,
                 int64_t[::1] claims, int64_t t1, int64_t grain, int64_t quota):
    """clamp(lo + span*u, lo_c, hi_c), u = 24-bit (53-bit for float64) uniform."""
    cdef run_args_t args = run_args(key0, key1, stream0, stream1, step, fmt)
    args.p[:4] = [lo, span, lo_c, hi_c]
    with nogil:
        claim_items(uniform_item[out_t], out, &args, first, row_len, row_step, &claims[0], t1,
                    grain, quota)


def fill_normal(out_t[::1] out,  # OUT
                uint32_t key0, uint32_t key1, uint32_t stream0, uint32_t stream1,
                int64_t first, int64_t row_len, int64_t row_step, int64_t step,
                double mean, double std, int fmt,
                int64_t[::1] claims, int64_t t1, int64_t grain, int64_t quota):
    """mean + std*z, z from Box-Muller on the pair of element g."""
    cdef run_args_t args = run_args(key0, key1, stream0, stream1, step, fmt)
    args.p[:2] = [mean, std]
    with nogil:
        claim_items(normal_item[out_t], out, &args, first, row_len, row_step, &claims[0], t1,
                    grain, quota)


def fill_truncated_normal(out_t[::1] out,  # OUT
                          uint32_t key0, uint32_t key1, uint32_t stream0, uint32_t stream1,
                          int64_t first, int64_t row_len, int64_t row_step, int64_t step,
                          double mean, double std, double ea, double eb, double lo_c,
                          double hi_c, int fmt,
                          int64_t[::1] claims, int64_t t1, int64_t grain, int64_t quota):
    """clamp(mean + std*sqrt(2)*erfinv(ea + (eb-ea)*u), lo_c, hi_c)."""
    cdef run_args_t args = run_args(key0, key1, stream0, stream1, step, fmt)
    args.p[:6] = [mean, std, ea, eb, lo_c, hi_c]
    with nogil:
        claim_items(truncated_item[out_t], out, &args, first, row_len, row_step, &claims[0], t1,
                    grain, quota)


def fill_truncated_reject(out_t[::1] out,  # OUT
                          uint32_t key0, uint32_t key1, uint32_t stream0, uint32_t stream1,
                          int64_t first, int64_t row_len, int64_t row_step, int64_t step,
                          double mean, double std, double ea, double eb, double lo_c,
                          double hi_c, double lo_o, double hi_o, int fmt,
                          int64_t[::1] claims, int64_t t1, int64_t grain, int64_t quota):
    """mean + std*z of the normal fill where inside [lo_c, hi_c], else redrawn (rejection.pxd)."""
    cdef run_args_t args = run_args(key0, key1, stream0, stream1, step, fmt)
    args.p[:8] = [mean, std, ea, eb, lo_c, hi_c, lo_o, hi_o]
    with nogil:
        claim_items(truncated_reject_item[out_t], out, &args, first, row_len, row_step,
                    &claims[0], t1, grain, quota)


def fill_truncated_tail(out_t[::1] out,  # OUT
                        uint32_t key0, uint32_t key1, uint32_t stream0, uint32_t stream1,
                        int64_t first, int64_t row_len, int64_t row_step, int64_t step,
                        double mean, double std_s, double a, double d, double log_ma,
                        double lo_c, double hi_c, int fmt,
                        int64_t[::1] claims, int64_t t1, int64_t grain, int64_t quota):
    """clamp(mean + std_s*z, lo_c, hi_c), z the far-tail inverse of u (float64)."""
    cdef run_args_t args = run_args(key0, key1, stream0, stream1, step, fmt)
    args.p[:7] = [mean, std_s, a, d, log_ma, lo_c, hi_c]
    with nogil:
        claim_items(truncated_tail_item[out_t], out, &args, first, row_len, row_step, &claims[0],
                    t1, grain, quota)


# --- one work item of each entry point: ``out`` its n elements, g0 the first one's index ---
cdef inline void bits_item(uint32_t* out, int64_t n, int64_t g0,
                           const run_args_t* args) noexcept nogil:
    bits_run(out, n, args.key0, args.key1, args.stream0, args.stream1, g0, args.step)


cdef inline void uniform_item(out_t* out, int64_t n, int64_t g0,
                              const run_args_t* args) noexcept nogil:
    cdef double lo = args.p[0], span = args.p[1], lo_c = args.p[2], hi_c = args.p[3]
    if out_t is double:  # the twin tests fmt == FMT_F64; here the type decides
        uniform_run_f64(out, n, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                        lo, span, lo_c, hi_c)
    elif out_t is float:
        uniform_run_f32(out, n, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                        <float>lo, <float>span, <float>lo_c, <float>hi_c, FMT_F32)
    elif args.fmt == FMT_BF16:  # literal formats: gcc specializes store() for each
        uniform_run_f32(out, n, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                        <float>lo, <float>span, <float>lo_c, <float>hi_c, FMT_BF16)
    else:
        uniform_run_f32(out, n, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                        <float>lo, <float>span, <float>lo_c, <float>hi_c, FMT_F16)


cdef inline void normal_item(out_t* out, int64_t n, int64_t g0,
                             const run_args_t* args) noexcept nogil:
    cdef double mean = args.p[0], std = args.p[1]
    if out_t is double:
        normal_run_f64(out, n, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                       mean, std)
    elif out_t is float:
        normal_run_f32(out, n, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                       <float>mean, <float>std, FMT_F32)
    elif args.fmt == FMT_BF16:  # literal formats: gcc specializes store() for each
        normal_run_f32(out, n, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                       <float>mean, <float>std, FMT_BF16)
    else:
        normal_run_f32(out, n, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                       <float>mean, <float>std, FMT_F16)


cdef inline void truncated_item(out_t* out, int64_t n, int64_t g0,
                                const run_args_t* args) noexcept nogil:
    cdef double mean = args.p[0], std = args.p[1], ea = args.p[2], eb = args.p[3]
    cdef double lo_c = args.p[4], hi_c = args.p[5]
    if out_t is double:
        truncated_run_f64(out, n, args.key0, args.key1, args.stream0, args.stream1, g0,
                          args.step, mean, std, ea, eb, lo_c, hi_c)
    elif out_t is float:
        truncated_run_f32(out, n, args.key0, args.key1, args.stream0, args.stream1, g0,
                          args.step, <float>mean, <float>std, <float>ea, <float>eb,
                          <float>lo_c, <float>hi_c, FMT_F32)
    elif args.fmt == FMT_BF16:  # literal formats: gcc specializes store() for each
        truncated_run_f32(out, n, args.key0, args.key1, args.stream0, args.stream1, g0,
                          args.step, <float>mean, <float>std, <float>ea, <float>eb,
                          <float>lo_c, <float>hi_c, FMT_BF16)
    else:
        truncated_run_f32(out, n, args.key0, args.key1, args.stream0, args.stream1, g0,
                          args.step, <float>mean, <float>std, <float>ea, <float>eb,
                          <float>lo_c, <float>hi_c, FMT_F16)


cdef inline void truncated_reject_item(out_t* out, int64_t n, int64_t g0,
                                       const run_args_t* args) noexcept nogil:
    cdef double mean = args.p[0], std = args.p[1], ea = args.p[2], eb = args.p[3]
    cdef double lo_c = args.p[4], hi_c = args.p[5], lo_o = args.p[6], hi_o = args.p[7]
    if out_t is double:
        reject_run_f64(out, n, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                       mean, std, ea, eb, lo_c, hi_c)
    elif out_t is float:
        reject_run_f32(out, n, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                       <float>mean, <float>std, <float>ea, <float>eb, <float>lo_c, <float>hi_c,
                       <float>lo_o, <float>hi_o, FMT_F32)
    elif args.fmt == FMT_BF16:  # literal formats: gcc specializes store() for each
        reject_run_f32(out, n, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                       <float>mean, <float>std, <float>ea, <float>eb, <float>lo_c, <float>hi_c,
                       <float>lo_o, <float>hi_o, FMT_BF16)
    else:
        reject_run_f32(out, n, args.key0, args.key1, args.stream0, args.stream1, g0, args.step,
                       <float>mean, <float>std, <float>ea, <float>eb, <float>lo_c, <float>hi_c,
                       <float>lo_o, <float>hi_o, FMT_F16)


cdef inline void truncated_tail_item(out_t* out, int64_t n, int64_t g0,
                                     const run_args_t* args) noexcept nogil:
    cdef double mean = args.p[0], std_s = args.p[1], a = args.p[2], d = args.p[3]
    cdef double log_ma = args.p[4], lo_c = args.p[5], hi_c = args.p[6]
    if out_t is double:
        truncated_tail_run_f64(out, n, args.key0, args.key1, args.stream0, args.stream1, g0,
                               args.step, mean, std_s, a, d, log_ma, lo_c, hi_c)
    else:  # float32 and the 16-bit formats: the tail path computes in float64
        truncated_tail_run_f32(out, n, args.key0, args.key1, args.stream0, args.stream1, g0,
                               args.step, mean, std_s, a, d, log_ma, lo_c, hi_c, args.fmt)


# --- test hooks: what the kernels see ---------------------------------------------
def philox4x32_10_words(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                        uint32_t k1):
    """The four words of ``philox4x32_10`` on one counter: the known-answer-test hook.

    fill_bits cannot reach counters with ``c1 >= 2**29`` (word indices are int64).
    """
    cdef philox_words b = philox4x32_10(c0, c1, c2, c3, k0, k1)
    return tuple(<uint32_t>b.w[i] for i in range(4))


# --- the constants as the kernels see them (compared with fastinit/_engine/constants.py) ---
def constants():
    """Name -> compiled value of each constant the kernels use, read back through its declaration.

    constants.h is written from fastinit/_engine/constants.py at build time;
    tests compare these values with that module, which catches a module
    built before constants.py changed, or a declaration (type, length) that
    does not fit the header.
    """
    return dict(
        PHILOX_M4x32_0=PHILOX_M4x32_0, PHILOX_M4x32_1=PHILOX_M4x32_1,
        PHILOX_W32_0=PHILOX_W32_0, PHILOX_W32_1=PHILOX_W32_1,
        PHILOX_ROUNDS=PHILOX_ROUNDS, PHILOX_BATCH=PHILOX_BATCH, MASK32=MASK32,
        FMT_F32=FMT_F32, FMT_F64=FMT_F64, FMT_BF16=FMT_BF16, FMT_F16=FMT_F16,
        CHUNK_BLOCKS=CHUNK_BLOCKS, REDRAW_BATCH=REDRAW_BATCH, TWO_M24=TWO_M24, TWO_M53=TWO_M53,
        REDRAW_KEY_XOR0=REDRAW_KEY_XOR0, REDRAW_KEY_XOR1=REDRAW_KEY_XOR1,
        REDRAW_Q_SHIFT=REDRAW_Q_SHIFT, REDRAW_CANDIDATES_F32=REDRAW_CANDIDATES_F32,
        REDRAW_CANDIDATES_F64=REDRAW_CANDIDATES_F64, FALLBACK_BLOCK=FALLBACK_BLOCK,
        REDRAW_PAD=REDRAW_PAD,
        LOGF_SQRT_HALF_BITS=LOGF_SQRT_HALF_BITS, LOGF_LG=tuple(LOGF_LG),
        LOGF_LN2_HI=LOGF_LN2_HI, LOGF_LN2_LO=LOGF_LN2_LO,
        LOG_SQRT_HALF_BITS=LOG_SQRT_HALF_BITS, LOG_LG_EVEN=tuple(LOG_LG_EVEN),
        LOG_LG_ODD=tuple(LOG_LG_ODD), LOG_LN2_HI=LOG_LN2_HI, LOG_LN2_LO=LOG_LN2_LO,
        SIN_F32=tuple(SIN_F32), COS_F32=tuple(COS_F32),
        SIN_F64=tuple(SIN_F64), COS_F64=tuple(COS_F64),
        ANGLE_BITS_F32=ANGLE_BITS_F32, ANGLE_BITS_F64=ANGLE_BITS_F64,
        ANGLE_SCALE_F32=ANGLE_SCALE_F32, ANGLE_SCALE_F64=ANGLE_SCALE_F64,
        ERFINV_F32_SPLIT=ERFINV_F32_SPLIT, ERFINV_F32_CENTRAL_SHIFT=ERFINV_F32_CENTRAL_SHIFT,
        ERFINV_F32_CENTRAL=tuple(ERFINV_F32_CENTRAL),
        ERFINV_F32_TAIL_SHIFT=ERFINV_F32_TAIL_SHIFT, ERFINV_F32_TAIL=tuple(ERFINV_F32_TAIL),
        ERFINV_F32_CENTRAL_MAX_X=ERFINV_F32_CENTRAL_MAX_X,
        ERFINV_F64_SPLIT_1=ERFINV_F64_SPLIT_1, ERFINV_F64_SHIFT_1=ERFINV_F64_SHIFT_1,
        ERFINV_F64_P1=tuple(ERFINV_F64_P1), ERFINV_F64_SPLIT_2=ERFINV_F64_SPLIT_2,
        ERFINV_F64_SHIFT_2=ERFINV_F64_SHIFT_2, ERFINV_F64_P2=tuple(ERFINV_F64_P2),
        ERFINV_F64_SHIFT_3=ERFINV_F64_SHIFT_3, ERFINV_F64_P3=tuple(ERFINV_F64_P3),
        SQRT2=SQRT2, F16_MAX_BITS=F16_MAX_BITS, F16_MIN_NORMAL_BITS=F16_MIN_NORMAL_BITS,
        F16_DENORM_MAGIC_BITS=F16_DENORM_MAGIC_BITS, F16_REBIAS=F16_REBIAS, F16_INF=F16_INF,
        MILLS_SPLIT=MILLS_SPLIT, MILLS_MID_P=tuple(MILLS_MID_P), MILLS_MID_Q=tuple(MILLS_MID_Q),
        MILLS_BIG_P=tuple(MILLS_BIG_P), MILLS_BIG_Q=tuple(MILLS_BIG_Q), INV_SQRT_PI=INV_SQRT_PI,
        SQRT_HALF=SQRT_HALF, SQRT_HALF_PI=SQRT_HALF_PI, TAIL_NEWTON_STEPS=TAIL_NEWTON_STEPS,
    )


def build_info():
    """How this backend compiles its kernels (``show_config`` prints it)."""
    return FASTINIT_BUILD_FLAGS.decode()
