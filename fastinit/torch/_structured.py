"""torch.nn.init's constant and structured initializers (re-exported by fastinit.torch).

``constant_``, ``ones_``, ``zeros_``, ``eye_``, ``dirac_``, ``orthogonal_``
and ``sparse_`` with torch's names, parameters and errors. The structured ones
compute the whole tensor and keep the block ``out`` holds, so a shard of a
sharded tensor equals the same block of a single-process fill.
"""

import math
import numbers

import numpy as np

from .. import _fillers
from .._engine import checks, fill, framework_checks, laws, request
from ..matrices import as_output, orthogonal_matrix, store
from . import _tensors
from ._laws import normal_law
from ._nn_init import RETURNS, parse, torch_doc

# Constants also fill integer buffers (BatchNorm's num_batches_tracked), as torch's do.
NUMBERS = (*framework_checks.TORCH_DTYPES, "int64", "int32", "int16", "int8", "uint8", "bool")
# What a model's own code may compute into a buffer (rotary tables are complex).
ANY = (*NUMBERS, "complex64", "complex128")

_GEOMETRY = """full_shape : tuple of int, optional
        Shape of the full tensor when `tensor` is a block of it.
    origin : tuple of int, optional
        `tensor` is the block of the full tensor starting at `origin`.
    offset : int, optional
        `tensor` holds consecutive elements of the flattened full tensor."""


def _geometry_doc(func):
    func.__doc__ = func.__doc__.replace("%(geometry)s", _GEOMETRY).replace("%(returns)s", RETURNS)
    return func


@_geometry_doc
def constant_(tensor, val, *, full_shape=None, origin=None, offset=None):
    """Fill `tensor` in place with `val` (``torch.nn.init.constant_``).

    Parameters
    ----------
    tensor : torch.Tensor or array
        Any real dtype, integers included (as torch).
    val : float
        The value, converted to the dtype; finite and within the dtype's
        range (an integer dtype truncates, as torch does).
    %(geometry)s

    %(returns)s

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> fit.constant_(np.empty(3, np.float32), 0.5)
    array([0.5, 0.5, 0.5], dtype=float32)
    """
    checks.check_any_array(tensor)
    checks.check_geometry(tensor.shape, full_shape, origin, offset)
    return constant(tensor, val)


def check_constant(val, dtype, *, finite=True):
    """``val`` as a number ``dtype`` holds: finite in a float dtype (unless not ``finite``:
    what a model's own code writes, an infinity included), in range for integers."""
    val = _tensors.number(val)
    if not isinstance(val, numbers.Real):
        raise TypeError(framework_checks.TORCH_VAL_TYPE.format(val))
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return val
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not (math.isfinite(val) and info.min <= val <= info.max):
            raise ValueError(framework_checks.TORCH_VAL_RANGE.format(dtype.name, info.min, info.max,
                                                                     val))
        return int(val)
    if not finite and not math.isfinite(val):
        return float(val)
    val = checks.check_real("val", val)
    checks.check_fits("val", val, dtype)
    return val


def constant(out, val, *, finite=True):
    """Write the checked constant ``val`` into every element of the NumPy buffer ``out``."""
    out[...] = check_constant(val, out.dtype, finite=finite)
    return out


@_geometry_doc
def ones_(tensor, *, full_shape=None, origin=None, offset=None):
    """Fill `tensor` in place with ones (``torch.nn.init.ones_``).

    Parameters
    ----------
    tensor : torch.Tensor or array
        Any real dtype.
    %(geometry)s

    %(returns)s

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> fit.ones_(np.zeros(2, np.int64))
    array([1, 1])
    """
    return constant_(tensor, 1, full_shape=full_shape, origin=origin, offset=offset)


@_geometry_doc
def zeros_(tensor, *, full_shape=None, origin=None, offset=None):
    """Fill `tensor` in place with zeros (``torch.nn.init.zeros_``).

    Parameters
    ----------
    tensor : torch.Tensor or array
        Any real dtype.
    %(geometry)s

    %(returns)s

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> fit.zeros_(np.ones(2, np.float32))
    array([0., 0.], dtype=float32)
    """
    return constant_(tensor, 0, full_shape=full_shape, origin=origin, offset=offset)


@_geometry_doc
def eye_(tensor, *, full_shape=None, origin=None, offset=None):
    """Fill a 2-D `tensor` in place with the identity matrix (``torch.nn.init.eye_``).

    Parameters
    ----------
    tensor : torch.Tensor or array of float32, float64, float16 or bfloat16
        2-D (full shape); rectangular allowed.
    %(geometry)s

    %(returns)s

    Raises
    ------
    ValueError
        ``"Only tensors with 2 dimensions are supported"`` (torch's message).

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> fit.eye_(np.empty((2, 3), np.float32))
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    checks.check_any_array(tensor)
    full = checks.check_geometry(tensor.shape, full_shape, origin, offset)
    return structured("eye_", tensor, {}, full, origin, offset)


def structured(fn, out, kwargs, full, origin, offset):
    """``eye_`` or ``dirac_`` over the part ``out`` of a full tensor (checked geometry)."""
    if fn == "eye_":
        if len(full) != 2:
            raise ValueError(framework_checks.TORCH_ONLY_2D)
        values = np.eye(*full, dtype=out.dtype)
    else:
        values = _dirac(full, kwargs.get("groups", 1), out.dtype)
    store(out, values, full, origin, offset)
    return out


def _dirac(full, groups, dtype):
    if len(full) not in (3, 4, 5):
        raise ValueError(framework_checks.TORCH_DIRAC_NDIM)
    if full[0] % groups != 0:
        raise ValueError(framework_checks.TORCH_DIRAC_GROUPS)
    per_group = full[0] // groups
    centre = tuple(n // 2 for n in full[2:])
    ones = [(g * per_group + d, d, *centre) for g in range(groups)
            for d in range(min(per_group, full[1]))]
    values = np.zeros(full, dtype)
    if ones:
        values[tuple(np.array(ones).T)] = 1
    return values


@_geometry_doc
def dirac_(tensor, groups=1, *, full_shape=None, origin=None, offset=None):
    """Fill a 3-, 4- or 5-D `tensor` in place with the Dirac delta (``torch.nn.init.dirac_``).

    Zeros except ``x[g*k + d, d, c2, c3, ...] = 1`` for each group ``g``,
    ``d < min(out/groups, in)`` and the centre ``c_i = shape[i] // 2`` of the
    kernel, so a convolution keeps as many input channels as it can.

    Parameters
    ----------
    tensor : torch.Tensor or array
        Convolution weight ``(out, in/groups, *kernel)``.
    groups : int, default 1
        Number of convolution groups; divides ``shape[0]``.
    %(geometry)s

    %(returns)s

    Raises
    ------
    ValueError
        torch's messages for the number of dimensions and for `groups`.

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> w = fit.dirac_(np.empty((4, 2, 3), np.float32), groups=2)
    >>> [tuple(map(int, i)) for i in np.argwhere(w)]
    [(0, 0, 1), (1, 1, 1), (2, 0, 1), (3, 1, 1)]
    """
    full = checks.check_shape("full_shape", tensor.shape if full_shape is None else full_shape)
    values = _dirac(full, groups, np.dtype(tensor.dtype))
    checks.check_any_array(tensor)
    checks.check_geometry(tensor.shape, full_shape, origin, offset)
    store(tensor, values, full, origin, offset)
    return tensor


@torch_doc
def orthogonal_(tensor, gain=1, generator=None, *, seed=None, stream=None, full_shape=None,
                origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill `tensor` in place with a (semi-)orthogonal matrix (``torch.nn.init.orthogonal_``).

    torch flattens ``(rows, *rest)`` to ``rows x prod(rest)``: a standard
    normal matrix of that shape is filled by the engine, transposed when
    wide, factored (``A = QR`` by NumPy's LAPACK, in float64), ``Q`` times
    ``sign(diag R)``, transposed back, viewed as the tensor and scaled by
    `gain`.

    Parameters
    ----------
    tensor : torch.Tensor of float32 or float64, or array of float32, float64, float16 or bfloat16
        At least 2-D (full shape). A 16-bit tensor is refused, as torch's QR
        refuses it (a NumPy array of 16 bits is filled).
    gain : float, default 1
        Multiplicative factor, finite.
    %(generator)s%(torch)s

    %(returns)s

    Raises
    ------
    ValueError
        ``"Only tensors with 2 or more dimensions are supported"``; else as
        the engine.

    Notes
    -----
    Keras/JAX flatten the other way (``fastinit.orthogonal_``). The whole
    matrix is computed even when `tensor` is a block of it.

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> w = fit.orthogonal_(np.empty((16, 64), np.float32), seed=0)
    >>> bool(np.allclose(w @ w.T, np.eye(16), atol=1e-5))
    True
    """
    full = checks.check_shape("full_shape", tensor.shape if full_shape is None else full_shape)
    if len(full) < 2:
        raise ValueError(framework_checks.TORCH_AT_LEAST_2D)
    req = parse(tensor, seed, stream, full_shape, origin, offset, n_threads, backend)
    return random_structured("orthogonal_", req, {"gain": gain}, origin, offset)


def random_structured(fn, req, kwargs, origin, offset):
    """``orthogonal_`` or ``sparse_`` for a checked request (the whole tensor is computed)."""
    if fn == "orthogonal_":
        return _orthogonal(req, kwargs.get("gain", 1), origin, offset)
    return _sparse(req, kwargs["sparsity"], kwargs.get("std", 0.01), origin, offset)


def _orthogonal(req, gain, origin, offset):
    full, tensor = req.full, req.out
    if len(full) < 2:
        raise ValueError(framework_checks.TORCH_AT_LEAST_2D)
    gain = checks.check_real("gain", _tensors.number(gain))
    if math.prod(full) == 0:
        return tensor
    rows = full[0]
    q = orthogonal_matrix(req, rows, math.prod(full) // rows, torch_layout=True)
    values = as_output(gain * q, tensor.dtype).reshape(full)
    if not np.isfinite(values).all():
        raise ValueError(
            framework_checks.TORCH_ORTHOGONAL_GAIN.format(np.dtype(tensor.dtype).name, gain))
    store(tensor, values, full, origin, offset)
    return tensor


@torch_doc
def sparse_(tensor, sparsity, std=0.01, generator=None, *, seed=None, stream=None,
            full_shape=None, origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill a 2-D `tensor` in place as a sparse matrix (``torch.nn.init.sparse_``).

    :math:`\mathcal{N}(0, \text{std}^2)` everywhere (the same values as
    :func:`normal_` with this seed and stream), then in every column exactly
    ``ceil(sparsity * rows)`` entries set to zero: the rows with the smallest
    keys, key ``(r, c)`` being raw word ``4 * rows * cols + c * rows + r`` of
    the stream (a random permutation per column, as torch's ``randperm``).

    Parameters
    ----------
    tensor : torch.Tensor or array of float32, float64, float16 or bfloat16
        2-D (full shape).
    sparsity : float
        Fraction of each column set to zero (``ceil(sparsity * rows)`` rows;
        none below 0, all above 1, as torch).
    std : float, default 0.01
        Standard deviation of the non-zero values.
    %(generator)s%(torch)s

    %(returns)s

    Raises
    ------
    ValueError
        ``"Only tensors with 2 dimensions are supported"``; else as the engine.

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> w = fit.sparse_(np.empty((10, 4), np.float32), 0.3, seed=0)
    >>> (w == 0).sum(axis=0).tolist()
    [3, 3, 3, 3]
    """
    full = checks.check_shape("full_shape", tensor.shape if full_shape is None else full_shape)
    if len(full) != 2:
        raise ValueError(framework_checks.TORCH_ONLY_2D)
    req = parse(tensor, seed, stream, full_shape, origin, offset, n_threads, backend)
    return random_structured("sparse_", req, {"sparsity": sparsity, "std": std}, origin, offset)


def _sparse(req, sparsity, std, origin, offset):
    full, tensor = req.full, req.out
    if len(full) != 2:
        raise ValueError(framework_checks.TORCH_ONLY_2D)
    sparsity = checks.check_real("sparsity", _tensors.number(sparsity))
    law = normal_law(0.0, std)
    rows, cols = full
    n = rows * cols
    values = fill.run(request.scratch(req, np.empty(full, np.dtype(tensor.dtype))), law)
    # the sort keys: raw words 4n .. 5n of the stream, past the normal's words
    words = request.parse(np.empty((cols, rows), np.uint32), req.keys, (5 * n,), None, 4 * n,
                          req.n_threads, req.backend, bits=True)
    keys = fill.run(words, laws.BITS)
    zero_rows = np.argsort(keys, axis=1, kind="stable")[:, :math.ceil(sparsity * rows)]
    values[zero_rows, np.arange(cols)[:, None]] = 0
    store(tensor, values, full, origin, offset)
    return tensor


constant_ = _tensors.drop_in(constant_, NUMBERS)
ones_ = _tensors.drop_in(ones_, NUMBERS)
zeros_ = _tensors.drop_in(zeros_, NUMBERS)
eye_ = _tensors.drop_in(eye_, NUMBERS)
dirac_ = _tensors.drop_in(dirac_, NUMBERS)
orthogonal_ = _tensors.drop_in(orthogonal_, ("float32", "float64"))
sparse_ = _tensors.drop_in(sparse_)

# Constant fills as a checkpoint fills them (see _nn_init.py): one checked value.
_fillers.SHAPED.update({
    constant_: lambda full, val: _fillers.constant_filler(val),
    ones_: lambda full: _fillers.constant_filler(1.0),
    zeros_: lambda full: _fillers.constant_filler(0.0),
})
