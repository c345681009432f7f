"""Rule sets for whole modules: which initializer each parameter and buffer gets.

``"torch"`` is what each module's own ``reset_parameters`` does in torch 2.13
(read from ``torch/nn/modules/*.py``); ``"hf"`` is what Hugging Face
transformers' ``PreTrainedModel._init_weights`` does (``modeling_utils.py``,
transformers 5). A rule set maps a module to ``{local name: (fn, kwargs)}``
for its own tensors; a dotted local name (``"out_proj.bias"``) sets a child's
tensor and wins over the child's own rule, as the parent's reset runs last.
"""

import math

from . import _torch_nn_init as N
from . import _torch_structured as S
from . import _validation as V

RULE_SETS = ("torch", "hf")
_SQRT5 = math.sqrt(5)
_KAIMING_A_SQRT5 = (N.kaiming_uniform_, {"a": _SQRT5, "mode": "fan_in",
                                         "nonlinearity": "leaky_relu"})
ZERO = (S.zeros_, {})
ONE = (S.ones_, {})


def _uniform(bound):
    return (N.uniform_, {"a": -bound, "b": bound})


def _set(entries, name, tensor, rule):
    if tensor is not None:
        entries[name] = rule


def _dense(module):
    """Linear and convolutions: kaiming_uniform_(a=sqrt(5)), bias U(-1/sqrt(fan_in), ...)."""
    entries = {"weight": _KAIMING_A_SQRT5}
    if module.bias is not None:
        fan_in, _ = N.calculate_fan_in_and_fan_out(tuple(module.weight.shape))
        entries["bias"] = _uniform(1 / math.sqrt(fan_in) if fan_in > 0 else 0)
    return entries


def _bilinear(module):
    if module.in1_features <= 0:
        raise ValueError(V.TORCH_BILINEAR.format(module.in1_features))
    bound = 1 / math.sqrt(module.weight.size(1))
    entries = {"weight": _uniform(bound)}
    _set(entries, "bias", module.bias, _uniform(bound))
    return entries


def _embedding(module, std=1.0):
    return {"weight": (S.embedding_normal_, {"mean": 0.0, "std": std,
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
    xavier_uniform = (N.xavier_uniform_, {"gain": 1.0})
    entries = {}
    if module._qkv_same_embed_dim:
        entries["in_proj_weight"] = xavier_uniform
    else:
        for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
            entries[name] = xavier_uniform
    if module.in_proj_bias is not None:
        entries["in_proj_bias"] = (S.constant_, {"val": 0.0})
        entries["out_proj.bias"] = (S.constant_, {"val": 0.0})
    for name in ("bias_k", "bias_v"):
        _set(entries, name, getattr(module, name), (N.xavier_normal_, {"gain": 1.0}))
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
        return {"weight": (S.constant_, {"val": module.init})}
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
        entries = {"weight": (N.normal_, {"mean": 0.0, "std": std})}
        _set(entries, "bias", module.bias, ZERO)
        return entries
    if isinstance(module, nn.LSTM):
        return {n: (N.xavier_uniform_, {"gain": 1.0}) if "weight" in n
                else (S.constant_, {"val": 0.0})
                for n, _ in module.named_parameters() if "weight" in n or "bias" in n}
    if isinstance(module, nn.Embedding):
        return _embedding(module, std)
    if isinstance(module, nn.MultiheadAttention):
        return _attention(module)
    if (isinstance(module, (nn.GroupNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d))
            or "LayerNorm" in name or "RMSNorm" in name):
        return _norm_base(module)
    return None


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
