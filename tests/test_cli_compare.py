"""The training comparison on scikit-learn's digits (few epochs, fixed seeds)."""

import json
import math

import numpy as np
import pytest
from conftest import require

require("sklearn")

from fastinit._cli import compare  # noqa: E402
from fastinit.diagnose._mlp import RELU, TANH  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return compare.load_data()


def _train(data, init, hidden=(32,), act=RELU, epochs=3, seed=0, **kw):
    net = compare.build(init, hidden, act, n_in=64, n_out=10, seed=seed)
    run = compare.train(net, data, epochs=epochs, batch_size=32, optimizer=kw.get("opt", "sgd"),
                         lr=kw.get("lr", 0.1), seed=seed)
    return net, run


def test_split_is_fixed_and_stratified(data):
    x_tr, y_tr, x_te, y_te = data
    assert x_tr.shape == (1347, 64)
    assert x_te.shape == (450, 64)
    assert x_tr.min() >= 0
    assert x_tr.max() <= 1
    # stratified: each class is as frequent in the test set as in the whole
    counts = np.bincount(np.concatenate([y_tr, y_te]))
    assert np.all(np.abs(np.bincount(y_te) / len(y_te) - counts / counts.sum()) < 0.005)
    np.testing.assert_array_equal(compare.load_data()[3], y_te)


def test_zeros_never_learn(data):
    # W1 = 0 gives h = 0, so dW2 = h^T d = 0 and dW1 = x^T (d W2^T) = 0: only
    # the output bias moves, to the class frequencies (near uniform): the loss
    # stays at log(10) = 2.3026 up to their entropy deficit (< 0.001 here).
    net, run = _train(data, "zeros", hidden=(32, 32))
    assert all(np.all(w == 0) for w in net.weights)
    assert run["train_loss"][-1] > math.log(10) - 0.01
    assert run["test_acc"] < 0.15


@pytest.mark.parametrize("init", ["zeros", "constant"])
def test_symmetry_is_never_broken(data, init):
    # equal incoming weights give every hidden unit the same gradient, so the
    # units stay copies of each other however long we train (measured: equal
    # to the bit; the float32 tolerance only allows for BLAS summation order)
    net, run = _train(data, init, hidden=(16, 16), epochs=5, opt="adam", lr=1e-2)
    for w in net.weights[:-1]:
        np.testing.assert_allclose(w, np.broadcast_to(w[:, :1], w.shape), rtol=1e-6, atol=1e-9)
    out = net.weights[-1]
    np.testing.assert_allclose(out, np.broadcast_to(out[:1], out.shape), rtol=1e-6, atol=1e-9)
    # one effective hidden unit cannot separate ten digits
    assert run["train_acc"] < 0.6


def test_random_init_breaks_symmetry_and_learns(data):
    net, run = _train(data, "he_normal", hidden=(32,))
    w = net.weights[0]
    assert not np.allclose(w, w[:, :1])
    # measured ~0.95 after 3 epochs; chance is 0.1
    assert run["test_acc"] > 0.85
    assert run["train_loss"][-1] < 0.5 * run["train_loss"][0]


def test_tiny_weights_stall_in_deep_nets_he_does_not(data):
    # 8 relu layers of width 64 with N(0, 0.01): the signal shrinks by
    # ~sqrt(64 * 1e-4 / 2) = 0.06 per layer, so the logits and the gradients
    # of the lower layers are ~1e-9 of He's: the loss stays at log(10).
    deep = (64,) * 8
    _, tiny = _train(data, "normal_0.01", hidden=deep)
    _, he = _train(data, "he_normal", hidden=deep)
    assert tiny["train_loss"][-1] > math.log(10) - 0.01
    assert he["train_loss"][-1] < 1.0
    _, tanh = _train(data, "glorot_uniform", hidden=deep, act=TANH)
    assert tanh["train_loss"][-1] < 1.0


def test_compare_is_deterministic_for_a_seed():
    kw = dict(experiments=["article"], initializers=["he_uniform", "lecun_normal"],
              epochs=2, width=16)
    a, b = compare.compare(**kw, seed=3), compare.compare(**kw, seed=3)
    c = compare.compare(**kw, seed=4)
    assert a == b
    assert a["results"][0]["train_loss"] != c["results"][0]["train_loss"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"epochs": 0}, "epochs must be a positive int"),
    ({"optimizer": "rmsprop"}, "optimizer must be one of"),
    ({"lr": -1.0}, "lr must be > 0"),
    ({"experiments": ["resnet"]}, "experiments must be"),
    ({"seed": 2**64}, "seed must be an int"),
    ({"batch_size": 5000, "epochs": 1}, "batch_size must be in"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare.compare(**{"initializers": ["zeros"], "experiments": ["article"], **kwargs})


def test_cli_json_table_and_plot(tmp_path, capsys):
    pil = require("PIL.Image", "matplotlib")
    png = tmp_path / "cmp.png"
    args = ["--experiments", "article,deep_tanh", "--initializers", "zeros,he_normal",
            "--epochs", "2", "--width", "16", "--deep-layers", "2", "--no-progress"]
    assert compare.main(args + ["--plot", str(png)]) == 0
    out = capsys.readouterr().out
    for text in ("== deep_tanh ==", "he_normal", "test acc"):
        assert text in out
    assert compare.main(args + ["--json", "--optimizer", "adam"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["config"]["lr"] == 1e-3
    assert len(data["results"]) == 4
    assert len(data["results"][0]["train_loss"]) == 3  # epoch 0 + 2 epochs
    raw = png.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    assert 10_000 < len(raw) < 150_000
    with pil.open(png) as img:
        img.verify()
    assert compare.main(["--epochs", "0", "--no-progress"]) == 2
