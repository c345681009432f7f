"""What a checkpoint holds: a model description turned into rows to fill.

A Hugging Face config (a ``config.json`` path or a ``PretrainedConfig``) is
built on the meta device with transformers, so no parameter memory is
allocated; a torch module is planned as it is; a list of plan rows is taken
as given. The rows come from ``fastinit.torch.plan_module``, the same plan
``fastinit.torch.init_module`` fills, so names, streams and values agree.
"""

import copy
import hashlib
import json
import os

from .. import _fillers
from .._engine import framework_checks, request
from ._format import PlanRow


def _load_config(path):
    from transformers import AutoConfig

    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "config.json")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(framework_checks.CKPT_CONFIG_READ.format(path, err)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("model_type"), str):
        raise ValueError(framework_checks.CKPT_CONFIG_TYPE.format(path))
    try:
        return AutoConfig.for_model(doc.pop("model_type"), **doc)
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(framework_checks.CKPT_CONFIG_MODEL.format(path, err)) from None


def _meta_model(cfg):
    import torch
    import transformers

    archs = [a for a in (getattr(cfg, "architectures", None) or ()) if hasattr(transformers, a)]
    with torch.device("meta"):
        if archs:
            return getattr(transformers, archs[0])(cfg)
        try:
            return transformers.AutoModelForCausalLM.from_config(cfg)
        except ValueError:
            return transformers.AutoModel.from_config(cfg)


def _config_json(cfg, model, dtype_name):
    """config.json as transformers' save_pretrained writes it."""
    cfg = copy.deepcopy(cfg)
    cfg.architectures = [type(model).__name__]
    cfg.dtype = dtype_name
    return cfg.to_json_string(use_diff=True).encode()


def _is_hf_config(obj):
    return any(c.__name__ in ("PretrainedConfig", "PreTrainedConfig") for c in type(obj).__mro__)


def _is_module(obj):
    return any(c.__module__ == "torch.nn.modules.module" and c.__name__ == "Module"
               for c in type(obj).__mro__)


def resolve(model, *, seed, rules, dtype_name):
    """Rows to fill and the config.json bytes (or None) for ``model``."""
    if isinstance(model, (str, os.PathLike)):
        model = _load_config(model)
    if _is_hf_config(model):
        module, config = _meta_model(model), model
    elif _is_module(model):
        module, config = model, getattr(model, "config", None)
    elif isinstance(model, (list, tuple)) and all(hasattr(r, "fn") for r in model):
        return [as_entry(r).seeded(seed) for r in model], None
    else:
        raise TypeError(framework_checks.CKPT_MODEL.format(type(model).__name__))
    from ..torch import _plan

    rows = _plan.rows(module, seed, rules)
    cfg_json = _config_json(config, module, dtype_name) if _is_hf_config(config) else None
    return [as_entry(r) for r in rows], cfg_json


def as_entry(row):
    return PlanRow(str(row.name), tuple(int(s) for s in row.shape), row.fn, dict(row.kwargs),
                 bool(row.piecewise))


def fingerprint(entries):
    """A digest of every row: names, shapes, fill functions and their arguments."""
    h = hashlib.sha256()
    for e in entries:
        fn = f"{getattr(e.fn, '__module__', '')}.{getattr(e.fn, '__qualname__', repr(e.fn))}"
        h.update(repr((e.name, e.shape, fn, sorted(e.kwargs.items()), e.piecewise)).encode())
    return h.hexdigest()


def part_filler(entry, seed):
    """``fill(view, full_shape, offset)`` for the pieces of ``entry``, built once per tensor.

    A fastinit function (public, or a ``fastinit.torch`` drop-in) becomes its
    checked law and its keys here, so each piece goes to the engine as one
    request, with no other check of ``seed`` (checked once, by ``write``); any
    other callable is called per piece with its
    arguments, as a plan row says.
    """
    fn, kwargs = entry.fn, dict(entry.kwargs)
    checked, (seed, stream) = seed, (kwargs.pop("seed", None), kwargs.pop("stream", 0))
    if not _fillers.known(fn) or not {"n_threads", "backend"}.isdisjoint(kwargs):
        return lambda view, full_shape, offset: fn(view, **entry.kwargs, **(
            {} if full_shape is None else {"full_shape": full_shape, "offset": offset}))
    fill_part = _fillers.part_filler(fn, entry.shape, **kwargs)
    keys = None
    if seed is not None:
        words = request.key_words(seed) if seed == checked else request.seed_words(seed)
        keys = request.Keys(*words, *request.stream_words(stream))
    return lambda view, full_shape, offset: fill_part(view, keys, full_shape, None, offset)
