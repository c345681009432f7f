"""Activation and gradient diagnostics of weight initializers in deep networks.

For each initializer and activation, a deep fully connected network (every
weight filled by fastinit) propagates a batch of standard normal inputs
forward and a standard normal upstream gradient backward; per layer, the
activation mean and standard deviation, the fraction of saturated units
(tanh, sigmoid), the fraction of dead units (relu) and the norm of the weight
gradient are recorded.  A good initializer keeps the activation variance and
the gradient norm about constant from layer to layer.

``python -m fastinit diagnose`` prints these statistics as a table, JSON or a
plot (``--help`` lists its options).
"""

import math

import numpy as np

from .._engine import framework_checks
from ._mlp import (
    ACTIVATIONS,
    INITIALIZER_NAMES,
    LEAKY_RELU,
    MLP,
    RELU,
    SIGMOID,
    TANH,
    check_names,
    check_seed,
    init_weights,
    one_blas_thread,
    progress_bar,
)

__all__ = ["diagnose", "diagnose_network", "layer_stats", "ACTIVATIONS", "INITIALIZER_NAMES"]

TANH_SATURATION = 0.99  # |tanh(z)| above this: gradient 1 - a**2 below 0.02
SIGMOID_SATURATION = (0.01, 0.99)
# Verdict: the variance (or gradient norm) ratio last/first is "ok" within
# OK_FACTOR, a mild "shrink"/"grow" within DRIFT_FACTOR, else "vanish"/"explode".
OK_FACTOR = 4.0
DRIFT_FACTOR = 100.0
BAD_FRACTION = 0.5  # more saturated or dead units than this: flagged


def _fraction_saturated(activation, a):
    if activation == TANH:
        return float(np.mean(np.abs(a) > TANH_SATURATION))
    if activation == SIGMOID:
        lo, hi = SIGMOID_SATURATION
        return float(np.mean((a < lo) | (a > hi)))
    return None


def layer_stats(activation, z, a, grad_w):
    """Statistics of one layer.

    Parameters
    ----------
    activation : str
        The layer's activation name.
    z, a : ndarray, shape (batch, units)
        Pre-activations and activations.
    grad_w : ndarray
        Gradient of the layer's weight.

    Returns
    -------
    dict
        ``mean``, ``std`` (of all activations), ``saturated`` (fraction of
        activations in the flat tails; None unless tanh or sigmoid),
        ``dead`` (fraction of units with ``z <= 0`` for every input; None
        unless relu or leaky_relu), ``grad_norm`` (Frobenius norm of
        `grad_w`) and ``unit_spread`` (largest std across units of one
        input: 0 when all units are identical).
    """
    a64 = a.astype(np.float64)
    dead = None
    if activation in (RELU, LEAKY_RELU):
        dead = float(np.mean(np.all(z <= 0, axis=0)))
    return {
        "mean": float(a64.mean()),
        "std": float(a64.std()),
        "saturated": _fraction_saturated(activation, a),
        "dead": dead,
        "grad_norm": float(np.linalg.norm(grad_w.astype(np.float64))),
        "unit_spread": float(a64.std(axis=1).max()),
    }


def _ratio(num, den):
    if not (math.isfinite(num) and math.isfinite(den)) or den == 0:
        return math.nan
    return num / den


def _trend(what, ratio, degenerate):
    """Classify a last/first ratio; returns a list of 0 or 1 phrase."""
    if not math.isfinite(ratio) or ratio == 0:
        return [f"{what} {degenerate}"]
    for factor, down, up in ((DRIFT_FACTOR, "vanish", "explode"), (OK_FACTOR, "shrink", "grow")):
        if ratio < 1 / factor:
            return [f"{what} {down}"]
        if ratio > factor:
            return [f"{what} {up}"]
    return []


def _verdict(layers):
    """One short word or phrase summarising the run (see the module constants)."""
    first, last = layers[0], layers[-1]
    var_ratio = _ratio(last["std"] ** 2, first["std"] ** 2)
    grad_ratio = _ratio(first["grad_norm"], last["grad_norm"])
    problems = []
    scale = max(abs(last["mean"]), last["std"], 1e-30)
    if last["unit_spread"] <= 1e-6 * scale:
        problems.append("symmetric")
    if not all(math.isfinite(x["std"]) and math.isfinite(x["grad_norm"]) for x in layers):
        problems.append("overflow")
    problems += _trend("activations", var_ratio, "constant")
    problems += _trend("gradients", grad_ratio, "zero")  # first/last: small = vanish
    if max(x["saturated"] or 0.0 for x in layers) > BAD_FRACTION:
        problems.append("saturated")
    if max(x["dead"] or 0.0 for x in layers) > BAD_FRACTION:
        problems.append("dead units")
    return var_ratio, grad_ratio, ", ".join(problems) or "ok"


def _batch(width, batch_size, seed, dtype):
    # the same inputs and upstream gradient for every initializer and activation
    rng = np.random.default_rng([seed, 0x1D1A])
    x = rng.standard_normal((batch_size, width)).astype(dtype)
    # divided by the batch size as the gradient of a mean loss would be
    g = rng.standard_normal((batch_size, width)) / batch_size
    return x, g.astype(dtype)


def diagnose_network(weights, activation, x, upstream):
    """Propagate `x` forward and `upstream` backward through one network.

    Parameters
    ----------
    weights : list of ndarray
        Square weights ``(width, width)``, one per layer.
    activation : str
        Activation used by every layer.
    x, upstream : ndarray, shape (batch, width)
        Inputs and the gradient of the loss with respect to the last layer.

    Returns
    -------
    dict
        ``activation``, ``layers`` (a list of :func:`layer_stats` dicts),
        ``variance_ratio`` (activation variance of the last layer over the
        first), ``gradient_ratio`` (weight gradient norm of the first layer
        over the last) and ``verdict``.
    """
    net = MLP(weights, [activation] * len(weights))
    # deep bad initializations overflow on purpose; the stats report it
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        _, cache = net.forward(x)
        grads = net.backward(cache, upstream)
        layers = [layer_stats(activation, z, a, gw)
                  for z, a, gw in zip(cache[1], cache[2], grads[:len(weights)], strict=True)]
    var_ratio, grad_ratio, verdict = _verdict(layers)
    return {"activation": activation, "layers": layers, "variance_ratio": var_ratio,
            "gradient_ratio": grad_ratio, "verdict": verdict}


def diagnose(*, depth=20, width=512, batch_size=256, seed=0, initializers=None,
             activations=None, progress=False):
    """Diagnose every initializer with every activation.

    Parameters
    ----------
    depth : int
        Number of dense layers, each ``width x width``.
    width : int
        Units per layer (and input features).
    batch_size : int
        Number of random inputs.
    seed : int
        Seed of the weights (each layer has its own stream
        ``f"layer{k}.weight"``) and of the random inputs.
    initializers, activations : sequence of str, optional
        Subsets of :data:`INITIALIZER_NAMES` and :data:`ACTIVATIONS`
        (default: all).
    progress : bool
        Show a progress bar on stderr (tqdm, from the diagnose extra).

    Returns
    -------
    dict
        ``config`` (the arguments) and ``results``: one dict per
        initializer x activation as returned by :func:`diagnose_network`,
        with an added ``initializer`` key.
    """
    framework_checks.check_positive_ints(depth=depth, width=width, batch_size=batch_size)
    check_seed(seed)
    inits = check_names("initializers", initializers or INITIALIZER_NAMES, INITIALIZER_NAMES)
    acts = check_names("activations", activations or ACTIVATIONS, ACTIVATIONS)
    x, upstream = _batch(width, batch_size, seed, np.float32)
    results = []
    with one_blas_thread(), progress_bar(len(inits) * len(acts), "diagnose", progress) as bar:
        for init in inits:
            # one set of weights per initializer, shared by all activations
            weights = init_weights([width] * (depth + 1), init, seed=seed)
            for act in acts:
                run = diagnose_network(weights, act, x, upstream)
                results.append({"initializer": init, **run})
                bar.update()
    config = {"depth": depth, "width": width, "batch_size": batch_size, "seed": seed,
              "initializers": list(inits), "activations": list(acts)}
    return {"config": config, "results": results}
