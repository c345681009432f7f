"""Fillers: each public function's law from its own arguments, with its names and defaults.

A filler factory that renamed an argument or changed a default would give a
checkpoint (or a Keras/JAX array) other values than the function itself.
"""

import inspect

import numpy as np
import pytest
from conftest import require

from fastinit import _fillers
from fastinit._engine import request

torch = require("torch")
import fastinit.torch as fit  # noqa: E402 - registers the drop-ins' fillers

# arguments that place or route a fill, not part of its law
PLACE = {"out", "tensor", "seed", "stream", "full_shape", "origin", "offset", "n_threads",
         "backend"}


def _law_parameters(func):
    return [(p.name, p.default) for p in inspect.signature(func).parameters.values()
            if p.name not in PLACE]


def _factory_parameters(factory, shaped):
    params = list(inspect.signature(factory).parameters.values())[1 if shaped else 0:]
    return [(p.name, p.default) for p in params]


@pytest.mark.parametrize("func", list(_fillers.LAWS), ids=lambda f: f.__name__)
def test_public_law_takes_the_functions_arguments(func):
    assert _factory_parameters(_fillers.LAWS[func], False) == _law_parameters(func)


@pytest.mark.parametrize("func", list(_fillers.SHAPED), ids=lambda f: f.__name__)
def test_drop_in_filler_takes_the_functions_arguments(func):
    assert _factory_parameters(_fillers.SHAPED[func], True) == _law_parameters(func)


@pytest.mark.parametrize(("func", "kwargs"), [
    (fit.uniform_, {"a": -0.5, "b": 2.0}), (fit.normal_, {"mean": 1.0, "std": 0.5}),
    (fit.trunc_normal_, {"std": 0.02}), (fit.xavier_uniform_, {"gain": 2.0}),
    (fit.xavier_normal_, {}), (fit.kaiming_uniform_, {"a": 5**0.5}),
    (fit.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}),
    (fit.constant_, {"val": 0.25}), (fit.ones_, {}), (fit.zeros_, {}),
], ids=lambda v: getattr(v, "__name__", ""))
def test_drop_in_filler_fills_what_the_drop_in_fills(func, kwargs):
    # a piece of the tensor, filled by its filler, equals the same piece of a whole fill
    full = (24, 40)
    whole = func(np.empty(full, np.float32), **kwargs, **(
        {"seed": 5, "stream": "w"} if func in fit.__dict__.values() and
        "seed" in inspect.signature(func).parameters else {}))
    piece = np.empty(300, np.float32)
    fill_part = _fillers.part_filler(func, full, **kwargs)
    fill_part(piece, request.keys(5, "w"), full, None, 123)
    np.testing.assert_array_equal(piece, whole.reshape(-1)[123:423])
