"""Which recipe each tensor of a module gets, under a chain of rules, and how it is filled.

The rules of a chain answer in turn: "torch" (``_reset``), "hf" (``_hf``) or
a callable ``rule(name, module, tensor) -> (fn, kwargs) | None``; the first
that initializes a tensor whole decides it. Parameters and persistent
buffers must all be decided (or left to ``reset_parameters`` with
``on_unknown="reset_parameters"``); a non-persistent buffer is set when a
rule computes it (transformers' position ids and rotary tables) and left
alone otherwise.
"""

import contextlib
import functools
import inspect
import math
import sys
from typing import NamedTuple

import torch

from .._engine import backends, checks, framework_checks
from ..checkpoint._format import PlanRow
from . import _hf, _ops, _recipes, _reset

RULE_SETS = ("torch", "hf")
ON_UNKNOWN = ("raise", "reset_parameters")
DROP_INS = {}  # torch.nn.init name -> fastinit.torch's public function (set by __init__)
_LAZY = torch.nn.parameter.UninitializedTensorMixin


class Entry(NamedTuple):
    name: str
    owner: torch.nn.Module
    tensor: torch.Tensor
    persistent: bool


class Decision(NamedTuple):
    seed: int
    entries: list  # (Entry, steps) decided, in state_dict order; steps bound at fill time
    unknown: list  # (name, module whose reset_parameters gets the tensor, reason)
    groups: list  # names sharing one tensor in the model the rules ran (ties to restore)


def entries(root):
    """Every parameter and buffer once (tied ones under their first name), in
    ``named_modules`` order."""
    seen, done, out = set(), set(), []
    new = tuple.__new__

    def visit(prefix, module):
        done.add(id(module))
        start = f"{prefix}." if prefix else ""
        for local, tensor in module._parameters.items():
            if tensor is not None and id(tensor) not in seen:
                seen.add(id(tensor))
                out.append(new(Entry, (start + local, module, tensor, True)))
        if module._buffers:
            transient = module._non_persistent_buffers_set
            for local, tensor in module._buffers.items():
                if tensor is not None and id(tensor) not in seen:
                    seen.add(id(tensor))
                    out.append(new(Entry, (start + local, module, tensor,
                                           local not in transient)))
        for name, child in module._modules.items():
            if child is not None and id(child) not in done:
                visit(start + name, child)

    visit("", root)
    return out


def resolve_rules(rules):
    chain = list(rules) if isinstance(rules, (list, tuple)) else [rules]
    for rule in chain:
        framework_checks.check_rule(rule, RULE_SETS)
    return chain


@contextlib.contextmanager
def shadowed(root):
    """DTensors swapped for meta tensors of their global shape while code runs on ``root``."""
    dtensor = sys.modules.get("torch.distributed.tensor")
    swapped = []
    if dtensor is not None:
        for module in root.modules():
            for table in (module._parameters, module._buffers):
                for key, t in table.items():
                    if isinstance(t, dtensor.DTensor):
                        meta = torch.empty(t.shape, dtype=t.dtype, device="meta")
                        if isinstance(t, torch.nn.Parameter):
                            meta = torch.nn.Parameter(meta, requires_grad=t.requires_grad)
                        swapped.append((table, key, t))
                        table[key] = meta
    try:
        yield bool(swapped)
    finally:
        for table, key, t in swapped:
            table[key] = t


def _callable_recipes(rule, items, seed):
    out = {}
    for e in items:
        found = rule(e.name, e.owner, e.tensor)
        if found is not None:
            fn, kwargs = found
            kwargs = dict(kwargs)
            if takes(fn, "seed"):
                kwargs.setdefault("seed", seed)
                kwargs.setdefault("stream", e.name)
            out[e.name] = (_recipes.Step(fn, kwargs),)
    return out, {}, {}, []


def _rule_set(rule, module, seed, items):
    """``(recipes, missing, problems, groups)`` of one rule set on the module tree."""
    with shadowed(module) as swapped:
        # indexed on the first look-up (most resets are cached and need none), in the block
        index = _ops.Index((e.name, e.tensor) for e in (entries(module) if swapped else items))
        if rule == "torch":
            writes, problems = _reset.record(module, index)
            return _reset.recipes(writes), {}, problems, []
        return _hf.decide(module, seed, index)


def _reason(name, missing, problems):
    if name in missing:
        return missing[name], None
    prefix = name
    while prefix:
        prefix = prefix.rpartition(".")[0]
        if prefix in problems:
            module, message = problems[prefix]
            return f"{type(module).__name__} ({prefix or 'the model'}) writes it with {message}", \
                module
    if "" in problems:
        module, message = problems[""]
        return f"{type(module).__name__} writes it with {message}", module
    return "no initialization code writes it", None


def _unwritten(name, results):
    if any(name in r for r, _, _ in results):
        return "the code writes only part of it"
    return "no initialization code writes it"


def _under(name, prefixes):
    return any(p == "" or name.startswith(f"{p}.") for p in prefixes)


def decide(module, seed, rules, on_unknown):
    """The :class:`Decision` of ``rules`` on ``module`` (``seed`` checked by the caller);
    raises for an undecided tensor."""
    checks.check_choice("on_unknown", on_unknown, ON_UNKNOWN)
    chain = resolve_rules(rules)
    items = entries(module)
    results, groups = [], []
    for rule in chain:
        if callable(rule):
            found = _callable_recipes(rule, items, seed)
        else:
            found = _rule_set(rule, module, seed, items)
        recipes, missing, problems, ties = found
        if problems:
            recipes = {n: s for n, s in recipes.items() if not _under(n, problems)}
        for group in ties:
            for alias in group[1:]:
                if group[0] in recipes:  # an alias draws what its tensor draws
                    recipes.setdefault(alias, _recipes.bind(recipes[group[0]], seed, group[0]))
        groups.extend(ties)
        results.append((recipes, missing, problems))
    decided, unknown = [], []
    only = results[0][0] if len(results) == 1 else None
    for e in items:
        if only is not None:
            steps = only.get(e.name)
            steps = steps if steps is not None and steps[0].region is None else None
        else:
            steps = next((r[e.name] for r, _, _ in results
                          if e.name in r and r[e.name][0].region is None), None)
        if steps is None and not isinstance(e.tensor, _LAZY) and e.tensor.numel() == 0:
            steps = (_recipes.Step("zeros_", {}),)  # nothing to initialize
        if steps is not None:
            decided.append((e, steps))
        elif e.persistent or any(e.name in m for _, m, _ in results):
            reason, culprit = next((_reason(e.name, m, p) for r, m, p in results
                                    if e.name in m or _under(e.name, p)),
                                   (_unwritten(e.name, results), None))
            if on_unknown == "raise":
                raise ValueError(framework_checks.TORCH_UNREACHED.format(rules, e.name,
                                                               type(e.owner).__name__, reason))
            unknown.append((e.name, culprit or e.owner, reason))
    return Decision(seed, decided, unknown, groups)


@functools.cache
def _parameters(fn):
    return frozenset(inspect.signature(fn).parameters)


def takes(fn, name):
    return name in _parameters(fn)


def rows(module, seed, rules, on_unknown="raise"):
    """The plan rows of ``module``'s persistent tensors (``seed`` checked by the caller)."""
    decision = decide(module, seed, rules, on_unknown)
    return [row(entry, steps, decision.seed) for entry, steps in decision.entries
            if entry.persistent]


def row(entry, steps, seed):
    """The plan row of a decided tensor: one initializer call when one step says it all."""
    shape = tuple(entry.tensor.shape)
    steps = _recipes.bind(steps, seed, entry.name)
    first = steps[0]
    if len(steps) == 1 and callable(first.fn):
        piecewise = takes(first.fn, "full_shape") and first.fn not in \
            [DROP_INS.get(n) for n in _recipes.WHOLE_TENSOR]
        return PlanRow(entry.name, shape, first.fn, dict(first.kwargs), piecewise)
    if len(steps) == 1 and first.fn in DROP_INS and _finite(first):
        return PlanRow(entry.name, shape, DROP_INS[first.fn], dict(first.kwargs),
                       first.fn not in _recipes.WHOLE_TENSOR)
    piecewise = not any(s.fn in _recipes.WHOLE_TENSOR for s in steps)
    return PlanRow(entry.name, shape, _recipes.recipe_, {"steps": _recipes.Steps(steps)},
                   piecewise)


def _finite(step):
    """Whether the public drop-in takes the step (it refuses to write an infinity)."""
    val = step.kwargs.get("val", 0.0)
    return not isinstance(val, float) or math.isfinite(val)


def _prepare(decided, n_threads, backend):
    """Every tensor can take its recipe: raise before the first write, not halfway.

    Returns each tensor's ``_recipes.prepare`` (None for a rule's callable).
    """
    prepared = []
    for entry, steps in decided:
        if callable(steps[0].fn):
            framework_checks.check_tensor(_recipes.local(entry.tensor)[0], torch)
            prepared.append(None)
            continue
        try:
            prepared.append(_recipes.prepare(entry.tensor, steps))
        except ValueError as error:
            if " must be " not in str(error):
                raise
            raise type(error)(framework_checks.PLAN_NAMED.format(entry.name, error)) from None
    return prepared


def _retie(module, groups):
    """Point every alias of a group at its first tensor, as the rules' model has them."""
    for group in groups:
        first = module.get_parameter(group[0]) if _is_param(module, group[0]) \
            else module.get_buffer(group[0])
        for alias in group[1:]:
            path, _, local = alias.rpartition(".")
            owner = module.get_submodule(path)
            table = owner._parameters if local in owner._parameters else owner._buffers
            if table.get(local) is not first:
                table[local] = first


def _is_param(module, name):
    path, _, local = name.rpartition(".")
    return local in module.get_submodule(path)._parameters


def fill(module, decision, n_threads, backend):
    """Restore ties, fill every decided tensor, then reset what no rule decided."""
    decided = decision.entries
    n_threads, backend = checks.check_n_threads(n_threads), backends.checked(backend)
    prepared = _prepare(decided, n_threads, backend)
    if decision.groups:
        _retie(module, decision.groups)
        alive = {id(e.tensor) for e in entries(module)}
        keep = [id(e.tensor) in alive for e, _ in decided]
        decided = [d for d, k in zip(decided, keep, strict=True) if k]
        prepared = [p for p, k in zip(prepared, keep, strict=True) if k]
    written = []
    for (entry, steps), ready in zip(decided, prepared, strict=True):
        if ready is None:
            kwargs = dict(steps[0].kwargs)
            for key, value in (("n_threads", n_threads), ("backend", backend)):
                if takes(steps[0].fn, key):
                    kwargs.setdefault(key, value)
            with torch.no_grad():
                steps[0].fn(entry.tensor, **kwargs)
            continue
        target, out, full, origin = ready
        _recipes.fill_part(out, steps, full, origin, None, n_threads, backend, decision.seed,
                           entry.name, prepared=True)
        written.append(target)
    torch.autograd.graph.increment_version(written)
    done = set()
    with torch.no_grad():
        for name, owner, _ in decision.unknown:
            if id(owner) in done:
                continue
            done.add(id(owner))
            reset = getattr(owner, "reset_parameters", None)
            if not callable(reset):
                raise ValueError(framework_checks.TORCH_NO_RESET.format(name, type(owner).__name__))
            reset()
    return module
