"""Running framework checks in a fresh interpreter.

Keras fixes its backend at import (``KERAS_BACKEND``) and JAX its device count
(``XLA_FLAGS``), and a multithreaded JAX in the main pytest process would
trouble the fork tests; so those checks live in ``*_cases.py`` files that
pytest runs here in a subprocess, with the environment they need.

Without the framework the test is skipped, unless
``FASTINIT_REQUIRE_INTEGRATIONS=1`` (CI), which turns the skip into a failure.
"""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def require(*modules):
    """Skip (or fail under FASTINIT_REQUIRE_INTEGRATIONS=1) unless every module imports."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    message = f"not installed: {', '.join(missing)} (pip install 'fastinit-weights[test]')"
    if os.environ.get("FASTINIT_REQUIRE_INTEGRATIONS") == "1":
        pytest.fail(f"FASTINIT_REQUIRE_INTEGRATIONS=1 but {message}")
    pytest.skip(message)


def run_cases(cases_file, env, timeout=600):
    """Run ``pytest cases_file`` in a subprocess with ``env`` added; every case must pass."""
    full_env = {**os.environ, **env}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "tests" / cases_file), "-q", "-rs",
         "-p", "no:cacheprovider"],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout, check=False)
    output = proc.stdout[-20000:] + proc.stderr[-5000:]
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    assert proc.returncode == 0, output
    assert re.search(r"\d+ passed", summary), output
    for word in ("skipped", "deselected", "xfailed", "failed", "error"):
        assert word not in summary, output
    return summary
