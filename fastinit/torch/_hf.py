"""rules="hf": transformers' own initialization, executed, with its init functions routed.

For each transformers model in the module tree (a ``PreTrainedModel`` with no
``PreTrainedModel`` above it), ``type(model)(model.config)`` is built on the
meta device with every op recorded (``_hf_record``): the model's own
traversal in transformers' order, ``_init_weights`` per module with the
class's overrides, children before parents, the last write winning. Each
tensor's recipe then comes from that record by ``state_dict`` name
(``_hf_replay``); ties are the recorded model's.

A model that cannot be rebuilt from its config (its constructor needs more,
or its names or shapes changed since) runs its own ``initialize_weights``
instead, on itself, with every write recorded and none made (as rules="torch"
does); constructor-only values are then out of reach and named in the error.
Modules outside any transformers model get ``PreTrainedModel._init_weights``,
with a default config (std 0.02).
"""

import collections
import sys
import threading
import types

import torch

from . import _ops, _reset, _state
from ._hf_record import Op, record
from ._hf_replay import Recipes, Unreplayable, as_values

_RECORDS = collections.OrderedDict()
_RECORDS_LIMIT = 4
_RECORDS_LOCK = threading.Lock()


class Mismatch(Exception):
    """The rebuilt model's names or shapes differ from the model's."""


def is_pretrained(module):
    transformers = sys.modules.get("transformers.modeling_utils")
    return transformers is not None and isinstance(module, transformers.PreTrainedModel)


def named_all(root):
    """Every (name, tensor) of parameters and buffers, aliases included, in state_dict order."""
    return [*root.named_parameters(remove_duplicate=False),
            *root.named_buffers(remove_duplicate=False)]


def _record(cls, config):
    """``(model, recording)`` of ``cls(config)``; the last few are kept (per config text)."""
    try:
        key = (cls, config.to_json_string(use_diff=False), torch.get_default_dtype())
    except (TypeError, ValueError):
        return _recorded(cls, config)
    with _RECORDS_LOCK:
        if key in _RECORDS:
            _RECORDS.move_to_end(key)
            return _RECORDS[key]
    found = _recorded(cls, config)
    with _RECORDS_LOCK:
        _RECORDS[key] = found
        while len(_RECORDS) > _RECORDS_LIMIT:
            _RECORDS.popitem(last=False)
    return found


def _recorded(cls, config):
    built, rec = record(cls, config)
    for _, t in named_all(built):
        key = _ops.storage_key(t)
        if key not in rec.creator:  # made outside the recording (torch.Tensor(n)): empty
            rec.creator[key] = Op(-1, torch.empty, (tuple(t.shape),), {"dtype": t.dtype}, t)
    return built, rec


def rebuilt(model, seed):
    """``(recipes, missing, groups)`` of ``model`` from ``type(model)(model.config)``.

    ``missing`` names tensors nothing initializes; ``groups`` lists the names
    that share one tensor in the rebuilt model (its ties). Raises Mismatch, or
    whatever the constructor raises.
    """
    built, rec = _record(type(model), model.config)
    theirs, ours = named_all(built), dict(named_all(model))
    if [n for n, _ in theirs] != list(ours) or any(
            tuple(t.shape) != tuple(ours[n].shape) for n, t in theirs):
        raise Mismatch
    canonical, groups = {}, {}
    for name, t in theirs:
        groups.setdefault(id(t), []).append(name)
        canonical.setdefault(_ops.storage_key(t), name)
    replay = Recipes(rec, seed, canonical)
    recipes, missing, done = {}, {}, set()
    for name, t in theirs:
        if id(t) in done:
            continue
        done.add(id(t))
        try:
            steps = replay.recipe(_ops.storage_key(t), t)
        except Unreplayable as error:
            missing[name] = f"its value needs {error}, which fastinit cannot draw"
            continue
        if steps is None:
            missing[name] = "transformers' code leaves it uninitialized (torch.empty)"
        else:
            recipes[name] = steps
    return recipes, missing, [g for g in groups.values() if len(g) > 1]


class _Flags:
    """Clear transformers' ``_is_hf_initialized`` flags for a run; put them back after."""

    def __init__(self, root):
        self.saved = [(obj, obj.__dict__.pop("_is_hf_initialized"))
                      for obj in (*root.modules(), *(t for _, t in named_all(root)))
                      if "_is_hf_initialized" in getattr(obj, "__dict__", {})]

    def restore(self):
        for obj, value in self.saved:
            obj._is_hf_initialized = value


def executed(model, seed, index, prefix=""):
    """``(writes, problems)`` of ``model.initialize_weights()`` run on ``model`` itself."""
    skip = set(getattr(model, "all_tied_weights_keys", None) or {})
    recorder = _reset.Recorder(index, values=True, skip={f"{prefix}{n}" for n in skip})
    flags = _Flags(model)
    try:
        with _state.HF_LOCK, _state.pushed(_state.EXECUTING), recorder, torch.no_grad():
            model.initialize_weights()
    except _reset.Unsupported as error:
        return [], {prefix.rstrip("."): (model, str(error))}
    finally:
        flags.restore()
    return recorder.writes, {}


def base_rules(root, index, inside):
    """``(writes, problems)`` of ``PreTrainedModel._init_weights`` on every module not
    ``inside`` a transformers model, children first."""
    from transformers import PretrainedConfig, PreTrainedModel

    owner = types.SimpleNamespace(config=PretrainedConfig())
    writes, problems = [], {}
    for prefix, module in _reset.post_order(root):
        if any(p == "" or prefix == p or prefix.startswith(f"{p}.") for p in inside):
            continue
        recorder = _reset.Recorder(index, values=True)
        try:
            with _state.pushed(_state.EXECUTING), recorder, torch.no_grad():
                PreTrainedModel._init_weights(owner, module)
        except _reset.Unsupported as error:
            problems[prefix] = (module, str(error))
            continue
        writes.extend(recorder.writes)
    return writes, problems


def models(root):
    """``(prefix, model)`` of every transformers model with none above it."""
    found = []
    for prefix, module in root.named_modules():
        if is_pretrained(module) and not any(
                p == "" or prefix.startswith(f"{p}.") for p, _ in found):
            found.append((prefix, module))
    return found


def decide(root, seed, index):
    """``(recipes, missing, problems, groups)`` for the whole tree under rules="hf"."""
    recipes, missing, problems, groups, writes = {}, {}, {}, [], []
    found = models(root)
    for prefix, model in found:
        start = f"{prefix}." if prefix else ""
        try:
            got, lost, ties = rebuilt(model, seed)
        except Exception:  # noqa: BLE001 - any constructor failure: execute on the model itself
            got = None
        if got is None:
            done, bad = executed(model, seed, index, start)
            writes.extend(done)
            problems.update(bad)
            tied = getattr(model, "all_tied_weights_keys", None) or {}
            groups.extend([start + source, start + target] for target, source in tied.items())
            continue
        recipes.update({start + n: steps for n, steps in got.items()})
        missing.update({start + n: why for n, why in lost.items()})
        groups.extend([start + n for n in g] for g in ties)
    done, bad = base_rules(root, index, [p for p, _ in found])
    writes.extend(done)
    problems.update(bad)
    recipes.update(_reset.recipes(writes))
    return recipes, missing, problems, groups


__all__ = ["as_values", "decide"]
