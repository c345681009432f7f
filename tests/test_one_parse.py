"""One parse per call: each entry point checks its seed once, and reaches the kernel through
one checked request, never through another public function.

The seed check (``checks.check_seed``) and the buffer check (``checks.check_buffer``) are
counted while one call runs; a public function called on the way would check again.
"""

import numpy as np
import pytest
from conftest import require

import fastinit
from fastinit import _fillers, _variance_scaling, initializers
from fastinit._engine import checks, fill


@pytest.fixture
def counted(monkeypatch):
    """Counts of the seed and buffer checks, and of the public functions entered."""
    counts = {"seed": 0, "buffer": 0, "public": 0}

    def counting(key, func):
        def wrapper(*args, **kwargs):
            counts[key] += 1
            return func(*args, **kwargs)
        return wrapper

    # the fillers' tables are keyed by the real functions (imported above, before any wrap)
    assert initializers.random_normal_ in _fillers.LAWS
    monkeypatch.setattr(checks, "check_seed", counting("seed", checks.check_seed))
    monkeypatch.setattr(checks, "check_buffer", counting("buffer", checks.check_buffer))
    for module in (initializers, _variance_scaling):
        for name in ("variance_scaling_", "random_uniform_", "random_normal_",
                     "truncated_normal_"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, counting("public", getattr(module, name)))
    return counts


@pytest.mark.parametrize("name", ["he_normal_", "glorot_uniform_", "random_uniform_",
                                  "truncated_normal_", "variance_scaling_"])
def test_public_function_checks_its_seed_once(counted, name):
    getattr(fastinit, name)(np.empty((64, 32), np.float32), seed=3)
    assert counted == {"seed": 1, "buffer": 1, "public": 0}


def test_fill_path_checks_nothing_again(counted, monkeypatch):
    # the fill path takes the checked request as it is: no check runs past the parse
    seen = []
    monkeypatch.setattr(fill, "run", lambda req, law, run=fill.run: seen.append(
        dict(counted)) or run(req, law))
    fastinit.he_uniform_(np.empty((8, 8), np.float32), seed=1)
    assert seen == [{"seed": 1, "buffer": 1, "public": 0}]
    assert counted == {"seed": 1, "buffer": 1, "public": 0}


def test_torch_drop_in_checks_its_seed_once(counted):
    torch = require("torch")
    import fastinit.torch as fit

    fit.kaiming_uniform_(torch.empty(64, 32), seed=3)
    fit.trunc_normal_(torch.empty(64, 32), std=0.02, seed=3)
    assert counted == {"seed": 2, "buffer": 2, "public": 0}


def test_checkpoint_write_checks_its_seed_once_whatever_the_size(counted, tmp_path):
    # a model of 10 tensors and a list of plan rows: one seed check each, none per tensor or
    # piece; each piece (here one per tensor) reaches the kernel as one request (one buffer
    # check), not through a public function
    torch = require("torch")
    require("safetensors")
    import fastinit.checkpoint as ckpt

    model = torch.nn.Sequential(*[torch.nn.Linear(8, 8) for _ in range(5)])
    ckpt.write(tmp_path / "module", model, seed=3, progress=False)
    assert counted == {"seed": 1, "buffer": 10, "public": 0}
    rows = [ckpt.PlanRow(name, (4, 8), fastinit.random_normal_, {"stream": name}, True)
            for name in ("a", "b", "c")]
    ckpt.write(tmp_path / "rows", rows, seed=3, progress=False)
    assert counted == {"seed": 2, "buffer": 13, "public": 0}


def test_checkpoint_rows_with_a_backend_and_threads_keep_them_and_their_bits(counted, tmp_path):
    # a plan row may name n_threads and backend: they reach the engine with the row's law,
    # and the bits are those of the row without them
    torch = require("torch")
    safetensors_numpy = require("safetensors.numpy")
    import fastinit.checkpoint as ckpt

    del torch
    plain = [ckpt.PlanRow("w", (64, 48), fastinit.he_normal_, {"stream": "w"}, True)]
    routed = [plain[0]._replace(kwargs={"stream": "w", "backend": "numba", "n_threads": 1})]
    for name, rows in (("plain", plain), ("routed", routed)):
        ckpt.write(tmp_path / name, rows, seed=3, dtype="float32", progress=False)
    assert counted == {"seed": 2, "buffer": 2, "public": 0}
    a, b = (safetensors_numpy.load_file(tmp_path / n / "model.safetensors")["w"]
            for n in ("plain", "routed"))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, fastinit.he_normal_(np.empty((64, 48), np.float32), seed=3,
                                                         stream="w"))
