"""Every constant of the randomness contract, in one place.

The Numba backend imports these names. For the Cython backend, ``setup.py``
writes every numeric constant here into the C header
``fastinit/_engine/_cython/constants.h`` at build time (hex floats, exact), so
this module is the only source of both; the kernels' ``constants()`` reads
the compiled values back, and ``tests/test_backend_parity.py`` compares them
with this module (a kernel module built from an older version shows there).
The build loads this file by path: it must import nothing but the standard
library.

Polynomial coefficients are listed highest degree first, in the order Horner's
rule consumes them.
"""

import math

# --- Philox4x32-10 (Salmon et al., SC 2011; Random123 philox.h) -------------
PHILOX_M4x32_0 = 0xD2511F53  # round multipliers
PHILOX_M4x32_1 = 0xCD9E8D57
PHILOX_W32_0 = 0x9E3779B9  # key bumps: golden ratio
PHILOX_W32_1 = 0xBB67AE85  # key bumps: sqrt(3) - 1
PHILOX_ROUNDS = 10
MASK32 = 0xFFFFFFFF

# --- Output formats (the kernels' ``fmt`` argument) --------------------------
FMT_F32 = 0
FMT_F64 = 1
FMT_BF16 = 2
FMT_F16 = 3

# Largest |z| Box-Muller can return, rounded up: sqrt(-2 ln 2**-24) = 5.7683 with
# the 24-bit u1 of the 32-bit paths, sqrt(-2 ln 2**-53) = 8.5717 in float64.
# A normal fill is rejected unless |mean| + NORMAL_Z_MAX * stddev is finite in
# the output dtype.
NORMAL_Z_MAX_F32 = 5.77
NORMAL_Z_MAX_F64 = 8.58

# --- Word -> uniform conversions ---------------------------------------------
TWO_M24 = 2.0**-24  # float32: 24-bit uniforms
TWO_M53 = 2.0**-53  # float64: 53-bit uniforms

# --- log: fdlibm/musl e_logf.c and e_log.c (exponent split, atanh series) -----
# log(x) = k*ln2 + log(m), m in [sqrt(1/2), sqrt(2)); s = f/(2+f), f = m-1.
LOGF_SQRT_HALF_BITS = 0x3F3504F3  # float32 bits of sqrt(1/2): centres m on 1
LOGF_LG = (  # float32 minimax for (log(m) - 2s) / (2 s^3), in s^2; 4 terms
    0.24279078841209412,  # 0xf89e26.0p-26
    0.2849878668785095,  # 0x91e9ee.0p-25
    0.40000972151756287,  # 0xccce13.0p-25
    0.6666666269302368,  # 0xaaaaaa.0p-24
)
LOGF_LN2_HI = 0.693138122559  # 0x3f317180: k*LN2_HI exact for |k| < 2**9
LOGF_LN2_LO = 9.05800061445e-06  # 0x3717f7d1

LOG_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # float64 bits of sqrt(1/2)
LOG_LG_EVEN = (  # fdlibm Lg6, Lg4, Lg2: terms in w = s^4
    1.531383769920937332e-01,
    2.222219843214978396e-01,
    3.999999999940941908e-01,
)
LOG_LG_ODD = (  # fdlibm Lg7, Lg5, Lg3, Lg1
    1.479819860511658591e-01,
    1.818357216161805012e-01,
    2.857142874366239149e-01,
    6.666666666666735130e-01,
)
LOG_LN2_HI = 6.93147180369123816490e-01  # 0x3fe62e42fee00000
LOG_LN2_LO = 1.90821492927058770002e-10  # 0x3dea39ef35793c76

# --- sincos on [-pi/4, pi/4): Taylor series, remainder below 2**-29 / 2**-60 --
# sin x = x + x*z*P(z), cos x = 1 + z*Q(z), z = x*x.
SIN_F32 = tuple((-1) ** k / math.factorial(2 * k + 1) for k in (4, 3, 2, 1))
COS_F32 = tuple((-1) ** k / math.factorial(2 * k) for k in (5, 4, 3, 2, 1))
SIN_F64 = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(8, 0, -1))
COS_F64 = tuple((-1) ** k / math.factorial(2 * k) for k in range(9, 0, -1))

# Box-Muller angle: 2 bits pick the quadrant, the rest a signed offset in
# [-pi/4, pi/4), so sincos never needs range reduction.
ANGLE_BITS_F32 = 22
ANGLE_BITS_F64 = 51
ANGLE_SCALE_F32 = math.pi * 2.0**-23  # (pi/2) / 2**22
ANGLE_SCALE_F64 = math.pi * 2.0**-52  # (pi/2) / 2**51

# --- Inverse error function: M. Giles, "Approximating the erfinv function",
# GPU Computing Gems Jade, 2011. erfinv(x) = x * P(w), w = -log((1-x)(1+x)).
ERFINV_F32_SPLIT = 5.0
ERFINV_F32_CENTRAL_SHIFT = 2.5
ERFINV_F32_CENTRAL = (
    2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
    0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941,
)
ERFINV_F32_TAIL_SHIFT = 3.0  # applied to sqrt(w)
ERFINV_F32_TAIL = (
    -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
    0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682,
)
# |x| <= this keeps w < 3.92 < ERFINV_F32_SPLIT: the tail branch is never
# taken, so the kernel may skip computing it without changing a bit.
ERFINV_F32_CENTRAL_MAX_X = 0.99

ERFINV_F64_SPLIT_1 = 6.25
ERFINV_F64_SHIFT_1 = 3.125
ERFINV_F64_P1 = (
    -3.6444120640178196996e-21, -1.685059138182016589e-19,
    1.2858480715256400167e-18, 1.115787767802518096e-17,
    -1.333171662854620906e-16, 2.0972767875968561637e-17,
    6.6376381343583238325e-15, -4.0545662729752068639e-14,
    -8.1519341976054721522e-14, 2.6335093153082322977e-12,
    -1.2975133253453532498e-11, -5.4154120542946279317e-11,
    1.051212273321532285e-09, -4.1126339803469836976e-09,
    -2.9070369957882005086e-08, 4.2347877827932403518e-07,
    -1.3654692000834678645e-06, -1.3882523362786468719e-05,
    0.0001867342080340571352, -0.00074070253416626697512,
    -0.0060336708714301490533, 0.24015818242558961693,
    1.6536545626831027356,
)
ERFINV_F64_SPLIT_2 = 16.0
ERFINV_F64_SHIFT_2 = 3.25  # applied to sqrt(w)
ERFINV_F64_P2 = (
    2.2137376921775787049e-09, 9.0756561938885390979e-08,
    -2.7517406297064545428e-07, 1.8239629214389227755e-08,
    1.5027403968909827627e-06, -4.013867526981545969e-06,
    2.9234449089955446044e-06, 1.2475304481671778723e-05,
    -4.7318229009055733981e-05, 6.8284851459573175448e-05,
    2.4031110387097893999e-05, -0.0003550375203628474796,
    0.00095328937973738049703, -0.0016882755560235047313,
    0.0024914420961078508066, -0.0037512085075692412107,
    0.005370914553590063617, 1.0052589676941592334,
    3.0838856104922207635,
)
ERFINV_F64_SHIFT_3 = 5.0  # applied to sqrt(w)
ERFINV_F64_P3 = (
    -2.7109920616438573243e-11, -2.5556418169965252055e-10,
    1.5076572693500548083e-09, -3.7894654401267369937e-09,
    7.6157012080783393804e-09, -1.4960026627149240478e-08,
    2.9147953450901080826e-08, -6.7711997758452339498e-08,
    2.2900482228026654717e-07, -9.9298272942317002539e-07,
    4.5260625972231537039e-06, -1.9681778105531670567e-05,
    7.5995277030017761139e-05, -0.00021503011930044477347,
    -0.00013871931833623122026, 1.0103004648645343977,
    4.8499064014085844221,
)
SQRT2 = math.sqrt(2.0)

# --- Truncated normal in a far tail (an interval with lower >= TAIL_START, or
# upper <= -TAIL_START by symmetry), in float64 whatever the output dtype.
# Inverse of the tail's survival function: solve log Q(z) - log Q(a) = log r,
# r = (1 - u) + u * Q(b)/Q(a), by TAIL_NEWTON_STEPS Newton steps from
# z0 = a * sqrt(1 + 2L / a**2), L = -log r, with log Q(z) = -z**2/2 -
# log sqrt(2 pi) + log M(z) and M(z) = Q(z)/phi(z) the Mills ratio.
# TAIL_START = 2: below it one float32 step of erf space moves z by at most
# 2.3 float32 ulps (about the error of the float32 erfinv), above it the step
# grows like exp(z**2/2) (28 ulps at 3, 1700 at 4), so an interval wholly in
# the tail collapses onto a few values in erf space.
TAIL_START = 2.0
TAIL_NEWTON_STEPS = 4  # from z0, 3 steps leave 8e-15, 4 reach 1 ulp (a >= 2, L <= 37)
# M(z) = sqrt(pi/2) * erfcx(z / sqrt(2)), erfcx by W. J. Cody, "Rational
# Chebyshev approximations for the error function", Math. Comp. 23 (1969),
# netlib specfun CALERF: x <= 4 (z <= 5.66) rational P8/Q8 in x; x > 4 the
# asymptotic form (1/sqrt(pi) - s*P5(s)/Q5(s)) / x, s = 1/x**2. Relative
# error of M below 8e-16 for z >= 2 (asserted by tests/test_accuracy.py).
MILLS_SPLIT = 4.0
MILLS_MID_P = (  # numerator, applied as ((c8*x + c0)*x + c1)*x ... + c7
    5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
    2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
    2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8,
)
MILLS_MID_Q = (
    1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
    1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
    3.43936767414372164e03, 1.23033935480374942e03,
)
MILLS_BIG_P = (
    3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
    1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2,
)
MILLS_BIG_Q = (
    2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
    6.05183413124413191e-2, 2.33520497626869185e-3,
)
INV_SQRT_PI = 5.6418958354775628695e-1
SQRT_HALF = math.sqrt(0.5)
SQRT_HALF_PI = math.sqrt(math.pi / 2)
# Below this many values of the output dtype between the 1% and 99% quantiles
# of a truncated normal, the dtype cannot show its shape: ValueError.
TRUNC_MIN_VALUES = 16

# --- Truncated normal by rejection on counters (contract 0.2) -----------------
# An interval holding at least REJECT_MIN_MASS of the normal's mass (Keras and
# JAX's +-2 sigma holds 0.9545) takes the normal fill's value of element i
# when it lies in the interval; else candidates from redraw blocks of its own
# pair P = i >> 1, under the redraw key (key0 ^ REDRAW_KEY_XOR0, key1 ^
# REDRAW_KEY_XOR1), block number q = (r << REDRAW_Q_SHIFT) | P for r = 1, 2, ...:
# every primary block number is below 2**61 (element indices < 2**62), so no
# redraw counter is ever a primary one, under any key. After the candidates,
# block FALLBACK_BLOCK feeds the erf-space inverse CDF: an exact draw of the
# truncated law, so the mixture is exactly the truncated law too.
REDRAW_KEY_XOR0 = 0xA4093822  # fractional hex digits of pi, words 5 and 6
REDRAW_KEY_XOR1 = 0x299F31D0  # (word 1 is 0x243F6A88): nothing up the sleeve
REDRAW_Q_SHIFT = 61
REDRAW_CANDIDATES_F32 = 12  # blocks 1..6, two Box-Muller pairs (words 0-1, 2-3) each
REDRAW_CANDIDATES_F64 = 6  # blocks 1..6, one float64 Box-Muller pair (4 words) each
FALLBACK_BLOCK = 7
# The switch, per call: rejection at or above this mass, the inverse CDF
# below. Rejection costs the normal fill plus, per redrawn element, a Philox
# block and a Box-Muller pair; the inverse CDF a polynomial erfinv per
# element. Measured break-even (2**26 float32, 2 threads, AVX-512): mass 0.93
# in C, 0.96 in Numba; 0.95 keeps +-2 sigma (0.9545) on the rejection path.
REJECT_MIN_MASS = 0.95

# --- float32 -> float16 rounding (F. Giesen, float_to_half_fast3_rtne) --------
F16_MAX_BITS = (127 + 16) << 23  # 65536.0f: at or above -> infinity
F16_MIN_NORMAL_BITS = 113 << 23  # 2**-14: below -> subnormal path
F16_DENORM_MAGIC_BITS = ((127 - 15) + (23 - 10) + 1) << 23
F16_REBIAS = (((15 - 127) << 23) + 0xFFF) & MASK32  # rebias + rounding bias, mod 2**32
F16_INF = 0x7C00

# --- Initializer conventions (Keras 3 / JAX) ----------------------------------
# std of a standard normal truncated to [-2, 2]; dividing by it restores the
# requested variance after truncation.
TRUNC_NORMAL_STD_CORRECTION = 0.87962566103423978

# --- Streams -------------------------------------------------------------------
STREAM_HASH_PERSON = b"fastinit-stream"  # blake2b personalisation (<= 16 bytes)

# --- Scheduling (never changes a value) ----------------------------------------
CHUNK_BLOCKS = 2048  # Philox blocks per parallel work item
PHILOX_BATCH = 64  # Philox blocks made at once, lane-major, before their transform
REDRAW_BATCH = 64  # redraws made at once, lane-major (a multiple of REDRAW_PAD)
REDRAW_PAD = 16  # lists of redraws are padded to whole vectors of this many
# n_threads=None: at least this many elements per thread. Waking a thread costs
# more than filling a small bias vector, and on a busy machine a static
# schedule waits for the slowest thread.
MIN_ELEMENTS_PER_THREAD = 1 << 16
