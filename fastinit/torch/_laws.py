"""The laws of torch.nn.init's random initializers: checked once per arguments, kept.

``uniform_law(a, b)``, ``normal_law(mean, std)``, ``trunc_normal_law(mean,
std, a, b)``, ``xavier_law(kind, full, gain)`` and ``kaiming_law(kind, full,
a, mode, nonlinearity)`` turn torch's arguments (and, for the fan-scaled ones,
the full shape) into a checked ``fastinit._engine.laws`` value, with torch's
formulas, gains, fans and errors; a law is computed once per distinct
arguments. ``calculate_gain`` and the fans are torch's.
"""

import functools
import math

from .._engine import checks, framework_checks, laws
from . import _tensors

_SQRT3 = math.sqrt(3.0)


def _cached(func):
    """``func`` with its checked laws kept per arguments (numbers, names, shapes)."""
    cached = functools.lru_cache(maxsize=2048, typed=True)(func)

    @functools.wraps(func)
    def law(*args):
        args = tuple(_tensors.number(a) for a in args)
        if any(type(a) is float and a == 0.0 and math.copysign(1.0, a) < 0 for a in args):
            return func(*args)  # -0.0 == 0.0 as a key, yet it writes other bits
        try:
            return cached(*args)
        except TypeError as error:
            if "unhashable" not in str(error):
                raise
            return func(*args)

    return law


@_cached
def uniform_law(a, b):
    """torch's ``uniform_(a, b)``: finite bounds, ``a <= b``."""
    return laws.uniform(a, b, names=("a", "b"))


@_cached
def normal_law(mean, std):
    """torch's ``normal_(mean, std)``: a finite mean and ``std >= 0``."""
    return laws.normal(mean, std, names=("mean", "std"))


@_cached
def trunc_normal_law(mean, std, a, b):
    """torch's ``trunc_normal_``: absolute bounds ``a <= b`` (infinite allowed), ``std > 0``.

    ``a == b`` is the point ``a`` (torch fills it).
    """
    mean = checks.check_real("mean", mean)
    a = checks.check_real("a", a, infinite=True)
    b = checks.check_real("b", b, infinite=True)
    checks.check_less("a", a, "b", b, strict=False)
    if a == b:
        return laws.uniform(a, b, names=("a", "b"))
    if std == 0 and not isinstance(std, bool):
        raise framework_checks.ValueZeroDivisionError(framework_checks.TORCH_TRUNC_STD.format(std))
    std = checks.check_real("std", std, positive=True)
    lower, upper = (a - mean) / std, (b - mean) / std
    if not (math.isfinite(a) and math.isfinite(b)) and _mass(lower, upper) <= 0.3:
        # torch samples such an interval uniformly, and rejects an infinite bound there
        raise ValueError(framework_checks.TORCH_TRUNC_INFINITE.format(a, b))
    return laws.truncated(mean, std, lower, upper)


def _mass(lower, upper):
    """The standard normal's probability of ``[lower, upper]``, as torch computes it."""
    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    return cdf(upper) - cdf(lower)


@_cached
def xavier_law(kind, full, gain):
    """torch's ``xavier_{kind}_`` for a full shape: std ``gain * sqrt(2 / (fan_in + fan_out))``."""
    gain = checks.check_real("gain", gain, nonnegative=True)
    fan_in, fan_out = calculate_fan_in_and_fan_out(full)
    if fan_in + fan_out == 0:
        raise ZeroDivisionError(framework_checks.TORCH_XAVIER_EMPTY)
    return _scaled(kind, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


@_cached
def kaiming_law(kind, full, a, mode, nonlinearity):
    """torch's ``kaiming_{kind}_`` for a full shape; None for a zero-element tensor."""
    if 0 in full:  # torch returns a zero-element tensor untouched (with a warning)
        return None
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(framework_checks.TORCH_MODE.format(mode, ["fan_in", "fan_out"]))
    fan_in, fan_out = calculate_fan_in_and_fan_out(full)
    gain = calculate_gain(nonlinearity, a)
    return _scaled(kind, gain / math.sqrt(fan_in if mode == "fan_in" else fan_out))


def _scaled(kind, std):
    """U(-sqrt(3) std, sqrt(3) std) or N(0, std**2)."""
    if kind == "uniform":
        bound = _SQRT3 * std
        return laws.uniform(-bound, bound, names=("-bound", "bound"))
    return laws.normal(0.0, std, names=("mean", "std"))


def calculate_fan_in_and_fan_out(shape):
    """torch's ``_calculate_fan_in_and_fan_out`` on a full shape ``(out, in, *receptive)``."""
    if len(shape) < 2:
        raise ValueError(framework_checks.TORCH_FAN_NDIM)
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
            raise ValueError(framework_checks.TORCH_SLOPE.format(param))
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(framework_checks.TORCH_NONLINEARITY.format(nonlinearity))
