"""torch.nn.init's random initializers on fastinit's engine (re-exported by fastinit.torch).

Same names, positional parameters, defaults, gains, fans (``(out, in,
*receptive)``) and errors as ``torch.nn.init`` in torch 2.13; the values come
from the randomness contract instead of torch's generator. torch is not
imported here: the functions take NumPy arrays as well as tensors.
"""

import numpy as np

from .. import _fillers
from .._docstrings import fill_doc
from .._engine import checks, fill, framework_checks, request
from . import _laws, _state, _tensors
from ._laws import calculate_gain as calculate_gain

GENERATOR = """generator : torch.Generator, optional
        Accepted for compatibility and unused: values come from `seed` and
        `stream`, never from a torch generator.
    """

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

TORCH_RAISES = """ValueError
        For a value torch rejects (also an instance of ``RuntimeError``, which
        torch raises for it), or a value that would write an infinity or NaN;
        the engine's range and layout errors. Nothing is written then.
    TypeError
        For a tensor of another dtype (also a ``NotImplementedError``, as
        torch's) or an argument of the wrong type."""


def torch_doc(func):
    func.__doc__ = (func.__doc__.replace("%(torch)s", TORCH_KW).replace("%(returns)s", RETURNS)
                    .replace("%(torch_raises)s", TORCH_RAISES)
                    .replace("%(generator)s", GENERATOR))
    return fill_doc(func)


def seed_stream(seed, stream):
    """The seed and stream to use: given, or from this thread's ``patched`` block."""
    if seed is not None:
        return seed, 0 if stream is None else stream
    calls = _state.current_calls()
    framework_checks.check_seed_or_context(seed, calls is not None)
    call = calls.next_call()
    return calls.seed, call if stream is None else stream


def _fill(tensor, law, seed, stream, full_shape, origin, offset, n_threads, backend):
    req = parse(tensor, seed, stream, full_shape, origin, offset, n_threads, backend)
    return req.out if law is None else fill.run(req, law)


def _full(tensor, full_shape):
    return tuple(tensor.shape) if full_shape is None else checks.check_shape("full_shape",
                                                                            full_shape)


def parse(tensor, seed, stream, full_shape, origin, offset, n_threads, backend):
    """The checked request of a drop-in's fill (seed and stream from ``patched`` if omitted)."""
    return request.parse(tensor, request.keys(*seed_stream(seed, stream)), full_shape, origin,
                         offset, n_threads, backend)


@torch_doc
def uniform_(tensor, a=0.0, b=1.0, generator=None, *, seed=None, stream=None, full_shape=None,
             origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill `tensor` in place with :math:`\mathcal{U}(a, b)` samples (``torch.nn.init.uniform_``).

    Parameters
    ----------
    tensor : torch.Tensor or array of float32, float64, float16 or bfloat16
        Buffer to overwrite (a DTensor fills its local shard).
    a, b : float, default 0.0, 1.0
        Bounds, ``a <= b``.
    %(generator)s%(torch)s

    %(returns)s

    Raises
    ------
    %(torch_raises)s

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> w = fit.uniform_(np.empty(1000, np.float32), -1.0, 1.0, seed=0)
    >>> bool(w.min() >= -1 and w.max() <= 1)
    True
    """
    return _fill(tensor, _laws.uniform_law(a, b), seed, stream, full_shape, origin, offset,
                 n_threads, backend)


@torch_doc
def normal_(tensor, mean=0.0, std=1.0, generator=None, *, seed=None, stream=None,
            full_shape=None, origin=None, offset=None, n_threads=None, backend="auto"):
    r"""Fill `tensor` in place with :math:`\mathcal{N}(\text{mean}, \text{std}^2)` samples.

    ``torch.nn.init.normal_``; Box--Muller on the contract's words.

    Parameters
    ----------
    tensor : torch.Tensor or array of float32, float64, float16 or bfloat16
        Buffer to overwrite (a DTensor fills its local shard).
    mean : float, default 0.0
    std : float, default 1.0
        Finite, ``>= 0``.
    %(generator)s%(torch)s

    %(returns)s

    Raises
    ------
    %(torch_raises)s

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> w = fit.normal_(np.empty(100_000, np.float32), 0.0, 2.0, seed=0)
    >>> bool(abs(w.std() - 2.0) < 0.05)
    True
    """
    return _fill(tensor, _laws.normal_law(mean, std), seed, stream, full_shape, origin, offset,
                 n_threads, backend)


@torch_doc
def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None, *, seed=None,
                  stream=None, full_shape=None, origin=None, offset=None, n_threads=None,
                  backend="auto"):
    r"""Fill `tensor` in place with a normal truncated to the absolute bounds ``[a, b]``.

    ``torch.nn.init.trunc_normal_``: :math:`\mathcal{N}(\text{mean},
    \text{std}^2)` conditioned on ``a <= x <= b``, sampled as
    ``fastinit.truncated_normal_`` with ``lower = (a - mean) / std`` and
    ``upper = (b - mean) / std``; either bound may be infinite, and ``a ==
    b`` fills ``a``, as torch does (the default ``std=1.0``, ``[-2, 2]``
    by rejection; ``std=0.02`` makes ``[-100, 100]``, where the values are
    the normal fill's).

    Parameters
    ----------
    tensor : torch.Tensor or array of float32, float64, float16 or bfloat16
        Buffer to overwrite (a DTensor fills its local shard).
    mean : float, default 0.0
    std : float, default 1.0
        Finite, ``> 0``.
    a, b : float, default -2.0, 2.0
        Absolute bounds, ``a <= b``, infinite allowed (not in units of `std`:
        torch's convention).
    %(generator)s%(torch)s

    %(returns)s

    Raises
    ------
    %(torch_raises)s

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> w = fit.trunc_normal_(np.empty(10_000, np.float32), std=0.02, a=-0.04, b=0.04, seed=0)
    >>> bool(w.min() >= -0.04 and w.max() <= 0.04)
    True
    """
    return _fill(tensor, _laws.trunc_normal_law(mean, std, a, b), seed, stream, full_shape, origin,
                 offset, n_threads, backend)


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
    %(generator)s%(torch)s

    %(returns)s

    Raises
    ------
    ValueError
        torch's messages for fewer than 2 dimensions{extra_raises}; for a
        value torch rejects (also a ``RuntimeError``, as torch's), or one
        that would write an infinity; else as the engine: range and layout
        errors before any write.
    TypeError
        For a tensor of another dtype (also a ``NotImplementedError``).

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


def xavier_uniform_(tensor, gain=1.0, generator=None, *, seed=None, stream=None,
                    full_shape=None, origin=None, offset=None, n_threads=None, backend="auto"):
    law = _laws.xavier_law("uniform", _full(tensor, full_shape), gain)
    return _fill(tensor, law, seed, stream, full_shape, origin, offset, n_threads, backend)


def xavier_normal_(tensor, gain=1.0, generator=None, *, seed=None, stream=None,
                   full_shape=None, origin=None, offset=None, n_threads=None, backend="auto"):
    law = _laws.xavier_law("normal", _full(tensor, full_shape), gain)
    return _fill(tensor, law, seed, stream, full_shape, origin, offset, n_threads, backend)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None, *,
                     seed=None, stream=None, full_shape=None, origin=None, offset=None,
                     n_threads=None, backend="auto"):
    law = _laws.kaiming_law("uniform", _full(tensor, full_shape), a, mode, nonlinearity)
    return _fill(tensor, law, seed, stream, full_shape, origin, offset, n_threads, backend)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None, *,
                    seed=None, stream=None, full_shape=None, origin=None, offset=None,
                    n_threads=None, backend="auto"):
    law = _laws.kaiming_law("normal", _full(tensor, full_shape), a, mode, nonlinearity)
    return _fill(tensor, law, seed, stream, full_shape, origin, offset, n_threads, backend)


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


@torch_doc
def embedding_normal_(tensor, mean=0.0, std=1.0, padding_idx=None, *, seed=None, stream=None,
                      full_shape=None, origin=None, offset=None, n_threads=None,
                      backend="auto"):
    r"""Fill an embedding table as ``nn.Embedding.reset_parameters`` does.

    :func:`normal_` (:math:`\mathcal{N}(\text{mean}, \text{std}^2)`), then row
    `padding_idx` set to zero; a block of the table zeroes its part of that row.

    Parameters
    ----------
    tensor : torch.Tensor or array of float32, float64, float16 or bfloat16
        2-D table ``(num_embeddings, dim)`` (full shape).
    mean : float, default 0.0
    std : float, default 1.0
    padding_idx : int, optional
        Row to zero (negative counts from the end), or None.
    %(torch)s

    %(returns)s

    Raises
    ------
    %(raises)s

    Examples
    --------
    >>> import numpy as np, fastinit.torch as fit
    >>> w = fit.embedding_normal_(np.empty((5, 3), np.float32), padding_idx=0, seed=0)
    >>> w[0].tolist()
    [0.0, 0.0, 0.0]
    """
    law = _laws.normal_law(mean, std)
    full = _full(tensor, full_shape)
    row = None
    if padding_idx is not None and len(full) > 0 and full[0] > 0:  # checked before any write
        row = checks.check_integer("padding_idx", padding_idx, "an integer or None") % full[0]
    _fill(tensor, law, seed, stream, full_shape, origin, offset, n_threads, backend)
    if row is None or tensor.size == 0:
        return tensor
    if offset is not None:
        lo = max(row * full[1], offset)
        hi = min((row + 1) * full[1], offset + tensor.size)
        local = np.arange(lo - offset, max(lo, hi) - offset)
        tensor[np.unravel_index(local, tensor.shape)] = 0
    elif (r0 := (origin or (0, 0))[0]) <= row < r0 + tensor.shape[0]:
        tensor[row - r0] = 0
    return tensor


uniform_ = _tensors.drop_in(uniform_)
normal_ = _tensors.drop_in(normal_)
trunc_normal_ = _tensors.drop_in(trunc_normal_)
xavier_uniform_ = _tensors.drop_in(xavier_uniform_)
xavier_normal_ = _tensors.drop_in(xavier_normal_)
kaiming_uniform_ = _tensors.drop_in(kaiming_uniform_)
kaiming_normal_ = _tensors.drop_in(kaiming_normal_)
embedding_normal_ = _tensors.drop_in(embedding_normal_)

# Each random drop-in's filler from its own arguments (same names and defaults: compared
# in tests/test_fillers.py) and the full shape, so a checkpoint builds a tensor's law once
# and fills it piece by piece without another parse.
_fillers.SHAPED.update({
    uniform_: lambda full, a=0.0, b=1.0, generator=None: _fillers.law_filler(
        _laws.uniform_law(a, b)),
    normal_: lambda full, mean=0.0, std=1.0, generator=None: _fillers.law_filler(
        _laws.normal_law(mean, std)),
    trunc_normal_: lambda full, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None: (
        _fillers.law_filler(_laws.trunc_normal_law(mean, std, a, b))),
    xavier_uniform_: lambda full, gain=1.0, generator=None: _fillers.law_filler(
        _laws.xavier_law("uniform", full, gain)),
    xavier_normal_: lambda full, gain=1.0, generator=None: _fillers.law_filler(
        _laws.xavier_law("normal", full, gain)),
    kaiming_uniform_: (
        lambda full, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None:
        _fillers.law_filler(_laws.kaiming_law("uniform", full, a, mode, nonlinearity))),
    kaiming_normal_: (
        lambda full, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None:
        _fillers.law_filler(_laws.kaiming_law("normal", full, a, mode, nonlinearity))),
})
