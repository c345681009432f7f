"""In-place weight initializers with Keras 3 / JAX names and semantics.

Every function fills ``out`` in place and returns it. Random values follow
the randomness contract (docs/contract.md): element ``i`` of the full logical tensor
(its row-major index) depends only on ``(seed, stream, i)`` and the
initializer's parameters, never on threads, backend, sharding or layout.
``variance_scaling_``, its six named specializations and ``compute_fans`` are
written in ``fastinit/_variance_scaling.py`` and exported from here.
"""

from ._docstrings import fill_doc
from ._engine import checks, fill, laws
from ._engine.tensors import accepts_tensors
from ._variance_scaling import compute_fans as compute_fans
from ._variance_scaling import glorot_normal_ as glorot_normal_
from ._variance_scaling import glorot_uniform_ as glorot_uniform_
from ._variance_scaling import he_normal_ as he_normal_
from ._variance_scaling import he_uniform_ as he_uniform_
from ._variance_scaling import lecun_normal_ as lecun_normal_
from ._variance_scaling import lecun_uniform_ as lecun_uniform_
from ._variance_scaling import variance_scaling_ as variance_scaling_

__all__ = [
    "compute_fans", "constant_", "glorot_normal_", "glorot_uniform_", "he_normal_",
    "he_uniform_", "lecun_normal_", "lecun_uniform_", "ones_", "random_bits_",
    "random_normal_", "random_uniform_", "truncated_normal_", "variance_scaling_", "zeros_",
]


def _constant_fill(out, value):
    checks.check_buffer(out)
    return fill.constant(out, checks.check_real("value", value))



@accepts_tensors
def zeros_(out):
    """Fill `out` in place with zeros (Keras ``Zeros``, JAX ``zeros``).

    Parameters
    ----------
    out : array of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous.

    Returns
    -------
    out
        The object passed in, now filled.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> fastinit.zeros_(np.ones(3, np.float32))
    array([0., 0., 0.], dtype=float32)
    """
    return _constant_fill(out, 0.0)


@accepts_tensors
def ones_(out):
    """Fill `out` in place with ones (Keras ``Ones``, JAX ``ones``).

    Parameters
    ----------
    out : array of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous.

    Returns
    -------
    out
        The object passed in, now filled.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> fastinit.ones_(np.zeros(2, np.float64))
    array([1., 1.])
    """
    return _constant_fill(out, 1.0)


@accepts_tensors
def constant_(out, *, value):
    """Fill `out` in place with `value`, rounded to its dtype (Keras ``Constant``).

    Parameters
    ----------
    out : array of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous.
    value : float
        A finite real number.

    Returns
    -------
    out
        The object passed in, now filled.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> fastinit.constant_(np.empty(2, np.float32), value=0.5)
    array([0.5, 0.5], dtype=float32)
    """
    return _constant_fill(out, value)


@accepts_tensors
@fill_doc
def random_bits_(out, *, seed, stream=0, full_shape=None, origin=None, offset=None,
                 n_threads=None, backend="auto"):
    """Fill a uint32 `out` in place with the raw Philox4x32-10 words of the contract.

    Element ``i`` is word ``i``: lane ``i % 4`` of the Philox4x32-10 block
    with counter ``(q_lo, q_hi, stream_lo, stream_hi)``, ``q = i // 4``, under
    key ``(seed_lo, seed_hi)`` -- the layout of cuRAND and PyTorch's
    ``Philox4_32``. For building your own transforms and cross-checks.

    Parameters
    ----------
    out : array of uint32
        Buffer to overwrite; writable, C- or F-contiguous.
    %(seed)s
    %(layout)s

    %(returns_raises)s

    References
    ----------
    .. [1] J. K. Salmon, M. A. Moraes, R. O. Dror and D. E. Shaw, "Parallel
           Random Numbers: As Easy as 1, 2, 3", SC 2011.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.random_bits_(np.empty(4, np.uint32), seed=0)
    >>> [hex(int(x)) for x in w]
    ['0x6627e8d5', '0xe169c58d', '0xbc57ac4c', '0x9b00dbd8']
    """
    return fill.public(out, seed, stream, full_shape, origin, offset, n_threads, backend,
                        laws.BITS, bits=True)


@accepts_tensors
@fill_doc
def random_uniform_(out, *, seed, stream=0, minval=-0.05, maxval=0.05, full_shape=None,
                    origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill `out` in place with uniform samples on ``[minval, maxval)``.

    .. math::

        x_i = \mathrm{clamp}(a + (b - a)\,u_i,\ a', b'),\qquad
        u_i = \lfloor w_i / 2^8 \rfloor \, 2^{-24}

    with 24-bit uniforms (53-bit from two words for float64); ``a'`` is the
    smallest value of the dtype at or above `minval`, ``b'`` the largest
    below `maxval`, so ``minval <= x < maxval`` holds in every dtype, even
    after rounding to float16/bfloat16 (as Keras and JAX). ``minval ==
    maxval`` fills `minval`.

    Parameters
    ----------
    out : array of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous.
    %(seed)s
    minval, maxval : float, default -0.05, 0.05
        Bounds, ``minval <= maxval``, finite in the output dtype.
    %(layout)s

    %(returns_raises)s

    Notes
    -----
    Keras ``RandomUniform`` (same defaults) and ``jax.random.uniform``; the
    PyTorch counterpart is ``torch.nn.init.uniform_(a=0, b=1)``.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.random_uniform_(np.empty((64, 32), np.float32), seed=1)
    >>> bool((np.abs(w) <= 0.05).all())
    True
    """
    return fill.public(out, seed, stream, full_shape, origin, offset, n_threads, backend,
                        laws.uniform(minval, maxval))


@accepts_tensors
@fill_doc
def random_normal_(out, *, seed, stream=0, mean=0.0, stddev=0.05, full_shape=None,
                   origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill `out` in place with normal samples :math:`\mathcal{N}(\text{mean}, \text{stddev}^2)`.

    Box--Muller on the pair of words of each element pair ``(2j, 2j+1)``:

    .. math::

        r = \sqrt{-2\ln u_1},\quad x_{2j} = \mu + \sigma r\cos\theta,\quad
        x_{2j+1} = \mu + \sigma r\sin\theta,

    with ``u1`` in ``(0, 1]``; in float32, ``|z|`` is at most 5.77 (24-bit
    ``u1``), in float64 at most 8.57.

    Parameters
    ----------
    out : array of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous.
    %(seed)s
    mean : float, default 0.0
    stddev : float, default 0.05
        Finite, ``>= 0``.
    %(layout)s

    %(returns_raises)s

    Notes
    -----
    Keras ``RandomNormal`` (same defaults), ``jax.random.normal`` scaled;
    PyTorch: ``torch.nn.init.normal_``.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.random_normal_(np.empty(100_000, np.float32), seed=0, stddev=1.0)
    >>> bool(abs(w.std() - 1.0) < 0.02)
    True
    """
    return fill.public(out, seed, stream, full_shape, origin, offset, n_threads, backend,
                        laws.normal(mean, stddev))


@accepts_tensors
@fill_doc
def truncated_normal_(out, *, seed, stream=0, mean=0.0, stddev=0.05, lower=-2.0, upper=2.0,
                      full_shape=None, origin=None, offset=None, n_threads=None,
                      backend="auto"):
    r"""Fill `out` in place with a normal truncated to ``[lower, upper]`` standard deviations.

    An interval holding at least 0.95 of the normal's mass (the default
    ``[-2, 2]`` holds 0.9545) is sampled by rejection: the normal fill's value
    of the element when it lies in the interval, else candidates from
    counters of its own (the randomness contract, ``docs/contract.md``).
    Other intervals take the inverse CDF: with
    :math:`e_a = \mathrm{erf}(a/\sqrt2)`, :math:`e_b = \mathrm{erf}(b/\sqrt2)`
    and ``u`` in ``(0, 1)``,

    .. math::

        x = \mu + \sigma\sqrt2\,\mathrm{erf}^{-1}\!\big(e_a + (e_b - e_a)u\big),

    clamped into ``[mean + lower*stddev, mean + upper*stddev]`` (rounded
    inward to the dtype: the interval is closed). ``erfinv`` is Giles'
    approximation. An interval wholly in a far tail (``lower >= 2`` or
    ``upper <= -2``), where erf space has no resolution left, is sampled in
    float64 instead: :math:`Q(z) = Q(a)\,((1 - u) + u\,Q(b)/Q(a))`, with
    :math:`Q` the normal upper tail, solved by Newton's method on
    :math:`\log Q` (see the randomness contract, ``docs/contract.md``). Either bound may be
    infinite: ``lower=0, upper=inf`` is a half-normal.

    Parameters
    ----------
    out : array of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous.
    %(seed)s
    mean : float, default 0.0
    stddev : float, default 0.05
        Finite, ``> 0``. The std of the normal *before* truncation.
    lower, upper : float, default -2.0, 2.0
        Bounds in units of `stddev` around `mean`, ``lower < upper``;
        ``-inf``/``inf`` allowed. Where the output dtype holds fewer than 16
        values between the 1% and 99% quantiles (``[30, 31]`` in bfloat16),
        a ValueError says so.
    %(layout)s

    %(returns_raises)s

    Notes
    -----
    Keras ``TruncatedNormal`` is the default ``lower=-2, upper=2``;
    ``jax.random.truncated_normal`` takes the same standardized bounds.
    PyTorch's ``trunc_normal_`` takes absolute bounds ``a, b`` instead.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.truncated_normal_(np.empty(10_000, np.float32), seed=0, stddev=1.0)
    >>> bool(w.min() >= -2.0 and w.max() <= 2.0)
    True
    >>> t = fastinit.truncated_normal_(w, seed=0, stddev=1.0, lower=5.0, upper=8.0)
    >>> bool(t.min() >= 5.0 and t.max() <= 8.0), len(np.unique(t)) > 9000
    (True, True)
    """
    return fill.public(out, seed, stream, full_shape, origin, offset, n_threads, backend,
                        laws.truncated(mean, stddev, lower, upper))

