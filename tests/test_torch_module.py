"""plan_module / init_module with rules="torch" against torch's own reset_parameters.

torch.nn.init's functions are recorded while torch builds each module: the
last call on each tensor must be the plan's function with the same arguments.
Tensors torch resets without an init function (running statistics, padding
rows) must get the same values.
"""

import contextlib
import inspect
import math
import sys

import numpy as np
import pytest
from conftest import require

torch = require("torch")
nn = torch.nn

import fastinit.torch as fit  # noqa: E402
from fastinit._engine import formats  # noqa: E402

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
}
BINDERS = ["torch.nn.init", "torch.nn.modules.activation", "torch.nn.modules.linear",
           "torch.nn.modules.conv", "torch.nn.modules.rnn", "torch.nn.modules.sparse",
           "torch.nn.modules.normalization", "torch.nn.modules.batchnorm"]


@contextlib.contextmanager
def recording(calls):
    """Record (tensor, function name, bound arguments) of every torch.nn.init call."""
    saved = []
    originals = {name: getattr(torch.nn.init, name) for name in fit.PATCHED}
    for module_name in BINDERS:
        namespace = sys.modules[module_name].__dict__
        for name, original in originals.items():
            if namespace.get(name) is original:
                def recorder(tensor, *args, _f=original, **kwargs):
                    bound = inspect.signature(_f).bind(tensor, *args, **kwargs)
                    bound.apply_defaults()
                    calls.append((tensor, _f.__name__, dict(list(bound.arguments.items())[1:])))
                    return _f(tensor, *args, **kwargs)
                saved.append((namespace, name, original))
                namespace[name] = recorder
    try:
        yield
    finally:
        for namespace, name, original in saved:
            namespace[name] = original


def ours(entry):
    """The plan entry as (function name, arguments with defaults), seed/stream dropped."""
    bound = inspect.signature(entry.fn).bind(np.empty(0), **entry.kwargs)
    bound.apply_defaults()
    args = {k: v for k, v in list(bound.arguments.items())[1:]
            if k not in ("seed", "stream", "full_shape", "origin", "offset", "n_threads",
                         "backend")}
    return entry.fn.__name__, args


def last_calls(module, calls):
    by_tensor = {}
    for tensor, name, args in calls:
        by_tensor[id(tensor)] = (name, {k: v for k, v in args.items() if k != "generator"})
    return by_tensor


@pytest.mark.parametrize("kind", list(MODULES))
def test_torch_rules_call_what_reset_parameters_calls(kind):
    calls = []
    with recording(calls):
        module = MODULES[kind]()
    torch_calls = last_calls(module, calls)
    reference = {k: v.clone() for k, v in module.state_dict().items()}
    plan = fit.plan_module(module, seed=0)
    assert [p.name for p in plan] == list(module.state_dict())
    fit.init_module(module, seed=0)
    tensors = dict(module.named_parameters()) | dict(module.named_buffers())
    for entry in plan:
        name, args = ours(entry)
        tensor = tensors[entry.name]
        assert entry.shape == tuple(tensor.shape)
        if name == "embedding_normal_":
            assert torch_calls[id(tensor)] == ("normal_", {"mean": 0.0, "std": 1.0})
            row = args["padding_idx"]
            assert torch.equal(tensor[row], reference[entry.name][row])
            assert not tensor[(row + 1) % len(tensor)].eq(0).any()
        elif id(tensor) in torch_calls:
            assert (name, args) == torch_calls[id(tensor)], entry.name
        else:  # torch resets it with tensor methods: same values required
            assert name in ("zeros_", "ones_")
            assert torch.equal(tensor, reference[entry.name]), entry.name


def test_plan_entries_have_the_checkpoint_interface():
    entry = fit.plan_module(nn.Sequential(nn.Linear(3, 2)), seed=7)[0]
    assert entry._fields == ("name", "shape", "fn", "kwargs", "piecewise")
    assert entry.name == "0.weight"
    assert entry.shape == (2, 3)
    assert entry.fn is fit.kaiming_uniform_
    assert entry.kwargs["seed"] == 7
    assert entry.kwargs["stream"] == "0.weight"
    assert entry.piecewise


@pytest.mark.parametrize("kind", list(MODULES))
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


def test_values_of_a_parameter_do_not_depend_on_other_layers():
    small = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    big = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4))
    fit.init_module(small, seed=3)
    fit.init_module(big, seed=3)
    assert torch.equal(small[1].weight, big[1].weight)
    assert not torch.equal(big[1].weight, big[2].weight)


def test_meta_device_flow_equals_init_of_a_cpu_module():
    with torch.device("meta"):
        meta = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.Embedding(5, 8, padding_idx=0))
    meta.to_empty(device="cpu")
    fit.init_module(meta, seed=11)
    cpu = fit.init_module(nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8),
                                        nn.Embedding(5, 8, padding_idx=0)), seed=11)
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

    def reset_parameters(self):
        nn.init.constant_(self.gamma, 0.5)
        self.steps.fill_(3.0)


def test_unknown_module_raises_naming_the_parameter():
    with pytest.raises(ValueError, match=r"no rule in 'torch' for '1.gamma' \(Scale\)"):
        fit.plan_module(nn.Sequential(nn.Linear(2, 4), Scale()), seed=0)


def test_unknown_module_falls_back_to_its_reset_parameters_when_asked():
    model = nn.Sequential(nn.Linear(2, 4), Scale())
    plan = fit.plan_module(model, seed=0, on_unknown="reset_parameters")
    assert [p.name for p in plan] == ["0.weight", "0.bias"]
    fit.init_module(model, seed=0, on_unknown="reset_parameters")
    assert model[1].gamma.tolist() == [0.5] * 4
    assert model[1].steps.tolist() == [3.0, 3.0]


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


def test_bilinear_with_no_inputs_raises_torchs_error():
    with pytest.raises(ValueError, match=r"in1_features must be > 0, but got \(in1_features=0\)"):
        fit.plan_module(nn.Bilinear(0, 2, 2), seed=0)


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
