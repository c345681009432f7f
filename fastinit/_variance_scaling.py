"""variance_scaling_, its six named specializations, and compute_fans (Keras 3 / JAX).

The named initializers are plain functions calling ``variance_scaling_`` with
their (scale, mode, distribution); each writes its own summary and formula,
and ``named_doc`` appends the sections they share.
"""

from . import _docstrings
from ._docstrings import fill_doc, named_doc
from ._engine import checks, fans, fill, laws
from ._engine.tensors import accepts_tensors


@accepts_tensors
@fill_doc
def variance_scaling_(out, *, seed, stream=0, scale=1.0, mode="fan_in",
                      distribution="truncated_normal", in_axis=-2, out_axis=-1, fan_in=None,
                      fan_out=None, full_shape=None, origin=None, offset=None, n_threads=None,
                      backend="auto"):
    r"""Fill `out` in place with samples whose variance is ``scale / n``.

    ``n`` is ``fan_in``, ``fan_out``, their arithmetic mean (``"fan_avg"``)
    or their geometric mean (``"fan_geo_avg"``), from the full shape
    (Keras/JAX rules, see :func:`compute_fans`). Then

    - ``"truncated_normal"``: truncated to :math:`\pm 2\sigma`, with
      :math:`\sigma = \sqrt{\text{scale}/n} / 0.87962566103423978` so the
      variance after truncation is ``scale / n``;
    - ``"normal"`` / ``"untruncated_normal"``: :math:`\mathcal{N}(0, \text{scale}/n)`,
      not truncated (JAX's meaning of ``"normal"``; Keras 3 maps ``"normal"``
      to ``"truncated_normal"``);
    - ``"uniform"``: :math:`U(-b, b)`, :math:`b = \sqrt{3\,\text{scale}/n}`,
      half-open: ``-b <= x < b`` in every dtype.

    Parameters
    ----------
    out : array of float32, float64, float16 or bfloat16
        Buffer to overwrite; writable, C- or F-contiguous.
    %(seed)s
    scale : float, default 1.0
        Positive and finite.
    mode : {"fan_in", "fan_out", "fan_avg", "fan_geo_avg"}, default "fan_in"
        Any letter case, as in Keras.
    distribution : {"truncated_normal", "normal", "untruncated_normal", "uniform"}
        Default "truncated_normal". Any letter case. ``"normal"`` is the
        untruncated normal, as in JAX.
    in_axis, out_axis : int, default -2, -1
        Axes of the full shape holding the input and output sizes; ``1, 0``
        for PyTorch's ``(out, in, *receptive)`` layout.
    fan_in, fan_out : int, optional
        Positive integers overriding the fans inferred from the full shape.
    %(layout)s

    %(returns_raises)s

    Notes
    -----
    ``jax.nn.initializers.variance_scaling`` and Keras ``VarianceScaling``.
    Keras spells the untruncated normal ``"untruncated_normal"`` and JAX
    ``"normal"``; both mean it here. Keras 3 silently reads ``"normal"`` as
    ``"truncated_normal"``: pass ``"truncated_normal"`` to get what such a
    Keras configuration gives. ``"fan_geo_avg"`` is JAX's; Keras lacks it.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> w = np.empty((3, 3, 64, 128), np.float32)
    >>> fastinit.variance_scaling_(w, seed=0, scale=2.0, distribution="uniform") is w
    True
    >>> bool(np.abs(w).max() <= np.sqrt(3 * 2.0 / (9 * 64)))
    True
    """
    return fill.public(out, seed, stream, full_shape, origin, offset, n_threads, backend,
                       laws.scaled(scale, mode, distribution, in_axis, out_axis, fan_in, fan_out))


def _named(out, seed, stream, full_shape, origin, offset, n_threads, backend, scale, mode,
           distribution, in_axis, out_axis):
    """A named specialization: its constants need no check, only the axes do."""
    law = laws.Scaled(scale, mode, distribution,
                      checks.check_integer("in_axis", in_axis, "an integer"),
                      checks.check_integer("out_axis", out_axis, "an integer"), None, None)
    return fill.public(out, seed, stream, full_shape, origin, offset, n_threads, backend, law)


@accepts_tensors
@named_doc(keras="GlorotUniform", jax="glorot_uniform",
           torch="``torch.nn.init.xavier_uniform_``",
           ref=_docstrings.GLOROT, bound="np.sqrt(6 / (64 + 32))")
def glorot_uniform_(out, *, seed, stream=0, in_axis=-2, out_axis=-1,
                    full_shape=None, origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill `out` in place with Glorot (Xavier) uniform samples.

    .. math::

        x \sim U(-b, b),\ b = \sqrt{6 / (n_{in} + n_{out})}

    This is ``variance_scaling_(scale=1.0, mode="fan_avg", distribution="uniform")``.
    """
    return _named(out, seed, stream, full_shape, origin, offset, n_threads, backend, 1.0,
                  "fan_avg", "uniform", in_axis, out_axis)


@accepts_tensors
@named_doc(keras="GlorotNormal", jax="glorot_normal",
           torch="``torch.nn.init.xavier_normal_`` (not truncated)",
           ref=_docstrings.GLOROT, bound="2 * np.sqrt(2 / (64 + 32)) / 0.87962566103423978")
def glorot_normal_(out, *, seed, stream=0, in_axis=-2, out_axis=-1,
                   full_shape=None, origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill `out` in place with Glorot (Xavier) truncated normal samples.

    .. math::

        x \sim \mathcal{N}_{[-2\sigma, 2\sigma]}(0, \sigma^2),\qquad
        \sigma = \sqrt{2 / (n_{in} + n_{out})} / 0.8796\ldots

    This is ``variance_scaling_(scale=1.0, mode="fan_avg",
    distribution="truncated_normal")``.
    """
    return _named(out, seed, stream, full_shape, origin, offset, n_threads, backend, 1.0,
                  "fan_avg", "truncated_normal", in_axis, out_axis)


@accepts_tensors
@named_doc(keras="HeUniform", jax="he_uniform",
           torch="``torch.nn.init.kaiming_uniform_`` (layout ``(out, in, ...)``)",
           ref=_docstrings.HE, bound="np.sqrt(6 / 64)")
def he_uniform_(out, *, seed, stream=0, in_axis=-2, out_axis=-1,
                full_shape=None, origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill `out` in place with He (Kaiming) uniform samples.

    .. math::

        x \sim U(-b, b),\ b = \sqrt{6 / n_{in}}

    This is ``variance_scaling_(scale=2.0, mode="fan_in", distribution="uniform")``.
    """
    return _named(out, seed, stream, full_shape, origin, offset, n_threads, backend, 2.0,
                  "fan_in", "uniform", in_axis, out_axis)


@accepts_tensors
@named_doc(keras="HeNormal", jax="he_normal",
           torch=("``torch.nn.init.kaiming_normal_`` (not truncated; layout "
                  "``(out, in, ...)``)"),
           ref=_docstrings.HE, bound="2 * np.sqrt(2 / 64) / 0.87962566103423978")
def he_normal_(out, *, seed, stream=0, in_axis=-2, out_axis=-1,
               full_shape=None, origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill `out` in place with He (Kaiming) truncated normal samples.

    .. math::

        x \sim \mathcal{N}_{[-2\sigma, 2\sigma]}(0, \sigma^2),\qquad
        \sigma = \sqrt{2 / n_{in}} / 0.8796\ldots

    This is ``variance_scaling_(scale=2.0, mode="fan_in", distribution="truncated_normal")``.
    """
    return _named(out, seed, stream, full_shape, origin, offset, n_threads, backend, 2.0,
                  "fan_in", "truncated_normal", in_axis, out_axis)


@accepts_tensors
@named_doc(keras="LecunUniform", jax="lecun_uniform",
           torch=("``torch.nn.init.kaiming_uniform_(w, nonlinearity='linear')`` (layout "
                  "``(out, in, ...)``); its default ``a=sqrt(5)``, used by "
                  "``torch.nn.Linear``, gives a third of this variance"),
           ref=_docstrings.LECUN, bound="np.sqrt(3 / 64)")
def lecun_uniform_(out, *, seed, stream=0, in_axis=-2, out_axis=-1,
                   full_shape=None, origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill `out` in place with LeCun uniform samples.

    .. math::

        x \sim U(-b, b),\ b = \sqrt{3 / n_{in}}

    This is ``variance_scaling_(scale=1.0, mode="fan_in", distribution="uniform")``.
    """
    return _named(out, seed, stream, full_shape, origin, offset, n_threads, backend, 1.0,
                  "fan_in", "uniform", in_axis, out_axis)


@accepts_tensors
@named_doc(keras="LecunNormal", jax="lecun_normal",
           torch="no direct counterpart",
           ref=_docstrings.LECUN, bound="2 * np.sqrt(1 / 64) / 0.87962566103423978")
def lecun_normal_(out, *, seed, stream=0, in_axis=-2, out_axis=-1,
                  full_shape=None, origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill `out` in place with LeCun truncated normal samples.

    .. math::

        x \sim \mathcal{N}_{[-2\sigma, 2\sigma]}(0, \sigma^2),\qquad
        \sigma = \sqrt{1 / n_{in}} / 0.8796\ldots

    This is ``variance_scaling_(scale=1.0, mode="fan_in", distribution="truncated_normal")``.
    """
    return _named(out, seed, stream, full_shape, origin, offset, n_threads, backend, 1.0,
                  "fan_in", "truncated_normal", in_axis, out_axis)


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
    shape = checks.check_shape("shape", shape)
    checks.check_axes(shape, in_axis, out_axis)
    return fans.compute_fans(shape, in_axis, out_axis)
