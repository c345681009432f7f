"""The NumPy MLP (library) and its training pieces (``fastinit._cli.train``)."""

import numpy as np
import pytest

from fastinit._cli import train
from fastinit.diagnose import _mlp
from fastinit.diagnose._mlp import ACTIVATIONS, INITIALIZER_NAMES, MLP, init_weights


def _loss(net, x, y):
    logits, cache = net.forward(x)
    loss, dlogits = train.softmax_cross_entropy(logits, y)
    return loss, net.backward(cache, dlogits)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_check(activation):
    # float64 central differences have error O(h^2) ~ 1e-10 relative to the
    # gradient, far below the 1e-6 tolerance; a wrong derivative, a missing
    # transpose or a lost 1/batch is off by O(1) and fails.
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 5))
    y = rng.integers(0, 4, size=7)
    net = MLP(init_weights([5, 6, 6, 4], "he_normal", seed=3, dtype=np.float64),
              [activation, activation, "linear"])
    for b in net.biases:  # nonzero biases so their gradient is checked too
        b[...] = rng.standard_normal(b.shape) * 0.1
    _, grads = _loss(net, x, y)
    h = 1e-6
    for p, g in zip(net.params, grads, strict=True):
        assert g.shape == p.shape
        numeric = np.empty_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + h
            up = _loss(net, x, y)[0]
            p[i] = old - h
            down = _loss(net, x, y)[0]
            p[i] = old
            numeric[i] = (up - down) / (2 * h)
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8)


def test_gradient_check_fails_on_a_wrong_derivative(monkeypatch):
    # the check above can fail: break tanh' and the gradients disagree
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((4, 3)), np.array([0, 1, 2, 0])
    net = MLP(init_weights([3, 5, 3], "glorot_uniform", seed=1, dtype=np.float64),
              ["tanh", "linear"])
    _, good = _loss(net, x, y)
    real = _mlp.activation_derivative

    def wrong(name, z, a):
        return 2 * real(name, z, a) if name == "tanh" else real(name, z, a)

    monkeypatch.setattr(_mlp, "activation_derivative", wrong)
    _, bad = _loss(net, x, y)
    assert not np.allclose(good[0], bad[0], rtol=1e-3)


def test_activation_values():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(_mlp.activate("relu", z), [0, 0, 3])
    np.testing.assert_allclose(_mlp.activate("leaky_relu", z), [-2 * _mlp.LEAKY_SLOPE, 0, 3])
    np.testing.assert_allclose(_mlp.activate("sigmoid", z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(_mlp.activate("selu", z)[2], 1.0507009873554805 * 3)
    # no overflow warning from the stable sigmoid at extreme inputs
    with np.errstate(over="raise"):
        np.testing.assert_allclose(_mlp.activate("sigmoid", np.array([-1e4, 1e4])), [0, 1])
    with pytest.raises(ValueError, match="activation must be one of"):
        _mlp.activate("swish", z)


def test_softmax_cross_entropy_of_uniform_logits_is_log_classes():
    loss, grad = train.softmax_cross_entropy(np.zeros((3, 10)), np.array([0, 4, 9]))
    assert loss == pytest.approx(np.log(10))
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-15)


@pytest.mark.parametrize("name", INITIALIZER_NAMES)
def test_every_registered_initializer_fills_and_is_deterministic(name):
    a = init_weights([8, 16, 4], name, seed=5)
    b = init_weights([8, 16, 4], name, seed=5)
    assert [w.shape for w in a] == [(8, 16), (16, 4)]
    assert all(w.dtype == np.float32 and np.isfinite(w).all() for w in a)
    for wa, wb in zip(a, b, strict=True):
        np.testing.assert_array_equal(wa, wb)
    if name not in (_mlp.ZEROS, _mlp.CONSTANT):
        # distinct streams per layer: the two layers' first values differ
        assert a[0].ravel()[0] != a[1].ravel()[0]
        assert len(np.unique(a[0])) > 100  # 128 values, not a constant fill


def test_init_weights_rejects_unknown_name():
    with pytest.raises(ValueError, match="initializer must be"):
        init_weights([2, 2], "orthogonal", seed=0)


@pytest.mark.parametrize("opt", [train.SGD(0.5), train.Adam(0.1)])
def test_optimizers_minimise_a_quadratic(opt):
    # f(p) = |p - 3|^2 / 2 has gradient p - 3; both must approach 3
    p = np.zeros(4)
    for _ in range(300):
        opt.step([p], [p - 3.0])
    np.testing.assert_allclose(p, 3.0, atol=1e-3)
