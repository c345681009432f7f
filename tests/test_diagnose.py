"""fastinit.diagnose: the measured claims of a good (and a bad) initialization.

Every check uses a fixed seed, so it is deterministic; the comments give the
margin between the expected value and the threshold.
"""

import numpy as np
import pytest

from fastinit import diagnose as dg


def _run(inits, acts, depth=20, width=512, batch_size=128, seed=0):
    report = dg.diagnose(depth=depth, width=width, batch_size=batch_size, seed=seed,
                         initializers=inits, activations=acts)
    return {(r["initializer"], r["activation"]): r for r in report["results"]}


@pytest.fixture(scope="module")
def relu_runs():
    return _run(["he_normal", "he_uniform", "normal_0.01", "zeros"], ["relu"])


@pytest.mark.parametrize("init", ["he_normal", "he_uniform"])
def test_he_relu_keeps_activation_std_within_factor_2(relu_runs, init):
    # He preserves E[z^2] through relu exactly in expectation; the per-layer
    # fluctuation of the log-variance is ~sqrt(2/width) = 0.06, so over 20
    # layers log(std) wanders ~0.14, against log(2) = 0.69: a > 4 sigma margin.
    stds = np.array([x["std"] for x in relu_runs[init, "relu"]["layers"]])
    assert stds.max() / stds.min() < 2
    assert relu_runs[init, "relu"]["verdict"] == "ok"


def test_small_normal_relu_collapses_by_orders_of_magnitude(relu_runs):
    # N(0, 0.01): variance gain per layer 512 * 1e-4 / 2 = 0.0256, so the std
    # shrinks by 0.16 per layer, ~1e-15 over 19 layers; we ask only for 1e-6.
    run = relu_runs["normal_0.01", "relu"]
    assert run["layers"][-1]["std"] / run["layers"][0]["std"] < 1e-6
    assert "activations vanish" in run["verdict"]
    # the weight gradients are tiny too: nothing would learn
    he_grad = relu_runs["he_normal", "relu"]["layers"][0]["grad_norm"]
    assert run["layers"][0]["grad_norm"] < 1e-6 * he_grad


def test_zeros_never_break_symmetry(relu_runs):
    run = relu_runs["zeros", "relu"]
    assert all(x["unit_spread"] == 0 and x["grad_norm"] == 0 for x in run["layers"])
    assert all(x["dead"] == 1.0 for x in run["layers"])
    assert run["verdict"].startswith("symmetric")


def test_constant_gives_identical_units():
    run = _run(["constant"], ["tanh"], depth=4, width=64)["constant", "tanh"]
    assert "symmetric" in run["verdict"]
    a_std = run["layers"][-1]["std"]
    assert run["layers"][-1]["unit_spread"] <= 1e-6 * max(a_std, 1.0)


def test_glorot_tanh_does_not_saturate_but_constant_does():
    # measured: Glorot keeps |tanh| > 0.99 at ~1% of the units; the constant
    # 0.01 fill sums 512 equal inputs: tanh(5.12 a) = a has its fixed point
    # at |a| = 0.9999, so nearly every unit saturates (at width 256 it would not).
    runs = _run(["glorot_uniform", "glorot_normal", "constant"], ["tanh"])
    for init in ("glorot_uniform", "glorot_normal"):
        assert max(x["saturated"] for x in runs[init, "tanh"]["layers"]) < 0.05
    assert runs["constant", "tanh"]["layers"][-1]["saturated"] > 0.9


def test_sigmoid_gradients_vanish_in_depth():
    # sigmoid' <= 1/4: over 19 layers the first-layer gradient is < 1e-6 of
    # the last one for every variance-preserving init (measured ~1e-10).
    runs = _run(["glorot_uniform", "he_normal"], ["sigmoid"], width=256)
    for run in runs.values():
        assert run["gradient_ratio"] < 1e-6
        assert "gradients vanish" in run["verdict"]


def test_dead_relu_fraction_and_saturation_fields():
    runs = _run(["he_normal"], ["relu", "tanh", "linear"], depth=3, width=32)
    assert 0 <= runs["he_normal", "relu"]["layers"][0]["dead"] <= 1
    assert runs["he_normal", "relu"]["layers"][0]["saturated"] is None
    assert runs["he_normal", "tanh"]["layers"][0]["dead"] is None
    assert runs["he_normal", "linear"]["layers"][0]["saturated"] is None


def test_deterministic_and_seed_dependent():
    a = _run(["he_uniform"], ["selu"], depth=3, width=64, seed=7)
    b = _run(["he_uniform"], ["selu"], depth=3, width=64, seed=7)
    c = _run(["he_uniform"], ["selu"], depth=3, width=64, seed=8)
    assert a == b
    assert a != c


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"depth": 0}, ValueError, "depth must be a positive integer, got 0"),
    ({"width": 2.5}, TypeError, "width must be a positive integer, got 2.5"),
    ({"initializers": ["xavier"]}, ValueError, "initializers must be"),
    ({"activations": ["gelu"]}, ValueError, "activations must be"),
    ({"seed": -1}, ValueError, r"seed must be an integer in \[0, 2\*\*64\), got -1"),
    ({"seed": 1.5}, TypeError, r"seed must be an integer in \[0, 2\*\*64\), got 1.5"),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        dg.diagnose(**kwargs)


def test_progress_bar_draws_on_a_terminal(monkeypatch, capsys):
    from fastinit.diagnose import _mlp

    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    with _mlp.progress_bar(4, "diagnosing", True) as bar:
        bar.update(4)
    assert "diagnosing" in capsys.readouterr().err


def test_progress_bar_disabled_writes_nothing(capsys):
    from fastinit.diagnose import _mlp

    with _mlp.progress_bar(4, "diagnosing", False) as bar:
        bar.update(4)
    assert capsys.readouterr().err == ""
