"""Whole-matrix initializers with Keras 3 / JAX semantics: orthogonal and identity.

Unlike the element-wise initializers, an orthogonal matrix needs the whole
matrix at once: the engine fills a standard normal matrix by the randomness
contract, NumPy's LAPACK factors it (QR), and the signs are corrected as
Keras and JAX do. A block of a larger tensor (``full_shape`` with ``origin``
or ``offset``) is cut from the full result, so every rank of a sharded
tensor computes the same matrix and keeps its part.
"""

import math

import numpy as np

from ._docstrings import fill_doc
from ._engine import checks, fill, laws, request, tensors
from ._engine.constants import FMT_F64

__all__ = ["identity_", "orthogonal_"]


STANDARD_NORMAL = laws.Normal(0.0, 1.0)


def orthogonal_matrix(req, n_rows, n_cols, *, torch_layout=False):
    """Orthogonal (n_rows, n_cols) in float64: normal, QR, sign fix, as the frameworks do.

    The normal matrix is drawn with ``req``'s keys (float64 for a float64
    output, float32 otherwise). Keras/JAX sample it as (max, min); torch as
    (n_rows, n_cols), transposed when wide (``torch_layout``).
    """
    big, small = max(n_rows, n_cols), min(n_rows, n_cols)
    shape = (n_rows, n_cols) if torch_layout else (big, small)
    a = np.empty(shape, np.float64 if req.fmt == FMT_F64 else np.float32)
    fill.run(request.scratch(req, a), STANDARD_NORMAL)
    if torch_layout and n_rows < n_cols:
        a = a.T
    q, r = np.linalg.qr(a.astype(np.float64, copy=False))
    # Mezzadri (2007): multiply by sign(diag R) so Q is Haar-distributed
    q *= np.sign(np.diagonal(r))
    return q.T if n_rows < n_cols else q


def store(out, values, full, origin, offset):
    """Write the part of a full C-ordered ``values`` array that ``out`` holds."""
    values = values.reshape(full)
    if offset is not None:
        out[...] = values.reshape(-1)[offset:offset + out.size].reshape(out.shape)
    elif origin is not None:
        out[...] = values[tuple(slice(o, o + n) for o, n in zip(origin, out.shape, strict=True))]
    else:
        out[...] = values


def as_output(values, dtype):
    """float64 values in ``dtype``; 16-bit formats round from the float32 value."""
    if np.dtype(dtype) == np.float64:
        return values
    values = values.astype(np.float32)
    return values if np.dtype(dtype) == np.float32 else values.astype(dtype)


@fill_doc
def orthogonal_(out, *, seed, stream=0, gain=1.0, column_axis=-1, full_shape=None, origin=None,
                offset=None, n_threads=None, backend="auto"):
    r"""Fill `out` in place with a (semi-)orthogonal matrix times `gain`.

    The full shape is flattened to ``n_rows x n_cols`` with ``n_cols =
    shape[column_axis]`` and ``n_rows`` the product of the other axes (for
    ``(3, 3, 16, 32)``: ``144 x 32``). A standard normal matrix ``A`` of
    shape ``(max(n_rows, n_cols), min(n_rows, n_cols))`` is filled by the
    engine (float32 samples, float64 for a float64 `out`), then

    .. math::

        A = QR,\qquad Q \leftarrow Q\,\mathrm{diag}(\mathrm{sign}(\mathrm{diag}\,R)),

    transposed when ``n_rows < n_cols``, so the result has orthonormal
    columns (tall) or rows (wide): :math:`Q^\top Q = I` or :math:`Q Q^\top = I`.

    Parameters
    ----------
    out : array or torch.Tensor of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous. At least 2-D.
    %(seed)s
    gain : float, default 1.0
        Finite multiplicative factor.
    column_axis : int, default -1
        Axis of the full shape whose entries are the orthogonal columns (JAX).
    %(layout)s

    Returns
    -------
    out
        The object passed in, now filled.

    Raises
    ------
    %(raises)s

    Notes
    -----
    Keras ``Orthogonal(gain)`` and ``jax.nn.initializers.orthogonal(scale,
    column_axis)``: the same algorithm on the same layout. The QR is computed
    in float64 by NumPy's LAPACK and rounded once to the output dtype, so the
    bits are reproducible on a given NumPy/LAPACK build; the normal matrix is
    bit-exact everywhere. It needs memory for the full matrix (three float64
    copies), even when `out` is a block of it. PyTorch's ``orthogonal_``
    flattens ``(out, in, *receptive)`` the other way: ``fastinit.torch``.

    References
    ----------
    .. [1] A. M. Saxe, J. L. McClelland and S. Ganguli, "Exact solutions to the
           nonlinear dynamics of learning in deep linear neural networks", ICLR 2014.
    .. [2] F. Mezzadri, "How to generate random matrices from the classical
           compact groups", Notices of the AMS 54, 2007.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.orthogonal_(np.empty((64, 16), np.float32), seed=0)
    >>> bool(np.allclose(w.T @ w, np.eye(16), atol=1e-5))
    True
    """
    req = request.parse(out, request.keys(seed, stream), full_shape, origin, offset, n_threads,
                        backend)
    return orthogonal(req, checks.check_real("gain", gain), column_axis, origin, offset)


def orthogonal(req, gain, column_axis, origin, offset):
    """``orthogonal_`` for a checked request and gain (the Keras and JAX fills call it too)."""
    out = req.out
    checks.check_min_ndim(req.full, 2, "an orthogonal matrix")
    col = checks.check_axis("column_axis", column_axis, len(req.full))
    if out.size == 0:
        return out
    n_cols = req.full[col]
    n_rows = math.prod(req.full) // n_cols
    q = orthogonal_matrix(req, n_rows, n_cols)
    rest = tuple(n for d, n in enumerate(req.full) if d != col)
    q = np.moveaxis(q.reshape(rest + (n_cols,)), -1, col)
    store(out, as_output(gain * q, out.dtype), req.full, origin, offset)
    return out


def identity_(out, *, gain=1.0, full_shape=None, origin=None, offset=None):
    r"""Fill a 2-D `out` in place with `gain` times the (rectangular) identity matrix.

    .. math::

        x_{ij} = \text{gain}\ \text{if}\ i = j,\ \text{else}\ 0.

    Parameters
    ----------
    out : array or torch.Tensor of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous.
    gain : float, default 1.0
        Finite value of the diagonal, rounded to the dtype.
    full_shape : tuple of int, optional
        Shape of the full 2-D matrix when `out` is only part of it.
    origin : tuple of int, optional
        ``out`` is the block of the full matrix starting at ``origin``.
    offset : int, optional
        ``out`` holds consecutive elements of the flattened full matrix.

    Returns
    -------
    out
        The object passed in, now filled.

    Raises
    ------
    TypeError
        If `out` is not an array or tensor of a supported dtype.
    ValueError
        If the full shape is not 2-D or `origin`/`offset` put `out` outside it.

    Notes
    -----
    Keras ``Identity(gain)`` (2-D only); PyTorch's ``eye_`` is ``gain=1``.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> fastinit.identity_(np.empty((2, 3), np.float32), gain=2.0)
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """
    return identity(out, gain, full_shape, origin, offset)


def identity(out, gain, full_shape, origin, offset):
    """``identity_``, for the public functions that write an identity too (torch's eye_)."""
    checks.check_buffer(out)
    gain = checks.check_real("gain", gain)
    full = checks.check_geometry(out.shape, full_shape, origin, offset)
    checks.check_ndim(full, 2, "an identity matrix")
    out[...] = 0
    if offset is not None:
        # flat indices i * (cols + 1) of the diagonal that fall inside the buffer
        step = full[1] + 1
        first = -(-offset // step)
        last = min(min(full), -(-(offset + out.size) // step))
        local = np.arange(first, last, dtype=np.int64) * step - offset
        out[np.unravel_index(local, out.shape)] = gain
        return out
    (r0, c0), (h, w) = origin or (0, 0), out.shape
    i = np.arange(max(r0, c0), min(r0 + h, c0 + w), dtype=np.int64)
    out[i - r0, i - c0] = gain
    return out


orthogonal_ = tensors.accepts_tensors(orthogonal_)
identity_ = tensors.accepts_tensors(identity_)
