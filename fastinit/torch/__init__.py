"""PyTorch: torch.nn.init's functions on fastinit's engine, whole modules, patching.

- Drop-ins with ``torch.nn.init``'s names, positional parameters, gains, fans
  (``(out, in, *receptive)``) and errors, plus the library's keyword-only
  ``seed``, ``stream``, ``full_shape``, ``origin``/``offset``, ``n_threads``
  and ``backend``. They fill CPU tensors (and DTensor shards) in place, and
  NumPy arrays.
- :func:`plan_module` lists what a whole module needs (one :class:`ParamInit`
  per parameter and persistent buffer, each with its own stream named after
  its fully qualified name); :func:`init_module` applies it in place.
- :func:`patched` replaces ``torch.nn.init``'s functions while model code runs.

Importing this module imports torch; ``import fastinit`` does not.
"""

import contextlib
import functools
import inspect
import itertools
import sys
from collections.abc import Callable
from typing import NamedTuple

import torch as _torch_module

from .._engine import backends, checks
from .._engine.tensors import is_dtensor, local_shard
from . import _nn_init, _rules
from ._nn_init import (
    calculate_gain,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    trunc_normal_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
)
from ._structured import (
    NUMBERS,
    constant_,
    dirac_,
    embedding_normal_,
    eye_,
    ones_,
    orthogonal_,
    sparse_,
    zeros_,
)

__all__ = [
    "ParamInit", "calculate_gain", "constant_", "dirac_", "embedding_normal_", "eye_",
    "init_module", "kaiming_normal_", "kaiming_uniform_", "normal_", "ones_", "orthogonal_",
    "patched", "plan_module", "sparse_", "trunc_normal_", "uniform_", "xavier_normal_",
    "xavier_uniform_", "zeros_",
]

ON_UNKNOWN = ("raise", "reset_parameters")
# These need the whole tensor at once (a block is cut from the full result).
WHOLE_TENSOR = (orthogonal_, eye_, dirac_, sparse_)
# torch.nn.init's functions that patched() replaces, by name.
PATCHED = ("uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
           "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "sparse_")


class ParamInit(NamedTuple):
    """One tensor of a module and how to fill it.

    ``fn(buffer, **kwargs)`` fills a buffer of the full ``shape``; when
    ``piecewise`` is True, ``fn(part, **kwargs, full_shape=shape,
    offset=k)`` (or ``origin=...``) fills any part alone, with the same bits.
    """

    name: str
    shape: tuple
    fn: Callable
    kwargs: dict
    piecewise: bool


@functools.cache
def _parameters(fn):
    return frozenset(inspect.signature(fn).parameters)


def _takes(fn, name):
    return name in _parameters(fn)


def _resolve_rules(rules):
    chain = list(rules) if isinstance(rules, (list, tuple)) else [rules]
    for rule in chain:
        checks.check_rule(rule, _rules.RULE_SETS)
    return chain


def _entry(name, tensor, rule, seed):
    fn, kwargs = rule
    kwargs = dict(kwargs)
    if _takes(fn, "seed"):
        kwargs.setdefault("seed", seed)
        kwargs.setdefault("stream", name)
    piecewise = _takes(fn, "full_shape") and fn not in WHOLE_TENSOR
    return ParamInit(name, tuple(tensor.shape), fn, kwargs, piecewise)


def _plan(module, seed, rules, on_unknown):
    """(plan, tensors, modules left to their own reset_parameters)."""
    seed = checks.check_uint64("seed", seed)
    checks.check_choice("on_unknown", on_unknown, ON_UNKNOWN)
    chain = _resolve_rules(rules)
    tables = _rules.module_tables(module, [r for r in chain if isinstance(r, str)])
    plan, tensors, unknown = [], [], {}
    for name, owner, tensor in _rules.named_tensors(module):
        rule = None
        for r in chain:
            rule = r(name, owner, tensor) if callable(r) else tables[r].get(name)
            if rule is not None:
                break
        if rule is None:
            if on_unknown == "raise":
                checks.check_rules_cover(name, owner, rules)
            unknown[id(owner)] = (name, owner)
            continue
        plan.append(_entry(name, tensor, rule, seed))
        tensors.append(tensor)
    return plan, tensors, list(unknown.values())


def plan_module(module, *, seed, rules="torch", on_unknown="raise"):
    """List how every parameter and persistent buffer of `module` is initialized.

    Parameters
    ----------
    module : torch.nn.Module
        Any module tree (on any device, including meta: only shapes are read).
    seed : int
        Root of every stream, ``0 <= seed < 2**64``.
    rules : {"torch", "hf"}, callable or sequence of them, default "torch"
        ``"torch"``: what each module's ``reset_parameters`` does;
        ``"hf"``: what the transformers model's own ``_init_weights`` does
        (recorded on the module, override included; base rules otherwise);
        a callable ``rule(name, module, tensor) -> (fn, kwargs) | None``.
        In a sequence, the first rule that answers wins.
    on_unknown : {"raise", "reset_parameters"}, default "raise"
        A tensor no rule covers raises a ValueError naming it, or is left out
        of the plan (``init_module`` then calls its module's
        ``reset_parameters``).

    Returns
    -------
    list of ParamInit
        In ``named_modules`` order; ``kwargs`` hold ``seed`` and
        ``stream=name`` for random initializers.

    Raises
    ------
    ValueError
        If a tensor has no rule (with ``on_unknown="raise"``), or `rules` or
        `on_unknown` is not recognised.

    Examples
    --------
    >>> import torch, fastinit.torch as fit
    >>> [(p.name, p.fn.__name__) for p in fit.plan_module(torch.nn.Linear(4, 2), seed=0)]
    [('weight', 'kaiming_uniform_'), ('bias', 'uniform_')]
    """
    return _plan(module, seed, rules, on_unknown)[0]


def _apply(entry, tensor, n_threads, backend):
    kwargs = dict(entry.kwargs)
    for key, value in (("n_threads", n_threads), ("backend", backend)):
        if _takes(entry.fn, key):
            kwargs.setdefault(key, value)
    with _torch_module.no_grad():
        entry.fn(tensor, **kwargs)


def _check_fillable(plan, tensors, n_threads, backend):
    """Every tensor can be filled in place: raise before the first write, not halfway."""
    checks.check_n_threads(n_threads)
    checks.check_choice("backend", backend, backends.BACKENDS)
    for entry, tensor in zip(plan, tensors, strict=True):
        local = local_shard(tensor)[0] if is_dtensor(tensor) else tensor
        numbers = entry.fn in (constant_, ones_, zeros_, dirac_)
        checks.check_tensor(local, _torch_module, NUMBERS if numbers else checks.TORCH_DTYPES)


def _apply_all(plan, tensors, n_threads, backend):
    """Fill every tensor through the one parallel driver, which sizes each fill's threads."""
    for entry, tensor in zip(plan, tensors, strict=True):
        _apply(entry, tensor, n_threads, backend)


def _hf_non_persistent(module):
    """transformers' rotary buffers are not in state_dict: recompute them its own way."""
    owner = next((m for m in module.modules() if hasattr(m, "_init_weights")
                  and hasattr(m, "config")), None)
    for m in module.modules():
        if owner is not None and "RotaryEmbedding" in type(m).__name__ \
                and hasattr(m, "original_inv_freq"):
            owner._init_weights(m)


def init_module(module, *, seed, rules="torch", dtype=None, n_threads=None, backend="auto",
                on_unknown="raise"):
    """Initialize every parameter and persistent buffer of `module` in place.

    Each tensor gets its own stream, its fully qualified name
    (``"model.layers.0.self_attn.q_proj.weight"``), so its values never move
    when other layers are added or removed. A DTensor parameter (FSDP2
    ``fully_shard``, tensor parallel ``distribute_tensor``) fills only its
    local shard, with ``full_shape`` and ``origin`` from its placements: the
    result equals a single-process ``init_module`` followed by the same
    distribution, bit for bit.

    Parameters
    ----------
    module : torch.nn.Module
        Materialized on the CPU (``module.to_empty(device="cpu")`` after
        building on the meta device).
    seed : int
        Root of every stream, ``0 <= seed < 2**64``.
    rules : {"torch", "hf"}, callable or sequence of them, default "torch"
        See :func:`plan_module`. With ``"hf"``, rotary-embedding buffers (not
        in ``state_dict``) are recomputed by transformers' own code.
    dtype : torch.dtype, optional
        Convert the module's floating-point tensors to this dtype first
        (``module.to(dtype)``), so they are filled in it.
    n_threads : int, optional
        Threads per fill; None uses all usable cores. Never changes a value.
    backend : {"auto", "numba", "cython"}, default "auto"
        Kernel implementation. Never changes a value.
    on_unknown : {"raise", "reset_parameters"}, default "raise"
        See :func:`plan_module`.

    Returns
    -------
    module
        The module passed in, initialized.

    Raises
    ------
    ValueError
        As :func:`plan_module`, or for a tensor that cannot be filled in place
        (meta, non-CPU, non-contiguous); TypeError for an unsupported dtype.

    Examples
    --------
    >>> import torch, fastinit.torch as fit
    >>> with torch.device("meta"):
    ...     net = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.LayerNorm(8))
    >>> net = fit.init_module(net.to_empty(device="cpu"), seed=0)
    >>> net[1].weight.tolist() == [1.0] * 8
    True
    """
    if dtype is not None:
        module.to(dtype=dtype)
    plan, tensors, unknown = _plan(module, seed, rules, on_unknown)
    _check_fillable(plan, tensors, n_threads, backend)
    _apply_all(plan, tensors, n_threads, backend)
    with _torch_module.no_grad():
        for name, owner in unknown:
            if not callable(getattr(owner, "reset_parameters", None)):
                checks.check_rules_cover(name, owner, rules)
            owner.reset_parameters()
    if "hf" in _resolve_rules(rules):
        _hf_non_persistent(module)
    return module


class _Calls:
    """The seed of a patched() block and its call counter (the stream of each call)."""

    def __init__(self, seed):
        self.seed = seed
        self._count = itertools.count()

    def next_call(self):
        return next(self._count)


def _replacement(name):
    ours = globals()[name]

    def replacement(tensor, *args, generator=None, **kwargs):
        if getattr(tensor, "is_meta", False):
            return tensor  # torch's own functions leave meta tensors as they are
        return ours(tensor, *args, **kwargs)

    replacement.__name__ = replacement.__qualname__ = name
    replacement.__wrapped__ = ours
    return replacement


@contextlib.contextmanager
def patched(*, seed):
    """Run model code with ``torch.nn.init``'s functions replaced by fastinit's.

    Inside the block, ``torch.nn.init.kaiming_uniform_`` and the other
    functions of ``torch.nn.init`` (also wherever a loaded module bound them
    by name, and in transformers' table of them) are fastinit's, with `seed` and
    ``stream`` = the number of the random call (0, 1, 2, ... in call order),
    so unchanged code such as ``LlamaForCausalLM(config)`` initializes fast
    and reproducibly. A ``generator`` argument is ignored. torch's functions
    come back on exit, also when the block raises.

    Parameters
    ----------
    seed : int
        Root of every stream, ``0 <= seed < 2**64``.

    Yields
    ------
    object
        The block's state (``seed``, ``next_call()``).

    Examples
    --------
    >>> import torch, fastinit.torch as fit
    >>> with fit.patched(seed=0):
    ...     a = torch.nn.Linear(16, 16)
    >>> with fit.patched(seed=0):
    ...     b = torch.nn.Linear(16, 16)
    >>> torch.equal(a.weight, b.weight)
    True
    """
    calls = _Calls(checks.check_uint64("seed", seed))
    saved = []
    originals = {name: getattr(_torch_module.nn.init, name) for name in PATCHED}
    replacements = {name: _replacement(name) for name in PATCHED}
    # every loaded module that bound torch.nn.init's functions by name (torch's own, timm, ...)
    targets = [vars(m) for m in list(sys.modules.values())
               if isinstance(getattr(m, "__dict__", None), dict)]
    hf = sys.modules.get("transformers.initialization")
    if hf is not None:
        targets.append(hf.TORCH_INIT_FUNCTIONS)
    _nn_init.ACTIVE.append(calls)
    try:
        for namespace in targets:
            for name in PATCHED:
                if namespace.get(name) is originals[name]:
                    saved.append((namespace, name))
                    namespace[name] = replacements[name]
        yield calls
    finally:
        for namespace, name in saved:
            namespace[name] = originals[name]
        _nn_init.ACTIVE.remove(calls)
