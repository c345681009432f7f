"""The main job (`python -m fastinit`) and the model spec."""

import subprocess
import sys

import numpy as np

from fastinit import _model


def test_default_spec_is_about_250m_parameters():
    layers = 16
    params = _model.spec(_model.d_model_for(250e6, layers), layers)
    n = sum(int(np.prod(p.shape)) for p in params)
    assert 225e6 < n < 275e6
    assert len({p.name for p in params}) == len(params)  # every stream name is unique


def test_small_run_prints_the_report():
    res = subprocess.run([sys.executable, "-m", "fastinit", "--params", "3e6", "--layers", "2"],
                         capture_output=True, text=True, check=True, timeout=300)
    out = res.stdout
    assert "parameters" in out
    assert "Gsamples/s" in out
    assert "NumPy Generator" in out


def test_values_follow_each_kind():
    layers = 2
    params = _model.spec(128, layers, vocab=256, context=64)
    for p in params:
        buf = np.empty(p.shape, np.float32)
        _model.initialize(p, buf, seed=0, layers=layers)
        if p.kind == "norm_gain":
            assert (buf == 1).all()
        elif p.kind == "bias":
            assert (buf == 0).all()
        elif p.kind == "residual_out":
            assert np.abs(buf).max() <= 2 * 0.02 / np.sqrt(2 * layers) * (1 + 1e-6)
        else:
            assert buf.std() > 0


def test_adding_a_layer_keeps_other_layers_values():
    a = {p.name: p for p in _model.spec(128, 2, vocab=256, context=64)}
    b = {p.name: p for p in _model.spec(128, 3, vocab=256, context=64)}
    name = "layers.1.mlp.up.weight"
    x, y = np.empty(a[name].shape, np.float32), np.empty(b[name].shape, np.float32)
    _model.initialize(a[name], x, seed=0, layers=2)
    _model.initialize(b[name], y, seed=0, layers=3)
    assert x.tobytes() == y.tobytes()
