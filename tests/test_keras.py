"""fastinit.keras on each Keras 3 backend: runs tests/keras_cases.py once per backend.

Keras fixes its backend at import, so each backend gets its own interpreter.
TensorFlow is not required; jax, torch and numpy are the backends tested.
"""

import pytest
from integration_support import require, run_cases

BACKENDS = {"jax": ("jax", "jaxlib"), "torch": ("torch",), "numpy": ()}


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_keras_cases_pass_on_backend(backend):
    require("keras", "scipy", *BACKENDS[backend])
    run_cases("keras_cases.py", {"KERAS_BACKEND": backend})
