"""The main job (`python -m fastinit`) and the model spec."""

import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from fastinit._cli import init, model

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_default_spec_is_about_250m_parameters():
    layers = 16
    params = model.spec(model.d_model_for(250e6, layers), layers)
    n = sum(int(np.prod(p.shape)) for p in params)
    assert 225e6 < n < 275e6
    assert len({p.name for p in params}) == len(params)  # every stream name is unique


def test_small_run_prints_the_report():
    # no command: the main job runs
    res = subprocess.run([sys.executable, "-m", "fastinit", "--params", "3e6", "--layers", "2"],
                         capture_output=True, text=True, check=True, timeout=300, cwd=ROOT)
    out = res.stdout
    assert "parameters" in out
    assert "Gsamples/s" in out
    assert "NumPy Generator" in out


def test_values_follow_each_kind():
    layers = 2
    params = model.spec(128, layers, vocab=256, context=64)
    for p in params:
        buf = np.empty(p.shape, np.float32)
        model.initialize(p, buf, seed=0, layers=layers)
        if p.kind == "norm_gain":
            assert (buf == 1).all()
        elif p.kind == "bias":
            assert (buf == 0).all()
        elif p.kind == "residual_out":
            assert np.abs(buf).max() <= 2 * 0.02 / np.sqrt(2 * layers) * (1 + 1e-6)
        else:
            assert buf.std() > 0


def test_adding_a_layer_keeps_other_layers_values():
    a = {p.name: p for p in model.spec(128, 2, vocab=256, context=64)}
    b = {p.name: p for p in model.spec(128, 3, vocab=256, context=64)}
    name = "layers.1.mlp.up.weight"
    x, y = np.empty(a[name].shape, np.float32), np.empty(b[name].shape, np.float32)
    model.initialize(a[name], x, seed=0, layers=2)
    model.initialize(b[name], y, seed=0, layers=3)
    assert x.tobytes() == y.tobytes()


# In a fresh interpreter: after warm_up, the fills of the whole model add no Numba signature
# (no compilation or cache load left inside the timing). It prints the signatures added.
_WARM_SCRIPT = """
import sys
import numba.core.dispatcher
import numpy as np
from fastinit._cli import init, model

def signatures():
    return {(name, attr): len(obj.signatures)
            for name, mod in list(sys.modules.items()) if name.startswith("fastinit._engine._numba")
            for attr, obj in vars(mod).items()
            if isinstance(obj, numba.core.dispatcher.Dispatcher)}

layers, dtype = 2, np.dtype(init.DTYPES[sys.argv[1]])
params = model.spec(64, layers, vocab=256, context=64)
init.warm_up(params, dtype, seed=0, layers=layers, n_threads=None, backend="numba")
before = signatures()
assert sum(before.values()) > 0, "the warm-up compiled nothing"
for p in params:
    model.initialize(p, np.empty(p.shape, dtype), seed=0, layers=layers, backend="numba")
after = signatures()
print({k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)})
"""


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_warm_up_loads_every_kernel_the_run_uses(dtype):
    res = subprocess.run([sys.executable, "-c", _WARM_SCRIPT, dtype], capture_output=True,
                         text=True, timeout=900, check=False, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "{}"


def test_report_says_what_was_excluded_and_counts_threads(capsys):
    assert init.main(["--params", "1e5", "--layers", "1", "--threads", "1", "--no-numpy"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^warm-up \(.*\): \d+\.\d\d s, excluded from the timing below$", out, re.M)
    assert "1 thread)" in out
    assert "1 threads" not in out


@pytest.mark.parametrize("bad", [
    ["--threads", "0"], ["--threads", "two"], ["--params", "nan"], ["--params", "1e3"],
    ["--params", "inf"], ["--layers", "0"], ["--seed", "-1"], ["--seed", str(2**64)],
    ["--dtype", "int8"], ["--backend", "gpu"], ["--bogus"], ["--params", "1e15"],
])
def test_bad_options_are_one_clean_error(bad, capsys):
    assert init.main(bad) == 2
    err = capsys.readouterr().err
    assert "error: " in err
    assert "Traceback" not in err
