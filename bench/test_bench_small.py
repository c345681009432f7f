"""Small fills, where the call's bookkeeping is most of the time: fastinit against the one call
a NumPy or PyTorch user writes for the same buffer.

One group per buffer: ``he_uniform_`` on 64 x 64 float32 next to NumPy's
``Generator.random(out=)`` (a uniform fill of the same buffer, unscaled: the
cheapest NumPy call that writes it), and ``fastinit.torch.kaiming_uniform_``
next to ``torch.nn.init.kaiming_uniform_`` on a 64 x 64 tensor. Compare the
medians of one run; the machine's speed changes between runs.
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
