"""The main job: initialize every weight of a decoder-only transformer in place.

A GPT-style spec (token and position embeddings, ``layers`` blocks of
attention + MLP with pre-LayerNorm, a final LayerNorm, tied output head).
Each parameter gets the initializer its kind calls for and its own stream,
derived from its name, so adding a layer never changes another's values.
"""

import math
import time
from typing import NamedTuple

from .. import initializers as init
from .._engine.constants import TRUNC_NORMAL_STD_CORRECTION
from .baseline import numpy_normal, numpy_uniform

VOCAB = 50304  # GPT-2's 50257, padded to a multiple of 64
CONTEXT = 2048
RESIDUAL_STD = 0.02  # GPT-2 embedding std; residual projections scale it down


class Param(NamedTuple):
    name: str
    shape: tuple
    kind: str  # embedding | attention | mlp_in | residual_out | bias | norm_gain


def spec(d_model, layers, vocab=VOCAB, context=CONTEXT):
    """Every parameter of the model, Keras/JAX layout ``(in, out)``."""
    d, ff = d_model, 4 * d_model
    params = [Param("embed.tokens", (vocab, d), "embedding"),
              Param("embed.positions", (context, d), "embedding")]
    for i in range(layers):
        p = f"layers.{i}."
        params += [
            Param(p + "attn.norm.gain", (d,), "norm_gain"),
            Param(p + "attn.norm.bias", (d,), "bias"),
            Param(p + "attn.qkv.weight", (d, 3 * d), "attention"),
            Param(p + "attn.qkv.bias", (3 * d,), "bias"),
            Param(p + "attn.out.weight", (d, d), "residual_out"),
            Param(p + "attn.out.bias", (d,), "bias"),
            Param(p + "mlp.norm.gain", (d,), "norm_gain"), Param(p + "mlp.norm.bias", (d,), "bias"),
            Param(p + "mlp.up.weight", (d, ff), "mlp_in"), Param(p + "mlp.up.bias", (ff,), "bias"),
            Param(p + "mlp.down.weight", (ff, d), "residual_out"),
            Param(p + "mlp.down.bias", (d,), "bias"),
        ]
    params += [Param("final_norm.gain", (d,), "norm_gain"), Param("final_norm.bias", (d,), "bias")]
    return params


def d_model_for(n_params, layers, vocab=VOCAB, context=CONTEXT):
    """Width (multiple of 64) whose model is closest to ``n_params`` parameters."""
    # 12*L*d^2 + (vocab + context + 13*L + 2)*d ~= n_params
    a, b = 12 * layers, vocab + context + 13 * layers + 2
    d = (-b + math.sqrt(b * b + 4 * a * n_params)) / (2 * a)
    return max(64, int(round(d / 64)) * 64)


def initializer(param, *, seed, layers):
    """The in-place initializer its kind calls for, and its keyword arguments."""
    common = dict(seed=seed, stream=param.name)
    if param.kind == "embedding":
        return init.random_normal_, dict(stddev=RESIDUAL_STD, **common)
    if param.kind == "attention":
        return init.glorot_uniform_, common
    if param.kind == "mlp_in":
        return init.he_normal_, common
    if param.kind == "residual_out":
        # GPT-2: residual projections scaled by 1/sqrt(2 * layers)
        return init.truncated_normal_, dict(stddev=RESIDUAL_STD / math.sqrt(2 * layers), **common)
    if param.kind == "norm_gain":
        return init.ones_, {}
    return init.zeros_, {}


def initialize(param, out, *, seed, layers, n_threads=None, backend="auto"):
    """Fill one parameter's buffer with the initializer its kind calls for."""
    fn, kwargs = initializer(param, seed=seed, layers=layers)
    if "seed" in kwargs:
        kwargs = dict(kwargs, n_threads=n_threads, backend=backend)
    return fn(out, **kwargs)


def numpy_initialize(param, out, rng, layers):
    """What a user writes with NumPy's Generator for the same parameter."""
    if param.kind == "embedding":
        numpy_normal(out, rng, RESIDUAL_STD)
    elif param.kind == "residual_out":
        numpy_normal(out, rng, RESIDUAL_STD / math.sqrt(2 * layers), truncated=True)
    elif param.kind == "attention":
        numpy_uniform(out, rng, math.sqrt(6.0 / sum(param.shape)))
    elif param.kind == "mlp_in":
        numpy_normal(out, rng, math.sqrt(2.0 / param.shape[0]) / TRUNC_NORMAL_STD_CORRECTION,
                     truncated=True)
    else:
        out.fill(1.0 if param.kind == "norm_gain" else 0.0)


class Timing(NamedTuple):
    n_params: int
    n_bytes: int
    seconds: float


def run(params, buffers, fill):
    t0 = time.perf_counter()
    for p, buf in zip(params, buffers, strict=True):
        fill(p, buf)
    dt = time.perf_counter() - t0
    return Timing(sum(b.size for b in buffers), sum(b.nbytes for b in buffers), dt)
