"""fastinit.jax: runs tests/jax_cases.py and tests/jax_sharding_cases.py in subprocesses.

XLA_FLAGS gives JAX 8 host-platform CPU devices; it must be set before JAX is
imported, so it is set only in the subprocess's environment and never reaches
another test's JAX.
"""

import os
import subprocess
import sys

import pytest
from conftest import require
from integration_support import ROOT, run_cases

EIGHT_DEVICES = {"XLA_FLAGS": "--xla_force_host_platform_device_count=8"}


@pytest.mark.parametrize("cases", ["jax_cases.py", "jax_sharding_cases.py"])
def test_jax_cases_pass_on_eight_cpu_devices(cases):
    require("jax", "jaxlib", "flax", "scipy", load=False)
    run_cases(cases, EIGHT_DEVICES)


def test_import_fastinit_imports_no_framework():
    code = ("import sys, fastinit; "
            "print(sorted(m for m in ('jax', 'keras', 'flax', 'torch', 'fastinit.jax', "
            "'fastinit.keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[]"


def test_jax_benchmark_script_runs_at_a_small_size():
    require("jax", "jaxlib", "scipy", load=False)
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "jax_vs_fastinit.py"), "--size", "256",
         "--repeats", "1", "--devices", "2"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "fastinit.jax.make_array (sharded)" in out.stdout
    assert "exact sampler (expected)" in out.stdout
