"""Tiny transformers models: the architectures a library ships, configs shrunk to build fast.

:func:`classes` lists the model classes transformers maps to each model type
for causal LM, masked LM, sequence-to-sequence LM and base models;
:func:`tiny_config` shrinks a model type's default config (widths to 64,
two layers, 4 heads, a vocabulary of about 1000, 4 experts) until the model
builds with fewer than :data:`PARAM_LIMIT` parameters, or says why it
cannot; :func:`inputs` makes one small batch for a forward pass.
"""

import copy
import difflib
import re

KINDS = {"causal-lm": "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES",
         "masked-lm": "MODEL_FOR_MASKED_LM_MAPPING_NAMES",
         "seq2seq": "MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES",
         "base": "MODEL_MAPPING_NAMES"}
PARAM_LIMIT = 60_000_000

_HIDDEN = re.compile(r"^(hidden_size|d_model|n_embd|n_embed|embed_dim|embedding_dim|dim|"
                     r"model_dim|d_embed|hidden_dim|word_embed_proj_dim|embedding_size|emb_dim|"
                     r"text_hidden_size|vision_hidden_size|audio_hidden_size|"
                     r"encoder_hidden_size|decoder_hidden_size|projection_dim|proj_dim|"
                     r"d_inner_model)$")
_LAYERS = re.compile(r"^(num_hidden_layers|n_layer|n_layers|num_layers|encoder_layers|"
                     r"decoder_layers|num_encoder_layers|num_decoder_layers|depth|num_blocks|"
                     r"n_blocks|num_decoder_blocks|num_encoder_blocks|text_layers|vision_layers|"
                     r"num_self_attends_per_block|num_cross_attention_layers)$")
_HEADS = re.compile(r"^(num_attention_heads|n_head|n_heads|num_heads|encoder_attention_heads|"
                    r"decoder_attention_heads|attention_heads|num_attention_heads_per_layer)$")
_KV_HEADS = re.compile(r"^(num_key_value_heads|n_kv_heads|num_kv_heads|multi_query_group_num|"
                       r"num_key_value_groups)$")
_FFN = re.compile(r"^(intermediate_size|ffn_dim|d_ff|n_inner|encoder_ffn_dim|decoder_ffn_dim|"
                  r"ffn_hidden_size|mlp_dim|inner_dim|moe_intermediate_size|"
                  r"shared_expert_intermediate_size|dim_feedforward|d_inner|"
                  r"expert_intermediate_size|mlp_hidden_size|feed_forward_proj_dim)$")
_EXPERTS = re.compile(r"^(num_experts|n_routed_experts|num_local_experts|moe_num_experts|"
                      r"num_routed_experts|n_experts)$")
_TOPK = re.compile(r"^(num_experts_per_tok|top_k|moe_topk|num_selected_experts|"
                   r"num_experts_per_token|moe_top_k)$")
_POSITIONS = re.compile(r"^(max_position_embeddings|n_positions|max_seq_len|"
                        r"max_sequence_length|n_ctx|max_target_positions|"
                        r"max_source_positions)$")
_WIDTH_LISTS = re.compile(r"^(hidden_sizes|embed_dims|embed_dim|dims|hidden_dims|channels|"
                          r"block_out_channels|encoder_hidden_sizes)$")
_DEPTH_LISTS = re.compile(r"^(depths|num_layers|layers|num_hidden_layers|encoder_layers|"
                          r"block_repeats|num_blocks|depth)$")
_HEAD_LISTS = re.compile(r"^(num_heads|num_attention_heads|heads|encoder_attention_heads)$")
WIDTH, LAYERS, HEADS, FFN, VOCAB = 64, 2, 4, 128, 1000


class Unbuildable(Exception):
    """An architecture that cannot be built from a small config here; the message says why."""


def model_types():
    from transformers import CONFIG_MAPPING

    return sorted(CONFIG_MAPPING.keys())


def nearest(word, words, n=5):
    """The few entries of ``words`` closest to ``word`` (difflib), for an error message."""
    return difflib.get_close_matches(word, words, n=n, cutoff=0.5) or sorted(words)[:n]


def classes(types=None, kinds=tuple(KINDS)):
    """``(model_type, class name, kind)`` of every class of ``types`` (all: None), once."""
    from transformers.models.auto import modeling_auto

    out, seen = [], set()
    for kind in kinds:
        for model_type, names in getattr(modeling_auto, KINDS[kind]).items():
            if types is not None and model_type not in types:
                continue
            for name in [names] if isinstance(names, str) else names:
                if name not in seen:
                    seen.add(name)
                    out.append((model_type, name, kind))
    return out


def _max_token_id(d):
    ids = [v for k, v in d.items() if k.endswith("token_id") and isinstance(v, int)]
    ids += [x for k, v in d.items() if k.endswith("token_id") and isinstance(v, list)
            for x in v if isinstance(x, int)]
    ids += [v for k, v in d.items()
            if k.endswith(("token_index", "_token_idx")) and isinstance(v, int)]
    return max(ids, default=0)


def _shrink_int(key, value, d, level):
    if _LAYERS.match(key) and value > LAYERS:
        return LAYERS
    if _EXPERTS.match(key) and value > 4:
        return 4
    if _TOPK.match(key) and value > 2:
        return 2
    if key == "vocab_size" and value > VOCAB:
        return max(VOCAB, _max_token_id(d) + 1)
    if level > 0:
        return value
    rules = ((_HIDDEN, WIDTH), (_HEADS, HEADS), (_FFN, FFN), (_POSITIONS, 512))
    for pattern, cap in rules:
        if pattern.match(key) and value > cap:
            return cap
    if _KV_HEADS.match(key) and value > 1:
        return min(value, 2)
    if key == "head_dim" and value > WIDTH // HEADS:
        return WIDTH // HEADS
    return value


def _shrink_list(key, value, level):
    if level == 0 and _WIDTH_LISTS.match(key):
        return [min(x, 16 * 2 ** i) for i, x in enumerate(value)]
    if _DEPTH_LISTS.match(key):
        return [min(x, 1) if x > 0 else x for x in value]
    if level == 0 and _HEAD_LISTS.match(key):
        return [min(x, 2) for x in value]
    return value


def _per_layer_lists(d, old_layers):
    """Lists with one entry per layer (layer_types): keep every distinct value."""
    for k, v in list(d.items()):
        if not (isinstance(v, list) and v and not isinstance(v[0], (dict, list))):
            continue
        for lk, old in old_layers.items():
            if len(v) != old or d[lk] == old or k in ("hidden_sizes", "depths"):
                continue
            simple = all(isinstance(x, (str, int, bool, type(None))) for x in v)
            distinct = [x for i, x in enumerate(v) if x not in v[:i]] if simple else v[:1]
            n = min(old, max(d[lk], len(distinct)))
            d[lk] = max(d[lk], n)
            keep = [v.index(x) for x in distinct][:n]
            index = sorted(set(keep) | set(range(n)))[:n] if len(keep) < n else sorted(keep)
            d[k] = [v[i] for i in index]
            break


def shrink(d, level=0):
    """A config dict made small; ``level`` 1 shrinks layers, vocabulary and experts only."""
    d = copy.deepcopy(d)
    old_layers = {k: v for k, v in d.items()
                  if isinstance(v, int) and not isinstance(v, bool) and _LAYERS.match(k)}
    for k, v in list(d.items()):
        if isinstance(v, dict) and ("model_type" in v or k.endswith("_config")):
            d[k] = shrink(v, level)
        elif isinstance(v, int) and not isinstance(v, bool):
            d[k] = _shrink_int(k, v, d, level)
        elif isinstance(v, list) and v and all(isinstance(x, int) and not isinstance(x, bool)
                                               for x in v):
            d[k] = _shrink_list(k, v, level)
    _per_layer_lists(d, old_layers)
    n = max((d[k] for k in old_layers), default=None)
    for k, v in list(d.items()):  # dicts keyed by layer index
        if n is not None and isinstance(v, dict) and v and all(str(x).isdigit() for x in v):
            d[k] = {x: y for x, y in v.items() if int(x) < n}
    return d


def _config_class(model_type, cls):
    from transformers import CONFIG_MAPPING

    found = getattr(cls, "config_class", None)
    return found if isinstance(found, type) else CONFIG_MAPPING[model_type]


def tiny_config(model_type, class_name, limit=PARAM_LIMIT):
    """``(model class, config, parameters)`` of the smallest config that builds, on meta,
    with at most ``limit`` parameters."""
    import torch
    import transformers

    try:
        cls = getattr(transformers, class_name)
        config_class = _config_class(model_type, cls)
    except (ImportError, AttributeError) as error:
        raise Unbuildable(_first_line(error)) from None
    reasons = []
    for level in (0, 1, 2):
        try:
            if level < 2:
                doc = shrink(config_class().to_dict(), level)
                for key in ("transformers_version", "architectures", "_name_or_path"):
                    doc.pop(key, None)
                config = config_class.from_dict(doc)
            else:
                config = config_class()
            with torch.device("meta"):
                model = cls(config)
        except ImportError as error:
            raise Unbuildable(_first_line(error)) from None
        except Exception as error:  # noqa: BLE001 - any failure to build is a reason
            reasons.append(f"{type(error).__name__}: {_first_line(error)}")
            continue
        n = sum(p.numel() for p in model.parameters())
        if n <= limit:
            return cls, config, n
        reasons.append(f"{n / 1e6:.1f}M parameters at its smallest, above {limit / 1e6:g}M")
    raise Unbuildable(reasons[-1])


def _first_line(error):
    text = " ".join(str(error).split())
    return text[:160]


def inputs(model, config):
    """One small batch for ``model``'s forward pass, or None for an input it does not take."""
    import torch

    generator = torch.Generator().manual_seed(1)
    name = getattr(model, "main_input_name", "input_ids")
    text = config.get_text_config() if hasattr(config, "get_text_config") else config
    if name == "input_ids":
        vocab = getattr(text, "vocab_size", None) or 100
        ids = torch.randint(4, max(5, min(vocab, 60)), (1, 7), generator=generator)
        batch = {"input_ids": ids, "use_cache": False}
        if getattr(config, "is_encoder_decoder", False):
            batch["decoder_input_ids"] = ids
        return batch
    vision = getattr(config, "vision_config", None) or config
    if name == "pixel_values":
        size = getattr(vision, "image_size", 224)
        size = size if isinstance(size, int) else list(size)[0]
        shape = (1, getattr(vision, "num_channels", 3), size, size)
        return {"pixel_values": torch.randn(shape, generator=generator)}
    if name == "input_features":
        frames = 2 * getattr(config, "max_source_positions", 1500)
        shape = (1, getattr(config, "num_mel_bins", 80), frames)
        return {"input_features": torch.randn(shape, generator=generator)}
    if name == "input_values":
        return {"input_values": torch.randn((1, 16000), generator=generator)}
    return None
