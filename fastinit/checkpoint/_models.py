"""What a checkpoint holds: a model description turned into rows to fill.

A Hugging Face config (a ``config.json`` path or a ``PretrainedConfig``) is
built on the meta device with transformers, so no parameter memory is
allocated; a torch module is planned as it is; a list of plan rows is taken
as given. The rows come from ``fastinit.torch.plan_module``, the same plan
``fastinit.torch.init_module`` fills, so names, streams and values agree.
The small files beside the tensors (``config.json``, and
``generation_config.json`` for a model that generates) are written by
transformers' own ``save_pretrained`` methods of the config objects, as
``PreTrainedModel.save_pretrained`` writes them.
"""

import copy
import difflib
import hashlib
import json
import math
import os
import tempfile
from typing import NamedTuple

from .. import _fillers
from .._engine import framework_checks, request
from ._format import PlanRow

CONFIG_FILE = "config.json"
GENERATION_FILE = "generation_config.json"


class Resolved(NamedTuple):
    """A model description resolved: rows to fill, small files, parameter count."""

    rows: list
    files: dict  # name -> bytes: config.json, generation_config.json
    total_parameters: int  # as PreTrainedModel.num_parameters() counts them


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
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    model_type = doc.pop("model_type")
    if model_type not in CONFIG_MAPPING:
        near = difflib.get_close_matches(model_type, list(CONFIG_MAPPING), n=5, cutoff=0.5)
        raise ValueError(framework_checks.CKPT_CONFIG_UNKNOWN.format(
            path, model_type, ", ".join(near) or "none close"))
    try:
        return AutoConfig.for_model(model_type, **doc)
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


def _hf_files(cfg, model, dtype_name):
    """config.json (and generation_config.json) as ``model.save_pretrained`` writes them."""
    cfg = copy.deepcopy(cfg)
    cfg.architectures = [type(model).__name__.removeprefix("FSDP")]
    cfg.dtype = dtype_name
    with tempfile.TemporaryDirectory() as tmp:
        cfg.save_pretrained(tmp)
        if callable(getattr(model, "can_generate", None)) and model.can_generate():
            model.generation_config.save_pretrained(tmp)
        names = sorted(n for n in os.listdir(tmp) if n in (CONFIG_FILE, GENERATION_FILE))
        return {n: _read(os.path.join(tmp, n)) for n in names}


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _count_parameters(module):
    """Parameters, each shared one once (``PreTrainedModel.num_parameters``)."""
    if callable(getattr(module, "num_parameters", None)):
        return int(module.num_parameters())
    return sum(math.prod(p.shape) for p in module.parameters())


def _is_hf_config(obj):
    return any(c.__name__ in ("PretrainedConfig", "PreTrainedConfig") for c in type(obj).__mro__)


def _is_module(obj):
    return any(c.__module__ == "torch.nn.modules.module" and c.__name__ == "Module"
               for c in type(obj).__mro__)


def resolve(model, *, seed, rules, dtype_name):
    """Rows to fill, small files and parameter count (a ``Resolved``) for ``model``."""
    if isinstance(model, (str, os.PathLike)):
        model = _load_config(model)
    if _is_hf_config(model):
        module, config = _meta_model(model), model
    elif _is_module(model):
        module, config = model, getattr(model, "config", None)
    elif isinstance(model, (list, tuple)) and all(hasattr(r, "fn") for r in model):
        rows = [as_entry(r).seeded(seed) for r in model]
        return Resolved(rows, {}, sum(math.prod(r.shape) for r in rows))
    else:
        raise TypeError(framework_checks.CKPT_MODEL.format(type(model).__name__))
    from ..torch import _plan

    rows = [as_entry(r) for r in _plan.rows(module, seed, rules)]
    files = _hf_files(config, module, dtype_name) if _is_hf_config(config) else {}
    return Resolved(rows, files, _count_parameters(module))


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
    other callable is called per piece with its arguments, as a plan row says.
    """
    fn, kwargs = entry.fn, dict(entry.kwargs)
    if not _fillers.known(fn):
        return lambda view, full_shape, offset: fn(view, **entry.kwargs, **(
            {} if full_shape is None else {"full_shape": full_shape, "offset": offset}))
    row_seed, stream = kwargs.pop("seed", None), kwargs.pop("stream", 0)
    place = {k: kwargs.pop(k) for k in ("n_threads", "backend") if k in kwargs}
    fill_part = _fillers.part_filler(fn, entry.shape, **kwargs)
    keys = None
    if row_seed is not None:
        words = request.key_words(seed) if row_seed == seed else request.seed_words(row_seed)
        keys = request.Keys(*words, *request.stream_words(stream))
    return lambda view, full_shape, offset: fill_part(view, keys, full_shape, None, offset,
                                                      **place)
