"""Every argument check and every user-facing error message.

Checks run before a single byte is written; kernels trust what passes here.
Messages read ``"<arg> must be <requirement>, got <actual>"``; ``TypeError``
for a wrong type or dtype, ``ValueError`` for a wrong value, shape or layout.
"""

import math
import numbers
import operator

import numpy as np

from . import formats

MAX_U64 = 2**64
# Element indices times words per element (<= 2) must stay below 2**64.
MAX_ELEMENTS = 2**62


def _describe(value):
    return repr(value) if isinstance(value, (str, bool)) or value is None else str(value)


def check_buffer(out):
    """Validate the output buffer; return its format code."""
    if not isinstance(out, np.ndarray):
        raise TypeError(
            "out must be a numpy.ndarray of float32, float64, float16 or bfloat16, "
            f"got {type(out).__name__}"
        )
    fmt = formats.FORMATS.get(out.dtype)
    if fmt is None:
        raise TypeError(
            f"out must be a numpy.ndarray of float32, float64, float16 or bfloat16, got {out.dtype}"
        )
    check_writable_contiguous(out)
    return fmt


def check_bits_buffer(out):
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray of uint32, got {type(out).__name__}")
    if out.dtype != np.uint32:
        raise TypeError(f"out must be a numpy.ndarray of uint32, got {out.dtype}")
    check_writable_contiguous(out)


def check_writable_contiguous(out):
    flags = out.flags
    if not flags.writeable:
        raise ValueError("out must be writable, got a read-only array (pass a copy)")
    if not (flags.c_contiguous or flags.f_contiguous):
        raise ValueError(
            "out must be C- or F-contiguous, got a non-contiguous view "
            "(use np.ascontiguousarray or fill a temporary and copy)"
        )


def check_seed(seed):
    """The seed: an integer in [0, 2**64). Every entry point checks its seed here, once."""
    return check_uint64("seed", seed)


def check_uint64(name, value):
    """An integer in [0, 2**64): seeds and integer streams."""
    if type(value) is int and 0 <= value < MAX_U64:  # the common case, without the ABC check
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer in [0, 2**64), got {_describe(value)}")
    value = operator.index(value)
    if not 0 <= value < MAX_U64:
        raise ValueError(f"{name} must be an integer in [0, 2**64), got {value}")
    return value


def check_stream(stream):
    if type(stream) is str or (type(stream) is int and 0 <= stream < MAX_U64):
        return stream
    if isinstance(stream, bool) or not isinstance(stream, numbers.Integral):
        raise TypeError(
            f"stream must be an integer in [0, 2**64) or a str, got {_describe(stream)}"
        )
    return check_uint64("stream", stream)


def check_real(name, value, *, positive=False, nonnegative=False, infinite=False):
    """A finite real number, optionally > 0 or >= 0, or +-inf if ``infinite``; as float."""
    if type(value) is not float and (isinstance(value, bool)
                                     or not isinstance(value, numbers.Real)):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    value = float(value)
    if infinite and not math.isnan(value):
        return value
    if infinite:
        raise ValueError(f"{name} must be a number or an infinity, got {value}")
    if positive and not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    if nonnegative and not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a non-negative finite number, got {value}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


def check_less(lo_name, lo, hi_name, hi, *, strict):
    if (lo >= hi) if strict else (lo > hi):
        rel = "less than" if strict else "at most"
        raise ValueError(f"{lo_name} must be {rel} {hi_name} ({hi}), got {lo}")


def check_choice(name, value, choices, *, any_case=False):
    """``value`` if it is one of ``choices``; ``any_case`` compares strings lower-cased."""
    key = value.lower() if any_case and isinstance(value, str) else value
    if key not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {_describe(value)}")
    return key


def check_integer(name, value, requirement):
    """TypeError unless an integer (numpy integers included); returns int."""
    if type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {requirement}, got {_describe(value)}")
    return operator.index(value)


def check_positive_int(name, value):
    value = check_integer(name, value, "a positive integer")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return value


def check_n_threads(n_threads):
    """None, or a non-zero integer (negative counts back from all cores)."""
    if n_threads is None:
        return None
    n_threads = check_integer("n_threads", n_threads, "None or a non-zero integer")
    if n_threads == 0:
        raise ValueError("n_threads must be None or a non-zero integer, got 0")
    return n_threads


def check_shape(name, shape):
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of non-negative integers, got {shape!r}") from None
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0:
            raise ValueError(f"{name} must be a tuple of non-negative integers, got {shape}")
    shape = tuple(int(d) for d in shape)
    if math.prod(shape) >= MAX_ELEMENTS:
        raise ValueError(f"{name} must have fewer than 2**62 elements, got {math.prod(shape)}")
    return shape


def check_axes(shape, in_axis, out_axis):
    """Normalise in_axis/out_axis for ``shape`` (only used when ndim >= 2)."""
    nd = len(shape)
    axes = []
    for name, ax in (("in_axis", in_axis), ("out_axis", out_axis)):
        if isinstance(ax, bool) or not isinstance(ax, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {_describe(ax)}")
        if nd >= 2 and not -nd <= ax < nd:
            raise ValueError(f"{name} must be in [{-nd}, {nd}) for a {nd}-D shape, got {ax}")
        axes.append(int(ax) % nd if nd >= 2 else int(ax))
    if nd >= 2 and axes[0] == axes[1]:
        raise ValueError(
            f"in_axis and out_axis must name different axes, got {in_axis} and {out_axis}"
        )
    return axes


def check_geometry(out_shape, full_shape, origin, offset):
    """Where the buffer sits in the full logical tensor; returns full_shape."""
    full = check_shape("full_shape", out_shape if full_shape is None else full_shape)
    if origin is not None and offset is not None:
        raise ValueError("origin and offset must not both be given, got both")
    size = math.prod(out_shape)
    if offset is not None:
        offset = check_integer("offset", offset, "a non-negative integer")
        if offset < 0:
            raise ValueError(f"offset must be a non-negative integer, got {offset}")
        if offset + size > math.prod(full):
            raise ValueError(
                f"offset must keep the buffer inside full_shape {full} "
                f"(offset + out.size <= {math.prod(full)}), got {offset} + {size}"
            )
        return full
    if origin is None:
        if tuple(out_shape) != full:
            raise ValueError(
                f"origin or offset must be given when out.shape {tuple(out_shape)} differs "
                f"from full_shape {full}, got neither"
            )
        return full
    origin = check_shape("origin", origin)
    if len(origin) != len(full) or len(out_shape) != len(full):
        raise ValueError(
            f"origin must have one entry per axis of full_shape {full} and out must have as "
            f"many axes, got origin {origin} and out.shape {tuple(out_shape)}"
        )
    for o, s, f in zip(origin, out_shape, full, strict=True):
        if o + s > f:
            raise ValueError(
                f"origin must keep the buffer inside full_shape {full}, got origin {origin} "
                f"with out.shape {tuple(out_shape)}"
            )
    return full


# --- what the output dtype can hold -------------------------------------------------------
def check_fits(name, value, dtype):
    """A number the output dtype holds as a finite value (constants, bounds)."""
    limit = formats.finite_max(dtype)
    if not abs(value) <= limit:
        raise ValueError(f"{name} must be within the finite range of {np.dtype(dtype).name} "
                         f"(magnitude at most {limit:.8g}), got {value}")


def check_normal_reach(mean, std, z_max, dtype):
    """Every normal sample, ``|mean| + z_max * std`` at most, is finite in the dtype."""
    limit = formats.finite_max(dtype)
    reach = abs(mean) + z_max * std
    if not reach <= limit:
        raise ValueError(f"|mean| + {z_max} * stddev must be at most {limit:.8g}, the largest "
                         f"finite {np.dtype(dtype).name}, got {reach:.8g}")


def check_span(span, limit, dtype):
    """maxval - minval is computed in the kernel's float type: it must stay finite there."""
    if not abs(span) <= limit:
        raise ValueError(f"maxval - minval must be at most {limit:.4g} for "
                         f"{np.dtype(dtype).name}, got {span}")


def check_nonempty(lo_c, hi_c, interval, dtype):
    """Bounds rounded inward to the dtype still hold a value."""
    if lo_c > hi_c:
        raise ValueError(f"the interval {interval} must contain a value representable in "
                         f"{np.dtype(dtype).name}, got none")


def check_backend_built(name, built):
    if name == "cython" and not built:
        raise ValueError("backend must be 'numba' or 'auto' here: the Cython extension is "
                         "not built, got 'cython' (reinstall with a C compiler)")


def check_faithful(count, lower, upper, minimum, dtype):
    """Enough values of the output dtype where a truncated normal has its mass."""
    if count < minimum:
        raise ValueError(
            f"the interval [lower, upper] = [{lower}, {upper}] must hold at least {minimum} "
            f"values of {np.dtype(dtype).name} between the 1% and 99% quantiles of the "
            f"truncated normal, got {count} (the dtype cannot show this law: use a wider "
            "dtype or a larger stddev)")


# --- whole shapes (fastinit.matrices, constant fills) ---
def check_min_ndim(shape, ndim, what):
    """At least ``ndim`` axes in the full shape, for ``what`` (e.g. 'an orthogonal matrix')."""
    if len(shape) < ndim:
        raise ValueError(
            f"full_shape must have at least {ndim} axes for {what}, got {tuple(shape)}")


def check_ndim(shape, ndim, what):
    if len(shape) != ndim:
        raise ValueError(f"full_shape must have exactly {ndim} axes for {what}, got {tuple(shape)}")


def check_axis(name, axis, ndim):
    axis = check_integer(name, axis, "an integer")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name} must be in [{-ndim}, {ndim}) for a {ndim}-D shape, got {axis}")
    return axis % ndim


def check_any_array(out):
    """Constant fills take any real dtype: a writable, contiguous array (or tensor's view)."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray or torch.Tensor, got {type(out).__name__}")
    check_writable_contiguous(out)
