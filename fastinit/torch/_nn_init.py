"""torch.nn.init's random initializers on fastinit's engine (re-exported by fastinit.torch).

Same names, positional parameters, defaults, gains, fans (``(out, in,
*receptive)``) and errors as ``torch.nn.init`` in torch 2.13; the values come
from the randomness contract instead of torch's generator. torch is not
imported here: the functions take NumPy arrays as well as tensors.
"""

import math

from .._docstrings import fill_doc
from .._engine import checks, fill, laws, request
from .._engine.tensors import accepts_tensors

# The seed and call counter of the innermost fastinit.torch.patched() block.
ACTIVE = []

_SQRT3 = math.sqrt(3.0)

TORCH_KW = """seed : int, optional
        Root of the random stream, ``0 <= seed < 2**64``. May be omitted only
        inside ``fastinit.torch.patched(seed=...)``, which supplies it.
    stream : int or str, optional
        Sub-stream, one per tensor (``init_module`` uses the parameter's fully
        qualified name); default 0, or the call number inside ``patched``.
    %(layout)s"""


RETURNS = """Returns
    -------
    tensor
        The object passed in, now filled."""


def torch_doc(func):
    func.__doc__ = func.__doc__.replace("%(torch)s", TORCH_KW).replace("%(returns)s", RETURNS)
    return fill_doc(func)


def seed_stream(seed, stream):
    """The seed and stream to use: given, or from the active ``patched`` block."""
    checks.check_seed_or_context(seed, ACTIVE)
    if seed is not None:
        return seed, 0 if stream is None else stream
    context = ACTIVE[-1]
    call = context.next_call()
    return context.seed, call if stream is None else stream


def parse(tensor, seed, stream, full_shape, origin, offset, n_threads, backend):
    """The checked request of a drop-in's fill (seed and stream from ``patched`` if omitted)."""
    return request.parse(tensor, request.keys(*seed_stream(seed, stream)), full_shape, origin,
                         offset, n_threads, backend)


def calculate_fan_in_and_fan_out(shape):
    """torch's ``_calculate_fan_in_and_fan_out`` on a full shape ``(out, in, *receptive)``."""
    if len(shape) < 2:
        raise ValueError(checks.TORCH_FAN_NDIM)
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity, param=None):
    r"""Return the recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    ======================  =====================================================
    nonlinearity            gain
    ======================  =====================================================
    linear, conv*, sigmoid  1
    tanh                    5/3
    relu                    :math:`\sqrt{2}`
    leaky_relu              :math:`\sqrt{2 / (1 + \text{negative\_slope}^2)}`
    selu                    3/4
    ======================  =====================================================

    Parameters
    ----------
    nonlinearity : str
        A ``torch.nn.functional`` name.
    param : int or float, optional
        The negative slope of ``leaky_relu`` (default 0.01).

    Returns
    -------
    float
        The gain (the int 1 for the linear functions, as torch returns).

    Raises
    ------
    ValueError
        ``"Unsupported nonlinearity ..."`` or ``"negative_slope ... not a valid
        number"``, torch's messages.

    Examples
    --------
    >>> from fastinit.torch import calculate_gain
    >>> calculate_gain("tanh")
    1.6666666666666667
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            negative_slope = param
        else:
            raise ValueError(checks.TORCH_SLOPE.format(param))
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(checks.TORCH_NONLINEARITY.format(nonlinearity))


@torch_doc
def uniform_(tensor, a=0.0, b=1.0, *, seed=None, stream=None, full_shape=None, origin=None,
             offset=None, n_threads=None, backend="auto"):
    r"""Fill `tensor` in place with :math:`\mathcal{U}(a, b)` samples (``torch.nn.init.uniform_``).

    Parameters
    ----------
    tensor : torch.Tensor or array of float32, float64, float16 or bfloat16
        Buffer to overwrite (a DTensor fills its local shard).
    a, b : float, default 0.0, 1.0
        Bounds, ``a <= b``.
    %(torch)s

    %(returns)s

    Raises
    ------
    %(raises)s

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> w = fit.uniform_(np.empty(1000, np.float32), -1.0, 1.0, seed=0)
    >>> bool(w.min() >= -1 and w.max() <= 1)
    True
    """
    law = laws.uniform(a, b, names=("a", "b"))
    return fill.run(parse(tensor, seed, stream, full_shape, origin, offset, n_threads, backend),
                    law)


@torch_doc
def normal_(tensor, mean=0.0, std=1.0, *, seed=None, stream=None, full_shape=None, origin=None,
            offset=None, n_threads=None, backend="auto"):
    r"""Fill `tensor` in place with :math:`\mathcal{N}(\text{mean}, \text{std}^2)` samples.

    ``torch.nn.init.normal_``; Box--Muller on the contract's words.

    Parameters
    ----------
    tensor : torch.Tensor or array of float32, float64, float16 or bfloat16
        Buffer to overwrite (a DTensor fills its local shard).
    mean : float, default 0.0
    std : float, default 1.0
        Finite, ``>= 0``.
    %(torch)s

    %(returns)s

    Raises
    ------
    %(raises)s

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> w = fit.normal_(np.empty(100_000, np.float32), 0.0, 2.0, seed=0)
    >>> bool(abs(w.std() - 2.0) < 0.05)
    True
    """
    law = laws.normal(mean, std, names=("mean", "std"))
    return fill.run(parse(tensor, seed, stream, full_shape, origin, offset, n_threads, backend),
                    law)


@torch_doc
def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, *, seed=None, stream=None,
                  full_shape=None, origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill `tensor` in place with a normal truncated to the absolute bounds ``[a, b]``.

    ``torch.nn.init.trunc_normal_``: :math:`\mathcal{N}(\text{mean},
    \text{std}^2)` conditioned on ``a <= x <= b``, sampled as
    ``fastinit.truncated_normal_`` with ``lower = (a - mean) / std`` and
    ``upper = (b - mean) / std`` (the default ``std=1.0``, ``[-2, 2]`` by
    rejection; ``std=0.02`` makes ``[-100, 100]``, where the values are the
    normal fill's).

    Parameters
    ----------
    tensor : torch.Tensor or array of float32, float64, float16 or bfloat16
        Buffer to overwrite (a DTensor fills its local shard).
    mean : float, default 0.0
    std : float, default 1.0
        Finite, ``> 0``.
    a, b : float, default -2.0, 2.0
        Absolute bounds, ``a < b`` (not in units of `std`: torch's convention).
    %(torch)s

    %(returns)s

    Raises
    ------
    %(raises)s

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> w = fit.trunc_normal_(np.empty(10_000, np.float32), std=0.02, a=-0.04, b=0.04, seed=0)
    >>> bool(w.min() >= -0.04 and w.max() <= 0.04)
    True
    """
    std = checks.check_real("std", std, positive=True)
    mean, a, b = (checks.check_real(n, v) for n, v in (("mean", mean), ("a", a), ("b", b)))
    law = laws.truncated(mean, std, (a - mean) / std, (b - mean) / std)
    return fill.run(parse(tensor, seed, stream, full_shape, origin, offset, n_threads, backend),
                    law)


def _scaled(req, kind, std):
    """Fill with std ``std``: U(-sqrt(3) std, sqrt(3) std) or N(0, std**2)."""
    if kind == "uniform":
        bound = _SQRT3 * std
        return fill.run(req, laws.uniform(-bound, bound, names=("-bound", "bound")))
    return fill.run(req, laws.normal(0.0, std, names=("mean", "std")))


def _xavier(kind, req, gain):
    fan_in, fan_out = calculate_fan_in_and_fan_out(req.full)
    if fan_in + fan_out == 0:
        raise ZeroDivisionError(checks.TORCH_XAVIER_EMPTY)
    return _scaled(req, kind, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def _kaiming(kind, req, a, mode, nonlinearity):
    if 0 in req.full:  # torch returns a zero-element tensor untouched (with a warning)
        return req.out
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(checks.TORCH_MODE.format(mode, ["fan_in", "fan_out"]))
    fan_in, fan_out = calculate_fan_in_and_fan_out(req.full)
    gain = calculate_gain(nonlinearity, a)
    return _scaled(req, kind, gain / math.sqrt(fan_in if mode == "fan_in" else fan_out))


_VARIANCE_DOC = r"""Fill `tensor` in place as ``torch.nn.init.{name}`` does.

    {formula}

    Fans follow torch's ``(out, in, *receptive)`` layout of the full shape:
    ``fan_in = shape[1] * r``, ``fan_out = shape[0] * r``, ``r`` the product
    of the trailing axes. {note}

    Parameters
    ----------
    tensor : torch.Tensor or array of float32, float64, float16 or bfloat16
        At least 2-D (full shape). A DTensor fills its local shard.
{params}
    %(torch)s

    %(returns)s

    Raises
    ------
    ValueError
        torch's messages for fewer than 2 dimensions{extra_raises}; else as
        the engine: type, range and layout errors before any write.

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> w = fit.{name}(np.empty((256, 128), np.float32), seed=0, stream="fc.weight")
    >>> bool(np.abs(w).max() < 1)
    True
    """


def _xavier_params():
    return ("    gain : float, default 1.0\n"
            "        Multiplier of the standard deviation.")


def _kaiming_params():
    return ("    a : float, default 0\n"
            "        Negative slope of the rectifier (``leaky_relu``).\n"
            '    mode : {"fan_in", "fan_out"}, default "fan_in"\n'
            '    nonlinearity : str, default "leaky_relu"\n'
            "        A name :func:`calculate_gain` knows.")


def xavier_uniform_(tensor, gain=1.0, *, seed=None, stream=None, full_shape=None, origin=None,
                    offset=None, n_threads=None, backend="auto"):
    req = parse(tensor, seed, stream, full_shape, origin, offset, n_threads, backend)
    return _xavier("uniform", req, gain)


def xavier_normal_(tensor, gain=1.0, *, seed=None, stream=None, full_shape=None, origin=None,
                   offset=None, n_threads=None, backend="auto"):
    req = parse(tensor, seed, stream, full_shape, origin, offset, n_threads, backend)
    return _xavier("normal", req, gain)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", *, seed=None,
                     stream=None, full_shape=None, origin=None, offset=None, n_threads=None,
                     backend="auto"):
    req = parse(tensor, seed, stream, full_shape, origin, offset, n_threads, backend)
    return _kaiming("uniform", req, a, mode, nonlinearity)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", *, seed=None,
                    stream=None, full_shape=None, origin=None, offset=None, n_threads=None,
                    backend="auto"):
    req = parse(tensor, seed, stream, full_shape, origin, offset, n_threads, backend)
    return _kaiming("normal", req, a, mode, nonlinearity)


for _func, _formula, _note, _params, _raises in (
    (xavier_uniform_, r":math:`\mathcal{U}(-b, b)`, :math:`b = \text{gain}\sqrt{3}"
     r"\sqrt{2 / (\text{fan\_in} + \text{fan\_out})}`.", "Keras/JAX: ``glorot_uniform_``.",
     _xavier_params(), ""),
    (xavier_normal_, r":math:`\mathcal{N}(0, \sigma^2)`, :math:`\sigma = \text{gain}"
     r"\sqrt{2 / (\text{fan\_in} + \text{fan\_out})}`, not truncated.",
     "Keras/JAX ``glorot_normal_`` is truncated at 2 sigma instead.", _xavier_params(), ""),
    (kaiming_uniform_, r":math:`\mathcal{U}(-b, b)`, :math:`b = \text{gain}\sqrt{3 / "
     r"\text{fan\_mode}}`, gain from :func:`calculate_gain(nonlinearity, a)`.",
     "Keras/JAX: ``he_uniform_`` (gain sqrt(2)).", _kaiming_params(), ", modes, nonlinearities"),
    (kaiming_normal_, r":math:`\mathcal{N}(0, \sigma^2)`, :math:`\sigma = \text{gain} / "
     r"\sqrt{\text{fan\_mode}}`, not truncated.",
     "Keras/JAX ``he_normal_`` is truncated at 2 sigma instead.", _kaiming_params(),
     ", modes, nonlinearities"),
):
    _func.__doc__ = _VARIANCE_DOC.format(name=_func.__name__, formula=_formula, note=_note,
                                         params=_params, extra_raises=_raises)
    torch_doc(_func)
del _func, _formula, _note, _params, _raises

uniform_ = accepts_tensors(uniform_)
normal_ = accepts_tensors(normal_)
trunc_normal_ = accepts_tensors(trunc_normal_)
xavier_uniform_ = accepts_tensors(xavier_uniform_)
xavier_normal_ = accepts_tensors(xavier_normal_)
kaiming_uniform_ = accepts_tensors(kaiming_uniform_)
kaiming_normal_ = accepts_tensors(kaiming_normal_)
