"""fastinit.torch's drop-ins against torch.nn.init itself.

Scales are compared exactly: torch's ``Tensor.uniform_``/``normal_`` and
fastinit's engine calls are intercepted and their bounds/std must be equal
floats, for dense and conv1d/2d/3d shapes and every mode and nonlinearity.
Distributions are compared with torch's own sampler by two-sample KS tests.
"""

import math

import numpy as np
import pytest
from conftest import require

torch = require("torch")
stats = require("scipy.stats")

import fastinit.torch as fit  # noqa: E402
from fastinit.torch import _nn_init  # noqa: E402

SHAPES = {"dense": (30, 20), "conv1d": (8, 4, 3), "conv2d": (8, 4, 3, 5),
          "conv3d": (6, 4, 2, 3, 3)}
NONLINEARITIES = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
                  ("conv_transpose1d", None), ("conv_transpose2d", None),
                  ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                  ("leaky_relu", None), ("leaky_relu", 0), ("leaky_relu", 0.2),
                  ("leaky_relu", math.sqrt(5)), ("selu", None)]
# Two-sample KS at n = 20000 each: reject below p = 1e-3, the false-alarm rate of each test
# (11 tests: at most 1.1% for the file); seeds are fixed, so the outcome is too.
KS_P = 1e-3
N = 20_000


def torch_scale(monkeypatch, func, shape, *args, **kwargs):
    """The (low, high) or (mean, std) torch's ``func`` hands to Tensor.uniform_/normal_."""
    seen = []
    for method in ("uniform_", "normal_"):
        original = getattr(torch.Tensor, method)

        def record(self, a=0.0, b=1.0, *, generator=None, _o=original, _m=method):
            seen.append((_m, a, b))
            return _o(self, a, b, generator=generator)
        monkeypatch.setattr(torch.Tensor, method, record)
    func(torch.empty(shape), *args, **kwargs)
    monkeypatch.undo()
    return seen[-1]


def our_scale(monkeypatch, func, shape, *args, **kwargs):
    """The law (uniform's (low, high), normal's (mean, std)) ``func`` hands to the engine."""
    seen = []
    kinds = {"Uniform": "uniform_", "Normal": "normal_"}
    monkeypatch.setattr(_nn_init.fill, "run", lambda req, law: seen.append(
        (kinds[type(law).__name__], *law)))
    func(np.empty(shape, np.float32), *args, seed=0, **kwargs)
    monkeypatch.undo()
    return seen[-1]


@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "FAN_OUT"])
@pytest.mark.parametrize(("nonlinearity", "a"), NONLINEARITIES)
def test_kaiming_scale_equals_torchs(monkeypatch, shape, name, mode, nonlinearity, a):
    args = (0 if a is None else a, mode, nonlinearity)
    theirs = torch_scale(monkeypatch, getattr(torch.nn.init, name), shape, *args)
    assert our_scale(monkeypatch, getattr(fit, name), shape, *args) == theirs


@pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_"])
@pytest.mark.parametrize("gain", [1.0, 2.5, fit.calculate_gain("tanh")])
def test_xavier_scale_equals_torchs(monkeypatch, shape, name, gain):
    theirs = torch_scale(monkeypatch, getattr(torch.nn.init, name), shape, gain)
    assert our_scale(monkeypatch, getattr(fit, name), shape, gain) == theirs


def test_full_shape_sets_the_fans_of_a_block(monkeypatch):
    theirs = torch_scale(monkeypatch, torch.nn.init.kaiming_uniform_, (64, 32, 3))
    ours = our_scale(monkeypatch, fit.kaiming_uniform_, (16, 32, 3), full_shape=(64, 32, 3),
                     origin=(16, 0, 0))
    assert ours == theirs


def value_error(call):
    """The message of the ValueError ``call()`` raises."""
    try:
        call()
    except ValueError as error:
        return str(error)
    raise AssertionError("no ValueError raised")


@pytest.mark.parametrize(("nonlinearity", "param"), [*NONLINEARITIES, ("leaky_relu", 3)])
def test_calculate_gain_equals_torchs(nonlinearity, param):
    theirs = torch.nn.init.calculate_gain(nonlinearity, param)
    ours = fit.calculate_gain(nonlinearity, param)
    assert ours == theirs
    assert type(ours) is type(theirs)


@pytest.mark.parametrize(("nonlinearity", "param"), [("gelu", None), ("leaky_relu", True),
                                                     ("leaky_relu", "0.1"), ("Relu", None)])
def test_calculate_gain_errors_equal_torchs(nonlinearity, param):
    theirs = value_error(lambda: torch.nn.init.calculate_gain(nonlinearity, param))
    assert value_error(lambda: fit.calculate_gain(nonlinearity, param)) == theirs


@pytest.mark.parametrize(("name", "shape", "args"), [
    ("xavier_uniform_", (5,), ()), ("xavier_normal_", (), ()), ("kaiming_uniform_", (4,), ()),
    ("kaiming_normal_", (3, 3), (0, "fan_avg")), ("eye_", (2, 2, 2), ()),
    ("dirac_", (4, 4), ()), ("dirac_", (6, 4, 3), (4,)), ("orthogonal_", (5,), ()),
    ("sparse_", (2, 3, 4), (0.1,)),
])
def test_shape_and_mode_errors_equal_torchs(name, shape, args):
    theirs = value_error(lambda: getattr(torch.nn.init, name)(torch.zeros(shape), *args))
    seed = {} if name in ("eye_", "dirac_") else {"seed": 0}
    assert value_error(lambda: getattr(fit, name)(torch.zeros(shape), *args, **seed)) == theirs


def test_kaiming_returns_zero_element_tensors_untouched_as_torch():
    t = torch.empty(0, 5)
    assert fit.kaiming_normal_(t, seed=0) is t


def ks(ours, theirs):
    return stats.ks_2samp(ours.reshape(-1).double().numpy(),
                          theirs.reshape(-1).double().numpy()).pvalue


@pytest.mark.parametrize(("name", "args"), [
    ("uniform_", (-0.3, 0.7)), ("normal_", (0.5, 2.0)), ("trunc_normal_", (0.5, 2.0, -1.0, 3.0)),
    ("trunc_normal_", (0.0, 0.02, -0.04, 0.04)), ("trunc_normal_", (0.0, 1.0, 1.5, 4.0)),
    ("xavier_uniform_", (1.3,)), ("xavier_normal_", ()), ("kaiming_uniform_", (math.sqrt(5),)),
    ("kaiming_normal_", (0, "fan_out", "relu")),
])
def test_distribution_matches_torchs_own_sampler(name, args):
    shape = (200, 100)
    torch.manual_seed(1234)
    theirs = getattr(torch.nn.init, name)(torch.empty(shape), *args)
    ours = getattr(fit, name)(torch.empty(shape), *args, seed=99, stream=name)
    assert ks(ours, theirs) > KS_P
    if name == "trunc_normal_":
        assert ours.min().item() >= args[2]
        assert ours.max().item() <= args[3]


def test_trunc_normal_bounds_are_absolute_in_every_dtype(dtype):
    from fastinit._engine import formats

    w = fit.trunc_normal_(np.empty(50_000, dtype), mean=0.01, std=0.02, a=-0.03, b=0.05,
                          seed=4)
    assert w.dtype == dtype
    assert float(w.min()) >= -0.03
    assert float(w.max()) <= 0.05
    if dtype == formats.BFLOAT16:
        assert len(np.unique(w)) > 10


@pytest.mark.parametrize("shape", [(16, 16), (64, 16), (16, 64), (32, 4, 3, 3), (64, 2, 3)],
                         ids=["square", "tall", "wide", "conv-wide", "conv-tall"])
def test_orthogonal_is_orthogonal_to_1e5_in_float32(shape):
    w = fit.orthogonal_(torch.empty(shape), gain=1.0, seed=0)
    m = w.reshape(shape[0], -1).double()
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    torch.testing.assert_close(gram, torch.eye(len(gram), dtype=torch.float64), rtol=0,
                               atol=1e-5)


@pytest.mark.parametrize("shape", [(12, 12), (20, 6), (6, 20), (8, 3, 2, 2)])
def test_orthogonal_equals_torchs_on_the_same_normal_matrix(shape, monkeypatch):
    rows = shape[0]
    cols = math.prod(shape) // rows
    ours_normal = fit.normal_(torch.empty(rows, cols), seed=6, stream="q")
    original = torch.Tensor.normal_

    def our_sample(self, mean=0.0, std=1.0, *, generator=None):
        return self.copy_(ours_normal) if self.shape == ours_normal.shape else original(
            self, mean, std, generator=generator)

    monkeypatch.setattr(torch.Tensor, "normal_", our_sample)
    theirs = torch.nn.init.orthogonal_(torch.empty(shape), gain=0.7)
    monkeypatch.undo()
    ours = fit.orthogonal_(torch.empty(shape), gain=0.7, seed=6, stream="q")
    torch.testing.assert_close(ours, theirs, rtol=0, atol=2e-5)


@pytest.mark.parametrize(("shape", "sparsity"), [((10, 4), 0.3), ((7, 50), 0.1), ((9, 3), 1.0),
                                                 ((5, 5), 0.0)])
def test_sparse_zero_count_per_column_is_exact_and_values_are_normal_(shape, sparsity):
    torch.manual_seed(0)
    theirs = torch.nn.init.sparse_(torch.empty(shape), sparsity, std=0.5)
    ours = fit.sparse_(torch.empty(shape), sparsity, std=0.5, seed=3, stream="s")
    expected = math.ceil(sparsity * shape[0])
    assert (ours == 0).sum(0).tolist() == [expected] * shape[1]
    assert (ours == 0).sum(0).tolist() == (theirs == 0).sum(0).tolist()
    dense = fit.normal_(torch.empty(shape), 0.0, 0.5, seed=3, stream="s")
    assert torch.equal(ours[ours != 0], dense[ours != 0])


def test_sparse_zero_rows_differ_between_columns():
    w = fit.sparse_(torch.empty(100, 8), 0.5, seed=0)
    patterns = {tuple((w[:, c] == 0).tolist()) for c in range(8)}
    assert len(patterns) == 8


@pytest.mark.parametrize(("name", "shape", "args"), [
    ("eye_", (3, 5), ()), ("eye_", (4, 2), ()), ("dirac_", (6, 4, 3), ()),
    ("dirac_", (6, 2, 3, 3), (3,)), ("dirac_", (4, 4, 2, 3, 3), (2,)),
    ("constant_", (3, 4), (0.3,)), ("ones_", (2, 3), ()), ("zeros_", (2, 3), ()),
])
def test_deterministic_fills_equal_torchs(name, shape, args):
    theirs = getattr(torch.nn.init, name)(torch.full(shape, 7.0), *args)
    ours = getattr(fit, name)(torch.full(shape, 7.0), *args)
    assert torch.equal(ours, theirs)


def test_structured_fills_of_a_block_equal_the_block_of_the_whole():
    for name, shape, args, kwargs in [("dirac_", (6, 4, 3, 3), (2,), {}),
                                      ("eye_", (5, 7), (), {}),
                                      ("orthogonal_", (6, 10), (), {"seed": 1}),
                                      ("sparse_", (8, 6), (0.4,), {"seed": 1})]:
        func = getattr(fit, name)
        whole = func(torch.empty(shape), *args, **kwargs)
        block = func(torch.empty((3,) + shape[1:]), *args, **kwargs, full_shape=shape,
                     origin=(2,) + (0,) * (len(shape) - 1))
        assert torch.equal(block, whole[2:5]), name


def test_seed_is_required_outside_patched():
    with pytest.raises(TypeError, match=r"seed must be an integer .* fastinit.torch.patched"):
        fit.normal_(torch.empty(3))


def test_same_seed_and_stream_give_the_same_bits_as_the_engine():
    import fastinit

    t = fit.normal_(torch.empty(40, 30), 0.1, 0.02, seed=8, stream="w")
    a = fastinit.random_normal_(np.empty((40, 30), np.float32), mean=0.1, stddev=0.02, seed=8,
                                stream="w")
    assert t.numpy().tobytes() == a.tobytes()
