"""rules="hf" against transformers' own Model(config), and fastinit.torch.patched()."""

import math
import sys

import pytest
from conftest import require

torch = require("torch")
transformers = require("transformers")
nn = torch.nn

from transformers import initialization as hf_init  # noqa: E402

import fastinit.torch as fit  # noqa: E402

transformers.logging.set_verbosity_error()


def config(**overrides):
    kwargs = dict(vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, pad_token_id=5,
                  initializer_range=0.03, tie_word_embeddings=False)
    return transformers.LlamaConfig(**(kwargs | overrides))


def hf_calls(make):
    """Build with transformers' init functions recorded: {id(tensor): (name, args)} (last call)."""
    calls = {}
    saved = dict(hf_init.TORCH_INIT_FUNCTIONS)

    def recorder(name):
        def record(tensor, *args, **kwargs):
            kwargs = {k: v for k, v in kwargs.items() if k != "generator"}
            calls[id(tensor)] = (name, kwargs)
            calls.setdefault("views", []).append((tensor, name, kwargs))
            return saved[name](tensor, *args, **kwargs)
        return record

    for name in saved:
        hf_init.TORCH_INIT_FUNCTIONS[name] = recorder(name)
    try:
        model = make()
    finally:
        hf_init.TORCH_INIT_FUNCTIONS.update(saved)
    return model, calls


FAMILIES = ["Llama", "Mistral", "Qwen2", "Gemma", "Phi3"]  # Gemma overrides _init_weights


def build(family, **overrides):
    cfg = getattr(transformers, f"{family}Config")(**(dict(
        vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=8, pad_token_id=5,
        eos_token_id=1, bos_token_id=2, initializer_range=0.03, tie_word_embeddings=False)
        | overrides))
    return getattr(transformers, f"{family}ForCausalLM")(cfg)


def first_step(row):
    """(function name, arguments) of a plan row's whole-tensor step, seed and stream apart."""
    if "steps" in row.kwargs:
        step = row.kwargs["steps"][0]
        fn, kwargs = step.fn, step.kwargs
    else:
        fn, kwargs = row.fn.__name__, row.kwargs
    return fn, {k: v for k, v in kwargs.items() if k not in ("seed", "stream")}


@pytest.mark.parametrize("family", FAMILIES)
def test_hf_plan_is_what_transformers_init_weights_calls(family):
    model, calls = hf_calls(lambda: build(family))
    tensors = dict(model.named_parameters()) | dict(model.named_buffers())
    plan = fit.plan_module(model, seed=0, rules="hf")
    assert [p.name for p in plan] == list(model.state_dict())
    for row in plan:
        assert first_step(row) == calls[id(tensors[row.name])], row.name
    embed = next(r for r in plan if r.name == "model.embed_tokens.weight")
    pad = embed.kwargs["steps"][1]  # then transformers zeroes the padding row
    assert (pad.fn, pad.region) == ("zeros_", ((5, 0), (1, 32)))
    if family == "Gemma":
        assert first_step(next(r for r in plan if r.name == "model.norm.weight")) == \
            ("zeros_", {})


def test_hf_values_are_fastinit_draws_of_transformers_calls_on_name_streams():
    model = fit.init_module(build("Llama"), seed=4, rules="hf")
    q = model.model.layers[1].self_attn.q_proj.weight.detach()
    assert torch.equal(q, fit.normal_(torch.empty(q.shape), 0.0, 0.03, seed=4,
                                      stream="model.layers.1.self_attn.q_proj.weight"))
    embed = fit.normal_(torch.empty(64, 32), 0.0, 0.03, seed=4,
                        stream="model.embed_tokens.weight")
    embed[5] = 0
    assert torch.equal(model.model.embed_tokens.weight.detach(), embed)


def test_gpt2_residual_projections_get_transformers_scaled_std():
    cfg = transformers.GPT2Config(n_embd=32, n_layer=4, n_head=4, vocab_size=80, n_positions=16)
    model, calls = hf_calls(lambda: transformers.GPT2LMHeadModel(cfg))
    rows = {r.name: r for r in fit.plan_module(model, seed=0, rules="hf")}
    std = 0.02 / math.sqrt(2 * 4)
    assert first_step(rows["transformer.h.0.attn.c_proj.weight"]) == \
        ("normal_", {"mean": 0.0, "std": std})
    assert first_step(rows["transformer.h.0.attn.c_attn.weight"])[1]["std"] == 0.02


@pytest.mark.parametrize("family", ["Llama", "Gemma"])
def test_meta_built_model_after_init_equals_model_config_where_it_is_deterministic(family):
    reference = build(family)
    with torch.device("meta"):
        model = build(family)
    model.to_empty(device="cpu")
    fit.init_module(model, seed=0, rules="hf")
    ours, theirs = dict(model.named_buffers()), dict(reference.named_buffers())
    assert set(ours) == set(theirs)
    for name, value in theirs.items():  # rotary tables: what the constructor computes
        assert torch.equal(ours[name], value), name
    state = model.state_dict()
    assert state["model.embed_tokens.weight"][5].abs().sum().item() == 0
    assert state["model.norm.weight"].eq(0 if family == "Gemma" else 1).all()
    std = state["model.layers.0.mlp.up_proj.weight"].std().item()
    assert abs(std - 0.03) < 0.03 * 0.1  # 1536 samples: the std is within 10% at > 5 sigma
    ids = torch.tensor([[1, 7, 9, 3]])
    assert torch.isfinite(model(ids).logits).all()


def test_bert_position_and_token_type_buffers_are_the_constructors():
    cfg = transformers.BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                                  intermediate_size=64, vocab_size=90,
                                  max_position_embeddings=40)
    reference = transformers.BertForMaskedLM(cfg)
    with torch.device("meta"):
        model = transformers.BertForMaskedLM(cfg)
    model.to_empty(device="cpu")
    with torch.no_grad():
        for b in model.buffers():
            b.fill_(7)  # what to_empty leaves is undefined: make it visible
    fit.init_module(model, seed=0, rules="hf")
    for name, value in reference.named_buffers():
        assert torch.equal(model.get_buffer(name), value), name
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight


@pytest.mark.parametrize("tied", [True, False])
def test_ties_hold_after_to_empty_as_in_model_config(tied):
    reference = transformers.LlamaForCausalLM(config(tie_word_embeddings=tied))
    assert (reference.lm_head.weight is reference.model.embed_tokens.weight) == tied
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(config(tie_word_embeddings=tied))
    model.to_empty(device="cpu")
    assert model.lm_head.weight is not model.model.embed_tokens.weight  # to_empty untied it
    plan = fit.plan_module(model, seed=0, rules="hf")
    fit.init_module(model, seed=0, rules="hf")
    assert (model.lm_head.weight is model.model.embed_tokens.weight) == tied
    head = next(r for r in plan if r.name == "lm_head.weight")
    stream = (head.kwargs["steps"][0].kwargs if "steps" in head.kwargs else head.kwargs)["stream"]
    assert (stream == "model.embed_tokens.weight") == tied
    for ours, theirs in [(model.model.embed_tokens.weight, reference.model.embed_tokens.weight),
                         (model.lm_head.weight, reference.lm_head.weight)]:
        assert ours[5].eq(0).all().item() == theirs[5].eq(0).all().item()
    weight = model.model.embed_tokens.weight.detach()
    rest = torch.cat([weight[:5], weight[6:]])
    assert rest.ne(0).all()
    assert abs(rest.std().item() - 0.03) < 0.03 * 0.1  # 1984 samples: within 10% at > 6 sigma
    assert abs(rest.mean().item()) < 0.03 * 0.1


class TinyConfig(transformers.PretrainedConfig):
    model_type = "fastinit-tiny"

    def __init__(self, width=6, leave_empty=False, **kwargs):
        self.width = width
        self.leave_empty = leave_empty
        super().__init__(**kwargs)


class TinyModel(transformers.PreTrainedModel):
    """Constructor values transformers' _init_weights never touches."""

    config_class = TinyConfig

    def __init__(self, config):
        super().__init__(config)
        self.proj = nn.Linear(config.width, config.width)
        self.noise = nn.Parameter(torch.randn(config.width, 3) * 0.5)  # a random temporary
        self.scale = nn.Parameter(torch.tensor(2.5))
        self.register_buffer("steps", torch.arange(config.width), persistent=False)
        if config.leave_empty:
            self.hole = nn.Parameter(torch.empty(4))
        self.post_init()


def test_constructor_values_are_replayed_with_random_temporaries_on_derived_streams():
    cfg = TinyConfig()
    model = fit.init_module(TinyModel(cfg), seed=9, rules="hf")
    noise = fit.normal_(torch.empty(6, 3), seed=9, stream="noise#0") * 0.5
    assert torch.equal(model.noise.detach(), noise)
    assert model.scale.item() == 2.5
    assert model.steps.tolist() == list(range(6))
    assert torch.equal(model.proj.weight.detach(), fit.normal_(torch.empty(6, 6), 0.0, 0.02,
                                                              seed=9, stream="proj.weight"))


def test_a_tensor_transformers_leaves_empty_is_named_before_any_write():
    model = TinyModel(TinyConfig(leave_empty=True))
    with torch.no_grad():
        model.proj.weight.fill_(3.0)
    with pytest.raises(ValueError, match=r"'hole' \(TinyModel\): transformers' code leaves it "
                                         r"uninitialized"):
        fit.init_module(model, seed=0, rules="hf")
    assert model.proj.weight.eq(3.0).all()


def test_a_model_its_config_no_longer_builds_runs_its_own_init_weights():
    model = build("Llama")
    model.resize_token_embeddings(70)  # the config now says 70, the rebuilt model would too
    model.model.layers[0].mlp.up_proj = nn.Linear(32, 48, bias=True)  # not in the config
    fit.init_module(model, seed=1, rules="hf")
    up = model.model.layers[0].mlp.up_proj
    assert up.bias.eq(0).all()
    assert torch.equal(up.weight.detach(), fit.normal_(torch.empty(48, 32), 0.0, 0.03, seed=1,
                                                      stream="model.layers.0.mlp.up_proj.weight"))
    assert model.model.embed_tokens.weight[5].eq(0).all()


def test_hf_std_falls_back_like_transformers():
    rows = fit.plan_module(transformers.LlamaForCausalLM(config(initializer_range=0.0)), seed=0,
                           rules="hf")
    assert first_step(rows[1]) == ("normal_", {"mean": 0.0, "std": 0.02})
    assert first_step(fit.plan_module(nn.Linear(2, 2), seed=0, rules="hf")[0])[1]["std"] == 0.02


def test_hf_does_not_know_what_transformers_does_not_initialize():
    with pytest.raises(ValueError, match=r"nothing in 'hf' that initializes '0.weight' "
                                         r"\(ConvTranspose3d\)"):
        fit.plan_module(nn.Sequential(nn.ConvTranspose3d(2, 2, 2)), seed=0, rules="hf")


def test_torch_then_hf_rules_cover_a_llama():
    model = fit.init_module(build("Llama"), seed=0, rules=("torch", "hf"))
    up = model.model.layers[0].mlp.up_proj.weight
    assert up.abs().max().item() <= 1 / math.sqrt(32)  # Linear's kaiming_uniform_(a=sqrt(5))
    assert model.model.norm.weight.eq(1).all()  # LlamaRMSNorm: transformers' ones_


def patched_model(seed):
    with fit.patched(seed=seed):
        return transformers.LlamaForCausalLM(config())


def test_patched_model_code_is_reproducible_and_seeded():
    a, b, c = patched_model(0), patched_model(0), patched_model(1)
    for (name, x), y, z in zip(a.state_dict().items(), b.state_dict().values(),
                               c.state_dict().values(), strict=True):
        assert torch.equal(x, y), name
        if "proj" in name:
            assert not torch.equal(x, z), name
    assert a.state_dict()["model.embed_tokens.weight"][5].abs().sum().item() == 0


def test_patched_streams_are_numbered_by_call_order():
    with fit.patched(seed=9):
        layer = nn.Linear(10, 4)
    weight = fit.kaiming_uniform_(torch.empty(4, 10), math.sqrt(5), seed=9, stream=0)
    bias = fit.uniform_(torch.empty(4), -1 / math.sqrt(10), 1 / math.sqrt(10), seed=9,
                        stream=1)
    assert torch.equal(layer.weight.detach(), weight)
    assert torch.equal(layer.bias.detach(), bias)


def originals():
    binders = [sys.modules[m].__dict__ for m in ("torch.nn.init", "torch.nn.modules.activation")]
    return ([ns.get(n) for ns in binders for n in fit.PATCHED]
            + list(hf_init.TORCH_INIT_FUNCTIONS.values())
            + [transformers.PreTrainedModel.initialize_weights])


def test_patched_restores_torchs_functions_on_exit_and_on_error():
    before = originals()
    with fit.patched(seed=0):
        assert torch.nn.init.normal_ is not before[1]
        assert sys.modules["torch.nn.modules.activation"].xavier_uniform_.__wrapped__ \
            is fit.xavier_uniform_
        assert hf_init.TORCH_INIT_FUNCTIONS["normal_"].__wrapped__ is fit.normal_
    assert originals() == before
    with pytest.raises(RuntimeError, match="boom"), fit.patched(seed=0):
        raise RuntimeError("boom")
    assert originals() == before
    with pytest.raises(TypeError, match=r"seed must be given|seed must be an integer"):
        fit.normal_(torch.empty(2))


def test_patched_leaves_meta_tensors_alone_and_ignores_generators():
    with fit.patched(seed=0):
        with torch.device("meta"):
            meta = nn.Linear(4, 4)
        t = nn.init.normal_(torch.empty(3), generator=torch.Generator())
        u = nn.init.uniform_(torch.empty(3), 0.0, 1.0, torch.Generator())
    assert meta.weight.is_meta
    assert torch.equal(t, fit.normal_(torch.empty(3), seed=0, stream=0))
    assert torch.equal(u, fit.uniform_(torch.empty(3), seed=0, stream=1))


def test_patched_refuses_a_bad_seed_before_patching():
    before = originals()
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*64\)"), \
            fit.patched(seed=-1):
        pass
    assert originals() == before


def test_patched_reaches_functions_bound_by_name_in_any_loaded_module(monkeypatch):
    import types

    user = types.ModuleType("user_model_code")
    user.xavier_uniform_ = torch.nn.init.xavier_uniform_  # from torch.nn.init import ...
    monkeypatch.setitem(sys.modules, "user_model_code", user)
    with fit.patched(seed=2):
        w = user.xavier_uniform_(torch.empty(6, 4))
    assert user.xavier_uniform_ is torch.nn.init.xavier_uniform_
    assert torch.equal(w, fit.xavier_uniform_(torch.empty(6, 4), seed=2, stream=0))


def test_patched_routes_only_the_calling_thread():
    import threading

    seen = {}
    inside, done = threading.Event(), threading.Event()

    def other():
        inside.wait()
        torch.manual_seed(3)
        seen["other"] = torch.nn.init.normal_(torch.empty(50))
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with fit.patched(seed=0):
        inside.set()
        done.wait()
        mine = torch.nn.init.normal_(torch.empty(50))
    thread.join()
    torch.manual_seed(3)
    assert torch.equal(seen["other"], torch.nn.init.normal_(torch.empty(50)))  # torch's own
    assert torch.equal(mine, fit.normal_(torch.empty(50), seed=0, stream=0))
