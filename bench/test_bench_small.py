"""Small fills, where the call's bookkeeping is most of the time: fastinit against the one call
a NumPy or PyTorch user writes for the same buffer.

One group per buffer: ``he_uniform_`` on 64 x 64 float32 next to NumPy's
``Generator.random(out=)`` (a uniform fill of the same buffer, unscaled: the
cheapest NumPy call that writes it), and ``fastinit.torch.kaiming_uniform_``
next to ``torch.nn.init.kaiming_uniform_`` on a 64 x 64 tensor; and a model of
many small tensors, 500 ``Linear(64, 64)`` (1,000 tensors), through
``fastinit.torch.init_module`` next to every module's own ``reset_parameters``.
Compare the medians of one run; the machine's speed changes between runs.
"""

import numpy as np
import pytest

import fastinit
from fastinit._engine import backends

SHAPE = (64, 64)
ROUNDS = 2000
BACKEND_NAMES = ["numba"] + (["cython"] if backends.cython_available() else [])


def _time(benchmark, group, fill, check):
    benchmark.group = group
    benchmark.pedantic(fill, rounds=ROUNDS, warmup_rounds=50, iterations=1)
    check()


@pytest.mark.parametrize("backend", BACKEND_NAMES)
def test_he_uniform_64x64(benchmark, backend):
    w = np.empty(SHAPE, np.float32)
    bound = np.sqrt(6 / SHAPE[0])
    _time(benchmark, "small: 64x64 float32 uniform",
          lambda: fastinit.he_uniform_(w, seed=0, backend=backend),
          lambda: np.testing.assert_array_less(np.abs(w), bound))


def test_numpy_generator_random_64x64(benchmark):
    w = np.empty(SHAPE, np.float32)
    rng = np.random.default_rng(0)
    _time(benchmark, "small: 64x64 float32 uniform",
          lambda: rng.random(out=w, dtype=np.float32),
          lambda: np.testing.assert_array_less(w, 1.0))


def test_fastinit_torch_kaiming_uniform_64x64(benchmark):
    torch = pytest.importorskip("torch")
    import fastinit.torch as fit

    w = torch.empty(SHAPE)
    bound = 1 / np.sqrt(SHAPE[1])  # a=sqrt(5): gain sqrt(1/3), bound gain*sqrt(3/fan_in)
    _time(benchmark, "small: 64x64 torch kaiming_uniform_",
          lambda: fit.kaiming_uniform_(w, a=5**0.5, seed=0),
          lambda: np.testing.assert_array_less(w.abs().numpy(), bound * (1 + 1e-6)))


def test_torch_kaiming_uniform_64x64(benchmark):
    torch = pytest.importorskip("torch")

    w = torch.empty(SHAPE)
    bound = 1 / np.sqrt(SHAPE[1])
    _time(benchmark, "small: 64x64 torch kaiming_uniform_",
          lambda: torch.nn.init.kaiming_uniform_(w, a=5**0.5),
          lambda: np.testing.assert_array_less(w.abs().numpy(), bound * (1 + 1e-6)))


MODEL_LAYERS = 500
MODEL_ROUNDS = 15


def _linears(torch):
    return torch.nn.Sequential(*[torch.nn.Linear(*SHAPE) for _ in range(MODEL_LAYERS)])


def _check_linears(net):
    bound = 1 / np.sqrt(SHAPE[1])  # weight and bias: U(-1/sqrt(in), 1/sqrt(in))
    for p in net.parameters():
        np.testing.assert_array_less(p.detach().abs().numpy(), bound * (1 + 1e-6))


def test_fastinit_torch_init_module_500_linears(benchmark):
    torch = pytest.importorskip("torch")
    import fastinit.torch as fit

    net = _linears(torch)
    benchmark.group = "small: 500 Linear(64, 64), 1,000 tensors"
    benchmark.pedantic(lambda: fit.init_module(net, seed=0, rules="torch"), rounds=MODEL_ROUNDS,
                       warmup_rounds=2, iterations=1)
    _check_linears(net)


def test_torch_reset_parameters_500_linears(benchmark):
    torch = pytest.importorskip("torch")

    net = _linears(torch)

    def reset():
        for m in net:
            m.reset_parameters()

    benchmark.group = "small: 500 Linear(64, 64), 1,000 tensors"
    benchmark.pedantic(reset, rounds=MODEL_ROUNDS, warmup_rounds=2, iterations=1)
    _check_linears(net)
