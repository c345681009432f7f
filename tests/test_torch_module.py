"""plan_module / init_module with rules="torch" against torch's own reset code.

torch.nn.init's functions are recorded (by replacing them where torch's
modules bound them) while torch builds each module: the last call on each
tensor must be the plan's first step, with the same arguments, and the
values init_module writes must be fastinit's draw of that call on the
tensor's own stream. Tensors torch writes with tensor methods (running
statistics, padding rows) must hold the same values as torch's.
"""

import contextlib
import inspect
import math
import sys

import numpy as np
import pytest
from conftest import require

torch = require("torch")
stats = require("scipy.stats")
nn = torch.nn

import fastinit.torch as fit  # noqa: E402
from fastinit._engine import formats  # noqa: E402


def _lazy_linear():
    m = nn.LazyLinear(5)
    m(torch.zeros(2, 7))
    return m


def _lazy_conv():
    m = nn.LazyConv2d(4, 3)
    m(torch.zeros(1, 2, 5, 5))
    return m


MODULES = {
    "linear": lambda: nn.Linear(6, 5),
    "linear-nobias": lambda: nn.Linear(6, 5, bias=False),
    "bilinear": lambda: nn.Bilinear(3, 4, 5),
    "conv1d": lambda: nn.Conv1d(4, 6, 3),
    "conv2d-groups": lambda: nn.Conv2d(4, 6, (3, 2), groups=2),
    "conv3d": lambda: nn.Conv3d(2, 3, 2, bias=False),
    "convT1d": lambda: nn.ConvTranspose1d(4, 6, 3),
    "convT2d": lambda: nn.ConvTranspose2d(4, 6, 3, groups=2),
    "convT3d": lambda: nn.ConvTranspose3d(2, 3, 2),
    "embedding-pad": lambda: nn.Embedding(10, 4, padding_idx=3),
    "embedding-negpad": lambda: nn.Embedding(10, 4, padding_idx=-1),
    "embeddingbag": lambda: nn.EmbeddingBag(10, 4, padding_idx=0),
    "layernorm": lambda: nn.LayerNorm(7),
    "layernorm-nobias": lambda: nn.LayerNorm((2, 3), bias=False),
    "rmsnorm": lambda: nn.RMSNorm(7),
    "groupnorm": lambda: nn.GroupNorm(2, 6),
    "batchnorm1d": lambda: nn.BatchNorm1d(5),
    "batchnorm2d": lambda: nn.BatchNorm2d(5),
    "batchnorm3d-noaffine": lambda: nn.BatchNorm3d(5, affine=False),
    "instancenorm2d": lambda: nn.InstanceNorm2d(5, affine=True, track_running_stats=True),
    "mha": lambda: nn.MultiheadAttention(8, 2),
    "mha-kv": lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True, kdim=4, vdim=6),
    "mha-nobias": lambda: nn.MultiheadAttention(8, 2, bias=False),
    "rnn": lambda: nn.RNN(4, 5, 2),
    "lstm-proj": lambda: nn.LSTM(4, 6, proj_size=3, bidirectional=True),
    "gru": lambda: nn.GRU(4, 5, bias=False),
    "rnncell": lambda: nn.RNNCell(4, 5),
    "lstmcell": lambda: nn.LSTMCell(4, 5),
    "grucell": lambda: nn.GRUCell(4, 5),
    "prelu": lambda: nn.PReLU(3, init=0.1),
    "transformer": lambda: nn.Transformer(8, 2, 1, 1, 16, batch_first=True),
    "transformer-encoder": lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16),
                                                         2, enable_nested_tensor=False),
    "transformer-decoder": lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16),
                                                         1),
    "adaptive-softmax": lambda: nn.AdaptiveLogSoftmaxWithLoss(8, 20, [5, 10], div_value=2.0),
    "lazy-linear": _lazy_linear,
    "lazy-conv2d": _lazy_conv,
}
BINDERS = ["torch.nn.init", "torch.nn.modules.activation", "torch.nn.modules.linear",
           "torch.nn.modules.conv", "torch.nn.modules.rnn", "torch.nn.modules.sparse",
           "torch.nn.modules.normalization", "torch.nn.modules.batchnorm",
           "torch.nn.modules.transformer", "torch.nn.modules.adaptive"]
RANDOM = ("uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
          "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_")


@contextlib.contextmanager
def recording(calls):
    """Record (tensor, function name, bound arguments) of every torch.nn.init call."""
    saved = []
    originals = {name: vars(torch.nn.init)[name] for name in fit.PATCHED}
    for module_name in BINDERS:
        namespace = sys.modules[module_name].__dict__
        for name, original in originals.items():
            if namespace.get(name) is original:
                def recorder(tensor, *args, _f=original, **kwargs):
                    bound = inspect.signature(_f).bind(tensor, *args, **kwargs)
                    bound.apply_defaults()
                    arguments = dict(list(bound.arguments.items())[1:])
                    arguments.pop("generator", None)
                    calls.append((tensor, _f.__name__, arguments))
                    return _f(tensor, *args, **kwargs)
                saved.append((namespace, name, original))
                namespace[name] = recorder
    try:
        yield
    finally:
        for namespace, name, original in saved:
            namespace[name] = original


def torch_built(kind):
    """The module as torch builds it, with the last torch.nn.init call on each tensor."""
    calls = []
    with recording(calls):
        module = MODULES[kind]()
    return module, {id(t): (name, args) for t, name, args in calls}


def steps_of(row):
    """A plan row as (function name, arguments, region) steps, seed and stream apart."""
    if "steps" in row.kwargs:
        return [(s.fn, {k: v for k, v in s.kwargs.items() if k not in ("seed", "stream")},
                 s.region) for s in row.kwargs["steps"]]
    return [(row.fn.__name__, {k: v for k, v in row.kwargs.items()
                               if k not in ("seed", "stream")}, None)]


@pytest.mark.parametrize("kind", list(MODULES))
def test_torch_rules_plan_the_calls_torchs_reset_code_makes(kind):
    module, torch_calls = torch_built(kind)
    reference = {k: v.clone() for k, v in module.state_dict().items()}
    plan = fit.plan_module(module, seed=0)
    assert [p.name for p in plan] == list(module.state_dict())
    fit.init_module(module, seed=0)
    tensors = dict(module.named_parameters()) | dict(module.named_buffers())
    for row in plan:
        tensor = tensors[row.name]
        assert row.shape == tuple(tensor.shape)
        (fn, args, _), *rest = steps_of(row)
        if id(tensor) in torch_calls:
            assert (fn, args) == torch_calls[id(tensor)], row.name
        if fn in RANDOM:
            expected = getattr(fit, fn)(torch.empty(row.shape), **args, seed=0, stream=row.name)
            for _, value, region in rest:  # a padding row: torch's own value there
                expected[tuple(slice(o, o + n) for o, n in zip(*region, strict=True))] = \
                    value["val"]
            assert torch.equal(tensor.detach(), expected), row.name
        else:  # constants: torch's values exactly
            assert torch.equal(tensor, reference[row.name]), row.name


def test_transformer_constructor_reinitializes_its_layers_with_xavier():
    # nn.Transformer._reset_parameters applies xavier_uniform_ to every matrix after the
    # layers' own reset_parameters: Linear's kaiming bound would be 0.25 for fan_in 16
    model = fit.init_module(nn.Transformer(64, 4, 1, 1, 256, batch_first=True), seed=3)
    w = model.encoder.layers[0].linear2.weight.detach()  # (64, 256)
    bound = math.sqrt(6 / (64 + 256))
    assert w.abs().max().item() <= bound
    # 16384 draws of U(-b, b): the std is within 3% of b/sqrt(3) (a > 8 sigma deviation)
    assert abs(w.std().item() / (bound / math.sqrt(3)) - 1) < 0.03
    assert model.encoder.layers[0].linear2.bias.abs().max().item() <= 1 / math.sqrt(256)


def test_distributions_match_torchs_own_sampler():
    # two-sample KS per tensor at n >= 2048: reject below p = 1e-3 (false-alarm rate 0.1% per
    # test, 4 tests: 0.4% for this test); seeds are fixed, so the outcome is too
    torch.manual_seed(0)
    theirs = nn.Transformer(64, 4, 1, 1, 128, batch_first=True)
    ours = fit.init_module(nn.Transformer(64, 4, 1, 1, 128, batch_first=True), seed=1)
    for name in ("encoder.layers.0.linear1.weight", "encoder.layers.0.self_attn.in_proj_weight",
                 "decoder.layers.0.linear1.bias", "encoder.layers.0.linear2.weight"):
        a = ours.get_parameter(name).detach().reshape(-1).double().numpy()
        b = theirs.get_parameter(name).detach().reshape(-1).double().numpy()
        assert stats.ks_2samp(a, b).pvalue > 1e-3, name


class UserBlock(nn.Module):
    """A user's module whose reset_parameters calls torch.nn.init and tensor methods."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(6, 4)
        self.gate = nn.Parameter(torch.empty(4, 6))
        self.scale = nn.Parameter(torch.empty(4))
        self.register_buffer("steps", torch.empty(2))
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.orthogonal_(self.gate, gain=0.5)
        nn.init.constant_(self.scale, 0.25)
        nn.init.zeros_(self.proj.bias)  # a parent overriding its child's reset
        self.steps.fill_(3.0)
        with torch.no_grad():
            self.proj.weight.normal_(0.0, 0.02)
            self.proj.weight[0] = 1.5


def test_user_reset_parameters_runs_on_fastinit_with_name_streams():
    model = nn.Sequential(nn.Linear(3, 6), UserBlock())
    fit.init_module(model, seed=7)
    block = model[1]
    gate = fit.orthogonal_(torch.empty(4, 6), gain=0.5, seed=7, stream="1.gate")
    assert torch.equal(block.gate.detach(), gate)
    assert block.scale.tolist() == [0.25] * 4
    assert block.proj.bias.eq(0).all()
    assert block.steps.tolist() == [3.0, 3.0]
    weight = fit.normal_(torch.empty(4, 6), 0.0, 0.02, seed=7, stream="1.proj.weight")
    weight[0] = 1.5
    assert torch.equal(block.proj.weight.detach(), weight)
    first = fit.kaiming_uniform_(torch.empty(6, 3), a=math.sqrt(5), seed=7, stream="0.weight")
    assert torch.equal(model[0].weight.detach(), first)


class Noisy(nn.Module):
    """reset_parameters draws with torch.rand: fastinit cannot route that."""

    def __init__(self):
        super().__init__()
        self.gamma = nn.Parameter(torch.empty(4))
        self.reset_parameters()

    def reset_parameters(self):
        with torch.no_grad():
            self.gamma.copy_(torch.rand(4) * 0.1)


class Computed(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.empty(3, 3))
        self.reset_parameters()

    def reset_parameters(self):
        with torch.no_grad():
            self.w.copy_(torch.eye(3).cumsum(0))


@pytest.mark.parametrize(("module", "how"), [(Noisy, r"torch\.rand"),
                                             (Computed, r"copy_ of computed values")])
def test_a_module_writing_some_other_way_is_named_before_any_write(module, how):
    model = nn.Sequential(nn.Linear(2, 4), module())
    with torch.no_grad():
        model[0].weight.fill_(7.0)
    name = "1.gamma" if module is Noisy else "1.w"
    with pytest.raises(ValueError, match=rf"'{name}' \({module.__name__}\): {module.__name__} "
                                         rf"\(1\) writes it with .*{how}"):
        fit.init_module(model, seed=0)
    assert model[0].weight.eq(7.0).all()
    with pytest.raises(ValueError, match=name):
        fit.plan_module(model, seed=0)


def test_a_module_writing_some_other_way_falls_back_to_its_reset_parameters_when_asked():
    model = nn.Sequential(nn.Linear(2, 4), Noisy())
    plan = fit.plan_module(model, seed=0, on_unknown="reset_parameters")
    assert [p.name for p in plan] == ["0.weight", "0.bias"]
    torch.manual_seed(0)
    fit.init_module(model, seed=0, on_unknown="reset_parameters")
    torch.manual_seed(0)
    assert torch.equal(model[1].gamma.detach(), torch.rand(4) * 0.1)


def test_a_module_without_reset_code_is_named():
    class Bare(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(2))

    with pytest.raises(ValueError, match=r"'w' \(Bare\): no initialization code writes it"):
        fit.plan_module(Bare(), seed=0)


def test_lazy_modules_must_be_materialized_first():
    with pytest.raises(ValueError, match="lazy"):
        fit.plan_module(nn.Sequential(nn.LazyLinear(3)), seed=0)


def test_recorded_resets_are_cached_per_attributes_not_per_class():
    a = fit.init_module(nn.PReLU(3, init=0.1), seed=0)
    b = fit.init_module(nn.PReLU(3, init=0.3), seed=0)
    assert a.weight.tolist() == pytest.approx([0.1] * 3)
    assert b.weight.tolist() == pytest.approx([0.3] * 3)
    c = fit.init_module(nn.Embedding(5, 2, padding_idx=1), seed=0)
    d = fit.init_module(nn.Embedding(5, 2, padding_idx=3), seed=0)
    assert c.weight[1].eq(0).all()
    assert d.weight[3].eq(0).all()
    assert d.weight[1].ne(0).all()


def test_plan_entries_have_the_checkpoint_interface():
    from fastinit import checkpoint

    entry = fit.plan_module(nn.Sequential(nn.Linear(3, 2)), seed=7)[0]
    assert type(entry) is fit.ParamInit is checkpoint.PlanRow
    assert entry._fields == ("name", "shape", "fn", "kwargs", "piecewise")
    assert entry.name == "0.weight"
    assert entry.shape == (2, 3)
    assert entry.fn is fit.kaiming_uniform_
    assert entry.kwargs["seed"] == 7
    assert entry.kwargs["stream"] == "0.weight"
    assert entry.piecewise


@pytest.mark.parametrize("kind", ["linear", "embedding-pad", "embedding-negpad", "mha-kv",
                                  "lstm-proj", "batchnorm2d", "transformer", "prelu"])
def test_piecewise_entries_fill_any_flat_slice_alone(kind):
    for entry in fit.plan_module(MODULES[kind](), seed=1):
        whole = np.zeros(entry.shape, np.float32)
        entry.fn(whole, **entry.kwargs)
        n = whole.size
        if entry.piecewise and n > 1:
            parts = np.zeros(n, np.float32)
            for lo, hi in ((0, n // 3), (n // 3, n - 1), (n - 1, n)):
                entry.fn(parts[lo:hi], **entry.kwargs, full_shape=entry.shape, offset=lo)
            np.testing.assert_array_equal(parts, whole.reshape(-1), err_msg=entry.name)


def test_plan_rows_fill_what_init_module_writes():
    model = nn.Sequential(nn.Embedding(9, 4, padding_idx=2), nn.BatchNorm1d(4),
                          nn.Transformer(8, 2, 1, 1, 16, batch_first=True))
    plan = fit.plan_module(model, seed=5)
    fit.init_module(model, seed=5)
    state = model.state_dict()
    for entry in plan:
        dtype = np.int64 if state[entry.name].dtype == torch.int64 else np.float32
        values = entry.fn(np.zeros(entry.shape, dtype), **entry.kwargs)
        assert np.array_equal(values, state[entry.name].numpy()), entry.name


def test_values_of_a_parameter_do_not_depend_on_other_layers():
    small = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    big = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4))
    fit.init_module(small, seed=3)
    fit.init_module(big, seed=3)
    assert torch.equal(small[1].weight, big[1].weight)
    assert not torch.equal(big[1].weight, big[2].weight)


def test_meta_device_flow_equals_init_of_a_cpu_module():
    def build():
        return nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8),
                             nn.Embedding(5, 8, padding_idx=0),
                             nn.Transformer(8, 2, 1, 1, 16, batch_first=True))

    with torch.device("meta"):
        meta = build()
    meta.to_empty(device="cpu")
    fit.init_module(meta, seed=11)
    cpu = fit.init_module(build(), seed=11)
    for (name, a), b in zip(meta.state_dict().items(), cpu.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_unfilled_meta_module_gets_the_materialize_hint():
    with torch.device("meta"):
        meta = nn.Linear(4, 4)
    with pytest.raises(ValueError, match=r"module.to_empty\(device='cpu'\)"):
        fit.init_module(meta, seed=0)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float64])
def test_init_module_dtype_equals_plan_on_numpy_buffers(dtype):
    module = fit.init_module(nn.Sequential(nn.Linear(5, 7), nn.LayerNorm(7)), seed=2,
                             dtype=dtype)
    np_dtype = {torch.bfloat16: formats.BFLOAT16, torch.float16: np.float16,
                torch.float64: np.float64}[dtype]
    for entry in fit.plan_module(module, seed=2):
        tensor = module.state_dict()[entry.name]
        assert tensor.dtype == dtype
        expected = entry.fn(np.empty(entry.shape, np_dtype), **entry.kwargs)
        bits = torch.int16 if tensor.element_size() == 2 else torch.int64
        assert tensor.view(bits).numpy().tobytes() == expected.tobytes(), entry.name


def test_init_module_is_independent_of_threads_and_backend(backend):
    a = fit.init_module(nn.Linear(300, 70), seed=5, n_threads=1, backend="numba")
    b = fit.init_module(nn.Linear(300, 70), seed=5, n_threads=2, backend=backend)
    assert torch.equal(a.weight, b.weight)
    assert torch.equal(a.bias, b.bias)


class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.gamma = nn.Parameter(torch.empty(4))
        self.register_buffer("steps", torch.empty(2))


def test_a_callable_rule_comes_first_and_none_falls_through():
    def rule(name, module, tensor):
        if isinstance(module, Scale):
            return fit.normal_, {"std": 0.1} if name.endswith("gamma") else None
        return None

    def both(name, module, tensor):
        return (fit.ones_, {}) if name.endswith("steps") else rule(name, module, tensor)

    model = fit.init_module(nn.Sequential(nn.Linear(2, 4), Scale()), seed=0,
                            rules=[both, "torch"])
    assert model[1].steps.tolist() == [1.0, 1.0]
    expected = fit.normal_(torch.empty(4), std=0.1, seed=0, stream="1.gamma")
    assert torch.equal(model[1].gamma.detach(), expected)


def test_bad_rules_and_on_unknown_are_refused():
    with pytest.raises(ValueError, match="rules must be 'torch', 'hf', a callable"):
        fit.plan_module(nn.Linear(2, 2), seed=0, rules="keras")
    with pytest.raises(ValueError, match="on_unknown must be one of"):
        fit.plan_module(nn.Linear(2, 2), seed=0, on_unknown="skip")


def test_tied_weights_are_planned_once():
    emb = nn.Embedding(6, 4)
    head = nn.Linear(4, 6, bias=False)
    head.weight = emb.weight
    names = [p.name for p in fit.plan_module(nn.ModuleDict({"emb": emb, "head": head}), seed=0)]
    assert names == ["emb.weight"]


def test_bias_bound_is_torchs_formula():
    conv = nn.Conv2d(3, 8, 5)
    (bias,) = [p for p in fit.plan_module(conv, seed=0) if p.name == "bias"]
    assert bias.kwargs["b"] == 1 / math.sqrt(3 * 25)


def deep(width=16, depth=12):
    return nn.Sequential(nn.Embedding(500, width),
                         *[nn.Sequential(nn.Linear(width, width), nn.LayerNorm(width))
                           for _ in range(depth)], nn.Linear(width, 300))


def test_pool_of_threads_changes_no_value():
    # the embedding and the head get all threads, the small layers one thread each on a pool
    one = fit.init_module(deep(), seed=4, n_threads=1)
    two = fit.init_module(deep(), seed=4, n_threads=2)
    three = fit.init_module(deep(), seed=4, n_threads=3, backend="numba")
    for (name, a), b, c in zip(one.state_dict().items(), two.state_dict().values(),
                               three.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
        assert torch.equal(a, c), name


def test_plan_of_a_meta_module_needs_no_memory():
    with torch.device("meta"):
        model = deep()
    plan = fit.plan_module(model, seed=0)
    assert [p.name for p in plan] == list(deep().state_dict())
    assert plan[0].shape == (500, 16)


def test_a_tensor_that_cannot_be_filled_stops_init_module_before_any_write():
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    with torch.no_grad():
        model[1].weight.set_(torch.zeros(8, 4)[::2])  # a non-contiguous view
        model[0].weight.fill_(7.0)
    with pytest.raises(ValueError, match="must be a contiguous tensor"):
        fit.init_module(model, seed=0)
    assert model[0].weight.eq(7.0).all()


def test_checkpoint_rows_of_several_steps_take_the_writers_seed_or_refuse_another(tmp_path):
    require("safetensors")
    from safetensors.numpy import load_file

    from fastinit import checkpoint
    from fastinit.torch import _ops, _recipes

    # an embedding's recipe whose draw names no seed: the writer's seed fills it in
    steps = _recipes.Steps((_recipes.step("normal_", {"mean": 0.0, "std": 1.0}, stream="w"),
                            _recipes.step("zeros_", {}, _ops.Region((2, 0), (1, 4)))))
    row = checkpoint.PlanRow("w", (6, 4), _recipes.recipe_, {"steps": steps}, True)
    checkpoint.write(tmp_path / "a", [row], seed=5, dtype="float32", progress=False)
    stored = load_file(tmp_path / "a" / "model.safetensors")["w"]
    expected = fit.normal_(torch.empty(6, 4), seed=5, stream="w")
    expected[2] = 0
    assert np.array_equal(stored, expected.numpy())
    with pytest.raises(ValueError, match="seed=6 and a row with seed=5"):
        checkpoint.write(tmp_path / "b", [row.seeded(5)], seed=6, progress=False)
