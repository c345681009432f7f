"""Running framework checks in a fresh interpreter.

Keras fixes its backend at import (``KERAS_BACKEND``) and JAX its device count
(``XLA_FLAGS``), and a multithreaded JAX in the main pytest process would
trouble the fork tests; so those checks live in ``*_cases.py`` files that
pytest runs here in a subprocess, with the environment they need. The tests
that start them check their frameworks with ``conftest.require(..., load=False)``.
"""

import os
import pathlib
import re
import subprocess
import sys

from conftest import require_all

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_cases(cases_file, env, timeout=600):
    """Run ``pytest cases_file`` in a subprocess with ``env`` added; every case must pass."""
    full_env = {**os.environ, **env}
    switch = ["--require-all"] if require_all() else []
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "tests" / cases_file), "-q", "-rs",
         "-p", "no:cacheprovider", *switch],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout, check=False)
    output = proc.stdout[-20000:] + proc.stderr[-5000:]
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    assert proc.returncode == 0, output
    assert re.search(r"\d+ passed", summary), output
    for word in ("skipped", "deselected", "xfailed", "failed", "error"):
        assert word not in summary, output
    return summary
