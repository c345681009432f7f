"""rules="hf" against transformers' own _init_weights, and fastinit.torch.patched()."""

import math
import sys

import pytest
from conftest import require

torch = require("torch")
transformers = require("transformers")
nn = torch.nn

from transformers import initialization as hf_init  # noqa: E402

import fastinit.torch as fit  # noqa: E402


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
            calls[id(tensor)] = (name, args, {k: v for k, v in kwargs.items() if k != "generator"})
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


def build(family):
    cfg = getattr(transformers, f"{family}Config")(
        vocab_size=64, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=8, pad_token_id=5,
        eos_token_id=1, bos_token_id=2, initializer_range=0.03, tie_word_embeddings=False)
    return getattr(transformers, f"{family}ForCausalLM")(cfg)


@pytest.mark.parametrize("family", FAMILIES)
def test_hf_rules_call_what_transformers_init_weights_calls(family):
    model, calls = hf_calls(lambda: build(family))
    tensors = dict(model.named_parameters()) | dict(model.named_buffers())
    plan = fit.plan_module(model, seed=0, rules="hf")
    assert [p.name for p in plan] == list(model.state_dict())
    for entry in plan:
        name, args, kwargs = calls[id(tensors[entry.name])]
        ours = {k: v for k, v in entry.kwargs.items() if k not in ("seed", "stream")}
        if entry.fn is fit.embedding_normal_:
            assert ours.pop("padding_idx") == 5
            assert (name, kwargs) == ("normal_", ours)
        else:
            assert (name, kwargs) == (entry.fn.__name__, ours), entry.name
        if name == "normal_":
            assert kwargs["std"] == 0.03


def test_hf_init_of_a_meta_model_equals_transformers_structure():
    reference = transformers.LlamaForCausalLM(config())
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(config())
    model.to_empty(device="cpu")
    fit.init_module(model, seed=0, rules="hf")
    state = model.state_dict()
    assert state["model.embed_tokens.weight"][5].abs().sum().item() == 0
    assert state["model.norm.weight"].eq(1).all()
    std = state["model.layers.0.mlp.up_proj.weight"].std().item()
    assert abs(std - 0.03) < 0.03 * 0.1  # 1536 samples: the std is within 10% at > 5 sigma
    rotary = model.model.rotary_emb
    torch.testing.assert_close(rotary.inv_freq, reference.model.rotary_emb.inv_freq, rtol=0,
                               atol=0)
    assert set(state) == set(reference.state_dict())


@pytest.mark.parametrize("tied", [True, False])
def test_hf_init_keeps_the_padding_row_zero_like_transformers(tied):
    # transformers initializes, then ties lm_head.weight to the embedding: the tied
    # tensor keeps the embedding's init, padding row zero
    reference = transformers.LlamaForCausalLM(config(tie_word_embeddings=tied))
    assert reference.model.embed_tokens.weight[5].abs().sum().item() == 0
    model = transformers.LlamaForCausalLM(config(tie_word_embeddings=tied))
    assert (model.lm_head.weight is model.model.embed_tokens.weight) == tied
    fit.init_module(model, seed=0, rules="hf")
    assert (model.lm_head.weight is model.model.embed_tokens.weight) == tied
    for ours, theirs in [(model.model.embed_tokens.weight, reference.model.embed_tokens.weight),
                         (model.lm_head.weight, reference.lm_head.weight)]:
        assert ours[5].eq(0).all().item() == theirs[5].eq(0).all().item()
    weight = model.model.embed_tokens.weight.detach()
    rest = torch.cat([weight[:5], weight[6:]])
    assert rest.ne(0).all()
    assert abs(rest.std().item() - 0.03) < 0.03 * 0.1  # 1984 samples: within 10% at > 6 sigma
    assert abs(rest.mean().item()) < 0.03 * 0.1


def test_hf_std_falls_back_like_transformers():
    assert fit.plan_module(transformers.LlamaForCausalLM(config(initializer_range=0.0)), seed=0,
                           rules="hf")[0].kwargs["std"] == 0.02
    assert fit.plan_module(nn.Linear(2, 2), seed=0, rules="hf")[0].kwargs["std"] == 0.02


def test_hf_does_not_know_what_transformers_does_not_initialize():
    with pytest.raises(ValueError, match=r"no rule in 'hf' for '0.weight' \(ConvTranspose3d\)"):
        fit.plan_module(nn.Sequential(nn.ConvTranspose3d(2, 2, 2)), seed=0, rules="hf")


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
            + list(hf_init.TORCH_INIT_FUNCTIONS.values()))


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
    assert meta.weight.is_meta
    assert torch.equal(t, fit.normal_(torch.empty(3), seed=0, stream=0))


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
