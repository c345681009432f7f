"""Shared fixtures: backends, dtypes, the reference implementation."""

import pathlib
import sys

import numpy as np
import pytest

from fastinit._engine import backends, formats

sys.path.insert(0, str(pathlib.Path(__file__).parent))  # tests/reference.py

pytest_plugins = ["pytester"]  # test_registry checks the slow marker in a scratch session

DATA = pathlib.Path(__file__).parent / "data"
BACKENDS = ["numba"] + (["cython"] if backends.cython_available() else [])
DTYPES = [np.float32, np.float64, np.float16, formats.BFLOAT16]
DTYPE_IDS = ["f32", "f64", "f16", "bf16"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(params=DTYPES, ids=DTYPE_IDS)
def dtype(request):
    return np.dtype(request.param)


def require(module):
    """``pytest.importorskip(module)``; a failing import when FASTINIT_REQUIRE_TORCH=1 (CI).

    The optional-framework tests must run in CI, never skip there.
    """
    import importlib
    import os

    if os.environ.get("FASTINIT_REQUIRE_TORCH") == "1":
        return importlib.import_module(module)
    return pytest.importorskip(module)


def as_bytes(a):
    """Raw bytes of an array, for bit-for-bit comparison."""
    return np.ascontiguousarray(a).view(np.uint8).tobytes()


def pytest_configure(config):
    # CI sets this so that a broken build fails instead of skipping the Cython half
    import os

    if os.environ.get("FASTINIT_REQUIRE_CYTHON") == "1" and "cython" not in BACKENDS:
        raise pytest.UsageError(
            "FASTINIT_REQUIRE_CYTHON=1 but fastinit._engine._cython does not import")
    # ... and so that the PyTorch tests fail instead of skipping when torch is missing
    import importlib.util

    torch_missing = importlib.util.find_spec("torch") is None
    if os.environ.get("FASTINIT_REQUIRE_TORCH") == "1" and torch_missing:
        raise pytest.UsageError("FASTINIT_REQUIRE_TORCH=1 but torch does not import")
    # pytest-xdist (-n): its workers would each JIT the same Numba kernels at the
    # same time; compiled first, in two processes at once, they are in Numba's
    # cache before any worker starts
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        _warm_numba_cache()


def _warm_numba_cache():
    import os
    import subprocess

    here = pathlib.Path(__file__).parent
    path = os.pathsep.join(filter(None, [str(here.parent), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path)  # the fastinit this session imports
    groups = [subprocess.Popen([sys.executable, str(here / "numba_warm.py"), str(g)], env=env)
              for g in (0, 1)]
    failed = [p.args for p in groups if p.wait() != 0]
    if failed:
        raise pytest.UsageError(f"compiling the Numba kernels failed: {failed}")


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="also run tests marked slow")
    parser.addoption("--only-slow", action="store_true", help="run only tests marked slow")


def pytest_collection_modifyitems(config, items):
    run_slow, only_slow = config.getoption("--run-slow"), config.getoption("--only-slow")
    skip_slow = pytest.mark.skip(reason="slow: run with --run-slow")
    skip_fast = pytest.mark.skip(reason="not slow: --only-slow")
    for item in items:
        slow = "slow" in item.keywords
        if slow and not (run_slow or only_slow):
            item.add_marker(skip_slow)
        elif only_slow and not slow:
            item.add_marker(skip_fast)
