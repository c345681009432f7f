"""Rule sets for whole modules: which initializer each parameter and buffer gets.

``"torch"`` is what each module's own ``reset_parameters`` does in torch 2.13
(read from ``torch/nn/modules/*.py``); ``"hf"`` is what Hugging Face
transformers' ``PreTrainedModel._init_weights`` does (``modeling_utils.py``,
transformers 5), overlaid with what the model's own ``_init_weights`` is
recorded doing (:func:`hf_recorded`). A rule set maps a module to ``{local name: (fn, kwargs)}``
for its own tensors; a dotted local name (``"out_proj.bias"``) sets a child's
tensor and wins over the child's own rule, as the parent's reset runs last.
"""

import inspect
import math
import sys

from .._engine import checks
from . import _nn_init, _structured

RULE_SETS = ("torch", "hf")
_SQRT5 = math.sqrt(5)
_KAIMING_A_SQRT5 = (_nn_init.kaiming_uniform_, {"a": _SQRT5, "mode": "fan_in",
                                         "nonlinearity": "leaky_relu"})
ZERO = (_structured.zeros_, {})
ONE = (_structured.ones_, {})


def _uniform(bound):
    return (_nn_init.uniform_, {"a": -bound, "b": bound})


def _set(entries, name, tensor, rule):
    if tensor is not None:
        entries[name] = rule


def _dense(module):
    """Linear and convolutions: kaiming_uniform_(a=sqrt(5)), bias U(-1/sqrt(fan_in), ...)."""
    entries = {"weight": _KAIMING_A_SQRT5}
    if module.bias is not None:
        fan_in, _ = _nn_init.calculate_fan_in_and_fan_out(tuple(module.weight.shape))
        entries["bias"] = _uniform(1 / math.sqrt(fan_in) if fan_in > 0 else 0)
    return entries


def _bilinear(module):
    if module.in1_features <= 0:
        raise ValueError(checks.TORCH_BILINEAR.format(module.in1_features))
    bound = 1 / math.sqrt(module.weight.size(1))
    entries = {"weight": _uniform(bound)}
    _set(entries, "bias", module.bias, _uniform(bound))
    return entries


def _embedding(module, std=1.0):
    return {"weight": (_structured.embedding_normal_, {"mean": 0.0, "std": std,
                                             "padding_idx": module.padding_idx})}


def _affine(module):
    entries = {}
    _set(entries, "weight", getattr(module, "weight", None), ONE)
    _set(entries, "bias", getattr(module, "bias", None), ZERO)
    return entries


def _norm_base(module):
    """BatchNorm/InstanceNorm: reset_running_stats, then weight ones, bias zeros."""
    entries = _affine(module)
    _set(entries, "running_mean", getattr(module, "running_mean", None), ZERO)
    _set(entries, "running_var", getattr(module, "running_var", None), ONE)
    _set(entries, "num_batches_tracked", getattr(module, "num_batches_tracked", None), ZERO)
    return entries


def _recurrent(module):
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    return {name: _uniform(stdv) for name, p in module.named_parameters(recurse=False)
            if p is not None}


def _attention(module):
    """MultiheadAttention._reset_parameters (out_proj.weight keeps Linear's rule)."""
    xavier_uniform = (_nn_init.xavier_uniform_, {"gain": 1.0})
    entries = {}
    if module._qkv_same_embed_dim:
        entries["in_proj_weight"] = xavier_uniform
    else:
        for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
            entries[name] = xavier_uniform
    if module.in_proj_bias is not None:
        entries["in_proj_bias"] = (_structured.constant_, {"val": 0.0})
        entries["out_proj.bias"] = (_structured.constant_, {"val": 0.0})
    for name in ("bias_k", "bias_v"):
        _set(entries, name, getattr(module, name), (_nn_init.xavier_normal_, {"gain": 1.0}))
    return entries


def torch_rules(module, nn):
    """What ``module.reset_parameters()`` does, or None for a type it does not know."""
    from torch.nn.modules.batchnorm import _NormBase
    from torch.nn.modules.conv import _ConvNd
    from torch.nn.modules.rnn import RNNBase, RNNCellBase

    if isinstance(module, nn.MultiheadAttention):
        return _attention(module)
    if isinstance(module, (nn.Linear, _ConvNd)):
        return _dense(module)
    if isinstance(module, nn.Bilinear):
        return _bilinear(module)
    if isinstance(module, (nn.Embedding, nn.EmbeddingBag)):
        return _embedding(module)
    if isinstance(module, (nn.LayerNorm, nn.GroupNorm, nn.RMSNorm)):
        return _affine(module)
    if isinstance(module, _NormBase):
        return _norm_base(module)
    if isinstance(module, (RNNBase, RNNCellBase)):
        return _recurrent(module)
    if isinstance(module, nn.PReLU):
        return {"weight": (_structured.constant_, {"val": module.init})}
    return None


def hf_std(root):
    """transformers' std: config.initializer_range (or init_std, initializer_factor), 0.02."""
    config = getattr(root, "config", None)
    if config is None:
        return 0.02
    if hasattr(config, "initializer_range"):
        return config.initializer_range or 0.02
    if hasattr(config, "init_std"):
        return config.init_std
    if hasattr(config, "initializer_factor"):
        return config.initializer_factor
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    return getattr(text, "initializer_range", 0.02)


def hf_rules(module, nn, std):
    """What transformers' ``PreTrainedModel._init_weights(module)`` does."""
    dense = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d)
    name = type(module).__name__
    if isinstance(module, dense):
        entries = {"weight": (_nn_init.normal_, {"mean": 0.0, "std": std})}
        _set(entries, "bias", module.bias, ZERO)
        return entries
    if isinstance(module, nn.LSTM):
        return {n: (_nn_init.xavier_uniform_, {"gain": 1.0}) if "weight" in n
                else (_structured.constant_, {"val": 0.0})
                for n, _ in module.named_parameters() if "weight" in n or "bias" in n}
    if isinstance(module, nn.Embedding):
        return _embedding(module, std)
    if isinstance(module, nn.MultiheadAttention):
        return _attention(module)
    if (isinstance(module, (nn.GroupNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d))
            or "LayerNorm" in name or "RMSNorm" in name):
        return _norm_base(module)
    return None


def _recorder(calls, name, original):
    signature = inspect.signature(original)

    def record(tensor, *args, **kwargs):
        bound = signature.bind(tensor, *args, **kwargs)
        bound.apply_defaults()
        calls.append((tensor, name, {k: v for k, v in list(bound.arguments.items())[1:]
                                     if k != "generator"}))
        return tensor

    return record


def _padding_row(view, names, entries):
    """A zeros_ on one row of an embedding planned as normal_: its padding_idx, else None."""
    base = view._base
    fn, kwargs = entries.get(names.get(id(base)), (None, None))
    if fn is not _nn_init.normal_ or base.dim() != 2 or view.dim() != 1 or base.stride(1) != 1:
        return None
    return (view.storage_offset() - base.storage_offset()) // base.stride(0)


def _whole(tensor):
    return tensor if tensor._base is None else tensor._base


def _tie_targets(root):
    """``{id(module): ids of its tensors}`` that transformers' tie_weights re-points to a source.

    ``all_tied_weights_keys`` maps target names to source names
    (``{"lm_head.weight": "model.embed_tokens.weight"}``).
    """
    targets = {}
    for target in getattr(root, "all_tied_weights_keys", None) or {}:
        path, _, local = target.rpartition(".")
        try:
            module = root.get_submodule(path)
        except AttributeError:
            continue
        tensor = getattr(module, local, None)
        if tensor is not None:
            targets.setdefault(id(module), set()).add(id(_whole(tensor)))
    return targets


def hf_recorded(root):
    """``{name: (fn, kwargs)}`` of what the model's own ``_init_weights`` calls, recorded.

    transformers 5 models initialize through ``transformers.initialization``,
    whose functions reach torch's through ``TORCH_INIT_FUNCTIONS``: with that
    table's entries replaced by recorders, ``_init_weights`` runs on every module
    (the model class's override included, as Gemma's norms at zero) and writes
    nothing through them. The last call on a tensor wins, as it would, except
    calls on a tied weight under its tie target's name (``lm_head.weight``):
    transformers ties after initializing, so the source's initialization
    (``embed_tokens``, padding row zero) is what the shared tensor keeps.
    """
    hf_init = sys.modules.get("transformers.initialization")
    owner = root if callable(getattr(root, "_init_weights", None)) else None
    if hf_init is None or owner is None or not hasattr(root, "config"):
        return {}
    names = {id(t): n for n, _, t in named_tensors(root)}
    calls, table = [], hf_init.TORCH_INIT_FUNCTIONS
    saved = dict(table)
    table.update({name: _recorder(calls, name, fn) for name, fn in saved.items()})
    tied = _tie_targets(root)
    try:
        for module in root.modules():
            start = len(calls)
            owner._init_weights(module)
            replaced = tied.get(id(module), ())
            calls[start:] = [c for c in calls[start:] if id(_whole(c[0])) not in replaced]
    finally:
        table.update(saved)
    entries = {}
    for tensor, name, kwargs in calls:
        fn = getattr(_nn_init, name, None) or getattr(_structured, name)
        if id(tensor) in names:
            entries[names[id(tensor)]] = (fn, kwargs)
        elif tensor._base is not None and name == "zeros_":
            row = _padding_row(tensor, names, entries)
            if row is not None:
                base = names[id(tensor._base)]
                entries[base] = (_structured.embedding_normal_,
                                 {**entries[base][1], "padding_idx": row})
    return entries


def module_tables(root, rule_sets):
    """``{rule set: {qualified name: (fn, kwargs)}}`` over every module of ``root``."""
    import torch

    std = hf_std(root)
    tables = {}
    for rule_set in rule_sets:
        table, from_parent = {}, set()
        for prefix, module in root.named_modules():
            if rule_set == "torch":
                entries = torch_rules(module, torch.nn)
            else:
                entries = hf_rules(module, torch.nn, std)
            for local, rule in (entries or {}).items():
                name = f"{prefix}.{local}" if prefix else local
                if name in from_parent:
                    continue
                table[name] = rule
                if "." in local:
                    from_parent.add(name)
        if rule_set == "hf":
            table.update(hf_recorded(root))
        tables[rule_set] = table
    return tables


def named_tensors(root):
    """(qualified name, owning module, tensor) of every parameter and persistent buffer.

    Names are those of ``state_dict``; a tensor shared by two names (tied
    weights) is listed once, under its first name, as ``named_parameters`` does.
    """
    seen = set()
    for prefix, module in root.named_modules():
        persistent = [(n, b) for n, b in module._buffers.items()
                      if n not in module._non_persistent_buffers_set]
        for local, tensor in [*module._parameters.items(), *persistent]:
            if tensor is None or id(tensor) in seen:
                continue
            seen.add(id(tensor))
            yield (f"{prefix}.{local}" if prefix else local), module, tensor
