"""Output dtypes: format codes, memory views, finite ranges, bounds rounded inward.

float16 and bfloat16 values are the float32 value of the same element rounded
to nearest even; bounded distributions clamp in float32 to bounds that are
representable in the output dtype, so rounding can never leave the interval.
"""

import numpy as np

from . import constants

try:
    import ml_dtypes

    BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
except ImportError:  # pragma: no cover - ml_dtypes is a declared dependency
    BFLOAT16 = None

FORMATS = {np.dtype(np.float32): constants.FMT_F32, np.dtype(np.float64): constants.FMT_F64,
            np.dtype(np.float16): constants.FMT_F16}
if BFLOAT16 is not None:
    FORMATS[BFLOAT16] = constants.FMT_BF16

_STORAGE = {constants.FMT_F32: np.float32, constants.FMT_F64: np.float64,
            constants.FMT_F16: np.uint16, constants.FMT_BF16: np.uint16}


_DTYPES = {code: dtype for dtype, code in FORMATS.items()}


def dtype_of(fmt):
    """The output dtype of a format code."""
    return _DTYPES[fmt]


def format_of(dtype):
    """Format code of a supported float dtype, else None."""
    return FORMATS.get(np.dtype(dtype))


def memory(out, fmt):
    """The buffer's memory as a 1-D array in memory order (no copy).

    16-bit formats are viewed as uint16: the kernels write their bits.
    """
    flat = np.asarray(out).reshape(-1, order="A")
    return flat.view(_STORAGE[fmt]) if fmt is not None else flat


def inward(value, dtype, *, up):
    """Nearest value of ``dtype`` at or above (``up``) / below ``value``, as float."""
    with np.errstate(over="ignore"):  # beyond the dtype's range: inf, then stepped in
        x = np.array(value, dtype=np.float64).astype(dtype)
    if up and float(x) < value:
        x = np.nextafter(x, np.array(np.inf, dtype=dtype))
    elif not up and float(x) > value:
        x = np.nextafter(x, np.array(-np.inf, dtype=dtype))
    return float(x)


def below(value, dtype):
    """Largest value of ``dtype`` strictly below ``value``, as float."""
    x = inward(value, dtype, up=False)
    if x == value:
        x = float(np.nextafter(np.array(x, dtype=dtype), np.array(-np.inf, dtype=dtype)))
    return x


def finite_max(dtype):
    """Largest finite value of ``dtype``, as float."""
    return float(np.nextafter(np.array(np.inf, dtype=dtype), np.array(0, dtype=dtype)))


def _ordinal(x, dtype):
    """Position of ``x`` (a value of ``dtype``) in the ordered set of its finite values."""
    dtype = np.dtype(dtype)
    bits = int(np.array(x, dtype=dtype).view(f"u{dtype.itemsize}"))
    sign = 1 << (8 * dtype.itemsize - 1)
    return -(bits & ~sign) if bits & sign else bits


def count_between(lo, hi, dtype):
    """How many values of ``dtype`` lie in [lo, hi]."""
    lo_c, hi_c = inward(lo, dtype, up=True), inward(hi, dtype, up=False)
    if lo_c > hi_c:
        return 0
    return _ordinal(hi_c, dtype) - _ordinal(lo_c, dtype) + 1
