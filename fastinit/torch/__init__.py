"""PyTorch: torch.nn.init's functions on fastinit's engine, whole modules, patching.

- Drop-ins with ``torch.nn.init``'s names, positional parameters, defaults,
  gains, fans (``(out, in, *receptive)``) and errors (each also of the class
  torch raises), plus the library's keyword-only ``seed``, ``stream``,
  ``full_shape``, ``origin``/``offset``, ``n_threads`` and ``backend``. They
  fill CPU tensors (and DTensor shards) in place, and NumPy arrays.
- :func:`init_module` runs the framework's own initialization code (torch's
  ``reset_parameters``, transformers' ``_init_weights``) with every write
  routed to fastinit, each tensor on the stream of its ``state_dict`` name;
  :func:`plan_module` returns the same decisions as rows, without writing.
- :func:`patched` routes ``torch.nn.init``'s functions to fastinit in the
  calling thread while unchanged model code runs.

Importing this module imports torch; ``import fastinit`` does not.
"""

import contextlib

from .._engine import checks
from ..checkpoint._format import PlanRow
from . import _plan, _state
from ._nn_init import (
    calculate_gain,
    embedding_normal_,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    trunc_normal_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
)
from ._state import PATCHED
from ._structured import (
    constant_,
    dirac_,
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

#: One tensor of a module and how to fill it: the row type ``fastinit.checkpoint`` writes
#: (``fastinit.checkpoint.PlanRow`` is the same class).
ParamInit = PlanRow
_plan.DROP_INS.update({fn.__name__: fn for fn in (
    uniform_, normal_, trunc_normal_, constant_, ones_, zeros_, eye_, dirac_, xavier_uniform_,
    xavier_normal_, kaiming_uniform_, kaiming_normal_, orthogonal_, sparse_)})

def plan_module(module, *, seed, rules="torch", on_unknown="raise"):
    """List how every parameter and persistent buffer of `module` is initialized.

    The framework's own initialization code runs with every write recorded
    and none made, as :func:`init_module` runs it: the rows are its
    decisions, without allocating anything (a module on the meta device is
    planned as it is; with ``rules="hf"`` the model is rebuilt from its
    config on the meta device).

    Parameters
    ----------
    module : torch.nn.Module
        Any module tree, on any device (only shapes are read).
    seed : int
        Root of every stream, ``0 <= seed < 2**64``.
    rules : {"torch", "hf"}, callable or sequence of them, default "torch"
        ``"torch"``: what each module's constructor and ``reset_parameters``
        (or ``_reset_parameters``) draw, children before parents, so a parent
        that re-initializes its children (``nn.Transformer``) wins;
        ``"hf"``: what ``type(model)(model.config)`` does in transformers -
        ``_init_weights`` per module with the class's overrides, children
        before parents, the last write winning, ties and computed buffers
        included; a callable ``rule(name, module, tensor) -> (fn, kwargs) |
        None``. In a sequence, the first rule that initializes a tensor wins.
    on_unknown : {"raise", "reset_parameters"}, default "raise"
        A tensor no rule initializes (a module that writes values some other
        way than ``torch.nn.init`` and plain fills, such as ``torch.rand``)
        raises a ValueError naming it and the module, or is left out of the
        plan (``init_module`` then calls that module's ``reset_parameters``).

    Returns
    -------
    list of ParamInit
        In ``state_dict`` order, a tied tensor once, under its first name.
        ``fn(buffer, **kwargs)`` fills a whole buffer; random initializers'
        ``kwargs`` hold ``seed`` and ``stream=name``. A tensor written more
        than once (a padding row set to zero after a normal draw) has a
        row whose ``kwargs["steps"]`` lists the writes.

    Raises
    ------
    ValueError
        If a tensor has no rule (with ``on_unknown="raise"``), naming it and
        the module that wrote it some other way, or `rules` or `on_unknown`
        is not recognised.

    Examples
    --------
    >>> import torch, fastinit.torch as fit
    >>> [(p.name, p.fn.__name__) for p in fit.plan_module(torch.nn.Linear(4, 2), seed=0)]
    [('weight', 'kaiming_uniform_'), ('bias', 'uniform_')]
    """
    return _plan.rows(module, checks.check_seed(seed), rules, on_unknown)


def init_module(module, *, seed, rules="torch", dtype=None, n_threads=None, backend="auto",
                on_unknown="raise"):
    """Initialize every parameter and buffer of `module` in place, as its framework does.

    The framework's own initialization code runs (see `rules`) with its
    writes recorded; every tensor then gets what that code gives it, drawn by
    fastinit on its own stream, its ``state_dict`` name
    (``"model.layers.0.self_attn.q_proj.weight"``), so its values never move
    when other layers are added or removed. Everything is checked before the
    first byte is written. A DTensor parameter (FSDP2 ``fully_shard``,
    tensor parallel ``distribute_tensor``) fills only its local shard, with
    ``full_shape`` and ``origin`` from its placements: the result equals a
    single-process ``init_module`` followed by the same distribution, bit for
    bit.

    With ``rules="hf"``, the ties the model declares hold afterwards (the
    same tensor, as ``Model(config)`` gives, also after ``to_empty``), and
    every non-persistent buffer holds what the model's constructor computes
    (position ids, rotary tables, masks).

    Parameters
    ----------
    module : torch.nn.Module
        Materialized on the CPU (``module.to_empty(device="cpu")`` after
        building on the meta device).
    seed : int
        Root of every stream, ``0 <= seed < 2**64``.
    rules : {"torch", "hf"}, callable or sequence of them, default "torch"
        See :func:`plan_module`.
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
        (meta, non-CPU, non-contiguous), before any write; TypeError for an
        unsupported dtype.

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
    decision = _plan.decide(module, checks.check_seed(seed), rules, on_unknown)
    return _plan.fill(module, decision, n_threads, backend)


@contextlib.contextmanager
def patched(*, seed):
    """Run model code with ``torch.nn.init``'s functions routed to fastinit in this thread.

    Inside the block, ``torch.nn.init.kaiming_uniform_`` and the other
    functions of ``torch.nn.init`` (also wherever a loaded module bound them
    by name, and in transformers' table of them) draw from fastinit in the
    calling thread, with `seed` and ``stream`` = the number of the random
    call (0, 1, 2, ... in call order), so unchanged code such as
    ``LlamaForCausalLM(config)`` initializes fast and reproducibly. A
    ``generator`` argument is ignored. Other threads keep torch's own
    functions: the tables hold dispatchers that read the calling thread's
    state, installed by the first open block in the process and removed by
    the last, under a lock; torch's functions are back on exit, also when
    the block raises.

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
    calls = _state.Calls(checks.check_seed(seed))
    ours = {name: globals()[name] for name in PATCHED}
    _state.enter_patched(ours)
    try:
        with _state.pushed(calls):
            yield calls
    finally:
        _state.exit_patched()
