"""fastinit.keras on each Keras 3 backend: runs tests/keras_cases.py once per backend.

Keras fixes its backend at import, so each backend gets its own interpreter.
TensorFlow is not required; jax, torch and numpy are the backends tested.
"""

import pytest
from conftest import require
from integration_support import run_cases

BACKENDS = {"jax": ("jax", "jaxlib"), "torch": ("torch",), "numpy": ()}


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_keras_cases_pass_on_backend(backend):
    require("keras", "scipy", *BACKENDS[backend], load=False)
    run_cases("keras_cases.py", {"KERAS_BACKEND": backend})


def test_keras_distribution_cases_pass_on_eight_jax_devices():
    require("keras", "jax", "jaxlib", load=False)
    run_cases("keras_sharding_cases.py", {
        "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=8"})
