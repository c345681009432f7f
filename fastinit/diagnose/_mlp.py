"""A small NumPy multilayer perceptron: what :func:`fastinit.diagnose.diagnose` runs.

Library code because the public diagnostics need its forward and backward
passes; training (loss, optimizers) belongs to the applications.  Dense layers
use the Keras layout: a weight is shaped ``(fan_in, fan_out)`` and a layer
computes ``z = a @ W + b``.  Every weight is filled by a fastinit initializer
through :data:`INITIALIZERS`, each layer with its own stream
``f"layer{k}.weight"``; biases start at zero.
"""

import contextlib
import sys

import numpy as np

from .. import initializers as init
from .._engine import checks, framework_checks

# --- activations -----------------------------------------------------------

RELU = "relu"
LEAKY_RELU = "leaky_relu"
TANH = "tanh"
SIGMOID = "sigmoid"
SELU = "selu"
LINEAR = "linear"
ACTIVATIONS = (RELU, LEAKY_RELU, TANH, SIGMOID, SELU, LINEAR)

LEAKY_SLOPE = 0.01  # PyTorch's default negative slope
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def activate(name, z):
    """Return ``f(z)`` for the activation called `name`."""
    if name == RELU:
        return np.maximum(z, 0)
    if name == LEAKY_RELU:
        return np.where(z > 0, z, z * z.dtype.type(LEAKY_SLOPE))
    if name == TANH:
        return np.tanh(z)
    if name == SIGMOID:
        # exp of a non-positive number only, so no overflow warning
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    if name == SELU:
        neg = _SELU_SCALE * _SELU_ALPHA * np.expm1(np.minimum(z, 0))
        return np.where(z > 0, _SELU_SCALE * z, neg).astype(z.dtype, copy=False)
    if name == LINEAR:
        return z
    raise ValueError(framework_checks.NN_ACTIVATION.format(ACTIVATIONS, name))


def activation_derivative(name, z, a):
    """Return ``f'(z)``, given ``z`` and ``a = f(z)`` (either may be reused)."""
    one = z.dtype.type(1)
    if name == RELU:
        return (z > 0).astype(z.dtype)
    if name == LEAKY_RELU:
        return np.where(z > 0, one, z.dtype.type(LEAKY_SLOPE))
    if name == TANH:
        return one - a * a
    if name == SIGMOID:
        return a * (one - a)
    if name == SELU:
        # for z <= 0: d/dz (s*alpha*(e^z - 1)) = a + s*alpha
        slope = np.where(z > 0, _SELU_SCALE, a + _SELU_SCALE * _SELU_ALPHA)
        return slope.astype(z.dtype, copy=False)
    if name == LINEAR:
        return np.ones_like(z)
    raise ValueError(framework_checks.NN_ACTIVATION.format(ACTIVATIONS, name))


# --- initializers ----------------------------------------------------------

ZEROS = "zeros"
CONSTANT = "constant"
NORMAL_001 = "normal_0.01"
NORMAL_005 = "normal_0.05"
UNIFORM = "uniform_0.05"
GLOROT_NORMAL = "glorot_normal"
GLOROT_UNIFORM = "glorot_uniform"
HE_NORMAL = "he_normal"
HE_UNIFORM = "he_uniform"
LECUN_NORMAL = "lecun_normal"
LECUN_UNIFORM = "lecun_uniform"

CONSTANT_VALUE = 0.01  # every weight equal: symmetric, like zeros, but not zero

# name -> callable(w, seed, stream); zeros/constant ignore seed and stream so
# that every initializer is called the same way.
INITIALIZERS = {
    ZEROS: lambda w, seed, stream: init.zeros_(w),
    CONSTANT: lambda w, seed, stream: init.constant_(w, value=CONSTANT_VALUE),
    NORMAL_001: lambda w, seed, stream: init.random_normal_(
        w, seed=seed, stream=stream, stddev=0.01),
    NORMAL_005: lambda w, seed, stream: init.random_normal_(
        w, seed=seed, stream=stream, stddev=0.05),
    UNIFORM: lambda w, seed, stream: init.random_uniform_(
        w, seed=seed, stream=stream, minval=-0.05, maxval=0.05),
    GLOROT_NORMAL: lambda w, seed, stream: init.glorot_normal_(w, seed=seed, stream=stream),
    GLOROT_UNIFORM: lambda w, seed, stream: init.glorot_uniform_(w, seed=seed, stream=stream),
    HE_NORMAL: lambda w, seed, stream: init.he_normal_(w, seed=seed, stream=stream),
    HE_UNIFORM: lambda w, seed, stream: init.he_uniform_(w, seed=seed, stream=stream),
    LECUN_NORMAL: lambda w, seed, stream: init.lecun_normal_(w, seed=seed, stream=stream),
    LECUN_UNIFORM: lambda w, seed, stream: init.lecun_uniform_(w, seed=seed, stream=stream),
}
INITIALIZER_NAMES = tuple(INITIALIZERS)


# argument checks shared with fastinit.diagnose and the applications (fastinit._cli)
check_names = framework_checks.check_subset
check_seed = checks.check_seed


def init_weights(sizes, initializer, *, seed, dtype=np.float32):
    """Allocate and fill the weights of a dense stack with sizes ``sizes``.

    Layer ``k`` (1-based) gets the shape ``(sizes[k-1], sizes[k])`` and the
    stream ``f"layer{k}.weight"``.
    """
    check_names("initializer", [initializer], INITIALIZER_NAMES)
    fill = INITIALIZERS[initializer]
    weights = []
    for k in range(1, len(sizes)):
        w = np.empty((sizes[k - 1], sizes[k]), dtype=dtype)
        fill(w, seed, f"layer{k}.weight")
        weights.append(w)
    return weights


# --- the network -----------------------------------------------------------

class MLP:
    """Dense layers ``z_k = a_{k-1} @ W_k + b_k``, ``a_k = f_k(z_k)``.

    Parameters
    ----------
    weights : list of ndarray
        ``W_k`` shaped ``(fan_in, fan_out)``; biases start at zero.
    activations : list of str
        One activation name per layer (use ``"linear"`` for logits).
    """

    def __init__(self, weights, activations):
        if len(weights) != len(activations):
            raise ValueError(framework_checks.NN_PER_LAYER.format(len(weights), len(activations)))
        check_names("activations", activations, ACTIVATIONS)
        self.weights = list(weights)
        self.biases = [np.zeros(w.shape[1], dtype=w.dtype) for w in weights]
        self.activations = list(activations)

    @property
    def params(self):
        """All parameters, weights first, in the order of :meth:`backward`'s grads."""
        return self.weights + self.biases

    def forward(self, x):
        """Return the output and a cache ``(inputs, zs, outputs)`` for backward."""
        inputs, zs, outputs = [], [], []
        a = x
        for w, b, f in zip(self.weights, self.biases, self.activations, strict=True):
            inputs.append(a)
            z = a @ w
            z += b
            a = activate(f, z)
            zs.append(z)
            outputs.append(a)
        return a, (inputs, zs, outputs)

    def backward(self, cache, dout):
        """Backpropagate ``dout = dL/d(output)``; return grads like :attr:`params`."""
        inputs, zs, outputs = cache
        n = len(self.weights)
        dws, dbs = [None] * n, [None] * n
        da = dout
        for k in reversed(range(n)):
            dz = da * activation_derivative(self.activations[k], zs[k], outputs[k])
            dws[k] = inputs[k].T @ dz
            dbs[k] = dz.sum(axis=0)
            if k:
                da = dz @ self.weights[k].T
        return dws + dbs


def one_blas_thread():
    """A context manager that limits BLAS to one thread, if threadpoolctl is present.

    The matrices here are at most 512 x 512: on a machine whose cores are
    busy, a second BLAS thread spin-waits for a core and runs several times
    slower than one thread (measured: 12 s instead of 2 s for a diagnose).
    """
    try:
        from threadpoolctl import threadpool_limits  # installed with scikit-learn
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def progress_bar(total, label, enabled):
    """A tqdm bar on stderr (a no-op without tqdm, the diagnose extra, or when not enabled).

    On a terminal it redraws; in a log it appears only for runs longer than a
    few seconds, as a line now and then.
    """
    try:
        from tqdm import tqdm
    except ImportError:
        enabled = False
    if not enabled:
        return contextlib.nullcontext(_NoBar())
    tty = sys.stderr.isatty()
    return tqdm(total=total, desc=label, file=sys.stderr, leave=False, dynamic_ncols=True,
                delay=0.0 if tty else 3.0, mininterval=0.1 if tty else 5.0)


class _NoBar:
    def update(self, n=1):
        pass
