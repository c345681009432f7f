"""In-place weight initializers with Keras 3 / JAX names and semantics.

Every function fills ``out`` in place and returns it. Random values follow
the randomness contract (README): element ``i`` of the full logical tensor
(its row-major index) depends only on ``(seed, stream, i)`` and the
initializer's parameters, never on threads, backend, sharding or layout.
"""

import math

from . import _fans, _fill, _tensors
from . import _validation as V

__all__ = [
    "compute_fans", "constant_", "glorot_normal_", "glorot_uniform_", "he_normal_",
    "he_uniform_", "lecun_normal_", "lecun_uniform_", "ones_", "random_bits_",
    "random_normal_", "random_uniform_", "truncated_normal_", "variance_scaling_", "zeros_",
]

_SEED = """seed : int
        Root of the random stream, ``0 <= seed < 2**64``.
    stream : int or str, default 0
        Independent sub-stream, one per parameter tensor: an int in
        ``[0, 2**64)`` or a name such as ``"decoder.3.mlp.weight"``, hashed
        to a stable 64-bit id (BLAKE2b, see README)."""

_LAYOUT = """full_shape : tuple of int, optional
        Shape of the full logical tensor when ``out`` is only part of it
        (default ``out.shape``). Fans always come from it.
    origin : tuple of int, optional
        ``out`` is the block ``full[origin[0]:origin[0]+out.shape[0], ...]``.
    offset : int, optional
        ``out`` holds consecutive elements of the flattened full tensor,
        from flat index ``offset`` (FSDP-style flat shards).
    n_threads : int, optional
        Threads to use: None all usable cores (one per 65536 elements at
        most), -1 all usable cores, ``-k`` all but ``k - 1``. Never changes
        a value.
    backend : {"auto", "numba", "cython"}, default "auto"
        Kernel implementation ("auto": Cython when built). Never changes a
        value."""

_RAISES = """TypeError
        If `out` is not a numpy array of a supported dtype, or an argument
        has the wrong type.
    ValueError
        If `out` is read-only or not contiguous, a number is out of range or
        not finite, or `origin`/`offset` put `out` outside `full_shape`.
        Nothing is written then."""


def _doc(func):
    for key, text in (("%(seed)s", _SEED), ("%(layout)s", _LAYOUT), ("%(raises)s", _RAISES)):
        func.__doc__ = func.__doc__.replace(key, text)
    return func


def _job(out, seed, stream, full_shape, origin, offset, n_threads, backend, bits=False):
    return _fill.prepare(out, seed=seed, stream=stream, full_shape=full_shape, origin=origin,
                         offset=offset, n_threads=n_threads, backend=backend, bits=bits)


def _constant_fill(out, value):
    V.check_buffer(out)
    value = V.check_real("value", value)
    if out.size:
        out[...] = value
    return out


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


@_doc
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

    Returns
    -------
    out
        The object passed in, now filled.

    Raises
    ------
    %(raises)s

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
    return _fill.bits(_job(out, seed, stream, full_shape, origin, offset, n_threads, backend,
                           bits=True))


@_doc
def random_uniform_(out, *, seed, stream=0, minval=-0.05, maxval=0.05, full_shape=None,
                    origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill `out` in place with uniform samples on ``[minval, maxval]``.

    .. math::

        x_i = \mathrm{clamp}(a + (b - a)\,u_i,\ a', b'),\qquad
        u_i = \lfloor w_i / 2^8 \rfloor \, 2^{-24}

    with 24-bit uniforms (53-bit from two words for float64); ``a'``, ``b'``
    are the bounds rounded inward to the dtype, so no value ever leaves
    ``[minval, maxval]``, even after rounding to float16/bfloat16.

    Parameters
    ----------
    out : array of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous.
    %(seed)s
    minval, maxval : float, default -0.05, 0.05
        Finite bounds, ``minval <= maxval``.
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
    Keras ``RandomUniform`` (same defaults) and ``jax.random.uniform``; the
    PyTorch counterpart is ``torch.nn.init.uniform_(a=0, b=1)``.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.random_uniform_(np.empty((64, 32), np.float32), seed=1)
    >>> bool((np.abs(w) <= 0.05).all())
    True
    """
    job = _job(out, seed, stream, full_shape, origin, offset, n_threads, backend)
    lo = V.check_real("minval", minval)
    hi = V.check_real("maxval", maxval)
    V.check_less("minval", lo, "maxval", hi, strict=False)
    return _fill.uniform(job, lo, hi)


@_doc
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

    Returns
    -------
    out
        The object passed in, now filled.

    Raises
    ------
    %(raises)s

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
    job = _job(out, seed, stream, full_shape, origin, offset, n_threads, backend)
    mean = V.check_real("mean", mean)
    std = V.check_real("stddev", stddev, nonnegative=True)
    return _fill.normal(job, mean, std)


@_doc
def truncated_normal_(out, *, seed, stream=0, mean=0.0, stddev=0.05, lower=-2.0, upper=2.0,
                      full_shape=None, origin=None, offset=None, n_threads=None,
                      backend="auto"):
    r"""Fill `out` in place with a normal truncated to ``[lower, upper]`` standard deviations.

    Inverse CDF, no rejection: with :math:`e_a = \mathrm{erf}(a/\sqrt2)`,
    :math:`e_b = \mathrm{erf}(b/\sqrt2)` and ``u`` in ``(0, 1)``,

    .. math::

        x = \mu + \sigma\sqrt2\,\mathrm{erf}^{-1}\!\big(e_a + (e_b - e_a)u\big),

    clamped into ``[mean + lower*stddev, mean + upper*stddev]`` (rounded
    inward to the dtype). ``erfinv`` is Giles' approximation.

    Parameters
    ----------
    out : array of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous.
    %(seed)s
    mean : float, default 0.0
    stddev : float, default 0.05
        Finite, ``> 0``. The std of the normal *before* truncation.
    lower, upper : float, default -2.0, 2.0
        Bounds in units of `stddev` around `mean`, ``lower < upper``.
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
    Keras ``TruncatedNormal`` is the default ``lower=-2, upper=2``;
    ``jax.random.truncated_normal`` takes the same standardized bounds.
    PyTorch's ``trunc_normal_`` takes absolute bounds ``a, b`` instead.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = fastinit.truncated_normal_(np.empty(10_000, np.float32), seed=0, stddev=1.0)
    >>> bool(w.min() >= -2.0 and w.max() <= 2.0)
    True
    """
    job = _job(out, seed, stream, full_shape, origin, offset, n_threads, backend)
    mean = V.check_real("mean", mean)
    std = V.check_real("stddev", stddev, positive=True)
    lower = V.check_real("lower", lower)
    upper = V.check_real("upper", upper)
    V.check_less("lower", lower, "upper", upper, strict=True)
    return _fill.truncated_normal(job, mean, std, lower, upper)


@_doc
def variance_scaling_(out, *, seed, stream=0, scale=1.0, mode="fan_in",
                      distribution="truncated_normal", in_axis=-2, out_axis=-1, fan_in=None,
                      fan_out=None, full_shape=None, origin=None, offset=None, n_threads=None,
                      backend="auto"):
    r"""Fill `out` in place with samples whose variance is ``scale / n``.

    ``n`` is ``fan_in``, ``fan_out`` or their mean (`mode`), from the full
    shape (Keras/JAX rules, see :func:`compute_fans`). Then

    - ``"truncated_normal"``: truncated to :math:`\pm 2\sigma`, with
      :math:`\sigma = \sqrt{\text{scale}/n} / 0.87962566103423978` so the
      variance after truncation is ``scale / n``;
    - ``"normal"`` / ``"untruncated_normal"``: :math:`\mathcal{N}(0, \text{scale}/n)`;
    - ``"uniform"``: :math:`U(-b, b)`, :math:`b = \sqrt{3\,\text{scale}/n}`.

    Parameters
    ----------
    out : array of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous.
    %(seed)s
    scale : float, default 1.0
        Positive and finite.
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
    distribution : {"truncated_normal", "normal", "untruncated_normal", "uniform"}
        Default "truncated_normal".
    in_axis, out_axis : int, default -2, -1
        Axes of the full shape holding the input and output sizes; ``1, 0``
        for PyTorch's ``(out, in, *receptive)`` layout.
    fan_in, fan_out : int, optional
        Positive integers overriding the fans inferred from the full shape.
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
    ``jax.nn.initializers.variance_scaling`` and Keras ``VarianceScaling``
    (Keras spells the untruncated normal ``"untruncated_normal"``, JAX
    ``"normal"``; both are accepted).

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = np.empty((3, 3, 64, 128), np.float32)
    >>> fastinit.variance_scaling_(w, seed=0, scale=2.0, distribution="uniform") is w
    True
    >>> bool(np.abs(w).max() <= np.sqrt(3 * 2.0 / (9 * 64)))
    True
    """
    job = _job(out, seed, stream, full_shape, origin, offset, n_threads, backend)
    scale = V.check_real("scale", scale, positive=True)
    V.check_choice("mode", mode, _fans.MODES)
    V.check_choice("distribution", distribution, _fans.DISTRIBUTIONS)
    V.check_axes(job.full, in_axis, out_axis)
    fans = _fans.compute_fans(job.full, in_axis, out_axis) if math.prod(job.full) else (1, 1)
    fan_in = fans[0] if fan_in is None else V.check_positive_int("fan_in", fan_in)
    fan_out = fans[1] if fan_out is None else V.check_positive_int("fan_out", fan_out)
    kind, size = _fans.variance_scaling_params(
        scale, _fans.fan_for_mode(fan_in, fan_out, mode), distribution)
    if kind == "truncated_normal":
        return _fill.truncated_normal(job, 0.0, size, -2.0, 2.0)
    if kind == "normal":
        return _fill.normal(job, 0.0, size)
    return _fill.uniform(job, -size, size)


_ALIAS_DOC = r"""Fill `out` in place with {title} samples.

    .. math::

        x \sim {formula}

    with fans from the full shape (:func:`compute_fans`). This is
    ``variance_scaling_(scale={scale}, mode="{mode}", distribution="{dist}")``.

    Parameters
    ----------
    out : array of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous.
    %(seed)s
    in_axis, out_axis : int, default -2, -1
        Axes of the full shape holding the input and output sizes.
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
    Same distribution as Keras ``{keras}`` and ``jax.nn.initializers.{jax}``
    (layout ``(*receptive, in, out)``). PyTorch: ``torch.nn.init.{torch}``.

    References
    ----------
    .. [1] {ref}

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = np.empty((64, 32), np.float32)
    >>> fastinit.{name}(w, seed=0, stream="dense.weight") is w
    True
    >>> bool(np.abs(w).max() <= {bound})
    True
    """

_GLOROT = ('X. Glorot and Y. Bengio, "Understanding the difficulty of training deep '
           'feedforward neural networks", AISTATS 2010.')
_HE = 'K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers", ICCV 2015.'
_LECUN = 'Y. LeCun, L. Bottou, G. Orr and K.-R. Mueller, "Efficient BackProp", 1998.'
_TRUNC = r"\mathcal{{N}}_{{[-2\sigma, 2\sigma]}}(0, \sigma^2),\ \sigma = "


def _variance_scaling_alias(name, scale, mode, dist, **doc):
    def alias(out, *, seed, stream=0, in_axis=-2, out_axis=-1, full_shape=None, origin=None,
              offset=None, n_threads=None, backend="auto"):
        return variance_scaling_(out, seed=seed, stream=stream, scale=scale, mode=mode,
                                 distribution=dist, in_axis=in_axis, out_axis=out_axis,
                                 full_shape=full_shape, origin=origin, offset=offset,
                                 n_threads=n_threads, backend=backend)

    alias.__name__ = alias.__qualname__ = name
    alias.__doc__ = _ALIAS_DOC.format(name=name, scale=scale, mode=mode, dist=dist, **doc)
    return _doc(alias)


glorot_uniform_ = _variance_scaling_alias(
    "glorot_uniform_", 1.0, "fan_avg", "uniform", title="Glorot (Xavier) uniform",
    formula=r"U(-b, b),\ b = \sqrt{{6 / (n_{{in}} + n_{{out}})}}".format(),
    keras="GlorotUniform", jax="glorot_uniform", torch="xavier_uniform_", ref=_GLOROT,
    bound="np.sqrt(6 / (64 + 32))")
glorot_normal_ = _variance_scaling_alias(
    "glorot_normal_", 1.0, "fan_avg", "truncated_normal",
    title="Glorot (Xavier) truncated normal",
    formula=(_TRUNC + r"\sqrt{{2 / (n_{{in}} + n_{{out}})}} / 0.8796\ldots").format(),
    keras="GlorotNormal", jax="glorot_normal", torch="xavier_normal_ (not truncated)",
    ref=_GLOROT, bound="2 * np.sqrt(2 / (64 + 32)) / 0.87962566103423978")
he_uniform_ = _variance_scaling_alias(
    "he_uniform_", 2.0, "fan_in", "uniform", title="He (Kaiming) uniform",
    formula=r"U(-b, b),\ b = \sqrt{{6 / n_{{in}}}}".format(),
    keras="HeUniform", jax="he_uniform", torch="kaiming_uniform_ (layout (out, in, ...))",
    ref=_HE, bound="np.sqrt(6 / 64)")
he_normal_ = _variance_scaling_alias(
    "he_normal_", 2.0, "fan_in", "truncated_normal", title="He (Kaiming) truncated normal",
    formula=(_TRUNC + r"\sqrt{{2 / n_{{in}}}} / 0.8796\ldots").format(),
    keras="HeNormal", jax="he_normal",
    torch="kaiming_normal_ (not truncated; layout (out, in, ...))", ref=_HE,
    bound="2 * np.sqrt(2 / 64) / 0.87962566103423978")
lecun_uniform_ = _variance_scaling_alias(
    "lecun_uniform_", 1.0, "fan_in", "uniform", title="LeCun uniform",
    formula=r"U(-b, b),\ b = \sqrt{{3 / n_{{in}}}}".format(),
    keras="LecunUniform", jax="lecun_uniform", torch="kaiming_uniform_(a=sqrt(5)) is close",
    ref=_LECUN, bound="np.sqrt(3 / 64)")
lecun_normal_ = _variance_scaling_alias(
    "lecun_normal_", 1.0, "fan_in", "truncated_normal", title="LeCun truncated normal",
    formula=(_TRUNC + r"\sqrt{{1 / n_{{in}}}} / 0.8796\ldots").format(),
    keras="LecunNormal", jax="lecun_normal", torch="no direct counterpart", ref=_LECUN,
    bound="2 * np.sqrt(1 / 64) / 0.87962566103423978")


def compute_fans(shape, *, in_axis=-2, out_axis=-1):
    """Return ``(fan_in, fan_out)`` of a full weight shape, by the Keras/JAX rules.

    A scalar has fans ``(1, 1)``, a vector of ``n`` has ``(n, n)``; otherwise
    ``fan_in = shape[in_axis] * r`` and ``fan_out = shape[out_axis] * r``
    with ``r`` the product of every other axis (the receptive field).

    Parameters
    ----------
    shape : tuple of int
        The full logical shape (never a shard's).
    in_axis, out_axis : int, default -2, -1
        ``-2, -1`` for Keras/JAX ``(*receptive, in, out)``; ``1, 0`` for
        PyTorch ``(out, in, *receptive)``.

    Returns
    -------
    tuple of int
        ``(fan_in, fan_out)``.

    Raises
    ------
    TypeError
        If an axis is not an integer.
    ValueError
        If `shape` has a negative entry, or an axis is out of range or both
        name the same axis.

    Examples
    --------
    >>> import fastinit
    >>> fastinit.compute_fans((3, 3, 64, 128))
    (576, 1152)
    >>> fastinit.compute_fans((128, 64, 3, 3), in_axis=1, out_axis=0)
    (576, 1152)
    """
    shape = V.check_shape("shape", shape)
    V.check_axes(shape, in_axis, out_axis)
    return _fans.compute_fans(shape, in_axis, out_axis)


# Torch tensors (CPU, contiguous) are filled in place through a NumPy view of their memory.
for _name in __all__:
    if _name != "compute_fans":
        globals()[_name] = _tensors.accepts_tensors(globals()[_name])
del _name
